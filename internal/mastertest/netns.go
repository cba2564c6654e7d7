package mastertest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// ForwardFromNetns listens on addr:port inside the network namespace
// netns (a name under /run/netns) for each port, and forwards every
// connection to 127.0.0.1:port in the test's namespace, so that minions
// in containers reach the master. Close stops the forwarding.
func (s *Server) ForwardFromNetns(netns, addr string, ports ...int) error {
	for _, p := range ports {
		l, err := listenIn(netns, net.JoinHostPort(addr, fmt.Sprint(p)))
		if err != nil {
			return err
		}
		s.track(l)
		s.wg.Add(1)
		go s.forward(l, fmt.Sprintf("127.0.0.1:%d", p))
	}
	return nil
}

// ForwardConfPortsFromNetns makes the master reachable from netns at
// addr on the ports its config file names, as a real master's minions
// find it: ret_port (the front doors' request port here) is forwarded to
// the minion-side master's request port (M, which a real master serves on
// that same port), publish_port to its publish port. A VM minion given
// the config's ret_port as master_port thus signs in to M.
func (s *Server) ForwardConfPortsFromNetns(netns, addr string) error {
	if s.M == nil || s.Rep == nil {
		return fmt.Errorf("mastertest: ForwardConfPortsFromNetns needs a server from StartServer")
	}
	_, rep, err := net.SplitHostPort(s.Rep.Addr())
	if err != nil {
		return err
	}
	for from, to := range map[string]int{rep: s.M.RetPort(), fmt.Sprint(s.M.PubPort()): s.M.PubPort()} {
		l, err := listenIn(netns, net.JoinHostPort(addr, from))
		if err != nil {
			return err
		}
		s.track(l)
		s.wg.Add(1)
		go s.forward(l, fmt.Sprintf("127.0.0.1:%d", to))
	}
	return nil
}

// track makes Close close c too.
func (s *Server) track(c ...io.Closer) {
	s.mu.Lock()
	s.extra = append(s.extra, c...)
	s.mu.Unlock()
}

func (s *Server) forward(l net.Listener, to string) {
	defer s.wg.Done()
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			u, err := net.DialTimeout("tcp", to, 5*time.Second)
			if err != nil {
				return
			}
			defer u.Close()
			s.track(c, u)
			done := make(chan struct{}, 2)
			go func() { _, _ = io.Copy(u, c); done <- struct{}{} }()
			go func() { _, _ = io.Copy(c, u); done <- struct{}{} }()
			select {
			case <-done:
			case <-s.ctx.Done():
			}
		}()
	}
}

// listenIn creates a TCP listener inside a network namespace: the socket
// belongs to the namespace it was created in, whatever thread later
// accepts on it.
func listenIn(netns, addr string) (net.Listener, error) {
	type res struct {
		l   net.Listener
		err error
	}
	ch := make(chan res, 1)
	go func() {
		// The thread is switched and never unlocked: the runtime discards
		// it when this goroutine ends.
		runtime.LockOSThread()
		f, err := os.Open(filepath.Join("/run/netns", netns))
		if err != nil {
			ch <- res{nil, err}
			return
		}
		defer f.Close()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- res{nil, fmt.Errorf("setns %s: %w", netns, err)}
			return
		}
		l, err := net.Listen("tcp", addr)
		ch <- res{l, err}
	}()
	r := <-ch
	if r.err != nil {
		return nil, errors.Join(fmt.Errorf("listen on %s in netns %s", addr, netns), r.err)
	}
	return r.l, nil
}
