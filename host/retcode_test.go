package host

import (
	"context"
	"testing"
)

// TestJobRetcode: a command run anywhere inside a job sets the job's
// retcode, the last one's wins (Salt's __context__['retcode'] after each
// cmd._run), a nested call shares its caller's slot, and a function's
// own c.Retcode still counts.
func TestJobRetcode(t *testing.T) {
	Register(&Module{Kind: Exec, Name: "jobrc", Funcs: []*Func{
		{Name: "runs", Params: []Param{Req("codes")}, Fn: func(ctx context.Context, c *Call) (any, error) {
			for _, rc := range c.Get("codes").([]any) {
				SetJobRetcode(ctx, int(rc.(int64)))
			}
			return true, nil
		}},
		{Name: "nested", Fn: func(ctx context.Context, c *Call) (any, error) {
			r := Run(ctx, c.Env, Request{Kind: Exec, Fun: "jobrc.runs", Args: []any{[]any{int64(5)}}})
			return r.Return, nil
		}},
		{Name: "own", Fn: func(ctx context.Context, c *Call) (any, error) {
			SetJobRetcode(ctx, 1)
			c.Retcode = 0 // as state.apply sets its retcode last
			return true, nil
		}},
	}})
	defer Unregister(Exec, "jobrc")
	for _, tc := range []struct {
		fun  string
		args []any
		code int
	}{
		{"jobrc.runs", []any{[]any{}}, 0},
		{"jobrc.runs", []any{[]any{int64(1)}}, 1},
		{"jobrc.runs", []any{[]any{int64(1), int64(0)}}, 0},
		{"jobrc.runs", []any{[]any{int64(0), int64(127)}}, 127},
		{"jobrc.nested", nil, 5},
		{"jobrc.own", nil, 0},
	} {
		r := Run(context.Background(), &Env{}, Request{Kind: Exec, Fun: tc.fun, Args: tc.args})
		if r.Err != nil || r.Retcode != tc.code || r.Success != (tc.code == 0) {
			t.Errorf("%s %v: retcode %d success %v err %v, want %d", tc.fun, tc.args, r.Retcode, r.Success, r.Err, tc.code)
		}
	}
	SetJobRetcode(context.Background(), 3) // outside a job: nothing to set, no panic
}
