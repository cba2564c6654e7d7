package lxctest

// The one way a test runs salt-call in a Debian container and checks it
// against Python Salt: a masterless minion config in the shared
// directory (WriteMinion), `salt-call --local --out=json
// --retcode-passthrough` with saltgo or, when recording, with Python
// Salt 3007.14 (NewMinion, Minion.Run), one normaliser for what varies
// between runs (Mask, Normalize) and one golden file per call in the
// format of testdata/states/README.md, recorded with `go test -update`
// (internal/golden's flag) and compared otherwise (Minion.Golden,
// Minion.Steps).

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/internal/golden"
)

// PythonSalt is where a real Python Salt 3007.14 is exported (its
// scripts/salt-call), and PythonSaltLib the extra Python path it needs.
// They are only used to record golden returns; the container sees them
// through its overlay root.
const (
	PythonSalt    = "/tmp/salt3007"
	PythonSaltLib = "/tmp/saltlab/pylib"
)

// MinionID is the id of the minion WriteMinion configures.
const MinionID = "minion1"

// MinionConfig shapes the masterless minion WriteMinion writes.
type MinionConfig struct {
	// RootDir is the minion's root_dir ("" keeps Salt's default, /).
	RootDir string
	// Pillar adds pillar_roots base SharedDir/pillar (the caller puts
	// its pillar tree in <shared>/pillar).
	Pillar bool
}

// WriteMinion writes <shared>/conf/minion for a masterless minion (id
// MinionID, file_client local, file_roots base SharedDir/tree: the
// caller puts its state tree in <shared>/tree) and returns the config
// directory as the container sees it.
func WriteMinion(t testing.TB, shared string, c MinionConfig) string {
	t.Helper()
	conf := "id: " + MinionID + "\nfile_client: local\nfile_roots:\n  base:\n    - " + SharedDir + "/tree\n"
	if c.Pillar {
		conf += "pillar_roots:\n  base:\n    - " + SharedDir + "/pillar\n"
	}
	if c.RootDir != "" {
		conf += "root_dir: " + c.RootDir + "\n"
	}
	if err := os.MkdirAll(filepath.Join(shared, "conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(shared, "conf", "minion"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return SharedDir + "/conf"
}

// Recording reports whether this run records golden files (go test
// -update): Python Salt plays the minion and its calls are written,
// instead of saltgo's being compared with them.
func Recording() bool { return *golden.Update }

// A Mask replaces, in every string of a call's output (the return's
// JSON text, the error, the system look), what must not be recorded or
// compared as is: values that change between runs (process ids,
// temporary names) or that the test chose (a root directory, an
// archive's hash). Masks apply before a call is recorded and, on both
// sides, before it is compared.
type Mask struct {
	Re   *regexp.Regexp
	With string // as in regexp.ReplaceAllString
}

// Literal is the Mask of the string old by new.
func Literal(old, new string) Mask {
	return Mask{Re: regexp.MustCompile(regexp.QuoteMeta(old)), With: strings.ReplaceAll(new, "$", "$$")}
}

// Minion runs salt-call --local in a Debian container: saltgo's
// `saltgo call`, or Python Salt 3007.14's salt-call while Recording.
type Minion struct {
	D *Debian
	// Conf is the config directory (-c) in the container.
	Conf string
	// Python is true while recording (the minion is Python Salt).
	Python bool
	// Masks apply to every call's output (see Mask).
	Masks []Mask
	salt  []string
}

// NewMinion returns the minion of d with config directory conf: Python
// Salt at PythonSalt while Recording, else the saltgo binary, installed
// in shared (InstallSaltgo).
func NewMinion(t testing.TB, d *Debian, shared, conf string, masks ...Mask) *Minion {
	t.Helper()
	m := &Minion{D: d, Conf: conf, Masks: masks, Python: Recording()}
	if m.Python {
		if _, err := os.Stat(filepath.Join(PythonSalt, "scripts", "salt-call")); err != nil {
			t.Fatalf("recording needs a Python Salt 3007.14 exported at %s: %v", PythonSalt, err)
		}
		m.salt = []string{"env", "PYTHONPATH=" + PythonSalt + ":" + PythonSaltLib, "PYTHONWARNINGS=ignore",
			"/usr/bin/python3", PythonSalt + "/scripts/salt-call"}
	} else {
		m.salt = []string{InstallSaltgo(t, shared), "call"}
	}
	return m
}

// Step is one salt-call of a scenario, with shell lines around it.
type Step struct {
	// Name names its golden file (<dir>/<Name>.json).
	Name string
	Fun  string
	// Args follow the function on the command line: positional
	// arguments and key=value ones (test=True, pillar={...}).
	Args []string
	// Before and After are sh -c lines run before and after the call
	// (they must succeed).
	Before, After string
	// Check is an sh -c line run after the call (before After; it must
	// succeed): its output is the call's System, recorded and compared.
	Check string
	// Probe is an sh -c line run after the call (after Check; it must
	// succeed): its output is the call's Probe, for the test to inspect,
	// neither recorded nor compared (a process id, say).
	Probe string
	// Stderr, when set, must be in saltgo's standard error (not checked
	// while recording).
	Stderr string
}

// Call is one salt-call as its golden file holds it.
type Call struct {
	Fun    string         `json:"fun"`
	Args   []string       `json:"args"`
	Kwargs map[string]any `json:"kwargs"`
	// Retcode is salt-call's exit status with --retcode-passthrough
	// (absent from goldens recorded without it: not compared there).
	Retcode *int `json:"retcode,omitempty"`
	// Return is the "local" value of --out=json, as the minion printed it.
	Return json.RawMessage `json:"return,omitempty"`
	// Error and Stdout, when salt-call printed no JSON: the last line of
	// its standard error (the lines before are logs) and its output.
	Error  string `json:"error,omitempty"`
	Stdout string `json:"stdout,omitempty"`
	// How is the command line (not compared).
	How string `json:"how"`
	// System is what Step.Check printed after the call.
	System string `json:"system,omitempty"`
	// Probe is what Step.Probe printed (not in the golden file).
	Probe string `json:"-"`
}

var kwarg = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// split sorts command-line arguments into positional ones and keyword
// ones (True/False as booleans, JSON objects and lists decoded, the rest
// as strings), as they are recorded.
func split(args []string) ([]string, map[string]any) {
	pos, kw := []string{}, map[string]any{}
	for _, a := range args {
		if !kwarg.MatchString(a) {
			pos = append(pos, a)
			continue
		}
		k, v, _ := strings.Cut(a, "=")
		var x any
		switch {
		case v == "True":
			x = true
		case v == "False":
			x = false
		case (strings.HasPrefix(v, "{") || strings.HasPrefix(v, "[")) && json.Unmarshal([]byte(v), &x) == nil:
		default:
			x = v
		}
		kw[k] = x
	}
	return pos, kw
}

func quote(a string) string {
	if a != "" && !strings.ContainsAny(a, " \t\n'\"\\$`*?[]{}()<>|&;#~") {
		return a
	}
	return "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
}

func (m *Minion) mask(s string) string {
	for _, k := range m.Masks {
		s = k.Re.ReplaceAllString(s, k.With)
	}
	return s
}

func (m *Minion) sh(t testing.TB, line string) string {
	t.Helper()
	return m.D.MustRun(t, "sh", "-c", line)
}

// Run makes the step's call (Before, the call, Check, After) and
// returns it, masked.
func (m *Minion) Run(t testing.TB, s Step) Call {
	t.Helper()
	if s.Before != "" {
		m.sh(t, s.Before)
	}
	opts := []string{"--local", "-c", m.Conf, "--retcode-passthrough", "--out=json", s.Fun}
	argv := append(append(append([]string{}, m.salt...), opts...), s.Args...)
	r, err := m.D.Run(Context(t), argv...)
	if err != nil {
		t.Fatal(err)
	}
	if s.Stderr != "" && !m.Python && !strings.Contains(string(r.Stderr), s.Stderr) {
		t.Errorf("%s: stderr lacks %q:\n%s", s.Name, s.Stderr, r.Stderr)
	}
	how := "salt-call"
	for _, a := range append(opts, s.Args...) {
		how += " " + quote(a)
	}
	c := Call{Fun: s.Fun, Retcode: &r.Status, How: m.mask(how)}
	pos, kw := split(s.Args)
	c.Args = []string{}
	for _, a := range pos {
		c.Args = append(c.Args, m.mask(a))
	}
	b, err := json.Marshal(kw)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(m.mask(string(b))), &c.Kwargs); err != nil {
		t.Fatalf("%s: kwargs: %v", s.Name, err)
	}
	var out struct {
		Local json.RawMessage `json:"local"`
	}
	if err := json.Unmarshal(r.Stdout, &out); err == nil && out.Local != nil {
		c.Return = json.RawMessage(m.mask(string(out.Local)))
	} else {
		lines := strings.Split(strings.TrimRight(string(r.Stderr), "\n"), "\n")
		c.Error, c.Stdout = m.mask(lines[len(lines)-1]), m.mask(string(r.Stdout))
		if c.Error == "" {
			t.Fatalf("%s: %q: exit %d, neither a JSON return nor an error\nstdout: %s", s.Name, argv, r.Status, r.Stdout)
		}
	}
	if s.Check != "" {
		c.System = m.mask(m.sh(t, s.Check))
	}
	if s.Probe != "" {
		c.Probe = m.sh(t, s.Probe)
	}
	if s.After != "" {
		m.sh(t, s.After)
	}
	return c
}

// Golden records got as the golden file path while Recording, and
// otherwise compares it with that file: the retcode (when the golden has
// one), the error, the system look and the return, normalised (see
// Normalize) and state results compared one by one.
func (m *Minion) Golden(t testing.TB, path string, got Call) {
	t.Helper()
	if m.Python {
		b, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		golden.Check(t, path, append(b, '\n'))
		return
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden (recorded from Python Salt with go test -update): %v", err)
	}
	var want Call
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatalf("golden %s: %v", path, err)
	}
	if want.Retcode != nil && *want.Retcode != *got.Retcode {
		t.Errorf("%s: retcode %d, Python Salt's %d", path, *got.Retcode, *want.Retcode)
	}
	for _, f := range []struct{ what, got, want string }{
		{"error", got.Error, m.mask(want.Error)},
		{"stdout", got.Stdout, m.mask(want.Stdout)},
		{"system after the call", got.System, m.mask(want.System)},
	} {
		if f.got != f.want {
			t.Errorf("%s: %s differs from Python Salt's:\n--- saltgo\n%s\n--- python\n%s", path, f.what, f.got, f.want)
		}
	}
	if (got.Return == nil) != (want.Return == nil) {
		t.Errorf("%s: return %s, Python Salt's %s", path, got.Return, want.Return)
		return
	}
	if got.Return == nil {
		return
	}
	g := Normalize(t, got.Return, true)
	w := Normalize(t, json.RawMessage(m.mask(string(want.Return))), false)
	gm, gok := g.(map[string]any)
	wm, wok := w.(map[string]any)
	if !gok || !wok || !isResults(wm) {
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: return differs from Python Salt's:\n--- saltgo\n%s\n--- python\n%s", path, show(g), show(w))
		}
		return
	}
	for _, k := range slices.Sorted(maps.Keys(wm)) {
		if gv, ok := gm[k]; !ok {
			t.Errorf("%s: missing result %s", path, k)
		} else if !reflect.DeepEqual(gv, wm[k]) {
			t.Errorf("%s: %s differs from Python Salt's:\n--- saltgo\n%s\n--- python\n%s", path, k, show(gv), show(wm[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(gm)) {
		if _, ok := wm[k]; !ok {
			t.Errorf("%s: extra result %s: %s", path, k, show(gm[k]))
		}
	}
}

// Steps runs steps in order and checks each call with its golden file
// dir/<name>.json (Golden), in a subtest per step; a golden file of dir
// that no step has fails the test. It returns the calls by step name.
func (m *Minion) Steps(t *testing.T, dir string, steps []Step) map[string]Call {
	t.Helper()
	calls := map[string]Call{}
	for _, s := range steps {
		c := m.Run(t, s)
		t.Run(s.Name, func(t *testing.T) { m.Golden(t, filepath.Join(dir, s.Name+".json"), c) })
		calls[s.Name] = c
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, ok := calls[strings.TrimSuffix(filepath.Base(f), ".json")]; !ok {
			t.Errorf("golden %s is no step's", f)
		}
	}
	return calls
}

// Normalize decodes a return (numbers as written) and drops what varies
// between runs: each state result's start_time and duration (with
// present, a result lacking a start_time string or a duration number
// fails the test) and its changes.pid.
func Normalize(t testing.TB, raw json.RawMessage, present bool) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("return: %v", err)
	}
	return norm(t, v, present)
}

func norm(t testing.TB, v any, present bool) any {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["__run_num__"]; ok {
			if _, ok := x["start_time"].(string); present && !ok {
				t.Errorf("result %v has no start_time string", x["__id__"])
			}
			if _, ok := x["duration"].(json.Number); present && !ok {
				t.Errorf("result %v has no duration number", x["__id__"])
			}
			delete(x, "start_time")
			delete(x, "duration")
			if ch, ok := x["changes"].(map[string]any); ok {
				delete(ch, "pid")
			}
		}
		for k, e := range x {
			x[k] = norm(t, e, present)
		}
	case []any:
		for i, e := range x {
			x[i] = norm(t, e, present)
		}
	}
	return v
}

// isResults: m is a state run's return (results by their tags).
func isResults(m map[string]any) bool {
	for k, v := range m {
		r, ok := v.(map[string]any)
		if !ok || strings.Count(k, "_|-") != 3 {
			return false
		}
		if _, ok := r["__run_num__"]; !ok {
			return false
		}
	}
	return len(m) > 0
}

func show(v any) string {
	b, _ := json.MarshalIndent(v, "", " ")
	return string(b)
}

// WriteFiles writes files (a path below dir -> content) below dir, a
// state tree in a shared directory for instance.
func WriteFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for p, body := range files {
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Masks of values that change between runs of the same salt-call.
var (
	// TempNames masks Salt's temporary file names (__salt.tmp.*).
	TempNames = Mask{regexp.MustCompile(`__salt\.tmp\.[A-Za-z0-9_]+`), "__salt.tmp.XXXXXX"}
	// HashedHosts masks hashed known_hosts names (|1|salt|hash).
	HashedHosts = Mask{regexp.MustCompile(`\|1\|[A-Za-z0-9+/=]+\|[A-Za-z0-9+/=]+`), "|1|HASHED|HASHED"}
)
