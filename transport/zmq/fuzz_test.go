package zmq

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"

	"github.com/saltgo/saltgo/transport/wiretest"
)

// streamConn is a net.Conn whose peer sends a fixed byte stream and
// swallows whatever we write: the fuzz input plays a hostile master.
type streamConn struct {
	r *bytes.Reader
}

func (c *streamConn) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		return n, net.ErrClosed
	}
	return n, err
}
func (c *streamConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *streamConn) Close() error                     { return nil }
func (c *streamConn) LocalAddr() net.Addr              { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }
func (c *streamConn) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2} }
func (c *streamConn) SetDeadline(time.Time) error      { return nil }
func (c *streamConn) SetReadDeadline(time.Time) error  { return nil }
func (c *streamConn) SetWriteDeadline(time.Time) error { return nil }

// zmtpGreeting is a ZMTP 3.0 NULL-mechanism greeting (64 bytes).
func zmtpGreeting(asServer bool) []byte {
	g := make([]byte, 64)
	g[0], g[9], g[10], g[11] = 0xff, 0x7f, 3, 0
	copy(g[12:32], "NULL")
	if asServer {
		g[32] = 1
	}
	return g
}

// zmtpFrame encodes one ZMTP frame (short or long form).
func zmtpFrame(flags byte, body []byte) []byte {
	var out []byte
	if len(body) > 255 {
		out = append(out, flags|0x02)
		out = binary.BigEndian.AppendUint64(out, uint64(len(body)))
	} else {
		out = append(out, flags, byte(len(body)))
	}
	return append(out, body...)
}

// zmtpReady is the READY command of a peer of socket type typ.
func zmtpReady(typ string) []byte {
	b := append([]byte{5}, "READY"...)
	b = appendProperty(b, "Socket-Type", typ)
	if typ == "ROUTER" {
		b = appendProperty(b, "Identity", "")
	}
	return zmtpFrame(0x04, b)
}

// zmtpMessage encodes a multi-frame message.
func zmtpMessage(frames [][]byte) []byte {
	var out []byte
	for i, f := range frames {
		flags := byte(0)
		if i < len(frames)-1 {
			flags = 0x01
		}
		out = append(out, zmtpFrame(flags, f)...)
	}
	return out
}

// FuzzZMTPStream plays an arbitrary byte stream as the master's side of a
// request (ROUTER) or publish (PUB) connection through our handshake and
// frame guard: the handshake and every read fail cleanly or deliver a
// message no larger than the limit, never panic and never allocate what a
// hostile length announces. Seeds: the recorded replies and publishes of
// real masters, framed as those masters framed them.
func FuzzZMTPStream(f *testing.F) {
	for _, rel := range wiretest.Releases {
		for _, file := range wiretest.Files {
			c := wiretest.Load(f, rel, file)
			for _, m := range c.Messages {
				frames, err := m.Frames()
				if err != nil {
					f.Fatal(err)
				}
				switch m.Socket {
				case "req":
					if m.ReplyTo == nil {
						continue
					}
					f.Add(false, append(append(zmtpGreeting(true), zmtpReady("ROUTER")...), zmtpMessage(append([][]byte{{}}, frames...))...))
				case "pub":
					f.Add(true, append(append(zmtpGreeting(true), zmtpReady("PUB")...), zmtpMessage(frames)...))
				}
			}
		}
	}
	f.Add(false, zmtpGreeting(true))
	f.Add(true, append(zmtpGreeting(false), 0x02, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))
	const maxMsg = 1 << 16
	f.Fuzz(func(t *testing.T, pub bool, stream []byte) {
		typ := zmq4.Req
		if pub {
			typ = zmq4.Sub
		}
		zc, err := openConn(&streamConn{r: bytes.NewReader(stream)}, typ, false, time.Now().Add(time.Second), maxMsg)
		if err != nil {
			return
		}
		defer zc.Close()
		for i := 0; i < 64; i++ {
			msg, err := zc.RecvMsg()
			if err != nil {
				return
			}
			n := 0
			for _, fr := range msg.Frames {
				n += len(fr)
			}
			if n > maxMsg {
				t.Fatalf("a %d-byte message passed the %d-byte limit", n, maxMsg)
			}
		}
	})
}

// TestZMTPStreamSeeds checks the fuzzer's framing: a recorded publish,
// framed as a PUB master frames it, comes out of our handshake and reader
// as the recorded frames.
func TestZMTPStreamSeeds(t *testing.T) {
	c := wiretest.Load(t, wiretest.Releases[0], wiretest.Files[0])
	n := 0
	for _, m := range c.Messages {
		if m.Socket != "pub" {
			continue
		}
		frames, err := m.Frames()
		if err != nil {
			t.Fatal(err)
		}
		stream := append(append(zmtpGreeting(true), zmtpReady("PUB")...), zmtpMessage(frames)...)
		zc, err := openConn(&streamConn{r: bytes.NewReader(stream)}, zmq4.Sub, false, time.Now().Add(time.Second), DefaultMaxMessageSize)
		if err != nil {
			t.Fatalf("#%d: handshake: %v", m.Index, err)
		}
		msg, err := zc.RecvMsg()
		if err != nil {
			t.Fatalf("#%d: %v", m.Index, err)
		}
		if len(msg.Frames) != len(frames) || !bytes.Equal(msg.Frames[len(frames)-1], frames[len(frames)-1]) {
			t.Fatalf("#%d: got %d frames, want %d", m.Index, len(msg.Frames), len(frames))
		}
		zc.Close()
		n++
	}
	if n == 0 {
		t.Fatal("no recorded publish")
	}
}

// TestParseMetadata covers the READY property parser, including the
// truncated list that panicked go-zeromq's own parser (found by
// FuzzZMTPStream).
func TestParseMetadata(t *testing.T) {
	good := appendProperty(appendProperty(nil, "socket-type", "ROUTER"), "Identity", "")
	tests := []struct {
		name    string
		in      []byte
		want    map[string]string
		wantErr bool
	}{
		{name: "two properties", in: good, want: map[string]string{"Socket-Type": "ROUTER", "Identity": ""}},
		{name: "empty", in: nil, want: map[string]string{}},
		{name: "name longer than the list", in: []byte{9, 'a', 'b'}, wantErr: true},
		{name: "no value length", in: []byte{1, 'a', 0, 0}, wantErr: true},
		{name: "value longer than the list", in: []byte{1, 'a', 0, 0, 0, 9, 'x'}, wantErr: true},
		{name: "zero-length name", in: []byte{0, 0, 0, 0, 0}, wantErr: true},
		{name: "fuzz crash: 11-byte name then 8 bytes", in: append([]byte{11}, "00000000000\x00\x00\x00\x06000000\b000000000000"...), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMetadata(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}
