package state_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/internal/golden"
	_ "github.com/saltgo/saltgo/modules/all"
	"github.com/saltgo/saltgo/saltyaml"
)

// recorded is one recorded Python-minion run (testdata/states/<tree>/golden).
type recorded struct {
	Fun     string          `json:"fun"`
	Args    []any           `json:"args"`
	Kwargs  json.RawMessage `json:"kwargs"`
	Retcode int             `json:"retcode"`
	Return  json.RawMessage `json:"return"`
}

func load(t *testing.T, raw []byte, root string) any {
	t.Helper()
	s := strings.ReplaceAll(string(raw), "@ROOT@", root)
	v, err := saltyaml.Load([]byte(s))
	if err != nil {
		t.Fatalf("golden: %v", err)
	}
	return v
}

// goldenEnv is a masterless minion1 whose file_roots is tree: the
// recording's minion had the config grain role: golden.
func goldenEnv(t *testing.T, tree string) *host.Env {
	opts := data.M("id", "minion1", "file_roots", data.M("base", []any{tree}), "cachedir", t.TempDir(), "file_client", "local", "hash_type", "sha256", "test", false, "renderer", "jinja|yaml", "state_auto_order", true, "failhard", false)
	return &host.Env{ID: "minion1", Opts: opts, Local: true, Log: slog.New(slog.DiscardHandler),
		Grains: data.M("id", "minion1", "os", "Debian", "os_family", "Debian", "shell", "/bin/sh", "role", "golden"), Pillar: data.NewMap()}
}

// copyTree copies a state tree without its golden/ folder into a
// temporary directory.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "tree")
	golden.CopyTree(t, src, dst)
	return dst
}

// runningJobs is the job table of the recording's minion while
// misc/running_first (a state.apply sleeping 8 s) ran.
type runningJobs struct{}

func (runningJobs) Running() []*data.Map {
	return []*data.Map{data.M("fun", "state.apply", "pid", int64(7833), "jid", "20261203153903928287")}
}
func (runningJobs) FindJob(string) *data.Map { return data.NewMap() }
func (runningJobs) KillJob(string) bool      { return false }

// caseOrder is the order the cases of a tree were recorded in: the second
// runs reuse the root of apply (testdata/states/README.md).
func caseOrder(name string) int {
	switch name {
	case "apply":
		return 0
	case "apply_again":
		return 1
	case "apply_test_converged":
		return 2
	case "apply_test":
		return 3
	}
	return 4
}

// hostSafe are the trees this in-process test may apply on the host: they
// write only below the pillar root. The other trees under testdata/states
// change a whole system (packages, accounts, /etc/hosts: pkg, accounts,
// host, grains, formulas...) and run only inside a Debian container
// (internal/everyday); a new tree is never applied here unless named.
var hostSafe = map[string]bool{"req": true, "order": true, "inc": true, "files": true, "cmd": true, "jinja": true, "errors": true, "misc": true}

func TestGoldenTrees(t *testing.T) {
	trees, _ := filepath.Glob("../../testdata/states/*/golden")
	if len(trees) == 0 {
		t.Fatal("no goldens under testdata/states")
	}
	n := 0
	for _, gdir := range trees {
		src := filepath.Dir(gdir)
		if !hostSafe[filepath.Base(src)] {
			continue
		}
		files, _ := filepath.Glob(filepath.Join(gdir, "*.json"))
		var cases []string
		for _, f := range files {
			c := strings.TrimSuffix(filepath.Base(f), ".json")
			// cp.* goldens are modules/cp's (TestRealMinionGoldens), the disk
			// snapshot is checked after apply, running_first is the
			// background job of the running cases.
			if strings.HasPrefix(c, "cp_") || strings.HasSuffix(c, ".disk") || c == "running_first" {
				continue
			}
			cases = append(cases, c)
		}
		sort.SliceStable(cases, func(i, j int) bool { return caseOrder(cases[i]) < caseOrder(cases[j]) })
		t.Run(filepath.Base(src), func(t *testing.T) {
			tree := copyTree(t, src)
			applyRoot := filepath.Join(t.TempDir(), "apply")
			for _, c := range cases {
				root := filepath.Join(t.TempDir(), "root")
				if caseOrder(c) <= 2 {
					root = applyRoot
				}
				n++
				t.Run(c, func(t *testing.T) {
					runGolden(t, tree, filepath.Join(gdir, c+".json"), root, c == "running" || c == "running_conflict")
					if c == "apply" {
						checkDisk(t, filepath.Join(gdir, "apply.disk.json"), root)
					}
				})
			}
		})
	}
	if n == 0 {
		t.Fatal("no state goldens found")
	}
}

// runGolden applies one recorded case masterless and compares the return.
func runGolden(t *testing.T, tree, f, root string, busy bool) {
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	var g recorded
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	want := load(t, g.Return, root)
	args := []any{}
	for _, a := range g.Args {
		args = append(args, data.Deep(a))
	}
	if len(g.Kwargs) > 0 {
		kw, _ := load(t, g.Kwargs, root).(*data.Map)
		if kw != nil && kw.Len() > 0 {
			k := data.M("__kwarg__", true)
			kw.Range(func(key, v any) bool { k.Set(key, v); return true })
			args = append(args, k)
		}
	}
	env := goldenEnv(t, tree)
	if busy {
		env.Services.Jobs = runningJobs{}
	}
	res := host.Execute(context.Background(), env, host.Exec, g.Fun, args, data.M("jid", "20261203160000000000", "fun", g.Fun))
	if res.Retcode != g.Retcode {
		t.Errorf("retcode %d, want %d", res.Retcode, g.Retcode)
	}
	got := data.Deep(res.Return)
	if isResults(want) {
		compareResults(t, got, want.(*data.Map))
		return
	}
	if !data.Equal(got, want) {
		t.Errorf("return differs:\n got  %s\n want %s", data.Repr(got), data.Repr(want))
	}
}

// checkDisk compares what apply left below root with the recorded
// snapshot (type, mode, content, link target), when there is one.
func checkDisk(t *testing.T, snap, root string) {
	t.Helper()
	b, err := os.ReadFile(snap)
	if os.IsNotExist(err) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]map[string]any
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]any{}
	err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." {
			rel = "@ROOT@"
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		e := map[string]any{"mode": fmt.Sprintf("%04o", fi.Mode().Perm())}
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			e["type"], e["target"] = "symlink", strings.ReplaceAll(l, root, "@ROOT@")
		case fi.IsDir():
			e["type"] = "dir"
		default:
			// the recording wrote @ROOT@ for the root in contents too
			c, _ := os.ReadFile(p)
			e["type"], e["content"] = "file", strings.ReplaceAll(string(c), root, "@ROOT@")
		}
		got[rel] = e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("disk: %s missing", k)
			continue
		}
		for f, wv := range w {
			if fmt.Sprint(g[f]) != fmt.Sprint(wv) {
				t.Errorf("disk: %s %s = %v, want %v", k, f, g[f], wv)
			}
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("disk: unexpected %s", k)
		}
	}
}

func isResults(v any) bool {
	m, ok := v.(*data.Map)
	if !ok || m.Len() == 0 {
		return false
	}
	ok = true
	m.Range(func(k, v any) bool {
		r, isMap := v.(*data.Map)
		if !strings.Contains(data.Str(k), "_|-") || !isMap || !r.Has("__run_num__") {
			ok = false
		}
		return ok
	})
	return ok
}

func get(m *data.Map, k string) any {
	v, _ := m.Get(k)
	return v
}

// failedSet sorts the names of "One or more requisite failed: a, b" (Python
// lists them in set order).
func failedSet(c any) any {
	s, ok := c.(string)
	const p = "One or more requisite failed: "
	if !ok || !strings.HasPrefix(s, p) {
		return c
	}
	parts := strings.Split(strings.TrimPrefix(s, p), ", ")
	sort.Strings(parts)
	return p + strings.Join(parts, ", ")
}

func runOrder(m *data.Map) []string {
	keys := []string{}
	m.Range(func(k, _ any) bool { keys = append(keys, data.Str(k)); return true })
	sort.SliceStable(keys, func(i, j int) bool {
		a, _ := data.AsInt(get(get(m, keys[i]).(*data.Map), "__run_num__"))
		b, _ := data.AsInt(get(get(m, keys[j]).(*data.Map), "__run_num__"))
		return a < b
	})
	return keys
}

func compareResults(t *testing.T, gotV any, want *data.Map) {
	t.Helper()
	got, ok := gotV.(*data.Map)
	if !ok {
		t.Fatalf("return is %s, want a result map", data.Repr(gotV))
	}
	if g, w := runOrder(got), runOrder(want); strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Errorf("keys in run order differ:\n got  %s\n want %s", strings.Join(g, "\n      "), strings.Join(w, "\n      "))
	}
	want.Range(func(k, wv any) bool {
		tag := data.Str(k)
		gv, ok := got.Get(k)
		if !ok {
			return true
		}
		w, g := wv.(*data.Map), gv.(*data.Map)
		for _, f := range []string{"result", "name", "__sls__", "__id__", "__state_ran__", "skip_watch"} {
			if data.Str(get(w, f)) != data.Str(get(g, f)) || w.Has(f) != g.Has(f) {
				t.Errorf("%s: %s = %s, want %s", tag, f, data.Repr(get(g, f)), data.Repr(get(w, f)))
			}
		}
		if !data.Equal(failedSet(get(g, "comment")), failedSet(get(w, "comment"))) {
			t.Errorf("%s: comment = %s, want %s", tag, data.Repr(get(g, "comment")), data.Repr(get(w, "comment")))
		}
		if !data.Equal(stripPid(get(g, "changes")), stripPid(get(w, "changes"))) {
			t.Errorf("%s: changes = %s, want %s", tag, data.Repr(get(g, "changes")), data.Repr(get(w, "changes")))
		}
		for _, f := range []string{"start_time", "duration"} {
			if w.Has(f) != g.Has(f) || fmt.Sprintf("%T", get(w, f)) != fmt.Sprintf("%T", get(g, f)) {
				t.Errorf("%s: %s is %T, want %T", tag, f, get(g, f), get(w, f))
			}
		}
		return true
	})
}

// stripPid drops the volatile pid of cmd changes.
func stripPid(v any) any {
	m, ok := v.(*data.Map)
	if !ok || !m.Has("pid") {
		return v
	}
	c := m.Copy()
	c.Delete("pid")
	return c
}
