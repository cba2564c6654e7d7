// Package sys is Salt's sys execution module: it answers from saltgo's
// module registry what functions exist, their docs and their signatures.
package sys

import (
	"context"
	"path"
	"sort"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
)

func init() {
	host.Register(&host.Module{Kind: host.Exec, Name: "sys", Doc: "Introspection of the functions this host serves.", Funcs: []*host.Func{
		{Name: "doc", VarArgs: true, Doc: "\n    Return the docstrings of execution functions: all of them, those of\n    a module (sys.doc test), of one function, or of a glob (test.*).\n\n    CLI Example:\n\n        salt '*' sys.doc test.ping\n    ", Fn: kindDoc(host.Exec)},
		{Name: "list_functions", VarArgs: true, Doc: "\n    List the execution functions, optionally of some modules or globs.\n\n    CLI Example:\n\n        salt '*' sys.list_functions test\n    ", Fn: kindFunctions(host.Exec)},
		{Name: "list_modules", VarArgs: true, Doc: "\n    List the available execution modules, optionally matching globs.\n\n    CLI Example:\n\n        salt '*' sys.list_modules\n    ", Fn: kindModules(host.Exec)},
		{Name: "argspec", Params: []host.Param{host.Opt("module", "")}, Doc: "\n    Return the argument specification of execution functions.\n\n    CLI Example:\n\n        salt '*' sys.argspec test.arg\n    ", Fn: kindArgspec(host.Exec)},
		{Name: "list_runners", VarArgs: true, Doc: "\n    List the runner modules saltgo hosts.\n\n    CLI Example:\n\n        salt '*' sys.list_runners\n    ", Fn: kindModules(host.Runner)},
		{Name: "list_runner_functions", VarArgs: true, Doc: "\n    List the runner functions saltgo hosts.\n\n    CLI Example:\n\n        salt '*' sys.list_runner_functions\n    ", Fn: kindFunctions(host.Runner)},
		{Name: "runner_doc", VarArgs: true, Doc: "\n    Return the docstrings of runner functions.\n\n    CLI Example:\n\n        salt '*' sys.runner_doc mc_cloud_lxc\n    ", Fn: kindDoc(host.Runner)},
		{Name: "runner_argspec", Params: []host.Param{host.Opt("module", "")}, Doc: "\n    Return the argument specification of runner functions.\n\n    CLI Example:\n\n        salt '*' sys.runner_argspec mc_cloud_lxc\n    ", Fn: kindArgspec(host.Runner)},
		{Name: "reload_modules", Doc: "\n    Modules are compiled into saltgo: nothing to reload. Returns True.\n\n    CLI Example:\n\n        salt '*' sys.reload_modules\n    ", Fn: func(context.Context, *host.Call) (any, error) { return true, nil }},
	}})
}

// matches reports whether fun is selected by one of Salt's sys.* selectors:
// a glob, an exact function name, or a module name ("sys" or "sys.").
func matches(fun, sel string) bool {
	if strings.Contains(sel, "*") {
		ok, _ := path.Match(sel, fun)
		return ok
	}
	if sel == "" {
		return true
	}
	prefix := sel
	if !strings.HasSuffix(prefix, ".") {
		prefix += "."
	}
	return fun == sel || strings.HasPrefix(fun, prefix)
}

func selected(kind host.Kind, args []any) []string {
	all := host.FunctionNames(kind)
	if len(args) == 0 {
		return all
	}
	var out []string
	for _, fun := range all {
		for _, a := range args {
			if s, ok := a.(string); ok && matches(fun, s) {
				out = append(out, fun)
				break
			}
		}
	}
	return out
}

func kindDoc(kind host.Kind) func(context.Context, *host.Call) (any, error) {
	return func(_ context.Context, c *host.Call) (any, error) {
		out := data.NewMap()
		for _, fun := range selected(kind, c.Args()) {
			f, _, _ := host.Lookup(kind, fun)
			if f == nil {
				continue
			}
			out.Set(fun, host.StripRST(f.Doc))
		}
		return out, nil
	}
}

func kindFunctions(kind host.Kind) func(context.Context, *host.Call) (any, error) {
	return func(_ context.Context, c *host.Call) (any, error) {
		l := []any{}
		for _, f := range selected(kind, c.Args()) {
			l = append(l, f)
		}
		return l, nil
	}
}

func kindModules(kind host.Kind) func(context.Context, *host.Call) (any, error) {
	return func(_ context.Context, c *host.Call) (any, error) {
		var names []string
		for _, m := range host.Modules(kind) {
			if m.Available() != nil {
				continue
			}
			if len(c.Args()) == 0 {
				names = append(names, m.Name)
				continue
			}
			for _, a := range c.Args() {
				if s, ok := a.(string); ok {
					if ok, _ := path.Match(s, m.Name); ok {
						names = append(names, m.Name)
						break
					}
				}
			}
		}
		sort.Strings(names)
		l := []any{}
		for _, n := range names {
			l = append(l, n)
		}
		return l, nil
	}
}

// Argspec returns Salt's argspec dict for a function.
func Argspec(f *host.Func) *data.Map {
	var args, defaults any
	if len(f.Params) > 0 {
		names := []any{}
		defs := []any{}
		for _, p := range f.Params {
			names = append(names, p.Name)
			if p.Optional {
				defs = append(defs, p.Default)
			}
		}
		args = names
		if len(defs) > 0 {
			defaults = defs
		}
	}
	var varargs, kwargs any
	if f.VarArgs {
		varargs = true
	}
	if f.VarKwargs {
		kwargs = true
	}
	return data.M("args", args, "defaults", defaults, "varargs", varargs, "kwargs", kwargs)
}

func kindArgspec(kind host.Kind) func(context.Context, *host.Call) (any, error) {
	return func(_ context.Context, c *host.Call) (any, error) {
		sel := c.Str("module")
		out := data.NewMap()
		for _, fun := range host.FunctionNames(kind) {
			if !matches(fun, sel) {
				continue
			}
			if f, _, _ := host.Lookup(kind, fun); f != nil {
				out.Set(fun, Argspec(f))
			}
		}
		return out, nil
	}
}
