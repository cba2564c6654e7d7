package minion

import (
	"context"
	"errors"
	"fmt"

	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/transport/zmq"
)

// Session is a one-shot signed-in connection to the master, used by
// salt-call in its default mode: sign in, compile the pillar on the master,
// send the result back as a return (jid "req") and fire events. It does not
// subscribe to publishes.
type Session struct {
	m       *Minion
	clients []*zmq.ReqClient
}

// ErrNotAccepted is returned by Connect when the master has not accepted
// (or has rejected) this minion's key.
var ErrNotAccepted = errors.New("minion failed to authenticate with the master, has the minion key been accepted?")

// Connect signs in once to the master named by cfg.
func Connect(ctx context.Context, cfg *config.Config, opts Options) (*Session, error) {
	if opts.Executor == nil {
		opts.Executor = ExecutorFunc(func(context.Context, *Call) Return {
			return Return{Return: "The minion function caused an exception: a salt-call session runs no published jobs", Retcode: 1, Out: "nested"}
		})
	}
	m, err := New(SettingsFromConfig(cfg), opts)
	if err != nil {
		return nil, err
	}
	if err := m.openKeys(); err != nil {
		return nil, err
	}
	if err := m.loadKeys(); err != nil {
		return nil, err
	}
	s := &Session{m: m}
	onErr, onOK := m.reachability(ctx)
	if m.authClient, err = zmq.NewReqClient(m.masterURI, zmq.ReqOptions{
		Timeout: m.s.AuthTimeout, Tries: m.s.AuthTries, KeepAliveIdle: m.s.TCPKeepaliveIdle, Logger: m.log,
		OnConnectError: onErr, OnConnect: onOK,
	}); err != nil {
		return nil, err
	}
	s.clients = append(s.clients, m.authClient)
	c, err := zmq.NewReqClient(m.masterURI, zmq.ReqOptions{
		Timeout: m.s.RequestTimeout, Tries: m.s.RequestTries, KeepAliveIdle: m.s.TCPKeepaliveIdle, Logger: m.log,
		OnConnectError: onErr, OnConnect: onOK,
	})
	if err != nil {
		s.Close()
		return nil, err
	}
	s.clients = append(s.clients, c)
	m.reqPool = make(chan *zmq.ReqClient, 1)
	m.reqPool <- c
	m.runCtx = ctx
	m.authMu.Lock()
	err = m.signIn(ctx)
	m.authMu.Unlock()
	if err != nil {
		s.Close()
		if errors.Is(err, errPending) || errors.Is(err, errRejected) {
			return nil, fmt.Errorf("%w (%v)", ErrNotAccepted, err)
		}
		return nil, fmt.Errorf("sign-in to %s: %w", m.masterURI, err)
	}
	return s, nil
}

// Minion returns the signed-in minion (for FireMaster and the job table).
func (s *Session) Minion() *Minion { return s.m }

// Pillar compiles the pillar on the master for these grains.
func (s *Session) Pillar(ctx context.Context, grains *data.Map) (*data.Map, error) {
	s.m.opts.Grains = func(context.Context) (*data.Map, error) { return grains, nil }
	return s.m.RefreshPillar(ctx)
}

// Return sends a result to the master as a _return load (jid "req" makes
// the master allocate a jid and fire salt/job/<jid>/ret/<id>).
func (s *Session) Return(ctx context.Context, load *data.Map) error {
	l := load.Copy()
	l.Set("cmd", "_return")
	l.Set("id", s.m.s.ID)
	_, err := s.m.Request(ctx, l)
	return err
}

// Request sends one load on the encrypted request channel and returns the
// master's decoded reply (the file server's requests go this way).
func (s *Session) Request(ctx context.Context, load *data.Map) (any, error) {
	return s.m.Request(ctx, load)
}

// FireMaster sends an event to the master's event bus.
func (s *Session) FireMaster(ctx context.Context, tag string, eventData any) error {
	return s.m.FireMaster(ctx, tag, eventData)
}

// Close releases the sockets.
func (s *Session) Close() error {
	for _, c := range s.clients {
		c.Close()
	}
	s.clients = nil
	return nil
}
