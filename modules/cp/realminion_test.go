package cp_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient/fctest"
	"github.com/saltgo/saltgo/fileserver/fstest"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/transport/wiretest"
)

// realGolden is a testdata/states/<tree>/golden/cp_*.json file: a cp call
// recorded from a Python 3007.14 minion (salt-call through a master that
// served the tree).
type realGolden struct {
	Fun    string          `json:"fun"`
	Args   []any           `json:"args"`
	Kwargs map[string]any  `json:"kwargs"`
	Return json.RawMessage `json:"return"`
}

// TestRealMinionGoldens runs each recorded cp call through a saltgo
// minion signed in to mastertest serving the same tree (without its
// golden/ folder, as recorded) and compares the return with the Python
// minion's (the minion's cachedir stands for
// @MINION_ROOT@/var/cache/salt/minion).
func TestRealMinionGoldens(t *testing.T) {
	files, err := filepath.Glob("../../testdata/states/*/golden/cp_*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no recorded cp goldens under testdata/states")
	}
	byTree := map[string][]string{}
	for _, f := range files {
		tree := filepath.Dir(filepath.Dir(f))
		byTree[tree] = append(byTree[tree], f)
	}
	for tree, gs := range byTree {
		sort.Strings(gs)
		t.Run(filepath.Base(tree), func(t *testing.T) {
			served := t.TempDir()
			fstest.Copy(t, tree, served, func(rel string) bool { return rel == "golden" })
			rig := fctest.Start(t, map[string][]string{"base": {served}})
			env := &host.Env{ID: "minion1", Grains: data.M("id", "minion1"), Pillar: data.NewMap(), Opts: rig.Opts()}
			env.Services.Master = rig.Minion
			for _, f := range gs {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				var g realGolden
				if err := json.Unmarshal(b, &g); err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				args := append([]any{}, g.Args...)
				if len(g.Kwargs) > 0 {
					kwm := data.M("__kwarg__", true)
					for k, v := range g.Kwargs {
						kwm.Set(k, v)
					}
					args = append(args, kwm)
				}
				res := host.Run(context.Background(), env, host.Request{Kind: host.Exec, Fun: g.Fun, Args: data.Normalize(args).([]any)})
				if res.Err != nil {
					t.Errorf("%s: %v", filepath.Base(f), res.Err)
					continue
				}
				want, err := wiretest.View(g.Return)
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				got := normalize(res.Return, rig.CacheDir)
				want = normalize(want, "@MINION_ROOT@/var/cache/salt/minion")
				if !data.Equal(got, want) {
					t.Errorf("%s: got %s, the Python minion returned %s", filepath.Base(f), data.Repr(got), data.Repr(want))
				}
			}
		})
	}
}

func normalize(v any, cachedir string) any {
	switch x := v.(type) {
	case string:
		return strings.ReplaceAll(x, cachedir, "@CACHE@")
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e, cachedir)
		}
		return out
	case *data.Map:
		out := data.NewMap()
		x.Range(func(k, val any) bool { out.Set(k, normalize(val, cachedir)); return true })
		return out
	}
	return v
}
