// Package user is Salt's user state module (salt/states/user.py) on Linux:
// present and absent, through the user and group execution modules.
//
// Salt's states take no root argument; the package-level root (set only by
// tests, through export_test.go) is passed as root= to every execution call
// so the tests run the states' own code against a private account root.
package user

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	userexec "github.com/saltgo/saltgo/modules/user"
	"github.com/saltgo/saltgo/state"
)

// root is the account root the tests use; "" is the host.
var root string

func init() {
	host.Register(&host.Module{Kind: host.State, Name: "user", Doc: "Management of user accounts",
		Funcs: []*host.Func{
			{Name: "present", Params: []host.Param{host.Req("name"), host.Opt("uid", nil), host.Opt("gid", nil), host.Opt("usergroup", nil),
				host.Opt("groups", nil), host.Opt("optional_groups", nil), host.Opt("remove_groups", true), host.Opt("home", nil),
				host.Opt("createhome", true), host.Opt("password", nil), host.Opt("hash_password", false), host.Opt("enforce_password", true),
				host.Opt("empty_password", false), host.Opt("shell", nil), host.Opt("unique", true), host.Opt("system", false),
				host.Opt("fullname", nil), host.Opt("roomnumber", nil), host.Opt("workphone", nil), host.Opt("homephone", nil), host.Opt("other", nil),
				host.Opt("loginclass", nil), host.Opt("date", nil), host.Opt("mindays", nil), host.Opt("maxdays", nil), host.Opt("inactdays", nil),
				host.Opt("warndays", nil), host.Opt("expire", nil), host.Opt("win_homedrive", nil), host.Opt("win_profile", nil),
				host.Opt("win_logonscript", nil), host.Opt("win_description", nil), host.Opt("nologinit", false), host.Opt("allow_uid_change", false),
				host.Opt("allow_gid_change", false), host.Opt("password_lock", nil), host.Opt("local", false)},
				VarKwargs: true, Fn: present, Doc: "Ensure that the named user is present with the specified properties"},
			{Name: "absent", Params: []host.Param{host.Req("name"), host.Opt("purge", false), host.Opt("force", false), host.Opt("local", false)},
				VarKwargs: true, Fn: absent, Doc: "Ensure that the named user is absent"},
		}})
}

// Call runs an execution function with keyword arguments, adding root=
// when the package root is set.
func Call(ctx context.Context, env *host.Env, fun string, rootDir string, kv ...any) (any, error) {
	f, _, err := host.Lookup(host.Exec, fun)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fun, err)
	}
	kw := data.M(kv...)
	if rootDir != "" {
		kw.Set("root", rootDir)
	}
	call, err := host.Bind(f, nil, kw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", fun, err)
	}
	call.Env, call.Fun = env, fun
	return host.Invoke(ctx, call)
}

func info(ctx context.Context, env *host.Env, name string) (*data.Map, error) {
	v, err := Call(ctx, env, "user.info", root, "name", name)
	if err != nil {
		return nil, err
	}
	m, _ := v.(*data.Map)
	if m == nil {
		m = data.NewMap()
	}
	return m, nil
}

func groupInfo(ctx context.Context, env *host.Env, name string) (*data.Map, error) {
	v, err := Call(ctx, env, "group.info", root, "name", name)
	if err != nil {
		return nil, err
	}
	m, _ := v.(*data.Map)
	if m == nil {
		m = data.NewMap()
	}
	return m, nil
}

// groupToGID is file.group_to_gid over the root's group file: the gid of a
// group name, a number as is, "" when unknown.
func groupToGID(ctx context.Context, env *host.Env, g any) any {
	if g == nil {
		return ""
	}
	switch g.(type) {
	case int, int64:
		return g
	}
	m, err := groupInfo(ctx, env, data.Str(g))
	if err != nil || m.Len() == 0 {
		var n int64
		if _, err := fmt.Sscan(data.Str(g), &n); err == nil {
			return n
		}
		return ""
	}
	v, _ := m.Get("gid")
	return v
}

// gidToGroup is file.gid_to_group: the name of a gid (or the name given).
func gidToGroup(ctx context.Context, env *host.Env, gid any) string {
	v, err := Call(ctx, env, "group.getent", root)
	if err != nil {
		return data.Str(gid)
	}
	l, _ := v.([]any)
	want := groupToGID(ctx, env, gid)
	for _, x := range l {
		m := x.(*data.Map)
		if g, _ := m.Get("gid"); data.Equal(g, want) {
			n, _ := m.Get("name")
			return data.Str(n)
		}
	}
	return data.Str(gid)
}

// shadowPasswd is shadow.info's passwd field read from the root's
// etc/shadow ("" when the user or the file is missing).
func shadowPasswd(name string) string {
	b, err := os.ReadFile(filepath.Join(orSlash(root), "etc/shadow"))
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		c := strings.Split(strings.TrimSpace(l), ":")
		if len(c) > 1 && c[0] == name {
			return c[1]
		}
	}
	return ""
}

func orSlash(r string) string {
	if r == "" {
		return "/"
	}
	return r
}

// setPassword is shadow.set_password with use_usermod: usermod -p, then
// whether the shadow file holds the hash.
func setPassword(ctx context.Context, env *host.Env, name, hash string) (bool, error) {
	argv := []string{"usermod"}
	if root != "" {
		argv = append(argv, "-R", root)
	}
	if _, err := userexec.Exec(ctx, env, append(argv, "-p", hash, name)); err != nil {
		return false, err
	}
	return shadowPasswd(name) == hash, nil
}

const redacted = "XXX-REDACTED-XXX"

func inRoot(p string) string {
	if root == "" {
		return p
	}
	return filepath.Join(root, p)
}

func remove(l []string, s string) []string {
	out := l[:0:0]
	for _, x := range l {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

func uniqSorted(l []string) []string {
	set := map[string]bool{}
	out := []string{}
	for _, x := range l {
		if !set[x] {
			set[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

// changes is states/user._changes for the attributes saltgo manages:
// nil when the user is missing, else the ordered changes.
func changes(ctx context.Context, c *host.Call, groups, optGroups []string, gid any, allowUID, allowGID bool) (*data.Map, error) {
	name := c.Str("name")
	lusr, err := info(ctx, c.Env, name)
	if err != nil {
		return nil, err
	}
	if lusr.Len() == 0 {
		return nil, nil
	}
	change := data.NewMap()
	removeGroups := c.Bool("remove_groups")
	wanted := uniqSorted(append(append([]string{}, groups...), optGroups...))
	lg, _ := lusr.Get("groups")
	cur := data.SplitStrings(lg)
	if !removeGroups || groups == nil && len(optGroups) == 0 {
		wanted = uniqSorted(append(wanted, cur...))
	}
	luid, _ := lusr.Get("uid")
	lgid, _ := lusr.Get("gid")
	if u := c.Get("uid"); data.Truthy(u) && !data.Equal(luid, u) {
		change.Set("uid", u)
	}
	if gid != nil && !data.Equal(lgid, gid) && !data.Equal(lgid, groupToGID(ctx, c.Env, gid)) {
		change.Set("gid", gid)
	}
	dg := lgid
	if gid != nil {
		dg = gid
	}
	defaultGrp, oldDefault := gidToGroup(ctx, c.Env, dg), gidToGroup(ctx, c.Env, lgid)
	if slices.Contains(cur, defaultGrp) || slices.Contains(wanted, defaultGrp) {
		cur, wanted = remove(cur, defaultGrp), remove(wanted, defaultGrp)
	}
	if oldDefault != defaultGrp && slices.Contains(cur, oldDefault) {
		cur = remove(cur, oldDefault)
	}
	if slices.Contains(cur, name) && !slices.Contains(wanted, name) {
		cur = remove(cur, name)
	}
	if groupChanges(cur, wanted, removeGroups) && (len(wanted) > 0 || removeGroups) {
		change.Set("groups", data.List(wanted))
	}
	lhome, _ := lusr.Get("home")
	if h := c.Get("home"); data.Truthy(h) && !data.Equal(lhome, h) {
		change.Set("home", h)
	}
	if c.Bool("createhome") {
		newhome := data.Str(lhome)
		if h := c.Get("home"); data.Truthy(h) {
			newhome = data.Str(h)
		}
		if st, err := os.Stat(inRoot(newhome)); err != nil || !st.IsDir() {
			change.Set("homeDoesNotExist", newhome)
		}
	}
	lshell, _ := lusr.Get("shell")
	if s := c.Get("shell"); data.Truthy(s) && !data.Equal(lshell, s) {
		change.Set("shell", s)
	}
	if pw := c.Get("password"); data.Truthy(pw) && !c.Bool("empty_password") {
		cur := shadowPasswd(name)
		if (cur == "!" || c.Bool("enforce_password")) && cur != data.Str(pw) {
			change.Set("passwd", data.Str(pw))
		}
	}
	for _, k := range []string{"fullname", "roomnumber", "workphone", "homephone", "other"} {
		cur, _ := lusr.Get(k)
		if f := c.Get(k); f != nil && !data.Equal(cur, data.Str(f)) {
			change.Set(k, data.Str(f))
		}
	}
	var errs []string
	if _, ok := change.Get("uid"); ok && !allowUID {
		errs = append(errs, fmt.Sprintf("Changing uid (%s -> %s) not permitted, set allow_uid_change to True to force this change. Note that this will not change file ownership.", data.Str(luid), data.Str(c.Get("uid"))))
	}
	if _, ok := change.Get("gid"); ok && !allowGID {
		errs = append(errs, fmt.Sprintf("Changing gid (%s -> %s) not permitted, set allow_gid_change to True to force this change. Note that this will not change file ownership.", data.Str(lgid), data.Str(gid)))
	}
	if errs != nil {
		return nil, &host.CommandExecutionError{Msg: "Encountered error checking for needed changes. Additional info follows:\n\n- " + strings.Join(errs, "\n- ")}
	}
	return change, nil
}

// groupChanges is states/user._group_changes without the duplicate-gid case.
func groupChanges(cur, wanted []string, removeGroups bool) bool {
	if removeGroups {
		return strings.Join(uniqSorted(cur), ",") != strings.Join(uniqSorted(wanted), ",")
	}
	for _, w := range wanted {
		if !slices.Contains(cur, w) {
			return true
		}
	}
	return false
}

func present(ctx context.Context, c *host.Call) (any, error) {
	name := c.Str("name")
	test := state.IsTest(c)
	ret := data.M("name", name, "changes", data.NewMap(), "result", true, "comment", fmt.Sprintf("User %s is present and up to date", name))
	for _, f := range []string{"fullname", "roomnumber", "workphone"} {
		if v := c.Get(f); v != nil && strings.Contains(data.Str(v), ",") {
			ret.Set("comment", fmt.Sprintf("Unsupported char ',' in %s", data.Str(v)))
			ret.Set("result", false)
			return ret, nil
		}
	}
	groups := data.SplitStrings(c.Get("groups"))
	if len(groups) > 0 {
		var missing []string
		for _, g := range groups {
			m, err := groupInfo(ctx, c.Env, g)
			if err != nil {
				return nil, err
			}
			if m.Len() == 0 {
				missing = append(missing, g)
			}
		}
		if missing != nil {
			ret.Set("comment", "The following group(s) are not present: "+strings.Join(missing, ","))
			ret.Set("result", false)
			return ret, nil
		}
	}
	var present []string
	for _, g := range data.SplitStrings(c.Get("optional_groups")) {
		m, err := groupInfo(ctx, c.Env, g)
		if err != nil {
			return nil, err
		}
		if m.Len() > 0 {
			present = append(present, g)
		}
	}
	gid := c.Get("gid")
	changesGID := gid
	if c.Bool("usergroup") && groupToGID(ctx, c.Env, name) != "" {
		changesGID = name
	}
	ch, err := changes(ctx, c, groups, present, changesGID, c.Bool("allow_uid_change"), c.Bool("allow_gid_change"))
	if err != nil {
		ret.Set("result", false)
		ret.Set("comment", err.Error())
		return ret, nil
	}
	if ch != nil && ch.Len() > 0 {
		if test {
			ret.Set("result", nil)
			comment := "The following user attributes are set to be changed:\n"
			for _, k := range ch.Keys() {
				v, _ := ch.Get(k)
				if k == "passwd" {
					v = redacted
				}
				comment += fmt.Sprintf("%s: %s\n", k, data.Str(v))
			}
			ret.Set("comment", comment)
			return ret, nil
		}
		pre, err := info(ctx, c.Env, name)
		if err != nil {
			return nil, err
		}
		lshad := shadowPasswd(name)
		if v, ok := ch.Get("passwd"); ok {
			ch.Delete("passwd")
			if _, err := setPassword(ctx, c.Env, name, data.Str(v)); err != nil {
				return nil, err
			}
		}
		homeChanged := false
		if v, ok := ch.Get("home"); ok {
			ch.Delete("home")
			if _, dne := ch.Get("homeDoesNotExist"); !dne {
				if _, err := Call(ctx, c.Env, "user.chhome", root, "name", name, "home", v, "persist", false); err != nil {
					return nil, err
				}
				homeChanged = true
			}
		}
		if v, ok := ch.Get("homeDoesNotExist"); ok {
			ch.Delete("homeDoesNotExist")
			if !homeChanged {
				if _, err := Call(ctx, c.Env, "user.chhome", root, "name", name, "home", v, "persist", false); err != nil {
					return nil, err
				}
			}
			dir := inRoot(data.Str(v))
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return nil, fmt.Errorf("user.present: %w", err)
				}
				uid, _ := pre.Get("uid")
				gidv, _ := pre.Get("gid")
				if err := os.Chown(dir, int(toInt(uid)), int(toInt(gidv))); err != nil {
					return nil, fmt.Errorf("user.present: %w", err)
				}
			}
		}
		for _, k := range ch.Keys() {
			if k == "groups" {
				continue
			}
			v, _ := ch.Get(k)
			if _, err := Call(ctx, c.Env, "user.ch"+data.Str(k), root, "name", name, data.Str(k), v); err != nil {
				return nil, err
			}
			ch.Delete(k)
		}
		if v, ok := ch.Get("groups"); ok {
			if _, err := Call(ctx, c.Env, "user.chgroups", root, "name", name, "groups", v, "append", !c.Bool("remove_groups")); err != nil {
				return nil, err
			}
		}
		post, err := info(ctx, c.Env, name)
		if err != nil {
			return nil, err
		}
		chg := data.NewMap()
		for _, k := range post.Keys() {
			pv, _ := post.Get(k)
			ov, _ := pre.Get(k)
			if !data.Equal(pv, ov) {
				chg.Set(k, pv)
			}
		}
		if pw := c.Get("password"); lshad != data.Str(pw) && shadowPasswd(name) != lshad {
			chg.Set("passwd", redacted)
		}
		ret.Set("changes", chg)
		if chg.Len() > 0 {
			ret.Set("comment", fmt.Sprintf("Updated user %s", name))
		}
		again, err := changes(ctx, c, groups, present, gid, true, true)
		if err != nil {
			return nil, err
		}
		if again != nil && again.Len() > 0 {
			ret.Set("comment", fmt.Sprintf("These values could not be changed: %s", data.Repr(again)))
			ret.Set("result", false)
		}
		return ret, nil
	}
	if ch != nil {
		return ret, nil
	}
	if test {
		ret.Set("result", nil)
		ret.Set("comment", fmt.Sprintf("User %s set to be added", name))
		return ret, nil
	}
	allGroups := append(append([]string{}, groups...), present...)
	var groupsArg any
	if len(allGroups) > 0 {
		groupsArg = data.List(allGroups)
	}
	res, err := Call(ctx, c.Env, "user.add", root, "name", name, "uid", c.Get("uid"), "gid", gid, "groups", groupsArg, "home", c.Get("home"),
		"shell", c.Get("shell"), "unique", c.Get("unique"), "system", c.Get("system"), "fullname", orEmpty(c.Get("fullname")), "roomnumber", orEmpty(c.Get("roomnumber")),
		"workphone", orEmpty(c.Get("workphone")), "homephone", orEmpty(c.Get("homephone")), "other", orEmpty(c.Get("other")),
		"createhome", c.Get("createhome"), "nologinit", c.Get("nologinit"), "usergroup", c.Get("usergroup"))
	if err != nil {
		return nil, err
	}
	if res != true {
		ret.Set("comment", fmt.Sprintf("Failed to create new user %s", name))
		ret.Set("result", false)
		return ret, nil
	}
	ret.Set("comment", fmt.Sprintf("New user %s created", name))
	post, err := info(ctx, c.Env, name)
	if err != nil {
		return nil, err
	}
	if !c.Bool("createhome") {
		post.Set("home", "")
	}
	ret.Set("changes", post)
	if pw := c.Get("password"); data.Truthy(pw) && !c.Bool("empty_password") {
		ok, err := setPassword(ctx, c.Env, name, data.Str(pw))
		if err != nil {
			return nil, err
		}
		if !ok {
			ret.Set("comment", fmt.Sprintf("User %s created but failed to set password to %s", name, redacted))
			ret.Set("result", false)
		}
		post.Set("password", redacted)
	}
	return ret, nil
}

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return data.Str(v)
}

func toInt(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case int:
		return int64(n)
	}
	return -1
}

func absent(ctx context.Context, c *host.Call) (any, error) {
	name := c.Str("name")
	ret := data.M("name", name, "changes", data.NewMap(), "result", true, "comment", "")
	lusr, err := info(ctx, c.Env, name)
	if err != nil {
		return nil, err
	}
	if lusr.Len() == 0 {
		ret.Set("comment", fmt.Sprintf("User %s is not present", name))
		return ret, nil
	}
	if state.IsTest(c) {
		ret.Set("result", nil)
		ret.Set("comment", fmt.Sprintf("User %s set for removal", name))
		return ret, nil
	}
	before, _ := lusr.Get("groups")
	res, err := Call(ctx, c.Env, "user.delete", root, "name", name, "remove", c.Bool("purge"), "force", c.Bool("force"))
	if err != nil {
		return nil, err
	}
	if res != true {
		ret.Set("result", false)
		ret.Set("comment", fmt.Sprintf("Failed to remove user %s", name))
		return ret, nil
	}
	chg := data.NewMap()
	for _, g := range data.SplitStrings(before) {
		m, err := groupInfo(ctx, c.Env, g)
		if err != nil {
			return nil, err
		}
		if m.Len() == 0 {
			chg.Set(g+" group", "removed")
		}
	}
	chg.Set(name, "removed")
	ret.Set("changes", chg)
	ret.Set("comment", fmt.Sprintf("Removed user %s", name))
	return ret, nil
}
