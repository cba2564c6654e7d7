// Package event is Salt's event execution module: send events to the
// master's event bus through the minion's _minion_event request.
package event

import (
	"context"
	"fmt"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
)

func init() {
	host.Register(&host.Module{Kind: host.Exec, Name: "event", Doc: "Send events to the Salt master.", Funcs: []*host.Func{
		{Name: "send", Params: []host.Param{host.Req("tag"), host.Opt("data", nil), host.Opt("preload", nil), host.Opt("with_env", false), host.Opt("with_grains", false), host.Opt("with_pillar", false), host.Opt("with_env_opts", false)}, VarKwargs: true,
			Doc: "\n    Send an event with a tag and data to the master's event bus.\n    with_grains / with_pillar add the grains or pillar (True, or a list\n    of keys); extra keyword arguments are added to the data.\n\n    CLI Example:\n\n        salt-call event.send myco/mytag foo=Foo bar=Bar\n    ", Fn: send},
		{Name: "fire_master", Params: []host.Param{host.Req("data"), host.Req("tag"), host.Opt("preload", nil)},
			Doc: "\n    Fire an event with data and tag on the master's event bus.\n\n    CLI Example:\n\n        salt '*' event.fire_master '{\"data\": \"my event data\"}' 'tag'\n    ", Fn: fireMaster},
		{Name: "fire", Params: []host.Param{host.Req("data"), host.Req("tag")},
			Doc: "\n    Fire an event on the minion's local event bus. saltgo has no local\n    bus: the event goes to the master instead. Returns True on success.\n\n    CLI Example:\n\n        salt '*' event.fire '{\"data\": \"my event data\"}' 'tag'\n    ", Fn: fireMaster},
	}})
}

func pick(src *data.Map, sel any) *data.Map {
	if src == nil {
		return data.NewMap()
	}
	if l, ok := sel.([]any); ok {
		out := data.NewMap()
		for _, k := range l {
			if v, ok := src.Get(k); ok {
				out.Set(k, v)
			}
		}
		return out
	}
	return src
}

func send(ctx context.Context, c *host.Call) (any, error) {
	payload := data.NewMap()
	if p, ok := c.Get("preload").(*data.Map); ok {
		p.Range(func(k, v any) bool { payload.Set(k, v); return true })
	}
	if d := c.Get("data"); d != nil {
		if m, ok := d.(*data.Map); ok {
			m.Range(func(k, v any) bool { payload.Set(k, v); return true })
		} else {
			payload.Set("data", d)
		}
	}
	c.Kwargs().Range(func(k, v any) bool {
		if s, _ := k.(string); len(s) < 2 || s[:2] != "__" {
			payload.Set(k, v)
		}
		return true
	})
	if v := c.Get("with_grains"); data.Truthy(v) {
		payload.Set("grains", pick(c.Env.Grains, v))
	}
	if v := c.Get("with_pillar"); data.Truthy(v) {
		payload.Set("pillar", pick(c.Env.Pillar, v))
	}
	return fire(ctx, c, c.Str("tag"), payload)
}

func fireMaster(ctx context.Context, c *host.Call) (any, error) {
	return fire(ctx, c, c.Str("tag"), c.Get("data"))
}

func fire(ctx context.Context, c *host.Call, tag string, payload any) (any, error) {
	s := c.Env.Services.Events
	if s == nil {
		c.Env.Logger().Warn(fmt.Sprintf("event %s not sent: no master connection (masterless)", tag))
		return false, nil
	}
	if err := s.FireMaster(ctx, tag, payload); err != nil {
		c.Env.Logger().Error(fmt.Sprintf("event %s not sent: %v", tag, err))
		return false, nil
	}
	return true, nil
}
