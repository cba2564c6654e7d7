// Package host is Salt's host state module (salt/states/host.py): present,
// absent and only, through the hosts execution module (the file named by
// the hosts.file option).
package host

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/state"
)

func init() {
	host.Register(&host.Module{Kind: host.State, Name: "host", Doc: "Management of addresses and names in hosts file",
		Funcs: []*host.Func{
			{Name: "present", Params: []host.Param{host.Req("name"), host.Req("ip"), host.Opt("comment", ""), host.Opt("clean", false)},
				VarKwargs: true, Fn: present, Doc: "Ensures that the named host is present with the given ip"},
			{Name: "absent", Params: []host.Param{host.Req("name"), host.Req("ip")},
				VarKwargs: true, Fn: absent, Doc: "Ensure that the named host is absent"},
			{Name: "only", Params: []host.Param{host.Req("name"), host.Req("hostnames")},
				VarKwargs: true, Fn: only, Doc: "Ensure that only the given hostnames are associated with the given IP address."},
		}})
}

// exec runs hosts.<fun> through host.Run with positional arguments.
func exec(ctx context.Context, c *host.Call, fun string, args ...any) (any, error) {
	r := host.Run(ctx, c.Env, host.Request{Kind: host.Exec, Fun: fun, Args: args})
	if r.Err != nil {
		return nil, fmt.Errorf("%s: %w", fun, r.Err)
	}
	return r.Return, nil
}

func strs(v any) []string {
	switch x := v.(type) {
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, data.Str(e))
		}
		return out
	case nil:
		return nil
	}
	return []string{data.Str(v)}
}

func failed(name string, err error) (any, error) {
	return data.M("name", name, "changes", data.NewMap(), "result", false, "comment", err.Error()), nil
}

type pair struct{ addr, val string }

func addTo(changes *data.Map, key, addr, v string) {
	cur, _ := changes.Get(key)
	m, ok := cur.(*data.Map)
	if !ok {
		m = data.NewMap()
		changes.Set(key, m)
	}
	l, _ := m.Get(addr)
	ll, _ := l.([]any)
	m.Set(addr, append(ll, v))
}

func present(ctx context.Context, c *host.Call) (any, error) {
	name, comment, clean := c.Str("name"), c.Str("comment"), c.Bool("clean")
	ips := strs(c.Get("ip"))
	changes := data.NewMap()
	ret := data.M("name", name, "changes", changes, "result", true, "comment", "")
	v, err := exec(ctx, c, "hosts.list_hosts")
	if err != nil {
		return failed(name, err)
	}
	all, _ := v.(*data.Map)
	if all == nil {
		all = data.NewMap()
	}
	in := func(addr string) bool {
		for _, ip := range ips {
			if ip == addr {
				return true
			}
		}
		return false
	}
	var comments []string
	var toAdd, toRemove, updComment []pair
	for _, addr := range ips {
		if !all.Has(addr) {
			toAdd = append(toAdd, pair{addr, name})
			if comment != "" {
				updComment = append(updComment, pair{addr, comment})
			}
		}
	}
	var warnings []any
	all.Range(func(k, v any) bool {
		addr := data.Str(k)
		info, _ := v.(*data.Map)
		var al []any
		var cur any
		hasComment := false
		if info != nil {
			a, _ := info.Get("aliases")
			al, _ = a.([]any)
			cur, hasComment = info.Get("comment")
		}
		has := false
		for _, a := range al {
			if data.Str(a) == name {
				has = true
			}
		}
		if !in(addr) {
			if has {
				if clean {
					toRemove = append(toRemove, pair{addr, name})
				} else {
					warnings = append(warnings, fmt.Sprintf("Host %[1]s present for IP address %[2]s. To get rid of this warning, either run this state with 'clean' set to True to remove %[1]s from %[2]s, or add %[2]s to the 'ip' argument.", name, addr))
				}
			}
			return true
		}
		switch {
		case has && comment != "" && hasComment && data.Str(cur) != comment:
			updComment = append(updComment, pair{addr, comment})
		case has && comment != "" && !hasComment:
			updComment = append(updComment, pair{addr, comment})
		case has:
			comments = append(comments, fmt.Sprintf("Host %s (%s) already present", name, addr))
		default:
			if _, err := netip.ParseAddr(addr); err == nil {
				toAdd = append(toAdd, pair{addr, name})
				if comment != "" {
					updComment = append(updComment, pair{addr, comment})
				}
			} else {
				ret.Set("result", false)
				comments = append(comments, fmt.Sprintf("Invalid IP Address for %s (%s)", name, addr))
			}
		}
		return true
	})
	if warnings != nil {
		ret.Set("warnings", warnings)
	}
	test := state.IsTest(c)
	for _, p := range toAdd {
		if test {
			ret.Set("result", nil)
			comments = append(comments, fmt.Sprintf("Host %s (%s) would be added", p.val, p.addr))
		} else if ok, err := exec(ctx, c, "hosts.add_host", p.addr, p.val); err != nil || ok != true {
			ret.Set("result", false)
			comments = append(comments, fmt.Sprintf("Failed to add host %s (%s)", p.val, p.addr))
			continue
		} else {
			comments = append(comments, fmt.Sprintf("Added host %s (%s)", p.val, p.addr))
		}
		addTo(changes, "added", p.addr, p.val)
	}
	for _, p := range updComment {
		if test {
			comments = append(comments, fmt.Sprintf("Comment for %s (%s) would be added", p.addr, p.val))
		} else if ok, err := exec(ctx, c, "hosts.set_comment", p.addr, p.val); err != nil || ok != true {
			ret.Set("result", false)
			comments = append(comments, fmt.Sprintf("Failed to add comment for host %s (%s)", p.addr, p.val))
			continue
		} else {
			comments = append(comments, fmt.Sprintf("Set comment for host %s (%s)", p.addr, p.val))
		}
		addTo(changes, "comment_added", p.addr, p.val)
	}
	for _, p := range toRemove {
		if test {
			ret.Set("result", nil)
			comments = append(comments, fmt.Sprintf("Host %s (%s) would be removed", p.val, p.addr))
		} else if ok, err := exec(ctx, c, "hosts.rm_host", p.addr, p.val); err != nil || ok != true {
			ret.Set("result", false)
			comments = append(comments, fmt.Sprintf("Failed to remove host %s (%s)", p.val, p.addr))
			continue
		} else {
			comments = append(comments, fmt.Sprintf("Removed host %s (%s)", p.val, p.addr))
		}
		addTo(changes, "removed", p.addr, p.val)
	}
	ret.Set("comment", strings.Join(comments, "\n"))
	return ret, nil
}

func absent(ctx context.Context, c *host.Call) (any, error) {
	name := c.Str("name")
	ret := data.M("name", name, "changes", data.NewMap(), "result", nil, "comment", "")
	var comments []string
	for _, ip := range strs(c.Get("ip")) {
		has, err := exec(ctx, c, "hosts.has_pair", ip, name)
		if err != nil {
			return failed(name, err)
		}
		switch {
		case has != true:
			ret.Set("result", true)
			comments = append(comments, fmt.Sprintf("Host %s (%s) already absent", name, ip))
		case state.IsTest(c):
			comments = append(comments, fmt.Sprintf("Host %s (%s) needs to be removed", name, ip))
		default:
			if ok, err := exec(ctx, c, "hosts.rm_host", ip, name); err == nil && ok == true {
				ret.Set("changes", data.M("host", name))
				ret.Set("result", true)
				comments = append(comments, fmt.Sprintf("Removed host %s (%s)", name, ip))
			} else {
				ret.Set("result", false)
				comments = append(comments, "Failed to remove host")
			}
		}
	}
	ret.Set("comment", strings.Join(comments, "\n"))
	return ret, nil
}

func only(ctx context.Context, c *host.Call) (any, error) {
	name := c.Str("name")
	ret := data.M("name", name, "changes", data.NewMap(), "result", nil, "comment", "")
	v, err := exec(ctx, c, "hosts.get_alias", name)
	if err != nil {
		return failed(name, err)
	}
	old := strings.Join(strs(v), " ")
	var hn []string
	for _, h := range strs(c.Get("hostnames")) {
		hn = append(hn, strings.TrimSpace(h))
	}
	newv := strings.Join(hn, " ")
	if old == newv {
		ret.Set("comment", fmt.Sprintf("IP address %s already set to \"%s\"", name, newv))
		ret.Set("result", true)
		return ret, nil
	}
	if state.IsTest(c) {
		ret.Set("comment", fmt.Sprintf("Would change %s from \"%s\" to \"%s\"", name, old, newv))
		return ret, nil
	}
	ok, err := exec(ctx, c, "hosts.set_host", name, newv)
	if err != nil || ok != true {
		ret.Set("result", false)
		ret.Set("comment", fmt.Sprintf("hosts.set_host failed to change %s from \"%s\" to \"%s\"", name, old, newv))
		return ret, nil
	}
	ret.Set("result", true)
	ret.Set("comment", fmt.Sprintf("successfully changed %s from \"%s\" to \"%s\"", name, old, newv))
	ret.Set("changes", data.M(name, data.M("old", old, "new", newv)))
	return ret, nil
}
