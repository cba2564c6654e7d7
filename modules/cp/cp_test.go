package cp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient/fctest"
	"github.com/saltgo/saltgo/fileserver/fstest"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/internal/golden"
	_ "github.com/saltgo/saltgo/modules/cp"
)

func kw(kv ...any) *data.Map { return data.M(append([]any{"__kwarg__", true}, kv...)...) }

// tree is the recorded tree (spec §1) plus a few sls files.
func tree(t *testing.T) string {
	root := fstest.Tree(t)
	fstest.Write(t, root, map[string]string{"a/b.sls": "b: {}\n", "a/c/init.sls": "c: {}\n", "tmpl/motd": "id={{ grains.id }} env={{ saltenv }} x={{ x }}\n", "minion1.txt": "me\n"})
	return root
}

type rig struct {
	env               *host.Env
	root, cache, dest string
	http              string
}

// replace makes a return independent of the temporary directories.
func (r *rig) replace(v any) any {
	switch x := v.(type) {
	case *data.Map:
		out := data.NewMap()
		x.Range(func(k, val any) bool { out.Set(k, r.replace(val)); return true })
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = r.replace(e)
		}
		return out
	case string:
		for _, p := range [][2]string{{r.cache, "@CACHE@"}, {r.dest, "@DEST@"}, {r.root, "@ROOT@"}, {r.http, "@HTTP@"}} {
			x = strings.ReplaceAll(x, p[0], p[1])
		}
		return x
	}
	return v
}

func (r *rig) sub(s string) string {
	return strings.NewReplacer("@DEST@", r.dest, "@ROOT@", r.root, "@HTTP@", r.http).Replace(s)
}

func (r *rig) args(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case string:
			out[i] = r.sub(v)
		case *data.Map:
			m := data.NewMap()
			v.Range(func(k, val any) bool {
				if s, ok := val.(string); ok {
					val = r.sub(s)
				}
				m.Set(k, val)
				return true
			})
			out[i] = m
		default:
			out[i] = a
		}
	}
	return out
}

func httpServer(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/missing" {
			http.NotFound(w, req)
			return
		}
		w.Write([]byte("web " + req.URL.Path + "\n"))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func localRig(t *testing.T) *rig {
	root := tree(t)
	r := &rig{root: root, cache: t.TempDir(), dest: t.TempDir(), http: httpServer(t)}
	r.env = &host.Env{ID: "minion1", Local: true, Grains: data.M("id", "minion1"), Pillar: data.NewMap(),
		Opts: data.M("file_roots", data.M("base", []any{root}), "cachedir", r.cache, "hash_type", "sha256", "file_client", "local")}
	return r
}

func remoteRig(t *testing.T) *rig {
	root := tree(t)
	fr := fctest.Start(t, map[string][]string{"base": {root}})
	r := &rig{root: root, cache: fr.CacheDir, dest: t.TempDir(), http: httpServer(t)}
	r.env = &host.Env{ID: "minion1", Grains: data.M("id", "minion1"), Pillar: data.NewMap(), Opts: fr.Opts()}
	r.env.Services.Master = fr.Minion
	return r
}

// cases run in order (later ones see the cache the earlier ones filled).
var cases = []struct {
	fun  string
	args []any
}{
	{"cp.envs", nil},
	{"cp.list_master", nil},
	{"cp.list_master", []any{kw("prefix", "specprobe")}},
	{"cp.list_master", []any{kw("saltenv", "nope")}},
	{"cp.list_master_dirs", nil},
	{"cp.list_master_symlinks", nil},
	{"cp.list_states", nil},
	{"cp.hash_file", []any{"salt://specprobe/f.txt"}},
	{"cp.hash_file", []any{"salt://specprobe/nope"}},
	{"cp.hash_file", []any{"@ROOT@/hello.txt"}},
	{"cp.hash_file", []any{"@ROOT@/nope"}},
	{"cp.stat_file", []any{"salt://specprobe/f.txt"}},
	{"cp.stat_file", []any{"salt://specprobe/f.txt", kw("octal", false)}},
	{"cp.stat_file", []any{"salt://nope"}},
	{"cp.is_cached", []any{"salt://specprobe/f.txt"}},
	{"cp.cache_file", []any{"salt://specprobe/f.txt"}},
	{"cp.is_cached", []any{"salt://specprobe/f.txt"}},
	{"cp.cache_file", []any{"salt://specprobe/f.txt?saltenv=dev"}},
	{"cp.cache_file", []any{"salt://nope"}},
	{"cp.cache_file", []any{"@ROOT@/hello.txt"}},
	{"cp.cache_dest", []any{"salt://a/b.sls"}},
	{"cp.cache_dest", []any{"salt://a/b.sls?saltenv=dev"}},
	{"cp.cache_files", []any{"salt://hello.txt,salt://nope"}},
	{"cp.get_file", []any{"salt://specprobe/f.txt", "@DEST@/f.txt"}},
	{"cp.get_file", []any{"salt://specprobe/nope", "@DEST@/nope"}},
	{"cp.get_file", []any{"salt://specprobe/f.txt", "@DEST@/no/f.txt"}},
	{"cp.get_file", []any{"salt://specprobe/f.txt", "@DEST@/no/f.txt", kw("makedirs", true)}},
	{"cp.get_file", []any{"salt://specprobe/big.txt", "@DEST@/", kw("gzip", int64(5))}},
	{"cp.get_dir", []any{"salt://specprobe", "@DEST@/dir"}},
	{"cp.cache_dir", []any{"salt://specprobe", kw("include_empty", true)}},
	{"cp.cache_dir", []any{"salt://specprobe", kw("include_pat", "*.txt", "exclude_pat", "E@.*big")}},
	{"cp.get_url", []any{"salt://hello.txt", "@DEST@/u.txt"}},
	{"cp.get_url", []any{"salt://nope", "@DEST@/u2.txt"}},
	{"cp.get_url", []any{"salt://hello.txt", nil}},
	{"cp.get_url", []any{"file://@ROOT@/hello.txt", "@DEST@/ignored"}},
	{"cp.get_url", []any{"@HTTP@/page.txt", "@DEST@/h.txt"}},
	{"cp.get_url", []any{"@HTTP@/page.txt", nil}},
	{"cp.get_url", []any{"@HTTP@/page.txt", "@DEST@/nodir/h.txt"}},
	{"cp.get_url", []any{"@HTTP@/page.txt", "@DEST@/mkdir/", kw("makedirs", true)}},
	{"cp.get_url", []any{"@HTTP@/missing", "@DEST@/m.txt"}},
	{"cp.get_file_str", []any{"salt://hello.txt"}},
	{"cp.get_file_str", []any{"salt://nope"}},
	{"cp.get_template", []any{"salt://tmpl/motd", "@DEST@/motd", kw("x", int64(1))}},
	{"cp.get_template", []any{"salt://tmpl/nope", "@DEST@/nope2"}},
	{"cp.get_template", []any{"salt://tmpl/motd", "@DEST@/nodir/motd", kw("x", "y")}},
	{"cp.get_template", []any{"salt://tmpl/motd", "@DEST@/mk/motd", kw("x", "y", "makedirs", true)}},
	{"cp.get_template", []any{"salt://tmpl/motd", "@DEST@/motd3"}},
	{"cp.get_template", []any{"salt://tmpl/motd", "@DEST@/motd4", kw("template", "mako")}},
	{"cp.get_file", []any{"salt://{{ grains.id }}.txt", "@DEST@/{{ grains.id }}.copy", kw("template", "jinja")}},
	{"cp.cache_master", nil},
	{"cp.list_minion", nil},
}

// run runs every case and returns the golden document.
func run(t *testing.T, r *rig) []any {
	ctx := context.Background()
	var out []any
	for _, tc := range cases {
		res := host.Run(ctx, r.env, host.Request{Kind: host.Exec, Fun: tc.fun, Args: r.args(tc.args)})
		entry := data.M("fun", tc.fun, "args", r.replace(data.List(tc.args)))
		if res.Err != nil {
			entry.Set("error", r.replace(res.Err.Error()))
		} else {
			entry.Set("return", r.replace(res.Return))
		}
		out = append(out, entry)
	}
	return out
}

// TestCpLocal and TestCpRemote run the same cp calls masterless
// (file_client: local over file_roots) and through a saltgo minion signed
// in to mastertest: both must return the same values (one golden file).
func TestCpLocal(t *testing.T) {
	r := localRig(t)
	golden.JSON(t, "testdata/cp.json", run(t, r))
	checkFiles(t, r)
}

func TestCpRemote(t *testing.T) {
	r := remoteRig(t)
	golden.JSON(t, "testdata/cp.json", run(t, r))
	checkFiles(t, r)
}

func checkFiles(t *testing.T, r *rig) {
	for p, want := range map[string]string{
		"f.txt": fstest.F, "no/f.txt": fstest.F, "big.txt": string(fstest.Big(fstest.BigSize)), "dir/specprobe/link.txt": fstest.F,
		"u.txt": "hello\n", "h.txt": "web /page.txt\n", "mkdir/page.txt": "web /page.txt\n", "motd": "id=minion1 env=base x=1\n", "mk/motd": "id=minion1 env=base x=y\n",
		"minion1.copy": "me\n",
	} {
		b, err := os.ReadFile(filepath.Join(r.dest, p))
		if err != nil || string(b) != want {
			t.Errorf("%s: %v (%d bytes)", p, err, len(b))
		}
	}
	// get_template moves Salt's mkstemp output: mode 0600; get_file: 0644.
	for p, mode := range map[string]os.FileMode{"motd": 0o600, "f.txt": 0o644} {
		if st, err := os.Stat(filepath.Join(r.dest, p)); err != nil || st.Mode().Perm() != mode {
			t.Errorf("%s: mode %v %v", p, st.Mode(), err)
		}
	}
	if st, err := os.Stat(filepath.Join(r.dest, "dir/specprobe/sub/empty")); err != nil || !st.IsDir() {
		t.Errorf("empty dir: %v", err)
	}
}

// TestCacheFileVerifySSL: cp.cache_file of an https url checks the
// certificate unless verify_ssl=False.
func TestCacheFileVerifySSL(t *testing.T) {
	r := localRig(t)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("tls\n")) }))
	defer srv.Close()
	ctx := context.Background()
	res := host.Run(ctx, r.env, host.Request{Kind: host.Exec, Fun: "cp.cache_file", Args: []any{srv.URL + "/x"}})
	if res.Err == nil || !strings.Contains(res.Err.Error(), "certificate") {
		t.Fatalf("verified: %v %v", res.Return, res.Err)
	}
	res = host.Run(ctx, r.env, host.Request{Kind: host.Exec, Fun: "cp.cache_file", Args: []any{srv.URL + "/x", kw("verify_ssl", false)}})
	p, _ := res.Return.(string)
	if b, err := os.ReadFile(p); res.Err != nil || err != nil || string(b) != "tls\n" {
		t.Fatalf("verify_ssl=False: %v %v %q", res.Return, res.Err, b)
	}
}
