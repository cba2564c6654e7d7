package state_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	minioncli "github.com/saltgo/saltgo/cli/minion"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/internal/mastertest"
)

// TestGoldenViaMaster publishes every case recorded through a real master
// (testdata/states/*/golden/*_via_master.json) to a saltgo minion (id
// minion1, grain role: golden) signed in to the test master, which serves
// the tree from its file_roots: the minion fetches the files over the
// request channel and its job return must equal the Python minion's.
func TestGoldenViaMaster(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/states/*/golden/*_via_master.json")
	if len(files) == 0 {
		t.Fatal("no *_via_master goldens under testdata/states")
	}
	for _, f := range files {
		src := filepath.Dir(filepath.Dir(f))
		t.Run(filepath.Base(src)+"/"+strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var g golden
			if err := json.Unmarshal(b, &g); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			root := filepath.Join(dir, "root")
			m, err := mastertest.Start(mastertest.Config{PKIDir: filepath.Join(dir, "master-pki"), Gen: 3, AutoAccept: true,
				FileRoots: map[string][]string{"base": {copyTree(t, src)}}})
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			conf := filepath.Join(dir, "conf")
			if err := os.MkdirAll(conf, 0o755); err != nil {
				t.Fatal(err)
			}
			cfg := fmt.Sprintf("id: minion1\nmaster: 127.0.0.1\nmaster_port: %d\nroot_dir: %s\nlog_level: warning\ngrains:\n  role: golden\n", m.RetPort(), filepath.Join(dir, "minion"))
			if err := os.WriteFile(filepath.Join(conf, "minion"), []byte(cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan int, 1)
			go func() { done <- minioncli.Main(ctx, "salt-minion", []string{"-c", conf}, io.Discard, io.Discard) }()
			defer func() {
				cancel()
				select {
				case <-done:
				case <-time.After(10 * time.Second):
					t.Error("minion did not stop")
				}
			}()
			wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
			defer wcancel()
			if err := m.WaitSubscribers(wctx, 1); err != nil {
				t.Fatalf("minion never subscribed: %v", err)
			}
			time.Sleep(200 * time.Millisecond)
			args := []any{}
			for _, a := range g.Args {
				args = append(args, data.Deep(a))
			}
			if kw, _ := load(t, g.Kwargs, root).(*data.Map); kw != nil && kw.Len() > 0 {
				k := data.M("__kwarg__", true)
				kw.Range(func(key, v any) bool { k.Set(key, v); return true })
				args = append(args, k)
			}
			jid, _, err := m.Publish(mastertest.Job{Tgt: "minion1", Fun: g.Fun, Arg: args})
			if err != nil {
				t.Fatal(err)
			}
			r := m.WaitReturn(t, jid, 60*time.Second, nil)
			if rc, _ := data.AsInt(mustGet(r, "retcode")); rc != int64(g.Retcode) {
				t.Errorf("retcode %d, want %d", rc, g.Retcode)
			}
			want := load(t, g.Return, root)
			got := data.Deep(mustGet(r, "return"))
			if isResults(want) {
				compareResults(t, got, want.(*data.Map))
				return
			}
			if !data.Equal(got, want) {
				t.Errorf("return differs:\n got  %s\n want %s", data.Repr(got), data.Repr(want))
			}
		})
	}
}
