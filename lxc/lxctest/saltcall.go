package lxctest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// PythonSalt is where a real Python Salt 3007.14 is exported (its
// scripts/salt-call), and PythonSaltLib the extra Python path it needs.
// They are only used to record golden returns; the container sees them
// through its overlay root.
const (
	PythonSalt    = "/tmp/salt3007"
	PythonSaltLib = "/tmp/saltlab/pylib"
)

// LocalMinionConfig writes <shared>/conf/minion for masterless runs
// (file_client: local, file_roots base: <SharedDir>/srv, root_dir
// <SharedDir>/root; the caller puts its state tree in <shared>/srv) and
// returns the config directory's path in the container.
func LocalMinionConfig(t testing.TB, shared string) string {
	t.Helper()
	for _, d := range []string{"conf", "root"} {
		if err := os.MkdirAll(filepath.Join(shared, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	conf := strings.Join([]string{
		"id: lxctest-minion",
		"file_client: local",
		"root_dir: " + SharedDir + "/root",
		"file_roots:",
		"  base:",
		"    - " + SharedDir + "/srv",
		"",
	}, "\n")
	if err := os.WriteFile(filepath.Join(shared, "conf", "minion"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return SharedDir + "/conf"
}

// SaltCall runs `salt-call --local -c confdir --out json args...` in the
// container, with saltgo (saltgo: its path in the container) or, when
// saltgo is "", with the Python Salt at PythonSalt, and returns the
// "local" value of its JSON output. A run that prints no JSON fails the
// test.
func (d *Debian) SaltCall(t testing.TB, saltgo, confdir string, args ...string) any {
	t.Helper()
	argv := []string{saltgo, "call"}
	if saltgo == "" {
		if _, err := os.Stat(filepath.Join(PythonSalt, "scripts", "salt-call")); err != nil {
			t.Fatalf("recording needs a Python Salt 3007.14 exported at %s: %v", PythonSalt, err)
		}
		argv = []string{"env", "PYTHONPATH=" + PythonSalt + ":" + PythonSaltLib, "PYTHONWARNINGS=ignore",
			"/usr/bin/python3", PythonSalt + "/scripts/salt-call"}
	}
	argv = append(argv, "--local", "-c", confdir, "--out", "json", "-l", "quiet")
	argv = append(argv, args...)
	r, err := d.Run(Context(t), argv...)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(r.Stdout, &out); err != nil {
		t.Fatalf("%q in %s: exit %d, no JSON (%v)\nstdout: %s\nstderr: %s", argv, d.Name, r.Status, err, r.Stdout, r.Stderr)
	}
	v, ok := out["local"]
	if !ok {
		t.Fatalf("%q in %s: no \"local\" in %s", argv, d.Name, r.Stdout)
	}
	return v
}

var volatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`__salt\.tmp\.[A-Za-z0-9_]+`), "__salt.tmp.XXXXXX"},
	{regexp.MustCompile(`\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+`), "|1|HASHED|HASHED"},
}

// StableStates returns a salt-call state return with the values that
// differ between runs taken out: each state's start_time and duration
// dropped, temporary file names (Salt's __salt.tmp.*) and hashed
// known_hosts names (|1|salt|hash) masked. Other values are kept.
func StableStates(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return Mask(v)
	}
	out := map[string]any{}
	for id, r := range m {
		rm, ok := r.(map[string]any)
		if !ok {
			out[id] = Mask(r)
			continue
		}
		st := map[string]any{}
		for k, x := range rm {
			if k != "start_time" && k != "duration" {
				st[k] = Mask(x)
			}
		}
		out[id] = st
	}
	return out
}

// Mask masks the volatile parts of strings in v (see StableStates).
func Mask(v any) any {
	switch x := v.(type) {
	case string:
		for _, r := range volatile {
			x = r.re.ReplaceAllString(x, r.with)
		}
		return x
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Mask(e)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[Mask(k).(string)] = Mask(e)
		}
		return out
	}
	return v
}

// StateStep is one `state.sls` run of a scenario (Test adds test=True),
// or with Args, one salt-call of those arguments (an execution function).
type StateStep struct {
	SLS  string
	Test bool
	Args []string
}

// StateRuns runs steps in order in the container with salt-call (saltgo
// or, with saltgo "", Python Salt: see SaltCall) and returns, for each,
// {"sls", "test", "ret": StableStates(return), "after": after()}: after
// reads what the step left (crontabs, files) from the container. A step
// with Args gives {"args", "ret": Mask(return)}.
func (d *Debian) StateRuns(t testing.TB, saltgo, confdir string, steps []StateStep, after func() any) []any {
	t.Helper()
	var out []any
	for _, s := range steps {
		args := []string{"state.sls", s.SLS}
		if s.Test {
			args = append(args, "test=True")
		}
		if len(s.Args) > 0 {
			ret := Mask(d.SaltCall(t, saltgo, confdir, s.Args...))
			out = append(out, map[string]any{"args": s.Args, "ret": ret})
			continue
		}
		ret := StableStates(d.SaltCall(t, saltgo, confdir, args...))
		out = append(out, map[string]any{"sls": s.SLS, "test": s.Test, "ret": ret, "after": after()})
	}
	return out
}
