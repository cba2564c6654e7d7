package state_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	minioncli "github.com/saltgo/saltgo/cli/minion"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileserver/fstest"
	"github.com/saltgo/saltgo/internal/mastertest"
)

// TestApplyThroughMaster publishes state.apply to a saltgo minion signed in
// to the test master, which serves the tree from its file_roots: the
// minion fetches top.sls and the SLS files over the request channel
// (_master_opts, _file_hash, _serve_file...), renders them and returns
// the results with retcode 2 for the failed state.
func TestApplyThroughMaster(t *testing.T) {
	dir := t.TempDir()
	srv := filepath.Join(dir, "srv")
	files := map[string]string{
		"top.sls":        "base:\n  'e2e.minion':\n    - e2e\n",
		"e2e/init.sls":   "include:\n  - .dep\nhello:\n  test.succeed_with_changes:\n    - name: {{ grains['id'] }}\n    - require:\n      - sls: e2e.dep\nbroken:\n  test.fail_without_changes\n",
		"e2e/dep.sls":    "dep:\n  test.nop\n",
		"other/init.sls": "other:\n  test.nop\n",
	}
	fstest.Write(t, srv, files)
	m, err := mastertest.Start(mastertest.Config{PKIDir: filepath.Join(dir, "master-pki"), Gen: 3, AutoAccept: true,
		FileRoots: map[string][]string{"base": {srv}}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	root := filepath.Join(dir, "root")
	startMinion(t, m, dir, fmt.Sprintf("id: e2e.minion\nroot_dir: %s\n", root))

	jid, _, err := m.Publish(mastertest.Job{Tgt: "e2e.minion", Fun: "state.apply"})
	if err != nil {
		t.Fatal(err)
	}
	r := m.WaitReturn(t, jid, 30*time.Second, nil)
	if rc, _ := r.Get("retcode"); rc != int64(2) {
		t.Errorf("retcode %v, want 2", rc)
	}
	ret, _ := r.Get("return")
	res, ok := ret.(*data.Map)
	if !ok {
		t.Fatalf("return %s, want a result map", data.Repr(ret))
	}
	want := []string{"test_|-dep_|-dep_|-nop", "test_|-hello_|-e2e.minion_|-succeed_with_changes", "test_|-broken_|-broken_|-fail_without_changes"}
	var got []string
	for i := range res.Len() {
		res.Range(func(k, v any) bool {
			if n, _ := data.AsInt(mustGet(v.(*data.Map), "__run_num__")); n == int64(i) {
				got = append(got, data.Str(k))
			}
			return true
		})
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("run order %v, want %v", got, want)
	}
	for _, p := range []string{"top.sls", "e2e/init.sls", "e2e/dep.sls"} {
		if _, err := os.Stat(filepath.Join(root, "var/cache/salt/minion/files/base", p)); err != nil {
			t.Errorf("%s was not fetched into the minion's file cache: %v", p, err)
		}
	}

	// test=True as a keyword argument, and state.show_top.
	jid, _, err = m.Publish(mastertest.Job{Tgt: "e2e.minion", Fun: "state.sls", Arg: []any{"e2e", data.M("__kwarg__", true, "test", true)}})
	if err != nil {
		t.Fatal(err)
	}
	ret, _ = m.WaitReturn(t, jid, 30*time.Second, nil).Get("return")
	if c := data.Str(mustGet(mustGet(ret.(*data.Map), "test_|-hello_|-e2e.minion_|-succeed_with_changes").(*data.Map), "comment")); c != "If we weren't testing, this would be successful with changes" {
		t.Errorf("test=True comment %q", c)
	}
	jid, _, err = m.Publish(mastertest.Job{Tgt: "e2e.minion", Fun: "state.show_top"})
	if err != nil {
		t.Fatal(err)
	}
	if ret, _ := m.WaitReturn(t, jid, 30*time.Second, nil).Get("return"); data.Repr(ret) != "{'base': ['e2e']}" {
		t.Errorf("show_top %s", data.Repr(ret))
	}
}

func mustGet(m *data.Map, k string) any {
	v, _ := m.Get(k)
	return v
}

// startMinion runs a saltgo minion (cli/minion, as the binary does) signed
// in to m, with conf added to its minion file (id, root_dir...), until the
// test ends; it returns once the minion subscribed to publishes.
func startMinion(t *testing.T, m *mastertest.Master, dir, conf string) {
	t.Helper()
	confDir := filepath.Join(dir, "conf")
	if err := os.MkdirAll(confDir, 0o755); err != nil {
		t.Fatal(err)
	}
	text := fmt.Sprintf("master: 127.0.0.1\nmaster_port: %d\nlog_level: warning\n%s", m.RetPort(), conf)
	if err := os.WriteFile(filepath.Join(confDir, "minion"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- minioncli.Main(ctx, "salt-minion", []string{"-c", confDir}, io.Discard, io.Discard) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("minion did not stop")
		}
	})
	wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
	defer wcancel()
	if err := m.WaitSubscribers(wctx, 1); err != nil {
		t.Fatalf("minion never subscribed: %v", err)
	}
	time.Sleep(200 * time.Millisecond)
}
