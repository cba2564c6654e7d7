// Package fctest starts what file-client tests need: the test master
// serving file_roots and a real saltgo minion signed in to it, whose
// request channel the remote file client uses. Test support only.
package fctest

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/internal/mastertest"
	"github.com/saltgo/saltgo/minion"
)

// Rig is a test master with one signed-in minion.
type Rig struct {
	Master *mastertest.Master
	Minion *minion.Minion
	// CacheDir is the minion's cachedir.
	CacheDir string
}

// Start starts mastertest serving roots and a saltgo minion "minion1"
// signed in to it; both stop when the test ends.
func Start(t testing.TB, roots map[string][]string) *Rig {
	t.Helper()
	dir := t.TempDir()
	m, err := mastertest.Start(mastertest.Config{PKIDir: filepath.Join(dir, "master-pki"), Gen: 3, AutoAccept: true, FileRoots: roots})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	s := minion.Settings{
		ID: "minion1", Master: "127.0.0.1", MasterPort: m.RetPort(),
		PKIDir: filepath.Join(dir, "pki"), CacheDir: filepath.Join(dir, "cache"),
		AuthTimeout: 5 * time.Second, AuthTries: 2, RequestTimeout: 20 * time.Second, RequestTries: 1,
		AcceptanceWaitTime: 150 * time.Millisecond, ReconDefault: 30 * time.Millisecond, ReconMax: 150 * time.Millisecond,
		ReturnRetryTimer: 100 * time.Millisecond, ReturnRetryTimerMax: 200 * time.Millisecond,
	}
	ready := make(chan struct{})
	var once sync.Once
	mn, err := minion.New(s, minion.Options{
		Executor:          minion.ExecutorFunc(func(context.Context, *minion.Call) minion.Return { return minion.Return{Return: true} }),
		Logger:            slog.New(slog.DiscardHandler),
		RejectedExitDelay: func() time.Duration { return 0 },
		Ready:             func() { once.Do(func() { close(ready) }) },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mn.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("minion did not stop")
		}
	})
	select {
	case <-ready:
	case <-time.After(20 * time.Second):
		t.Fatal("minion not ready")
	}
	return &Rig{Master: m, Minion: mn, CacheDir: s.CacheDir}
}

// Opts are the minion options a file client of this rig needs.
func (r *Rig) Opts() *data.Map {
	return data.M("id", "minion1", "cachedir", r.CacheDir, "hash_type", "sha256", "file_client", "remote")
}

// FileLoads drains the master's recorded requests and returns the
// file-server ones (the minion's own requests are skipped).
func (r *Rig) FileLoads() []*data.Map {
	var out []*data.Map
	for {
		select {
		case req := <-r.Master.Requests():
			cmd, _ := req.Load.String("cmd")
			for _, p := range []string{"_file", "_serve", "_dir", "_symlink", "_master_"} {
				if strings.HasPrefix(cmd, p) {
					out = append(out, req.Load)
					break
				}
			}
		default:
			return out
		}
	}
}

// Cmds returns the cmd of each load.
func Cmds(loads []*data.Map) []string {
	out := make([]string, len(loads))
	for i, l := range loads {
		out[i], _ = l.String("cmd")
	}
	return out
}
