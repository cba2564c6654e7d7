package pillar_test

import (
	"context"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	_ "github.com/saltgo/saltgo/modules/pillar"
)

// TestPillarGetMerge: pillar.get with merge=True updates a copy of a dict
// default with the pillar's dict, extends a list default, and leaves the
// default alone otherwise (salt/modules/pillar.py get).
func TestPillarGetMerge(t *testing.T) {
	pillar := data.M("app", data.M("port", 9090, "hosts", data.M("db", "1.2.3.4"), "l", []any{"b"}), "pkgs", []any{"b", "c"}, "s", "str")
	env := &host.Env{ID: "m", Opts: data.NewMap(), Pillar: pillar}
	def := data.M("port", 80, "workers", 2, "hosts", data.M("cache", "5.6.7.8"), "l", []any{"a"})
	kw := func(kv ...any) *data.Map { return data.M(append([]any{"__kwarg__", true, "merge", true}, kv...)...) }
	cases := []struct {
		args []any
		want string
	}{
		{[]any{"app", kw("default", def)}, `{'port': 9090, 'workers': 2, 'hosts': {'cache': '5.6.7.8', 'db': '1.2.3.4'}, 'l': ['b']}`},
		{[]any{"app", kw("default", def, "merge_nested_lists", true)}, `{'port': 9090, 'workers': 2, 'hosts': {'cache': '5.6.7.8', 'db': '1.2.3.4'}, 'l': ['a', 'b']}`},
		{[]any{"missing", kw("default", def)}, `{'port': 80, 'workers': 2, 'hosts': {'cache': '5.6.7.8'}, 'l': ['a']}`},
		{[]any{"pkgs", kw("default", []any{"a", "b"})}, `['a', 'b', 'c']`},
		{[]any{"s", kw("default", def)}, `'str'`},
		{[]any{"app:port", kw("default", 1)}, `9090`},
	}
	for _, tc := range cases {
		r := host.Run(context.Background(), env, host.Request{Kind: host.Exec, Fun: "pillar.get", Args: tc.args})
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		if got := data.Repr(r.Return); got != tc.want {
			t.Errorf("pillar.get %v = %s, want %s", tc.args, got, tc.want)
		}
	}
	if got := data.Repr(def); got != `{'port': 80, 'workers': 2, 'hosts': {'cache': '5.6.7.8'}, 'l': ['a']}` {
		t.Errorf("the default changed: %s", got)
	}
}

// TestItemsOverride: pillar.items pillar={...} returns the pillar with the
// override merged in, and leaves the pillar itself as it was.
func TestItemsOverride(t *testing.T) {
	env := &host.Env{ID: "m", Opts: data.NewMap(), Pillar: data.M("a", data.M("x", 1), "b", 2)}
	r := host.Run(context.Background(), env, host.Request{Kind: host.Exec, Fun: "pillar.items",
		Args: []any{data.M("__kwarg__", true, "pillar", data.M("a", data.M("y", 2), "root", "/r"))}})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	if got, want := data.Repr(r.Return), `{'a': {'x': 1, 'y': 2}, 'b': 2, 'root': '/r'}`; got != want {
		t.Errorf("pillar.items = %s, want %s", got, want)
	}
	if got := data.Repr(env.Pillar); got != `{'a': {'x': 1}, 'b': 2}` {
		t.Errorf("the pillar changed: %s", got)
	}
	r = host.Run(context.Background(), env, host.Request{Kind: host.Exec, Fun: "pillar.items", Args: []any{data.M("__kwarg__", true, "pillar", "x")}})
	if r.Err == nil {
		t.Errorf("pillar.items pillar='x' = %v, want an error", r.Return)
	}
}
