package file_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/saltgo/saltgo/data"
)

func TestDirectory(t *testing.T) {
	fx := newFixture(t, nil)
	d := fx.p("a/b")
	// Salt keeps the planned changes on this failure.
	want(t, fx.apply("file.directory", false, "name", d), false, fmt.Sprintf("No directory to create %s in", d), data.M(d, data.M("directory", "new")))
	want(t, fx.apply("file.directory", true, "name", d, "makedirs", true),
		nil, fmt.Sprintf("The following files will be changed:\n%s: directory - new\n", d), data.M(d, data.M("directory", "new")))
	if _, err := os.Stat(d); err == nil {
		t.Fatal("test=True created the directory")
	}
	want(t, fx.apply("file.directory", false, "name", d, "makedirs", true, "mode", "0750"), true, "", data.M(d, data.M("directory", "new")))
	if m := modeOf(t, d); m != 0o750 {
		t.Fatalf("mode %o", m)
	}
	if m := modeOf(t, fx.p("a")); m != 0o750 {
		t.Fatalf("parent mode %o", m)
	}
	want(t, fx.apply("file.directory", false, "name", d+"/", "mode", "0750"), true, fmt.Sprintf("The directory %s is in the correct state", d), nil)
	want(t, fx.apply("file.directory", true, "name", d, "dir_mode", "755"),
		nil, fmt.Sprintf("The following files will be changed:\n%s: mode - 0755\n", d), data.M(d, data.M("mode", "0755")))
	// Salt's changes hold both the planned change and check_perms' one.
	want(t, fx.apply("file.directory", false, "name", d, "dir_mode", "755"), true, fmt.Sprintf("Directory %s updated", d),
		data.M(d, data.M("mode", "0755"), "mode", "0755"))
	// clean removes what is not kept.
	writeFile(t, filepath.Join(d, "junk"), "x", 0o644)
	want(t, fx.apply("file.directory", false, "name", d, "clean", true), true, fmt.Sprintf("Files cleaned from directory %s", d),
		data.M(filepath.Join(d, "junk"), data.M("removed", "Removed due to clean"), "removed", []any{filepath.Join(d, "junk")}))
	// a file in the way.
	f := fx.p("file")
	writeFile(t, f, "x", 0o644)
	want(t, fx.apply("file.directory", false, "name", f), false, fmt.Sprintf("Specified location %s exists and is a file", f), nil)
	want(t, fx.apply("file.directory", false, "name", f, "force", true), true, "", data.M("forced", "File was forcibly replaced", f, data.M("directory", "new")))
	want(t, fx.apply("file.directory", false, "name", "rel"), false, "Specified file rel is not an absolute path", nil)
}

func TestAbsentExistsMissing(t *testing.T) {
	fx := newFixture(t, nil)
	f, d := fx.p("f"), fx.p("d")
	writeFile(t, f, "x", 0o644)
	writeFile(t, filepath.Join(d, "inner"), "x", 0o644)
	cases := []struct {
		fun     string
		test    bool
		name    string
		result  any
		comment string
		changes *data.Map
	}{
		{"file.exists", false, f, true, fmt.Sprintf("Path %s exists", f), nil},
		{"file.missing", false, f, false, fmt.Sprintf("Specified path %s exists", f), nil},
		{"file.absent", true, f, nil, fmt.Sprintf("File %s is set for removal", f), data.M("removed", f)},
		{"file.absent", false, f, true, fmt.Sprintf("Removed file %s", f), data.M("removed", f)},
		{"file.absent", false, f, true, fmt.Sprintf("File %s is not present", f), nil},
		{"file.exists", false, f, false, fmt.Sprintf("Specified path %s does not exist", f), nil},
		{"file.missing", false, f, true, fmt.Sprintf("Path %s is missing", f), nil},
		{"file.absent", true, d, nil, fmt.Sprintf("Directory %s is set for removal", d), data.M("removed", d)},
		{"file.absent", false, d, true, fmt.Sprintf("Removed directory %s", d), data.M("removed", d)},
		{"file.absent", false, "/", false, `Refusing to make "/" absent`, nil},
		{"file.absent", false, "relative", false, "Specified file relative is not an absolute path", nil},
	}
	for i, tc := range cases {
		t.Run(fmt.Sprint(i, tc.fun), func(t *testing.T) {
			want(t, fx.apply(tc.fun, tc.test, "name", tc.name), tc.result, tc.comment, tc.changes)
		})
	}
}

func TestSymlink(t *testing.T) {
	fx := newFixture(t, nil)
	target := fx.p("target")
	writeFile(t, target, "x", 0o644)
	link := fx.p("sub/link")
	want(t, fx.apply("file.symlink", true, "name", link, "target", target), nil,
		fmt.Sprintf("Symlink %s to %s is set for creation\nDirectory %s for symlink is not present", link, target, fx.p("sub")), data.M("new", link))
	want(t, fx.apply("file.symlink", false, "name", link, "target", target), false, fmt.Sprintf("Directory %s for symlink is not present", fx.p("sub")), nil)
	want(t, fx.apply("file.symlink", false, "name", link, "target", target, "makedirs", true), true,
		fmt.Sprintf("Created new symlink %s -> %s", link, target), data.M("new", link))
	want(t, fx.apply("file.symlink", false, "name", link, "target", target), true,
		fmt.Sprintf("Symlink %s is present and owned by root:root", link), nil)
	want(t, fx.apply("file.symlink", true, "name", link, "target", target), true, fmt.Sprintf("The symlink %s is present", link), nil)
	other := fx.p("other")
	want(t, fx.apply("file.symlink", true, "name", link, "target", other), nil, fmt.Sprintf("Link %s target is set to be changed to %s", link, other), data.M("change", link))
	want(t, fx.apply("file.symlink", false, "name", link, "target", other), true, fmt.Sprintf("Created new symlink %s -> %s", link, other), data.M("new", link))
	if l, _ := os.Readlink(link); l != other {
		t.Fatalf("link -> %s", l)
	}
	// a file in the way.
	want(t, fx.apply("file.symlink", false, "name", target, "target", other), false, fmt.Sprintf("File exists where the symlink %s should be", target), nil)
	want(t, fx.apply("file.symlink", false, "name", target, "target", other, "force", true), true, fmt.Sprintf("Created new symlink %s -> %s", target, other), data.M("new", target))
}

func TestCopyTouch(t *testing.T) {
	fx := newFixture(t, nil)
	src := fx.p("src")
	writeFile(t, src, "content\n", 0o640)
	dst := fx.p("dst")
	want(t, fx.apply("file.copy", true, "name", dst, "source", src), nil, fmt.Sprintf(`File "%s" is set to be copied to "%s"`, src, dst), nil)
	want(t, fx.apply("file.copy", false, "name", dst, "source", src), true, fmt.Sprintf(`Copied "%s" to "%s"`, src, dst), data.M(dst, src))
	if readFile(t, dst) != "content\n" || modeOf(t, dst) != 0o640 {
		t.Fatal("copy differs")
	}
	want(t, fx.apply("file.copy", false, "name", dst, "source", src), true, fmt.Sprintf(`The target file "%s" exists and will not be overwritten`, dst), nil)
	want(t, fx.apply("file.copy", false, "name", dst, "source", src, "force", true), true,
		fmt.Sprintf(`Copied "%s" to "%s" - files are identical but force flag is set`, src, dst), data.M(dst, src))
	want(t, fx.apply("file.copy", false, "name", fx.p("x/y"), "source", src), false, fmt.Sprintf("The target directory %s is not present", fx.p("x")), nil)
	want(t, fx.apply("file.copy", false, "name", dst, "source", fx.p("nope")), false, fmt.Sprintf(`Source file "%s" is not present`, fx.p("nope")), nil)

	tf := fx.p("t/touched")
	want(t, fx.apply("file.touch", true, "name", tf), nil, fmt.Sprintf("File %s is set to be created", tf), data.M("new", tf))
	want(t, fx.apply("file.touch", false, "name", tf), false, fmt.Sprintf("Directory not present to touch file %s", tf), nil)
	want(t, fx.apply("file.touch", false, "name", tf, "makedirs", true), true, fmt.Sprintf("Created empty file %s", tf), data.M("new", tf))
	want(t, fx.apply("file.touch", true, "name", tf), true, fmt.Sprintf("File %s exists and has the correct times", tf), data.M("new", tf))
	want(t, fx.apply("file.touch", false, "name", tf, "mtime", 1000), true, fmt.Sprintf("Updated times on file %s", tf), data.M("touched", tf))
	if st, _ := os.Stat(tf); st.ModTime().Unix() != 1000 {
		t.Fatalf("mtime %v", st.ModTime())
	}
}

func TestEdits(t *testing.T) {
	fx := newFixture(t, map[string]string{"add.txt": "from source\n"})
	f := fx.p("edit.txt")
	writeFile(t, f, "colour=red\nsize=10\n", 0o600)
	// replace
	diff := "--- \n+++ \n@@ -1,2 +1,2 @@\n-colour=red\n+colour=blue\n size=10\n"
	want(t, fx.apply("file.replace", true, "name", f, "pattern", `colour=\w+`, "repl", "colour=blue"), nil, "Changes would have been made", data.M("diff", diff))
	want(t, fx.apply("file.replace", false, "name", f, "pattern", `colour=\w+`, "repl", "colour=blue"), true, "Changes were made", data.M("diff", diff))
	if readFile(t, f) != "colour=blue\nsize=10\n" || readFile(t, f+".bak") != "colour=red\nsize=10\n" || modeOf(t, f) != 0o600 {
		t.Fatal("replace result differs")
	}
	want(t, fx.apply("file.replace", false, "name", f, "pattern", `colour=\w+`, "repl", "colour=blue"), true, "No changes needed to be made", nil)
	want(t, fx.apply("file.replace", false, "name", f, "pattern", `(size)=(\d+)`, "repl", `\1: \2`, "backup", false), true, "Changes were made",
		data.M("diff", "--- \n+++ \n@@ -1,2 +1,2 @@\n colour=blue\n-size=10\n+size: 10\n"))
	want(t, fx.apply("file.replace", false, "name", fx.p("none"), "pattern", "a", "repl", "b"), false, fmt.Sprintf("%s: file not found", fx.p("none")), nil)
	want(t, fx.apply("file.replace", false, "name", f, "pattern", "^new=1$", "repl", "new=1", "append_if_not_found", true), true, "Changes were made",
		data.M("diff", "--- \n+++ \n@@ -1,2 +1,3 @@\n colour=blue\n size: 10\n+new=1\n"))

	// append: the diff as Salt joins it ("\n".join of the lines).
	a := fx.p("append.txt")
	writeFile(t, a, "line1\nline2\n", 0o644)
	want(t, fx.apply("file.append", true, "name", a, "text", "appended"), nil, fmt.Sprintf("File %s is set to be updated", a),
		data.M("diff", "--- \n\n+++ \n\n@@ -1,2 +1,3 @@\n\n line1\n line2\n+appended"))
	want(t, fx.apply("file.append", false, "name", a, "text", "appended"), true, "Appended 1 lines",
		data.M("diff", "--- \n\n+++ \n\n@@ -1,2 +1,3 @@\n\n line1\n line2\n+appended"))
	want(t, fx.apply("file.append", false, "name", a, "text", []any{"appended", "  line1  "}), true, fmt.Sprintf("File %s is in correct state", a), nil)
	want(t, fx.apply("file.append", false, "name", a, "source", "salt://add.txt"), true, "Appended 1 lines",
		data.M("diff", "--- \n\n+++ \n\n@@ -1,3 +1,4 @@\n\n line1\n line2\n appended\n+from source"))
	na := fx.p("newappend.txt")
	want(t, fx.apply("file.append", true, "name", na, "text", "x"), nil, fmt.Sprintf("File %s is set to be created", na), data.M("new", na))
	want(t, fx.apply("file.append", false, "name", na, "text", "x"), true, "Appended 1 lines", data.M("diff", "--- \n\n+++ \n\n@@ -0,0 +1 @@\n\n+x"))

	// prepend
	want(t, fx.apply("file.prepend", false, "name", a, "text", "first"), true, "Prepended 1 lines",
		data.M("diff", "--- \n+++ \n@@ -1,3 +1,4 @@\n+first\n line1\n line2\n appended\n"))

	// blockreplace
	b := fx.p("block.txt")
	writeFile(t, b, "header\n# BEGIN\nold\n# END\nfooter\n", 0o644)
	bdiff := "--- \n+++ \n@@ -1,5 +1,6 @@\n header\n # BEGIN\n-old\n+new 1\n+new 2\n # END\n footer\n"
	want(t, fx.apply("file.blockreplace", true, "name", b, "marker_start", "# BEGIN", "marker_end", "# END", "content", "new 1\nnew 2\n"),
		nil, "Changes would be made", data.M("diff", bdiff))
	want(t, fx.apply("file.blockreplace", false, "name", b, "marker_start", "# BEGIN", "marker_end", "# END", "content", "new 1\nnew 2\n"),
		true, "Changes were made", data.M("diff", bdiff))
	want(t, fx.apply("file.blockreplace", false, "name", b, "marker_start", "# BEGIN", "marker_end", "# END", "content", "new 1\nnew 2\n"),
		true, "No changes needed to be made", nil)
	want(t, fx.apply("file.blockreplace", false, "name", b, "marker_start", "# X", "marker_end", "# Y", "content", "c"),
		false, "Encountered error managing block: Cannot edit marked block. Markers were not found in file.. See the log for details.", nil)
	want(t, fx.apply("file.blockreplace", false, "name", b, "marker_start", "# X", "marker_end", "# Y", "content", "c", "append_if_not_found", true),
		true, "Changes were made", data.M("diff", "--- \n+++ \n@@ -4,3 +4,6 @@\n new 2\n # END\n footer\n+# X\n+c\n+# Y\n"))

	// line
	l := fx.p("line.txt")
	writeFile(t, l, "one\ntwo\nthree\n", 0o644)
	want(t, fx.apply("file.line", false, "name", l, "content", "inserted", "mode", "ensure", "after", "two"), true, "Changes were made",
		data.M("diff", "--- \n+++ \n@@ -1,3 +1,4 @@\n one\n two\n+inserted\n three\n"))
	want(t, fx.apply("file.line", false, "name", l, "content", "inserted", "mode", "ensure", "after", "two"), true, "No changes needed to be made", nil)
	want(t, fx.apply("file.line", true, "name", l, "match", "^one$", "mode", "delete"), nil, "Changes would be made",
		data.M("diff", "--- \n+++ \n@@ -1,4 +1,3 @@\n-one\n two\n inserted\n three\n"))
	want(t, fx.apply("file.line", false, "name", l, "content", "x"), false, "Mode was not defined. How to process the file?", nil)
}

func TestRecurseSerializeTemplate(t *testing.T) {
	fx := newFixture(t, map[string]string{
		"rdir/top.txt": "top\n", "rdir/sub/inner.txt": "inner\n",
		"tmpl.j2": "greeting={{ greeting }}\nwho={{ who }}\nfixed={{ fixed }}\nminion={{ grains['id'] }}\nroot={{ pillar['root'] }}\n",
		"bad.j2":  "{{ sls }}\n",
	})
	dst := fx.p("rec")
	top, inner := filepath.Join(dst, "top.txt"), filepath.Join(dst, "sub/inner.txt")
	um := fmt.Sprintf("0%o", 0o666&^currentUmask())
	sub := filepath.Join(dst, "sub")
	// test=True: each sub-state's comment under "#### path ####", as Salt;
	// a directory's files before its subdirectories' (the golden's order).
	ret := fx.apply("file.recurse", true, "name", dst, "source", "salt://rdir")
	tnote := " is set to be changed" + note
	want(t, ret, nil, fmt.Sprintf("#### %s ####\nThe following files will be changed:\n%s: directory - new\n\n\n"+
		"#### %s ####\nThe following files will be changed:\n%s: directory - new\n\n\n"+
		"#### %s ####\nThe file %s%s\n\n#### %s ####\nThe file %s%s", dst, dst, sub, sub, top, top, tnote, inner, inner, tnote),
		data.M(dst, data.M(dst, data.M("directory", "new")), sub, data.M(sub, data.M("directory", "new")),
			inner, data.M("newfile", inner), top, data.M("newfile", top)))
	if _, err := os.Stat(dst); err == nil {
		t.Fatal("test=True created the directory")
	}
	// The top directory is made without a change entry; the others through
	// file.directory (whose changes nest under the path, as Salt's).
	ret = fx.apply("file.recurse", false, "name", dst, "source", "salt://rdir")
	want(t, ret, true, fmt.Sprintf("Recursively updated %s", dst), data.M(
		sub, data.M(sub, data.M("directory", "new")),
		inner, data.M("diff", "New file", "mode", um), top, data.M("diff", "New file", "mode", um)))
	if readFile(t, inner) != "inner\n" {
		t.Fatal("recurse content")
	}
	want(t, fx.apply("file.recurse", false, "name", dst, "source", "salt://rdir"), true, fmt.Sprintf("The directory %s is in the correct state", dst), nil)
	writeFile(t, filepath.Join(dst, "extra/x"), "x", 0o644)
	want(t, fx.apply("file.recurse", true, "name", dst, "source", "salt://rdir", "clean", true), nil,
		fmt.Sprintf("#### removed ####\n%s\n%s", filepath.Join(dst, "extra"), filepath.Join(dst, "extra/x")), nil)
	want(t, fx.apply("file.recurse", false, "name", dst, "source", "salt://rdir", "clean", true), true, fmt.Sprintf("Recursively updated %s", dst),
		data.M("removed", []any{filepath.Join(dst, "extra")}))
	want(t, fx.apply("file.recurse", false, "name", dst, "source", "salt://nope"), false, "Recurse failed: none of the specified sources were found", nil)
	want(t, fx.apply("file.recurse", false, "name", dst, "source", "/local"), false, "Invalid source '/local' (must be a salt:// URI)", nil)

	// serialize: json (indent 2, sorted keys) and yaml (block style).
	ds := data.M("b", int64(2), "a", []any{int64(1), "two", true}, "c", data.M("nested", "value"))
	jf := fx.p("ser/data.json")
	want(t, fx.apply("file.serialize", false, "name", jf, "dataset", ds, "formatter", "json", "makedirs", true), true,
		fmt.Sprintf("File %s updated", jf), data.M("diff", "New file"))
	if got := readFile(t, jf); got != "{\n  \"a\": [\n    1,\n    \"two\",\n    true\n  ],\n  \"b\": 2,\n  \"c\": {\n    \"nested\": \"value\"\n  }\n}\n" {
		t.Fatalf("json %q", got)
	}
	uf := fx.p("ser/u.json")
	fx.apply("file.serialize", false, "name", uf, "dataset", data.M("k", "é😀"), "formatter", "json")
	if got := readFile(t, uf); got != "{\n  \"k\": \"\\u00e9\\ud83d\\ude00\"\n}\n" {
		t.Fatalf("json ascii %q", got)
	}
	yf := fx.p("ser/data.yaml")
	fx.apply("file.serialize", false, "name", yf, "dataset", ds)
	if got := readFile(t, yf); got != "a:\n- 1\n- two\n- true\nb: 2\nc:\n  nested: value\n" {
		t.Fatalf("yaml %q", got)
	}
	want(t, fx.apply("file.serialize", true, "name", yf, "dataset", ds), true, fmt.Sprintf("The file %s is in the correct state", yf), nil)
	want(t, fx.apply("file.serialize", false, "name", yf, "dataset", data.M("d", int64(4)), "merge_if_exists", true), true,
		fmt.Sprintf("File %s updated", yf), data.M("diff", "--- \n+++ \n@@ -5,3 +5,4 @@\n b: 2\n c:\n   nested: value\n+d: 4\n"))

	// template: context over defaults, grains, pillar; no sls.
	tf := fx.p("t.txt")
	want(t, fx.apply("file.managed", false, "name", tf, "source", "salt://tmpl.j2", "template", "jinja",
		"context", data.M("greeting", "hello", "who", "context-who"), "defaults", data.M("who", "default-who", "fixed", "default-fixed")),
		true, fmt.Sprintf("File %s updated", tf), data.M("diff", "New file", "mode", um))
	if got, wantC := readFile(t, tf), fmt.Sprintf("greeting=hello\nwho=context-who\nfixed=default-fixed\nminion=minion1\nroot=%s\n", fx.root); got != wantC {
		t.Fatalf("template %q, want %q", got, wantC)
	}
	ret = fx.apply("file.managed", false, "name", fx.p("bad.txt"), "source", "salt://bad.j2", "template", "jinja")
	if r, _ := ret.Get("result"); r != false || get(ret, "comment")[:len("Unable to manage file: Jinja variable 'sls' is undefined")] != "Unable to manage file: Jinja variable 'sls' is undefined" {
		t.Fatalf("bad template: %s", data.Repr(ret))
	}
}

func TestCopyPreserveAndDirectoryRecurse(t *testing.T) {
	fx := newFixture(t, nil)
	src := fx.p("src")
	writeFile(t, src, "x\n", 0o604)
	dst := fx.p("dst")
	want(t, fx.apply("file.copy", false, "name", dst, "source", src, "preserve", true), true, fmt.Sprintf(`Copied "%s" to "%s"`, src, dst), data.M(dst, src))
	if modeOf(t, dst) != 0o604 {
		t.Fatalf("preserve: mode %o", modeOf(t, dst))
	}
	d := fx.p("tree")
	writeFile(t, filepath.Join(d, "f"), "x", 0o600)
	writeFile(t, filepath.Join(d, "sub/g"), "x", 0o600)
	if err := os.Chmod(d, 0o755); err != nil {
		t.Fatal(err)
	}
	f, g, sub := filepath.Join(d, "f"), filepath.Join(d, "sub/g"), filepath.Join(d, "sub")
	want(t, fx.apply("file.directory", true, "name", d, "file_mode", "0644", "dir_mode", "0755", "recurse", []any{"mode"}), nil,
		fmt.Sprintf("The following files will be changed:\n%s: mode - 0644\n%s: mode - 0644\n", f, g),
		data.M(f, data.M("mode", "0644"), g, data.M("mode", "0644")))
	ret := fx.apply("file.directory", false, "name", d, "file_mode", "0644", "dir_mode", "0755", "recurse", []any{"mode"})
	if r, _ := ret.Get("result"); r != true || modeOf(t, f) != 0o644 || modeOf(t, g) != 0o644 || modeOf(t, sub) != 0o755 {
		t.Fatalf("recurse: %s", data.Repr(ret))
	}
	want(t, fx.apply("file.directory", false, "name", d, "file_mode", "0644", "dir_mode", "0755", "recurse", []any{"mode"}), true,
		fmt.Sprintf("The directory %s is in the correct state", d), nil)
	want(t, fx.apply("file.directory", false, "name", d, "recurse", []any{"bogus"}), false,
		`Types for "recurse" limited to "user", "group", "mode", "ignore_files", "ignore_dirs", "silent".`, nil)
}

func TestRecurseKeepSymlinks(t *testing.T) {
	fx := newFixture(t, map[string]string{"ld/real.txt": "real\n", "ld/sub/in.txt": "in\n"})
	if err := os.Symlink("sub", filepath.Join(fx.roots, "ld/linkdir")); err != nil {
		t.Fatal(err)
	}
	dst := fx.p("kl")
	ret := fx.apply("file.recurse", false, "name", dst, "source", "salt://ld", "keep_symlinks", true)
	if r, _ := ret.Get("result"); r != true {
		t.Fatalf("recurse: %s", data.Repr(ret))
	}
	if l, err := os.Readlink(filepath.Join(dst, "linkdir")); err != nil || l != "sub" {
		t.Fatalf("linkdir -> %q (%v); ret %s", l, err, data.Repr(ret))
	}
	if readFile(t, filepath.Join(dst, "sub/in.txt")) != "in\n" {
		t.Fatal("sub/in.txt")
	}
}
