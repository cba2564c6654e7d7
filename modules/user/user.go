// Package user is Salt's useradd execution module (salt/modules/useradd.py,
// virtual name user) on Linux: add, delete, info, getent, list_users,
// list_groups, primary_group, chuid, chgid, chshell, chhome, chgroups,
// chfullname (and the other GECOS fields) and rename. Changes shell out to
// the shadow tools (useradd, usermod, userdel) through modules/cmd, with
// Salt's root argument passed as "-R <root>"; account data is read from
// <root>/etc/passwd and <root>/etc/group.
package user

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	cmdmod "github.com/saltgo/saltgo/modules/cmd"
)

func rootP() host.Param { return host.Opt("root", nil) }

func init() {
	host.Register(&host.Module{Kind: host.Exec, Name: "user", Doc: "Manage users with the useradd command",
		Virtual: func() error {
			if _, err := exec.LookPath("useradd"); err != nil {
				return fmt.Errorf("useradd execution module not loaded: either pwd python library not available or system not one of Linux, OpenBSD, NetBSD or AIX")
			}
			return nil
		},
		Funcs: []*host.Func{
			{Name: "add", Params: []host.Param{host.Req("name"), host.Opt("uid", nil), host.Opt("gid", nil), host.Opt("groups", nil), host.Opt("home", nil),
				host.Opt("shell", nil), host.Opt("unique", true), host.Opt("system", false), host.Opt("fullname", ""), host.Opt("roomnumber", ""),
				host.Opt("workphone", ""), host.Opt("homephone", ""), host.Opt("other", ""), host.Opt("createhome", true), host.Opt("loginclass", nil),
				host.Opt("nologinit", false), rootP(), host.Opt("usergroup", nil), host.Opt("local", false)}, VarKwargs: true, Fn: add,
				Doc: "Add a user to the minion\n\n    CLI Example:\n\n        salt '*' user.add name <uid> <gid> <groups> <home> <shell>\n    "},
			{Name: "delete", Params: []host.Param{host.Req("name"), host.Opt("remove", false), host.Opt("force", false), rootP(), host.Opt("local", false)}, Fn: del,
				Doc: "Remove a user from the minion\n\n    CLI Example:\n\n        salt '*' user.delete name remove=True force=True\n    "},
			{Name: "getent", Params: []host.Param{host.Opt("refresh", false), rootP()}, Fn: getent,
				Doc: "Return the list of all info for all users\n\n    CLI Example:\n\n        salt '*' user.getent\n    "},
			{Name: "info", Params: []host.Param{host.Req("name"), rootP()}, Fn: infoFn,
				Doc: "Return user information\n\n    CLI Example:\n\n        salt '*' user.info root\n    "},
			{Name: "list_users", Params: []host.Param{rootP()}, Fn: listUsers,
				Doc: "Return a list of all users\n\n    CLI Example:\n\n        salt '*' user.list_users\n    "},
			{Name: "list_groups", Params: []host.Param{host.Req("name"), rootP()}, Fn: listGroupsFn,
				Doc: "Return a list of groups the named user belongs to\n\n    CLI Example:\n\n        salt '*' user.list_groups foo\n    "},
			{Name: "primary_group", Params: []host.Param{host.Req("name"), rootP()}, Fn: primaryGroup,
				Doc: "Return the primary group of the named user\n\n    CLI Example:\n\n        salt '*' user.primary_group saltadmin\n    "},
			{Name: "chuid", Params: []host.Param{host.Req("name"), host.Req("uid"), rootP()}, Fn: chattrib("uid", "-u"),
				Doc: "Change the uid for a named user\n\n    CLI Example:\n\n        salt '*' user.chuid foo 4376\n    "},
			{Name: "chgid", Params: []host.Param{host.Req("name"), host.Req("gid"), rootP()}, Fn: chattrib("gid", "-g"),
				Doc: "Change the default group of the user\n\n    CLI Example:\n\n        salt '*' user.chgid foo 4376\n    "},
			{Name: "chshell", Params: []host.Param{host.Req("name"), host.Req("shell"), rootP()}, Fn: chattrib("shell", "-s"),
				Doc: "Change the default shell of the user\n\n    CLI Example:\n\n        salt '*' user.chshell foo /bin/zsh\n    "},
			{Name: "chhome", Params: []host.Param{host.Req("name"), host.Req("home"), host.Opt("persist", false), rootP()}, Fn: chattrib("home", "-d"),
				Doc: "Change the home directory of the user, pass True for persist to move files\n    to the new home directory if the old home directory exist.\n\n    CLI Example:\n\n        salt '*' user.chhome foo /home/users/foo True\n    "},
			{Name: "rename", Params: []host.Param{host.Req("name"), host.Req("new_name"), rootP()}, Fn: rename,
				Doc: "Change the username for a named user\n\n    CLI Example:\n\n        salt '*' user.rename name new_name\n    "},
			{Name: "chgroups", Params: []host.Param{host.Req("name"), host.Req("groups"), host.Opt("append", false), rootP()}, Fn: chgroups,
				Doc: "Change the groups to which this user belongs\n\n    CLI Example:\n\n        salt '*' user.chgroups foo wheel,root\n        salt '*' user.chgroups foo wheel,root append=True\n    "},
			{Name: "chfullname", Params: []host.Param{host.Req("name"), host.Req("fullname"), rootP()}, Fn: chgecos("fullname", 0),
				Doc: "Change the user's Full Name\n\n    CLI Example:\n\n        salt '*' user.chfullname foo \"Foo Bar\"\n    "},
			{Name: "chroomnumber", Params: []host.Param{host.Req("name"), host.Req("roomnumber"), rootP()}, Fn: chgecos("roomnumber", 1),
				Doc: "Change the user's Room Number\n\n    CLI Example:\n\n        salt '*' user.chroomnumber foo 123\n    "},
			{Name: "chworkphone", Params: []host.Param{host.Req("name"), host.Req("workphone"), rootP()}, Fn: chgecos("workphone", 2),
				Doc: "Change the user's Work Phone\n\n    CLI Example:\n\n        salt '*' user.chworkphone foo 7735550123\n    "},
			{Name: "chhomephone", Params: []host.Param{host.Req("name"), host.Req("homephone"), rootP()}, Fn: chgecos("homephone", 3),
				Doc: "Change the user's Home Phone\n\n    CLI Example:\n\n        salt '*' user.chhomephone foo 7735551234\n    "},
			{Name: "chother", Params: []host.Param{host.Req("name"), host.Req("other"), rootP()}, Fn: chgecos("other", 4),
				Doc: "Change the user's other GECOS attribute\n\n    CLI Example:\n\n        salt '*' user.chother foobar\n    "},
		}})
}

// Passwd is one /etc/passwd entry.
type Passwd struct {
	Name, Passwd string
	UID, GID     int64
	Gecos, Dir   string
	Shell        string
}

// Group is one /etc/group entry.
type Group struct {
	Name, Passwd string
	GID          int64
	Members      []string
}

func rootOf(c *host.Call) string {
	if v := c.Get("root"); v != nil {
		return data.Str(v)
	}
	return ""
}

func readLines(root, rel string) ([]string, error) {
	if root == "" {
		root = "/"
	}
	f, err := os.Open(filepath.Join(root, rel))
	if err != nil {
		return nil, fmt.Errorf("user: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("user: reading %s: %w", rel, err)
	}
	return out, nil
}

// Users reads <root>/etc/passwd (root "" is /), skipping malformed lines.
func Users(root string) ([]Passwd, error) {
	lines, err := readLines(root, "etc/passwd")
	if err != nil {
		return nil, err
	}
	var out []Passwd
	for _, l := range lines {
		c := strings.Split(strings.TrimSpace(l), ":")
		if len(c) != 7 {
			continue
		}
		uid, err1 := strconv.ParseInt(c[2], 10, 64)
		gid, err2 := strconv.ParseInt(c[3], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, Passwd{c[0], c[1], uid, gid, c[4], c[5], c[6]})
	}
	return out, nil
}

// Groups reads <root>/etc/group (root "" is /), skipping malformed lines.
func Groups(root string) ([]Group, error) {
	lines, err := readLines(root, "etc/group")
	if err != nil {
		return nil, err
	}
	var out []Group
	for _, l := range lines {
		c := strings.Split(strings.TrimSpace(l), ":")
		if len(c) < 4 {
			continue
		}
		gid, err := strconv.ParseInt(c[2], 10, 64)
		if err != nil {
			continue
		}
		var mem []string
		if c[3] != "" {
			mem = strings.Split(c[3], ",")
		}
		out = append(out, Group{c[0], c[1], gid, mem})
	}
	return out, nil
}

func lookup(root, name string) (*Passwd, error) {
	us, err := Users(root)
	if err != nil {
		return nil, err
	}
	for i := range us {
		if us[i].Name == name {
			return &us[i], nil
		}
	}
	return nil, nil
}

// GroupList is salt.utils.user.get_group_list read from root: the
// groups naming the user as a member plus its primary group, sorted.
func GroupList(root, name string) ([]string, error) {
	p, err := lookup(root, name)
	if err != nil || p == nil {
		return []string{}, err
	}
	gs, err := Groups(root)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	for _, g := range gs {
		if g.GID == p.GID {
			set[g.Name] = true
		}
		for _, m := range g.Members {
			if m == name {
				set[g.Name] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, nil
}

func formatInfo(root string, p *Passwd) (*data.Map, error) {
	gecos := strings.SplitN(p.Gecos, ",", 5)
	for len(gecos) < 5 {
		gecos = append(gecos, "")
	}
	groups, err := GroupList(root, p.Name)
	if err != nil {
		return nil, err
	}
	gl := make([]any, len(groups))
	for i, g := range groups {
		gl[i] = g
	}
	return data.M("gid", p.GID, "groups", gl, "home", p.Dir, "name", p.Name, "passwd", p.Passwd, "shell", p.Shell, "uid", p.UID,
		"fullname", gecos[0], "roomnumber", gecos[1], "workphone", gecos[2], "homephone", gecos[3], "other", gecos[4]), nil
}

// Info is user.info: Salt's dict, or an empty map when the user is missing.
func Info(root, name string) (*data.Map, error) {
	p, err := lookup(root, name)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return data.NewMap(), nil
	}
	return formatInfo(root, p)
}

// Exec runs argv as cmd.run_all does (no shell, retcode ignored).
func Exec(ctx context.Context, env *host.Env, argv []string) (cmdmod.Result, error) {
	f, _, err := host.Lookup(host.Exec, "cmd.run_all")
	if err != nil {
		return cmdmod.Result{}, fmt.Errorf("user: %w", err)
	}
	call, err := host.Bind(f, nil, data.M("cmd", strings.Join(argv, " "), "python_shell", false, "ignore_retcode", true))
	if err != nil {
		return cmdmod.Result{}, fmt.Errorf("user: %w", err)
	}
	call.Env, call.Fun = env, "cmd.run_all"
	r, err := cmdmod.Run(ctx, call, argv[0], argv[1:], false, false)
	if err != nil {
		return r, fmt.Errorf("user: running %s: %w", argv[0], err)
	}
	return r, nil
}

func which(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return name
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return data.Str(v)
}

func groupsArg(v any) []string {
	switch g := v.(type) {
	case nil:
		return nil
	case string:
		if g == "" {
			return []string{}
		}
		return strings.Split(g, ",")
	case []any:
		out := make([]string, len(g))
		for i, x := range g {
			out[i] = data.Str(x)
		}
		return out
	case []string:
		return g
	}
	return []string{data.Str(v)}
}

func add(ctx context.Context, c *host.Call) (any, error) {
	name, root := c.Str("name"), rootOf(c)
	argv := []string{which("useradd")}
	if s := str(c.Get("shell")); s != "" && data.Truthy(c.Get("shell")) {
		argv = append(argv, "-s", s)
	}
	if u := c.Get("uid"); u != nil && str(u) != "" {
		argv = append(argv, "-u", str(u))
	}
	groups := groupsArg(c.Get("groups"))
	if g := c.Get("gid"); g != nil && str(g) != "" {
		argv = append(argv, "-g", str(g))
	} else if ug := c.Get("usergroup"); ug != nil && data.Truthy(ug) {
		argv = append(argv, "-U")
	} else if groups != nil && contains(groups, name) {
		// USERGROUPS_ENAB yes: the user's own group becomes its primary one
		if lines, err := readLines("/", "etc/login.defs"); err == nil {
			for _, l := range lines {
				if !strings.Contains(l[:min(len(l), 15)], "USERGROUPS_ENAB") {
					continue
				}
				if strings.Contains(l, "yes") {
					argv = append(argv, "-g", name)
				}
				break
			}
		}
	}
	if ug := c.Get("usergroup"); ug == false {
		argv = append(argv, "-N")
	}
	if c.Bool("createhome") {
		argv = append(argv, "-m")
	} else {
		argv = append(argv, "-M")
	}
	if c.Bool("nologinit") {
		argv = append(argv, "-l")
	}
	if h := c.Get("home"); h != nil {
		argv = append(argv, "-d", str(h))
	}
	if !c.Bool("unique") {
		argv = append(argv, "-o")
	}
	if c.Bool("system") {
		argv = append(argv, "-r")
	}
	argv = append(argv, name)
	if root != "" {
		argv = append(argv, "-R", root)
	}
	r, err := Exec(ctx, c.Env, argv)
	if err != nil {
		return nil, err
	}
	if r.Retcode != 0 {
		return false, nil
	}
	if len(groups) > 0 {
		if _, err := doChgroups(ctx, c.Env, root, name, groups, false); err != nil {
			return nil, err
		}
	}
	for i, key := range []string{"fullname", "roomnumber", "workphone", "homephone", "other"} {
		if v := str(c.Get(key)); v != "" {
			if _, err := updateGecos(ctx, c.Env, root, name, i, v); err != nil {
				return nil, err
			}
		}
	}
	return true, nil
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func del(ctx context.Context, c *host.Call) (any, error) {
	argv := []string{which("userdel")}
	if c.Bool("remove") {
		argv = append(argv, "-r")
	}
	if c.Bool("force") {
		argv = append(argv, "-f")
	}
	argv = append(argv, c.Str("name"))
	if root := rootOf(c); root != "" {
		argv = append(argv, "-R", root)
	}
	r, err := Exec(ctx, c.Env, argv)
	if err != nil {
		return nil, err
	}
	if r.Retcode == 0 {
		return true, nil
	}
	// Debian's userdel exits 12 when the mail spool is missing
	if r.Retcode == 12 && (strings.Contains(r.Stderr, "var/mail") || strings.Contains(r.Stderr, "var/spool/mail")) {
		return true, nil
	}
	return false, nil
}

func getent(_ context.Context, c *host.Call) (any, error) {
	root := rootOf(c)
	us, err := Users(root)
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(us))
	for i := range us {
		m, err := formatInfo(root, &us[i])
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func infoFn(_ context.Context, c *host.Call) (any, error) { return Info(rootOf(c), c.Str("name")) }

func listUsers(_ context.Context, c *host.Call) (any, error) {
	us, err := Users(rootOf(c))
	if err != nil {
		return nil, err
	}
	names := make([]string, len(us))
	for i, u := range us {
		names[i] = u.Name
	}
	sort.Strings(names)
	out := make([]any, len(names))
	for i, n := range names {
		out[i] = n
	}
	return out, nil
}

func listGroupsFn(_ context.Context, c *host.Call) (any, error) {
	gs, err := GroupList(rootOf(c), c.Str("name"))
	if err != nil {
		return nil, err
	}
	out := make([]any, len(gs))
	for i, g := range gs {
		out[i] = g
	}
	return out, nil
}

func primaryGroup(_ context.Context, c *host.Call) (any, error) {
	root := rootOf(c)
	p, err := lookup(root, c.Str("name"))
	if err != nil || p == nil {
		return "", err
	}
	gs, err := Groups(root)
	if err != nil {
		return nil, err
	}
	for _, g := range gs {
		if g.GID == p.GID {
			return g.Name, nil
		}
	}
	return strconv.FormatInt(p.GID, 10), nil
}

// chattrib is useradd._chattrib: usermod <param> <value> unless the value
// is already set; True when info shows the new value.
func chattrib(key, param string) func(context.Context, *host.Call) (any, error) {
	return func(ctx context.Context, c *host.Call) (any, error) {
		name, root := c.Str("name"), rootOf(c)
		value := c.Get(key)
		pre, err := Info(root, name)
		if err != nil {
			return nil, err
		}
		if pre.Len() == 0 {
			return nil, host.Errorf("User '%s' does not exist", name)
		}
		if cur, _ := pre.Get(key); data.Equal(cur, value) {
			return true, nil
		}
		argv := []string{which("usermod")}
		if root != "" {
			argv = append(argv, "-R", root)
		}
		if key == "home" && c.Bool("persist") {
			argv = append(argv, "-m")
		}
		argv = append(argv, param, str(value), name)
		if _, err := Exec(ctx, c.Env, argv); err != nil {
			return nil, err
		}
		post, err := Info(root, name)
		if err != nil {
			return nil, err
		}
		cur, _ := post.Get(key)
		return data.Equal(cur, value), nil
	}
}

func rename(ctx context.Context, c *host.Call) (any, error) {
	root, name, nn := rootOf(c), c.Str("name"), c.Str("new_name")
	if p, err := lookup(root, nn); err != nil {
		return nil, err
	} else if p != nil {
		return nil, host.Errorf("User '%s' already exists", nn)
	}
	if p, err := lookup(root, name); err != nil {
		return nil, err
	} else if p == nil {
		return nil, host.Errorf("User '%s' does not exist", name)
	}
	argv := []string{which("usermod")}
	if root != "" {
		argv = append(argv, "-R", root)
	}
	if _, err := Exec(ctx, c.Env, append(argv, "-l", nn, name)); err != nil {
		return nil, err
	}
	p, err := lookup(root, nn)
	return p != nil, err
}

func chgroups(ctx context.Context, c *host.Call) (any, error) {
	return doChgroups(ctx, c.Env, rootOf(c), c.Str("name"), groupsArg(c.Get("groups")), c.Bool("append"))
}

func doChgroups(ctx context.Context, env *host.Env, root, name string, groups []string, appendG bool) (bool, error) {
	cur, err := GroupList(root, name)
	if err != nil {
		return false, err
	}
	if sameSet(cur, groups) {
		return true, nil
	}
	argv := []string{which("usermod")}
	if appendG {
		argv = append(argv, "-a")
	}
	argv = append(argv, "-G", strings.Join(groups, ","), name)
	if root != "" {
		argv = append(argv, "-R", root)
	}
	r, err := Exec(ctx, env, argv)
	if err != nil {
		return false, err
	}
	return r.Retcode == 0, nil
}

func sameSet(a, b []string) bool {
	sa, sb := map[string]bool{}, map[string]bool{}
	for _, x := range a {
		sa[x] = true
	}
	for _, x := range b {
		sb[x] = true
	}
	if len(sa) != len(sb) {
		return false
	}
	for k := range sa {
		if !sb[k] {
			return false
		}
	}
	return true
}

// chgecos is user.chfullname and its siblings: one GECOS field.
func chgecos(key string, idx int) func(context.Context, *host.Call) (any, error) {
	return func(ctx context.Context, c *host.Call) (any, error) {
		return updateGecos(ctx, c.Env, rootOf(c), c.Str("name"), idx, str(c.Get(key)))
	}
}

// updateGecos is useradd._update_gecos: usermod -c with the gecos field
// idx replaced.
func updateGecos(ctx context.Context, env *host.Env, root, name string, idx int, value string) (bool, error) {
	p, err := lookup(root, name)
	if err != nil {
		return false, err
	}
	if p == nil {
		return false, host.Errorf("User '%s' does not exist", name)
	}
	g := strings.SplitN(p.Gecos, ",", 5)
	for len(g) < 5 {
		g = append(g, "")
	}
	if g[idx] == value {
		return true, nil
	}
	g[idx] = value
	gecos := strings.TrimRight(strings.Join(g, ","), ",")
	argv := []string{which("usermod")}
	if root != "" {
		argv = append(argv, "-R", root)
	}
	if _, err := Exec(ctx, env, append(argv, "-c", gecos, name)); err != nil {
		return false, err
	}
	p, err = lookup(root, name)
	if err != nil || p == nil {
		return false, err
	}
	g = strings.SplitN(p.Gecos, ",", 5)
	for len(g) < 5 {
		g = append(g, "")
	}
	return g[idx] == value, nil
}
