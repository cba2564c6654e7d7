// Package module is Salt's module state module (salt/states/module.py):
// module.run in both syntaxes, module.wait/watch and mod_watch. Every
// execution function is bound and invoked through the host registry.
//
// As in Salt 3007, the syntax is chosen from the arguments: a keyword
// without a dot (m_name, an argument name...) or only a name selects the
// legacy form (`name: mod.fun` plus the function's arguments), otherwise
// each `mod.fun: [args and {kwargs}]` keyword is a call (the new form).
package module

import (
	"context"
	"fmt"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/state"
)

func init() {
	host.Register(&host.Module{Kind: host.State, Name: "module", Doc: "Execution of Salt modules from within states",
		Funcs: []*host.Func{
			{Name: "run", VarKwargs: true, Fn: run, Doc: "Run a single module function or a range of module functions in a batch."},
			{Name: "mod_watch", VarKwargs: true, Fn: run, Doc: "Alias of module.run."},
			{Name: "wait", Params: []host.Param{host.Req("name")}, VarKwargs: true, Fn: wait, Doc: "Run a single module function only if the watch statement calls it"},
			{Name: "watch", Params: []host.Param{host.Req("name")}, VarKwargs: true, Fn: wait, Doc: "Alias of module.wait."},
		}})
}

func wait(_ context.Context, c *host.Call) (any, error) {
	return data.M("name", c.Get("name"), "changes", data.NewMap(), "result", true, "comment", ""), nil
}

func run(ctx context.Context, c *host.Call) (any, error) {
	kw := c.Kwargs()
	legacy := false
	var keys []string
	kw.Range(func(k, _ any) bool {
		ks := data.Str(k)
		if ks == "name" || ks == "__reqs__" || ks == "sfun" || strings.HasPrefix(ks, "__pub_") {
			return true
		}
		keys = append(keys, ks)
		if !strings.Contains(ks, ".") {
			legacy = true
		}
		return true
	})
	if len(keys) == 0 && kw.Len() > 0 {
		legacy = true
	}
	if legacy {
		return legacyRun(ctx, c, kw)
	}
	return newRun(ctx, c, kw)
}

// exists reports whether fun is a loaded execution function.
func exists(fun string) bool {
	_, _, err := host.Lookup(host.Exec, fun)
	return err == nil
}

// call runs an execution function the way module.py calls __salt__[fun]:
// the values are bound as given (host.Lookup, host.Bind, host.Invoke, the
// registry's run path without host.Run's argument loading, which would
// read a positional "key=value" string as a keyword argument, as a
// published job does but module.run does not).
func call(ctx context.Context, env *host.Env, fun string, pos []any, kw *data.Map) (any, error) {
	f, _, err := host.Lookup(host.Exec, fun)
	if err != nil {
		return nil, err
	}
	if kw == nil {
		kw = data.NewMap()
	}
	c, err := host.Bind(f, pos, kw)
	if err != nil {
		return nil, err
	}
	c.Env, c.Fun = env, fun
	return host.Invoke(ctx, c)
}

func newRun(ctx context.Context, c *host.Call, kw *data.Map) (any, error) {
	var names []any
	var funcs []string
	kw.Range(func(k, _ any) bool {
		ks := data.Str(k)
		if ks == "name" || strings.HasPrefix(ks, "__pub_") {
			return true
		}
		names = append(names, ks)
		if strings.Contains(ks, ".") {
			funcs = append(funcs, ks)
		}
		return true
	})
	if names == nil {
		names = []any{}
	}
	ret := data.M("name", names, "changes", data.NewMap(), "comment", "", "result", nil)
	if len(funcs) == 0 {
		ret.Set("comment", "No function provided.")
		ret.Set("result", false)
		return ret, nil
	}
	var missing, tests []string
	for _, f := range funcs {
		f = strings.SplitN(f, ":", 2)[0]
		if !exists(f) {
			missing = append(missing, f)
		} else if state.IsTest(c) {
			tests = append(tests, f)
		}
	}
	if len(missing) > 0 || len(tests) > 0 {
		var parts []string
		if len(missing) > 0 {
			parts = append(parts, fmt.Sprintf("Unavailable function%s: %s.", plural(len(missing)), strings.Join(missing, ", ")))
		} else {
			parts = append(parts, "")
		}
		if len(tests) > 0 {
			parts = append(parts, fmt.Sprintf("Function%s %s to be executed.", plural(len(tests)), strings.Join(tests, ", ")))
		} else {
			parts = append(parts, "")
		}
		ret.Set("comment", strings.TrimSpace(strings.Join(parts, " ")))
		if len(missing) > 0 {
			ret.Set("result", false)
		}
		return ret, nil
	}
	var failures, success []string
	changes := data.NewMap()
	for _, f := range funcs {
		fun := strings.SplitN(f, ":", 2)[0]
		fargs, _ := kw.Get(f)
		var pos []any
		fkw := data.NewMap()
		items, ok := fargs.([]any)
		if !ok && fargs != nil {
			items = []any{fargs}
		}
		for _, it := range items {
			if m, ok := it.(*data.Map); ok {
				m.Range(func(k, v any) bool { fkw.Set(k, v); return true })
			} else {
				pos = append(pos, it)
			}
		}
		if msg := missingArgs(fun, pos, fkw); msg != "" {
			failures = append(failures, fmt.Sprintf("'%s' failed: %s", f, msg))
			continue
		}
		fret, err := call(ctx, c.Env, fun, pos, fkw)
		if err != nil {
			failures = append(failures, fmt.Sprintf("'%s' failed: %v", f, err))
			continue
		}
		if !result(fret) {
			if m, ok := fret.(*data.Map); ok {
				cm, ok := m.Get("comment")
				if !ok {
					cm = "(error message N/A)"
				}
				failures = append(failures, fmt.Sprintf("'%s' failed: %s", f, data.Str(cm)))
			}
			if fret == false {
				failures = append(failures, fmt.Sprintf("'%s': False", f))
			}
			continue
		}
		shown := fret
		if m, ok := fret.(*data.Map); ok {
			cm, ok := m.Get("comment")
			if !ok {
				cm = "Success"
			}
			shown = cm
		}
		success = append(success, fmt.Sprintf("%s: %s", f, data.Str(shown)))
		changes.Set(f, fret)
	}
	ret.Set("changes", changes)
	ret.Set("comment", strings.Join(append(failures, success...), ", "))
	ret.Set("result", len(failures) == 0)
	return ret, nil
}

// missingArgs is salt.utils.functools.call_function's check: the required
// parameters given neither by position nor by keyword.
func missingArgs(fun string, pos []any, kw *data.Map) string {
	f, _, err := host.Lookup(host.Exec, fun)
	if err != nil {
		return ""
	}
	var missing []string
	n := 0
	for _, p := range f.Params {
		if p.Optional {
			continue
		}
		if n < len(pos) || kw.Has(p.Name) {
			n++
			continue
		}
		missing = append(missing, p.Name)
	}
	if len(missing) > 0 {
		return "Missing arguments: " + strings.Join(missing, ", ")
	}
	return ""
}

func plural(n int) string {
	if n > 1 {
		return "True"
	}
	return ""
}

// result is Salt's _get_result: a bool as it is; a dict fails when it (or
// a nested dict) holds result False or a non-zero retcode.
func result(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case *data.Map:
		return dictResult(x)
	}
	return true
}

func dictResult(m *data.Map) bool {
	ok := true
	m.Range(func(k, v any) bool {
		if (k == "result" && v == false) || (k == "retcode" && !data.Equal(v, int64(0))) {
			ok = false
			return false
		}
		if sub, isMap := v.(*data.Map); isMap {
			ok = dictResult(sub)
			return ok
		}
		return true
	})
	return ok
}

// renamed is the legacy syntax's m_ prefix for parameters that clash with
// the state's own arguments.
var renamed = map[string]bool{"name": true, "fun": true, "names": true, "state": true, "saltenv": true}

func legacyRun(ctx context.Context, c *host.Call, kwIn *data.Map) (any, error) {
	kw := kwIn.Copy()
	nv, _ := kw.Get("name")
	name := data.Str(nv)
	ret := data.M("name", name, "changes", data.NewMap(), "comment", "", "result", nil)
	f, _, err := host.Lookup(host.Exec, name)
	if err != nil {
		ret.Set("comment", fmt.Sprintf("Module function %s is not available", name))
		ret.Set("result", false)
		return ret, nil
	}
	if state.IsTest(c) {
		ret.Set("comment", fmt.Sprintf("Module function %s is set to execute", name))
		return ret, nil
	}
	kw.Delete("name")
	var args []any
	var missing []string
	for _, p := range f.Params {
		rarg := p.Name
		if renamed[p.Name] {
			rarg = "m_" + p.Name
		}
		if p.Optional {
			v := p.Default
			if x, ok := kw.Get(rarg); ok && rarg != p.Name {
				v = x
				kw.Delete(rarg)
			}
			if x, ok := kw.Get(p.Name); ok {
				v = x
				kw.Delete(p.Name)
			}
			args = append(args, v)
			continue
		}
		x, ok := kw.Get(rarg)
		if !ok {
			missing = append(missing, rarg)
			continue
		}
		kw.Delete(rarg)
		args = append(args, x)
	}
	if len(missing) > 0 {
		ret.Set("comment", "The following arguments are missing: "+strings.Join(missing, " "))
		ret.Set("result", false)
		return ret, nil
	}
	if f.VarArgs {
		if v, ok := kw.Get("args"); ok {
			l, isList := v.([]any)
			if !isList {
				ret.Set("comment", "'args' must be a list.")
				ret.Set("result", false)
				return ret, nil
			}
			args = append(args, l...)
		}
	}
	var nkw *data.Map
	if f.VarKwargs {
		if v, ok := kw.Get("kwargs"); ok {
			m, isMap := v.(*data.Map)
			if !isMap {
				ret.Set("comment", "'kwargs' must be a dict.")
				ret.Set("result", false)
				return ret, nil
			}
			nkw = m
		}
	}
	mret, err := call(ctx, c.Env, name, args, nkw)
	if err != nil {
		ret.Set("comment", fmt.Sprintf("Module function %s threw an exception. Exception: %v", name, err))
		ret.Set("result", false)
		return ret, nil
	}
	ret.Set("changes", data.M("ret", mret))
	ret.Set("comment", fmt.Sprintf("Module function %s executed", name))
	ret.Set("result", result(mret))
	return ret, nil
}
