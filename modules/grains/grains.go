// Package grains is Salt's grains execution module: read this host's grains
// and edit the static grains file (/etc/salt/grains style), atomically.
package grains

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/saltgo/saltgo/data"
	grainspkg "github.com/saltgo/saltgo/grains"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/modules/internal/lookup"
	"github.com/saltgo/saltgo/pillar"
)

func init() {
	keyDelim := []host.Param{host.Req("key"), host.Opt("default", ""), host.Opt("delimiter", ":"), host.Opt("ordered", true)}
	host.Register(&host.Module{Kind: host.Exec, Name: "grains", Doc: "Read and set this host's grains.", Funcs: []*host.Func{
		{Name: "items", Params: []host.Param{host.Opt("sanitize", false)}, Doc: "\n    Return all of the grains.\n\n    CLI Example:\n\n        salt '*' grains.items\n    ", Fn: items},
		{Name: "item", VarArgs: true, VarKwargs: true, Doc: "\n    Return the named grains as a dict; nested keys with the delimiter\n    (default ':'); a missing grain maps to default ('').\n\n    CLI Example:\n\n        salt '*' grains.item os osrelease\n    ", Fn: item},
		{Name: "get", Params: keyDelim, Doc: "\n    Return one grain by key (nested keys with ':'), or default ('').\n\n    CLI Example:\n\n        salt '*' grains.get pkg:apache\n    ", Fn: get},
		{Name: "fetch", Params: keyDelim, Doc: "\n    Same as grains.get.\n\n    CLI Example:\n\n        salt '*' grains.fetch pkg:apache\n    ", Fn: get},
		{Name: "ls", Doc: "\n    Return the grain names, sorted.\n\n    CLI Example:\n\n        salt '*' grains.ls\n    ", Fn: ls},
		{Name: "has_value", Params: []host.Param{host.Req("key")}, Doc: "\n    Return whether a grain (nested with ':') has a true value.\n\n    CLI Example:\n\n        salt '*' grains.has_value pkg:apache\n    ", Fn: hasValue},
		{Name: "equals", Params: []host.Param{host.Req("key"), host.Req("value")}, Doc: "\n    Return whether a grain equals value.\n\n    CLI Example:\n\n        salt '*' grains.equals os Debian\n    ", Fn: equals},
		{Name: "setval", Params: []host.Param{host.Req("key"), host.Req("val"), host.Opt("destructive", false), host.Opt("refresh_pillar", true)}, Doc: "\n    Set a grain in the grains file (written atomically).\n\n    CLI Example:\n\n        salt '*' grains.setval key val\n    ", Fn: setval},
		{Name: "setvals", Params: []host.Param{host.Req("grains"), host.Opt("destructive", false), host.Opt("refresh_pillar", true)}, Doc: "\n    Set several grains from a dict in the grains file (atomically).\n\n    CLI Example:\n\n        salt '*' grains.setvals \"{'key1': 'val1', 'key2': 'val2'}\"\n    ", Fn: setvals},
		{Name: "set", Params: []host.Param{host.Req("key"), host.Opt("val", ""), host.Opt("force", false), host.Opt("destructive", false), host.Opt("delimiter", ":")}, Doc: "\n    Set a (nested) grain; returns a state-like result.\n\n    CLI Example:\n\n        salt '*' grains.set 'apps:myApp:port' 2209\n    ", Fn: set},
		{Name: "append", Params: []host.Param{host.Req("key"), host.Req("val"), host.Opt("convert", false), host.Opt("delimiter", ":")}, Doc: "\n    Append a value to a list grain.\n\n    CLI Example:\n\n        salt '*' grains.append key val\n    ", Fn: appendFn},
		{Name: "remove", Params: []host.Param{host.Req("key"), host.Req("val"), host.Opt("delimiter", ":")}, Doc: "\n    Remove a value from a list grain.\n\n    CLI Example:\n\n        salt '*' grains.remove key val\n    ", Fn: remove},
		{Name: "delval", Params: []host.Param{host.Req("key"), host.Opt("destructive", false)}, Doc: "\n    Set a grain to None (destructive=True removes the key).\n\n    CLI Example:\n\n        salt '*' grains.delval key\n    ", Fn: delval},
		{Name: "delkey", Params: []host.Param{host.Req("key"), host.Opt("force", false)}, Doc: "\n    Remove a grain from the grains file.\n\n    CLI Example:\n\n        salt '*' grains.delkey key\n    ", Fn: delkey},
		{Name: "filter_by", Params: []host.Param{host.Req("lookup_dict"), host.Opt("grain", "os_family"), host.Opt("merge", nil), host.Opt("default", "default"), host.Opt("base", nil)}, Doc: "\n    Return the entry of lookup_dict selected by a grain's value (a\n    glob match), else the default entry; merge and base are merged in.\n\n    CLI Example:\n\n        salt '*' grains.filter_by '{Debian: Debheads rule, RedHat: I love my hat}'\n    ", Fn: filterBy},
	}})
}

func grainsOf(c *host.Call) *data.Map {
	if c.Env == nil || c.Env.Grains == nil {
		return data.NewMap()
	}
	return c.Env.Grains
}

var stores sync.Map // grains file path -> *grainspkg.Store

func store(c *host.Call) (*grainspkg.Store, error) {
	path := ""
	if cfg := c.Env.Config; cfg != nil {
		path = cfg.GrainsFile()
	}
	if path == "" {
		if v, ok := c.Env.Opt("conf_file"); ok {
			if s, ok := data.AsString(v); ok && s != "" {
				path = filepath.Join(filepath.Dir(s), "grains")
			}
		}
	}
	if path == "" {
		return nil, host.Errorf("cannot locate the grains file: no configuration loaded")
	}
	v, _ := stores.LoadOrStore(path, &grainspkg.Store{Path: path})
	st := v.(*grainspkg.Store)
	st.Grains = grainsOf(c)
	return st, nil
}

// editStore runs edit on the grains file of the call; edit's errors are
// execution errors.
func editStore(c *host.Call, edit func(st *grainspkg.Store) (any, error)) (any, error) {
	st, err := store(c)
	if err != nil {
		return nil, err
	}
	r, err := edit(st)
	if err != nil {
		return nil, host.Errorf("%v", err)
	}
	return r, nil
}

func items(_ context.Context, c *host.Call) (any, error) { return grainsOf(c), nil }

func item(_ context.Context, c *host.Call) (any, error) {
	return lookup.Item(c, grainsOf(c), true), nil
}

func get(_ context.Context, c *host.Call) (any, error) {
	return lookup.Get(c, grainsOf(c)), nil
}

func ls(_ context.Context, c *host.Call) (any, error) {
	return append([]any{}, grainsOf(c).SortedKeys()...), nil
}

func hasValue(_ context.Context, c *host.Call) (any, error) {
	v, ok := data.Traverse(grainsOf(c), c.Str("key"), ":")
	return ok && data.Truthy(v), nil
}

func equals(_ context.Context, c *host.Call) (any, error) {
	v, ok := data.Traverse(grainsOf(c), c.Str("key"), ":")
	return ok && data.Equal(v, c.Get("value")), nil
}

func setval(_ context.Context, c *host.Call) (any, error) {
	return editStore(c, func(st *grainspkg.Store) (any, error) {
		return st.SetVal(c.Str("key"), c.Get("val"), c.Bool("destructive"))
	})
}

func setvals(_ context.Context, c *host.Call) (any, error) {
	m, ok := c.Get("grains").(*data.Map)
	if !ok {
		return nil, host.Invalidf("setvals grains must be a dictionary.")
	}
	return editStore(c, func(st *grainspkg.Store) (any, error) { return st.SetVals(m, c.Bool("destructive")) })
}

func set(_ context.Context, c *host.Call) (any, error) {
	return editStore(c, func(st *grainspkg.Store) (any, error) {
		return st.Set(c.Str("key"), c.Get("val"), c.Bool("force"), c.Bool("destructive"), c.Str("delimiter"))
	})
}

func appendFn(_ context.Context, c *host.Call) (any, error) {
	return editStore(c, func(st *grainspkg.Store) (any, error) {
		return st.Append(c.Str("key"), c.Get("val"), c.Bool("convert"), c.Str("delimiter"))
	})
}

func remove(_ context.Context, c *host.Call) (any, error) {
	return editStore(c, func(st *grainspkg.Store) (any, error) {
		return st.Remove(c.Str("key"), c.Get("val"), c.Str("delimiter"))
	})
}

func delval(_ context.Context, c *host.Call) (any, error) {
	return editStore(c, func(st *grainspkg.Store) (any, error) { return st.DelVal(c.Str("key"), c.Bool("destructive"), false) })
}

func delkey(_ context.Context, c *host.Call) (any, error) {
	return editStore(c, func(st *grainspkg.Store) (any, error) { return st.DelKey(c.Str("key"), c.Bool("force")) })
}

func filterBy(_ context.Context, c *host.Call) (any, error) {
	lookup, ok := c.Get("lookup_dict").(*data.Map)
	if !ok {
		return nil, host.Invalidf("lookup_dict must be a dictionary")
	}
	gv, _ := data.Traverse(grainsOf(c), c.Str("grain"), ":")
	var ret any
	found := false
	for _, key := range lookup.Keys() {
		ks := fmt.Sprint(key)
		if ok, _ := filepath.Match(ks, fmt.Sprint(gv)); ok && gv != nil {
			ret, _ = lookup.Get(key)
			found = true
			break
		}
	}
	if !found {
		ret, found = lookup.Get(c.Str("default"))
	}
	if b := c.Get("base"); b != nil {
		if bv, ok := lookup.Get(b); ok {
			if bm, ok := bv.(*data.Map); ok {
				merged := bm.Copy()
				if rm, ok := ret.(*data.Map); ok {
					pillar.Merge(merged, rm)
				}
				ret, found = merged, true
			}
		}
	}
	if m, ok := c.Get("merge").(*data.Map); ok {
		if rm, ok := ret.(*data.Map); ok {
			rm = rm.Copy()
			pillar.Merge(rm, m)
			ret = rm
		}
	}
	if !found {
		return nil, nil
	}
	return ret, nil
}
