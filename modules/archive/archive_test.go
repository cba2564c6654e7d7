package archive_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/internal/golden"
	"github.com/saltgo/saltgo/modules/archive"
	"github.com/saltgo/saltgo/modules/archive/archivetest"
)

func TestGuessFormat(t *testing.T) {
	for name, want := range map[string]string{"a.tar": "tar", "A.TGZ": "tar", "a.tar.xz": "tar", "a.txz": "tar", "a.tbz2": "tar",
		"a.zip": "zip", "a.rar": "rar", "a.gz": "", "tar": "", "a.tar.zst": ""} {
		if got := archive.GuessFormat(name); got != want {
			t.Errorf("GuessFormat(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestTarArgv(t *testing.T) {
	tests := []struct{ options, want string }{
		{"--strip-components=1", "tar xv --strip-components=1 -f A"},
		{"xzf", "tar xvz -f A"},
		{"v --exclude 'a b'", "tar xv --exclude a b -f A"},
		{"-v --verbose J", "tar xvJ -f A"},
	}
	for _, tc := range tests {
		argv, err := archive.TarArgv(tc.options, "A")
		if err != nil || strings.Join(argv, " ") != tc.want {
			t.Errorf("TarArgv(%q) = %q, %v; want %q", tc.options, argv, err, tc.want)
		}
	}
	if _, err := archive.TarArgv(`"open`, "A"); err == nil {
		t.Error("an unclosed quote was accepted")
	}
}

// TestList checks archive.list (verbose) of each format against golden
// listings: all formats give the same shape as Salt's.
func TestList(t *testing.T) {
	dir := t.TempDir()
	app := append(archivetest.App("app"), archivetest.Entry{Name: "app/bin/hard", Hardlink: "app/bin/run.sh"})
	cases := map[string][]byte{
		"app.tar":     archivetest.Tar(t, app, ""),
		"app.tar.gz":  archivetest.Tar(t, app, "gz"),
		"app.tar.bz2": archivetest.Tar(t, app, "bz2"),
		"app.tar.xz":  archivetest.Tar(t, app, "xz"),
		"app.zip":     archivetest.Zip(t, archivetest.App("app")),
		"flat.zip":    archivetest.Zip(t, []archivetest.Entry{{Name: "x/y/z.txt", Body: "z"}, {Name: "top.txt", Body: "t"}}),
	}
	for name, b := range cases {
		p := archivetest.Write(t, filepath.Join(dir, name), b)
		l, err := archive.List(context.Background(), p, archive.GuessFormat(name), 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		golden.JSON(t, filepath.Join("testdata", "list", name+".json"), l.Map())
	}
	p := filepath.Join(dir, "app.tar.gz")
	l, err := archive.List(context.Background(), p, "tar", 1)
	if err != nil {
		t.Fatal(err)
	}
	golden.JSON(t, filepath.Join("testdata", "list", "app.tar.gz-strip1.json"), l.Map())
	for name, b := range map[string][]byte{"empty.tar": {}, "junk.tar.gz": {0x1f, 0x8b, 1, 2, 3}, "junk.zip": []byte("PK no")} {
		p := archivetest.Write(t, filepath.Join(dir, name), b)
		if _, err := archive.List(context.Background(), p, archive.GuessFormat(name), 0); !errors.Is(err, archive.ErrRead) {
			t.Errorf("%s: error %v, want ErrRead", name, err)
		}
	}
}

// TestListFunc runs archive.list as a job does (host.Run).
func TestListFunc(t *testing.T) {
	p := archivetest.Write(t, filepath.Join(t.TempDir(), "app.tgz"), archivetest.Tar(t, archivetest.App("app"), "gz"))
	env := &host.Env{ID: "minion1", Opts: data.M("file_client", "local", "file_roots", data.M("base", []any{t.TempDir()})), Grains: data.NewMap(), Pillar: data.NewMap()}
	r := host.Run(context.Background(), env, host.Request{Kind: host.Exec, Fun: "archive.list", Args: []any{p}})
	want := []any{"app/", "app/README", "app/bin/", "app/bin/run.sh", "app/current"}
	if r.Err != nil || !data.Equal(r.Return, want) {
		t.Errorf("archive.list = %v, %v; want %v", r.Return, r.Err, want)
	}
	r = host.Run(context.Background(), env, host.Request{Kind: host.Exec, Fun: "archive.list", Args: []any{p + ".missing"}})
	if r.Err == nil || !strings.Contains(r.Err.Error(), "Failed to cache") {
		t.Errorf("missing archive: %v", r.Err)
	}
	r = host.Run(context.Background(), env, host.Request{Kind: host.Exec, Fun: "archive.list", Args: []any{p, "strip_components=-1"}})
	if r.Err == nil || !strings.Contains(r.Err.Error(), "'strip_components' must be a positive integer") {
		t.Errorf("strip_components=-1: %v", r.Err)
	}
}

// TestExtractAtomic: an archive that breaks after some entries were
// written leaves the destination as it was and no staging directory.
func TestExtractAtomic(t *testing.T) {
	dir := t.TempDir()
	var entries []archivetest.Entry
	entries = append(entries, archivetest.Entry{Name: "app/"})
	for i := range 50 {
		entries = append(entries, archivetest.Entry{Name: "app/f" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Body: strings.Repeat("x", 4000+i)})
	}
	tgz := archivetest.Tar(t, entries, "gz")
	broken := archivetest.Write(t, filepath.Join(dir, "broken.tgz"), tgz[:len(tgz)*3/4])
	dst := filepath.Join(dir, "dst")
	if err := os.MkdirAll(filepath.Join(dst, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, "app", "faa"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{dst, filepath.Join(dir, "new")} {
		_, err := archive.Extract(context.Background(), broken, "tar", d, archive.Options{})
		if !errors.Is(err, archive.ErrRead) {
			t.Fatalf("Extract into %s: %v, want ErrRead", d, err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "app", "faa")); string(b) != "mine" {
		t.Errorf("app/faa = %q after a failed extraction", b)
	}
	ents, _ := os.ReadDir(filepath.Join(dst, "app"))
	if len(ents) != 1 {
		t.Errorf("dst/app holds %d entries after a failed extraction", len(ents))
	}
	all, _ := os.ReadDir(dir)
	for _, e := range all {
		if e.Name() != "broken.tgz" && e.Name() != "dst" {
			t.Errorf("%s left behind", e.Name())
		}
	}
	all, _ = os.ReadDir(dst)
	if len(all) != 1 {
		t.Errorf("dst holds %d entries (a staging directory left behind?)", len(all))
	}
	// The whole archive extracts, and the tar command path too.
	ok := archivetest.Write(t, filepath.Join(dir, "ok.tgz"), tgz)
	res, err := archive.Extract(context.Background(), ok, "tar", dst, archive.Options{})
	if err != nil || len(res.Names) != 51 || res.CreatedDest {
		t.Fatalf("Extract: %+v, %v", res, err)
	}
	res, err = archive.Extract(context.Background(), ok, "tar", filepath.Join(dir, "cmd"), archive.Options{TarOptions: "--strip-components=1"})
	if err != nil || len(res.Names) != 50 || !res.CreatedDest { // tar -v does not print the stripped app/
		t.Fatalf("Extract with tar options: %+v, %v", res, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "cmd", "fab")); len(b) != 4026 {
		t.Errorf("cmd/fab has %d bytes", len(b))
	}
	_, err = archive.Extract(context.Background(), broken, "tar", filepath.Join(dir, "cmd2"), archive.Options{TarOptions: "z"})
	var te *archive.TarError
	if !errors.As(err, &te) || te.Retcode == 0 {
		t.Errorf("tar on a broken archive: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "cmd2")); err == nil {
		t.Error("cmd2 exists after tar failed")
	}
}
