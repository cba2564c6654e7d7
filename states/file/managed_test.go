package file_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
)

const note = "\nNote: No changes made, actual changes may\nbe different due to other states."

func TestManagedSaltSource(t *testing.T) {
	fx := newFixture(t, map[string]string{"app/motd": "line1\nline2\n", "app/other": "other\n"})
	name := fx.p("out/motd")
	// makedirs missing: Salt's error, nothing written.
	want(t, fx.apply("file.managed", false, "name", name, "source", "salt://app/motd"), false, "Parent directory not present", nil)
	if _, err := os.Stat(name); err == nil {
		t.Fatal("file written without its parent directory")
	}
	// test=True on a new file.
	want(t, fx.apply("file.managed", true, "name", name, "source", "salt://app/motd", "makedirs", true, "mode", "0640"),
		nil, fmt.Sprintf("The file %s is set to be changed", name)+note, data.M("newfile", name))
	// new file.
	want(t, fx.apply("file.managed", false, "name", name, "source", "salt://app/motd", "makedirs", true, "mode", "0640"),
		true, fmt.Sprintf("File %s updated", name), data.M("diff", "New file", "mode", "0640"))
	if got := readFile(t, name); got != "line1\nline2\n" {
		t.Fatalf("content %q", got)
	}
	if m := modeOf(t, name); m != 0o640 {
		t.Fatalf("mode %o", m)
	}
	// unchanged.
	want(t, fx.apply("file.managed", false, "name", name, "source", "salt://app/motd", "mode", "0640"),
		true, fmt.Sprintf("File %s is in the correct state", name), nil)
	want(t, fx.apply("file.managed", true, "name", name, "source", "salt://app/motd", "mode", "0640"),
		true, fmt.Sprintf("The file %s is in the correct state", name), nil)
	// changed content: unified diff without file names; mode kept.
	writeFile(t, name, "LINE1\nline2\nappended\n", 0o640)
	diff := "--- \n+++ \n@@ -1,3 +1,2 @@\n-LINE1\n+line1\n line2\n-appended\n"
	want(t, fx.apply("file.managed", true, "name", name, "source", "salt://app/motd", "mode", "0640"),
		nil, fmt.Sprintf("The file %s is set to be changed", name)+note, data.M("diff", diff))
	want(t, fx.apply("file.managed", false, "name", name, "source", "salt://app/motd", "mode", "0640"),
		true, fmt.Sprintf("File %s updated", name), data.M("diff", diff))
	// mode only.
	if err := os.Chmod(name, 0o600); err != nil {
		t.Fatal(err)
	}
	want(t, fx.apply("file.managed", false, "name", name, "source", "salt://app/motd", "mode", 644),
		true, fmt.Sprintf("File %s updated", name), data.M("mode", "0644"))
	// show_changes False.
	writeFile(t, name, "x\n", 0o644)
	want(t, fx.apply("file.managed", false, "name", name, "source", "salt://app/motd", "show_changes", false),
		true, fmt.Sprintf("File %s updated", name), data.M("diff", "<show_changes=False>"))
	// a list of sources: the first that exists wins.
	want(t, fx.apply("file.managed", false, "name", name, "source", []any{"salt://app/missing", "salt://app/other"}),
		true, fmt.Sprintf("File %s updated", name), data.M("diff", "--- \n+++ \n@@ -1,2 +1 @@\n-line1\n-line2\n+other\n"))
	// missing source.
	want(t, fx.apply("file.managed", false, "name", fx.p("nope"), "source", "salt://app/missing"),
		false, "Source file salt://app/missing not found in saltenv 'base'", nil)
	want(t, fx.apply("file.managed", false, "name", fx.p("nope"), "source", []any{"salt://a", "salt://b"}),
		false, "Unable to manage file: none of the specified sources were found", nil)
}

func TestManagedContents(t *testing.T) {
	fx := newFixture(t, nil)
	name := fx.p("c.txt")
	cases := []struct {
		desc    string
		test    bool
		kv      []any
		result  any
		comment string
		changes *data.Map
		content string
	}{
		{"test new", true, []any{"contents", "a\nb"}, nil, fmt.Sprintf("The file %s is set to be changed", name) + note, data.M("newfile", name), ""},
		// Salt touches a new file before writing contents: no mode change.
		{"new", false, []any{"contents", "a\nb"}, true, fmt.Sprintf("File %s updated", name), data.M("diff", "New file"), "a\nb\n"},
		{"same", false, []any{"contents", "a\nb\n"}, true, fmt.Sprintf("File %s is in the correct state", name), nil, "a\nb\n"},
		{"list", false, []any{"contents", []any{"a", "c"}}, true, fmt.Sprintf("File %s updated", name), data.M("diff", "--- \n+++ \n@@ -1,2 +1,2 @@\n a\n-b\n+c\n"), "a\nc\n"},
		{"no newline", false, []any{"contents", "a\nc", "contents_newline", false}, true, fmt.Sprintf("File %s updated", name), data.M("diff", "--- \n+++ \n@@ -1,2 +1,2 @@\n a\n-c\n+c"), "a\nc"},
		// "-c+hello": Python's difflib writes a last line without its newline as it is.
		{"pillar", false, []any{"contents_pillar", "motd"}, true, fmt.Sprintf("File %s updated", name), data.M("diff", "--- \n+++ \n@@ -1,2 +1,2 @@\n-a\n-c+hello\n+world\n"), "hello\nworld\n"},
		{"pillar missing", false, []any{"contents_pillar", "nope"}, false, "Pillar nope does not exist", nil, "hello\nworld\n"},
		{"grains", false, []any{"contents_grains", "id"}, true, fmt.Sprintf("File %s updated", name), data.M("diff", "--- \n+++ \n@@ -1,2 +1 @@\n-hello\n-world\n+minion1\n"), "minion1\n"},
		{"both", false, []any{"contents", "x", "source", "salt://x"}, false, "'source' cannot be used in combination with 'contents', 'contents_pillar', or 'contents_grains'", nil, "minion1\n"},
		{"two contents", false, []any{"contents", "x", "contents_pillar", "motd"}, false, "Only one of 'contents', 'contents_pillar', and 'contents_grains' is permitted", nil, "minion1\n"},
		{"not empty", false, []any{"contents", "", "allow_empty", false}, false, "'contents' value would result in empty contents. Set allow_empty to True to allow the managed file to be empty.", nil, "minion1\n"},
	}
	for _, tc := range cases {
		t.Run(tc.desc, func(t *testing.T) {
			ret := fx.apply("file.managed", tc.test, append([]any{"name", name}, tc.kv...)...)
			want(t, ret, tc.result, tc.comment, tc.changes)
			if tc.content != "" {
				if got := readFile(t, name); got != tc.content {
					t.Errorf("content %q, want %q", got, tc.content)
				}
			}
		})
	}
}

func TestManagedErrors(t *testing.T) {
	fx := newFixture(t, nil)
	cases := []struct {
		kv      []any
		comment string
	}{
		{[]any{"name", "rel/path", "contents", "x"}, "Specified file rel/path is not an absolute path"},
		{[]any{"name", fx.root, "contents", "x"}, fmt.Sprintf("Specified target %s is a directory", fx.root)},
		{[]any{"name", fx.p("u"), "contents", "x", "user", "no-such-user-xyz"}, "User no-such-user-xyz is not available "},
		{[]any{"name", fx.p("u"), "contents", "x", "context", "notadict"}, "Context must be formed as a dict"},
		{[]any{"name", fx.p("s"), "source", "/no/such/local"}, "Local file source /no/such/local does not exist"},
		{[]any{"name", ""}, "Destination file name is required"},
	}
	for _, tc := range cases {
		want(t, fx.apply("file.managed", false, tc.kv...), false, tc.comment, nil)
	}
	// create: False on a missing file.
	want(t, fx.apply("file.managed", false, "name", fx.p("nc"), "contents", "x", "create", false),
		true, fmt.Sprintf("File %s is not present and is not set for creation", fx.p("nc")), nil)
	// no source, no contents: an empty file; replace False on an existing one.
	want(t, fx.apply("file.managed", false, "name", fx.p("empty")), true, "Empty file",
		data.M("new", fmt.Sprintf("file %s created", fx.p("empty"))))
	want(t, fx.apply("file.managed", false, "name", fx.p("empty")), true,
		fmt.Sprintf("File %s exists with proper permissions. No changes made.", fx.p("empty")), nil)
	want(t, fx.apply("file.managed", true, "name", fx.p("empty"), "mode", "0600"), nil,
		fmt.Sprintf("File %s will be updated with permissions 0600 from its current state of 0%o", fx.p("empty"), 0o666&^currentUmask()), data.M("mode", "0600"))
}

func TestManagedLocalSource(t *testing.T) {
	fx := newFixture(t, nil)
	local := fx.p("src.txt")
	writeFile(t, local, "from local\n", 0o644)
	name := fx.p("dst.txt")
	want(t, fx.apply("file.managed", false, "name", name, "source", local), true,
		fmt.Sprintf("File %s updated", name), data.M("diff", "New file", "mode", fmt.Sprintf("0%o", 0o666&^currentUmask())))
	if readFile(t, name) != "from local\n" {
		t.Fatal("local source not copied")
	}
}

func TestManagedBackupMinion(t *testing.T) {
	fx := newFixture(t, nil)
	name := fx.p("etc/app.conf")
	writeFile(t, name, "old\n", 0o600)
	want(t, fx.apply("file.managed", false, "name", name, "contents", "new", "backup", "minion"), true,
		fmt.Sprintf("File %s updated", name), data.M("diff", "--- \n+++ \n@@ -1 +1 @@\n-old\n+new\n"))
	matches, _ := filepath.Glob(filepath.Join(fx.cache, "file_backup", strings.TrimPrefix(name, "/")+"_*"))
	if len(matches) != 1 {
		t.Fatalf("backups: %v", matches)
	}
	if readFile(t, matches[0]) != "old\n" || modeOf(t, name) != 0o600 {
		t.Fatalf("backup %q, mode %o", readFile(t, matches[0]), modeOf(t, name))
	}
}

func TestManagedCheckCmd(t *testing.T) {
	fx := newFixture(t, nil)
	name := fx.p("checked.conf")
	writeFile(t, name, "good\n", 0o644)
	ret := fx.apply("file.managed", false, "name", name, "contents", "bad", "check_cmd", "grep -q good")
	want(t, ret, false, "check_cmd execution failed", nil)
	if sw, _ := ret.Get("skip_watch"); sw != true {
		t.Errorf("skip_watch = %v", sw)
	}
	if readFile(t, name) != "good\n" {
		t.Fatal("a file failing check_cmd was installed")
	}
	want(t, fx.apply("file.managed", false, "name", name, "contents", "good too", "check_cmd", "grep -q good"), true,
		fmt.Sprintf("File %s updated", name), data.M("diff", "--- \n+++ \n@@ -1 +1 @@\n-good\n+good too\n"))
}

func TestManagedSymlinkTarget(t *testing.T) {
	fx := newFixture(t, map[string]string{"f": "served\n"})
	real, link := fx.p("real"), fx.p("link")
	writeFile(t, real, "old\n", 0o644)
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	// follow_symlinks (default): the link's target is managed.
	want(t, fx.apply("file.managed", false, "name", link, "source", "salt://f"), true,
		fmt.Sprintf("File %s updated", link), data.M("diff", "--- \n+++ \n@@ -1 +1 @@\n-old\n+served\n"))
	if readFile(t, real) != "served\n" {
		t.Fatal("target not updated")
	}
	writeFile(t, fx.p("real2"), "x\n", 0o644)
	if err := os.Symlink(fx.p("real2"), fx.p("link2")); err != nil {
		t.Fatal(err)
	}
	want(t, fx.apply("file.managed", false, "name", fx.p("link2"), "source", "salt://f", "follow_symlinks", false), true,
		fmt.Sprintf("File %s updated", fx.p("link2")), data.M("diff", "Replace symbolic link with regular file"))
	if st, _ := os.Lstat(fx.p("link2")); st.Mode()&os.ModeSymlink != 0 || readFile(t, fx.p("real2")) != "x\n" {
		t.Fatal("the link was not replaced by a file")
	}
}

func TestManagedNewFileModes(t *testing.T) {
	fx := newFixture(t, map[string]string{"f": "x\n"})
	um := fmt.Sprintf("0%o", 0o666&^currentUmask())
	// From a source: Salt's mkstemp copy is 0600, then the umask mode.
	want(t, fx.apply("file.managed", false, "name", fx.p("s"), "source", "salt://f"), true,
		fmt.Sprintf("File %s updated", fx.p("s")), data.M("diff", "New file", "mode", um))
	// From contents with a mode: touched under umask 077, then chmod.
	want(t, fx.apply("file.managed", false, "name", fx.p("c"), "contents", "x", "mode", "0640"), true,
		fmt.Sprintf("File %s updated", fx.p("c")), data.M("diff", "New file", "mode", "0640"))
	if modeOf(t, fx.p("c")) != 0o640 || modeOf(t, fx.p("s")).String() != os.FileMode(0o666&^currentUmask()).String() {
		t.Fatalf("modes %o %o", modeOf(t, fx.p("c")), modeOf(t, fx.p("s")))
	}
}
