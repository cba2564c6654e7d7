package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/transport/payload"
)

// Event is one event of the master's event bus.
type Event struct {
	// Tag is the event tag ("salt/job/<jid>/ret/<id>").
	Tag string
	// Data is the event data (a dict for every event Salt fires).
	Data *data.Map
}

// EventSource delivers the events of a master event bus.
type EventSource interface {
	// Next returns the next event. It waits at most until ctx ends and then
	// returns ctx.Err(). Any other error is final (the bus connection is
	// gone or the stream is corrupt).
	Next(ctx context.Context) (Event, error)
	// Close releases the connection; a pending Next returns an error.
	Close() error
}

// Event bus kinds, chosen with the master config key
// saltgo_master_event_bus.
const (
	// BusStream is the 3006+ bus: a Unix stream socket (or TCP
	// 127.0.0.1:tcp_master_pub_port with ipc_mode tcp) carrying a msgpack
	// stream of {"head": {}, "body": <tag "\n\n" msgpack(data)>} maps.
	BusStream = "stream"
	// BusZMQ is the 2014.7-2015.8 bus: a ZeroMQ PUB socket on the same
	// path; each single-frame message is an event body.
	BusZMQ = "zmq"
)

// DefaultMaxEventSize bounds one event frame read from the bus.
const DefaultMaxEventSize = 256 << 20

// ErrBadFrame wraps the reason an event frame was skipped; streams keep
// going after such a frame (only an undecodable stream is fatal).
var ErrBadFrame = errors.New("malformed event frame")

// BusAddress says where a master's event bus listens.
type BusAddress struct {
	// Network is "unix" or "tcp".
	Network string
	// Address is the socket path or host:port.
	Address string
	// Kind is BusStream or BusZMQ.
	Kind string
}

// String returns the address as a URL-like text.
func (a BusAddress) String() string {
	if a.Network == "unix" {
		return "ipc://" + a.Address
	}
	return "tcp://" + a.Address
}

// DialEvents connects to the event bus at addr. The connection is made
// before it returns, so that every event fired afterwards is seen (connect
// before publishing a job).
func DialEvents(ctx context.Context, addr BusAddress, log *slog.Logger) (EventSource, error) {
	if log == nil {
		log = slog.Default()
	}
	switch addr.Kind {
	case "", BusStream:
		var d net.Dialer
		conn, err := d.DialContext(ctx, addr.Network, addr.Address)
		if err != nil {
			return nil, busDialError(addr, err)
		}
		return newStreamSource(conn, DefaultMaxEventSize, log), nil
	case BusZMQ:
		return dialZMQBus(ctx, addr, log)
	}
	return nil, fmt.Errorf("unknown event bus kind %q (want %q or %q)", addr.Kind, BusStream, BusZMQ)
}

func busDialError(addr BusAddress, err error) error {
	hint := ""
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, os.ErrNotExist), strings.Contains(err.Error(), "no such file"):
		hint = " (is the salt-master running on this host, with this sock_dir?)"
	case errors.Is(err, fs.ErrPermission), strings.Contains(err.Error(), "permission denied"):
		hint = " (the master's event socket is only open to the master's user: run as root or as that user)"
	case strings.Contains(err.Error(), "connection refused"):
		hint = " (nothing listens there: is the salt-master running?)"
	}
	return fmt.Errorf("connect to the master event bus %s: %w%s", addr, err, hint)
}

// ParseEventBody splits an event body into its tag and data, accepting the
// three forms Salt has used: tag "\n\n" msgpack(data) (2015.8 onwards), and
// 2014.7's 20-byte tag right-padded with "|" directly followed by msgpack.
func ParseEventBody(body []byte) (Event, error) {
	var tag string
	var raw []byte
	if len(body) > 20 && body[20] >= 0x80 && !bytes.Contains(body[:20], []byte("\n\n")) {
		tag, raw = strings.TrimRight(string(body[:20]), "|"), body[20:]
	} else {
		i := bytes.Index(body, []byte("\n\n"))
		if i < 0 {
			return Event{}, fmt.Errorf("%w: no tag delimiter in a %d-byte body", ErrBadFrame, len(body))
		}
		tag, raw = string(body[:i]), body[i+2:]
	}
	v, err := payload.Decode(raw)
	if err != nil {
		return Event{}, fmt.Errorf("%w: tag %q: data: %w", ErrBadFrame, tag, err)
	}
	m, ok := v.(*data.Map)
	if !ok {
		if v == nil {
			m = data.NewMap()
		} else {
			return Event{}, fmt.Errorf("%w: tag %q: data is %T, not a dict", ErrBadFrame, tag, v)
		}
	}
	return Event{Tag: tag, Data: m}, nil
}

// parseStreamFrame turns one decoded {"head", "body"} frame of the 3006+
// stream into an event.
func parseStreamFrame(v any) (Event, error) {
	m, ok := v.(*data.Map)
	if !ok {
		return Event{}, fmt.Errorf("%w: frame is %T, not a map", ErrBadFrame, v)
	}
	bv, ok := m.Get("body")
	if !ok {
		return Event{}, fmt.Errorf("%w: frame has no body", ErrBadFrame)
	}
	body, ok := data.AsBytes(bv)
	if !ok {
		return Event{}, fmt.Errorf("%w: frame body is %T, not bytes", ErrBadFrame, bv)
	}
	return ParseEventBody(body)
}

// streamSource reads the 3006+ msgpack stream in a goroutine.
type streamSource struct {
	conn net.Conn
	pipe
}

// pipe hands events from a reader goroutine to Next, and the reader's
// final error once every event before it was taken.
type pipe struct {
	out  chan Event
	dead chan struct{} // closed with err set when the reader stops
	err  error
	done chan struct{} // closed by Close
	once sync.Once
	log  *slog.Logger
}

func newPipe(log *slog.Logger) pipe {
	return pipe{out: make(chan Event, 256), dead: make(chan struct{}), done: make(chan struct{}), log: log}
}

func newStreamSource(conn net.Conn, maxSize int, log *slog.Logger) *streamSource {
	s := &streamSource{conn: conn, pipe: newPipe(log)}
	go s.read(maxSize)
	return s
}

// send queues an event; false when the source was closed.
func (p *pipe) send(ev Event) bool {
	select {
	case p.out <- ev:
		return true
	case <-p.done:
		return false
	}
}

// deliver queues ev for Next, or logs msg and skips the event when parseErr
// says it could not be parsed. It returns false when the source was closed:
// the reader has then failed with "event bus closed" and must stop.
func (p *pipe) deliver(ev Event, parseErr error, msg string) bool {
	if parseErr != nil {
		p.log.Debug(msg, "err", parseErr)
		return true
	}
	if !p.send(ev) {
		p.fail(errors.New("event bus closed"))
		return false
	}
	return true
}

// fail records the reader's final error.
func (p *pipe) fail(err error) {
	p.err = err
	close(p.dead)
}

// Next implements EventSource.
func (p *pipe) Next(ctx context.Context) (Event, error) {
	select {
	case ev := <-p.out:
		return ev, nil
	case <-ctx.Done():
		return Event{}, ctx.Err()
	case <-p.done:
		return Event{}, errors.New("event bus closed")
	case <-p.dead:
		select {
		case ev := <-p.out:
			return ev, nil
		default:
			return Event{}, p.err
		}
	}
}

func (s *streamSource) read(maxSize int) {
	buf := make([]byte, 0, 64<<10)
	want := 1
	chunk := make([]byte, 64<<10)
	for {
		for len(buf) >= want {
			n, w, err := msgpackLen(buf, maxSize)
			if errors.Is(err, errIncomplete) {
				want = w
				break
			}
			if err != nil {
				s.fail(fmt.Errorf("event bus stream is corrupt: %w", err))
				return
			}
			v, derr := payload.Decode(buf[:n])
			buf = append(buf[:0], buf[n:]...)
			want = 1
			if derr != nil {
				s.log.Debug("event bus: skipping undecodable frame", "err", derr)
				continue
			}
			ev, perr := parseStreamFrame(v)
			if !s.deliver(ev, perr, "event bus: skipping frame") {
				return
			}
		}
		n, err := s.conn.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errors.New("the master closed the event bus connection")
			}
			s.fail(fmt.Errorf("read event bus: %w", err))
			return
		}
	}
}

// MasterBus returns the event bus address of a master from its options:
// sock_dir/master_event_pub.ipc, or 127.0.0.1:tcp_master_pub_port (4512)
// when ipc_mode is tcp; the kind comes from saltgo_master_event_bus.
func MasterBus(opts *data.Map) BusAddress {
	kind := BusStream
	if k, ok := opts.String("saltgo_master_event_bus"); ok && k != "" {
		kind = k
	}
	if mode, _ := opts.String("ipc_mode"); mode == "tcp" {
		port := int64(4512)
		if v, ok := opts.Get("tcp_master_pub_port"); ok {
			if n, ok := data.AsInt(v); ok {
				port = n
			}
		}
		return BusAddress{Network: "tcp", Address: fmt.Sprintf("127.0.0.1:%d", port), Kind: kind}
	}
	sock, _ := opts.String("sock_dir")
	return BusAddress{Network: "unix", Address: filepath.Join(sock, "master_event_pub.ipc"), Kind: kind}
}

// Close implements EventSource.
func (s *streamSource) Close() error {
	var err error
	s.once.Do(func() {
		close(s.done)
		err = s.conn.Close()
	})
	return err
}
