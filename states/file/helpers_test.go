package file_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/state/statetest"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient"
	"github.com/saltgo/saltgo/fileserver/fstest"
	"github.com/saltgo/saltgo/host"
	_ "github.com/saltgo/saltgo/modules/cmd"
	"github.com/saltgo/saltgo/state"
	_ "github.com/saltgo/saltgo/states/file"
)

// fixture is a minion with a local file_roots, a cachedir and a target
// directory, all in t.TempDir().
type fixture struct {
	t      testing.TB
	roots  string
	cache  string
	root   string
	env    *host.Env
	client fileclient.Client
}

func newFixture(t testing.TB, served map[string]string) *fixture {
	t.Helper()
	base := t.TempDir()
	fx := &fixture{t: t, roots: filepath.Join(base, "roots"), cache: filepath.Join(base, "cache"), root: filepath.Join(base, "root")}
	for _, d := range []string{fx.roots, fx.cache, fx.root} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	fstest.Write(t, fx.roots, served)
	opts := data.M("cachedir", fx.cache, "file_client", "local", "user", "root", "hash_type", "sha256",
		"file_roots", data.M("base", []any{fx.roots}))
	fc, err := fileclient.NewLocal(opts)
	if err != nil {
		t.Fatal(err)
	}
	fx.client = fc
	fx.env = &host.Env{ID: "minion1", Opts: opts, Local: true,
		Grains: data.M("id", "minion1", "shell", "/bin/sh"), Pillar: data.M("root", fx.root, "motd", "hello\nworld")}
	return fx
}

// p is a path below the fixture's root.
func (fx *fixture) p(rel string) string { return filepath.Join(fx.root, rel) }

// apply runs mod.fun as a state with the keyword arguments kv.
func (fx *fixture) apply(fun string, test bool, kv ...any) *data.Map {
	return statetest.Apply(fx.t, fx.env, fun, state.Chunk{Test: test, Files: fx.client}, data.M(kv...))
}

// want checks a state return's result, comment and changes (as a JSON-ish
// repr); an empty wantChanges means {}.
func want(t *testing.T, ret *data.Map, result any, comment string, changes *data.Map) {
	t.Helper()
	r, _ := ret.Get("result")
	if !data.Equal(r, result) || (r == nil) != (result == nil) {
		t.Errorf("result = %s, want %s (comment %q)", data.Repr(r), data.Repr(result), get(ret, "comment"))
	}
	if c := get(ret, "comment"); c != comment {
		t.Errorf("comment = %q\nwant      %q", c, comment)
	}
	if changes == nil {
		changes = data.NewMap()
	}
	ch, _ := ret.Get("changes")
	if !data.Equal(ch, changes) {
		t.Errorf("changes = %s\nwant      %s", data.Repr(ch), data.Repr(changes))
	}
}

func get(m *data.Map, k string) string {
	v, _ := m.Get(k)
	s, _ := v.(string)
	return s
}

func writeFile(t *testing.T, p, body string, mode fs.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func modeOf(t *testing.T, p string) fs.FileMode {
	t.Helper()
	st, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

// treeHash hashes every path, mode, link target and content below dir.
func treeHash(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	err := filepath.Walk(dir, func(p string, info fs.FileInfo, err error) error {
		if err != nil {
			return err
		}
		line := p + " " + info.Mode().String()
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			line += " -> " + l
		case info.Mode().IsRegular():
			b, _ := os.ReadFile(p)
			s := sha256.Sum256(b)
			line += " " + hex.EncodeToString(s[:])
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	s := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(s[:])
}
