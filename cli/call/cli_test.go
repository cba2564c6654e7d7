package call

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/cli/console"
	"github.com/saltgo/saltgo/host"
)

func runCall(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), "salt-call", args, console.IO{Stdout: &out, Stderr: &errb})
	return out.String(), errb.String(), code
}

func minimalConf(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "minion"), []byte("id: clitest\nroot_dir: "+dir+"\n"+extra), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestPanicIsReportedAsSaltException(t *testing.T) {
	host.Register(&host.Module{Kind: host.Exec, Name: "panicky", Funcs: []*host.Func{{
		Name: "boom", Fn: func(context.Context, *host.Call) (any, error) { panic("nil map write") },
	}}})
	defer host.Unregister(host.Exec, "panicky")
	out, errs, code := runCall(t, "-c", minimalConf(t, ""), "--local", "panicky.boom")
	if code != 1 || out != "" {
		t.Fatalf("code %d, stdout %q", code, out)
	}
	if !strings.HasPrefix(errs, "[ERROR   ] An un-handled exception was caught by Salt's global exception handler:\nGoPanic: nil map write\n") {
		t.Fatalf("stderr = %q", errs)
	}
}

func TestUnavailableModuleSaysWhy(t *testing.T) {
	host.Register(&host.Module{Kind: host.Exec, Name: "needslib", Virtual: func() error { return os.ErrNotExist },
		Funcs: []*host.Func{{Name: "f", Fn: func(context.Context, *host.Call) (any, error) { return true, nil }}}})
	defer host.Unregister(host.Exec, "needslib")
	_, errs, code := runCall(t, "-c", minimalConf(t, ""), "--local", "needslib.f")
	if code != 255 || errs != "'needslib.f' is not available. Possible reasons: file does not exist\n" {
		t.Fatalf("code %d stderr %q", code, errs)
	}
}

func TestPillarRootAndGrainsSetval(t *testing.T) {
	conf := minimalConf(t, "")
	proot := t.TempDir()
	os.WriteFile(filepath.Join(proot, "top.sls"), []byte("base:\n  'cli*':\n    - a\n  'other':\n    - b\n"), 0o644)
	os.WriteFile(filepath.Join(proot, "a.sls"), []byte("include:\n  - c\nk: {x: 1}\n"), 0o644)
	os.WriteFile(filepath.Join(proot, "b.sls"), []byte("never: seen\n"), 0o644)
	os.WriteFile(filepath.Join(proot, "c.sls"), []byte("k: {y: 2}\nlist: [on, off, 010]\n"), 0o644)
	out, errs, code := runCall(t, "-c", conf, "--local", "--pillar-root", proot, "pillar.items", "--out", "json")
	want := "{\n    \"local\": {\n        \"k\": {\n            \"y\": 2,\n            \"x\": 1\n        },\n        \"list\": [\n            true,\n            false,\n            10\n        ]\n    }\n}\n"
	if code != 0 || out != want {
		t.Fatalf("code %d\n%s\n%s", code, out, errs)
	}
	out, _, code = runCall(t, "-c", conf, "--local", "grains.setval", "role", "[web, db]", "--out", "json")
	if code != 0 || !strings.Contains(out, `"role": [`) {
		t.Fatalf("setval: %d %s", code, out)
	}
	b, err := os.ReadFile(filepath.Join(conf, "grains"))
	if err != nil || !strings.Contains(string(b), "role:") {
		t.Fatalf("grains file: %v %q", err, b)
	}
	out, _, _ = runCall(t, "-c", conf, "--local", "grains.get", "role:1")
	if out != "local:\n    db\n" {
		t.Fatalf("grains.get after setval = %q", out)
	}
}

func TestCmdModule(t *testing.T) {
	conf := minimalConf(t, "")
	tests := []struct {
		args []string
		want string
		code int
	}{
		{[]string{"cmd.run", "echo hi; echo err >&2"}, "local:\n    hi\n    err\n", 0},
		{[]string{"cmd.run", "exit 3"}, "local:\n", 1},
		// Salt 3007.14's salt-call exits 1 here too: the command's retcode
		// is the job's (__context__['retcode']).
		{[]string{"cmd.retcode", "exit 3"}, "local:\n    3\n", 1},
		{[]string{"cmd.run_stdout", "echo $FOO", "env={FOO: bar}"}, "local:\n    bar\n", 0},
		{[]string{"cmd.run", "pwd", "cwd=/tmp"}, "local:\n    /tmp\n", 0},
		{[]string{"cmd.run", "cat", "stdin=piped"}, "local:\n    piped\n", 0},
		{[]string{"cmd.run", "sleep 5", "timeout=0.2"}, "local:\n    Timed out after 0.2 seconds\n", 1},
		{[]string{"cmd.run", "echo unquoted 'a b'", "python_shell=False"}, "local:\n    unquoted a b\n", 0},
	}
	for _, tc := range tests {
		out, errs, code := runCall(t, append([]string{"-c", conf, "--local"}, tc.args...)...)
		if out != tc.want || code != tc.code {
			t.Errorf("%v: code %d out %q stderr %q", tc.args, code, out, errs)
		}
	}
	out, _, code := runCall(t, "-c", conf, "--local", "--out", "json", "cmd.run_all", "echo o; echo e >&2; exit 2")
	if code != 1 || !strings.Contains(out, `"retcode": 2`) || !strings.Contains(out, `"stdout": "o"`) || !strings.Contains(out, `"stderr": "e"`) {
		t.Fatalf("run_all: %d %s", code, out)
	}
}

func TestBadConfigNamesFileAndLine(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "minion"), []byte("id: x\nmaster_port: [1, 2]\n"), 0o644)
	_, errs, code := runCall(t, "-c", dir, "--local", "test.ping")
	if code == 0 || !strings.Contains(errs, filepath.Join(dir, "minion")) || !strings.Contains(errs, "master_port") || !strings.Contains(errs, "2") {
		t.Fatalf("code %d stderr %q", code, errs)
	}
	os.WriteFile(filepath.Join(dir, "minion"), []byte("id: x\n  bad: [\n"), 0o644)
	_, errs, code = runCall(t, "-c", dir, "--local", "test.ping")
	if code == 0 || !strings.Contains(errs, "minion:2: YAML syntax error") {
		t.Fatalf("yaml error: code %d stderr %q", code, errs)
	}
}

func TestRemoteModeWithoutMasterFailsClearly(t *testing.T) {
	conf := minimalConf(t, "master: 127.0.0.1\nmaster_port: 1\nauth_timeout: 1\nauth_tries: 1\n")
	_, errs, code := runCall(t, "-c", conf, "test.ping")
	if code == 0 || errs == "" {
		t.Fatalf("code %d stderr %q", code, errs)
	}
}

// TestRefreshServicesAreReal: salt-call lends its grains and pillar refresh
// to the function (saltutil.refresh_pillar used to answer False: no one
// lent it).
func TestRefreshServicesAreReal(t *testing.T) {
	conf := minimalConf(t, "")
	proot := t.TempDir()
	if err := os.WriteFile(filepath.Join(proot, "top.sls"), []byte("base:\n  '*':\n    - a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(proot, "a.sls"), []byte("k: v\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		fun  []string
		want string
	}{
		{[]string{"saltutil.refresh_pillar"}, "{\n    \"local\": true\n}\n"},
		{[]string{"saltutil.refresh_grains"}, "{\n    \"local\": true\n}\n"},
		{[]string{"saltutil.refresh_grains", "refresh_pillar=False"}, "{\n    \"local\": true\n}\n"},
	}
	for _, tc := range tests {
		args := append([]string{"-c", conf, "--local", "--skip-grains", "--pillar-root", proot, "--out", "json"}, tc.fun...)
		out, errs, code := runCall(t, args...)
		if code != 0 || out != tc.want {
			t.Errorf("%v: code %d, stdout %q, stderr %q", tc.fun, code, out, errs)
		}
	}
}
