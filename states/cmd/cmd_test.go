package cmd_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/saltgo/saltgo/state/statetest"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient"
	"github.com/saltgo/saltgo/host"
	_ "github.com/saltgo/saltgo/modules/cmd"
	_ "github.com/saltgo/saltgo/modules/cp"
	"github.com/saltgo/saltgo/state"
	_ "github.com/saltgo/saltgo/states/cmd"
)

type fixture struct {
	t      *testing.T
	env    *host.Env
	client fileclient.Client
	dir    string
}

func newFixture(t *testing.T) *fixture {
	base := t.TempDir()
	roots := filepath.Join(base, "roots")
	if err := os.MkdirAll(filepath.Join(roots, "srv"), 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\necho \"script args: $1 | $2\"\n"
	if err := os.WriteFile(filepath.Join(roots, "srv/script.sh"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := data.M("cachedir", filepath.Join(base, "cache"), "file_client", "local", "file_roots", data.M("base", []any{roots}))
	fc, err := fileclient.NewLocal(opts)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, client: fc, dir: base, env: &host.Env{ID: "minion1", Opts: opts, Local: true, Grains: data.M("shell", "/bin/sh"), Pillar: data.NewMap()}}
}

func (fx *fixture) apply(fun string, test bool, kv ...any) *data.Map {
	return statetest.Apply(fx.t, fx.env, fun, state.Chunk{Test: test, Files: fx.client}, data.M(kv...))
}

// check compares result and comment, and changes with pid replaced by the
// returned one (its value varies; its presence and type are checked).
func check(t *testing.T, ret *data.Map, result any, comment string, changes *data.Map) {
	t.Helper()
	if keys := ret.Keys(); len(keys) != 4 || keys[0] != "name" || keys[1] != "changes" || keys[2] != "result" || keys[3] != "comment" {
		t.Fatalf("ret keys %v", keys)
	}
	r, _ := ret.Get("result")
	if !data.Equal(r, result) || (r == nil) != (result == nil) {
		t.Errorf("result = %s, want %s", data.Repr(r), data.Repr(result))
	}
	if c, _ := ret.Get("comment"); c != comment {
		t.Errorf("comment = %q, want %q", c, comment)
	}
	chv, _ := ret.Get("changes")
	ch := chv.(*data.Map)
	if changes == nil {
		changes = data.NewMap()
	}
	if want, ok := changes.Get("pid"); ok && want == "PID" {
		pid, _ := ch.Get("pid")
		if n, ok := data.AsInt(pid); !ok || n <= 0 {
			t.Errorf("pid = %s", data.Repr(pid))
		}
		changes = changes.Copy()
		changes.Set("pid", pid)
	}
	if !data.Equal(ch, changes) {
		t.Errorf("changes = %s\nwant      %s", data.Repr(ch), data.Repr(changes))
	}
}

func runChanges(rc int64, out, errOut string) *data.Map {
	return data.M("pid", "PID", "retcode", rc, "stdout", out, "stderr", errOut)
}

func TestRun(t *testing.T) {
	fx := newFixture(t)
	cases := []struct {
		desc    string
		test    bool
		kv      []any
		result  any
		comment string
		changes *data.Map
	}{
		{"ok", false, []any{"name", "echo hi"}, true, `Command "echo hi" run`, runChanges(0, "hi", "")},
		{"fail", false, []any{"name", "echo out; echo err >&2; exit 3"}, false, `Command "echo out; echo err >&2; exit 3" run`, runChanges(3, "out", "err")},
		{"test", true, []any{"name", "echo hi"}, nil, `Command "echo hi" would have been executed`, data.M("cmd", "echo hi")},
		{"cwd missing", false, []any{"name", "pwd", "cwd", "/no/such/dir"}, false, `Desired working directory "/no/such/dir" is not available`, nil},
		{"cwd env list", false, []any{"name", `echo "$V" && pwd`, "cwd", "/", "env", []any{data.M("V", "val")}}, true, `Command "echo "$V" && pwd" run`, runChanges(0, "val\n/", "")},
		{"bad env", false, []any{"name", "true", "env", "V=1"}, false, "Invalidly-formatted 'env' parameter. See documentation.", nil},
		{"stdin", false, []any{"name", "cat", "stdin", "from-stdin"}, true, `Command "cat" run`, runChanges(0, "from-stdin", "")},
		{"success_retcodes", false, []any{"name", "exit 4", "success_retcodes", []any{int64(4)}}, true, `Command "exit 4" run`, runChanges(0, "", "")},
		{"success_stdout", false, []any{"name", "echo fine; exit 1", "success_stdout", "fine"}, true, `Command "echo fine; exit 1" run`, runChanges(0, "fine", "")},
		{"success_stderr", false, []any{"name", "echo meh >&2; exit 1", "success_stderr", []any{"meh"}}, true, `Command "echo meh >&2; exit 1" run`, runChanges(0, "", "meh")},
		{"stateful kv", false, []any{"name", `echo working; echo "changed=yes comment='did it'"`, "stateful", true}, true, "did it",
			data.M("changed", "yes", "pid", "PID", "retcode", int64(0), "stdout", "working", "stderr", "")},
		{"stateful no change", false, []any{"name", "echo changed=no", "stateful", true}, true, "", nil},
		{"stateful json", false, []any{"name", `echo '{"changed": true, "comment": "j", "x": 1}'`, "stateful", true}, true, "j",
			data.M("changed", true, "x", int64(1), "pid", "PID", "retcode", int64(0), "stdout", "", "stderr", "")},
		{"hide_output", false, []any{"name", "echo secret", "hide_output", true}, true, `Command "echo secret" run`, runChanges(0, "", "")},
		{"stateful bad", false, []any{"name", "echo a b", "stateful", true}, false, "Failed parsing script output! Stdout must be JSON or a line of name=value pairs.", runChanges(0, "a b", "")},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			check(t, fx.apply("cmd.run", tc.test, tc.kv...), tc.result, tc.comment, tc.changes)
		})
	}
}

func TestWaitAndModWatch(t *testing.T) {
	fx := newFixture(t)
	check(t, fx.apply("cmd.wait", false, "name", "echo waited"), true, "", nil)
	check(t, fx.apply("cmd.mod_watch", false, "name", "echo waited", "sfun", "wait"), true, `Command "echo waited" run`, runChanges(0, "waited", ""))
	check(t, fx.apply("cmd.mod_watch", true, "name", "echo waited", "sfun", "wait"), nil, `Command "echo waited" would have been executed`, data.M("cmd", "echo waited"))
	check(t, fx.apply("cmd.mod_watch", false, "name", "x", "sfun", "nope"), false, "cmd.nope does not work with the watch requisite, please use cmd.wait or cmd.wait_script", nil)
	check(t, fx.apply("cmd.mod_watch", false, "name", "salt://srv/script.sh", "sfun", "wait_script", "args", "a b"), true,
		"Command 'salt://srv/script.sh' run", runChanges(0, "script args: a | b", ""))
}

func TestScript(t *testing.T) {
	fx := newFixture(t)
	check(t, fx.apply("cmd.script", false, "name", "salt://srv/script.sh", "args", `one "two words"`), true,
		"Command 'salt://srv/script.sh' run", runChanges(0, "script args: one | two words", ""))
	// As Salt: without source, the whole name (arguments included) is the source.
	check(t, fx.apply("cmd.script", false, "name", "salt://srv/script.sh x y"), false,
		"Unable to cache script salt://srv/script.sh x y from saltenv 'base'",
		data.M("pid", int64(0), "retcode", int64(1), "stdout", "", "stderr", "", "cache_error", true))
	check(t, fx.apply("cmd.script", false, "name", "run it x y", "source", "salt://srv/script.sh"), true,
		"Command 'run it x y' run", runChanges(0, "script args: it | x", ""))
	check(t, fx.apply("cmd.script", true, "name", "salt://srv/script.sh"), nil, "Command 'salt://srv/script.sh' would have been executed", nil)
	check(t, fx.apply("cmd.script", false, "name", "s", "source", "salt://srv/missing.sh"), false,
		"Unable to cache script salt://srv/missing.sh from saltenv 'base'",
		data.M("pid", int64(0), "retcode", int64(1), "stdout", "", "stderr", "", "cache_error", true))
	check(t, fx.apply("cmd.script", false, "name", "salt://srv/script.sh", "context", "x"), false,
		"Invalidly-formatted 'context' parameter. Must be formed as a dict.", nil)
	// the execution module takes salt:// sources too.
	res := host.Run(context.Background(), fx.env, host.Request{Kind: host.Exec, Fun: "cmd.script", Args: []any{"salt://srv/script.sh", "p q"}})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	m := res.Return.(*data.Map)
	if so, _ := m.Get("stdout"); so != "script args: p | q" {
		t.Fatalf("cmd.script: %s", data.Repr(m))
	}
}

func TestScriptTemplate(t *testing.T) {
	fx := newFixture(t)
	if err := os.WriteFile(filepath.Join(fx.dir, "roots/srv/t.sh"), []byte("#!/bin/sh\necho \"{{ greeting }} from {{ grains['shell'] }}\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	check(t, fx.apply("cmd.script", false, "name", "salt://srv/t.sh", "template", "jinja", "context", data.M("greeting", "hi")), true,
		"Command 'salt://srv/t.sh' run", runChanges(0, "hi from /bin/sh", ""))
}
