package goldenmod

import (
	"context"
	"errors"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
)

// RunnerModule returns the golden_run runner module (register it once with
// host.Register).
func RunnerModule() *host.Module {
	return &host.Module{Kind: host.Runner, Name: "golden_run", Doc: "Tiny runner module used only to record golden salt-run outputs.", Funcs: []*host.Func{
		fixed("result", "Return a makina-states style result dict (success).", func() any {
			return data.M("result", true, "comment", "line1\nline2", "output", "", "trace", "", "changes", data.NewMap())
		}),
		fixed("result_false", "Return a makina-states style result dict (failure).", func() any {
			return data.M("result", false, "comment", "it failed\nsee trace", "output", "some output",
				"trace", "Traceback (most recent call last):\n  fake frame\nValueError: fake",
				"changes", data.M("file", data.M("old", "a", "new", "b")))
		}),
		fixed("nested", "Return a nested dict.", func() any {
			return data.M("name", "lab", "driver", "lxc",
				"containers", data.M(
					"c1", data.M("ip", "10.0.3.10", "running", true, "ports", []any{int64(22), int64(80)}),
					"c2", data.M("ip", "10.0.3.11", "running", false, "ports", []any{})),
				"settings", data.M("empty", data.NewMap(), "none", nil, "count", int64(2), "ratio", 0.5),
				"notes", "first\nsecond")
		}),
		fixed("none", "Return None.", func() any { return nil }),
		fixed("text", "Return a plain string.", func() any { return "runner text" }),
		echo(),
		{Name: "boom", Doc: goldenDoc("Raise a plain ValueError."), Fn: func(context.Context, *host.Call) (any, error) {
			return nil, errors.New("ValueError: boom: golden runner failure")
		}},
		{Name: "retcode3", Doc: goldenDoc("Set __context__['retcode'] = 3 and return a string."), Fn: func(_ context.Context, c *host.Call) (any, error) {
			c.Retcode = 3
			return "retcode set to 3", nil
		}},
		{Name: "two", Params: []host.Param{host.Req("a"), host.Req("b")}, Doc: goldenDoc("Take exactly two positional arguments."), Fn: func(_ context.Context, c *host.Call) (any, error) {
			return []any{c.Get("a"), c.Get("b")}, nil
		}},
	}}
}
