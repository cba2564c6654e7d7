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
	_ "github.com/saltgo/saltgo/modules/all"
	"github.com/saltgo/saltgo/saltyaml"
)

// golden is one recorded Python-minion run (testdata/states/<tree>/golden).
type golden struct {
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

// goldenEnv is a masterless minion1 whose file_roots is the tree.
func goldenEnv(t *testing.T, tree string) *host.Env {
	abs, err := filepath.Abs(tree)
	if err != nil {
		t.Fatal(err)
	}
	opts := data.M("id", "minion1", "file_roots", data.M("base", []any{abs}), "cachedir", t.TempDir(), "file_client", "local", "hash_type", "sha256", "test", false, "renderer", "jinja|yaml", "state_auto_order", true, "failhard", false)
	return &host.Env{ID: "minion1", Opts: opts, Local: true, Log: slog.New(slog.DiscardHandler),
		Grains: data.M("id", "minion1", "os", "Debian", "os_family", "Debian", "shell", "/bin/sh"), Pillar: data.NewMap()}
}

// missingStates lists the state modules a recorded result map uses that
// are not compiled in on this branch.
func missingStates(ret any) []string {
	m, ok := ret.(*data.Map)
	if !ok {
		return nil
	}
	var out []string
	m.Range(func(k, _ any) bool {
		mod, _, ok := strings.Cut(data.Str(k), "_|-")
		if !ok || mod == "no" || mod == "Listen_Error" {
			return true
		}
		if _, ok := host.GetModule(host.State, mod); !ok && !contains(out, mod) {
			out = append(out, mod)
		}
		return true
	})
	return out
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func TestGoldenTrees(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/states/*/golden/*.json")
	if len(files) == 0 {
		t.Fatal("no goldens under testdata/states")
	}
	for _, f := range files {
		tree := filepath.Dir(filepath.Dir(f))
		name := filepath.Base(tree) + "/" + strings.TrimSuffix(filepath.Base(f), ".json")
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var g golden
			if err := json.Unmarshal(b, &g); err != nil {
				t.Fatal(err)
			}
			root := t.TempDir()
			want := load(t, g.Return, root)
			if miss := missingStates(want); len(miss) > 0 {
				t.Logf("not compared: state modules %v are not compiled in on this branch", miss)
				return
			}
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
			res := host.Execute(context.Background(), env, host.Exec, g.Fun, args, data.M("jid", "20261203102138202444", "fun", g.Fun))
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
		})
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
