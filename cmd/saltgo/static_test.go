package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// makeBuildEnv returns the environment assignments (CGO_ENABLED=0...) that
// the Makefile's build target puts before `go build` of ./cmd/saltgo, so
// that the tests build saltgo the way `make build` does.
func makeBuildEnv(t testing.TB) []string {
	t.Helper()
	b, err := os.ReadFile("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 || f[len(f)-1] != "./cmd/saltgo" {
			continue
		}
		var env []string
		for _, w := range f {
			if !strings.Contains(w, "=") || strings.HasPrefix(w, "$") {
				break
			}
			env = append(env, w)
		}
		return env
	}
	t.Fatal("Makefile: no build line for ./cmd/saltgo")
	return nil
}

// buildSaltgo builds saltgo as `make build` does into dir.
func buildSaltgo(t *testing.T, dir string) string {
	t.Helper()
	out := filepath.Join(dir, "saltgo")
	cmd := exec.Command("go", "build", "-o", out, ".")
	cmd.Env = append(os.Environ(), makeBuildEnv(t)...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, msg)
	}
	return out
}

// TestNoCgoDependency: no package linked into saltgo uses cgo (go-lxc
// belongs to the helper binary only), whatever CGO_ENABLED says.
func TestNoCgoDependency(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{if .CgoFiles}}{{.ImportPath}}{{end}}{{end}}", ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	if s := strings.TrimSpace(string(out)); s != "" {
		t.Fatalf("saltgo links cgo packages (they belong in saltgo-lxc-helper):\n%s", s)
	}
}

// TestStaticBinaryRunsWithoutLiblxc builds saltgo as `make build` does,
// checks it is a static ELF (no interpreter, no shared libraries), and runs
// it in a chroot that holds only the binary and a minimal config (no libc,
// no liblxc): test.ping works, and lxc.* is "not available" with the
// reason (the helper is missing).
func TestStaticBinaryRunsWithoutLiblxc(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test needs root (chroot); CI runs as root")
	}
	root := t.TempDir()
	bin := buildSaltgo(t, root)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("saltgo has a program interpreter (dynamically linked)")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("saltgo needs shared libraries %v (%v)", libs, err)
	}
	_ = f.Close()

	if err := os.MkdirAll(filepath.Join(root, "conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "conf", "minion"), []byte("id: chroot\nroot_dir: /root\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	chroot, err := exec.LookPath("chroot")
	if err != nil {
		chroot = "/usr/sbin/chroot"
	}
	cases := []struct {
		fun      string
		wantCode int
		want     []string
	}{
		{fun: "test.ping", want: []string{"local:\n    True\n"}},
		{fun: "lxc.ls", wantCode: 255, want: []string{"'lxc.ls' is not available. Possible reasons: ", "saltgo-lxc-helper is not installed", "lxc.helper"}},
	}
	for _, tc := range cases {
		t.Run(tc.fun, func(t *testing.T) {
			cmd := exec.Command(chroot, root, "/saltgo", "call", "--local", "-c", "/conf", tc.fun)
			cmd.Env = []string{"PATH=/"}
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatalf("run: %v", err)
			}
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d\n%s", code, tc.wantCode, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}
