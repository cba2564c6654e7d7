package host

import (
	"context"
	"errors"
	"testing"

	"github.com/saltgo/saltgo/data"
)

func TestRunStages(t *testing.T) {
	Register(&Module{Kind: Exec, Name: "runtest", Funcs: []*Func{
		{Name: "one", Params: []Param{Req("a")}, Fn: func(_ context.Context, c *Call) (any, error) { return c.Get("a"), nil }},
		{Name: "panics", Fn: func(context.Context, *Call) (any, error) { panic("oops") }},
		{Name: "fails", Fn: func(context.Context, *Call) (any, error) { return nil, errors.New("bad") }},
		{Name: "grains", Fn: func(_ context.Context, c *Call) (any, error) { return c.Env.Grains, nil }},
	}})
	defer Unregister(Exec, "runtest")
	g := data.M("id", "x")
	env := &Env{Grains: g}
	tests := []struct {
		fun   string
		args  []any
		stage Stage
		ret   any
		code  int
	}{
		{"runtest.one", []any{int64(1)}, 0, int64(1), 0},
		{"runtest.nosuch", nil, StageLookup, nil, 1},
		{"runtest.one", []any{data.M("__kwarg__", true, "zz", int64(1))}, StageArgs, nil, 1},
		{"runtest.one", nil, StageCall, nil, 1},
		{"runtest.panics", nil, StageCall, nil, 1},
		{"runtest.fails", nil, StageCall, nil, 1},
		{"runtest.grains", nil, 0, g, 0},
	}
	for _, tc := range tests {
		r := Run(context.Background(), env, Request{Kind: Exec, Fun: tc.fun, Args: tc.args})
		if r.Stage != tc.stage || r.Retcode != tc.code || (tc.stage == 0) != (r.Err == nil) {
			t.Errorf("%s %v: stage %v retcode %d err %v", tc.fun, tc.args, r.Stage, r.Retcode, r.Err)
		}
		if tc.stage == 0 && r.Return != tc.ret {
			t.Errorf("%s: return %#v, want %#v", tc.fun, r.Return, tc.ret)
		}
	}
	var pnc *PanicError
	if r := Run(context.Background(), env, Request{Kind: Exec, Fun: "runtest.panics"}); !errors.As(r.Err, &pnc) {
		t.Errorf("panic not recovered as *PanicError: %v", r.Err)
	}
}
