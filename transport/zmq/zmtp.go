// Package zmq implements Salt's two ZeroMQ channels over ZMTP 3 with the
// NULL mechanism: the minion-side request client (REQ, one outstanding
// request, per-try timeout, socket rebuild and retry) and publish client
// (SUB subscribed to everything, Salt's two-frame receiving rule, reconnect),
// plus the master-side counterparts (a ROUTER-like reply server and a PUB
// server) used by the Go test master.
//
// The ZMTP codec (greeting, command and message framing) is the one of
// github.com/go-zeromq/zmq4, used through its connection-level API
// (zmq4.Open on a net.Conn that this package dials, accepts, bounds with
// deadlines and closes). The library's socket layer is deliberately not used:
// its Recv has no deadline, a handshake with a silent peer blocks forever,
// its readers leak goroutines when the consumer stops, and its automatic
// reconnect is unreliable (go-zeromq/zmq4 issues 85, 124, 153, 157). Every
// wait here is bounded by the caller's context and by explicit timeouts, and
// a broken connection is always replaced by a freshly dialled one.
package zmq

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/go-zeromq/zmq4"
)

// DefaultMaxMessageSize bounds the size of one received ZeroMQ message (all
// frames together). A peer announcing a larger frame is disconnected instead
// of making us allocate the announced size.
const DefaultMaxMessageSize = 256 << 20

// ErrMessageTooLarge is returned when a peer announces a message larger than
// the configured maximum.
var ErrMessageTooLarge = errors.New("zmq: message exceeds the maximum size")

// ErrClosed is returned by operations on a closed client or server.
var ErrClosed = errors.New("zmq: closed")

// Message is one ZeroMQ message received on a publish channel, after Salt's
// receiving rule was applied.
type Message struct {
	// Topic is the first frame of a two-frame message ("broadcast" or the
	// hex SHA-1 of the minion id); nil for a single-frame message.
	Topic []byte
	// Payload is the msgpack body (the last frame).
	Payload []byte
}

// nullSecurity is the ZMTP NULL mechanism. It writes the READY metadata in
// the order libzmq uses (Socket-Type first, then Identity for the socket
// types that carry one), so that our READY command is byte-identical to the
// one of a Python minion.
type nullSecurity struct {
	// identity is sent as the Identity property when hasIdentity is set.
	identity    string
	hasIdentity bool
}

func (nullSecurity) Type() zmq4.SecurityType { return zmq4.NullSecurity }

func (s nullSecurity) Handshake(conn *zmq4.Conn, server bool) error {
	body := appendProperty(nil, "Socket-Type", conn.Meta["Socket-Type"])
	if s.hasIdentity {
		body = appendProperty(body, "Identity", s.identity)
	}
	if err := conn.SendCmd(zmq4.CmdReady, body); err != nil {
		return fmt.Errorf("send READY: %w", err)
	}
	cmd, err := conn.RecvCmd()
	if err != nil {
		return fmt.Errorf("receive READY: %w", err)
	}
	if cmd.Name != zmq4.CmdReady {
		return fmt.Errorf("peer sent %q instead of READY: %w", cmd.Name, zmq4.ErrBadCmd)
	}
	md, err := parseMetadata(cmd.Body)
	if err != nil {
		return fmt.Errorf("peer READY metadata: %w", err)
	}
	// go-zeromq panics on an unknown peer socket type when it checks
	// compatibility after the handshake: refuse it here instead.
	switch peer := zmq4.SocketType(md["Socket-Type"]); peer {
	case zmq4.Pair, zmq4.Pub, zmq4.Sub, zmq4.Req, zmq4.Rep, zmq4.Dealer, zmq4.Router,
		zmq4.Pull, zmq4.Push, zmq4.XPub, zmq4.XSub:
	default:
		return fmt.Errorf("peer READY metadata: unknown socket type %q", peer)
	}
	for k, v := range md {
		conn.Peer.Meta[k] = v
	}
	return nil
}

// errBadMetadata reports a READY property list that does not parse.
var errBadMetadata = errors.New("malformed property list")

// parseMetadata decodes a ZMTP property list (name length byte, name,
// 4-byte value length, value; repeated) with every length checked against
// what is left. It replaces go-zeromq's Metadata.UnmarshalZMTP, which
// indexes past the end of a truncated list and panics: a hostile peer's
// READY must fail the handshake, not crash the minion. Names are
// title-cased as go-zeromq does ("socket-type" -> "Socket-Type").
func parseMetadata(p []byte) (map[string]string, error) {
	md := map[string]string{}
	for len(p) > 0 {
		klen := int(p[0])
		p = p[1:]
		if klen == 0 || klen > len(p) {
			return nil, fmt.Errorf("%w: name of %d bytes with %d left", errBadMetadata, klen, len(p))
		}
		name := titleASCII(string(p[:klen]))
		p = p[klen:]
		if len(p) < 4 {
			return nil, fmt.Errorf("%w: property %q without a value length", errBadMetadata, name)
		}
		vlen := binary.BigEndian.Uint32(p)
		p = p[4:]
		if uint64(vlen) > uint64(len(p)) {
			return nil, fmt.Errorf("%w: property %q announces %d bytes with %d left", errBadMetadata, name, vlen, len(p))
		}
		md[name] = string(p[:vlen])
		p = p[vlen:]
	}
	return md, nil
}

// titleASCII upper-cases the first letter of every run of letters.
func titleASCII(s string) string {
	b := []byte(s)
	start := true
	for i, c := range b {
		isLetter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if start && c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
		start = !isLetter
	}
	return string(b)
}

func (nullSecurity) Encrypt(w io.Writer, data []byte) (int, error) { return w.Write(data) }
func (nullSecurity) Decrypt(w io.Writer, data []byte) (int, error) { return w.Write(data) }

func appendProperty(b []byte, name, value string) []byte {
	b = append(b, byte(len(name)))
	b = append(b, name...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(value)))
	return append(b, value...)
}

// hasIdentity reports whether libzmq sends an Identity property in READY for
// this socket type.
func hasIdentity(t zmq4.SocketType) bool {
	switch t {
	case zmq4.Req, zmq4.Dealer, zmq4.Router:
		return true
	}
	return false
}

// guardConn wraps a net.Conn and follows the ZMTP frame structure of the
// bytes read through it, failing the read that would deliver a frame length
// making the current message exceed max. go-zeromq allocates a frame's
// announced size before reading it; this keeps garbage from a peer from
// turning into a huge allocation.
type guardConn struct {
	net.Conn
	max int64

	skip    int64 // bytes still to pass before the next frame header (greeting, body)
	state   int   // 0: flags byte, 1: short size, 2..9: long size bytes
	flags   byte
	size    uint64
	msgSize int64
}

func newGuardConn(c net.Conn, max int64) *guardConn {
	if max <= 0 {
		max = DefaultMaxMessageSize
	}
	return &guardConn{Conn: c, max: max, skip: 64}
}

func (g *guardConn) Read(p []byte) (int, error) {
	n, err := g.Conn.Read(p)
	if ferr := g.follow(p[:n]); ferr != nil {
		return 0, ferr
	}
	return n, err
}

func (g *guardConn) follow(b []byte) error {
	for len(b) > 0 {
		if g.skip > 0 {
			k := min(g.skip, int64(len(b)))
			g.skip -= k
			b = b[k:]
			continue
		}
		c := b[0]
		b = b[1:]
		switch {
		case g.state == 0:
			g.flags = c
			g.size = 0
			if c&0x02 != 0 {
				g.state = 2
			} else {
				g.state = 1
			}
		case g.state == 1:
			g.size = uint64(c)
			if err := g.frameDone(); err != nil {
				return err
			}
		default:
			g.size = g.size<<8 | uint64(c)
			g.state++
			if g.state == 10 {
				if err := g.frameDone(); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (g *guardConn) frameDone() error {
	g.state = 0
	if g.size > uint64(g.max) || g.msgSize+int64(g.size) > g.max {
		return fmt.Errorf("%w (%d bytes announced, max %d)", ErrMessageTooLarge, g.msgSize+int64(min(g.size, uint64(1)<<62)), g.max)
	}
	g.skip = int64(g.size)
	if g.flags&0x04 != 0 || g.flags&0x01 == 0 {
		// A command or the last frame of a message ends the message.
		g.msgSize = 0
	} else {
		g.msgSize += int64(g.size)
	}
	return nil
}

// openConn performs the ZMTP handshake on nc as socket type typ, bounded by
// deadline. It returns the ZMTP connection with the deadline cleared.
func openConn(nc net.Conn, typ zmq4.SocketType, server bool, deadline time.Time, maxMsg int64) (*zmq4.Conn, error) {
	if err := nc.SetDeadline(deadline); err != nil {
		return nil, err
	}
	sec := nullSecurity{hasIdentity: hasIdentity(typ)}
	zc, err := zmq4.Open(newGuardConn(nc, maxMsg), sec, typ, zmq4.SocketIdentity(""), server, nil)
	if err != nil {
		return nil, fmt.Errorf("ZMTP handshake with %s: %w", nc.RemoteAddr(), err)
	}
	if err := nc.SetDeadline(time.Time{}); err != nil {
		return nil, err
	}
	return zc, nil
}

// parseTCP turns "tcp://host:port" (or "host:port") into a dialable address.
func parseTCP(endpoint string) (string, error) {
	addr := strings.TrimPrefix(endpoint, "tcp://")
	if strings.Contains(addr, "://") {
		return "", fmt.Errorf("zmq: unsupported endpoint %q (only tcp:// is supported)", endpoint)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return "", fmt.Errorf("zmq: bad endpoint %q: %w", endpoint, err)
	}
	return addr, nil
}

// dialer returns a TCP dialer with keepalive settings close to Salt's
// (tcp_keepalive on, idle 300 s).
func dialer(keepIdle time.Duration) *net.Dialer {
	if keepIdle <= 0 {
		keepIdle = 300 * time.Second
	}
	return &net.Dialer{KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: keepIdle, Interval: 30 * time.Second, Count: 5}}
}

// positiveOr sets *v to d unless *v is positive: the default of an unset
// count or duration option.
func positiveOr[T ~int | ~int64](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// defaultLogger sets *l to slog.Default() when it is nil.
func defaultLogger(l **slog.Logger) {
	if *l == nil {
		*l = slog.Default()
	}
}

// SleepCtx waits d or until ctx is done; it reports whether the full wait
// elapsed.
func SleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
