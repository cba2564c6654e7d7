package defaults_test

import (
	"context"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	_ "github.com/saltgo/saltgo/modules/defaults"
)

// TestDefaults: the returns of salt/modules/defaults.py for the calls
// formulas make (Python's reprs).
func TestDefaults(t *testing.T) {
	dest := func() *data.Map { return data.M("a", data.M("x", 1, "l", []any{1}), "b", 2) }
	src := data.M("a", data.M("y", 3, "l", []any{1, 2}), "c", nil)
	cases := []struct {
		fun  string
		args []any
		want string
		err  bool
	}{
		{"defaults.merge", []any{dest(), src}, `{'a': {'x': 1, 'l': [1, 2], 'y': 3}, 'b': 2, 'c': None}`, false},
		{"defaults.merge", []any{dest(), src, data.M("__kwarg__", true, "merge_lists", true)}, `{'a': {'x': 1, 'l': [1, 2], 'y': 3}, 'b': 2, 'c': None}`, false},
		{"defaults.merge", []any{dest(), nil}, `{'a': {'x': 1, 'l': [1]}, 'b': 2}`, false},
		{"defaults.merge", []any{nil, src}, ``, true},
		{"defaults.merge", []any{nil, data.M("k", 1), data.M("__kwarg__", true, "in_place", false)}, `{'k': 1}`, false},
		{"defaults.update", []any{data.M("h1", data.M("i", 1), "h2", data.M("e", []any{"x"})), data.M("e", []any{"d"}, "i", 0)},
			`{'h1': {'e': ['d'], 'i': 1}, 'h2': {'e': ['d', 'x'], 'i': 0}}`, false},
		{"defaults.deepcopy", []any{data.M("a", []any{1})}, `{'a': [1]}`, false},
	}
	env := &host.Env{ID: "m", Opts: data.NewMap(), Pillar: data.NewMap()}
	for _, tc := range cases {
		r := host.Run(context.Background(), env, host.Request{Kind: host.Exec, Fun: tc.fun, Args: tc.args})
		if tc.err {
			if r.Err == nil {
				t.Errorf("%s%v = %s, want an error", tc.fun, tc.args, data.Repr(r.Return))
			}
			continue
		}
		if r.Err != nil {
			t.Fatalf("%s: %v", tc.fun, r.Err)
		}
		if got := data.Repr(r.Return); got != tc.want {
			t.Errorf("%s = %s, want %s", tc.fun, got, tc.want)
		}
	}
}
