package zmq

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"

	"time"

	"github.com/go-zeromq/zmq4"
)

// SubOptions configures a SubClient. Zero values select Salt's defaults.
type SubOptions struct {
	// ID is the minion id; two-frame messages are accepted only when their
	// topic is "broadcast" or the hex SHA-1 of ID (spec 1.3).
	ID string
	// Syndic also accepts the "syndic" topic.
	Syndic bool
	// ReconnectInterval and ReconnectIntervalMax: after a lost connection the
	// client waits ReconnectInterval plus a random part of
	// ReconnectIntervalMax (Salt: recon_default 1 s, recon_max 10 s,
	// recon_randomize), doubling on repeated failures up to
	// ReconnectIntervalMax.
	ReconnectInterval    time.Duration
	ReconnectIntervalMax time.Duration
	// HandshakeTimeout bounds connect plus ZMTP handshake (default 10 s).
	HandshakeTimeout time.Duration
	// KeepAliveIdle is the TCP keepalive idle time (default 300 s); it is what
	// detects a master that vanished without closing the connection.
	KeepAliveIdle time.Duration
	// MaxMessageSize bounds one publish (default DefaultMaxMessageSize).
	MaxMessageSize int64
	// OnConnect, if set, is called (from the client's goroutine) after each
	// successful connect + subscribe.
	OnConnect func()
	// Logger receives reconnect and dropped-message lines (nil: slog.Default()).
	Logger *slog.Logger
}

// HexID returns the lowercase hex SHA-1 of a minion id: its publish topic.
func HexID(id string) string {
	h := sha1.Sum([]byte(id))
	return hex.EncodeToString(h[:])
}

// SubClient is a SUB-style publish client: it subscribes to everything
// (""), applies Salt's receiving rule and reconnects, with a fresh
// connection, whenever the connection is lost.
type SubClient struct {
	addr  string
	opts  SubOptions
	hexid string
}

// NewSubClient returns a client for the publish endpoint "tcp://host:port".
func NewSubClient(endpoint string, opts SubOptions) (*SubClient, error) {
	addr, err := parseTCP(endpoint)
	if err != nil {
		return nil, err
	}
	positiveOr(&opts.ReconnectInterval, time.Second)
	positiveOr(&opts.ReconnectIntervalMax, 10*time.Second)
	positiveOr(&opts.HandshakeTimeout, 10*time.Second)
	defaultLogger(&opts.Logger)
	return &SubClient{addr: addr, opts: opts, hexid: HexID(opts.ID)}, nil
}

// Accept applies the receiving rule of spec 1.3 to the frames of one
// message: one frame is a payload; two frames are accepted only when the
// topic is "broadcast" or the client's hex id ("syndic" for a syndic); any
// other shape is refused with a reason.
func (s *SubClient) Accept(frames [][]byte) (Message, error) {
	switch len(frames) {
	case 1:
		return Message{Payload: frames[0]}, nil
	case 2:
		t := string(frames[0])
		if t == "broadcast" || t == s.hexid || (s.opts.Syndic && t == "syndic") {
			return Message{Topic: frames[0], Payload: frames[1]}, nil
		}
		return Message{}, fmt.Errorf("topic %q is not for us", t)
	default:
		return Message{}, fmt.Errorf("unexpected %d-frame publish", len(frames))
	}
}

// Run connects, subscribes and delivers accepted messages on out until ctx
// ends, reconnecting as needed. It returns ctx.Err(). It never closes out.
// Blocking on out is bounded by ctx: a slow consumer only delays reading.
func (s *SubClient) Run(ctx context.Context, out chan<- Message) error {
	pause := s.opts.ReconnectInterval
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		start := time.Now()
		err := s.session(ctx, out)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Since(start) > s.opts.ReconnectIntervalMax {
			pause = s.opts.ReconnectInterval // the connection was healthy for a while
		}
		wait := pause
		if s.opts.ReconnectIntervalMax > pause {
			wait += time.Duration(rand.Int64N(int64(s.opts.ReconnectIntervalMax-pause)/4 + 1))
		}
		s.opts.Logger.Info("publish channel: connection lost, reconnecting", "endpoint", s.addr, "err", err, "in", wait.Round(time.Millisecond))
		if !SleepCtx(ctx, wait) {
			return ctx.Err()
		}
		pause = min(pause*2, s.opts.ReconnectIntervalMax)
	}
}

// session runs one connection until it fails or ctx ends.
func (s *SubClient) session(ctx context.Context, out chan<- Message) error {
	hctx, cancel := context.WithTimeout(ctx, s.opts.HandshakeTimeout)
	defer cancel()
	nc, err := dialer(s.opts.KeepAliveIdle).DialContext(hctx, "tcp", s.addr)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer nc.Close()
	// Closing the connection is what stops a blocked read.
	stop := context.AfterFunc(ctx, func() { _ = nc.Close() })
	defer stop()
	deadline, _ := hctx.Deadline()
	zc, err := openConn(nc, zmq4.Sub, false, deadline, s.opts.MaxMessageSize)
	if err != nil {
		return err
	}
	// ZMTP 3.0 subscription (what go-zeromq's greeting announces): a message
	// whose first byte is 1, followed by the (empty) topic.
	_ = nc.SetWriteDeadline(time.Now().Add(s.opts.HandshakeTimeout))
	if err := zc.SendMsg(zmq4.NewMsg([]byte{1})); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	_ = nc.SetWriteDeadline(time.Time{})
	s.opts.Logger.Debug("publish channel connected", "endpoint", s.addr)
	if s.opts.OnConnect != nil {
		s.opts.OnConnect()
	}
	for {
		msg, err := zc.RecvMsg()
		if err != nil {
			return err
		}
		if msg.Type == zmq4.CmdMsg {
			continue
		}
		m, err := s.Accept(msg.Frames)
		if err != nil {
			s.opts.Logger.Debug("publish dropped", "reason", err)
			continue
		}
		select {
		case out <- m:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Endpoint returns the address the client connects to.
func (s *SubClient) Endpoint() string { return "tcp://" + s.addr }
