package state_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient"
	"github.com/saltgo/saltgo/fileserver/fstest"
	"github.com/saltgo/saltgo/host"
	_ "github.com/saltgo/saltgo/modules/cmd"
	"github.com/saltgo/saltgo/render"
	"github.com/saltgo/saltgo/saltyaml"
	"github.com/saltgo/saltgo/state"
	_ "github.com/saltgo/saltgo/states/test"
)

// yamlOnly renders with YAML alone (these trees use no Jinja), so that the
// compiler and runner are tested on their own.
func yamlOnly(_ context.Context, src []byte, _ render.Options) (any, error) {
	if bytes.HasPrefix(src, []byte("#!")) {
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			src = src[i+1:]
		}
	}
	return saltyaml.Load(src)
}

type tree map[string]string

func env(t *testing.T, files tree) *host.Env {
	t.Helper()
	root := t.TempDir()
	fstest.Write(t, root, files)
	opts := data.M("id", "minion1", "file_roots", data.M("base", []any{root}), "cachedir", t.TempDir(), "file_client", "local", "hash_type", "sha256")
	return &host.Env{ID: "minion1", Opts: opts, Local: true, Log: slog.New(slog.DiscardHandler), Grains: data.M("os", "Debian", "id", "minion1"), Pillar: data.M("role", "web")}
}

func highstate(t *testing.T, e *host.Env, test bool, saltenv string) *state.HighState {
	t.Helper()
	files, err := fileclient.New(e)
	if err != nil {
		t.Fatal(err)
	}
	h, err := state.New(context.Background(), state.Config{Env: e, Files: files, Test: test, Saltenv: saltenv, Render: yamlOnly})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// runSLS is state.sls: the result map, or the error list.
func runSLS(t *testing.T, e *host.Env, mods string, test bool) any {
	t.Helper()
	h := highstate(t, e, test, "base")
	var m []any
	for _, s := range strings.Split(mods, ",") {
		m = append(m, s)
	}
	high, errs, err := h.RenderHighstate(context.Background(), data.M("base", m))
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) > 0 {
		return data.List(errs)
	}
	ret, err := h.CallHigh(context.Background(), high)
	if err != nil {
		return err
	}
	return ret
}

// summary lists "tag | result | comment" in __run_num__ order, checking
// that the run numbers are 0..n-1 and that each result has the keys and
// types of a Python minion's.
func summary(t *testing.T, v any) string {
	t.Helper()
	switch x := v.(type) {
	case []any:
		var b strings.Builder
		for _, e := range x {
			fmt.Fprintf(&b, "ERR %s\n", data.Str(e))
		}
		return b.String()
	case error:
		return "RAISE " + x.Error() + "\n"
	}
	m := v.(*data.Map)
	type row struct {
		n    int64
		line string
	}
	var rows []row
	m.Range(func(k, rv any) bool {
		r := rv.(*data.Map)
		n, ok := mustGet(r, "__run_num__").(int64)
		if !ok {
			t.Errorf("%s: __run_num__ is %T", k, mustGet(r, "__run_num__"))
		}
		if _, ok := mustGet(r, "changes").(*data.Map); !ok {
			t.Errorf("%s: changes is %T", k, mustGet(r, "changes"))
		}
		if st, ok := r.Get("start_time"); ok {
			if s, _ := st.(string); len(s) < 8 {
				t.Errorf("%s: start_time %q", k, st)
			}
			if _, ok := mustGet(r, "duration").(float64); !ok {
				t.Errorf("%s: duration is %T", k, mustGet(r, "duration"))
			}
		}
		res := "None"
		switch mustGet(r, "result") {
		case true:
			res = "True"
		case false:
			res = "False"
		}
		c := mustGet(r, "comment")
		cs := data.Str(c)
		if l, ok := c.([]any); ok {
			var parts []string
			for _, p := range l {
				parts = append(parts, data.Str(p))
			}
			cs = "[" + strings.Join(parts, "; ") + "]"
		}
		extra := ""
		if r.Has("__state_ran__") {
			extra += " ran=" + data.Str(mustGet(r, "__state_ran__"))
		}
		if ch := mustGet(r, "changes").(*data.Map); ch != nil && ch.Len() > 0 {
			extra += " changed"
		}
		rows = append(rows, row{n, fmt.Sprintf("%s | %s | %s%s", k, res, cs, extra)})
		return true
	})
	sort.Slice(rows, func(i, j int) bool { return rows[i].n < rows[j].n })
	var b strings.Builder
	for i, r := range rows {
		// Numbers are unique and increasing; a mod_watch run takes a
		// second number, as in Salt.
		if i > 0 && r.n == rows[i-1].n {
			t.Errorf("run number %d given twice", r.n)
		}
		b.WriteString(r.line + "\n")
	}
	return b.String()
}

func mustGet(m *data.Map, k string) any {
	v, _ := m.Get(k)
	return v
}

func TestApplySLS(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files tree
		mods  string
		test  bool
		want  string
	}{
		{"golden", tree{"golden.sls": `
ok_nochange:
  test.succeed_without_changes:
    - name: nothing to do
ok_change:
  test.succeed_with_changes:
    - name: something changed
failing:
  test.fail_without_changes:
    - name: this one fails
depends_on_failure:
  test.succeed_without_changes:
    - name: never runs
    - require:
      - test: failing
`}, "golden", false, `test_|-ok_nochange_|-nothing to do_|-succeed_without_changes | True | Success!
test_|-ok_change_|-something changed_|-succeed_with_changes | True | Success! changed
test_|-failing_|-this one fails_|-fail_without_changes | False | Failure!
test_|-depends_on_failure_|-never runs_|-succeed_without_changes | False | One or more requisite failed: golden.failing
`},
		{"golden test=True", tree{"g.sls": `
a:
  test.succeed_with_changes
b:
  test.fail_without_changes
c:
  test.nop:
    - require:
      - b
`}, "g", true, `test_|-a_|-a_|-succeed_with_changes | None | If we weren't testing, this would be successful with changes changed
test_|-b_|-b_|-fail_without_changes | False | If we weren't testing, this would be a failure!
test_|-c_|-c_|-nop | False | One or more requisite failed: g.b
`},
		{"require_in reorders", tree{"r.sls": `
a_ok:
  test.succeed_without_changes
l_require_in:
  test.succeed_without_changes:
    - require_in:
      - test: a_ok
`}, "r", false, `test_|-l_require_in_|-l_require_in_|-succeed_without_changes | True | Success!
test_|-a_ok_|-a_ok_|-succeed_without_changes | True | Success!
`},
		{"watch calls mod_watch", tree{"w.sls": `
changer:
  test.succeed_with_changes
watcher:
  test.succeed_without_changes:
    - watch:
      - test: changer
quiet:
  test.succeed_without_changes
watch_quiet:
  test.succeed_without_changes:
    - watch:
      - quiet
`}, "w", false, `test_|-changer_|-changer_|-succeed_with_changes | True | Success! changed
test_|-watcher_|-watcher_|-succeed_without_changes | True | Watch statement fired. changed
test_|-quiet_|-quiet_|-succeed_without_changes | True | Success!
test_|-watch_quiet_|-watch_quiet_|-succeed_without_changes | True | Success!
`},
		{"onchanges", tree{"o.sls": `
changer:
  test.succeed_with_changes
quiet:
  test.succeed_without_changes
on_changer:
  test.succeed_without_changes:
    - onchanges:
      - changer
on_quiet:
  test.succeed_without_changes:
    - onchanges:
      - quiet
on_any:
  test.succeed_without_changes:
    - onchanges_any:
      - quiet
      - changer
`}, "o", false, `test_|-changer_|-changer_|-succeed_with_changes | True | Success! changed
test_|-quiet_|-quiet_|-succeed_without_changes | True | Success!
test_|-on_changer_|-on_changer_|-succeed_without_changes | True | Success!
test_|-on_quiet_|-on_quiet_|-succeed_without_changes | True | State was not run because none of the onchanges reqs changed ran=False
test_|-on_any_|-on_any_|-succeed_without_changes | True | Success!
`},
		{"onfail", tree{"f.sls": `
bad:
  test.fail_without_changes
good:
  test.succeed_without_changes
on_bad:
  test.succeed_without_changes:
    - onfail:
      - bad
on_good:
  test.succeed_without_changes:
    - onfail:
      - good
on_all:
  test.succeed_without_changes:
    - onfail_all:
      - bad
      - good
on_any:
  test.succeed_without_changes:
    - onfail_any:
      - bad
      - good
`}, "f", false, `test_|-bad_|-bad_|-fail_without_changes | False | Failure!
test_|-good_|-good_|-succeed_without_changes | True | Success!
test_|-on_bad_|-on_bad_|-succeed_without_changes | True | Success!
test_|-on_good_|-on_good_|-succeed_without_changes | True | State was not run because onfail req did not change ran=False
test_|-on_all_|-on_all_|-succeed_without_changes | True | State was not run because onfail req did not change ran=False
test_|-on_any_|-on_any_|-succeed_without_changes | True | Success!
`},
		{"onfail sees None as a failure in test mode", tree{"t.sls": `
would_change:
  test.succeed_with_changes
handler:
  test.nop:
    - onfail:
      - would_change
`}, "t", true, `test_|-would_change_|-would_change_|-succeed_with_changes | None | If we weren't testing, this would be successful with changes changed
test_|-handler_|-handler_|-nop | True | Success!
`},
		{"require_any", tree{"a.sls": `
b_fail:
  test.fail_without_changes
a_ok:
  test.succeed_without_changes
any:
  test.succeed_without_changes:
    - require_any:
      - b_fail
      - a_ok
`}, "a", false, `test_|-b_fail_|-b_fail_|-fail_without_changes | False | Failure!
test_|-a_ok_|-a_ok_|-succeed_without_changes | True | Success!
test_|-any_|-any_|-succeed_without_changes | True | Success!
`},
		{"missing requisite", tree{"m.sls": `
x:
  test.succeed_without_changes:
    - require:
      - test: doesnotexist
`}, "m", false, "test_|-x_|-x_|-succeed_without_changes | False | The following requisites were not found:\n                   require:\n                       test: doesnotexist\n\n"},
		{"sls requisite and glob", tree{"s.sls": `
include:
  - s2
x:
  test.succeed_without_changes:
    - require:
      - sls: s2
y:
  test.succeed_without_changes:
    - require:
      - test: "s2_*"
`, "s2.sls": `
s2_a:
  test.fail_without_changes
`}, "s", false, `test_|-s2_a_|-s2_a_|-fail_without_changes | False | Failure!
test_|-x_|-x_|-succeed_without_changes | False | One or more requisite failed: s2.s2_a
test_|-y_|-y_|-succeed_without_changes | False | One or more requisite failed: s2.s2_a
`},
		{"recursive requisite", tree{"recur.sls": `
r1:
  test.succeed_without_changes:
    - require:
      - test: r2
r2:
  test.succeed_without_changes:
    - require:
      - test: r1
`}, "recur", false, `ERR A recursive requisite was found, SLS "recur" ID "r2" ID "r1"
`},
		{"unknown state function", tree{"u.sls": `
x:
  nosuchmod.nosuchfun
`}, "u", false, "nosuchmod_|-x_|-x_|-nosuchfun | False | State 'nosuchmod.nosuchfun' was not found in SLS 'u'\nReason: 'nosuchmod.nosuchfun' is not available.\n\n"},
		{"wrong argument", tree{"wa.sls": `
x:
  test.configurable_test_state:
    - bogus: 1
`}, "wa", false, "RAISE 'bogus' is an invalid keyword argument for 'test.configurable_test_state'\n"},
		{"order first last names", tree{"o.sls": `
late:
  test.nop:
    - order: last
auto:
  test.nop
early:
  test.nop:
    - order: first
many:
  test.nop:
    - names:
      - n1
      - n2:
        - order: 1
`}, "o", false, `test_|-early_|-early_|-nop | True | Success!
test_|-many_|-n2_|-nop | True | Success!
test_|-auto_|-auto_|-nop | True | Success!
test_|-many_|-n1_|-nop | True | Success!
test_|-late_|-late_|-nop | True | Success!
`},
		{"include extend exclude", tree{
			"top/init.sls": "include:\n  - .sub\n  - other\nexclude:\n  - id: dropped\nextend:\n  sub_state:\n    test:\n      - name: renamed\nmain:\n  test.nop\n",
			"top/sub.sls":  "sub_state:\n  test.nop\n",
			"other.sls":    "dropped:\n  test.nop\nkept:\n  test.nop\n",
		}, "top", false, `test_|-sub_state_|-renamed_|-nop | True | Success!
test_|-kept_|-kept_|-nop | True | Success!
test_|-main_|-main_|-nop | True | Success!
`},
		{"relative parent include", tree{
			"a/b/c.sls": "include:\n  - ..d\nc:\n  test.nop\n",
			"a/d.sls":   "d:\n  test.nop\n",
		}, "a.b.c", false, `test_|-d_|-d_|-nop | True | Success!
test_|-c_|-c_|-nop | True | Success!
`},
		{"missing sls", tree{"x.sls": "a: {test.nop: []}\n"}, "nosuch", false, "ERR No matching sls found for 'nosuch' in env 'base'\n"},
		{"missing include", tree{"x.sls": "include:\n  - gone\na:\n  test.nop\n"}, "x", false, "ERR Specified SLS gone in saltenv base is not available on the salt master or through a configured fileserver\n"},
		{"render error", tree{"bad.sls": "a: b: c\n"}, "bad", false, "ERR Rendering SLS 'base:bad' failed: : YAML syntax error: mapping values are not allowed in this context\n"},
		{"conflicting ids", tree{"c1.sls": "include:\n  - c2\ni:\n  test.nop\n", "c2.sls": "i:\n  test.fail_without_changes\n"}, "c1", false, "ERR Detected conflicting IDs, SLS IDs need to be globally unique.\n    The conflicting ID is 'i' and is found in SLS 'base:c1' and SLS 'base:c2'\n"},
		{"not a dictionary", tree{"nd.sls": "x: 5\n"}, "nd", false, "ERR ID x in SLS nd is not a dictionary\n"},
		{"sls is a list (live)", tree{"l.sls": "- just\n- a list\n"}, "l", false, "ERR SLS l does not render to a dictionary\nERR Error when rendering state with contents: ['just', 'a list']\n"},
		{"sls is a string", tree{"s.sls": "just text\n"}, "s", false, "ERR SLS s does not render to a dictionary\nERR Error when rendering state with contents: just text\n"},
		{"unknown extend", tree{"ue.sls": "extend:\n  ghost:\n    test:\n      - name: x\n"}, "ue", false, "ERR Cannot extend ID 'ghost' in 'base:ue'. It is not part of the high state.\nThis is likely due to a missing include statement or an incorrectly typed ID.\nEnsure that a state with an ID of 'ghost' is available\nin environment 'base' and to SLS 'ue'\n"},
		{"failhard leaves the rest out", tree{"fh.sls": "a:\n  test.nop\nb:\n  test.fail_without_changes:\n    - failhard: True\nc:\n  test.nop\n"}, "fh", false, `test_|-a_|-a_|-nop | True | Success!
test_|-b_|-b_|-fail_without_changes | False | Failure!
`},
		{"prereq", tree{"p.sls": `
stop_first:
  test.succeed_with_changes:
    - prereq:
      - test: changer
changer:
  test.succeed_with_changes
quiet_pre:
  test.succeed_with_changes:
    - prereq:
      - test: quiet
quiet:
  test.succeed_without_changes
`}, "p", false, `test_|-stop_first_|-stop_first_|-succeed_with_changes | True | Success! changed
test_|-changer_|-changer_|-succeed_with_changes | True | Success! changed
test_|-quiet_pre_|-quiet_pre_|-succeed_with_changes | True | No changes detected
test_|-quiet_|-quiet_|-succeed_without_changes | True | Success!
`},
		{"listen", tree{"l.sls": `
changer:
  test.succeed_with_changes
listener:
  test.succeed_without_changes:
    - listen:
      - test: changer
quiet:
  test.nop
in_listener:
  test.nop:
    - listen_in:
      - test: quiet
`}, "l", false, `test_|-changer_|-changer_|-succeed_with_changes | True | Success! changed
test_|-listener_|-listener_|-succeed_without_changes | True | Success!
test_|-quiet_|-quiet_|-nop | True | Success!
test_|-in_listener_|-in_listener_|-nop | True | Success!
test_|-listener_listener_|-listener_|-mod_watch | True | Watch statement fired. changed
`},
		{"use", tree{"use.sls": `
base_state:
  test.configurable_test_state:
    - result: False
    - comment: from base
user:
  test.configurable_test_state:
    - changes: False
    - use:
      - test: base_state
`}, "use", false, `test_|-base_state_|-base_state_|-configurable_test_state | False | from base changed
test_|-user_|-user_|-configurable_test_state | False | from base
`},
		{"unless onlyif creates", tree{"c.sls": `
skipped_unless:
  test.succeed_with_changes:
    - unless: "true"
run_unless:
  test.succeed_with_changes:
    - unless:
      - "false"
skipped_onlyif:
  test.succeed_with_changes:
    - onlyif: "false"
skipped_fun:
  test.succeed_with_changes:
    - onlyif:
      - fun: cmd.retcode
        cmd: "exit 3"
skipped_creates:
  test.succeed_with_changes:
    - creates: /
skipped_both:
  test.succeed_with_changes:
    - onlyif: "true"
    - unless: "true"
`}, "c", false, `test_|-skipped_unless_|-skipped_unless_|-succeed_with_changes | True | unless condition is true
test_|-run_unless_|-run_unless_|-succeed_with_changes | True | Success! changed
test_|-skipped_onlyif_|-skipped_onlyif_|-succeed_with_changes | True | onlyif condition is false
test_|-skipped_fun_|-skipped_fun_|-succeed_with_changes | True | onlyif condition is false
test_|-skipped_creates_|-skipped_creates_|-succeed_with_changes | True | / exists
test_|-skipped_both_|-skipped_both_|-succeed_with_changes | True | onlyif condition is true
unless condition is true
`},
		{"check_cmd", tree{"cc.sls": "a:\n  test.succeed_with_changes:\n    - check_cmd: \"false\"\n"}, "cc", false, "test_|-a_|-a_|-succeed_with_changes | False | check_cmd determined the state failed changed\n"},
		{"retry test mode", tree{"rt.sls": "a:\n  test.fail_without_changes:\n    - retry: True\n"}, "rt", true, "test_|-a_|-a_|-fail_without_changes | False | If we weren't testing, this would be a failure!  The state would be retried every 30 seconds (with a splay of up to 0 seconds) a maximum of 2 times or until a result of True is returned\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := env(t, tc.files)
			got := summary(t, runSLS(t, e, tc.mods, tc.test))
			if got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestRetry(t *testing.T) {
	e := env(t, tree{"r.sls": "a:\n  test.fail_without_changes:\n    - retry:\n        attempts: 3\n        interval: 5\n"})
	h := highstate(t, e, false, "base")
	high, errs, err := h.RenderHighstate(context.Background(), data.M("base", []any{"r"}))
	if err != nil || len(errs) > 0 {
		t.Fatal(err, errs)
	}
	chunks, cerrs := state.CompileHigh(high)
	if len(cerrs) > 0 {
		t.Fatal(cerrs)
	}
	r := h.Runner()
	var slept []time.Duration
	r.Sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	ret, err := r.CallChunks(context.Background(), chunks)
	if err != nil {
		t.Fatal(err)
	}
	res := mustGet(ret, "test_|-a_|-a_|-fail_without_changes").(*data.Map)
	want := "Attempt 1: Returned a result of \"False\", with the following comment: \"Failure!\"\nAttempt 2: Returned a result of \"False\", with the following comment: \"Failure!\"\nFailure!"
	if c := data.Str(mustGet(res, "comment")); c != want {
		t.Errorf("comment %q, want %q", c, want)
	}
	if len(slept) != 2 || slept[0] != 5*time.Second {
		t.Errorf("slept %v", slept)
	}
	if d := mustGet(res, "duration").(float64); d < 10000 {
		t.Errorf("duration %v does not count the sleeps", d)
	}
}

func TestShowLowAndHigh(t *testing.T) {
	e := env(t, tree{"inc.sls": "inc_changes:\n  test.succeed_with_changes: []\n"})
	h := highstate(t, e, false, "base")
	high, errs, err := h.RenderHighstate(context.Background(), data.M("base", []any{"inc"}))
	if err != nil || len(errs) > 0 {
		t.Fatal(err, errs)
	}
	if got, want := data.Repr(high), "{'inc_changes': {'test': ['succeed_with_changes', {'order': 10000}], '__sls__': 'inc', '__env__': 'base'}}"; got != want {
		t.Errorf("high %s, want %s", got, want)
	}
	chunks := state.CompileHighData(high)
	if got, want := data.Repr(data.List(chunks)), "[{'state': 'test', 'name': 'inc_changes', '__sls__': 'inc', '__env__': 'base', '__id__': 'inc_changes', 'order': 10000, 'fun': 'succeed_with_changes'}]"; got != want {
		t.Errorf("low %s, want %s", got, want)
	}
}

func TestHighstateTop(t *testing.T) {
	for _, tc := range []struct {
		name string
		top  string
		want string
	}{
		{"glob", "base:\n  'minion*':\n    - a\n  other:\n    - b\n", "test_|-a_|-a_|-nop | True | Success!\n"},
		{"grain", "base:\n  'os:Debian':\n    - match: grain\n    - b\n", "test_|-b_|-b_|-nop | True | Success!\n"},
		{"pillar and list", "base:\n  'role:web':\n    - match: pillar\n    - a\n  'x,minion1':\n    - match: list\n    - b\n", "test_|-a_|-a_|-nop | True | Success!\ntest_|-b_|-b_|-nop | True | Success!\n"},
		{"compound", "base:\n  'G@os:Debian and minion1':\n    - b\n", "test_|-b_|-b_|-nop | True | Success!\n"},
		{"no match", "base:\n  nomatch:\n    - a\n", "no_|-states_|-states_|-None | False | No Top file or master_tops data matches found. Please see master log for details.\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := env(t, tree{"top.sls": tc.top, "a.sls": "a:\n  test.nop\n", "b.sls": "b:\n  test.nop\n"})
			h := highstate(t, e, false, "")
			ret, err := h.CallHighstate(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(t, ret); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestShowTop(t *testing.T) {
	e := env(t, tree{"top.sls": "base:\n  '*':\n    - a\n    - b\n"})
	ret, err := highstate(t, e, false, "").ShowTop(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := data.Repr(ret), "{'base': ['a', 'b']}"; got != want {
		t.Errorf("%s, want %s", got, want)
	}
}

func TestStartTimeAndDuration(t *testing.T) {
	loc := time.FixedZone("X", 3600)
	if got := state.StartTime(time.Date(2026, 1, 2, 10, 20, 17, 524742000, loc)); got != "10:20:17.524742" {
		t.Errorf("%s", got)
	}
	if got := state.StartTime(time.Date(2026, 1, 2, 10, 20, 17, 0, loc)); got != "10:20:17" {
		t.Errorf("%s", got)
	}
	if got := state.Duration(14969 * time.Microsecond); got != 14.969 {
		t.Errorf("%v", got)
	}
}

// twoEnvs is a tree with base and dev environments, each with a top file.
func twoEnvs(t *testing.T, opts ...any) *host.Env {
	t.Helper()
	e := env(t, tree{
		"top.sls": "base:\n  '*':\n    - b1\ndev:\n  '*':\n    - from_base_top\n",
		"b1.sls":  "b1:\n  test.nop\n",
	})
	dev := t.TempDir()
	for p, body := range map[string]string{
		"top.sls":           "dev:\n  '*':\n    - d1\nbase:\n  '*':\n    - ignored\n",
		"d1.sls":            "d1:\n  test.nop\n",
		"from_base_top.sls": "from_base_top:\n  test.nop\n",
	} {
		if err := os.WriteFile(filepath.Join(dev, p), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fr := mustGet(e.Opts, "file_roots").(*data.Map)
	fr.Set("dev", []any{dev})
	for i := 0; i < len(opts); i += 2 {
		e.Opts.Set(opts[i], opts[i+1])
	}
	return e
}

func TestTopMerging(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []any
		want string
	}{
		{"merge: base wins, dev's own section ignored", nil, "{'base': ['b1'], 'dev': ['from_base_top']}"},
		{"same: each env's own top", []any{"top_file_merging_strategy", "same"}, "{'base': ['b1'], 'dev': ['d1']}"},
		{"merge_all", []any{"top_file_merging_strategy", "merge_all"}, "{'base': ['b1', 'ignored'], 'dev': ['from_base_top', 'd1']}"},
		{"env_order dev first", []any{"env_order", []any{"dev", "base"}}, "{'base': ['b1'], 'dev': ['from_base_top']}"},
		{"state_top_saltenv dev", []any{"state_top_saltenv", "dev"}, "{'dev': ['d1']}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ret, err := highstate(t, twoEnvs(t, tc.opts...), false, "").ShowTop(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got := data.Repr(ret); got != tc.want {
				t.Errorf("%s, want %s", got, tc.want)
			}
		})
	}
}

func init() {
	host.Register(&host.Module{Kind: host.State, Name: "boom", Funcs: []*host.Func{
		{Name: "panics", Params: []host.Param{host.Req("name")}, VarKwargs: true, Fn: func(context.Context, *host.Call) (any, error) { panic("kaboom") }},
		{Name: "fails", Params: []host.Param{host.Req("name")}, VarKwargs: true, Fn: func(context.Context, *host.Call) (any, error) {
			return nil, host.Errorf("disk on fire")
		}},
		{Name: "needs", Params: []host.Param{host.Req("name"), host.Req("path")}, Fn: func(_ context.Context, c *host.Call) (any, error) {
			return data.M("name", c.Get("name"), "changes", data.NewMap(), "result", true, "comment", data.Str(c.Get("path"))), nil
		}},
		{Name: "seen", Params: []host.Param{host.Req("name")}, VarKwargs: true, Fn: func(_ context.Context, c *host.Call) (any, error) {
			ch := state.Of(c)
			keys := []string{}
			c.Kwargs().Range(func(k, _ any) bool { keys = append(keys, data.Str(k)); return true })
			return data.M("name", c.Get("name"), "changes", data.NewMap(), "result", true,
				"comment", fmt.Sprintf("test=%v env=%s id=%s kwargs=%v", ch.Test, ch.Saltenv, data.Str(mustGet(ch.Low, "__id__")), keys)), nil
		}},
	}})
}

func TestStateFunctionFailures(t *testing.T) {
	e := env(t, tree{"x.sls": `
p:
  boom.panics
f:
  boom.fails
n:
  boom.needs
ok:
  boom.needs:
    - path: /etc
s:
  boom.seen:
    - extra: 1
    - require:
      - ok
`})
	ret := runSLS(t, e, "x", false).(*data.Map)
	comment := func(tag string) string { return data.Str(mustGet(mustGet(ret, tag).(*data.Map), "comment")) }
	if c := comment("boom_|-p_|-p_|-panics"); !strings.HasPrefix(c, "An exception occurred in this state: Traceback (most recent call last):\n") || !strings.Contains(c, "kaboom") {
		t.Errorf("panic comment %q", c)
	}
	if c := comment("boom_|-f_|-f_|-fails"); !strings.HasPrefix(c, "An exception occurred in this state: Traceback") || !strings.Contains(c, "disk on fire") {
		t.Errorf("error comment %q", c)
	}
	if c := comment("boom_|-n_|-n_|-needs"); c != "Missing parameter path for state boom.needs\n" {
		t.Errorf("missing parameter comment %q", c)
	}
	if c := comment("boom_|-ok_|-ok_|-needs"); c != "/etc" {
		t.Errorf("bound parameter %q", c)
	}
	if c := comment("boom_|-s_|-s_|-seen"); c != "test=false env=base id=s kwargs=[extra]" {
		t.Errorf("chunk seen by the function: %q", c)
	}
}
