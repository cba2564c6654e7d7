package zmq

import (
	"context"
	"testing"
	"time"

	"github.com/go-zeromq/zmq4"
)

// These tests check our sockets against go-zeromq's own socket layer, a
// second independent ZMTP peer.

func TestInteropGoZeromqReqAgainstOurServer(t *testing.T) {
	srv := echoRep(t, "tcp://127.0.0.1:0", nil)
	defer srv.Close()
	req := zmq4.NewReq(context.Background(), zmq4.WithLogger(nil), zmq4.WithTimeout(5*time.Second))
	defer req.Close()
	if err := req.Dial(srv.Endpoint()); err != nil {
		t.Fatal(err)
	}
	if err := req.Send(zmq4.NewMsgString("ping")); err != nil {
		t.Fatal(err)
	}
	got := make(chan zmq4.Msg, 1)
	go func() { m, _ := req.Recv(); got <- m }()
	select {
	case m := <-got:
		if string(m.Frames[len(m.Frames)-1]) != "re:ping" {
			t.Fatalf("got %q", m.Frames)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no reply")
	}
}

func TestInteropOurReqAgainstGoZeromqRep(t *testing.T) {
	rep := zmq4.NewRep(context.Background())
	defer rep.Close()
	if err := rep.Listen("tcp://127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	go func() {
		m, err := rep.Recv()
		if err != nil {
			return
		}
		rep.Send(zmq4.NewMsgString("pong:" + string(m.Frames[0])))
	}()
	c, _ := NewReqClient("tcp://"+rep.Addr().String(), ReqOptions{Timeout: 5 * time.Second, Tries: 1, Logger: quiet()})
	defer c.Close()
	got, err := c.Request(context.Background(), fixed("ping"))
	if err != nil || string(got) != "pong:ping" {
		t.Fatalf("%q %v", got, err)
	}
}

func TestInteropSubAgainstGoZeromqPub(t *testing.T) {
	pub := zmq4.NewPub(context.Background())
	defer pub.Close()
	if err := pub.Listen("tcp://127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	connected := make(chan struct{}, 1)
	sc, _ := NewSubClient("tcp://"+pub.Addr().String(), SubOptions{ID: "m1", Logger: quiet(), OnConnect: func() { connected <- struct{}{} }})
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan Message, 4)
	done := make(chan error, 1)
	go func() { done <- sc.Run(ctx, out) }()
	defer func() { cancel(); <-done }()
	<-connected
	// Wait for go-zeromq to register the subscription, then publish.
	deadline := time.Now().Add(5 * time.Second)
	for {
		pub.Send(zmq4.NewMsgString("hello"))
		select {
		case m := <-out:
			if string(m.Payload) != "hello" {
				t.Fatalf("got %q", m.Payload)
			}
			return
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("nothing received")
		}
	}
}

func TestInteropGoZeromqSubAgainstOurPub(t *testing.T) {
	ps, _ := ListenPub("tcp://127.0.0.1:0", ServerOptions{Logger: quiet()})
	defer ps.Close()
	sub := zmq4.NewSub(context.Background())
	defer sub.Close()
	if err := sub.Dial(ps.Endpoint()); err != nil {
		t.Fatal(err)
	}
	sub.SetOption(zmq4.OptionSubscribe, "")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ps.WaitSubscribers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	ps.Publish([]byte("broadcast"), []byte("body"))
	got := make(chan zmq4.Msg, 1)
	go func() { m, _ := sub.Recv(); got <- m }()
	select {
	case m := <-got:
		if len(m.Frames) != 2 || string(m.Frames[1]) != "body" {
			t.Fatalf("got %q", m.Frames)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing received")
	}
}
