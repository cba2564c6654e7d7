package pkg_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	_ "github.com/saltgo/saltgo/modules/cmd"
	"github.com/saltgo/saltgo/modules/pkg"
	"github.com/saltgo/saltgo/modules/pkg/apttest"
)

func call(t *testing.T, fun string, args ...any) (any, error) {
	t.Helper()
	res := host.Run(context.Background(), &host.Env{Opts: data.NewMap(), Grains: data.NewMap()}, host.Request{Kind: host.Exec, Fun: fun, Args: args})
	return res.Return, res.Err
}

func mustCall(t *testing.T, fun string, args ...any) any {
	t.Helper()
	ret, err := call(t, fun, args...)
	if err != nil {
		t.Fatalf("%s: %v", fun, err)
	}
	return ret
}

func kw(kv ...any) *data.Map {
	m := data.M(kv...)
	m.Set("__kwarg__", true)
	return m
}

func repr(v any) string { return data.Repr(v) }

// TestPkgLifecycle installs, upgrades, holds, removes and purges real
// packages in a private root, checking every return against aptpkg's
// shapes.
func TestPkgLifecycle(t *testing.T) {
	r := apttest.New(t)
	r.Add("saltgo-test-a", "1.0", "")
	r.Add("saltgo-test-b", "1.0", "saltgo-test-a")

	steps := []struct {
		fun  string
		args []any
		want string
	}{
		{"pkg.refresh_db", nil, ""}, // checked below: keys name the repository
		{"pkg.version", []any{"saltgo-test-a"}, `''`},
		{"pkg.latest_version", []any{"saltgo-test-a", kw("refresh", false)}, `'1.0'`},
		{"pkg.install", []any{"saltgo-test-b"}, `{'saltgo-test-a': {'old': '', 'new': '1.0'}, 'saltgo-test-b': {'old': '', 'new': '1.0'}}`},
		{"pkg.install", []any{"saltgo-test-b"}, `{}`},
		{"pkg.version", []any{"saltgo-test-a", "saltgo-test-b", "saltgo-test-zzz"}, `{'saltgo-test-a': '1.0', 'saltgo-test-b': '1.0', 'saltgo-test-zzz': ''}`},
		{"pkg.list_pkgs", nil, `{'saltgo-test-a': '1.0', 'saltgo-test-b': '1.0'}`},
		{"pkg.list_pkgs", []any{kw("versions_as_list", true)}, `{'saltgo-test-a': ['1.0'], 'saltgo-test-b': ['1.0']}`},
		{"pkg.latest_version", []any{"saltgo-test-a", kw("refresh", false)}, `''`},
		{"pkg.upgrade_available", []any{"saltgo-test-a"}, `False`},
	}
	for i, s := range steps {
		got := mustCall(t, s.fun, s.args...)
		if i == 0 {
			if _, ok := got.(*data.Map); !ok || !strings.Contains(repr(got), r.Repo) {
				t.Fatalf("refresh_db = %s, want the repository's entries", repr(got))
			}
			continue
		}
		if repr(got) != s.want {
			t.Fatalf("step %d %s%v = %s, want %s", i, s.fun, s.args, repr(got), s.want)
		}
	}
	if v, ok := r.Installed("saltgo-test-b"); !ok || v != "1.0" {
		t.Fatalf("saltgo-test-b under the root: %q %v", v, ok)
	}
	// the host's own database does not know the package
	host := exec.Command("dpkg-query", "-W", "saltgo-test-a")
	host.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	if out, err := host.CombinedOutput(); err == nil {
		t.Fatalf("the host's dpkg knows saltgo-test-a: %s", out)
	}

	// a newer version appears: latest_version, upgrade_available, hold
	r.Add("saltgo-test-a", "1.1", "")
	if got := repr(mustCall(t, "pkg.upgrade_available", "saltgo-test-a")); got != "True" {
		t.Fatalf("upgrade_available = %s", got)
	}
	if got := repr(mustCall(t, "pkg.latest_version", "saltgo-test-a", "saltgo-test-b", kw("refresh", false))); got != `{'saltgo-test-a': '1.1', 'saltgo-test-b': ''}` {
		t.Fatalf("latest_version = %s", got)
	}
	holdSteps := []struct {
		fun, want string
	}{
		{"pkg.hold", `{'saltgo-test-a': {'name': 'saltgo-test-a', 'changes': {'old': 'install', 'new': 'hold'}, 'result': True, 'comment': 'Package saltgo-test-a is now being held.'}}`},
		{"pkg.hold", `{'saltgo-test-a': {'name': 'saltgo-test-a', 'changes': {}, 'result': True, 'comment': 'Package saltgo-test-a is already set to be held.'}}`},
	}
	for _, s := range holdSteps {
		if got := repr(mustCall(t, s.fun, "saltgo-test-a")); got != s.want {
			t.Fatalf("%s = %s, want %s", s.fun, got, s.want)
		}
	}
	// installing a held package at a version: aptpkg unholds, installs, holds again
	if got := repr(mustCall(t, "pkg.install", "saltgo-test-a", kw("version", "1.1"))); got != `{'saltgo-test-a': {'old': '1.0', 'new': '1.1'}}` {
		t.Fatalf("install version=1.1 = %s", got)
	}
	if got := repr(mustCall(t, "pkg.hold", kw("pkgs", []any{"saltgo-test-a"}))); !strings.Contains(got, "is already set to be held.") {
		t.Fatalf("hold after install = %s", got)
	}
	// downgrade through version
	if got := repr(mustCall(t, "pkg.install", kw("pkgs", []any{data.M("saltgo-test-a", "1.0")}))); got != `{'saltgo-test-a': {'old': '1.1', 'new': '1.0'}}` {
		t.Fatalf("downgrade = %s", got)
	}
	if got := repr(mustCall(t, "pkg.unhold", "saltgo-test-a", kw("test", true))); got != `{'saltgo-test-a': {'name': 'saltgo-test-a', 'changes': {}, 'result': None, 'comment': 'Package saltgo-test-a is set not to be held.'}}` {
		t.Fatalf("unhold test=True = %s", got)
	}
	for _, s := range []struct{ fun, want string }{
		{"pkg.unhold", `{'saltgo-test-a': {'name': 'saltgo-test-a', 'changes': {'old': 'hold', 'new': 'install'}, 'result': True, 'comment': 'Package saltgo-test-a is no longer being held.'}}`},
		{"pkg.unhold", `{'saltgo-test-a': {'name': 'saltgo-test-a', 'changes': {}, 'result': True, 'comment': 'Package saltgo-test-a is already set not to be held.'}}`},
		// dpkg accepts a selection for an unknown package without recording it
		{"pkg.hold", `{'saltgo-test-zzz': {'name': 'saltgo-test-zzz', 'changes': {'old': None, 'new': 'hold'}, 'result': True, 'comment': 'Package saltgo-test-zzz is now being held.'}}`},
		{"pkg.unhold", `{'saltgo-test-zzz': {'name': 'saltgo-test-zzz', 'changes': {}, 'result': False, 'comment': 'Package saltgo-test-zzz does not have a state.'}}`},
	} {
		name := "saltgo-test-a"
		if strings.Contains(s.want, "zzz") {
			name = "saltgo-test-zzz"
		}
		if got := repr(mustCall(t, s.fun, name)); got != s.want {
			t.Fatalf("%s = %s, want %s", s.fun, got, s.want)
		}
	}

	// remove b, purge a; remove again changes nothing
	if got := repr(mustCall(t, "pkg.remove", "saltgo-test-b")); got != `{'saltgo-test-b': {'new': '', 'old': '1.0'}}` {
		t.Fatalf("remove = %s", got)
	}
	if got := repr(mustCall(t, "pkg.remove", "saltgo-test-b")); got != `{}` {
		t.Fatalf("remove again = %s", got)
	}
	if got := repr(mustCall(t, "pkg.purge", kw("pkgs", []any{"saltgo-test-a"}))); got != `{'removed': {}, 'installed': {'saltgo-test-a': {'new': '', 'old': '1.0'}}}` {
		t.Fatalf("purge = %s", got)
	}
	if _, ok := r.Installed("saltgo-test-a"); ok {
		t.Fatal("saltgo-test-a still installed after purge")
	}
}

// TestPkgErrors checks Salt's failures: a package that does not exist and
// bad arguments.
func TestPkgErrors(t *testing.T) {
	r := apttest.New(t)
	r.Add("saltgo-test-a", "1.0", "")
	r.Update()
	_, err := call(t, "pkg.install", "saltgo-test-nonexistent")
	var ie *pkg.InfoError
	if !errors.As(err, &ie) {
		t.Fatalf("install of a missing package: %v (%T)", err, err)
	}
	want := "Problem encountered installing package(s). Additional info follows:\n\nerrors:\n    - E: Unable to locate package saltgo-test-nonexistent"
	if ie.WithoutChanges() != want {
		t.Fatalf("error = %q, want %q", ie.WithoutChanges(), want)
	}
	var ce *host.CommandExecutionError
	if !errors.As(err, &ce) {
		t.Fatalf("not a CommandExecutionError: %T", err)
	}
	_, err = call(t, "pkg.install", kw("pkgs", []any{data.M("saltgo-test-a", ">=1.1")}))
	if !errors.As(err, &ie) || ie.WithoutChanges() != "Problem encountered installing package(s). Additional info follows:\n\nerrors:\n    - No version matching 'saltgo-test-a>=1.1' could be found (available: 1.0)" {
		t.Fatalf("install of a version spec nothing matches: %v", err)
	}
	if got := repr(mustCall(t, "pkg.install", kw("pkgs", []any{data.M("saltgo-test-a", "<2")}))); got != `{'saltgo-test-a': {'old': '', 'new': '1.0'}}` {
		t.Fatalf("install a<2 = %s", got)
	}
	r.Add("saltgo-test-a", "1.1", "")
	r.Update()
	if got := repr(mustCall(t, "pkg.list_repo_pkgs", "saltgo-test-a")); got != `{'saltgo-test-a': ['1.1', '1.0']}` {
		t.Fatalf("list_repo_pkgs = %s", got)
	}
	for _, tc := range []struct {
		fun  string
		args []any
		want string
	}{
		{"pkg.hold", nil, "One of name, pkgs, or sources must be specified."},
		{"pkg.latest_version", []any{"x", kw("repo", "y")}, "The 'repo' argument is invalid, use 'fromrepo' instead"},
		{"pkg.install", []any{kw("pkgs", "notalist")}, "Invalidly formatted 'pkgs' parameter. See minion log."},
	} {
		_, err := call(t, tc.fun, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.fun, err, tc.want)
		}
	}
}

func TestVersionCmp(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.0", "1.1", -1}, {"1.1", "1.0", 1}, {"1.0", "1.0", 0}, {"1.0~rc1", "1.0", -1},
		{"1:0.9", "1.0", 1}, {"1.0-2", "1.0-10", -1}, {"1.0a", "1.0", 1}, {"1.0+b1", "1.0", 1},
		{"2.30-1", "2.4-1", 1}, {"0001.0", "1.0", 0}, {"1.0~", "1.0~~", 1}, {"1:1.0", "2:0.1", -1},
	} {
		if got := pkg.VersionCmp(tc.a, tc.b); got != tc.want {
			t.Errorf("VersionCmp(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
		if got := mustCall(t, "pkg.version_cmp", tc.a, tc.b); got != int64(tc.want) {
			t.Errorf("pkg.version_cmp %q %q = %v, want %d", tc.a, tc.b, got, tc.want)
		}
		out, err := exec.Command("dpkg", "--compare-versions", tc.a, map[int]string{-1: "lt", 0: "eq", 1: "gt"}[tc.want], tc.b).CombinedOutput()
		if err != nil {
			t.Errorf("dpkg disagrees on %q vs %q: %v %s", tc.a, tc.b, err, out)
		}
	}
}

// TestPkgUpgrade: list_upgrades and upgrade see and apply a newer version.
func TestPkgUpgrade(t *testing.T) {
	r := apttest.New(t)
	r.Add("saltgo-test-a", "1.0", "")
	for _, s := range []struct {
		fun  string
		args []any
		want string
	}{
		{"pkg.install", []any{"saltgo-test-a", kw("refresh", true)}, `{'saltgo-test-a': {'old': '', 'new': '1.0'}}`},
		{"pkg.list_upgrades", nil, `{}`},
	} {
		if got := repr(mustCall(t, s.fun, s.args...)); got != s.want {
			t.Fatalf("%s = %s, want %s", s.fun, got, s.want)
		}
	}
	r.Add("saltgo-test-a", "1.1", "")
	for _, s := range []struct {
		fun  string
		args []any
		want string
	}{
		{"pkg.list_upgrades", nil, `{'saltgo-test-a': '1.1'}`},
		{"pkg.upgrade", nil, `{'saltgo-test-a': {'old': '1.0', 'new': '1.1'}}`},
		{"pkg.list_upgrades", []any{kw("refresh", false)}, `{}`},
	} {
		if got := repr(mustCall(t, s.fun, s.args...)); got != s.want {
			t.Fatalf("%s = %s, want %s", s.fun, got, s.want)
		}
	}
}

// lockFrontend takes dpkg's frontend lock of the private root the way
// another apt process would (an fcntl write lock); release drops it.
func lockFrontend(t *testing.T, r *apttest.Root) (release func()) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(r.Dir, "var/lib/dpkg/lock-frontend"), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lk); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() { once.Do(func() { f.Close() }) }
	t.Cleanup(release)
	return release
}

// TestPkgLock: with apt's lock held by another process, install retries
// as _call_apt does and succeeds once the lock is released; a lock that
// is never released fails with apt's error in Salt's text.
func TestPkgLock(t *testing.T) {
	r := apttest.New(t)
	r.Add("saltgo-test-a", "1.0", "")
	r.Update()

	release := lockFrontend(t, r)
	var retries []int
	restore := pkg.SetLockWait(func(n int) time.Duration {
		retries = append(retries, n)
		release() // the other process finishes during the first wait
		return 0
	})
	got := repr(mustCall(t, "pkg.install", "saltgo-test-a"))
	restore()
	if got != `{'saltgo-test-a': {'old': '', 'new': '1.0'}}` || len(retries) != 1 {
		t.Fatalf("install under a lock = %s after retries %v", got, retries)
	}

	lockFrontend(t, r)
	retries = nil
	defer pkg.SetLockWait(func(n int) time.Duration { retries = append(retries, n); return 0 })()
	_, err := call(t, "pkg.remove", "saltgo-test-a")
	var ie *pkg.InfoError
	if !errors.As(err, &ie) || !strings.HasPrefix(ie.WithoutChanges(), "Problem encountered removing package(s). Additional info follows:\n\nerrors:\n    - E: Could not get lock ") {
		t.Fatalf("remove under a held lock: %v", err)
	}
	if len(retries) != 10 {
		t.Fatalf("retries = %v, want 10 as _call_apt", retries)
	}
	if v, ok := r.Installed("saltgo-test-a"); !ok || v != "1.0" {
		t.Fatal("the package changed under a held lock")
	}
}

// TestPkgSystemdScope: on a systemd host apt-get install/remove run under
// systemd-run --scope as _call_apt does (apt-cache does not); the option
// systemd.scope: False turns it off. systemd itself is faked: a booted
// directory, and systemctl/systemd-run scripts first in PATH (systemd-run
// logs its arguments and runs the command).
func TestPkgSystemdScope(t *testing.T) {
	r := apttest.New(t)
	r.Add("saltgo-test-a", "1.0", "")
	r.Update()
	bin := t.TempDir()
	logf := filepath.Join(t.TempDir(), "scope.log")
	scripts := map[string]string{
		"systemctl":   "#!/bin/sh\n[ \"$1\" = --version ] && echo 'systemd 252 (252.36-1~deb12u1)'\nexit 0\n",
		"systemd-run": "#!/bin/sh\necho \"$*\" >> " + logf + "\nshift 3\nexec \"$@\"\n",
	}
	for n, body := range scripts {
		if err := os.WriteFile(filepath.Join(bin, n), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	defer pkg.SetSystemdDir(t.TempDir())()

	mustCall(t, "pkg.install", "saltgo-test-a")
	mustCall(t, "pkg.latest_version", "saltgo-test-a", kw("refresh", false))
	env := &host.Env{Opts: data.M("systemd.scope", false), Grains: data.NewMap()}
	if res := host.Run(context.Background(), env, host.Request{Kind: host.Exec, Fun: "pkg.remove", Args: []any{"saltgo-test-a"}}); res.Err != nil {
		t.Fatal(res.Err)
	}
	b, err := os.ReadFile(logf)
	if err != nil {
		t.Fatal(err)
	}
	want := "--scope --description \"salt.modules.aptpkg\" apt-get -q -y -o DPkg::Options::=--force-confold -o DPkg::Options::=--force-confdef install saltgo-test-a\n"
	if string(b) != want {
		t.Fatalf("systemd-run ran:\n%s\nwant only:\n%s", b, want)
	}
	if _, ok := r.Installed("saltgo-test-a"); ok {
		t.Fatal("remove without a scope did not remove")
	}
}
