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

// ErrTimeout is returned (wrapped) when every try of a request timed out or
// failed.
var ErrTimeout = errors.New("zmq: request timed out")

// ReqOptions configures a ReqClient. Zero values select Salt's defaults.
type ReqOptions struct {
	// Timeout bounds one try: connect, handshake, send and wait for the
	// reply (Salt: request_channel_timeout 60 s, auth_timeout 5 s).
	Timeout time.Duration
	// Tries is the number of tries (Salt: request_channel_tries 3).
	Tries int
	// ReconnectInterval is the first pause between failed connects inside one
	// try; it doubles up to ReconnectIntervalMax (Salt's REQ uses 5 s max).
	ReconnectInterval    time.Duration
	ReconnectIntervalMax time.Duration
	// KeepAliveIdle is the TCP keepalive idle time (Salt: tcp_keepalive_idle 300 s).
	KeepAliveIdle time.Duration
	// MaxMessageSize bounds a reply (default DefaultMaxMessageSize).
	MaxMessageSize int64
	// Logger receives debug lines about reconnects and retries (nil: slog.Default()).
	Logger *slog.Logger
	// OnConnectError, if set, is called with every failed connect (dial or
	// handshake), OnConnect after every successful one: the caller can
	// report an unreachable peer at once rather than after all tries.
	OnConnectError func(err error)
	OnConnect      func()
}

func (o *ReqOptions) defaults() {
	positiveOr(&o.Timeout, 60*time.Second)
	positiveOr(&o.Tries, 3)
	positiveOr(&o.ReconnectInterval, 100*time.Millisecond)
	positiveOr(&o.ReconnectIntervalMax, 5*time.Second)
	defaultLogger(&o.Logger)
}

// ReqClient is a REQ-style request client for Salt's request port: one
// request outstanding at a time (concurrent callers queue), each try bounded
// by the caller's context and by Timeout; after a failed or timed-out try the
// connection is closed and a new one is dialled for the next try.
type ReqClient struct {
	addr string
	opts ReqOptions

	mu     sync.Mutex // held for a whole request: one outstanding request
	conn   *zmq4.Conn
	nc     net.Conn
	closed chan struct{}
	once   sync.Once
}

// NewReqClient returns a client for endpoint "tcp://host:port". It connects
// lazily, on the first request.
func NewReqClient(endpoint string, opts ReqOptions) (*ReqClient, error) {
	addr, err := parseTCP(endpoint)
	if err != nil {
		return nil, err
	}
	opts.defaults()
	return &ReqClient{addr: addr, opts: opts, closed: make(chan struct{})}, nil
}

// Endpoint returns the address the client talks to.
func (c *ReqClient) Endpoint() string { return "tcp://" + c.addr }

// Close drops the connection; pending and later requests fail with ErrClosed.
func (c *ReqClient) Close() error {
	c.once.Do(func() { close(c.closed) })
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropLocked()
	return nil
}

func (c *ReqClient) dropLocked() {
	if c.nc != nil {
		_ = c.nc.Close()
	}
	c.nc, c.conn = nil, nil
}

// Request sends one request and returns the reply body. build is called once
// per try with the try number (1-based) and must return a fresh payload
// (AES requests need a new nonce per try). On a timeout or a broken
// connection the socket is rebuilt and the next try is made, up to Tries.
// The error wraps ErrTimeout when all tries failed, ctx.Err() when the
// context ended, or the error of build.
func (c *ReqClient) Request(ctx context.Context, build func(try int) ([]byte, error)) ([]byte, error) {
	// Make a stop context covering both the caller's ctx and Close.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-c.closed:
			cancel()
		case <-ctx.Done():
		}
	}()

	c.mu.Lock()
	defer c.mu.Unlock()
	var lastErr error
	staleRetried := false
	for try := 1; try <= c.opts.Tries; try++ {
		if err := c.stopped(ctx); err != nil {
			return nil, err
		}
		payload, err := build(try)
		if err != nil {
			return nil, fmt.Errorf("build request: %w", err)
		}
		reused := c.conn != nil
		reply, err := c.try(ctx, payload)
		if err == nil {
			return reply, nil
		}
		c.dropLocked()
		if serr := c.stopped(ctx); serr != nil {
			return nil, serr
		}
		lastErr = err
		if reused && !staleRetried && !isTimeout(err) {
			// The kept connection was dead (peer restarted): this does not
			// count as a try.
			staleRetried = true
			try--
			c.opts.Logger.Debug("zmq request: kept connection broken, reconnecting", "endpoint", c.addr, "err", err)
			continue
		}
		c.opts.Logger.Debug("zmq request try failed, rebuilding socket", "endpoint", c.addr, "try", try, "tries", c.opts.Tries, "err", err)
	}
	return nil, fmt.Errorf("%w: %s after %d tries: %w", ErrTimeout, c.addr, c.opts.Tries, lastErr)
}

func (c *ReqClient) stopped(ctx context.Context) error {
	select {
	case <-c.closed:
		return ErrClosed
	default:
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrTimeout) || (errors.As(err, &ne) && ne.Timeout())
}

// try performs one try: (re)connect if needed, send, wait for the reply, all
// before the try deadline.
func (c *ReqClient) try(ctx context.Context, payload []byte) ([]byte, error) {
	deadline := time.Now().Add(c.opts.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	tctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	if c.conn == nil {
		if err := c.connect(tctx, deadline); err != nil {
			return nil, err
		}
	}
	nc := c.nc
	// Unblock reads and writes when the try context ends early.
	stop := context.AfterFunc(tctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := nc.SetDeadline(deadline); err != nil {
		return nil, err
	}
	if err := c.conn.SendMsg(zmq4.NewMsgFrom([]byte{}, payload)); err != nil {
		return nil, fmt.Errorf("send to %s: %w", c.addr, err)
	}
	for {
		msg, err := c.conn.RecvMsg()
		if err != nil {
			if tctx.Err() != nil {
				return nil, fmt.Errorf("wait for reply from %s: %w", c.addr, context.DeadlineExceeded)
			}
			return nil, fmt.Errorf("receive from %s: %w", c.addr, err)
		}
		if msg.Type == zmq4.CmdMsg {
			continue // PING (answered by the codec) or other command
		}
		if len(msg.Frames) < 2 || len(msg.Frames[0]) != 0 {
			return nil, fmt.Errorf("malformed reply from %s: %d frames, no empty delimiter", c.addr, len(msg.Frames))
		}
		_ = nc.SetDeadline(time.Time{})
		return msg.Frames[len(msg.Frames)-1], nil
	}
}

// connect dials and handshakes, retrying failed connects with a growing
// pause until the deadline, like ZeroMQ's reconnect.
func (c *ReqClient) connect(ctx context.Context, deadline time.Time) error {
	d := dialer(c.opts.KeepAliveIdle)
	pause := c.opts.ReconnectInterval
	for {
		nc, err := d.DialContext(ctx, "tcp", c.addr)
		if err == nil {
			stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
			zc, herr := openConn(nc, zmq4.Req, false, deadline, c.opts.MaxMessageSize)
			stop()
			if herr == nil {
				c.conn, c.nc = zc, nc
				if c.opts.OnConnect != nil {
					c.opts.OnConnect()
				}
				return nil
			}
			_ = nc.Close()
			err = herr
		}
		if c.opts.OnConnectError != nil {
			c.opts.OnConnectError(err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("connect to %s: %w (last error: %v)", c.addr, context.DeadlineExceeded, err)
		}
		c.opts.Logger.Debug("zmq request: connect failed, retrying", "endpoint", c.addr, "err", err, "pause", pause)
		if !SleepCtx(ctx, pause) {
			return fmt.Errorf("connect to %s: %w (last error: %v)", c.addr, context.DeadlineExceeded, err)
		}
		pause = min(pause*2, c.opts.ReconnectIntervalMax)
	}
}
