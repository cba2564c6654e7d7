// Package goldencase loads the CLI runs recorded from the real Salt 3007.14
// (testdata/salt-cli/3007.14) and holds the comparison rules the golden
// tests of saltgo's front doors share: which values may be masked (the
// volatile ones the recording's README names) and how elided Python
// traceback frames match. Test support only.
package goldencase

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
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
	OutContent string   `json:"out_file_content"`
}

// WantStderr is the stderr to compare with: without the Python/tornado
// noise when the recording provides that form.
func (c Case) WantStderr() string {
	if c.StderrQuit != nil {
		return *c.StderrQuit
	}
	return c.Stderr
}

// StdoutElided reports whether the recording replaced stdout by the length
// and hash of Salt's own help text (saltgo writes its own).
func (c Case) StdoutElided() bool { return strings.HasPrefix(c.Stdout, "<elided:") }

// Load reads the cases of one recorded file (relative to Dir).
func Load(t testing.TB, file string) []Case {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(), file))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Cases []Case `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Cases
}

var (
	jidRe = regexp.MustCompile(`\b\d{20}\b`)
	pidRe = regexp.MustCompile(`(__pub_pid"?:\s*\n?\s*)\d+`)
)

// Mask replaces the volatile values of a run (jids, pids) by placeholders.
func Mask(s string) string {
	s = jidRe.ReplaceAllString(s, "<JID>")
	return pidRe.ReplaceAllString(s, "${1}<PID>")
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
