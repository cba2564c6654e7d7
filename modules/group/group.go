// Package group is Salt's groupadd execution module (salt/modules/groupadd.py,
// virtual name group) on Linux: add, delete, info, getent, chgid, adduser,
// deluser and members. Changes run groupadd, groupmod, groupdel and gpasswd
// through modules/cmd with Salt's root argument ("-R <root>", gpasswd's
// "--root <root>"); group data is read from <root>/etc/group.
package group

import (
	"context"
	"fmt"
	"os/exec"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/modules/user"
)

func rootP() host.Param { return host.Opt("root", nil) }

func init() {
	host.Register(&host.Module{Kind: host.Exec, Name: "group", Doc: "Manage groups on Linux, OpenBSD and NetBSD",
		Virtual: func() error {
			if _, err := exec.LookPath("groupadd"); err != nil {
				return fmt.Errorf("The group module cannot be loaded: groupadd not found")
			}
			return nil
		},
		Funcs: []*host.Func{
			{Name: "add", Params: []host.Param{host.Req("name"), host.Opt("gid", nil), host.Opt("system", false), rootP(), host.Opt("non_unique", false), host.Opt("local", false)}, Fn: add,
				Doc: "Add the specified group\n\n    CLI Example:\n\n        salt '*' group.add foo 3456\n    "},
			{Name: "delete", Params: []host.Param{host.Req("name"), rootP(), host.Opt("local", false)}, Fn: del,
				Doc: "Remove the named group\n\n    CLI Example:\n\n        salt '*' group.delete foo\n    "},
			{Name: "info", Params: []host.Param{host.Req("name"), rootP()}, Fn: infoFn,
				Doc: "Return information about a group\n\n    CLI Example:\n\n        salt '*' group.info foo\n    "},
			{Name: "getent", Params: []host.Param{host.Opt("refresh", false), rootP()}, Fn: getent,
				Doc: "Return info on all groups\n\n    CLI Example:\n\n        salt '*' group.getent\n    "},
			{Name: "chgid", Params: []host.Param{host.Req("name"), host.Req("gid"), rootP(), host.Opt("non_unique", false)}, Fn: chgid,
				Doc: "Change the gid for a named group\n\n    CLI Example:\n\n        salt '*' group.chgid foo 4376\n    "},
			{Name: "adduser", Params: []host.Param{host.Req("name"), host.Req("username"), rootP()}, Fn: gpasswd("--add"),
				Doc: "Add a user in the group.\n\n    CLI Example:\n\n         salt '*' group.adduser foo bar\n    "},
			{Name: "deluser", Params: []host.Param{host.Req("name"), host.Req("username"), rootP()}, Fn: deluser,
				Doc: "Remove a user from the group.\n\n    CLI Example:\n\n         salt '*' group.deluser foo bar\n    "},
			{Name: "members", Params: []host.Param{host.Req("name"), host.Req("members_list"), rootP()}, Fn: members,
				Doc: "Replaces members of the group with a provided list.\n\n    CLI Example:\n\n        salt '*' group.members foo 'user1,user2,user3,...'\n    "},
		}})
}

func rootOf(c *host.Call) string {
	if v := c.Get("root"); v != nil {
		return data.Str(v)
	}
	return ""
}

func which(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return name
}

// Info is group.info: name, passwd, gid and members, or an empty map.
func Info(root, name string) (*data.Map, error) {
	gs, err := user.Groups(root)
	if err != nil {
		return nil, fmt.Errorf("group: %w", err)
	}
	for _, g := range gs {
		if g.Name == name {
			return format(g), nil
		}
	}
	return data.NewMap(), nil
}

func format(g user.Group) *data.Map {
	mem := make([]any, len(g.Members))
	for i, m := range g.Members {
		mem[i] = m
	}
	return data.M("name", g.Name, "passwd", g.Passwd, "gid", g.GID, "members", mem)
}

func run(ctx context.Context, c *host.Call, argv []string) (bool, error) {
	r, err := user.Exec(ctx, c.Env, argv)
	if err != nil {
		return false, fmt.Errorf("group: %w", err)
	}
	return r.Retcode == 0, nil
}

func add(ctx context.Context, c *host.Call) (any, error) {
	argv := []string{which("groupadd")}
	if g := c.Get("gid"); g != nil && data.Truthy(g) {
		argv = append(argv, "-g", data.Str(g))
		if c.Bool("non_unique") {
			argv = append(argv, "-o")
		}
	}
	if c.Bool("system") {
		argv = append(argv, "-r")
	}
	if root := rootOf(c); root != "" {
		argv = append(argv, "-R", root)
	}
	return run(ctx, c, append(argv, c.Str("name")))
}

func del(ctx context.Context, c *host.Call) (any, error) {
	argv := []string{which("groupdel")}
	if root := rootOf(c); root != "" {
		argv = append(argv, "-R", root)
	}
	return run(ctx, c, append(argv, c.Str("name")))
}

func infoFn(_ context.Context, c *host.Call) (any, error) { return Info(rootOf(c), c.Str("name")) }

func getent(_ context.Context, c *host.Call) (any, error) {
	gs, err := user.Groups(rootOf(c))
	if err != nil {
		return nil, fmt.Errorf("group: %w", err)
	}
	out := make([]any, len(gs))
	for i, g := range gs {
		out[i] = format(g)
	}
	return out, nil
}

func chgid(ctx context.Context, c *host.Call) (any, error) {
	root, name := rootOf(c), c.Str("name")
	pre, err := Info(root, name)
	if err != nil {
		return nil, err
	}
	if pre.Len() == 0 {
		return false, nil
	}
	if cur, _ := pre.Get("gid"); data.Equal(cur, c.Get("gid")) {
		return true, nil
	}
	param := "-g"
	if c.Bool("non_unique") {
		param = "-og"
	}
	argv := []string{which("groupmod")}
	if root != "" {
		argv = append(argv, "-R", root)
	}
	if _, err := run(ctx, c, append(argv, param, data.Str(c.Get("gid")), name)); err != nil {
		return nil, err
	}
	post, err := Info(root, name)
	if err != nil {
		return nil, err
	}
	cur, _ := post.Get("gid")
	return data.Equal(cur, c.Get("gid")), nil
}

func gpasswd(op string) func(context.Context, *host.Call) (any, error) {
	return func(ctx context.Context, c *host.Call) (any, error) {
		argv := []string{which("gpasswd"), op, c.Str("username"), c.Str("name")}
		if root := rootOf(c); root != "" {
			argv = append(argv, "--root", root)
		}
		return run(ctx, c, argv)
	}
}

// deluser is groupadd.deluser: True when the user is not a member (or the
// group is missing), else gpasswd --del's success.
func deluser(ctx context.Context, c *host.Call) (any, error) {
	// Salt reads the group without root here (groupadd.deluser calls group.info(name))
	info, err := Info(rootOf(c), c.Str("name"))
	if err != nil {
		return nil, err
	}
	mem, _ := info.Get("members")
	l, _ := mem.([]any)
	for _, m := range l {
		if data.Str(m) == c.Str("username") {
			return gpasswd("--del")(ctx, c)
		}
	}
	return true, nil
}

func members(ctx context.Context, c *host.Call) (any, error) {
	list := c.Get("members_list")
	var s string
	switch v := list.(type) {
	case []any:
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = data.Str(x)
		}
		s = strings.Join(parts, ",")
	default:
		s = data.Str(v)
	}
	argv := []string{which("gpasswd"), "--members", s, c.Str("name")}
	if root := rootOf(c); root != "" {
		argv = append(argv, "--root", root)
	}
	return run(ctx, c, argv)
}
