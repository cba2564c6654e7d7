package zmq

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/go-zeromq/zmq4"
)

// Handler answers one request received by a RepServer. It returns the reply
// body, or ok=false to send no reply at all (the client will time out; tests
// use this to simulate a lost reply).
type Handler func(ctx context.Context, request []byte) (reply []byte, ok bool)

// ServerOptions configures a RepServer or PubServer.
type ServerOptions struct {
	// HandshakeTimeout bounds the ZMTP handshake of an accepted connection (default 10 s).
	HandshakeTimeout time.Duration
	// WriteTimeout bounds sending one message to one peer (default 10 s); a
	// peer that does not read is disconnected.
	WriteTimeout time.Duration
	// MaxMessageSize bounds one received message (default DefaultMaxMessageSize).
	MaxMessageSize int64
	// Logger (nil: slog.Default()).
	Logger *slog.Logger
}

func (o *ServerOptions) defaults() {
	positiveOr(&o.HandshakeTimeout, 10*time.Second)
	positiveOr(&o.WriteTimeout, 10*time.Second)
	defaultLogger(&o.Logger)
}

// server holds what RepServer and PubServer share: a listener, the accepted
// connections and the goroutines serving them.
type server struct {
	ln     net.Listener
	opts   ServerOptions
	typ    zmq4.SocketType
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	conns    map[*peer]struct{}
	accepted int // connections that completed the handshake
}

type peer struct {
	nc     net.Conn
	zc     *zmq4.Conn
	wmu    sync.Mutex // serialises writes
	topics map[string]struct{}
	tmu    sync.Mutex
}

func listen(endpoint string, typ zmq4.SocketType, opts ServerOptions, serve func(*server, *peer)) (*server, error) {
	addr, err := parseTCP(endpoint)
	if err != nil {
		return nil, err
	}
	opts.defaults()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("zmq: listen %s: %w", endpoint, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{ln: ln, opts: opts, typ: typ, ctx: ctx, cancel: cancel, conns: map[*peer]struct{}{}}
	s.wg.Add(1)
	go s.acceptLoop(serve)
	return s, nil
}

func (s *server) acceptLoop(serve func(*server, *peer)) {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			s.opts.Logger.Debug("zmq server: accept failed", "err", err)
			if !SleepCtx(s.ctx, 50*time.Millisecond) {
				return
			}
			continue
		}
		p := &peer{nc: nc, topics: map[string]struct{}{}}
		s.mu.Lock()
		if s.ctx.Err() != nil {
			s.mu.Unlock()
			_ = nc.Close()
			return
		}
		s.conns[p] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer s.drop(p)
			zc, err := openConn(nc, s.typ, true, time.Now().Add(s.opts.HandshakeTimeout), s.opts.MaxMessageSize)
			if err != nil {
				s.opts.Logger.Debug("zmq server: handshake failed", "err", err)
				return
			}
			s.mu.Lock()
			p.zc = zc
			s.accepted++
			s.mu.Unlock()
			serve(s, p)
		}()
	}
}

func (s *server) drop(p *peer) {
	_ = p.nc.Close()
	s.mu.Lock()
	delete(s.conns, p)
	s.mu.Unlock()
}

// send writes one message to p, bounded by the write timeout.
func (s *server) send(p *peer, frames ...[]byte) error {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	_ = p.nc.SetWriteDeadline(time.Now().Add(s.opts.WriteTimeout))
	err := p.zc.SendMsg(zmq4.NewMsgFrom(frames...))
	_ = p.nc.SetWriteDeadline(time.Time{})
	if err != nil {
		_ = p.nc.Close()
	}
	return err
}

// Addr returns the listening address (host:port).
func (s *server) Addr() string { return s.ln.Addr().String() }

// Endpoint returns "tcp://" + Addr().
func (s *server) Endpoint() string { return "tcp://" + s.Addr() }

// Close stops accepting, closes every connection and waits for the serving
// goroutines.
func (s *server) Close() error {
	s.cancel()
	err := s.ln.Close()
	s.mu.Lock()
	for p := range s.conns {
		_ = p.nc.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// RepServer is the master side of the request port: it accepts REQ (and
// DEALER) connections, like Salt's ROUTER + REP workers, and answers each
// request with the Handler. Requests on different connections are handled
// concurrently; on one connection they are sequential (REQ semantics).
type RepServer struct {
	*server // Addr, Endpoint, Close
	h       Handler
}

// ListenRep listens on endpoint ("tcp://127.0.0.1:0" for an ephemeral port).
func ListenRep(endpoint string, h Handler, opts ServerOptions) (*RepServer, error) {
	r := &RepServer{h: h}
	s, err := listen(endpoint, zmq4.Router, opts, r.serve)
	if err != nil {
		return nil, err
	}
	r.server = s
	return r, nil
}

// Accepted returns how many connections completed the ZMTP handshake so far.
func (r *RepServer) Accepted() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.accepted
}

func (r *RepServer) serve(s *server, p *peer) {
	for {
		msg, err := p.zc.RecvMsg()
		if err != nil {
			return
		}
		if msg.Type == zmq4.CmdMsg || len(msg.Frames) == 0 {
			continue
		}
		// Envelope: every frame up to and including the empty delimiter.
		n := len(msg.Frames)
		env := [][]byte{}
		for i, f := range msg.Frames[:n-1] {
			if len(f) == 0 {
				env = msg.Frames[:i+1]
			}
		}
		reply, ok := r.h(s.ctx, msg.Frames[n-1])
		if !ok {
			continue
		}
		frames := append(append([][]byte{}, env...), reply)
		if err := s.send(p, frames...); err != nil {
			return
		}
	}
}

// PubServer is the master side of the publish port (PUB): it accepts SUB
// connections, tracks their subscriptions (ZMTP 3.0 subscribe messages) and
// sends each published message to the peers whose subscription is a prefix
// of the first frame.
type PubServer struct {
	*server // Addr, Endpoint, Close

	subMu sync.Mutex
	subC  *sync.Cond
}

// ListenPub listens on endpoint ("tcp://127.0.0.1:0" for an ephemeral port).
func ListenPub(endpoint string, opts ServerOptions) (*PubServer, error) {
	ps := &PubServer{}
	ps.subC = sync.NewCond(&ps.subMu)
	s, err := listen(endpoint, zmq4.Pub, opts, ps.serve)
	if err != nil {
		return nil, err
	}
	ps.server = s
	return ps, nil
}

func (ps *PubServer) serve(s *server, p *peer) {
	defer ps.notify()
	for {
		msg, err := p.zc.RecvMsg()
		if err != nil {
			return
		}
		if msg.Type == zmq4.CmdMsg || len(msg.Frames) != 1 || len(msg.Frames[0]) == 0 {
			continue
		}
		f := msg.Frames[0]
		p.tmu.Lock()
		switch f[0] {
		case 1:
			p.topics[string(f[1:])] = struct{}{}
		case 0:
			delete(p.topics, string(f[1:]))
		}
		p.tmu.Unlock()
		ps.notify()
	}
}

func (ps *PubServer) notify() {
	ps.subMu.Lock()
	ps.subC.Broadcast()
	ps.subMu.Unlock()
}

func (p *peer) subscribed(first []byte) bool {
	p.tmu.Lock()
	defer p.tmu.Unlock()
	for t := range p.topics {
		if len(first) >= len(t) && string(first[:len(t)]) == t {
			return true
		}
	}
	return false
}

// Subscribers returns the number of connected peers with at least one subscription.
func (ps *PubServer) Subscribers() int {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	n := 0
	for p := range ps.conns {
		p.tmu.Lock()
		if len(p.topics) > 0 {
			n++
		}
		p.tmu.Unlock()
	}
	return n
}

// WaitSubscribers waits until at least n peers are subscribed or ctx ends.
func (ps *PubServer) WaitSubscribers(ctx context.Context, n int) error {
	stop := context.AfterFunc(ctx, ps.notify)
	defer stop()
	ps.subMu.Lock()
	defer ps.subMu.Unlock()
	for ps.Subscribers() < n {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		ps.subC.Wait()
	}
	return nil
}

// Publish sends one message (one or more frames) to every subscribed peer
// whose subscription matches the first frame, and returns how many peers it
// was sent to. A peer that cannot take the message within the write timeout
// is disconnected.
func (ps *PubServer) Publish(frames ...[]byte) int {
	if len(frames) == 0 {
		return 0
	}
	ps.mu.Lock()
	peers := make([]*peer, 0, len(ps.conns))
	for p := range ps.conns {
		if p.zc != nil && p.subscribed(frames[0]) {
			peers = append(peers, p)
		}
	}
	ps.mu.Unlock()
	n := 0
	for _, p := range peers {
		if err := ps.send(p, frames...); err != nil {
			ps.opts.Logger.Debug("zmq pub: dropping subscriber", "peer", p.nc.RemoteAddr(), "err", err)
			continue
		}
		n++
	}
	return n
}
