// Command interop runs saltgo's minion against a real Salt master for the
// interoperability checks recorded in docs/interop.md. It has a tiny
// built-in executor (mastertest.Exec's test.ping, test.arg and test.echo,
// grains.item, saltutil.find_job) so that it does not depend on the module
// host.
//
//	go run ./minion/internal/interop -master 127.0.0.1 -port 44506 -id gominion1 -dir /tmp/gominion1
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/internal/mastertest"
	"github.com/saltgo/saltgo/minion"
)

func main() {
	master := flag.String("master", "127.0.0.1", "master address")
	port := flag.Int("port", 4506, "master ret port")
	id := flag.String("id", "gominion1", "minion id")
	dir := flag.String("dir", "/tmp/gominion", "state directory (pki, cache)")
	dur := flag.Duration("for", 0, "stop after this long (0: until SIGTERM)")
	debug := flag.Bool("debug", false, "debug logging")
	flag.Parse()
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	grains := data.M("id", *id, "os", "Debian", "os_family", "Debian", "kernel", "Linux", "ipv4", []any{"127.0.0.1"}, "ipv6", []any{}, "saltgo", true)
	run := func(ctx context.Context, m *minion.Minion, fun string, args []any) (any, int, string, error) {
		pos, _ := mastertest.SplitArgs(args)
		switch fun {
		case "grains.item":
			out := data.NewMap()
			for _, p := range pos {
				k, _ := data.AsString(p)
				v, _ := grains.Get(k)
				out.Set(k, v)
			}
			return out, 0, "nested", nil
		case "saltutil.find_job":
			jid := ""
			if len(pos) > 0 {
				jid, _ = data.AsString(pos[0])
			}
			return m.FindJob(jid), 0, "", nil
		}
		ret, rc, out := mastertest.Exec(fun, args)
		return ret, rc, out, nil
	}
	exec := minion.ExecutorFunc(func(ctx context.Context, c *minion.Call) minion.Return {
		ret, rc, out, err := run(ctx, c.Minion, c.Fun, c.Args)
		if err != nil {
			return minion.Return{Return: "The minion function caused an exception: " + err.Error(), Retcode: 1, Out: "nested"}
		}
		return minion.Return{Return: ret, Retcode: rc, Out: out}
	})
	s := minion.Settings{ID: *id, Master: *master, MasterPort: *port,
		PKIDir: filepath.Join(*dir, "pki"), CacheDir: filepath.Join(*dir, "cache"),
		AcceptanceWaitTime: 2 * time.Second, EnableLegacyStartupEvents: true}
	m, err := minion.New(s, minion.Options{Executor: exec, Logger: log,
		Grains: func(context.Context) (*data.Map, error) { return grains, nil }})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *dur > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *dur)
		defer cancel()
	}
	if err := m.Run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "saltgo minion:", err)
		if ee, ok := err.(*minion.ExitError); ok {
			os.Exit(ee.Code)
		}
		os.Exit(1)
	}
}
