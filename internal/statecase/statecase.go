// Package statecase runs state.apply with `salt-call --local` inside a
// Debian container (lxctest.NewDebian) and compares the return with a
// golden return recorded from a real Salt 3007.14 minion running the same
// tree in the same kind of container: for the state modules that change a
// whole system (sysctl, mount) and for archive.extracted end to end. Only
// the volatile values (start_time, duration) are left out of the
// comparison. Test support only.
package statecase

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/lxc/lxctest"
)

// Conf is the minion configuration directory in the container.
const Conf = lxctest.SharedDir + "/conf"

// Tree is the file_roots base directory in the container.
const Tree = lxctest.SharedDir + "/tree"

// Minion writes the configuration of a masterless minion "minion1" into
// shared (file_roots Tree, root_dir below the shared dir) and the state
// tree files (path relative to the tree -> content).
func Minion(t testing.TB, shared string, tree map[string]string) {
	t.Helper()
	conf := strings.Join([]string{
		"id: minion1",
		"file_client: local",
		"file_roots:",
		"  base:",
		"    - " + Tree,
		"root_dir: " + lxctest.SharedDir + "/root",
		"",
	}, "\n")
	write(t, filepath.Join(shared, "conf", "minion"), conf)
	for p, body := range tree {
		write(t, filepath.Join(shared, "tree", p), body)
	}
}

func write(t testing.TB, p, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Step is one state.apply.
type Step struct {
	// Name names the golden file (testdata/golden/<Name>.json).
	Name string
	SLS  string
	Test bool
}

// Result is a run's retcode and its return (the "local" value of
// --out=json).
type Result struct {
	SLS     string `json:"sls"`
	Test    bool   `json:"test"`
	Retcode int    `json:"retcode"`
	Return  any    `json:"return"`
}

// Apply runs prefix (the salt-call command: saltgo's, or a Python one)
// with state.apply of the step's sls in the container. oldnew are
// replacement pairs applied to the output first (e.g. a test archive's
// hash by a placeholder, so that the golden does not depend on the bytes
// a compressor produced).
func Apply(t testing.TB, d *lxctest.Debian, prefix []string, s Step, oldnew ...string) Result {
	t.Helper()
	argv := append(append([]string{}, prefix...), "-c", Conf, "--local", "--out=json", "--retcode-passthrough", "state.apply", s.SLS)
	if s.Test {
		argv = append(argv, "test=True")
	}
	r, err := d.Run(lxctest.Context(t), argv...)
	if err != nil {
		t.Fatal(err)
	}
	stdout := r.Stdout
	if len(oldnew) > 0 {
		stdout = []byte(strings.NewReplacer(oldnew...).Replace(string(stdout)))
	}
	var out map[string]any
	if err := json.Unmarshal(stdout, &out); err != nil {
		t.Fatalf("%s: %q exit %d: not JSON (%v)\nstdout: %s\nstderr: %s", s.Name, argv, r.Status, err, r.Stdout, r.Stderr)
	}
	return Result{SLS: s.SLS, Test: s.Test, Retcode: r.Status, Return: out["local"]}
}

// strip drops the volatile values of each state's return.
func strip(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := map[string]any{}
	for tag, r := range m {
		rm, ok := r.(map[string]any)
		if !ok {
			out[tag] = r
			continue
		}
		c := map[string]any{}
		for k, x := range rm {
			if k != "start_time" && k != "duration" {
				c[k] = x
			}
		}
		out[tag] = c
	}
	return out
}

// Path is the golden file of a step.
func Path(s Step) string { return filepath.Join("testdata", "golden", s.Name+".json") }

// Check compares r with the step's golden file (the recorded Salt run).
func Check(t testing.TB, s Step, r Result) {
	t.Helper()
	b, err := os.ReadFile(Path(s))
	if err != nil {
		t.Fatalf("golden %s: %v", Path(s), err)
	}
	var want Result
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("golden %s: %v", Path(s), err)
	}
	if want.Retcode != r.Retcode || !reflect.DeepEqual(strip(want.Return), strip(r.Return)) {
		got, _ := json.MarshalIndent(strip(r.Return), "", " ")
		exp, _ := json.MarshalIndent(strip(want.Return), "", " ")
		t.Errorf("%s (state.apply %s test=%v) differs from Salt 3007.14's return:\n--- saltgo (retcode %d)\n%s\n--- salt (retcode %d)\n%s",
			s.Name, s.SLS, s.Test, r.Retcode, got, want.Retcode, exp)
	}
}

// Write stores r as the step's golden file (used when recording).
func Write(t testing.TB, s Step, r Result) {
	t.Helper()
	b, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	write(t, Path(s), string(b)+"\n")
	fmt.Fprintf(os.Stderr, "recorded %s\n", Path(s))
}
