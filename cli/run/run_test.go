package run

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/cli/console"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/internal/mastertest"
)

var registerExtra = func() func() {
	done := false
	return func() {
		if done {
			return
		}
		done = true
		host.Register(&host.Module{Kind: host.Runner, Name: "rtest", Funcs: []*host.Func{
			{Name: "rc", Doc: "\n    Return a dict with retcode.\n    ", Fn: func(context.Context, *host.Call) (any, error) {
				return data.M("retcode", int64(4), "msg", "x"), nil
			}},
			{Name: "dataout", Fn: func(context.Context, *host.Call) (any, error) {
				return data.M("data", data.M("a", int64(1)), "outputter", "json"), nil
			}},
			{Name: "bad", Fn: func(context.Context, *host.Call) (any, error) { return nil, host.Invalidf("need more") }},
			{Name: "panics", Fn: func(context.Context, *host.Call) (any, error) { panic("oops") }},
		}})
	}
}()

func runMain(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	registerExtra()
	var out, errb bytes.Buffer
	code := Main(context.Background(), "salt-run", args, console.IO{Stdout: &out, Stderr: &errb})
	return out.String(), errb.String(), code
}

func TestRunCases(t *testing.T) {
	conf := lab(t)
	tests := []struct {
		name       string
		args       []string
		out, err   string // substrings
		code       int
		exactOut   bool
		wantNoMore bool
	}{
		{name: "retcode-from-dict", args: []string{"rtest.rc"}, out: "retcode:\n    4\n", code: 4},
		{name: "data-outputter", args: []string{"rtest.dataout"}, out: "{\n    \"a\": 1\n}\n", code: 0, exactOut: true},
		{name: "invocation-error", args: []string{"rtest.bad"}, out: "Passed invalid arguments: need more", code: 0},
		{name: "panic", args: []string{"rtest.panics"}, out: "Exception occurred in runner rtest.panics: Traceback", code: 1},
		{name: "doc-module", args: []string{"-d", "rtest"}, out: "rtest.rc:\n\n    Return a dict with retcode.\n    \n", code: 0},
		{name: "doc-two-args", args: []string{"-d", "a", "b"}, err: "You can only get documentation for one method at one time", code: 64},
		{name: "bad-log-level", args: []string{"-l", "loud", "rtest.rc"}, err: "invalid log level", code: 64},
		{name: "module-prefix-docs", args: []string{"rtest.nosuch"}, out: "'rtest.nosuch' is not available.\n", code: 0},
		{name: "quiet", args: []string{"--quiet", "rtest.rc"}, out: "", code: 4, exactOut: true},
		{name: "help", args: []string{"--help"}, out: "Usage: salt-run [options] <function> [arguments]", code: 0},
		{name: "info-log-lists-hosted", args: []string{"-l", "info", "nosuch.fun"}, err: "manage.up", code: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := runMain(t, append([]string{"-c", conf}, tc.args...)...)
			if tc.exactOut && out != tc.out || !strings.Contains(out, tc.out) {
				t.Errorf("stdout %q, want %q", out, tc.out)
			}
			if !strings.Contains(errs, tc.err) {
				t.Errorf("stderr %q, want %q", errs, tc.err)
			}
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
		})
	}
}

func TestPythonFallback(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "salt-run")
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \"python salt-run $*\"\necho err >&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "conf")
	os.MkdirAll(conf, 0o755)
	if err := os.WriteFile(filepath.Join(conf, "master"), []byte("saltgo_python_salt_run: "+script+"\ncachedir: "+dir+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runMain(t, "-c", conf, "mc_cloud_kvm.install_vt", "cn1", "output=True")
	if out != "python salt-run -c "+conf+" mc_cloud_kvm.install_vt cn1 output=True\n" || errs != "err\n" || code != 3 {
		t.Errorf("got %q %q %d", out, errs, code)
	}
	// Hosted functions stay in Go.
	out, _, code = runMain(t, "-c", conf, "rtest.rc", "--out", "json")
	if !strings.Contains(out, `"retcode": 4`) || code != 4 {
		t.Errorf("hosted: %q %d", out, code)
	}
}

func TestAsync(t *testing.T) {
	conf := lab(t)
	var got []string
	old := Spawn
	Spawn = func(prog string, args []string) error { got = append([]string{prog}, args...); return nil }
	defer func() { Spawn = old }()
	_, errs, code := runMain(t, "-c", conf, "--async", "rtest.rc")
	if code != 0 || !strings.Contains(errs, "Running in asynchronous mode") || !strings.Contains(errs, "salt/run/") {
		t.Errorf("stderr %q code %d", errs, code)
	}
	if len(got) < 4 || got[0] != "salt-run" || got[1] != "--jid" || strings.Contains(strings.Join(got, " "), "--async") {
		t.Errorf("spawned %v", got)
	}
}

func TestManageAgainstFakeMaster(t *testing.T) {
	m := mastertest.StartFake(t, map[string]mastertest.FakeMinion{"a": {}, "b": {}}, "timeout: 1\n")
	out, errs, code := runMain(t, "-c", m.ConfDir, "manage.status", "--out", "json")
	if code != 0 || errs != "" || out != "{\n    \"down\": [],\n    \"up\": [\n        \"a\",\n        \"b\"\n    ]\n}\n" {
		t.Errorf("got %q %q %d", out, errs, code)
	}
	// No minion matched: empty lists, as Salt.
	out, _, code = runMain(t, "-c", m.ConfDir, "manage.up", "tgt=nomatch*")
	if code != 0 || out != "No minions matched the target. No command was sent, no jid was assigned.\n" {
		t.Errorf("no match: %q %d", out, code)
	}
	// A missing root key is reported clearly (and exits 1 like a runner exception).
	os.Remove(filepath.Join(m.CacheDir, ".root_key"))
	out, _, code = runMain(t, "-c", m.ConfDir, "manage.up")
	if code != 1 || !strings.Contains(out, "must run on the master host as root") {
		t.Errorf("missing key: %q %d", out, code)
	}
}

func TestUnhostedSaltRunnerSaysWhatSaltgoHosts(t *testing.T) {
	conf := t.TempDir()
	if err := os.WriteFile(filepath.Join(conf, "master"), []byte("root_dir: "+conf+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runMain(t, "-c", conf, "jobs.lookup_jid", "20261125000000000000")
	if code != 1 || out != "" || !strings.Contains(errs, "jobs.lookup_jid is a Salt runner that saltgo does not host") || !strings.Contains(errs, "manage.up") || !strings.Contains(errs, PythonSaltRunKey) {
		t.Fatalf("code %d stdout %q stderr %q", code, out, errs)
	}
}
