package fileclient_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient"
	"github.com/saltgo/saltgo/fileclient/fctest"
	"github.com/saltgo/saltgo/fileserver/fstest"
	"github.com/saltgo/saltgo/internal/mastertest"
)

// bigSize spans three 1 MiB chunks of the master's file_buffer_size.
const bigSize = 2*1048576 + 12345

type remoteRig struct {
	*fctest.Rig
	master *mastertest.Master
	fc     *fileclient.FileClient
	root   string
	cache  string
}

// startRemote starts mastertest serving the recorded tree (plus a > 2 MiB
// file) and a saltgo minion signed in to it, and returns a Remote file
// client over the minion's request channel.
func startRemote(t *testing.T) *remoteRig {
	t.Helper()
	root := fstest.Tree(t)
	fstest.Write(t, root, map[string]string{"huge.bin": string(fstest.Big(bigSize)), "empty.txt": "",
		"text/big.json": strings.Repeat(`{"key": "value"}`+"\n", 200000)})
	rig := fctest.Start(t, map[string][]string{"base": {root}})
	return &remoteRig{Rig: rig, master: rig.Master, fc: fileclient.NewRemote(rig.Minion, rig.Opts()), root: root, cache: rig.CacheDir}
}

func (r *remoteRig) fileLoads() []*data.Map { return r.FileLoads() }

func cmds(loads []*data.Map) []string { return fctest.Cmds(loads) }

// TestRemoteEndToEnd: a saltgo minion signed in to mastertest fetches
// files through Remote: a 3-chunk file, the cache hit without download, a
// gzip download, a zero-byte file and a missing one.
func TestRemoteEndToEnd(t *testing.T) {
	r := startRemote(t)
	ctx := context.Background()
	r.fileLoads()

	p, err := r.fc.CacheFile(ctx, "salt://huge.bin", "base")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(r.cache, "files/base/huge.bin"); p != want {
		t.Errorf("cached at %q", p)
	}
	if b, _ := os.ReadFile(p); !bytes.Equal(b, fstest.Big(bigSize)) {
		t.Error("huge.bin differs")
	}
	loads := r.fileLoads()
	if got, want := cmds(loads), []string{"_file_hash", "_file_find", "_serve_file", "_serve_file", "_serve_file", "_serve_file"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("requests %v, want %v", got, want)
	}
	for i, wantLoc := range []int64{0, 1048576, 2097152, bigSize} {
		l := loads[2+i]
		if loc, _ := data.AsInt(mapGet(l, "loc")); loc != wantLoc {
			t.Errorf("chunk %d: loc %d", i, loc)
		}
		// The load as a Python minion sends it: path, saltenv, cmd, loc and
		// the channel's nonce, ts, tok and id.
		for _, k := range []string{"path", "saltenv", "cmd", "loc", "nonce", "ts", "tok", "id"} {
			if !l.Has(k) {
				t.Errorf("chunk %d: no %q in %v", i, k, l.Keys())
			}
		}
		if l.Has("gzip") {
			t.Error("gzip sent without being asked")
		}
	}
	if st, _ := os.Stat(filepath.Dir(p)); st.Mode().Perm() != 0o700 {
		t.Errorf("cache dir mode %v", st.Mode())
	}

	// The cache hit: hash and find, no _serve_file.
	if p2, err := r.fc.CacheFile(ctx, "salt://huge.bin", "base"); err != nil || p2 != p {
		t.Fatalf("again: %q %v", p2, err)
	}
	if got := cmds(r.fileLoads()); !reflect.DeepEqual(got, []string{"_file_hash", "_file_find"}) {
		t.Errorf("cache hit sent %v", got)
	}

	// gzip, to a destination that is a directory.
	destDir := t.TempDir()
	p, err = r.fc.GetFile(ctx, "salt://text/big.json", destDir, false, "base", 5)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(destDir, "big.json"); p != want {
		t.Errorf("gzip dest %q", p)
	}
	if b, _ := os.ReadFile(p); string(b) != strings.Repeat(`{"key": "value"}`+"\n", 200000) {
		t.Error("gzip content differs")
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o644 {
		t.Errorf("dest mode %v", st.Mode())
	}
	for _, l := range r.fileLoads() {
		if c, _ := l.String("cmd"); c == "_serve_file" {
			if g, _ := data.AsInt(mapGet(l, "gzip")); g != 5 {
				t.Errorf("gzip load %v", data.Repr(l))
			}
		}
	}

	// Zero bytes.
	p, err = r.fc.CacheFile(ctx, "salt://empty.txt", "base")
	if st, serr := os.Stat(p); err != nil || serr != nil || st.Size() != 0 {
		t.Errorf("empty: %q %v %v", p, err, serr)
	}
	r.fileLoads()

	// Missing: "" and only the hash and find requests.
	if p, err := r.fc.CacheFile(ctx, "salt://nope.txt", "base"); p != "" || err != nil {
		t.Errorf("missing: %q %v", p, err)
	}
	if got := cmds(r.fileLoads()); !reflect.DeepEqual(got, []string{"_file_hash", "_file_find"}) {
		t.Errorf("missing sent %v", got)
	}
	// A saltenv in the url wins.
	if p, err := r.fc.CacheFile(ctx, "salt://specprobe/f.txt?saltenv=dev", "base"); p != "" || err != nil {
		t.Errorf("dev: %q %v", p, err)
	}
	for _, l := range r.fileLoads() {
		if e, _ := l.String("saltenv"); e != "dev" {
			t.Errorf("saltenv %q", e)
		}
		if p, _ := l.String("path"); p != "specprobe/f.txt" {
			t.Errorf("path %q", p)
		}
	}
	// A missing destination directory without makedirs: "".
	if p, err := r.fc.GetFile(ctx, "salt://specprobe/f.txt", filepath.Join(destDir, "no/f.txt"), false, "base", 0); p != "" || err != nil {
		t.Errorf("no makedirs: %q %v", p, err)
	}
	if p, err := r.fc.GetFile(ctx, "salt://specprobe/f.txt", filepath.Join(destDir, "no/f.txt"), true, "base", 0); err != nil || p == "" {
		t.Errorf("makedirs: %q %v", p, err)
	}
}

// TestRemoteTamperedChunkRefused: a chunk whose bytes do not hash to the
// master's _file_hash is refused; neither the destination nor the cache
// gets it, and the old cached copy stays.
func TestRemoteTamperedChunkRefused(t *testing.T) {
	r := startRemote(t)
	ctx := context.Background()
	good, err := r.fc.CacheFile(ctx, "salt://specprobe/f.txt", "base")
	if err != nil {
		t.Fatal(err)
	}
	fstest.Write(t, r.root, map[string]string{"specprobe/f.txt": "new content\n"})
	r.master.SetReplyHook(func(load *data.Map, reply any) any {
		if c, _ := load.String("cmd"); c == "_serve_file" {
			m := reply.(*data.Map)
			if d, _ := m.Get("data"); len(d.([]byte)) > 0 {
				m.Set("data", []byte("evil content\n"))
			}
		}
		return reply
	})
	_, err = r.fc.CacheFile(ctx, "salt://specprobe/f.txt", "base")
	if !errors.Is(err, fileclient.ErrTampered) {
		t.Fatalf("err = %v", err)
	}
	t.Log(err)
	if b, _ := os.ReadFile(good); string(b) != fstest.F {
		t.Errorf("cache now %q", b)
	}
	dest := filepath.Join(t.TempDir(), "f.txt")
	if _, err := r.fc.GetFile(ctx, "salt://specprobe/f.txt", dest, false, "base", 0); !errors.Is(err, fileclient.ErrTampered) {
		t.Errorf("dest err = %v", err)
	}
	if _, err := os.Stat(dest); !os.IsNotExist(err) {
		t.Errorf("dest exists: %v", err)
	}
	ents, _ := os.ReadDir(filepath.Dir(dest))
	if len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
}

// TestRemoteBrokenReplies: a _serve_file reply without data/dest is
// retried (3 times, as Salt); after that, an error; wrong types are
// errors, never panics.
func TestRemoteBrokenReplies(t *testing.T) {
	r := startRemote(t)
	ctx := context.Background()
	var mu sync.Mutex
	broken := 2
	r.master.SetReplyHook(func(load *data.Map, reply any) any {
		mu.Lock()
		defer mu.Unlock()
		if c, _ := load.String("cmd"); c == "_serve_file" && broken > 0 {
			broken--
			return data.M("oops", true)
		}
		return reply
	})
	p, err := r.fc.CacheFile(ctx, "salt://specprobe/f.txt", "base")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != fstest.F {
		t.Errorf("content %q", b)
	}
	r.fileLoads()
	mu.Lock()
	broken = 100
	mu.Unlock()
	if _, err := r.fc.CacheFile(ctx, "salt://specprobe/big.txt", "base"); err == nil || !strings.Contains(err.Error(), "retry attempts exhausted") {
		t.Errorf("err = %v", err)
	}
	if n := len(cmds(r.fileLoads())); n != 2+4 {
		t.Errorf("%d requests, want hash, find and 4 serve attempts", n)
	}
	for _, tc := range []struct {
		cmd   string
		reply any
		call  func() error
	}{
		{"_file_hash", []any{int64(1)}, func() error { _, err := r.fc.HashFile(ctx, "salt://x", "base"); return err }},
		{"_file_hash", data.M("hsum", int64(3)), func() error { _, err := r.fc.HashFile(ctx, "salt://x", "base"); return err }},
		{"_file_list", data.M("a", "b"), func() error { _, err := r.fc.FileList(ctx, "base", ""); return err }},
		{"_file_list", []any{int64(1)}, func() error { _, err := r.fc.FileList(ctx, "base", ""); return err }},
		{"_symlink_list", []any{"x"}, func() error { _, err := r.fc.SymlinkList(ctx, "base", ""); return err }},
		{"_file_envs", "x", func() error { _, err := r.fc.Envs(ctx); return err }},
		{"_master_opts", "x", func() error { _, err := r.fc.MasterOpts(ctx); return err }},
		{"_master_tops", []any{}, func() error { _, err := r.fc.MasterTops(ctx, nil); return err }},
	} {
		r.master.SetReplyHook(func(load *data.Map, reply any) any {
			if c, _ := load.String("cmd"); c == tc.cmd {
				return tc.reply
			}
			return reply
		})
		if err := tc.call(); err == nil {
			t.Errorf("%s replying %s: no error", tc.cmd, data.Repr(tc.reply))
		}
	}
}

// TestRemoteListsAndOpts: the listing commands, _master_opts and
// _master_tops through the minion's channel, as recorded live (spec §1).
func TestRemoteListsAndOpts(t *testing.T) {
	r := startRemote(t)
	ctx := context.Background()
	files, err := r.fc.FileList(ctx, "base", "specprobe")
	if err != nil || !reflect.DeepEqual(files, []string{"specprobe/big.txt", "specprobe/f.txt", "specprobe/link.txt"}) {
		t.Errorf("files %v %v", files, err)
	}
	dirs, _ := r.fc.DirList(ctx, "base", "")
	empty, _ := r.fc.EmptyDirs(ctx, "base", "")
	links, _ := r.fc.SymlinkList(ctx, "base", "")
	envs, _ := r.fc.Envs(ctx)
	if !reflect.DeepEqual(dirs, []string{"specprobe", "specprobe/sub", "specprobe/sub/empty", "text"}) ||
		!reflect.DeepEqual(empty, []string{"specprobe/sub/empty"}) ||
		!reflect.DeepEqual(links, map[string]string{"specprobe/link.txt": "f.txt"}) || !reflect.DeepEqual(envs, []string{"base"}) {
		t.Errorf("dirs %v empty %v links %v envs %v", dirs, empty, links, envs)
	}
	if l, err := r.fc.FileList(ctx, "nope", ""); err != nil || len(l) != 0 {
		t.Errorf("nope: %v %v", l, err)
	}
	mo, err := r.fc.MasterOpts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := mo.String("renderer"); s != "jinja|yaml" || mo.Len() != 16 {
		t.Errorf("master opts %s", data.Repr(mo))
	}
	mt, err := r.fc.MasterTops(ctx, data.M("os", "Debian"))
	if err != nil || mt.Len() != 0 {
		t.Errorf("master tops %v %v", mt, err)
	}
	for _, l := range r.fileLoads() {
		if c, _ := l.String("cmd"); c == "_master_tops" {
			opts, _ := l.Get("opts")
			g, _ := opts.(*data.Map).Get("grains")
			if id, _ := l.String("id"); id != "minion1" || data.Repr(g) != "{'os': 'Debian'}" {
				t.Errorf("master_tops load %s", data.Repr(l))
			}
		}
	}
	states, err := r.fc.ListStates(ctx, "base")
	if err != nil || !reflect.DeepEqual(states, []string{"lab", "top"}) {
		t.Errorf("states %v %v", states, err)
	}
	f, ok, err := r.fc.GetState(ctx, "lab", "base")
	if err != nil || !ok || f.Rel != "lab.sls" || f.Local != filepath.Join(r.cache, "files/base/lab.sls") {
		t.Errorf("get_state %+v %v %v", f, ok, err)
	}
}

func mapGet(m *data.Map, k string) any { v, _ := m.Get(k); return v }

// TestRemoteEndlessStreamRefused: a master that never sends the empty
// end chunk is cut off once it sent more than the file's size (from
// _file_find) plus a margin; nothing is installed.
func TestRemoteEndlessStreamRefused(t *testing.T) {
	r := startRemote(t)
	defer fileclient.SetDownloadSlack(2 << 20)()
	ctx := context.Background()
	chunk := fstest.Big(1 << 20)
	r.master.SetReplyHook(func(load *data.Map, reply any) any {
		if c, _ := load.String("cmd"); c == "_serve_file" {
			return data.M("data", chunk, "dest", "specprobe/f.txt")
		}
		return reply
	})
	_, err := r.fc.CacheFile(ctx, "salt://specprobe/f.txt", "base")
	if err == nil || !strings.Contains(err.Error(), "the master sent more than") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(r.cache, "files/base/specprobe/f.txt")); !os.IsNotExist(err) {
		t.Errorf("installed: %v", err)
	}
}

// BenchmarkRemoteCacheHit is one CacheFile of a cached, unchanged file
// through a saltgo minion's request channel to mastertest (_file_hash and
// _file_find round trips, the local hash).
func BenchmarkRemoteCacheHit(b *testing.B) {
	root := b.TempDir()
	fstest.Write(b, root, map[string]string{"a/f.txt": strings.Repeat("x", 4096)})
	rig := fctest.Start(b, map[string][]string{"base": {root}})
	fc := fileclient.NewRemote(rig.Minion, rig.Opts())
	ctx := context.Background()
	if _, err := fc.CacheFile(ctx, "salt://a/f.txt", "base"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := fc.CacheFile(ctx, "salt://a/f.txt", "base"); err != nil {
			b.Fatal(err)
		}
		rig.FileLoads()
	}
}
