package state_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileserver/fstest"
	"github.com/saltgo/saltgo/host"
)

type jobs struct{ running []*data.Map }

func (j jobs) Running() []*data.Map         { return j.running }
func (j jobs) FindJob(string) *data.Map     { return data.NewMap() }
func (j jobs) KillJob(string) bool          { return false }
func newJobs(ms ...*data.Map) host.JobTable { return jobs{running: ms} }

func treeEnv(t testing.TB, files map[string]string) *host.Env {
	t.Helper()
	root := t.TempDir()
	fstest.Write(t, root, files)
	opts := data.M("id", "minion1", "file_roots", data.M("base", []any{root}), "cachedir", t.TempDir(), "file_client", "local", "test", false)
	return &host.Env{ID: "minion1", Opts: opts, Local: true, Log: slog.New(slog.DiscardHandler), Grains: data.M("id", "minion1"), Pillar: data.M("a", data.M("b", 1))}
}

var sample = map[string]string{
	"top.sls": "base:\n  '*':\n    - one\n",
	"one.sls": "{% set greeting = pillar.get('greeting', 'hi') %}\nfirst:\n  test.succeed_with_changes:\n    - name: {{ greeting }}\nsecond:\n  test.fail_without_changes:\n    - require:\n      - first\n",
	"two.sls": "solo:\n  test.nop\n",
}

func kwargs(kv ...any) *data.Map {
	m := data.M("__kwarg__", true)
	for i := 0; i < len(kv); i += 2 {
		m.Set(kv[i], kv[i+1])
	}
	return m
}

func TestStateFunctions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fun     string
		args    []any
		jobs    host.JobTable
		retcode int
		want    string // a substring of repr(return)
	}{
		{"sls fails with retcode 2", "state.sls", []any{"one"}, nil, 2, "'test_|-second_|-second_|-fail_without_changes': {'name': 'second', 'changes': {}, 'result': False, 'comment': 'Failure!'"},
		{"apply without mods is the highstate", "state.apply", nil, nil, 2, "'test_|-first_|-hi_|-succeed_with_changes'"},
		{"pillar override reaches jinja", "state.apply", []any{"one", kwargs("pillar", data.M("greeting", "hello"))}, nil, 2, "'test_|-first_|-hello_|-succeed_with_changes'"},
		{"pillar must be a dict", "state.sls", []any{"one", kwargs("pillar", "x")}, nil, 1, "\"ERROR executing 'state.sls': Pillar data must be formatted as a dictionary, unless pillar_enc is specified.\""},
		{"test=True", "state.sls", []any{"one", kwargs("test", true)}, nil, 2, "If we weren't testing, this would be successful with changes"},
		{"comma list", "state.sls", []any{"two,one"}, nil, 2, "'test_|-solo_|-solo_|-nop'"},
		{"exclude", "state.sls", []any{"one", kwargs("exclude", []any{data.M("id", "second")})}, nil, 0, "'test_|-first_|-hi_|-succeed_with_changes'"},
		{"missing sls", "state.sls", []any{"nosuch"}, nil, 1, "[\"No matching sls found for 'nosuch' in env 'base'\"]"},
		{"sls_id runs the ID and its requisites", "state.sls_id", []any{"second", "one"}, nil, 2, "'test_|-first_|-hi_|-succeed_with_changes'"},
		{"sls_id missing ID", "state.sls_id", []any{"zzz", "one"}, nil, 1, "\"ERROR executing 'state.sls_id': No matches for ID 'zzz' found in SLS 'one' within saltenv 'base'\""},
		{"single", "state.single", []any{"test.succeed_without_changes", "name=foo"}, nil, 0, "{'test_|-foo_|-foo_|-succeed_without_changes': {'name': 'foo', 'changes': {}, 'result': True, 'comment': 'Success!', '__sls__': None, '__run_num__': 0"},
		{"single invalid function", "state.single", []any{"nodot", "name=foo"}, nil, 1, "'Invalid function passed'"},
		{"show_top", "state.show_top", nil, nil, 0, "{'base': ['one']}"},
		{"show_sls", "state.show_sls", []any{"two"}, nil, 0, "{'solo': {'__sls__': 'two', '__env__': 'base', 'test': ['nop', {'order': 10000}]}}"},
		{"show_low_sls", "state.show_low_sls", []any{"two"}, nil, 0, "[{'state': 'test', 'name': 'solo', '__sls__': 'two', '__env__': 'base', '__id__': 'solo', 'order': 10000, 'fun': 'nop'}]"},
		{"show_lowstate", "state.show_lowstate", nil, nil, 0, "'__id__': 'second'"},
		{"running idle", "state.running", nil, newJobs(data.M("fun", "test.sleep", "jid", "20261203102138202440", "pid", int64(1))), 0, "[]"},
		{"already running", "state.sls", []any{"two"}, newJobs(data.M("fun", "state.apply", "jid", "20261203102138202444", "pid", int64(15041))), 1,
			"['The function \"state.apply\" is running as PID 15041 and was started at 2026, Dec 03 10:21:38.202444 with jid 20261203102138202444']"},
		{"queue is refused while a state runs", "state.sls", []any{"two", kwargs("queue", true)}, newJobs(data.M("fun", "state.apply", "jid", "20261203102138202444", "pid", int64(15041))), 1,
			"saltgo does not queue state runs (queue=True): run it again when the running state job has finished"},
		{"show_highstate", "state.show_highstate", nil, nil, 0, "('require', ['first'])]), 'fail_without_changes', {'order': 10001}]), ('__sls__', 'one'), ('__env__', 'base')"},
		{"concurrent skips the check", "state.sls", []any{"two", kwargs("concurrent", true)}, newJobs(data.M("fun", "state.apply", "jid", "20261203102138202444", "pid", int64(15041))), 0, "'test_|-solo_|-solo_|-nop'"},
		{"own job is not a conflict", "state.sls", []any{"two"}, newJobs(data.M("fun", "state.sls", "jid", "20261203000000000001", "pid", int64(1))), 0, "'test_|-solo_|-solo_|-nop'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := treeEnv(t, sample)
			env.Services.Jobs = tc.jobs
			args := tc.args
			if args == nil {
				args = []any{}
			}
			res := host.Execute(context.Background(), env, host.Exec, tc.fun, args, data.M("jid", "20261203000000000001", "fun", tc.fun))
			if res.Retcode != tc.retcode {
				t.Errorf("retcode %d, want %d (%s)", res.Retcode, tc.retcode, data.Repr(res.Return))
			}
			if got := data.Repr(res.Return); !strings.Contains(got, tc.want) {
				t.Errorf("return %s\nwant it to contain %s", got, tc.want)
			}
		})
	}
}

func TestOutputterIsHighstate(t *testing.T) {
	for _, fun := range []string{"state.apply", "state.sls", "state.highstate", "state.sls_id", "state.single"} {
		f, _, err := host.Lookup(host.Exec, fun)
		if err != nil || f.Outputter != "highstate" {
			t.Errorf("%s: outputter %q (%v)", fun, f.Outputter, err)
		}
	}
}

// TestSaltCallFailures: a SaltInvocationError raised by the state module
// is printed by salt-call as a TypeError: "Passed invalid arguments: <msg>."
// on stderr, the docstring on stdout, exit 1 (live, Salt 3007.14).
func TestSaltCallFailures(t *testing.T) {
	env := treeEnv(t, map[string]string{"bad.sls": "x:\n  test.configurable_test_state:\n    - bogus: 1\n"})
	for _, tc := range []struct {
		args []any
		want string
	}{
		{[]any{"bad"}, "\nPassed invalid arguments: 'bogus' is an invalid keyword argument for 'test.configurable_test_state'.\n\nUsage:\n"},
		{[]any{"bad", kwargs("pillar", []any{1})}, "\nPassed invalid arguments: Pillar data must be formatted as a dictionary, unless pillar_enc is specified..\n\nUsage:\n"},
	} {
		res := host.Run(context.Background(), env, host.Request{Kind: host.Exec, Fun: "state.sls", Args: tc.args})
		f := res.SaltCallFailure()
		if f == nil || f.Stderr != tc.want || f.Code != 1 || !strings.HasPrefix(f.Stdout, res.Func.Doc) || f.Stdout == "\n" {
			t.Errorf("%v: failure %+v, want stderr %q, the docstring on stdout, exit 1", tc.args, f, tc.want)
		}
	}
}

// TestTestModeChangesNothing: test=True reports the file it would write
// and leaves the disk alone; the real run writes it.
func TestTestModeChangesNothing(t *testing.T) {
	env := treeEnv(t, map[string]string{"w.sls": "out:\n  file.managed:\n    - name: {{ pillar['root'] }}/sub/out.txt\n    - makedirs: True\n    - contents: hello\nafter:\n  cmd.run:\n    - name: touch {{ pillar['root'] }}/ran\n    - require:\n      - file: out\n"})
	root := t.TempDir()
	run := func(test bool) *data.Map {
		res := host.Run(context.Background(), env, host.Request{Kind: host.Exec, Fun: "state.sls", Args: []any{"w", kwargs("test", test, "pillar", data.M("root", root))}})
		m, ok := res.Return.(*data.Map)
		if !ok || res.Err != nil {
			t.Fatalf("return %s (%v)", data.Repr(res.Return), res.Err)
		}
		return m
	}
	ret := run(true)
	if r := mustGet(mustGet(ret, "file_|-out_|-"+root+"/sub/out.txt_|-managed").(*data.Map), "result"); r != nil {
		t.Errorf("test=True file.managed result %v, want None", r)
	}
	entries, err := os.ReadDir(root)
	if err != nil || len(entries) != 0 {
		t.Fatalf("test=True wrote %v (%v)", entries, err)
	}
	run(false)
	if b, err := os.ReadFile(filepath.Join(root, "sub", "out.txt")); err != nil || string(b) != "hello\n" && string(b) != "hello" {
		t.Errorf("real run: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(root, "ran")); err != nil {
		t.Errorf("cmd.run after the file did not run: %v", err)
	}
}
