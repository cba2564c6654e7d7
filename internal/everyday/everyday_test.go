package everyday_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/lxc/lxctest"
	"github.com/saltgo/saltgo/modules/pkg/apttest"
)

func TestMain(m *testing.M) { lxctest.Main(m) }

// RecordEnv names the variable that turns the suite into the recorder of
// its goldens: its value is the command (split on spaces) that plays the
// minion instead of saltgo, a Python salt-call 3007.14 as
// testdata/states/README.md says. Unset, the suite runs saltgo and
// compares.
const RecordEnv = "SALTGO_EVERYDAY_RECORD"

const (
	// goldRoot is the pillar root below which a tree writes its files in
	// the container (@ROOT@ in the goldens is goldRoot/<tree>).
	goldRoot = "/srv/gold"
	shared   = lxctest.SharedDir
)

// A call is one case of a tree: a salt-call in the container, with shell
// steps around it and a look at the system afterwards.
type call struct {
	name   string
	fun    string
	args   []string
	test   bool
	before string // sh -c before the call (state the system needs)
	after  string // sh -c after the call (undo before)
	// check is sh -c run after the call (and after); its output is the
	// golden's "system": what the call left on the system.
	check string
	// stderr, when set, must be in saltgo's standard error (not checked
	// while recording: Python starts too slowly to meet a short lock).
	stderr string
}

// A tree is a state tree under testdata/states applied by one minion in
// one fresh container, its calls in order (later calls see what earlier
// ones did).
type tree struct {
	name   string
	pillar string // a pillar_roots folder under testdata/pillar ("" none)
	repo   bool   // serve the sg* packages from a file:// apt repository
	setup  string // sh -c before the first call
	calls  []call
}

func testdata(p ...string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(append([]string{filepath.Dir(file), "..", "..", "testdata"}, p...)...)
}

// golden is one recorded call (testdata/states/README.md's format, plus
// "system").
type golden struct {
	Fun     string          `json:"fun"`
	Args    []string        `json:"args"`
	Kwargs  map[string]any  `json:"kwargs"`
	Retcode int             `json:"retcode"`
	Return  json.RawMessage `json:"return"`
	How     string          `json:"how"`
	System  string          `json:"system,omitempty"`
}

// copyDir copies src to dst, leaving out golden/.
func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if rel == "golden" {
			return filepath.SkipDir
		}
		to := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// buildRepo fills dir with the sg* test packages (dpkg-deb) and their
// index.
func buildRepo(t testing.TB, dir string) {
	t.Helper()
	r := apttest.NewRepo(t, dir)
	for _, p := range [][3]string{
		{"sgbar", "1.0", ""}, {"sgbaz", "1.0", "sgbar"},
		{"sgfoo", "1.0", ""}, {"sgfoo", "2.0", ""},
		{"sgone", "1.0", ""}, {"sgone", "2.0", ""},
		{"sgheld", "1.0", ""}, {"sgheld", "2.0", ""},
		{"sgqux", "1.0", ""}, {"sgqux", "1.1", ""},
		{"sgrm", "1.0", ""}, {"sgup", "1.0", ""}, {"sgup", "1.1", ""},
	} {
		r.Add(p[0], p[1], p[2])
	}
}

// aptOnlyRepo points the container's apt at the test repository alone,
// before anything refreshes: no inherited source, no inherited lists.
const aptOnlyRepo = `rm -f /etc/apt/sources.list.d/* && ` +
	`echo 'deb [trusted=yes] file://` + shared + `/repo ./' > /etc/apt/sources.list && ` +
	`rm -rf /var/lib/apt/lists/* && mkdir -p /var/lib/apt/lists/partial && apt-get -qq update`

// container is a fresh Debian container with tr laid out in its shared
// directory and a minion configured for it.
type container struct {
	d    *lxctest.Debian
	tr   tree
	root string
	salt []string // the minion command
	dir  string   // host path of the shared dir
	isPy bool
}

func newContainer(t testing.TB, tr tree) *container {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil { // apt's _apt user reads the repo
		t.Fatal(err)
	}
	copyDir(t, testdata("states", tr.name), filepath.Join(dir, "tree"))
	conf := "id: minion1\nfile_client: local\nfile_roots:\n  base:\n    - " + shared + "/tree\n"
	if tr.pillar != "" {
		copyDir(t, testdata("pillar", tr.pillar), filepath.Join(dir, "pillar"))
		conf += "pillar_roots:\n  base:\n    - " + shared + "/pillar\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "minion"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if tr.repo {
		buildRepo(t, filepath.Join(dir, "repo"))
	}
	c := &container{tr: tr, root: goldRoot + "/" + tr.name, dir: dir}
	if rec := os.Getenv(RecordEnv); rec != "" {
		c.salt, c.isPy = strings.Fields(rec), true
	} else {
		c.salt = []string{lxctest.InstallSaltgo(t, dir), "call"}
	}
	c.d = lxctest.NewDebian(t, lxctest.DebianOptions{Shared: dir})
	c.sh(t, "rm -rf /etc/salt /var/cache/salt /srv/gold && mkdir -p /etc/salt "+goldRoot+" && cp "+shared+"/minion /etc/salt/minion")
	if tr.repo {
		c.sh(t, aptOnlyRepo)
	}
	if tr.setup != "" {
		c.sh(t, tr.setup)
	}
	return c
}

// sh runs a shell line in the container; it must succeed.
func (c *container) sh(t testing.TB, line string) string {
	t.Helper()
	return c.d.MustRun(t, "sh", "-c", line)
}

// argv is the minion's command line for a call.
func (c *container) argv(k call) []string {
	a := append(append([]string{}, c.salt...), "--local", "-c", "/etc/salt", "--retcode-passthrough", "--out=json", k.fun)
	a = append(a, k.args...)
	if withPillar(k) {
		a = append(a, `pillar={"root": "`+c.root+`"}`)
	}
	if k.test {
		a = append(a, "test=True")
	}
	return a
}

// withPillar: state and pillar functions get the pillar root; others
// take no pillar argument.
func withPillar(k call) bool {
	return strings.HasPrefix(k.fun, "state.") || strings.HasPrefix(k.fun, "pillar.")
}

// how is the golden's "how": the call as a salt-call command line.
func how(k call) string {
	s := "salt-call --local -c /etc/salt --retcode-passthrough --out=json " + k.fun
	for _, a := range k.args {
		s += " " + a
	}
	if withPillar(k) {
		s += ` 'pillar={"root": "@ROOT@"}'`
	}
	if k.test {
		s += " test=True"
	}
	return s
}

// run makes one call and returns what the golden holds.
func (c *container) run(t testing.TB, k call) golden {
	t.Helper()
	if k.before != "" {
		c.sh(t, k.before)
	}
	r, err := c.d.Run(lxctest.Context(t), c.argv(k)...)
	if err != nil {
		t.Fatal(err)
	}
	if k.stderr != "" && !c.isPy && !strings.Contains(string(r.Stderr), k.stderr) {
		t.Errorf("%s: stderr lacks %q:\n%s", k.name, k.stderr, r.Stderr)
	}
	var out struct {
		Local json.RawMessage `json:"local"`
	}
	if err := json.Unmarshal(r.Stdout, &out); err != nil || out.Local == nil {
		t.Fatalf("%s: exit %d, no JSON return (%v)\nstdout: %s\nstderr: %s", k.name, r.Status, err, r.Stdout, r.Stderr)
	}
	g := golden{Fun: k.fun, Args: k.args, Kwargs: map[string]any{}, Retcode: r.Status, How: how(k)}
	if withPillar(k) {
		g.Kwargs["pillar"] = map[string]any{"root": "@ROOT@"}
	}
	if k.test {
		g.Kwargs["test"] = true
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, out.Local, "", "  "); err != nil {
		t.Fatal(err)
	}
	g.Return = json.RawMessage(strings.ReplaceAll(buf.String(), c.root, "@ROOT@"))
	if k.check != "" {
		g.System = strings.ReplaceAll(c.sh(t, k.check), c.root, "@ROOT@")
	}
	if k.after != "" {
		c.sh(t, k.after)
	}
	return g
}

func goldenPath(tr tree, k call) string {
	return testdata("states", tr.name, "golden", k.name+".json")
}

// TestGoldenTrees applies every tree with saltgo in a fresh Debian
// container and compares each call with the recorded Python minion's.
func TestGoldenTrees(t *testing.T) {
	for _, tr := range trees {
		t.Run(tr.name, func(t *testing.T) {
			c := newContainer(t, tr)
			for _, k := range tr.calls {
				got := c.run(t, k)
				if c.isPy {
					record(t, goldenPath(tr, k), got)
					continue
				}
				t.Run(k.name, func(t *testing.T) { compare(t, goldenPath(tr, k), got) })
			}
		})
	}
}

func record(t *testing.T, path string, g golden) {
	t.Helper()
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func compare(t *testing.T, path string, got golden) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden: %v", err)
	}
	var want golden
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("golden %s: %v", path, err)
	}
	if got.Retcode != want.Retcode {
		t.Errorf("retcode %d, want %d", got.Retcode, want.Retcode)
	}
	if got.System != want.System {
		t.Errorf("system after the call differs:\n got  %q\n want %q", got.System, want.System)
	}
	g, w := decode(t, got.Return), decode(t, want.Return)
	gm, gok := g.(map[string]any)
	wm, wok := w.(map[string]any)
	if !gok || !wok || !isResults(wm) {
		if !reflect.DeepEqual(g, w) {
			t.Errorf("return differs:\n got  %s\n want %s", show(g), show(w))
		}
		return
	}
	for _, k := range sortedKeys(wm) {
		if gv, ok := gm[k]; !ok {
			t.Errorf("missing result %s", k)
		} else if !reflect.DeepEqual(gv, wm[k]) {
			t.Errorf("%s differs:\n got  %s\n want %s", k, show(gv), show(wm[k]))
		}
	}
	for _, k := range sortedKeys(gm) {
		if _, ok := wm[k]; !ok {
			t.Errorf("extra result %s: %s", k, show(gm[k]))
		}
	}
}

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

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func show(v any) string {
	b, _ := json.MarshalIndent(v, "  ", "  ")
	return string(b)
}

// volatile matches the values that change between runs inside strings:
// process ids in apt's lock message.
var volatile = regexp.MustCompile(`(held by process |pid )\d+`)

// decode parses a return and drops what varies between runs (start_time,
// duration, changes.pid), checking they are there when a result has them.
func decode(t *testing.T, raw json.RawMessage) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("return: %v", err)
	}
	return norm(t, v)
}

func norm(t *testing.T, v any) any {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["__run_num__"]; ok {
			if _, ok := x["start_time"].(string); !ok {
				t.Errorf("result %v has no start_time string", x["__id__"])
			}
			if _, ok := x["duration"].(json.Number); !ok {
				t.Errorf("result %v has no duration number", x["__id__"])
			}
			delete(x, "start_time")
			delete(x, "duration")
			if ch, ok := x["changes"].(map[string]any); ok {
				delete(ch, "pid")
			}
		}
		for k, e := range x {
			x[k] = norm(t, e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = norm(t, e)
		}
		return x
	case string:
		return volatile.ReplaceAllString(x, "${1}<PID>")
	}
	return v
}
