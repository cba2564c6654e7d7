package fileclient_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient"
	"github.com/saltgo/saltgo/fileserver"
	"github.com/saltgo/saltgo/fileserver/fstest"
	"github.com/saltgo/saltgo/host"
)

type fakeMaster struct{}

func (fakeMaster) Request(context.Context, *data.Map) (any, error) {
	return nil, errors.New("not a real master")
}

func localEnv(t *testing.T) (*host.Env, string, string) {
	root := fstest.Tree(t)
	fstest.Write(t, root, map[string]string{"a/b.sls": "b", "a/c/init.sls": "c", "d/init.sls": "d"})
	cache := t.TempDir()
	env := &host.Env{ID: "minion1", Opts: data.M("file_roots", data.M("base", []any{root}), "cachedir", cache, "hash_type", "sha256"), Local: true}
	return env, root, cache
}

func TestNewChooses(t *testing.T) {
	env, _, _ := localEnv(t)
	for _, tc := range []struct {
		name      string
		local     bool
		fileCl    string
		master    host.MasterRequester
		wantLocal bool
	}{
		{"env.Local", true, "", fakeMaster{}, true},
		{"file_client local", false, "local", fakeMaster{}, true},
		{"no master", false, "", nil, true},
		{"remote", false, "remote", fakeMaster{}, false},
	} {
		e := env.Clone()
		e.Local = tc.local
		e.Opts = env.Opts.Copy()
		if tc.fileCl != "" {
			e.Opts.Set("file_client", tc.fileCl)
		}
		e.Services.Master = tc.master
		c, err := fileclient.New(e)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := c.(*fileclient.FileClient).Local(); got != tc.wantLocal {
			t.Errorf("%s: local = %v", tc.name, got)
		}
	}
	if _, err := fileclient.New(nil); err == nil {
		t.Error("nil env: no error")
	}
	// No options at all: a local client over no file_roots.
	c, err := fileclient.New(&host.Env{})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := c.CacheFile(context.Background(), "salt://x", "base"); p != "" || err != nil {
		t.Errorf("empty env: %q %v", p, err)
	}
	bad := env.Clone()
	bad.Opts = data.M("file_roots", "x")
	if _, err := fileclient.New(bad); err == nil {
		t.Error("bad file_roots: no error")
	}
}

// TestLocalCachesLikeFSClient: file_client local copies salt:// files into
// <cachedir>/files/<saltenv>/ (Salt's FSClient is a RemoteClient over
// FSChan), with 0700 directories.
func TestLocalCachesLikeFSClient(t *testing.T) {
	env, root, cache := localEnv(t)
	c, err := fileclient.New(env)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := c.CacheFile(ctx, "salt://specprobe/f.txt", "base")
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(cache, "files/base/specprobe/f.txt")
	if p != want || p != c.CachePath("base", "specprobe/f.txt") {
		t.Fatalf("cached at %q, want %q", p, want)
	}
	if b, _ := os.ReadFile(p); string(b) != fstest.F {
		t.Errorf("content %q", b)
	}
	for _, d := range []string{"files", "files/base", "files/base/specprobe"} {
		st, err := os.Stat(filepath.Join(cache, d))
		if err != nil || st.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v", d, st.Mode(), err)
		}
	}
	// A changed source is fetched again (hash check on every use).
	fstest.Write(t, root, map[string]string{"specprobe/f.txt": "changed\n"})
	if p, err = c.CacheFile(ctx, "salt://specprobe/f.txt", "base"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "changed\n" {
		t.Errorf("after change: %q", b)
	}
	// Missing: "" and no error; an unknown saltenv too.
	for _, u := range []string{"salt://nope.txt", "salt://specprobe/f.txt?saltenv=dev"} {
		if p, err := c.CacheFile(ctx, u, "base"); p != "" || err != nil {
			t.Errorf("%s: %q %v", u, p, err)
		}
	}
	// A multi-chunk file (the minion's 262144-byte chunks when local).
	p, err = c.CacheFile(ctx, "salt://specprobe/big.txt", "base")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != string(fstest.Big(fstest.BigSize)) {
		t.Error("big.txt differs")
	}
	// A zero-byte file.
	fstest.Write(t, root, map[string]string{"empty.txt": ""})
	p, err = c.CacheFile(ctx, "salt://empty.txt", "base")
	if st, serr := os.Stat(p); err != nil || serr != nil || st.Size() != 0 {
		t.Errorf("empty: %q %v %v", p, err, serr)
	}
}

func TestLocalStatesAndLists(t *testing.T) {
	env, _, cache := localEnv(t)
	c, _ := fileclient.New(env)
	ctx := context.Background()
	states, err := c.ListStates(ctx, "base")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a.b", "a.c", "d", "lab", "top"}; !reflect.DeepEqual(states, want) {
		t.Errorf("states %v", states)
	}
	for _, tc := range []struct{ sls, rel string }{{"a.b", "a/b.sls"}, {"a.c", "a/c/init.sls"}, {"d", "d/init.sls"}} {
		f, ok, err := c.GetState(ctx, tc.sls, "base")
		if err != nil || !ok || f.Rel != tc.rel || f.Local != filepath.Join(cache, "files/base", tc.rel) {
			t.Errorf("%s: %+v %v %v", tc.sls, f, ok, err)
		}
	}
	if _, ok, err := c.GetState(ctx, "nope", "base"); ok || err != nil {
		t.Errorf("nope: %v %v", ok, err)
	}
	files, _ := c.FileList(ctx, "base", "a")
	if want := []string{"a/b.sls", "a/c/init.sls"}; !reflect.DeepEqual(files, want) {
		t.Errorf("files %v", files)
	}
	dirs, _ := c.DirList(ctx, "base", "specprobe")
	empty, _ := c.EmptyDirs(ctx, "base", "")
	links, _ := c.SymlinkList(ctx, "base", "")
	envs, _ := c.Envs(ctx)
	if !reflect.DeepEqual(dirs, []string{"specprobe", "specprobe/sub", "specprobe/sub/empty"}) ||
		!reflect.DeepEqual(empty, []string{"specprobe/sub/empty"}) ||
		!reflect.DeepEqual(links, map[string]string{"specprobe/link.txt": "f.txt"}) || !reflect.DeepEqual(envs, []string{"base"}) {
		t.Errorf("dirs %v empty %v links %v envs %v", dirs, empty, links, envs)
	}
	h, err := c.HashFile(ctx, "salt://specprobe/f.txt", "base")
	if err != nil || h.Type != "sha256" || h.Sum != sha256hex(fstest.F) {
		t.Errorf("hash %+v %v", h, err)
	}
	if mo, err := c.MasterOpts(ctx); mo != nil || err != nil {
		t.Errorf("local master opts %v %v", mo, err)
	}
	if mt, err := c.MasterTops(ctx, data.NewMap()); mt != nil || err != nil {
		t.Errorf("local master tops %v %v", mt, err)
	}
}

func TestURLs(t *testing.T) {
	env, _, cache := localEnv(t)
	fc, _ := fileclient.Open(env)
	ctx := context.Background()
	abs := filepath.Join(t.TempDir(), "x.txt")
	fstest.Write(t, "/", map[string]string{abs: "x"})
	for _, u := range []string{abs, "file://" + abs} {
		if p, err := fc.CacheFile(ctx, u, "base"); p != abs || err != nil {
			t.Errorf("%s: %q %v", u, p, err)
		}
	}
	if _, err := fc.CacheFile(ctx, "rel/x", "base"); err == nil || !strings.Contains(err.Error(), "is not absolute") {
		t.Errorf("relative: %v", err)
	}
	if _, err := fc.CacheFile(ctx, "ftp://127.0.0.1/x", "base"); err == nil {
		t.Error("ftp: no error")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte("web " + r.URL.Path))
	}))
	defer srv.Close()
	p, err := fc.CacheFile(ctx, srv.URL+"/dir/page.txt?v=1", "base")
	if err != nil {
		t.Fatal(err)
	}
	host := strings.ReplaceAll(strings.TrimPrefix(srv.URL, "http://"), ":", "")
	if want := filepath.Join(cache, "extrn_files/base", host, "dir/page.txt-v=1"); p != want {
		t.Errorf("http cached at %q, want %q", p, want)
	}
	if b, _ := os.ReadFile(p); string(b) != "web /dir/page.txt" {
		t.Errorf("http content %q", b)
	}
	if _, err := fc.CacheFile(ctx, srv.URL+"/missing", "base"); err == nil || !strings.Contains(err.Error(), "Error: HTTP 404: Not Found reading /missing") {
		t.Errorf("404: %v", err)
	}
	b, ok, err := fc.ReadURL(ctx, srv.URL+"/r", "base")
	if string(b) != "web /r" || !ok || err != nil {
		t.Errorf("read http: %q %v %v", b, ok, err)
	}
	b, ok, err = fc.ReadURL(ctx, "salt://specprobe/f.txt", "base")
	if string(b) != fstest.F || !ok || err != nil {
		t.Errorf("read salt: %q %v %v", b, ok, err)
	}
	if _, ok, err = fc.ReadURL(ctx, "salt://nope", "base"); ok || err != nil {
		t.Errorf("read missing: %v %v", ok, err)
	}
}

func sha256hex(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

// cancelAfter is a channel that cancels the download's context after n
// _serve_file replies, as a killed salt-call would stop mid-file.
type cancelAfter struct {
	ch     host.MasterRequester
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Request(ctx context.Context, load *data.Map) (any, error) {
	v, err := c.ch.Request(ctx, load)
	if cmd, _ := load.String("cmd"); cmd == "_serve_file" {
		if c.n--; c.n == 0 {
			c.cancel()
		}
	}
	return v, err
}

// TestInterruptedDownloadLeavesNothing: a download stopped between chunks
// installs nothing (the old cached copy stays) and leaves no temporary
// file.
func TestInterruptedDownloadLeavesNothing(t *testing.T) {
	root := fstest.Tree(t)
	cache := t.TempDir()
	roots, err := fileserver.FromOpts(data.M("file_roots", data.M("base", []any{root}), "file_buffer_size", int64(4096)))
	if err != nil {
		t.Fatal(err)
	}
	opts := data.M("cachedir", cache)
	good, err := fileclient.NewRemote(roots, opts).CacheFile(context.Background(), "salt://specprobe/big.txt", "base")
	if err != nil {
		t.Fatal(err)
	}
	fstest.Write(t, root, map[string]string{"specprobe/big.txt": strings.Repeat("new", 100000)})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	fc := fileclient.NewRemote(&cancelAfter{ch: roots, n: 3, cancel: cancel}, opts)
	if _, err := fc.CacheFile(ctx, "salt://specprobe/big.txt", "base"); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(good); string(b) != string(fstest.Big(fstest.BigSize)) {
		t.Error("the cached copy changed")
	}
	ents, _ := os.ReadDir(filepath.Dir(good))
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if want := []string{"big.txt"}; !reflect.DeepEqual(names, want) {
		t.Errorf("cache dir holds %v", names)
	}
}

// BenchmarkLocalCacheHit is one CacheFile of a cached, unchanged file with
// file_client local (hash on the server side, hash of the cached copy).
func BenchmarkLocalCacheHit(b *testing.B) {
	root := b.TempDir()
	fstest.Write(b, root, map[string]string{"a/f.txt": strings.Repeat("x", 4096)})
	fc, err := fileclient.NewLocal(data.M("file_roots", data.M("base", []any{root}), "cachedir", b.TempDir()))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if _, err := fc.CacheFile(ctx, "salt://a/f.txt", "base"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := fc.CacheFile(ctx, "salt://a/f.txt", "base"); err != nil {
			b.Fatal(err)
		}
	}
}
