package user_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	_ "github.com/saltgo/saltgo/modules/cmd"
	_ "github.com/saltgo/saltgo/modules/group"
	_ "github.com/saltgo/saltgo/modules/user"
	"github.com/saltgo/saltgo/modules/user/acctest"
)

func kw(kv ...any) *data.Map {
	m := data.M(kv...)
	m.Set("__kwarg__", true)
	return m
}

// TestUserGroupExec drives user.* and group.* against a private root
// (root=<dir> on every call, the shadow tools' -R/--root): each return is
// Salt's value and the root's files show the change; the host's account
// files are unchanged (acctest).
func TestUserGroupExec(t *testing.T) {
	root := acctest.New(t)
	r := func(kv ...any) *data.Map { return kw(append(kv, "root", root)...) }
	steps := []struct {
		fun  string
		args []any
		want string
	}{
		{"user.info", []any{"alice", r()}, `{}`},
		{"group.add", []any{"devs", r("gid", 2000)}, `True`},
		{"group.add", []any{"devs", r("gid", 2000)}, `False`},
		{"group.info", []any{"devs", r()}, `{'name': 'devs', 'passwd': 'x', 'gid': 2000, 'members': []}`},
		{"user.add", []any{"alice", r("uid", 1500, "shell", "/bin/sh", "home", "/home/alice", "fullname", "Alice A", "groups", []any{"staff"})}, `True`},
		{"user.add", []any{"alice", r()}, `False`},
		{"user.info", []any{"alice", r()}, `{'gid': 1500, 'groups': ['alice', 'staff'], 'home': '/home/alice', 'name': 'alice', 'passwd': 'x', 'shell': '/bin/sh', 'uid': 1500, 'fullname': 'Alice A', 'roomnumber': '', 'workphone': '', 'homephone': '', 'other': ''}`},
		{"user.list_groups", []any{"alice", r()}, `['alice', 'staff']`},
		{"user.primary_group", []any{"alice", r()}, `'alice'`},
		{"user.chshell", []any{"alice", "/bin/bash", r()}, `True`},
		{"user.chhome", []any{"alice", "/home/a2", r()}, `True`},
		{"user.chuid", []any{"alice", 1600, r()}, `True`},
		{"user.chgid", []any{"alice", 2000, r()}, `True`},
		{"user.chgroups", []any{"alice", "staff,users", r()}, `True`},
		{"user.chfullname", []any{"alice", "Alice B", r()}, `True`},
		{"user.chhomephone", []any{"alice", "555", r()}, `True`},
		{"user.chhomephone", []any{"alice", "", r()}, `True`},
		{"user.info", []any{"alice", r()}, `{'gid': 2000, 'groups': ['devs', 'staff', 'users'], 'home': '/home/a2', 'name': 'alice', 'passwd': 'x', 'shell': '/bin/bash', 'uid': 1600, 'fullname': 'Alice B', 'roomnumber': '', 'workphone': '', 'homephone': '', 'other': ''}`},
		{"group.adduser", []any{"devs", "root", r()}, `True`},
		{"group.members", []any{"devs", "alice,root", r()}, `True`},
		{"group.info", []any{"devs", r()}, `{'name': 'devs', 'passwd': 'x', 'gid': 2000, 'members': ['alice', 'root']}`},
		{"group.deluser", []any{"devs", "root", r()}, `True`},
		{"group.deluser", []any{"devs", "nobody", r()}, `True`},
		{"group.chgid", []any{"devs", 2001, r()}, `True`},
		{"user.list_users", []any{r()}, `['alice', 'bin', 'daemon', 'nobody', 'root']`},
		{"user.rename", []any{"alice", "root", r()}, `error: User 'root' already exists`},
		{"user.chshell", []any{"bob", "/bin/sh", r()}, `error: User 'bob' does not exist`},
		{"user.delete", []any{"alice", r("remove", true, "force", true)}, `True`},
		{"user.info", []any{"alice", r()}, `{}`},
		{"user.delete", []any{"alice", r()}, `False`},
		{"group.delete", []any{"devs", r()}, `True`},
		{"group.info", []any{"devs", r()}, `{}`},
	}
	for i, s := range steps {
		res := host.Run(context.Background(), &host.Env{Opts: data.NewMap(), Grains: data.NewMap()}, host.Request{Kind: host.Exec, Fun: s.fun, Args: s.args})
		got := data.Repr(res.Return)
		if res.Err != nil {
			got = "error: " + res.Err.Error()
		}
		if got != s.want {
			t.Fatalf("step %d %s = %s, want %s", i, s.fun, got, s.want)
		}
	}
	// createhome made the home inside the root (chhome without persist
	// leaves it), never on the host
	if _, err := os.Stat(filepath.Join(root, "home/alice")); err != nil {
		t.Errorf("home/alice not made in the root: %v", err)
	}
	if _, err := os.Stat("/home/alice"); !os.IsNotExist(err) {
		t.Errorf("/home/alice exists on the host: %v", err)
	}
}

// TestGetent checks user.getent and group.getent read the root's files.
func TestGetent(t *testing.T) {
	root := acctest.New(t)
	env := &host.Env{Opts: data.NewMap(), Grains: data.NewMap()}
	res := host.Run(context.Background(), env, host.Request{Kind: host.Exec, Fun: "user.getent", Args: []any{kw("root", root)}})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	l, _ := res.Return.([]any)
	if len(l) != 4 || data.Repr(l[0]) != `{'gid': 0, 'groups': ['root'], 'home': '/root', 'name': 'root', 'passwd': 'x', 'shell': '/bin/bash', 'uid': 0, 'fullname': 'root', 'roomnumber': '', 'workphone': '', 'homephone': '', 'other': ''}` {
		t.Fatalf("user.getent = %s", data.Repr(res.Return))
	}
	res = host.Run(context.Background(), env, host.Request{Kind: host.Exec, Fun: "group.getent", Args: []any{kw("root", root)}})
	if got := data.Repr(res.Return); res.Err != nil || got != `[{'name': 'root', 'passwd': 'x', 'gid': 0, 'members': []}, {'name': 'daemon', 'passwd': 'x', 'gid': 1, 'members': []}, {'name': 'bin', 'passwd': 'x', 'gid': 2, 'members': []}, {'name': 'users', 'passwd': 'x', 'gid': 100, 'members': []}, {'name': 'staff', 'passwd': 'x', 'gid': 50, 'members': []}, {'name': 'nogroup', 'passwd': 'x', 'gid': 65534, 'members': []}]` {
		t.Fatalf("group.getent = %s, %v", got, res.Err)
	}
}

// TestBadRoot: a root without account files gives a clear error, never a
// panic; a user added there fails as useradd does (False).
func TestBadRoot(t *testing.T) {
	root := t.TempDir()
	env := &host.Env{Opts: data.NewMap(), Grains: data.NewMap()}
	for _, fun := range []string{"user.info", "user.list_groups", "group.info"} {
		res := host.Run(context.Background(), env, host.Request{Kind: host.Exec, Fun: fun, Args: []any{"x", kw("root", root)}})
		if res.Err == nil || !strings.Contains(res.Err.Error(), "no such file") {
			t.Errorf("%s in an empty root: %v, %s; want a missing-file error", fun, res.Err, data.Repr(res.Return))
		}
	}
	res := host.Run(context.Background(), env, host.Request{Kind: host.Exec, Fun: "user.add", Args: []any{"x", kw("root", root)}})
	if res.Err != nil || res.Return != false {
		t.Errorf("user.add in an empty root = %s, %v; want False", data.Repr(res.Return), res.Err)
	}
}
