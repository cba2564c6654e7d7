// Package pillar is Salt's pillar execution module: read access to the
// pillar this host received from its master (or compiled locally).
package pillar

import (
	"context"
	"slices"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/modules/internal/lookup"
)

// Refresher is the front door's capability to fetch pillar anew; the
// minion registers it as the "pillar.refresh" service.
type Refresher interface {
	RefreshPillar(ctx context.Context) (*data.Map, error)
}

func init() {
	host.Register(&host.Module{Kind: host.Exec, Name: "pillar", Doc: "Read the pillar of this host.", Funcs: []*host.Func{
		{Name: "get", Params: []host.Param{host.Req("key"), host.Opt("default", ""), host.Opt("merge", false), host.Opt("merge_nested_lists", nil), host.Opt("delimiter", ":"), host.Opt("pillarenv", nil), host.Opt("saltenv", nil)},
			Doc: "\n    Return a pillar value by key; nested keys are separated by the\n    delimiter (default ':'). Returns default (default '') when absent.\n\n    CLI Example:\n\n        salt '*' pillar.get pkg:apache\n    ", Fn: get},
		{Name: "items", VarArgs: true, VarKwargs: true, Doc: "\n    Return the whole pillar.\n\n    CLI Example:\n\n        salt '*' pillar.items\n    ", Fn: items},
		{Name: "data", VarArgs: true, VarKwargs: true, Doc: "\n    Same as pillar.items.\n\n    CLI Example:\n\n        salt '*' pillar.data\n    ", Fn: items},
		{Name: "raw", Params: []host.Param{host.Opt("key", nil)}, Doc: "\n    Return the pillar as held in memory, or one key of it.\n\n    CLI Example:\n\n        salt '*' pillar.raw\n    ", Fn: raw},
		{Name: "item", VarArgs: true, VarKwargs: true, Doc: "\n    Return the named pillar keys as a dict (nested keys with ':').\n\n    CLI Example:\n\n        salt '*' pillar.item foo bar:baz\n    ", Fn: item},
		{Name: "ls", VarArgs: true, Doc: "\n    List the top-level pillar keys.\n\n    CLI Example:\n\n        salt '*' pillar.ls\n    ", Fn: ls},
		{Name: "keys", Params: []host.Param{host.Req("key"), host.Opt("delimiter", ":")}, Doc: "\n    List the keys under a nested pillar key.\n\n    CLI Example:\n\n        salt '*' pillar.keys web:sites\n    ", Fn: keys},
		{Name: "file_exists", Params: []host.Param{host.Req("path"), host.Opt("saltenv", nil)}, Doc: "\n    Not supported by saltgo: pillar file listing needs the master's\n    file server. Always False.\n    ", Fn: func(context.Context, *host.Call) (any, error) { return false, nil }},
	}})
}

func pillarOf(c *host.Call) *data.Map {
	if c.Env == nil || c.Env.Pillar == nil {
		return data.NewMap()
	}
	return c.Env.Pillar
}

func get(_ context.Context, c *host.Call) (any, error) {
	if data.Truthy(c.Get("merge")) {
		if v, ok := mergeGet(c); ok {
			return v, nil
		}
	}
	return lookup.Get(c, pillarOf(c)), nil
}

// mergeGet is pillar.get's merge=True: a dict default updated with the
// pillar's dict (recursively; lists merged too when merge_nested_lists, or
// else the pillar_merge_lists option, says so), a list default extended
// with the pillar list's new items. The default is copied first. Any other
// combination falls back to the plain lookup (Salt logs an error).
func mergeGet(c *host.Call) (any, bool) {
	v, found := data.Traverse(pillarOf(c), c.Str("key"), c.Str("delimiter"))
	switch def := c.Get("default").(type) {
	case *data.Map:
		if !found {
			v = data.NewMap()
		}
		pm, ok := v.(*data.Map)
		if !ok {
			return nil, false
		}
		lists := c.Get("merge_nested_lists")
		if lists == nil {
			lists, _ = c.Env.Opt("pillar_merge_lists")
		}
		return data.DictUpdate(data.Deep(def).(*data.Map), pm, data.Truthy(lists)), true
	case []any:
		if !found {
			v = []any{}
		}
		pl, ok := v.([]any)
		if !ok {
			return nil, false
		}
		out := data.Deep(def).([]any)
		for _, e := range pl {
			if !slices.ContainsFunc(def, func(x any) bool { return data.Equal(x, e) }) {
				out = append(out, e)
			}
		}
		return out, true
	}
	return nil, false
}

func items(ctx context.Context, c *host.Call) (any, error) {
	if len(c.Args()) > 0 {
		return item(ctx, c)
	}
	// pillar={...} is merged over a fresh copy, as Salt's pillar.items
	// compiles the pillar again with the override.
	if ov, ok := c.Kwargs().Get("pillar"); ok && ov != nil {
		m, ok := ov.(*data.Map)
		if !ok {
			return nil, host.Errorf("Pillar data must be formatted as a dictionary")
		}
		lists, _ := c.Env.Opt("pillar_merge_lists")
		return data.DictUpdate(data.Deep(pillarOf(c)).(*data.Map), m, data.Truthy(lists)), nil
	}
	return pillarOf(c), nil
}

func raw(_ context.Context, c *host.Call) (any, error) {
	if c.Get("key") == nil {
		return pillarOf(c), nil
	}
	v, _ := pillarOf(c).Get(c.Str("key"))
	if v == nil {
		return data.NewMap(), nil
	}
	return v, nil
}

func item(_ context.Context, c *host.Call) (any, error) {
	return lookup.Item(c, pillarOf(c), false), nil
}

func ls(_ context.Context, c *host.Call) (any, error) {
	return append([]any{}, pillarOf(c).Keys()...), nil
}

func keys(_ context.Context, c *host.Call) (any, error) {
	key := c.Str("key")
	v, ok := data.Traverse(pillarOf(c), key, c.Str("delimiter"))
	if !ok {
		return nil, host.Errorf("Pillar key not found: %s", key)
	}
	m, ok := v.(*data.Map)
	if !ok {
		return nil, host.Errorf("Pillar value in %s is not a dict", strings.TrimSpace(key))
	}
	return append([]any{}, m.Keys()...), nil
}
