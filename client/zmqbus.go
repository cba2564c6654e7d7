package client

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-zeromq/zmq4"
)

// zmqSource reads the 2014.7/2015.8 master event bus: a ZeroMQ PUB socket
// (ipc://sock_dir/master_event_pub.ipc, or tcp://127.0.0.1:4512 with
// ipc_mode tcp) publishing one single-frame message per event. go-zeromq
// speaks ZMTP 3 only: a master linked against libzmq 3.x (ZMTP 2) cannot
// be read this way.
type zmqSource struct {
	sock   zmq4.Socket
	cancel context.CancelFunc
	pipe
}

func dialZMQBus(ctx context.Context, addr BusAddress, log *slog.Logger) (EventSource, error) {
	sctx, cancel := context.WithCancel(context.Background())
	sock := zmq4.NewSub(sctx, zmq4.WithDialerMaxRetries(0), zmq4.WithDialerTimeout(5*time.Second))
	stop := context.AfterFunc(ctx, cancel)
	err := sock.Dial(addr.String())
	stop()
	if err == nil {
		err = sock.SetOption(zmq4.OptionSubscribe, "")
	}
	if err != nil {
		cancel()
		_ = sock.Close()
		return nil, busDialError(addr, err)
	}
	z := &zmqSource{sock: sock, cancel: cancel, pipe: newPipe(log)}
	go z.read()
	return z, nil
}

func (z *zmqSource) read() {
	for {
		msg, err := z.sock.Recv()
		if err != nil {
			z.fail(fmt.Errorf("read event bus: %w", err))
			return
		}
		if len(msg.Frames) == 0 {
			continue
		}
		ev, err := ParseEventBody(msg.Frames[len(msg.Frames)-1])
		if !z.deliver(ev, err, "event bus: skipping message") {
			return
		}
	}
}

// Close implements EventSource.
func (z *zmqSource) Close() error {
	z.once.Do(func() { close(z.done) })
	z.cancel()
	return z.sock.Close()
}
