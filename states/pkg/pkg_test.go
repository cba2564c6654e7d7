package pkg_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/saltgo/saltgo/state/statetest"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	_ "github.com/saltgo/saltgo/modules/cmd"
	"github.com/saltgo/saltgo/modules/pkg/apttest"
	_ "github.com/saltgo/saltgo/modules/state"
	"github.com/saltgo/saltgo/state"
	_ "github.com/saltgo/saltgo/states/pkg"
)

func apply(t testing.TB, fun string, test bool, kw *data.Map) *data.Map {
	return statetest.Apply(t, nil, fun, state.Chunk{Test: test}, kw)
}

type step struct {
	fun  string
	test bool
	kw   *data.Map
	want string
	// publish, when set, adds a newer package version to the repository before the step
	publish [2]string
}

// TestPkgStates runs the pkg states in sequence against a private apt/dpkg
// root: every return (name, changes, result, comment) equals Salt's, and
// test=True steps leave the dpkg status file as it was.
func TestPkgStates(t *testing.T) {
	r := apttest.New(t)
	r.Add("saltgo-test-a", "1.0", "")
	r.Add("saltgo-test-b", "1.0", "saltgo-test-a")
	r.Update()
	const a, b = "saltgo-test-a", "saltgo-test-b"
	steps := []step{
		{fun: "pkg.installed", test: true, kw: data.M("name", b),
			want: `{'name': 'saltgo-test-b', 'changes': {'saltgo-test-b': {'new': '1.0', 'old': ''}}, 'result': None, 'comment': 'The following packages would be installed/updated: saltgo-test-b'}`},
		{fun: "pkg.installed", test: true, kw: data.M("name", a, "version", "1.0"),
			want: `{'name': 'saltgo-test-a', 'changes': {'saltgo-test-a': {'new': '1.0', 'old': ''}}, 'result': None, 'comment': 'The following packages would be installed/updated: saltgo-test-a'}`},
		// apt-cache show does not know "a>=1.0": Salt says 'installed'
		{fun: "pkg.installed", test: true, kw: data.M("name", "t", "pkgs", []any{data.M(a, ">=1.0"), b}),
			want: `{'name': 't', 'changes': {'saltgo-test-a': {'new': 'installed', 'old': ''}, 'saltgo-test-b': {'new': '1.0', 'old': ''}}, 'result': None, 'comment': 'The following packages would be installed/updated: saltgo-test-a, saltgo-test-b'}`},
		{fun: "pkg.installed", kw: data.M("name", b),
			want: `{'name': 'saltgo-test-b', 'changes': {'saltgo-test-a': {'old': '', 'new': '1.0'}, 'saltgo-test-b': {'old': '', 'new': '1.0'}}, 'result': True, 'comment': 'The following packages were installed/updated: saltgo-test-b'}`},
		{fun: "pkg.installed", kw: data.M("name", b),
			want: `{'name': 'saltgo-test-b', 'changes': {}, 'result': True, 'comment': 'All specified packages are already installed'}`},
		{fun: "pkg.installed", kw: data.M("name", "x", "pkgs", []any{a, data.M(b, "1.0")}),
			want: `{'name': 'x', 'changes': {}, 'result': True, 'comment': 'All specified packages are already installed and are at the desired version'}`},
		{fun: "pkg.installed", kw: data.M("name", "x", "pkgs", []any{}),
			want: `{'name': 'x', 'changes': {}, 'result': True, 'comment': 'No packages to install provided'}`},
		{fun: "pkg.latest", kw: data.M("name", a),
			want: `{'name': 'saltgo-test-a', 'changes': {}, 'result': True, 'comment': 'Package saltgo-test-a is already up-to-date'}`},
		{fun: "pkg.uptodate", kw: data.M("name", "up", "refresh", true),
			want: `{'name': 'up', 'changes': {}, 'result': True, 'comment': 'System is already up-to-date'}`},
		{fun: "pkg.latest", test: true, kw: data.M("name", a, "refresh", true), publish: [2]string{a, "1.1"},
			want: `{'name': 'saltgo-test-a', 'changes': {'saltgo-test-a': {'new': '1.1', 'old': '1.0'}}, 'result': None, 'comment': 'The following packages would be installed/upgraded: saltgo-test-a'}`},
		{fun: "pkg.latest", kw: data.M("name", "l", "pkgs", []any{a, b}),
			want: `{'name': 'l', 'changes': {'saltgo-test-a': {'old': '1.0', 'new': '1.1'}}, 'result': True, 'comment': 'The following packages were successfully installed/upgraded: saltgo-test-a The following packages were already up-to-date: saltgo-test-b'}`},
		{fun: "pkg.installed", test: true, kw: data.M("name", a, "hold", true),
			want: `{'name': 'saltgo-test-a', 'changes': {}, 'result': None, 'comment': 'All specified packages are already installed.\nPackage saltgo-test-a is set to be held.'}`},
		{fun: "pkg.installed", kw: data.M("name", a, "hold", true),
			want: `{'name': 'saltgo-test-a', 'changes': {'saltgo-test-a': {'old': 'install', 'new': 'hold'}}, 'result': True, 'comment': 'All specified packages are already installed.\nPackage saltgo-test-a is now being held.'}`},
		{fun: "pkg.installed", kw: data.M("name", a, "hold", true),
			want: `{'name': 'saltgo-test-a', 'changes': {}, 'result': True, 'comment': 'All specified packages are already installed.\nPackage saltgo-test-a is already set to be held.'}`},
		{fun: "pkg.uptodate", test: true, kw: data.M("name", "up"), publish: [2]string{b, "1.1"},
			want: `{'name': 'up', 'changes': {'saltgo-test-b': {'new': '1.1', 'old': '1.0'}}, 'result': None, 'comment': 'System update will be performed'}`},
		{fun: "pkg.uptodate", kw: data.M("name", "up", "refresh", true),
			want: `{'name': 'up', 'changes': {'saltgo-test-b': {'old': '1.0', 'new': '1.1'}}, 'result': True, 'comment': 'Upgrade ran successfully'}`},
		{fun: "pkg.installed", kw: data.M("name", b, "version", "latest"),
			want: `{'name': 'saltgo-test-b', 'changes': {}, 'result': True, 'comment': 'All specified packages are already installed and are at the desired version'}`},
		{fun: "pkg.installed", kw: data.M("name", b, "version", ">=1.0"),
			want: `{'name': 'saltgo-test-b', 'changes': {}, 'result': True, 'comment': 'All specified packages are already installed and are at the desired version'}`},
		{fun: "pkg.installed", kw: data.M("name", a, "version", "1.0", "hold", false),
			want: `{'name': 'saltgo-test-a', 'changes': {'saltgo-test-a': {'old': '1.1\nhold', 'new': '1.0\ninstall'}}, 'result': True, 'comment': 'The following packages were installed/updated: saltgo-test-a=1.0\nPackage saltgo-test-a is no longer being held.'}`},
		{fun: "pkg.installed", kw: data.M("name", "saltgo-test-nonexistent"),
			want: `{'name': 'saltgo-test-nonexistent', 'changes': {}, 'result': False, 'comment': 'Problem encountered installing package(s). Additional info follows:\n\nerrors:\n    - E: Unable to locate package saltgo-test-nonexistent'}`},
		{fun: "pkg.installed", kw: data.M("name", a, "version", "9.9"),
			want: `{'name': 'saltgo-test-a', 'changes': {}, 'result': False, 'comment': "Problem encountered installing package(s). Additional info follows:\n\nerrors:\n    - E: Version '9.9' for 'saltgo-test-a' was not found"}`},
		{fun: "pkg.installed", kw: data.M("name", "x", "pkgs", "notalist"),
			want: `{'name': 'x', 'changes': {}, 'result': False, 'comment': "Invalidly formatted 'pkgs' parameter. See minion log."}`},
		{fun: "pkg.latest", kw: data.M("name", "saltgo-test-nonexistent"),
			want: `{'name': 'saltgo-test-nonexistent', 'changes': {}, 'result': False, 'comment': "No information found for 'saltgo-test-nonexistent'."}`},
		{fun: "pkg.removed", test: true, kw: data.M("name", b),
			want: `{'name': 'saltgo-test-b', 'changes': {'saltgo-test-b': {'new': 'removed', 'old': ''}}, 'result': None, 'comment': 'The following packages will be removed: saltgo-test-b.'}`},
		{fun: "pkg.removed", kw: data.M("name", "r", "pkgs", []any{b, "saltgo-test-nonexistent"}),
			want: `{'name': 'r', 'changes': {'saltgo-test-b': {'new': '', 'old': '1.1'}}, 'result': True, 'comment': 'The following packages were not installed: saltgo-test-nonexistent The following packages were removed: saltgo-test-b.'}`},
		{fun: "pkg.removed", kw: data.M("name", b),
			want: `{'name': 'saltgo-test-b', 'changes': {}, 'result': True, 'comment': 'All specified packages are already absent'}`},
		{fun: "pkg.installed", kw: data.M("name", "m", "pkgs", []any{a, b}),
			want: `{'name': 'm', 'changes': {'saltgo-test-b': {'old': '', 'new': '1.1'}}, 'result': True, 'comment': 'The following packages were installed/updated: saltgo-test-b\nThe following packages were already installed: saltgo-test-a'}`},
		{fun: "pkg.removed", kw: data.M("name", b),
			want: `{'name': 'saltgo-test-b', 'changes': {'saltgo-test-b': {'new': '', 'old': '1.1'}}, 'result': True, 'comment': 'All targeted packages were removed.'}`},
		{fun: "pkg.purged", test: true, kw: data.M("name", a),
			want: `{'name': 'saltgo-test-a', 'changes': {'saltgo-test-a': {'new': 'purged', 'old': ''}}, 'result': None, 'comment': 'The following packages will be purged: saltgo-test-a.'}`},
		{fun: "pkg.purged", kw: data.M("name", a),
			want: `{'name': 'saltgo-test-a', 'changes': {'removed': {}, 'installed': {'saltgo-test-a': {'new': '', 'old': '1.0'}}}, 'result': True, 'comment': 'All targeted packages were purged.'}`},
		{fun: "pkg.purged", kw: data.M("name", a),
			want: `{'name': 'saltgo-test-a', 'changes': {}, 'result': True, 'comment': 'None of the targeted packages are installed or partially installed'}`},
	}
	for i, s := range steps {
		if s.publish[0] != "" {
			r.Add(s.publish[0], s.publish[1], "")
		}
		before := r.StatusHash()
		got := apply(t, s.fun, s.test, s.kw)
		if g := data.Repr(got); g != s.want {
			t.Fatalf("step %d %s %s test=%v:\n got %s\nwant %s", i, s.fun, data.Repr(s.kw), s.test, g, s.want)
		}
		if s.test && r.StatusHash() != before {
			t.Fatalf("step %d: test=True changed the dpkg status file", i)
		}
	}
	if _, ok := r.Installed(a); ok {
		t.Fatal("saltgo-test-a still present under the root")
	}
}

// TestPkgSLS applies an SLS through state.sls: a package that does not
// exist fails with Salt's comment, the independent state still installs
// its package, the state requiring the failed one is not run.
func TestPkgSLS(t *testing.T) {
	r := apttest.New(t)
	r.Add("saltgo-test-a", "1.0", "")
	roots := t.TempDir()
	// no refresh argument and no apt-get update before: the first pkg state
	// refreshes through the refresh tag its mod_init writes (Salt's rtag)
	sls := "missing:\n  pkg.installed:\n    - name: saltgo-test-nonexistent\n" +
		"good:\n  pkg.installed:\n    - name: saltgo-test-a\n" +
		"after:\n  pkg.removed:\n    - name: saltgo-test-a\n    - require:\n      - pkg: missing\n" +
		"trigger:\n  test.succeed_with_changes: []\n" +
		"again:\n  pkg.installed:\n    - name: saltgo-test-a\n    - watch:\n      - test: trigger\n" +
		"up:\n  pkg.uptodate:\n    - watch:\n      - test: trigger\n"
	if err := os.WriteFile(filepath.Join(roots, "p.sls"), []byte(sls), 0o644); err != nil {
		t.Fatal(err)
	}
	cachedir := t.TempDir()
	opts := data.M("id", "minion1", "file_roots", data.M("base", []any{roots}), "cachedir", cachedir, "file_client", "local", "test", false)
	env := &host.Env{ID: "minion1", Opts: opts, Local: true, Log: slog.New(slog.DiscardHandler), Grains: data.M("id", "minion1"), Pillar: data.NewMap()}
	res := host.Execute(context.Background(), env, host.Exec, "state.sls", []any{"p"}, data.M("jid", "20261203170000000000", "fun", "state.sls"))
	if res.Retcode != 2 {
		t.Fatalf("retcode %d: %s", res.Retcode, data.Repr(res.Return))
	}
	m, ok := res.Return.(*data.Map)
	if !ok {
		t.Fatalf("return: %s", data.Repr(res.Return))
	}
	want := map[string]string{
		"pkg_|-missing_|-saltgo-test-nonexistent_|-installed": "False|Problem encountered installing package(s). Additional info follows:\n\nerrors:\n    - E: Unable to locate package saltgo-test-nonexistent",
		"pkg_|-good_|-saltgo-test-a_|-installed":              "True|The following packages were installed/updated: saltgo-test-a",
		"pkg_|-after_|-saltgo-test-a_|-removed":               "False|One or more requisite failed: p.missing",
	}
	for k, w := range want {
		v, ok := m.Get(k)
		if !ok {
			t.Fatalf("no %s in %s", k, data.Repr(m))
		}
		sm := v.(*data.Map)
		res, _ := sm.Get("result")
		cm, _ := sm.Get("comment")
		if got := data.Repr(res) + "|" + data.Str(cm); got != w {
			t.Errorf("%s = %q, want %q", k, got, w)
		}
	}
	if v, ok := r.Installed("saltgo-test-a"); !ok || v != "1.0" {
		t.Fatalf("saltgo-test-a not installed: %q", v)
	}
	if _, err := os.Stat(filepath.Join(cachedir, "pkg_refresh")); err == nil {
		t.Fatal("the refresh tag is still there after the refresh")
	}
}

// TestHeldUnheld: pkg.held and pkg.unheld in test mode, for real and
// converged, with Salt's comments and changes (apt: the locks are dpkg's
// "hold" selections).
func TestHeldUnheld(t *testing.T) {
	r := apttest.New(t)
	r.Add("saltgo-test-a", "1.0", "")
	r.Add("saltgo-test-b", "1.0", "")
	r.Update()
	apply(t, "pkg.installed", false, data.M("name", "x", "pkgs", []any{"saltgo-test-a", "saltgo-test-b"}))
	const a, b = "saltgo-test-a", "saltgo-test-b"
	steps := []step{
		{fun: "pkg.held", kw: data.M("name", "x", "pkgs", []any{}), want: `{'name': 'x', 'changes': {}, 'result': True, 'comment': 'No packages to be held provided'}`},
		{fun: "pkg.held", test: true, kw: data.M("name", a, "version", "1.0"),
			want: `{'name': 'saltgo-test-a', 'changes': {}, 'result': True, 'comment': 'The following package would be held: saltgo-test-a (version = 1.0)'}`},
		{fun: "pkg.held", kw: data.M("name", a),
			want: `{'name': 'saltgo-test-a', 'changes': {'saltgo-test-a': {'name': 'saltgo-test-a', 'changes': {'old': 'install', 'new': 'hold'}, 'result': True, 'comment': 'Package saltgo-test-a is now being held.'}}, 'result': True, 'comment': 'Package saltgo-test-a is now being held'}`},
		{fun: "pkg.held", kw: data.M("name", a), want: `{'name': 'saltgo-test-a', 'changes': {}, 'result': True, 'comment': 'No changes made'}`},
		{fun: "pkg.held", test: true, kw: data.M("name", "x", "pkgs", []any{b}, "replace", true),
			want: `{'name': 'x', 'changes': {}, 'result': True, 'comment': 'The following package would be held: saltgo-test-b\nThe following package would be unheld: saltgo-test-a'}`},
		{fun: "pkg.unheld", test: true, kw: data.M("name", a),
			want: `{'name': 'saltgo-test-a', 'changes': {}, 'result': True, 'comment': 'The following package would be unheld: saltgo-test-a'}`},
		{fun: "pkg.unheld", kw: data.M("name", a),
			want: `{'name': 'saltgo-test-a', 'changes': {'saltgo-test-a': {'name': 'saltgo-test-a', 'changes': {'old': 'hold', 'new': 'install'}, 'result': True, 'comment': 'Package saltgo-test-a is no longer being held.'}}, 'result': True, 'comment': 'Package saltgo-test-a is no longer being held.'}`},
		{fun: "pkg.unheld", kw: data.M("name", a), want: `{'name': 'saltgo-test-a', 'changes': {}, 'result': True, 'comment': 'No changes made'}`},
	}
	for i, s := range steps {
		if got := data.Repr(apply(t, s.fun, s.test, s.kw)); got != s.want {
			t.Errorf("step %d %s test=%v:\n got  %s\n want %s", i, s.fun, s.test, got, s.want)
		}
	}
}
