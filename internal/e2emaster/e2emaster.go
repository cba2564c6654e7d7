// Package e2emaster is test support: a Salt master for end-to-end tests
// of code that drives minions through a master (runners, client). It
// combines minion/mastertest -- the master side of the minion protocol
// (auth, AES, signed publishes, _return) -- with the two things
// client.Client needs from a real master and mastertest lacks: the clear
// "publish"/"wheel" requests on a request port and the local event bus
// (Salt 3006+ Unix stream frames). When a client publishes, the job is
// published to the minions through mastertest, and each minion's _return
// is written on the event bus as salt/job/<jid>/ret/<id>.
//
// It also forwards TCP ports from inside a network namespace to the
// master (ForwardFromNetns), so that minions in containers reach it.
package e2emaster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/saltgo/saltgo/client/clienttest"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/minion/mastertest"
	"github.com/saltgo/saltgo/transport/crypt"
	"github.com/saltgo/saltgo/transport/payload"
	"github.com/saltgo/saltgo/transport/zmq"
)

// RootKey is the key written to cachedir/.root_key.
const RootKey = "e2e-root-key-0123456789abcdef"

// Master is the combined test master.
type Master struct {
	// M is the minion-side master (RetPort/PubPort on 127.0.0.1).
	M *mastertest.Master
	// Dir holds conf/master, cache/.root_key, sock/master_event_pub.ipc
	// and pki/.
	Dir, ConfDir, CacheDir, SockDir, PKIDir string
	rep                                     *zmq.RepServer
	bus                                     net.Listener

	mu     sync.Mutex
	conns  map[net.Conn]bool
	closed bool
	wg     sync.WaitGroup
	stop   chan struct{}
	extra  []io.Closer
}

// Config configures Start.
type Config struct {
	// Dir is where the master's files go (created).
	Dir string
	// Pillar returns a minion's pillar.
	Pillar func(id string, grains *data.Map) *data.Map
	// ExtraConf is appended to the master config file.
	ExtraConf string
}

// Start starts the master and writes its config file.
func Start(cfg Config) (*Master, error) {
	m := &Master{Dir: cfg.Dir, ConfDir: filepath.Join(cfg.Dir, "conf"), CacheDir: filepath.Join(cfg.Dir, "cache"),
		SockDir: filepath.Join(cfg.Dir, "sock"), PKIDir: filepath.Join(cfg.Dir, "pki"), conns: map[net.Conn]bool{}, stop: make(chan struct{})}
	for _, d := range []string{m.ConfDir, m.CacheDir, m.SockDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(m.CacheDir, ".root_key"), []byte(RootKey), 0o600); err != nil {
		return nil, err
	}
	var err error
	m.M, err = mastertest.Start(mastertest.Config{PKIDir: m.PKIDir, Gen: 3, Pillar: cfg.Pillar})
	if err != nil {
		return nil, err
	}
	if m.bus, err = net.Listen("unix", filepath.Join(m.SockDir, "master_event_pub.ipc")); err != nil {
		m.M.Close()
		return nil, err
	}
	if m.rep, err = zmq.ListenRep("tcp://127.0.0.1:0", m.handle, zmq.ServerOptions{}); err != nil {
		m.M.Close()
		m.bus.Close()
		return nil, err
	}
	m.wg.Add(2)
	go m.acceptBus()
	go m.forwardReturns()
	_, port, _ := net.SplitHostPort(m.rep.Addr())
	conf := fmt.Sprintf("interface: 127.0.0.1\nret_port: %s\npublish_port: %d\nroot_dir: %s\ncachedir: %s\nsock_dir: %s\npki_dir: %s\nuser: root\ntimeout: 2\ngather_job_timeout: 5\n%s",
		port, m.M.PubPort(), m.Dir, m.CacheDir, m.SockDir, m.PKIDir, cfg.ExtraConf)
	if err := os.WriteFile(filepath.Join(m.ConfDir, "master"), []byte(conf), 0o644); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// Close stops everything.
func (m *Master) Close() {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return
	}
	m.closed = true
	close(m.stop)
	for c := range m.conns {
		c.Close()
	}
	extra := m.extra
	m.mu.Unlock()
	for _, c := range extra {
		c.Close()
	}
	m.rep.Close()
	m.bus.Close()
	m.M.Close()
	m.wg.Wait()
}

func (m *Master) acceptBus() {
	defer m.wg.Done()
	for {
		c, err := m.bus.Accept()
		if err != nil {
			return
		}
		m.mu.Lock()
		if m.closed {
			c.Close()
		} else {
			m.conns[c] = true
		}
		m.mu.Unlock()
	}
}

// Fire writes one event on the bus.
func (m *Master) Fire(tag string, d *data.Map) {
	d.Set("_stamp", time.Now().UTC().Format("2006-01-02T15:04:05.000000"))
	b := clienttest.Frame(tag, d)
	m.mu.Lock()
	defer m.mu.Unlock()
	for c := range m.conns {
		_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write(b); err != nil {
			c.Close()
			delete(m.conns, c)
		}
	}
}

func (m *Master) forwardReturns() {
	defer m.wg.Done()
	for {
		select {
		case <-m.stop:
			return
		case l := <-m.M.Returns():
			jid, _ := l.String("jid")
			id, _ := l.String("id")
			if jid == "" || id == "" {
				continue
			}
			d := l.Copy()
			if !d.Has("success") {
				d.Set("success", true)
			}
			m.Fire("salt/job/"+jid+"/ret/"+id, d)
		}
	}
}

func (m *Master) handle(_ context.Context, req []byte) ([]byte, bool) {
	b, err := payload.Encode(m.answer(req))
	if err != nil {
		b, _ = payload.Encode("Server-side exception handling payload")
	}
	return b, true
}

func (m *Master) answer(req []byte) any {
	v, err := payload.Decode(req)
	if err != nil {
		return "bad load"
	}
	env, _ := v.(*data.Map)
	if env == nil {
		return "bad load"
	}
	lv, _ := env.Get("load")
	load, _ := lv.(*data.Map)
	if load == nil {
		return "payload and load must be a dict"
	}
	if k, _ := load.String("key"); k != RootKey {
		return data.M("error", data.M("name", "AuthenticationError", "message", "Authentication failure of type \"user\" occurred."))
	}
	switch cmd, _ := load.String("cmd"); cmd {
	case "publish":
		return m.publish(load)
	case "wheel":
		return m.wheel(load)
	}
	return data.NewMap()
}

// Accepted returns the accepted minion ids, sorted.
func (m *Master) Accepted() []string {
	ents, _ := os.ReadDir(filepath.Join(m.PKIDir, crypt.MinionsDir))
	var ids []string
	for _, e := range ents {
		if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			ids = append(ids, e.Name())
		}
	}
	sort.Strings(ids)
	return ids
}

func match(tgt any, tgtType, id string) bool {
	switch tgtType {
	case "list":
		switch t := tgt.(type) {
		case []any:
			for _, e := range t {
				if e == id {
					return true
				}
			}
		case string:
			for _, e := range strings.Split(t, ",") {
				if e == id {
					return true
				}
			}
		}
		return false
	case "glob", "":
		s, _ := tgt.(string)
		ok, _ := path.Match(s, id)
		return ok
	}
	return false
}

func (m *Master) publish(load *data.Map) any {
	tgt, _ := load.Get("tgt")
	tt, _ := load.String("tgt_type")
	fun, _ := load.String("fun")
	argv, _ := load.Get("arg")
	args, _ := argv.([]any)
	var minions []any
	for _, id := range m.Accepted() {
		if match(tgt, tt, id) {
			minions = append(minions, id)
		}
	}
	if len(minions) == 0 {
		return data.M("enc", "clear", "load", data.M("jid", nil, "minions", []any{}, "error", fmt.Sprintf("Master could not resolve minions for target %v", tgt)))
	}
	jid := mastertest.NewJID()
	m.Fire(jid, data.M("minions", minions))
	m.Fire("salt/job/"+jid+"/new", data.M("jid", jid, "tgt_type", tt, "tgt", tgt, "fun", fun, "arg", argv, "minions", minions, "missing", []any{}))
	if _, _, err := m.M.Publish(mastertest.Job{Tgt: tgt, TgtType: tt, Fun: fun, Arg: args, JID: jid}); err != nil {
		return data.M("error", data.M("name", "SaltMasterError", "message", err.Error()))
	}
	return data.M("enc", "clear", "load", data.M("jid", jid, "minions", minions, "missing", []any{}))
}

func (m *Master) wheel(load *data.Map) any {
	fun, _ := load.String("fun")
	match, _ := load.String("match")
	jid := mastertest.NewJID()
	d := data.M("fun", "wheel."+fun, "jid", jid, "tag", "salt/wheel/"+jid, "user", "root", "success", true)
	switch fun {
	case "key.list_all":
		ids := []any{}
		for _, id := range m.Accepted() {
			ids = append(ids, id)
		}
		d.Set("return", data.M("minions", ids, "minions_pre", []any{}, "minions_rejected", []any{}, "minions_denied", []any{}))
	case "key.delete":
		removed := []any{}
		for _, dir := range []string{crypt.MinionsDir, crypt.MinionsPreDir, crypt.MinionsRejectedDir, crypt.MinionsDeniedDir} {
			if err := os.Remove(filepath.Join(m.PKIDir, dir, match)); err == nil {
				removed = append(removed, match)
			}
		}
		d.Set("return", data.M("minions", removed))
	case "key.accept":
		if err := m.M.Accept(match); err != nil {
			d.Set("success", false)
			d.Set("return", err.Error())
			break
		}
		d.Set("return", data.M("minions", []any{match}))
	default:
		d.Set("success", false)
		d.Set("return", fmt.Sprintf("'%s' is not available.", fun))
	}
	return data.M("tag", "salt/wheel/"+jid, "data", d)
}

// ForwardFromNetns listens on addr:port inside the network namespace
// netns (a name under /run/netns) for each port, and forwards every
// connection to 127.0.0.1:port in the test's namespace.
func (m *Master) ForwardFromNetns(netns, addr string, ports ...int) error {
	for _, p := range ports {
		l, err := listenIn(netns, net.JoinHostPort(addr, fmt.Sprint(p)))
		if err != nil {
			return err
		}
		m.mu.Lock()
		m.extra = append(m.extra, l)
		m.mu.Unlock()
		m.wg.Add(1)
		go m.forward(l, fmt.Sprintf("127.0.0.1:%d", p))
	}
	return nil
}

func (m *Master) forward(l net.Listener, to string) {
	defer m.wg.Done()
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
			m.mu.Lock()
			m.conns2(c, u)
			m.mu.Unlock()
			done := make(chan struct{}, 2)
			go func() { _, _ = io.Copy(u, c); done <- struct{}{} }()
			go func() { _, _ = io.Copy(c, u); done <- struct{}{} }()
			select {
			case <-done:
			case <-m.stop:
			}
		}()
	}
}

// conns2 makes Close cut proxied connections too.
func (m *Master) conns2(a, b net.Conn) {
	m.extra = append(m.extra, a, b)
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
