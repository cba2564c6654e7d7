package zmq

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain checks that no test leaves a goroutine behind. The one exception
// is go-zeromq's own PUB writer goroutine, which its Close never stops (a
// library bug, and one reason this package does not use the library's socket
// layer); only the interop test against zmq4.NewPub creates it.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/go-zeromq/zmq4.(*pubMWriter).run"))
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func echoRep(t *testing.T, endpoint string, h Handler) *RepServer {
	t.Helper()
	if h == nil {
		h = func(_ context.Context, req []byte) ([]byte, bool) { return append([]byte("re:"), req...), true }
	}
	r, err := ListenRep(endpoint, h, ServerOptions{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func fixed(b string) func(int) ([]byte, error) {
	return func(int) ([]byte, error) { return []byte(b), nil }
}

func TestReqRoundTripReusesConnection(t *testing.T) {
	srv := echoRep(t, "tcp://127.0.0.1:0", nil)
	defer srv.Close()
	c, err := NewReqClient(srv.Endpoint(), ReqOptions{Timeout: 2 * time.Second, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range 3 {
		got, err := c.Request(context.Background(), fixed(fmt.Sprint("hello", i)))
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprint("re:hello", i); string(got) != want {
			t.Fatalf("got %q want %q", got, want)
		}
	}
	if n := srv.Accepted(); n != 1 {
		t.Fatalf("connections = %d, want 1 (kept)", n)
	}
	// A large body (long frames).
	big := bytes.Repeat([]byte("x"), 300000)
	got, err := c.Request(context.Background(), func(int) ([]byte, error) { return big, nil })
	if err != nil || len(got) != len(big)+3 {
		t.Fatalf("big: %v len %d", err, len(got))
	}
}

func TestReqTimeoutRebuildRetry(t *testing.T) {
	var calls atomic.Int32
	srv := echoRep(t, "tcp://127.0.0.1:0", func(_ context.Context, req []byte) ([]byte, bool) {
		if calls.Add(1) == 1 {
			return nil, false // lose the first reply
		}
		return req, true
	})
	defer srv.Close()
	c, _ := NewReqClient(srv.Endpoint(), ReqOptions{Timeout: 300 * time.Millisecond, Tries: 3, Logger: quiet()})
	defer c.Close()
	var tries []int
	got, err := c.Request(context.Background(), func(try int) ([]byte, error) {
		tries = append(tries, try)
		return []byte(fmt.Sprint("payload-", try)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "payload-2" {
		t.Fatalf("reply %q, want the fresh payload of try 2", got)
	}
	if fmt.Sprint(tries) != "[1 2]" {
		t.Fatalf("tries %v", tries)
	}
	if n := srv.Accepted(); n != 2 {
		t.Fatalf("connections = %d, want 2 (socket rebuilt after the timeout)", n)
	}
}

func TestReqAllTriesTimeOut(t *testing.T) {
	srv := echoRep(t, "tcp://127.0.0.1:0", func(context.Context, []byte) ([]byte, bool) { return nil, false })
	defer srv.Close()
	c, _ := NewReqClient(srv.Endpoint(), ReqOptions{Timeout: 150 * time.Millisecond, Tries: 3, Logger: quiet()})
	defer c.Close()
	start := time.Now()
	_, err := c.Request(context.Background(), fixed("x"))
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d < 400*time.Millisecond || d > 3*time.Second {
		t.Fatalf("took %v, want about 3 x 150ms", d)
	}
	if n := srv.Accepted(); n != 3 {
		t.Fatalf("connections = %d, want 3", n)
	}
}

func TestReqContextCancelAndClose(t *testing.T) {
	srv := echoRep(t, "tcp://127.0.0.1:0", func(context.Context, []byte) ([]byte, bool) { return nil, false })
	defer srv.Close()
	c, _ := NewReqClient(srv.Endpoint(), ReqOptions{Timeout: time.Minute, Logger: quiet()})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Request(ctx, fixed("x"))
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("err = %v after %v", err, time.Since(start))
	}
	// Close unblocks a waiting request.
	done := make(chan error, 1)
	go func() { _, err := c.Request(context.Background(), fixed("y")); done <- err }()
	time.Sleep(100 * time.Millisecond)
	c.Close()
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("err = %v, want ErrClosed", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Close did not unblock Request")
	}
}

func TestReqPeerRestart(t *testing.T) {
	srv := echoRep(t, "tcp://127.0.0.1:0", nil)
	addr := srv.Endpoint()
	c, _ := NewReqClient(addr, ReqOptions{Timeout: 2 * time.Second, Tries: 1, Logger: quiet()})
	defer c.Close()
	if _, err := c.Request(context.Background(), fixed("a")); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	srv2 := echoRep(t, addr, nil)
	defer srv2.Close()
	got, err := c.Request(context.Background(), fixed("b"))
	if err != nil || string(got) != "re:b" {
		t.Fatalf("after restart: %q %v", got, err)
	}
}

func TestReqWaitsForServerToAppear(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := "tcp://" + ln.Addr().String()
	ln.Close()
	c, _ := NewReqClient(addr, ReqOptions{Timeout: 3 * time.Second, Tries: 1, ReconnectInterval: 20 * time.Millisecond, Logger: quiet()})
	defer c.Close()
	srvc := make(chan *RepServer, 1)
	go func() {
		time.Sleep(300 * time.Millisecond)
		srvc <- echoRep(t, addr, nil)
	}()
	got, err := c.Request(context.Background(), fixed("late"))
	(<-srvc).Close()
	if err != nil || string(got) != "re:late" {
		t.Fatalf("%q %v", got, err)
	}
}

// rawServer accepts TCP connections and runs script on each; it is used to
// play silent, garbage or recorded peers.
func rawServer(t *testing.T, script func(net.Conn)) (string, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); defer c.Close(); script(c) }()
		}
	}()
	return "tcp://" + ln.Addr().String(), func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	}
}

func TestReqSilentPeerIsBounded(t *testing.T) {
	addr, stop := rawServer(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	defer stop()
	c, _ := NewReqClient(addr, ReqOptions{Timeout: 200 * time.Millisecond, Tries: 2, Logger: quiet()})
	defer c.Close()
	start := time.Now()
	_, err := c.Request(context.Background(), fixed("x"))
	if !errors.Is(err, ErrTimeout) || time.Since(start) > 3*time.Second {
		t.Fatalf("err=%v after %v", err, time.Since(start))
	}
}

func TestReqGarbagePeer(t *testing.T) {
	greeting := mustHex(t, "ff00000000000000017f03014e554c4c000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000")
	ready := mustHex(t, "04290552454144590b536f636b65742d5479706500000006524f55544552084964656e7469747900000000")
	cases := map[string][]byte{
		"not zmtp":       []byte("HTTP/1.1 400 Bad Request\r\n\r\n" + string(make([]byte, 64))),
		"huge frame":     append(append(append([]byte{}, greeting...), ready...), 0x03, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
		"huge multipart": append(append(append([]byte{}, greeting...), ready...), 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xf0),
		"no delimiter":   append(append(append([]byte{}, greeting...), ready...), 0x00, 0x02, 'h', 'i'),
		"truncated":      append(append(append([]byte{}, greeting...), ready...), 0x01, 0x00, 0x00, 0x10, 'h', 'i'),
	}
	for name, reply := range cases {
		t.Run(name, func(t *testing.T) {
			addr, stop := rawServer(t, func(c net.Conn) {
				c.Write(reply)
				io.Copy(io.Discard, c)
			})
			defer stop()
			c, _ := NewReqClient(addr, ReqOptions{Timeout: 300 * time.Millisecond, Tries: 2, MaxMessageSize: 1 << 20, Logger: quiet()})
			defer c.Close()
			if _, err := c.Request(context.Background(), fixed("x")); err == nil {
				t.Fatal("garbage accepted")
			}
		})
	}
}

func collect(t *testing.T, ch <-chan Message, n int, within time.Duration) []Message {
	t.Helper()
	var got []Message
	timeout := time.After(within)
	for len(got) < n {
		select {
		case m := <-ch:
			got = append(got, m)
		case <-timeout:
			t.Fatalf("got %d messages, want %d", len(got), n)
		}
	}
	return got
}

func TestSubReceivingRuleAndReconnect(t *testing.T) {
	pub, err := ListenPub("tcp://127.0.0.1:0", ServerOptions{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	addr := pub.Endpoint()
	var connects atomic.Int32
	sc, err := NewSubClient(addr, SubOptions{ID: "m1", ReconnectInterval: 50 * time.Millisecond, ReconnectIntervalMax: 200 * time.Millisecond,
		OnConnect: func() { connects.Add(1) }, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan Message, 16)
	done := make(chan error, 1)
	go func() { done <- sc.Run(ctx, out) }()
	defer func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v", err)
		}
	}()
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	if err := pub.WaitSubscribers(wctx, 1); err != nil {
		t.Fatal(err)
	}
	hexid := HexID("m1")
	if hexid != "ae23b94ccaf714337e4ce5ba99ef3dc257e300df" {
		t.Fatalf("hexid %s (spec 9.6)", hexid)
	}
	pub.Publish([]byte("one"))
	pub.Publish([]byte("other-minion-topic-xxxxxxxxxxxxxxxxxxxxxx"), []byte("not for us"))
	pub.Publish([]byte("broadcast"), []byte("two"))
	pub.Publish([]byte("a"), []byte("b"), []byte("three frames"))
	pub.Publish([]byte(hexid), []byte("three"))
	got := collect(t, out, 3, 5*time.Second)
	want := []string{"one", "two", "three"}
	for i, m := range got {
		if string(m.Payload) != want[i] {
			t.Fatalf("message %d = %q, want %q", i, m.Payload, want[i])
		}
	}
	if got[0].Topic != nil || string(got[1].Topic) != "broadcast" || string(got[2].Topic) != hexid {
		t.Fatalf("topics %q %q %q", got[0].Topic, got[1].Topic, got[2].Topic)
	}

	// Master restart on the same port: the client reconnects by itself.
	pub.Close()
	pub2, err := ListenPub(addr, ServerOptions{Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer pub2.Close()
	if err := pub2.WaitSubscribers(wctx, 1); err != nil {
		t.Fatal(err)
	}
	pub2.Publish([]byte("after restart"))
	if m := collect(t, out, 1, 5*time.Second); string(m[0].Payload) != "after restart" {
		t.Fatalf("got %q", m[0].Payload)
	}
	if connects.Load() != 2 {
		t.Fatalf("connects = %d", connects.Load())
	}
}

func TestSubSlowConsumerStopsCleanly(t *testing.T) {
	pub, _ := ListenPub("tcp://127.0.0.1:0", ServerOptions{Logger: quiet(), WriteTimeout: 200 * time.Millisecond})
	defer pub.Close()
	sc, _ := NewSubClient(pub.Endpoint(), SubOptions{ID: "m1", Logger: quiet()})
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan Message) // nobody reads
	done := make(chan error, 1)
	go func() { done <- sc.Run(ctx, out) }()
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	if err := pub.WaitSubscribers(wctx, 1); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		pub.Publish([]byte("x"))
	}
	cancel()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("Run did not stop")
	}
}

func TestSubUnreachableMasterStops(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := "tcp://" + ln.Addr().String()
	ln.Close()
	sc, _ := NewSubClient(addr, SubOptions{ID: "m1", ReconnectInterval: 10 * time.Millisecond, ReconnectIntervalMax: 50 * time.Millisecond, Logger: quiet()})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if err := sc.Run(ctx, make(chan Message)); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}
