package state_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
			var g recorded
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
			startMinion(t, m, dir, fmt.Sprintf("id: minion1\nroot_dir: %s\ngrains:\n  role: golden\n", filepath.Join(dir, "minion")))
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
