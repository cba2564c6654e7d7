package run

import (
	"context"
	"errors"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
)

// The "golden_run" runner module of
// testdata/salt-cli/3007.14/inputs/runners/golden_run.py, rewritten in Go
// so that the recorded salt-run runs can be replayed against saltgo.
// Test-only.

func pyDoc(s string) string {
	var b strings.Builder
	b.WriteString("\n")
	for _, l := range strings.Split(s, "\n") {
		if l == "" {
			b.WriteString("\n")
		} else {
			b.WriteString("    " + l + "\n")
		}
	}
	return b.String() + "    "
}

func fixedRun(name, doc string, v func() any) *host.Func {
	return &host.Func{Name: name, Doc: pyDoc(doc), Fn: func(context.Context, *host.Call) (any, error) { return v(), nil }}
}

func goldenRunModule() *host.Module {
	return &host.Module{Kind: host.Runner, Name: "golden_run", Doc: "Tiny runner module used only to record golden salt-run outputs.", Funcs: []*host.Func{
		fixedRun("result", "Return a makina-states style result dict (success).", func() any {
			return data.M("result", true, "comment", "line1\nline2", "output", "", "trace", "", "changes", data.NewMap())
		}),
		fixedRun("result_false", "Return a makina-states style result dict (failure).", func() any {
			return data.M("result", false, "comment", "it failed\nsee trace", "output", "some output",
				"trace", "Traceback (most recent call last):\n  fake frame\nValueError: fake",
				"changes", data.M("file", data.M("old", "a", "new", "b")))
		}),
		fixedRun("nested", "Return a nested dict.", func() any {
			return data.M("name", "lab", "driver", "lxc",
				"containers", data.M(
					"c1", data.M("ip", "10.0.3.10", "running", true, "ports", []any{int64(22), int64(80)}),
					"c2", data.M("ip", "10.0.3.11", "running", false, "ports", []any{})),
				"settings", data.M("empty", data.NewMap(), "none", nil, "count", int64(2), "ratio", 0.5),
				"notes", "first\nsecond")
		}),
		fixedRun("none", "Return None.", func() any { return nil }),
		fixedRun("text", "Return a plain string.", func() any { return "runner text" }),
		{Name: "echo", VarArgs: true, VarKwargs: true, Doc: pyDoc("Return exactly the args and kwargs received (dunder kwargs dropped), with reprs."), Fn: func(_ context.Context, c *host.Call) (any, error) {
			args := c.Args()
			if args == nil {
				args = []any{}
			}
			kw, kwr := data.NewMap(), data.NewMap()
			c.Kwargs().Range(func(k, v any) bool {
				if s, _ := k.(string); !strings.HasPrefix(s, "__") {
					kw.Set(k, v)
					kwr.Set(k, data.Repr(v))
				}
				return true
			})
			ar := []any{}
			for _, a := range args {
				ar = append(ar, data.Repr(a))
			}
			return data.M("args", args, "kwargs", kw, "args_repr", ar, "kwargs_repr", kwr), nil
		}},
		{Name: "boom", Doc: pyDoc("Raise a plain ValueError."), Fn: func(context.Context, *host.Call) (any, error) {
			return nil, errors.New("ValueError: boom: golden runner failure")
		}},
		{Name: "retcode3", Doc: pyDoc("Set __context__['retcode'] = 3 and return a string."), Fn: func(_ context.Context, c *host.Call) (any, error) {
			c.Retcode = 3
			return "retcode set to 3", nil
		}},
		{Name: "two", Params: []host.Param{host.Req("a"), host.Req("b")}, Doc: pyDoc("Take exactly two positional arguments."), Fn: func(_ context.Context, c *host.Call) (any, error) {
			return []any{c.Get("a"), c.Get("b")}, nil
		}},
	}}
}
