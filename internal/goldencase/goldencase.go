// Package goldencase loads the CLI runs recorded from the real Salt 3007.14
// (testdata/salt-cli/3007.14) and holds the comparison rules the golden
// tests of saltgo's front doors share: which values may be masked (the
// volatile ones the recording's README names) and how elided Python
// traceback frames match. Test support only.
package goldencase

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
)

// Dir returns the absolute path of testdata/salt-cli/3007.14.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "salt-cli", "3007.14")
}

// Case is one recorded run.
type Case struct {
	Name       string   `json:"name"`
	Argv       []string `json:"argv"`
	ExitCode   int      `json:"exit_code"`
	Stdout     string   `json:"stdout"`
	Stderr     string   `json:"stderr"`
	StderrQuit *string  `json:"stderr_without_noise"`
	Volatile   []string `json:"volatile"`
	OutFile    string   `json:"out_file"`
	// OutContent is what --out-file held after the run (nil: not recorded).
	OutContent *string `json:"out_file_content"`
}

// File is one recorded file: the function its runs call and the runs.
type File struct {
	Function string `json:"function"`
	Cases    []Case `json:"cases"`
}

// WantStderr is the stderr to compare with: without the Python/tornado
// noise when the recording provides that form.
func (c Case) WantStderr() string {
	if c.StderrQuit != nil {
		return *c.StderrQuit
	}
	return c.Stderr
}

// WantOutFile is the recorded content of --out-file ("" when none was
// recorded).
func (c Case) WantOutFile() string {
	if c.OutContent == nil {
		return ""
	}
	return *c.OutContent
}

// StdoutElided reports whether the recording replaced stdout by the length
// and hash of Salt's own help text (saltgo writes its own).
func (c Case) StdoutElided() bool { return strings.HasPrefix(c.Stdout, "<elided:") }

// Read reads a recorded file. A file without cases is an error: a test
// that loops over no case proves nothing.
func Read(path string) (File, error) {
	var f File
	b, err := os.ReadFile(path)
	if err != nil {
		return f, fmt.Errorf("goldencase: %w", err)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("goldencase: %s: %w", path, err)
	}
	if len(f.Cases) == 0 {
		return f, fmt.Errorf("goldencase: %s holds no cases", path)
	}
	return f, nil
}

// LoadFile reads one recorded file (relative to Dir); a missing, broken
// or empty file fails the test.
func LoadFile(t testing.TB, file string) File {
	t.Helper()
	f, err := Read(filepath.Join(Dir(), file))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// Load reads the cases of one recorded file (relative to Dir); a missing,
// broken or empty file fails the test.
func Load(t testing.TB, file string) []Case {
	t.Helper()
	return LoadFile(t, file).Cases
}

// Glob returns the recorded files matching pattern (relative to Dir, and
// returned so), sorted. A pattern that matches nothing fails the test.
func Glob(t testing.TB, pattern string) []string {
	t.Helper()
	files, err := glob(Dir(), pattern)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func glob(dir, pattern string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		return nil, fmt.Errorf("goldencase: %w", err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("goldencase: no recorded file matches %s in %s", pattern, dir)
	}
	files := make([]string, len(paths))
	for i, p := range paths {
		files[i], _ = filepath.Rel(dir, p)
	}
	sort.Strings(files)
	return files, nil
}

// Lab lays out the recording lab in a new temporary directory and returns
// it: <root>/conf/<name> is the recorded config inputs/conf/<name>
// ("minion" or "master") with <LAB_DIR> replaced by root.
func Lab(t testing.TB, name string) (root string) {
	t.Helper()
	root = t.TempDir()
	b, err := os.ReadFile(filepath.Join(Dir(), "inputs", "conf", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := strings.ReplaceAll(string(b), "<LAB_DIR>", root)
	if err := os.WriteFile(filepath.Join(root, "conf", name), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

var (
	jidRe = regexp.MustCompile(`\b\d{20}\b`)
	pidRe = regexp.MustCompile(`(__pub_pid"?:\s*\n?\s*)\d+`)
)

// Mask replaces the volatile values of a run (jids, pids, and the
// wall-clock timings of state runs) by placeholders.
func Mask(s string) string {
	s = jidRe.ReplaceAllString(s, "<JID>")
	for _, r := range timeRes {
		s = r.re.ReplaceAllString(s, r.repl)
	}
	return pidRe.ReplaceAllString(s, "${1}<PID>")
}

// timeRes mask the highstate outputter's and the state results' timings.
var timeRes = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`(Started: |"start_time": ")\d\d:\d\d:\d\d(\.\d+)?`), "${1}<TIME>"},
	{regexp.MustCompile(`(Duration: |Total run time: +|"duration": )\d+(\.\d+)?`), "${1}<MS>"},
}

// Elided is the marker the recording put where Python traceback frames were.
const Elided = "  <Python traceback frames elided>"

// Matches compares got with a recorded output; elided traceback frames
// match anything.
func Matches(got, want string) bool {
	if !strings.Contains(want, Elided) {
		return got == want
	}
	parts := strings.Split(want, Elided)
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(`(?s)\A` + strings.Join(parts, ".*?") + `\z`).MatchString(got)
}

// FirstLast reduces a traceback text to its first and last lines (the
// middle depends on Python and Salt line numbers).
func FirstLast(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[0] + "\n...\n" + lines[len(lines)-1]
}
