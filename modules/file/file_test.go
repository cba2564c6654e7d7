package file_test

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	filemod "github.com/saltgo/saltgo/modules/file"
)

func TestNormalizeMode(t *testing.T) {
	cases := []struct {
		in   any
		want string
	}{
		{nil, ""}, {"0640", "0640"}, {"640", "0640"}, {"00644", "0644"}, {int64(644), "0644"},
		{int64(416), "0416"}, // YAML 0640 is the int 416: Salt makes it "0416"
		{"0o755", "0755"}, {"'0600'", "0600"}, {"4755", "4755"}, {int64(0), "0000"},
	}
	for _, tc := range cases {
		if got := filemod.NormalizeMode(tc.in); got != tc.want {
			t.Errorf("NormalizeMode(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// The expected texts are Python's "".join(difflib.unified_diff(a, b)).
func TestDiffText(t *testing.T) {
	cases := []struct{ old, new, want string }{
		{"a\n", "a\n", ""},
		{"LINE1\nline2 test-minion\nappended\n", "line1\nline2 test-minion\n", "--- \n+++ \n@@ -1,3 +1,2 @@\n-LINE1\n+line1\n line2 test-minion\n-appended\n"},
		{"", "x\n", "--- \n+++ \n@@ -0,0 +1 @@\n+x\n"},
		{"x\n", "", "--- \n+++ \n@@ -1 +0,0 @@\n-x\n"},
		{"a\nb", "a\nc", "--- \n+++ \n@@ -1,2 +1,2 @@\n a\n-b+c"},
		{"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "1\n2\n3\n4\nX\n6\n7\n8\n9\nY\n",
			"--- \n+++ \n@@ -2,9 +2,9 @@\n 2\n 3\n 4\n-5\n+X\n 6\n 7\n 8\n 9\n-10\n+Y\n"},
		{"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "X\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\nY\n",
			"--- \n+++ \n@@ -1,4 +1,4 @@\n-1\n+X\n 2\n 3\n 4\n@@ -9,4 +9,4 @@\n 9\n 10\n 11\n-12\n+Y\n"},
	}
	for _, tc := range cases {
		if got := filemod.DiffText(tc.old, tc.new); got != tc.want {
			t.Errorf("DiffText(%q, %q) =\n%q\nwant\n%q", tc.old, tc.new, got, tc.want)
		}
	}
	if got := filemod.DiffContent([]byte("a\x00b"), []byte("text"), true); got != "Replace binary file with text file" {
		t.Errorf("binary: %q", got)
	}
}

// failingReader gives some bytes, then an error: a write that dies midway.
type failingReader struct{ sent bool }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.sent {
		return 0, errors.New("injected failure")
	}
	f.sent = true
	return copy(p, strings.Repeat("partial ", 100)), nil
}

func TestCommitFileFailureKeepsOld(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("old\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := filemod.CommitFile(target, &failingReader{}, "", ""); err == nil {
		t.Fatal("no error from a failed write")
	}
	if b, _ := os.ReadFile(target); string(b) != "old\n" {
		t.Fatalf("target = %q after a failed write", b)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Fatalf("temporary file left behind: %v", ents)
	}
	// A successful commit keeps the old file's mode.
	if err := filemod.CommitFile(target, strings.NewReader("new\n"), "", ""); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(target)
	if b, _ := os.ReadFile(target); string(b) != "new\n" || st.Mode().Perm() != 0o640 {
		t.Fatalf("target = %q mode %o", b, st.Mode().Perm())
	}
}

// TestCommitFileKilled kills a child process in the middle of CommitFile
// (it streams from a pipe this test feeds): the target is the old file.
func TestCommitFileKilled(t *testing.T) {
	if target := os.Getenv("SALTGO_COMMIT_CHILD"); target != "" {
		if err := filemod.CommitFile(target, os.Stdin, "", ""); err != nil {
			os.Exit(3)
		}
		os.Exit(0)
	}
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("old content\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestCommitFileKilled$")
	cmd.Env = append(os.Environ(), "SALTGO_COMMIT_CHILD="+target)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(stdin, strings.Repeat("new content\n", 1000)); err != nil {
		t.Fatal(err)
	}
	// Wait until the child has written part of the new content.
	deadline := time.Now().Add(20 * time.Second)
	for {
		ents, _ := os.ReadDir(dir)
		started := false
		for _, e := range ents {
			if e.Name() != "target" {
				if info, err := e.Info(); err == nil && info.Size() > 0 {
					started = true
				}
			}
		}
		if started {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the child never started writing")
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	if b, _ := os.ReadFile(target); string(b) != "old content\n" {
		t.Fatalf("target after the kill = %q", b)
	}
}

func call(t *testing.T, fun string, args ...any) any {
	t.Helper()
	res := host.Run(context.Background(), &host.Env{Opts: data.NewMap()}, host.Request{Kind: host.Exec, Fun: fun, Args: args})
	if res.Err != nil {
		t.Fatalf("%s: %v", fun, res.Err)
	}
	return res.Return
}

func TestExecFunctions(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "f.txt")
	if got := call(t, "file.write", f, "a", "b"); got != `Wrote 2 lines to "`+f+`"` {
		t.Fatalf("write: %v", got)
	}
	if got := call(t, "file.append", f, "c"); got != `Wrote 1 lines to "`+f+`"` {
		t.Fatalf("append: %v", got)
	}
	if got := call(t, "file.prepend", f, "z"); got != `Prepended 1 lines to "`+f+`"` {
		t.Fatalf("prepend: %v", got)
	}
	if got := call(t, "file.read", f); got != "z\na\nb\nc\n" {
		t.Fatalf("read: %q", got)
	}
	checks := []struct {
		fun  string
		args []any
		want any
	}{
		{"file.file_exists", []any{f}, true},
		{"file.file_exists", []any{dir}, false},
		{"file.directory_exists", []any{dir}, true},
		{"file.get_hash", []any{f}, "1b0ab0c34b4c0f1d5ea2b1c1cbf2d2f59fa1b4c48c1d497c4d2b4f6b6aa1aec1"},
		{"file.contains", []any{f, "b\nc"}, true},
		{"file.search", []any{f, "^b$"}, true},
		{"file.search", []any{f, "^q$"}, false},
		{"file.set_mode", []any{f, "0600"}, "0600"},
		{"file.get_mode", []any{f}, "0600"},
		{"file.get_user", []any{f}, "root"},
		{"file.user_to_uid", []any{"root"}, int64(0)},
		{"file.user_to_uid", []any{"no-such-user-xyz"}, ""},
		{"file.gid_to_group", []any{int64(0)}, "root"},
		{"file.is_link", []any{f}, false},
		{"file.replace", []any{f, "^a$", "A"}, "--- \n+++ \n@@ -1,4 +1,4 @@\n z\n-a\n+A\n b\n c\n"},
		{"file.check_hash", []any{f, "sha256:0"}, false},
		{"file.diskusage", []any{f}, int64(8)},
	}
	for _, c := range checks {
		got := call(t, c.fun, c.args...)
		if c.fun == "file.get_hash" {
			sum, _ := filemod.GetHash(f, "sha256")
			c.want = sum
		}
		if !data.Equal(got, c.want) {
			t.Errorf("%s%v = %s, want %s", c.fun, c.args, data.Repr(got), data.Repr(c.want))
		}
	}
	l := filepath.Join(dir, "l")
	call(t, "file.symlink", f, l)
	if got := call(t, "file.readlink", l); got != f {
		t.Fatalf("readlink %v", got)
	}
	d := filepath.Join(dir, "x", "y")
	call(t, "file.mkdir", d, data.M("__kwarg__", true, "mode", "0700"))
	if st, err := os.Stat(d); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("mkdir: %v %v", st, err)
	}
	call(t, "file.copy", f, filepath.Join(d, "copy"))
	found := call(t, "file.find", dir, data.M("__kwarg__", true, "name", "copy", "type", "f"))
	if !data.Equal(found, []any{filepath.Join(d, "copy")}) {
		t.Fatalf("find: %s", data.Repr(found))
	}
	if got := call(t, "file.remove", filepath.Join(dir, "x")); got != true {
		t.Fatalf("remove: %v", got)
	}
	if _, err := os.Stat(d); err == nil {
		t.Fatal("remove left the tree")
	}
	if got := call(t, "file.remove", filepath.Join(dir, "x")); got != false {
		t.Fatalf("remove of a missing path: %v", got)
	}
}

// The expected files are what Salt's _set_line gives (insert at "end"
// keeps its quirk: a blank line and no final newline).
func TestLineModes(t *testing.T) {
	str := func(s string) *string { return &s }
	cases := []struct {
		desc string
		o    filemod.LineOpts
		want string
	}{
		{"ensure after", filemod.LineOpts{Mode: "ensure", After: "b", Content: str("x")}, "a\nb\nx\nc\n"},
		{"ensure after last", filemod.LineOpts{Mode: "ensure", After: "c", Content: str("x")}, "a\nb\nc\nx\n"},
		{"ensure after present", filemod.LineOpts{Mode: "ensure", After: "a", Content: str("b")}, "a\nb\nc\n"},
		{"ensure before first", filemod.LineOpts{Mode: "ensure", Before: "a", Content: str("x")}, "x\na\nb\nc\n"},
		{"ensure between", filemod.LineOpts{Mode: "ensure", After: "a", Before: "c", Content: str("x")}, "a\nx\nc\n"},
		{"insert start", filemod.LineOpts{Mode: "insert", Location: "start", Content: str("x")}, "x\na\nb\nc\n"},
		{"insert end", filemod.LineOpts{Mode: "insert", Location: "end", Content: str("x")}, "a\nb\nc\n\nx"},
		{"insert before", filemod.LineOpts{Mode: "insert", Before: "c", Content: str("x")}, "a\nb\nx\nc\n"},
		{"replace", filemod.LineOpts{Mode: "replace", Match: "^b$", Content: str("B")}, "a\nB\nc\n"},
		{"replace indent", filemod.LineOpts{Mode: "replace", Match: "b", Content: str("B"), Indent: true}, "a\n  B\nc\n"},
		{"delete", filemod.LineOpts{Mode: "delete", Match: "b"}, "a\nc\n"},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "f")
			body := "a\nb\nc\n"
			if tc.desc == "replace indent" {
				body = "a\n  b\nc\n"
			}
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := filemod.Line(p, tc.o); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(p); string(b) != tc.want {
				t.Errorf("file = %q, want %q", b, tc.want)
			}
		})
	}
	p := filepath.Join(t.TempDir(), "f")
	_ = os.WriteFile(p, []byte("a\na\n"), 0o644)
	if _, err := filemod.Line(p, filemod.LineOpts{Mode: "ensure", After: "a", Content: str("x")}); err == nil || err.Error() != `Found more than expected occurrences in "after" expression` {
		t.Errorf("err = %v", err)
	}
}
