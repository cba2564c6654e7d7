package client

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/transport/payload"
)

func frame(t testing.TB, tag string, d any) []byte {
	body, err := payload.Encode(d)
	if err != nil {
		t.Fatal(err)
	}
	raw := append([]byte(tag+"\n\n"), body...)
	out := []byte{0x82, 0xa4, 'h', 'e', 'a', 'd', 0x80, 0xa4, 'b', 'o', 'd', 'y', 0xc5, byte(len(raw) >> 8), byte(len(raw))}
	return append(out, raw...)
}

func TestParseEventBody(t *testing.T) {
	d, _ := payload.Encode(data.M("id", "m1"))
	tests := []struct {
		name, tag string
		body      []byte
		bad       bool
	}{
		{"modern", "salt/job/1/ret/m1", append([]byte("salt/job/1/ret/m1\n\n"), d...), false},
		{"2014-padded", "salt/auth", append([]byte("salt/auth|||||||||||"), d...), false},
		{"2014-long", "salt/job/20141125000000000000/ret/m1", append([]byte("salt/job/20141125000000000000/ret/m1\n\n"), d...), false},
		{"no-delimiter", "", []byte("just text"), true},
		{"bad-msgpack", "", []byte("tag\n\n\xc1"), true},
		{"not-a-dict", "", append([]byte("tag\n\n"), 0x01), true},
		{"empty", "", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := ParseEventBody(tc.body)
			if tc.bad {
				if !errors.Is(err, ErrBadFrame) {
					t.Errorf("want ErrBadFrame, got %v", err)
				}
				return
			}
			if err != nil || ev.Tag != tc.tag {
				t.Fatalf("got %q %v", ev.Tag, err)
			}
			if id, _ := ev.Data.String("id"); id != "m1" {
				t.Errorf("data %v", ev.Data.Keys())
			}
		})
	}
}

func TestMsgpackLen(t *testing.T) {
	f := frame(t, "a/b", data.M("x", []any{int64(1), "two", 3.5, nil, true, data.M("n", int64(-300))}))
	n, _, err := msgpackLen(f, 1<<20)
	if err != nil || n != len(f) {
		t.Fatalf("len %d %v, want %d", n, err, len(f))
	}
	for i := 0; i < len(f); i++ {
		if _, want, err := msgpackLen(f[:i], 1<<20); !errors.Is(err, errIncomplete) || want <= i {
			t.Fatalf("prefix %d: %v want=%d", i, err, want)
		}
	}
	if _, _, err := msgpackLen([]byte{0xc1}, 10); err == nil || errors.Is(err, errIncomplete) {
		t.Errorf("0xc1: %v", err)
	}
	if _, _, err := msgpackLen([]byte{0xc6, 0xff, 0xff, 0xff, 0xff}, 1<<20); err == nil || errors.Is(err, errIncomplete) {
		t.Errorf("oversized bin: %v", err)
	}
}

func FuzzMsgpackLen(f *testing.F) {
	f.Add(frame(f, "t", data.M("a", int64(1))))
	f.Add([]byte{0xdf, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		n, _, err := msgpackLen(b, 1<<16)
		if err == nil {
			if n <= 0 || n > len(b) {
				t.Fatalf("n=%d len=%d", n, len(b))
			}
			if _, derr := payload.Decode(b[:n]); derr != nil && !errors.Is(derr, payload.ErrTooDeep) && !errors.Is(derr, payload.ErrInvalid) {
				t.Fatalf("scanner accepted %x but Decode says %v", b[:n], derr)
			}
		}
	})
}

// busServer listens on a Unix socket in a temp dir and hands the first
// connection to serve.
func busServer(t *testing.T, serve func(c net.Conn)) BusAddress {
	t.Helper()
	dir, err := os.MkdirTemp("", "bus")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	p := filepath.Join(dir, "master_event_pub.ipc")
	ln, err := net.Listen("unix", p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		serve(c)
	}()
	return BusAddress{Network: "unix", Address: p, Kind: BusStream}
}

func TestStreamSource(t *testing.T) {
	good1 := frame(t, "salt/job/1/new", data.M("jid", "1"))
	good2 := frame(t, "salt/job/1/ret/m1", data.M("id", "m1", "return", true))
	notMap := []byte{0x93, 0x01, 0x02, 0x03}                               // a list, not {head, body}
	noDelim := []byte{0x81, 0xa4, 'b', 'o', 'd', 'y', 0xa3, 'x', 'y', 'z'} // body without tag delimiter
	stream := append(append(append(append([]byte{}, good1...), notMap...), noDelim...), good2...)
	addr := busServer(t, func(c net.Conn) {
		defer c.Close()
		// Write byte by byte-ish to exercise frame reassembly.
		for i := 0; i < len(stream); i += 7 {
			c.Write(stream[i:min(i+7, len(stream))])
			time.Sleep(time.Millisecond)
		}
		c.Write([]byte{0xc1}) // corrupt: the stream cannot continue
		time.Sleep(100 * time.Millisecond)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	src, err := DialEvents(ctx, addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var tags []string
	for {
		ev, err := src.Next(ctx)
		if err != nil {
			if !strings.Contains(err.Error(), "corrupt") {
				t.Errorf("final error %v", err)
			}
			break
		}
		tags = append(tags, ev.Tag)
	}
	if strings.Join(tags, " ") != "salt/job/1/new salt/job/1/ret/m1" {
		t.Errorf("tags %v", tags)
	}
}

func TestStreamSourceTimeoutAndClose(t *testing.T) {
	addr := busServer(t, func(c net.Conn) { time.Sleep(2 * time.Second); c.Close() })
	src, err := DialEvents(context.Background(), addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := src.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("want deadline, got %v", err)
	}
	src.Close()
	if _, err := src.Next(context.Background()); err == nil {
		t.Error("Next after Close succeeded")
	}
}

func TestDialEventsErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := DialEvents(context.Background(), BusAddress{Network: "unix", Address: filepath.Join(dir, "nope.ipc")}, nil)
	if err == nil || !strings.Contains(err.Error(), "is the salt-master running") {
		t.Errorf("missing socket: %v", err)
	}
	_, err = DialEvents(context.Background(), BusAddress{Network: "unix", Address: "x", Kind: "carrier-pigeon"}, nil)
	if err == nil || !strings.Contains(err.Error(), "unknown event bus kind") {
		t.Errorf("bad kind: %v", err)
	}
}

func TestMasterBus(t *testing.T) {
	tests := []struct {
		opts *data.Map
		want BusAddress
	}{
		{data.M("sock_dir", "/run/salt/master"), BusAddress{"unix", "/run/salt/master/master_event_pub.ipc", BusStream}},
		{data.M("sock_dir", "/x", "ipc_mode", "tcp"), BusAddress{"tcp", "127.0.0.1:4512", BusStream}},
		{data.M("ipc_mode", "tcp", "tcp_master_pub_port", int64(4612), "saltgo_master_event_bus", "zmq"), BusAddress{"tcp", "127.0.0.1:4612", BusZMQ}},
	}
	for _, tc := range tests {
		if got := MasterBus(tc.opts); got != tc.want {
			t.Errorf("got %+v want %+v", got, tc.want)
		}
	}
}

func TestParseProcAddr(t *testing.T) {
	ip, port, ok := parseProcAddr("0100007F:AFC9")
	if !ok || ip.String() != "127.0.0.1" || port != 45001 {
		t.Errorf("got %v %d %v", ip, port, ok)
	}
	ip, _, ok = parseProcAddr("00000000000000000000000001000000:0016")
	if !ok || ip.String() != "::1" {
		t.Errorf("v6 got %v %v", ip, ok)
	}
	for _, bad := range []string{"", "zz:00", "0100007F", "0100007F:XYZ"} {
		if _, _, ok := parseProcAddr(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}
