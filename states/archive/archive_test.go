package archive_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/modules/archive/archivetest"
	"github.com/saltgo/saltgo/state"
	"github.com/saltgo/saltgo/state/statetest"
	_ "github.com/saltgo/saltgo/states/archive"
)

// fixture is a masterless minion whose file_roots, cachedir and
// destinations are in t.TempDir(): nothing outside it changes.
type fixture struct {
	t     *testing.T
	dir   string
	roots string
	env   *host.Env
	fc    fileclient.Client
}

func newFixture(t *testing.T) *fixture {
	dir := t.TempDir()
	fx := &fixture{t: t, dir: dir, roots: filepath.Join(dir, "roots")}
	if err := os.MkdirAll(fx.roots, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := data.M("cachedir", filepath.Join(dir, "cache"), "file_client", "local", "hash_type", "sha256",
		"file_roots", data.M("base", []any{fx.roots}))
	fc, err := fileclient.NewLocal(opts)
	if err != nil {
		t.Fatal(err)
	}
	fx.fc = fc
	fx.env = &host.Env{ID: "minion1", Opts: opts, Local: true, Grains: data.NewMap(), Pillar: data.NewMap()}
	return fx
}

func (fx *fixture) p(rel string) string { return filepath.Join(fx.dir, rel) }

func (fx *fixture) apply(test bool, kv ...any) *data.Map {
	fx.t.Helper()
	return statetest.Apply(fx.t, fx.env, "archive.extracted", state.Chunk{Test: test, Files: fx.fc}, data.M(kv...))
}

func get(m *data.Map, k string) any { v, _ := m.Get(k); return v }

func TestExtractedCases(t *testing.T) {
	app := archivetest.App("app")
	tests := []struct {
		name    string
		archive []byte
		file    string
		kw      []any
		result  any
		comment string // a prefix of the comment
		files   []string
	}{
		{name: "tar", archive: archivetest.Tar(t, app, ""), file: "a.tar", result: true,
			comment: "@SRC@ extracted to @DST@/, due to absence of one or more files/dirs. Output was trimmed to False number of lines", files: []string{"app/README", "app/bin/run.sh", "app/current"}},
		{name: "tgz", archive: archivetest.Tar(t, app, "gz"), file: "a.tgz", result: true, comment: "@SRC@ extracted to @DST@/", files: []string{"app/README"}},
		{name: "bz2", archive: archivetest.Tar(t, app, "bz2"), file: "a.tar.bz2", result: true, comment: "@SRC@ extracted to @DST@/", files: []string{"app/bin/run.sh"}},
		{name: "xz", archive: archivetest.Tar(t, app, "xz"), file: "a.tar.xz", result: true, comment: "@SRC@ extracted to @DST@/", files: []string{"app/current"}},
		{name: "zip", archive: archivetest.Zip(t, app), file: "a.zip", result: true, comment: "@SRC@ extracted to @DST@/", files: []string{"app/README", "app/current"}},
		{name: "traversal", file: "evil.tar", result: false, comment: "Archive @SRC@ holds an entry that would be extracted outside @DST@/ (../evil.txt): refused",
			archive: archivetest.Tar(t, []archivetest.Entry{{Name: "app/"}, {Name: "../evil.txt", Body: "x"}}, "")},
		{name: "absolute", file: "abs.tar", result: false, comment: "Archive @SRC@ holds an entry that would be extracted outside @DST@/ (/evil.txt): refused",
			archive: archivetest.Tar(t, []archivetest.Entry{{Name: "/evil.txt", Body: "x"}}, ""), kw: []any{"enforce_toplevel", false}},
		{name: "zip traversal", file: "evil.zip", result: false, comment: "Archive @SRC@ holds an entry that would be extracted outside @DST@/ (app/../../evil.txt): refused",
			archive: archivetest.Zip(t, []archivetest.Entry{{Name: "app/"}, {Name: "app/../../evil.txt", Body: "x"}})},
		{name: "hardlink out", file: "hl.tar", result: false, comment: "Archive @SRC@ holds an entry that would be extracted outside @DST@/ (app/hl): refused",
			archive: archivetest.Tar(t, []archivetest.Entry{{Name: "app/"}, {Name: "app/hl", Hardlink: "../../etc/passwd"}}, "")},
		{name: "symlink escape", file: "sl.tar", result: false, comment: "app/link/evil.txt",
			archive: archivetest.Tar(t, []archivetest.Entry{{Name: "app/"}, {Name: "app/link", Link: "../../outside"}, {Name: "app/link/evil.txt", Body: "x"}}, "")},
		{name: "zip trim", archive: archivetest.Zip(t, app), file: "t.zip", result: true, kw: []any{"trim_output", 2},
			comment: "@SRC@ extracted to @DST@/, due to absence of one or more files/dirs. Output was trimmed to 2 number of lines"},
		{name: "bad user", archive: archivetest.Tar(t, app, ""), file: "u.tar", result: false, kw: []any{"user", "saltgo-no-such-user"},
			comment: "User saltgo-no-such-user does not exist"},
		{name: "hash ok", archive: archivetest.Tar(t, app, ""), file: "h.tar", result: true, kw: []any{"source_hash", "@SUM@"}, comment: "@SRC@ extracted to"},
		{name: "bad hash", archive: archivetest.Tar(t, app, ""), file: "bh.tar", result: false,
			kw:      []any{"source_hash", "sha256=" + strings.Repeat("ab", 32)},
			comment: "@SRC@ does not match the desired source_hash " + strings.Repeat("ab", 32)},
		{name: "empty", archive: []byte{}, file: "empty.tar", result: false, comment: "Unable to list contents of @SRC@."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fx := newFixture(t)
			src := archivetest.Write(t, fx.p(tc.file), tc.archive)
			dst := fx.p("dst")
			kw := append([]any{"name", dst, "source", src}, tc.kw...)
			for i, v := range kw {
				if v == "@SUM@" {
					kw[i] = "sha256=" + sum(tc.archive)
				}
			}
			if tc.name == "zip trim" {
				kw = append(kw, "enforce_toplevel", true)
			}
			ret := fx.apply(false, kw...)
			repl := strings.NewReplacer("@SRC@", src, "@DST@", dst)
			if get(ret, "result") != tc.result || !strings.Contains(data.Str(get(ret, "comment")), repl.Replace(tc.comment)) {
				t.Fatalf("result %v comment %q, want %v and %q", get(ret, "result"), get(ret, "comment"), tc.result, repl.Replace(tc.comment))
			}
			for _, f := range tc.files {
				if _, err := os.Lstat(filepath.Join(dst, f)); err != nil {
					t.Errorf("%s not extracted: %v", f, err)
				}
			}
			if tc.result == false {
				if _, err := os.Lstat(dst); err == nil {
					t.Errorf("%s exists after a failure", dst)
				}
			}
			for _, out := range []string{fx.p("evil.txt"), fx.p("outside"), "/evil.txt"} {
				if _, err := os.Lstat(out); err == nil {
					t.Errorf("%s was written outside the destination", out)
				}
			}
			ents, _ := os.ReadDir(fx.dir)
			for _, e := range ents {
				if strings.Contains(e.Name(), "saltgo-extract") {
					t.Errorf("staging %s left behind", e.Name())
				}
			}
			if tc.result == true {
				again := fx.apply(false, kw...)
				if get(again, "result") != true || get(again, "comment") != "All files in archive are already present" || get(again, "changes").(*data.Map).Len() != 0 {
					t.Errorf("second run: %v", again)
				}
				test := fx.apply(true, kw...)
				if get(test, "result") != true || get(test, "comment") != "All files in archive are already present" {
					t.Errorf("test run after extraction: %v", test)
				}
			}
		})
	}
}

func TestExtractedSaltSource(t *testing.T) {
	fx := newFixture(t)
	b := archivetest.Tar(t, archivetest.App("app"), "gz")
	archivetest.Write(t, filepath.Join(fx.roots, "app.tar.gz"), b)
	archivetest.Write(t, filepath.Join(fx.roots, "app.tar.gz.sha256"), []byte(sum(b)+"  app.tar.gz\n"))
	dst := fx.p("dst")
	ret := fx.apply(true, "name", dst, "source", "salt://app.tar.gz", "source_hash", "salt://app.tar.gz.sha256")
	if get(ret, "result") != nil || get(ret, "comment") != "Archive salt://app.tar.gz would be cached (if necessary) and checked to discover if extraction is needed" {
		t.Fatalf("test run: %v", ret)
	}
	ret = fx.apply(false, "name", dst, "source", "salt://app.tar.gz", "source_hash", "salt://app.tar.gz.sha256")
	if get(ret, "result") != true || get(ret, "comment") != "salt://app.tar.gz extracted to "+dst+"/, due to absence of one or more files/dirs. Output was trimmed to False number of lines" {
		t.Fatalf("run: %v", ret)
	}
	want := []any{"app", "app/README", "app/bin", "app/bin/run.sh", "app/current"}
	if got, _ := get(ret, "changes").(*data.Map).Get("extracted_files"); !data.Equal(got, want) {
		t.Errorf("extracted_files %v, want %v", got, want)
	}
	ret = fx.apply(false, "name", dst, "source", "salt://missing.tar.gz")
	if get(ret, "result") != false || get(ret, "name") != "salt://missing.tar.gz" {
		t.Errorf("missing source: %v", ret)
	}
}

func TestExtractedExistingDest(t *testing.T) {
	fx := newFixture(t)
	src := archivetest.Write(t, fx.p("a.tar"), archivetest.Tar(t, archivetest.App("app"), ""))
	dst := fx.p("dst")
	if err := os.MkdirAll(filepath.Join(dst, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	for p, body := range map[string]string{"keep.txt": "mine", "app/extra": "extra", "app/README": "old"} {
		if err := os.WriteFile(filepath.Join(dst, p), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ret := fx.apply(false, "name", dst, "source", src)
	if get(ret, "result") != true {
		t.Fatalf("run: %v", ret)
	}
	if _, ok := get(ret, "changes").(*data.Map).Get("directories_created"); ok {
		t.Errorf("directories_created for an existing destination: %v", ret)
	}
	for p, want := range map[string]string{"keep.txt": "mine", "app/extra": "extra", "app/README": "hello\n"} {
		if b, _ := os.ReadFile(filepath.Join(dst, p)); string(b) != want {
			t.Errorf("%s = %q, want %q", p, b, want)
		}
	}
	// A file where the archive has a directory: refused without force.
	if err := os.RemoveAll(filepath.Join(dst, "app/bin")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, "app/bin"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	ret = fx.apply(false, "name", dst, "source", src)
	if get(ret, "result") != false || !strings.Contains(data.Str(get(ret, "comment")), "To proceed with extraction, set 'force' to True.") {
		t.Fatalf("incorrect type: %v", ret)
	}
	ret = fx.apply(false, "name", dst, "source", src, "force", true)
	if get(ret, "result") != true {
		t.Fatalf("force: %v", ret)
	}
	if st, err := os.Stat(filepath.Join(dst, "app/bin")); err != nil || !st.IsDir() {
		t.Errorf("app/bin is not a directory after force: %v", err)
	}
	// clean removes the top-level directory before moving the new one in.
	ret = fx.apply(false, "name", dst, "source", src, "clean", true, "overwrite", true)
	if get(ret, "result") != true {
		t.Fatalf("clean: %v", ret)
	}
	if _, err := os.Stat(filepath.Join(dst, "app/extra")); err == nil {
		t.Error("clean left app/extra")
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "keep.txt")); string(b) != "mine" {
		t.Error("clean removed a path the archive does not have")
	}
	// A corrupt archive with overwrite leaves the destination as it was.
	tgz := archivetest.Tar(t, archivetest.App("app"), "gz")
	bad := archivetest.Write(t, fx.p("bad.tgz"), tgz[:len(tgz)/2])
	ret = fx.apply(false, "name", dst, "source", bad, "overwrite", true, "enforce_toplevel", false)
	if get(ret, "result") != false {
		t.Fatalf("corrupt: %v", ret)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "app/README")); string(b) != "hello\n" {
		t.Errorf("app/README after a failed overwrite = %q", b)
	}
}

func TestExtractedArguments(t *testing.T) {
	fx := newFixture(t)
	src := archivetest.Write(t, fx.p("a.tar"), archivetest.Tar(t, archivetest.App("app"), ""))
	if err := os.WriteFile(fx.p("file"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		kw      []any
		result  any
		comment string
	}{
		{[]any{"name", "rel/dir", "source", src}, false, "rel/dir is not an absolute path"},
		{[]any{"name", fx.p("file"), "source", src}, false, fx.p("file") + " exists and is not a directory"},
		{[]any{"name", fx.p("d"), "source", src, "if_missing", "rel"}, false, "Value for 'if_missing' is not an absolute path"},
		{[]any{"name", fx.p("d"), "source", src, "if_missing", fx.p("file")}, true, "Path " + fx.p("file") + " exists"},
		{[]any{"name", fx.p("d"), "source", src, "skip_verify", true, "skip_files_list_verify", true}, false, `Only one of "skip_files_list_verify" and "skip_verify" can be set to True`},
		{[]any{"name", fx.p("d"), "source", fx.p("nope.tar")}, false, "Source file '" + fx.p("nope.tar") + "' does not exist"},
		{[]any{"name", fx.p("d"), "source", src, "archive_format", "7z"}, false, "Invalid archive_format '7z'. Either set it to a supported value (tar, rar, zip) or remove this argument and the archive format will be guessed based on file extension."},
		{[]any{"name", fx.p("d"), "source", src, "password", "x"}, false, "The 'password' argument is only supported for zip archives"},
		{[]any{"name", fx.p("d"), "source", src, "clean", true, "clean_parent", true}, false, "Only one of 'clean' and 'clean_parent' can be set to True"},
	}
	for _, tc := range tests {
		ret := fx.apply(false, tc.kw...)
		if get(ret, "result") != tc.result || get(ret, "comment") != tc.comment {
			t.Errorf("%v: result %v comment %q, want %v %q", tc.kw, get(ret, "result"), get(ret, "comment"), tc.result, tc.comment)
		}
	}
	ret := fx.apply(true, "name", fx.p("d"), "source", src, "clean", true)
	if get(ret, "result") != nil || get(ret, "comment") != "Archive "+src+" would be extracted to "+fx.p("d")+"/, after cleaning destination path(s), due to absence of one or more files/dirs" {
		t.Errorf("test run: %v", ret)
	}
	if _, err := os.Stat(fx.p("d")); err == nil {
		t.Error("test=True created the destination")
	}
}

func TestExtractedKeepSource(t *testing.T) {
	fx := newFixture(t)
	archivetest.Write(t, filepath.Join(fx.roots, "app.tar"), archivetest.Tar(t, archivetest.App("app"), ""))
	cached := fx.fc.CachePath("base", "app.tar")
	ret := fx.apply(false, "name", fx.p("keep"), "source", "salt://app.tar")
	if _, err := os.Stat(cached); get(ret, "result") != true || err != nil {
		t.Fatalf("keep_source default: %v, cached copy: %v", ret, err)
	}
	ret = fx.apply(false, "name", fx.p("nokeep"), "source", "salt://app.tar", "keep_source", false)
	if _, err := os.Stat(cached); get(ret, "result") != true || err == nil {
		t.Fatalf("keep_source False: %v, cached copy still there", ret)
	}
}
