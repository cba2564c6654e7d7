// Package config is Salt's config execution module: look up a value in the
// minion configuration, the grains and the pillar, in Salt's order.
package config

import (
	"context"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
)

func init() {
	host.Register(&host.Module{Kind: host.Exec, Name: "config", Doc: "Read configuration values with Salt's lookup order.", Funcs: []*host.Func{
		{Name: "get", Params: []host.Param{host.Req("key"), host.Opt("default", ""), host.Opt("delimiter", ":"), host.Opt("merge", nil), host.Opt("omit_opts", false), host.Opt("omit_pillar", false), host.Opt("omit_master", false), host.Opt("omit_grains", false)},
			Doc: "\n    Look a key up in the minion configuration, then the grains, then the\n    pillar, then the master configuration the pillar carries (pillar key\n    'master'); nested keys are separated by the delimiter (default ':').\n    Returns default (default '') when absent.\n\n    CLI Example:\n\n        salt '*' config.get pkg:apache\n    ", Fn: get},
		{Name: "option", Params: []host.Param{host.Req("value"), host.Opt("default", ""), host.Opt("omit_opts", false), host.Opt("omit_master", false), host.Opt("omit_pillar", false)},
			Doc: "\n    Return a top-level configuration value: minion configuration, then\n    the master configuration in pillar, then pillar.\n\n    CLI Example:\n\n        salt '*' config.option redis.host\n    ", Fn: option},
		{Name: "items", Doc: "\n    Return the whole minion configuration.\n\n    CLI Example:\n\n        salt '*' config.items\n    ", Fn: func(_ context.Context, c *host.Call) (any, error) { return opts(c), nil }},
		{Name: "dot_vals", Params: []host.Param{host.Req("value")}, Doc: "\n    Return the configuration values whose keys start with value + '.'.\n\n    CLI Example:\n\n        salt '*' config.dot_vals host\n    ", Fn: dotVals},
	}})
}

func opts(c *host.Call) *data.Map {
	if c.Env == nil || c.Env.Opts == nil {
		return data.NewMap()
	}
	return c.Env.Opts
}

func sources(c *host.Call, omitOpts, omitGrains, omitPillar, omitMaster bool) []any {
	var out []any
	if !omitOpts {
		out = append(out, opts(c))
	}
	if !omitGrains && c.Env != nil && c.Env.Grains != nil {
		out = append(out, c.Env.Grains)
	}
	if !omitPillar && c.Env != nil && c.Env.Pillar != nil {
		out = append(out, c.Env.Pillar)
	}
	if !omitMaster && c.Env != nil && c.Env.Pillar != nil {
		if m, ok := c.Env.Pillar.Get("master"); ok {
			out = append(out, m)
		}
	}
	return out
}

func get(_ context.Context, c *host.Call) (any, error) {
	key, delim := c.Str("key"), c.Str("delimiter")
	for _, src := range sources(c, c.Bool("omit_opts"), c.Bool("omit_grains"), c.Bool("omit_pillar"), c.Bool("omit_master")) {
		if v, ok := data.Traverse(src, key, delim); ok {
			return v, nil
		}
	}
	return c.Get("default"), nil
}

func option(_ context.Context, c *host.Call) (any, error) {
	key := c.Str("value")
	for _, src := range sources(c, c.Bool("omit_opts"), true, c.Bool("omit_pillar"), c.Bool("omit_master")) {
		if m, ok := src.(*data.Map); ok {
			if v, ok := m.Get(key); ok {
				return v, nil
			}
		}
	}
	return c.Get("default"), nil
}

func dotVals(_ context.Context, c *host.Call) (any, error) {
	prefix := c.Str("value") + "."
	out := data.NewMap()
	opts(c).Range(func(k, v any) bool {
		if s, ok := k.(string); ok && strings.HasPrefix(s, prefix) {
			out.Set(s, v)
		}
		return true
	})
	return out, nil
}
