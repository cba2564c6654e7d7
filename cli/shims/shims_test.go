package shims

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/internal/golden"

	_ "github.com/saltgo/saltgo/modules/mccloudlxc"
	_ "github.com/saltgo/saltgo/runners/mccloudlxc"
)

func TestMainArgs(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"no out", nil, 64, "--out DIR is required"},
		{"extra arg", []string{"--out", "x", "y"}, 64, `unexpected argument "y"`},
		{"relative binary", []string{"--out", "x", "--binary", "saltgo"}, 64, "absolute path"},
		{"unknown module", []string{"--out", "DIR", "--binary", "/usr/bin/true", "--modules", "nope"}, 1, `saltgo hosts no module "nope"`},
		{"bad flag", []string{"--frobnicate"}, 64, "flag provided but not defined"},
		{"help", []string{"-h"}, 0, "Usage: saltgo shims"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append([]string(nil), tc.args...)
			for i, a := range args {
				args[i] = strings.ReplaceAll(a, "DIR", dir)
			}
			var out, errb bytes.Buffer
			if code := Main(args, &out, &errb); code != tc.code {
				t.Errorf("exit %d, want %d (%s)", code, tc.code, errb.String())
			}
			if !strings.Contains(errb.String(), tc.err) {
				t.Errorf("stderr %q lacks %q", errb.String(), tc.err)
			}
		})
	}
}

// TestShimsForward writes the shims, then imports them with python3 and
// checks that a runner call and an execution call reach a stand-in saltgo
// with the right command line, and that its JSON comes back as the
// function's return value.
func TestShimsForward(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("the shim test needs python3 (apt-get install python3-minimal): %v", err)
	}
	dir := t.TempDir()
	fake := filepath.Join(dir, "saltgo")
	// The stand-in prints its arguments as JSON, wrapped like salt-call
	// does for the call role.
	script := `#!/bin/sh
args=""
for a in "$@"; do
  esc=$(printf '%s' "$a" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')
  args="$args${args:+, }\"$esc\""
done
case "$1" in
  *-call) printf '{"local": {"argv": [%s]}}\n' "$args" ;;
  *) printf '{"argv": [%s], "result": true}\n' "$args" ;;
esac
`
	must(t, os.WriteFile(fake, []byte(script), 0o755))
	out := filepath.Join(dir, "shims")
	var so, se bytes.Buffer
	if code := Main([]string{"--out", out, "--binary", fake}, &so, &se); code != 0 {
		t.Fatalf("exit %d: %s", code, se.String())
	}
	for _, f := range []string{"_runners/mc_cloud_lxc.py", "_modules/mc_cloud_lxc.py"} {
		if !strings.Contains(so.String(), filepath.Join(out, f)) {
			t.Errorf("stdout does not list %s: %s", f, so.String())
		}
	}
	prog := `
import importlib.util, json, sys
def load(path, opts):
    spec = importlib.util.spec_from_file_location("m", path)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    m.__opts__ = opts
    return m
r = load(sys.argv[1] + "/_runners/mc_cloud_lxc.py", {"conf_file": "/etc/mastersalt/master"})
assert r.__virtual__() == "mc_cloud_lxc", r.__virtual__()
print(json.dumps(r.install_vt("cn1", test=True, __pub_user="root")["argv"]))
print(json.dumps(r.provision_vms(only=["a=b", "c"])["argv"]))
e = load(sys.argv[1] + "/_modules/mc_cloud_lxc.py", {"conf_file": "/etc/salt/minion"})
print(json.dumps(e.get_settings_for_vm("cn1", "vm1", full=False)["argv"]))
print(r.install_vt.__doc__.strip().splitlines()[0])
`
	cmd := exec.Command(py, "-c", prog, out)
	got, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, got)
	}
	golden.Text(t, "forward.txt", strings.ReplaceAll(string(got), fake, "<saltgo>"))
}

func TestRenderGolden(t *testing.T) {
	dir := t.TempDir()
	if _, err := Write(dir, "/usr/local/bin/saltgo", []string{"mc_cloud_lxc"}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "_runners", "mc_cloud_lxc.py"))
	must(t, err)
	// Only the generic part is pinned; docstrings follow the Go module.
	src := string(b)
	i := strings.Index(src, "\n\ndef install_vt(")
	if i < 0 {
		t.Fatalf("no install_vt in:\n%s", src)
	}
	golden.Text(t, "runner_head.py", src[:strings.Index(src, "\n\ndef configure_grains(")])
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestWordsTypeBack checks that the JSON words the shims send are read
// back by saltgo's argument parser as the values Python passed.
func TestWordsTypeBack(t *testing.T) {
	args := host.ParseInput([]string{`"cn1"`, `"a=b"`, `"True"`, "test=true", `only=["a=b", "c"]`, "n=3", "x=null"}, nil)
	got := data.Str(args)
	want := `['cn1', 'a=b', 'True', {'__kwarg__': True, 'test': True, 'only': ['a=b', 'c'], 'n': 3, 'x': None}]`
	if got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}
