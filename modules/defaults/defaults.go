// Package defaults is Salt's defaults execution module
// (salt/modules/defaults.py) as formulas call it from Jinja: merge,
// update and deepcopy. defaults.get (a formula's defaults.yaml fetched
// from the file server) is not here yet.
package defaults

import (
	"context"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
)

func init() {
	host.Register(&host.Module{Kind: host.Exec, Name: "defaults", Doc: "Module to work with salt formula defaults files",
		Funcs: []*host.Func{
			{Name: "merge", Params: []host.Param{host.Req("dest"), host.Req("src"), host.Opt("merge_lists", false), host.Opt("in_place", true), host.Opt("convert_none", true)}, Fn: merge,
				Doc: "defaults.merge\n    Allows deep merging of dicts in formulas."},
			{Name: "update", Params: []host.Param{host.Req("dest"), host.Req("defaults"), host.Opt("merge_lists", true), host.Opt("in_place", true), host.Opt("convert_none", true)}, Fn: update,
				Doc: "defaults.update\n    Allows setting defaults for group of data set e.g. group for nodes."},
			{Name: "deepcopy", Params: []host.Param{host.Req("source")}, Fn: deepcopy,
				Doc: "defaults.deepcopy\n    Allows deep copy of objects in formulas."},
		}})
}

// dict is v as a dict: None becomes {} when convert_none allows it.
func dict(v any, convertNone bool, what string) (*data.Map, error) {
	if v == nil && convertNone {
		return data.NewMap(), nil
	}
	m, ok := v.(*data.Map)
	if !ok {
		return nil, host.Errorf("defaults: %s must be a dict, not %s", what, data.TypeStr(v))
	}
	return m, nil
}

func merge(_ context.Context, c *host.Call) (any, error) {
	convert := data.Truthy(c.Get("convert_none"))
	inPlace := data.Truthy(c.Get("in_place"))
	if c.Get("dest") == nil && convert && inPlace {
		return nil, host.Errorf("Can't perform in-place merge into NoneType")
	}
	dest, err := dict(c.Get("dest"), convert, "dest")
	if err != nil {
		return nil, err
	}
	src, err := dict(c.Get("src"), convert, "src")
	if err != nil {
		return nil, err
	}
	if !inPlace {
		dest = data.Deep(dest).(*data.Map)
	}
	return data.DictUpdate(dest, src, data.Truthy(c.Get("merge_lists"))), nil
}

func update(_ context.Context, c *host.Call) (any, error) {
	convert := data.Truthy(c.Get("convert_none"))
	inPlace := data.Truthy(c.Get("in_place"))
	if c.Get("dest") == nil && inPlace {
		return nil, host.Errorf("Can't perform in-place update into NoneType")
	}
	nodes, err := dict(c.Get("dest"), convert, "dest")
	if err != nil {
		return nil, err
	}
	if !inPlace {
		nodes = data.Deep(nodes).(*data.Map)
	}
	defs, err := dict(c.Get("defaults"), convert, "defaults")
	if err != nil {
		return nil, err
	}
	lists := data.Truthy(c.Get("merge_lists"))
	var ferr error
	nodes.Range(func(name, vars any) bool {
		v, err := dict(vars, convert, "a node")
		if err != nil {
			ferr = err
			return false
		}
		nodes.Set(name, data.DictUpdate(data.Deep(defs).(*data.Map), v, lists))
		return true
	})
	return nodes, ferr
}

func deepcopy(_ context.Context, c *host.Call) (any, error) {
	return data.Deep(c.Get("source")), nil
}
