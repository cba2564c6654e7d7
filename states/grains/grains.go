// Package grains is Salt's grains state module (salt/states/grains.py):
// present, absent, list_present and list_absent, editing the static grains
// file through the grains execution module (grains.set, grains.append,
// grains.remove), so the file is written as that module writes it.
package grains

import (
	"context"
	"fmt"
	"strings"

	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/state"
)

func init() {
	delim := host.Opt("delimiter", ":")
	host.Register(&host.Module{Kind: host.State, Name: "grains", Doc: "Manage grains on the minion",
		Funcs: []*host.Func{
			{Name: "present", Params: []host.Param{host.Req("name"), host.Req("value"), delim, host.Opt("force", false)},
				VarKwargs: true, Fn: present, Doc: "Ensure that a grain is set"},
			{Name: "absent", Params: []host.Param{host.Req("name"), host.Opt("destructive", false), delim, host.Opt("force", false)},
				VarKwargs: true, Fn: absent, Doc: "Delete a grain from the grains config file"},
			{Name: "list_present", Params: []host.Param{host.Req("name"), host.Req("value"), delim},
				VarKwargs: true, Fn: listPresent, Doc: "Ensure the value is present in the list-type grain"},
			{Name: "list_absent", Params: []host.Param{host.Req("name"), host.Req("value"), delim},
				VarKwargs: true, Fn: listAbsent, Doc: "Delete a value from a grain formed as a list"},
		}})
}

// exec runs an execution function with keyword arguments in the state's env.
func exec(ctx context.Context, env *host.Env, fun string, kv ...any) (any, error) {
	f, _, err := host.Lookup(host.Exec, fun)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fun, err)
	}
	call, err := host.Bind(f, nil, data.M(kv...))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fun, err)
	}
	call.Env, call.Fun = env, fun
	v, err := host.Invoke(ctx, call)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fun, err)
	}
	return v, nil
}

// name returns the state's name with the delimiter replaced by ':' (Salt's
// re.sub(delimiter, ':', name)).
func name(c *host.Call) string {
	n, d := c.Str("name"), c.Str("delimiter")
	if d == "" || d == ":" {
		return n
	}
	return strings.ReplaceAll(n, d, ":")
}

// lookup is grains.get with a sentinel default: the value and whether the
// grain exists.
func lookup(c *host.Call, key string) (any, bool) {
	if c.Env == nil || c.Env.Grains == nil {
		return nil, false
	}
	return config.Traverse(c.Env.Grains, key, ":")
}

func ret(name string) *data.Map {
	return data.M("name", name, "changes", data.NewMap(), "result", true, "comment", "")
}

// fromSet turns grains.set's {comment, changes, result} into a state ret.
func fromSet(name string, v any) *data.Map {
	r := ret(name)
	if m, ok := v.(*data.Map); ok {
		for _, k := range []string{"changes", "result", "comment"} {
			if x, ok := m.Get(k); ok {
				r.Set(k, x)
			}
		}
	}
	return r
}

func fail(r *data.Map, err error) (any, error) {
	r.Set("result", false)
	r.Set("comment", err.Error())
	return r, nil
}

func present(ctx context.Context, c *host.Call) (any, error) {
	n := name(c)
	value := c.Get("value")
	r := ret(n)
	existing, exists := lookup(c, n)
	if exists && data.Equal(existing, value) {
		r.Set("comment", "Grain is already set")
		return r, nil
	}
	if state.IsTest(c) {
		r.Set("result", nil)
		if !exists {
			r.Set("comment", fmt.Sprintf("Grain %s is set to be added", n))
			r.Set("changes", data.M("new", n))
		} else {
			r.Set("comment", fmt.Sprintf("Grain %s is set to be changed", n))
			r.Set("changes", data.M("changed", data.M(n, value)))
		}
		return r, nil
	}
	v, err := exec(ctx, c.Env, "grains.set", "key", n, "val", value, "force", c.Bool("force"))
	if err != nil {
		return fail(r, err)
	}
	r = fromSet(n, v)
	if ch, _ := r.Get("changes"); field(r, "result") == true && data.Truthy(ch) {
		r.Set("comment", fmt.Sprintf("Set grain %s to %s", n, data.Str(value)))
	}
	return r, nil
}

func contains(l []any, v any) bool {
	for _, e := range l {
		if data.Equal(e, v) {
			return true
		}
	}
	return false
}

func listPresent(ctx context.Context, c *host.Call) (any, error) {
	n := name(c)
	value := c.Get("value")
	r := ret(n)
	grain, ok := lookup(c, n)
	if !ok {
		grain = "" // grains.get's default
	}
	if data.Truthy(grain) {
		gl, isList := grain.([]any)
		if !isList {
			r.Set("result", false)
			r.Set("comment", fmt.Sprintf("Grain %s is not a valid list", n))
			return r, nil
		}
		if vl, ok := value.([]any); ok {
			var inter, diff []any
			for _, nv := range vl {
				if contains(gl, nv) {
					inter = append(inter, nv)
				} else {
					diff = append(diff, nv)
				}
			}
			if len(diff) == 0 {
				r.Set("comment", fmt.Sprintf("Value %s is already in grain %s", data.Str(value), n))
				return r, nil
			}
			value = diff
			if len(inter) > 0 {
				r.Set("comment", fmt.Sprintf("Removed value %s from update due to value found in \"%s\".\n", data.Str(inter), n))
			}
		} else if contains(gl, value) {
			r.Set("comment", fmt.Sprintf("Value %s is already in grain %s", data.Str(value), n))
			return r, nil
		}
		if state.IsTest(c) {
			r.Set("result", nil)
			r.Set("comment", fmt.Sprintf("Value %s is set to be appended to grain %s", data.Str(value), n))
			r.Set("changes", data.M("new", grain))
			return r, nil
		}
	}
	if state.IsTest(c) {
		r.Set("result", nil)
		r.Set("comment", fmt.Sprintf("Grain %s is set to be added", n))
		r.Set("changes", data.M("new", grain))
		return r, nil
	}
	newGrains, err := exec(ctx, c.Env, "grains.append", "key", n, "val", value)
	if err != nil {
		return fail(r, err)
	}
	actual, _ := lookup(c, n)
	al, _ := actual.([]any)
	want := []any{value}
	if vl, ok := value.([]any); ok {
		want = vl
	}
	for _, nv := range want {
		if !contains(al, nv) {
			r.Set("result", false)
			r.Set("comment", fmt.Sprintf("Failed append value %s to grain %s", data.Str(value), n))
			return r, nil
		}
	}
	r.Set("comment", fmt.Sprintf("%sAppend value %s to grain %s", data.Str(field(r, "comment")), data.Str(value), n))
	r.Set("changes", data.M("new", newGrains))
	return r, nil
}

func listAbsent(ctx context.Context, c *host.Call) (any, error) {
	n := name(c)
	value := c.Get("value")
	r := ret(n)
	grain, _ := lookup(c, n)
	if !data.Truthy(grain) {
		r.Set("comment", fmt.Sprintf("Grain %s does not exist", n))
		return r, nil
	}
	gl, ok := grain.([]any)
	if !ok {
		r.Set("result", false)
		r.Set("comment", fmt.Sprintf("Grain %s is not a valid list", n))
		return r, nil
	}
	vals, ok := value.([]any)
	if !ok {
		vals = []any{value}
	}
	var comments []string
	var deleted []any
	for _, v := range vals {
		switch {
		case !contains(gl, v):
			comments = append(comments, fmt.Sprintf("Value %s is absent from grain %s", data.Str(v), n))
		case state.IsTest(c):
			r.Set("result", nil)
			comments = append(comments, fmt.Sprintf("Value %s in grain %s is set to be deleted", data.Str(v), n))
			deleted = append(deleted, v)
		default:
			if _, err := exec(ctx, c.Env, "grains.remove", "key", n, "val", v); err != nil {
				return fail(r, err)
			}
			comments = append(comments, fmt.Sprintf("Value %s was deleted from grain %s", data.Str(v), n))
			deleted = append(deleted, v)
		}
	}
	if deleted != nil {
		r.Set("changes", data.M("deleted", deleted))
	}
	r.Set("comment", strings.Join(comments, "\n"))
	return r, nil
}

func absent(ctx context.Context, c *host.Call) (any, error) {
	n := name(c)
	destructive := c.Get("destructive") == true
	r := ret(n)
	grain, exists := lookup(c, n)
	if !exists {
		r.Set("comment", fmt.Sprintf("Grain %s does not exist", n))
		return r, nil
	}
	if state.IsTest(c) {
		r.Set("result", nil)
		switch {
		case destructive:
			r.Set("comment", fmt.Sprintf("Grain %s is set to be deleted", n))
			r.Set("changes", data.M("deleted", n))
		case grain != nil:
			r.Set("comment", fmt.Sprintf("Value for grain %s is set to be deleted (None)", n))
			r.Set("changes", data.M("grain", n, "value", nil))
		}
		return r, nil
	}
	v, err := exec(ctx, c.Env, "grains.set", "key", n, "val", nil, "destructive", destructive, "force", c.Bool("force"))
	if err != nil {
		return fail(r, err)
	}
	r = fromSet(n, v)
	if data.Truthy(field(r, "result")) {
		switch {
		case destructive:
			r.Set("comment", fmt.Sprintf("Grain %s was deleted", n))
			r.Set("changes", data.M("deleted", n))
		case grain != nil:
			r.Set("comment", fmt.Sprintf("Value for grain %s was set to None", n))
			r.Set("changes", data.M("grain", n, "value", nil))
		}
	}
	return r, nil
}

func field(m *data.Map, k string) any {
	v, _ := m.Get(k)
	return v
}
