// Package group is Salt's group state module (salt/states/group.py) on
// Linux: present and absent, through the group execution module.
//
// Salt's states take no root argument; the package-level root (set only by
// tests, through export_test.go) is passed as root= to every execution call.
package group

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/state"
	userstate "github.com/saltgo/saltgo/states/user"
)

// root is the account root the tests use; "" is the host.
var root string

func init() {
	host.Register(&host.Module{Kind: host.State, Name: "group", Doc: "Management of user groups",
		Funcs: []*host.Func{
			{Name: "present", Params: []host.Param{host.Req("name"), host.Opt("gid", nil), host.Opt("system", false), host.Opt("addusers", nil),
				host.Opt("delusers", nil), host.Opt("members", nil), host.Opt("non_unique", false), host.Opt("local", false)},
				VarKwargs: true, Fn: present, Doc: "Ensure that a group is present"},
			{Name: "absent", Params: []host.Param{host.Req("name"), host.Opt("local", false)}, VarKwargs: true, Fn: absent,
				Doc: "Ensure that the named group is absent"},
		}})
}

func call(ctx context.Context, c *host.Call, fun string, kv ...any) (any, error) {
	return userstate.Call(ctx, c.Env, fun, root, kv...)
}

func info(ctx context.Context, c *host.Call, name string) (*data.Map, error) {
	v, err := call(ctx, c, "group.info", "name", name)
	if err != nil {
		return nil, err
	}
	m, _ := v.(*data.Map)
	if m == nil {
		m = data.NewMap()
	}
	return m, nil
}

// changes is states/group._changes: nil when the group is missing. An
// invalid gid gives Salt's {'result': False, 'comment': 'Invalid gid'},
// which present then reports as changes it could not apply, as Salt does.
func changes(ctx context.Context, c *host.Call) (*data.Map, error) {
	name := c.Str("name")
	lgrp, err := info(ctx, c, name)
	if err != nil || lgrp.Len() == 0 {
		return nil, err
	}
	mv, _ := lgrp.Get("members")
	cur := data.SplitStrings(mv)
	change := data.NewMap()
	if g := c.Get("gid"); data.Truthy(g) {
		n, err := strconv.ParseInt(strings.TrimSpace(data.Str(g)), 10, 64)
		if err != nil {
			return data.M("result", false, "comment", "Invalid gid"), nil
		}
		if lg, _ := lgrp.Get("gid"); !data.Equal(lg, n) {
			change.Set("gid", n)
		}
	}
	members := c.Get("members")
	want := data.SplitStrings(members)
	if members != nil && len(want) == 0 {
		if len(cur) > 0 {
			change.Set("delusers", data.List(cur))
		}
	} else if len(want) > 0 && symDiff(cur, want) {
		change.Set("members", data.List(want))
	}
	if add := data.SplitStrings(c.Get("addusers")); len(add) > 0 {
		var todo []string
		for _, u := range add {
			if !slices.Contains(cur, u) {
				todo = append(todo, u)
			}
		}
		if todo != nil {
			change.Set("addusers", data.List(todo))
		}
	}
	if del := data.SplitStrings(c.Get("delusers")); len(del) > 0 {
		var todo []string
		for _, u := range del {
			if slices.Contains(cur, u) {
				todo = append(todo, u)
			}
		}
		if todo != nil {
			change.Set("delusers", data.List(todo))
		}
	}
	return change, nil
}

func symDiff(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return true
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			return true
		}
	}
	return false
}

func present(ctx context.Context, c *host.Call) (any, error) {
	name := c.Str("name")
	test := state.IsTest(c)
	ret := data.M("name", name, "changes", data.NewMap(), "result", true, "comment", fmt.Sprintf("Group %s is present and up to date", name))
	if c.Get("members") != nil && (c.Get("addusers") != nil || c.Get("delusers") != nil) {
		ret.Set("result", nil)
		ret.Set("comment", `Error: Conflicting options "members" with "addusers" and/or "delusers" can not be used together. `)
		return ret, nil
	}
	add, del := data.SplitStrings(c.Get("addusers")), data.SplitStrings(c.Get("delusers"))
	for _, u := range add {
		if slices.Contains(del, u) {
			ret.Set("result", nil)
			ret.Set("comment", "Error. Same user(s) can not be added and deleted simultaneously")
			return ret, nil
		}
	}
	ch, err := changes(ctx, c)
	if err != nil {
		return nil, err
	}
	if ch != nil && ch.Len() > 0 {
		comment := "The following group attributes are set to be changed:\n"
		for _, k := range ch.Keys() {
			v, _ := ch.Get(k)
			comment += fmt.Sprintf("%s: %s\n", data.Str(k), data.Str(v))
		}
		ret.Set("comment", comment)
		if test {
			ret.Set("result", nil)
			return ret, nil
		}
		for _, k := range ch.Keys() {
			v, _ := ch.Get(k)
			var err error
			switch k {
			case "gid":
				_, err = call(ctx, c, "group.chgid", "name", name, "gid", v, "non_unique", c.Bool("non_unique"))
			case "addusers":
				for _, u := range data.SplitStrings(v) {
					if _, err = call(ctx, c, "group.adduser", "name", name, "username", u); err != nil {
						break
					}
				}
			case "delusers":
				for _, u := range data.SplitStrings(v) {
					if _, err = call(ctx, c, "group.deluser", "name", name, "username", u); err != nil {
						break
					}
				}
			case "members":
				_, err = call(ctx, c, "group.members", "name", name, "members_list", strings.Join(data.SplitStrings(v), ","))
			}
			if err != nil {
				return nil, err
			}
		}
		again, err := changes(ctx, c)
		if err != nil {
			return nil, err
		}
		if again != nil && again.Len() > 0 {
			ret.Set("result", false)
			ret.Set("comment", comment+"Some changes could not be applied")
			ret.Set("changes", data.M("Failed", again))
		} else {
			ret.Set("changes", data.M("Final", "All changes applied successfully"))
		}
		return ret, nil
	}
	if ch != nil {
		return ret, nil
	}
	if test {
		ret.Set("result", nil)
		ret.Set("comment", fmt.Sprintf("Group %s set to be added", name))
		return ret, nil
	}
	gid := c.Get("gid")
	if gid != nil && !c.Bool("non_unique") {
		all, err := call(ctx, c, "group.getent")
		if err != nil {
			return nil, err
		}
		l, _ := all.([]any)
		for _, x := range l {
			m := x.(*data.Map)
			if g, _ := m.Get("gid"); data.Equal(g, gid) {
				n, _ := m.Get("name")
				ret.Set("result", false)
				ret.Set("comment", fmt.Sprintf("Group %s is not present but gid %s is already taken by group %s", name, data.Str(gid), data.Str(n)))
				return ret, nil
			}
		}
	}
	ok, err := call(ctx, c, "group.add", "name", name, "gid", gid, "system", c.Bool("system"), "non_unique", c.Bool("non_unique"))
	if err != nil {
		return nil, err
	}
	if ok != true {
		ret.Set("result", false)
		ret.Set("comment", fmt.Sprintf("Failed to create new group %s", name))
		return ret, nil
	}
	members := ""
	if m := data.SplitStrings(c.Get("members")); len(m) > 0 {
		members = strings.Join(m, ",")
	}
	if len(add) > 0 {
		members = strings.Join(add, ",")
	}
	if members != "" {
		if _, err := call(ctx, c, "group.members", "name", name, "members_list", members); err != nil {
			return nil, err
		}
	}
	ret.Set("comment", fmt.Sprintf("New group %s created", name))
	post, err := info(ctx, c, name)
	if err != nil {
		return nil, err
	}
	ret.Set("changes", post)
	if again, err := changes(ctx, c); err != nil {
		return nil, err
	} else if again != nil && again.Len() > 0 {
		ret.Set("result", false)
		ret.Set("comment", fmt.Sprintf("Group %s has been created but, some changes could not be applied", name))
		ret.Set("changes", data.M("Failed", again))
	}
	return ret, nil
}

func absent(ctx context.Context, c *host.Call) (any, error) {
	name := c.Str("name")
	ret := data.M("name", name, "changes", data.NewMap(), "result", true, "comment", "")
	g, err := info(ctx, c, name)
	if err != nil {
		return nil, err
	}
	if g.Len() == 0 {
		ret.Set("comment", "Group not present")
		return ret, nil
	}
	if state.IsTest(c) {
		ret.Set("result", nil)
		ret.Set("comment", fmt.Sprintf("Group %s is set for removal", name))
		return ret, nil
	}
	ok, err := call(ctx, c, "group.delete", "name", name)
	if err != nil {
		return nil, err
	}
	if ok != true {
		ret.Set("result", false)
		ret.Set("comment", fmt.Sprintf("Failed to remove group %s", name))
		return ret, nil
	}
	ret.Set("changes", data.M(name, ""))
	ret.Set("comment", fmt.Sprintf("Removed group %s", name))
	return ret, nil
}
