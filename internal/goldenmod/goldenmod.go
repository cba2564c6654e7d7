// Package goldenmod is the "golden" execution module of
// testdata/salt-cli/3007.14/inputs/modules/golden.py and the "golden_run"
// runner module of inputs/runners/golden_run.py rewritten in Go, so that
// the CLI runs recorded from real Salt can be replayed against saltgo's
// front doors (salt-call, salt, salt-run). Test support only: no binary
// links it.
package goldenmod

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"sync"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
)

var registerExec, registerRunner sync.Once

// Register registers the golden execution module with the module host,
// once per process (tests may run with -count>1).
func Register() { registerExec.Do(func() { host.Register(Module()) }) }

// RegisterRunner registers the golden_run runner module, once per
// process.
func RegisterRunner() { registerRunner.Do(func() { host.Register(RunnerModule()) }) }

func goldenDoc(s string) string {
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

// echo is golden.echo and golden_run.echo.
func echo() *host.Func {
	return &host.Func{Name: "echo", VarArgs: true, VarKwargs: true, Doc: goldenDoc("Return exactly the args and kwargs received (dunder kwargs dropped), with reprs."), Fn: func(_ context.Context, c *host.Call) (any, error) {
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
	}}
}

func fixed(name, doc string, v func() any) *host.Func {
	return &host.Func{Name: name, Doc: goldenDoc(doc), Fn: func(context.Context, *host.Call) (any, error) { return v(), nil }}
}

var goldenState = func() *data.Map {
	return data.M(
		"file_|-motd_|-/srv/example/motd_|-managed", data.M("result", true, "comment", "File /srv/example/motd is in the correct state", "changes", data.NewMap(), "name", "/srv/example/motd", "__run_num__", 0, "__id__", "motd", "__sls__", "golden", "start_time", "10:00:00.000000", "duration", 1.5),
		"cmd_|-say_hello_|-echo hello_|-run", data.M("result", true, "comment", `Command "echo hello" run`, "changes", data.M("pid", 1234, "retcode", 0, "stdout", "hello", "stderr", ""), "name", "echo hello", "__run_num__", 1, "__id__", "say_hello", "__sls__", "golden", "start_time", "10:00:00.001500", "duration", 10.25),
		"pkg_|-tools_|-tools_|-installed", data.M("result", false, "comment", "The following packages failed to install: foo\nsecond line", "changes", data.NewMap(), "name", "tools", "__run_num__", 2, "__id__", "tools", "__sls__", "golden", "start_time", "10:00:00.011750", "duration", 100.0),
		"service_|-web_|-nginx_|-running", data.M("result", nil, "comment", "Service nginx is set to start", "changes", data.M("nginx", data.M("old", "stopped", "new", "running")), "name", "nginx", "__run_num__", 3, "__id__", "web", "__sls__", "golden", "start_time", "10:00:00.111750", "duration", 0.5),
	)
}

func ints(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = int64(i)
	}
	return out
}

// Module returns the golden module (register it once with host.Register).
func Module() *host.Module {
	two63 := new(big.Int).Lsh(big.NewInt(1), 63)
	f := []*host.Func{
		fixed("none", "Return None.", func() any { return nil }),
		fixed("true", "Return True.", func() any { return true }),
		fixed("false", "Return False.", func() any { return false }),
		fixed("zero", "Return 0.", func() any { return int64(0) }),
		fixed("neg", "Return -1.", func() any { return int64(-1) }),
		fixed("float", "Return 3.5.", func() any { return 3.5 }),
		fixed("empty_str", "Return an empty string.", func() any { return "" }),
		fixed("text", "Return the string 'text'.", func() any { return "text" }),
		fixed("multiline", "Return a string with an embedded newline.", func() any { return "multi\nline" }),
		fixed("unicode", "Return a non-ASCII string.", func() any { return "h\u00e9llo \u2713" }),
		fixed("empty_list", "Return an empty list.", func() any { return []any{} }),
		fixed("empty_dict", "Return an empty dict.", func() any { return data.NewMap() }),
		fixed("list", "Return a list of plain strings.", func() any { return []any{"a", "b", "c"} }),
		fixed("scalars", "Return a list of mixed scalars.", func() any {
			return []any{int64(1), "two", 3.5, true, false, nil, "", int64(-1), int64(0)}
		}),
		fixed("nested", "Return a nested dict with lists of dicts.", func() any {
			return data.M("name", "web", "ports", []any{int64(80), int64(443)},
				"servers", []any{data.M("host", "a", "up", true, "weight", 1.5), data.M("host", "b", "up", false, "tags", []any{})},
				"meta", data.M("empty_dict", data.NewMap(), "empty_list", []any{}, "empty_str", "", "none", nil, "zero", int64(0),
					"deep", data.M("x", data.M("y", []any{int64(1), []any{int64(2), int64(3)}, data.M("z", nil)}))),
				"multi", "l1\nl2", "unicode", "h\u00e9llo \u2713")
		}),
		fixed("int_keys", "Return a dict whose keys are ints.", func() any {
			return data.M(10, "ten", 2, "two", 1, "one", -1, "minus one")
		}),
		fixed("mixed_keys", "Return a dict whose keys mix str and int (not sortable together).", func() any {
			return data.M("b", 1, 2, "two", "a", nil)
		}),
		fixed("long_string", "Return a long single-line string (500 characters).", func() any {
			return strings.Repeat("0123456789 abcdefghijklmnopqrstuvwxyz ", 20)[:500]
		}),
		fixed("long_in_dict", "Return a dict holding a long string and a long list.", func() any {
			return data.M("long", strings.TrimSpace(strings.Repeat("word ", 60)), "numbers", ints(25))
		}),
		fixed("numbers", "Return a dict of assorted numbers.", func() any {
			return data.M("int", 42, "neg", -7, "float", 0.1, "whole_float", 2.0, "big", two63, "exp_big", 1e20, "exp_small", 1e-7, "third", 1.0/3)
		}),
		fixed("tricky_strings", "Return strings that look like other YAML types or need quoting.", func() any {
			l := []any{}
			for _, s := range []string{"yes", "no", "on", "true", "null", "~", "123", "1.5", "0x10", "010", "1e3", "2014-01-01", "", " lead", "trail ", "a: b", "- x", "#x", "it's", `"dq"`, "tab\there", "multi\nline", "h\u00e9llo \u2713", "{x}", "[1]", "*star", "&amp", "!bang", "@at", "%pct", "`tick", "key=value"} {
				l = append(l, s)
			}
			return l
		}),
		fixed("bool_none_values", "Return a dict mapping to None/True/False and empty containers.", func() any {
			return data.M("none", nil, "true", true, "false", false, "empty_list", []any{}, "empty_dict", data.NewMap(), "empty_str", "", "list_with_none", []any{nil, true, false})
		}),
		fixed("state", "Return a state-run-like dict (4 states: ok, ok with changes, failed, test=None).", func() any { return goldenState() }),
		{Name: "state_hs", Outputter: "highstate", Doc: goldenDoc("Same data as golden.state, but declared with the highstate outputter."), Fn: func(context.Context, *host.Call) (any, error) { return goldenState(), nil }},
		{Name: "as_txt", Outputter: "txt", Doc: goldenDoc("Return a dict, declared with the txt outputter."), Fn: func(context.Context, *host.Call) (any, error) {
			return data.M("a", 1, "b", []any{"x", "y"}), nil
		}},
		echo(),
		{Name: "two", Params: []host.Param{host.Req("a"), host.Req("b")}, Doc: goldenDoc("Take exactly two positional arguments and return them.\n\nCLI Example:\n\n.. code-block:: bash\n\n    salt '*' golden.two 1 2"), Fn: func(_ context.Context, c *host.Call) (any, error) {
			return []any{c.Get("a"), c.Get("b")}, nil
		}},
		{Name: "boom", Doc: goldenDoc("Raise a plain ValueError."), Fn: func(context.Context, *host.Call) (any, error) {
			return nil, errors.New("ValueError: boom: golden failure")
		}},
		{Name: "cee", Doc: goldenDoc("Raise CommandExecutionError."), Fn: func(context.Context, *host.Call) (any, error) {
			return nil, host.Errorf("golden command failed")
		}},
		{Name: "sie", Doc: goldenDoc("Raise SaltInvocationError."), Fn: func(context.Context, *host.Call) (any, error) {
			return nil, host.Invalidf("golden invalid invocation")
		}},
		fixed("result_false", "Return a dict with result False.", func() any {
			return data.M("result", false, "comment", "golden failure\nsecond line")
		}),
		fixed("success_false", "Return a dict with success False.", func() any {
			return data.M("success", false, "comment", "golden no success")
		}),
		{Name: "retcode3", Doc: goldenDoc("Set __context__['retcode'] = 3 and return a string."), Fn: func(_ context.Context, c *host.Call) (any, error) {
			c.Retcode = 3
			return "retcode set to 3", nil
		}},
	}
	for _, fn := range f {
		switch fn.Name {
		case "none", "true", "false", "float", "list":
			fn.PyName = fn.Name + "_"
		}
	}
	return &host.Module{Kind: host.Exec, Name: "golden", Doc: "Golden test module.", Funcs: f}
}
