package fileserver_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileserver"
	"github.com/saltgo/saltgo/fileserver/fstest"
	"github.com/saltgo/saltgo/transport/payload"
)

func roots(t *testing.T) (*fileserver.Roots, string) {
	root := fstest.Tree(t)
	return &fileserver.Roots{Roots: map[string][]string{"base": {root}}, FollowSymlinks: true, HashType: "sha256"}, root
}

func sum(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

// TestListingsAsRecorded: the spec §1.2 live replies for the recorded tree.
func TestListingsAsRecorded(t *testing.T) {
	r, _ := roots(t)
	for _, tc := range []struct {
		load *data.Map
		want any
	}{
		{data.M("cmd", "_file_list", "saltenv", "base", "prefix", "specprobe"), []any{"specprobe/big.txt", "specprobe/f.txt", "specprobe/link.txt"}},
		{data.M("cmd", "_file_list", "saltenv", "base"), []any{"hello.txt", "lab.sls", "specprobe/big.txt", "specprobe/f.txt", "specprobe/link.txt", "top.sls"}},
		{data.M("cmd", "_file_list", "saltenv", "base", "prefix", "spec"), []any{"specprobe/big.txt", "specprobe/f.txt", "specprobe/link.txt"}},
		{data.M("cmd", "_file_list", "saltenv", "base", "prefix", "/specprobe/"), []any{"specprobe/big.txt", "specprobe/f.txt", "specprobe/link.txt"}},
		{data.M("cmd", "_file_list", "saltenv", "nope", "prefix", ""), []any{}},
		{data.M("cmd", "_file_list"), []any{}},
		{data.M("cmd", "_file_list_emptydirs", "saltenv", "base", "prefix", ""), []any{"specprobe/sub/empty"}},
		{data.M("cmd", "_dir_list", "saltenv", "base", "prefix", ""), []any{"specprobe", "specprobe/sub", "specprobe/sub/empty"}},
		{data.M("cmd", "_symlink_list", "saltenv", "base", "prefix", ""), data.M("specprobe/link.txt", "f.txt")},
		{data.M("cmd", "_symlink_list", "saltenv", "base", "prefix", "x"), data.NewMap()},
		{data.M("cmd", "_file_envs"), []any{"base"}},
		{data.M("cmd", "_file_hash", "saltenv", "base", "path", "specprobe/f.txt"), data.M("hash_type", "sha256", "hsum", sum(fstest.F))},
		{data.M("cmd", "_file_hash", "saltenv", "base", "path", "specprobe/nope.txt"), ""},
		{data.M("cmd", "_file_hash", "saltenv", "base", "path", "/etc/passwd"), ""},
		{data.M("cmd", "_file_hash", "saltenv", "base", "path", "specprobe/../../x"), ""},
		{data.M("cmd", "_file_hash", "saltenv", "dev", "path", "specprobe/f.txt?saltenv=base"), data.M("hash_type", "sha256", "hsum", sum(fstest.F))},
		{data.M("cmd", "_file_hash", "saltenv", "base", "path", "specprobe/f.txt?index=1"), ""},
		{data.M("cmd", "_file_find", "saltenv", "base", "path", "specprobe/nope"), data.M("path", "", "rel", "")},
		{data.M("cmd", "_file_hash_and_stat", "saltenv", "base", "path", "nope"), []any{"", nil}},
		{data.M("cmd", "_serve_file", "saltenv", "base", "path", "specprobe/f.txt", "loc", int64(0)), data.M("data", []byte(fstest.F), "dest", "specprobe/f.txt")},
		{data.M("cmd", "_serve_file", "saltenv", "base", "path", "specprobe/f.txt", "loc", int64(12)), data.M("data", []byte{}, "dest", "specprobe/f.txt")},
		{data.M("cmd", "_serve_file", "saltenv", "base", "path", "specprobe/link.txt", "loc", int64(0)), data.M("data", []byte(fstest.F), "dest", "specprobe/link.txt")},
		{data.M("cmd", "_serve_file", "saltenv", "base", "path", "nope", "loc", int64(0)), data.M("data", "", "dest", "")},
		{data.M("cmd", "_serve_file", "saltenv", "base", "path", "specprobe/f.txt"), data.M("data", "", "dest", "")},
		{data.M("cmd", "_nonexistent"), data.NewMap()},
		{data.M("cmd", "_master_opts"), data.NewMap()},
	} {
		got := r.Serve(tc.load)
		if !payload.Equal(got, tc.want) {
			t.Errorf("%s: got %s, want %s", data.Repr(tc.load), data.Repr(got), data.Repr(tc.want))
		}
	}
}

func TestFindStat(t *testing.T) {
	r, root := roots(t)
	got := r.Serve(data.M("cmd", "_file_find", "saltenv", "base", "path", "specprobe/f.txt")).(*data.Map)
	if p, _ := got.String("path"); p != filepath.Join(root, "specprobe/f.txt") {
		t.Errorf("path %q", p)
	}
	st, _ := got.Get("stat")
	l, ok := st.([]any)
	if !ok || len(l) != 10 {
		t.Fatalf("stat %s", data.Repr(st))
	}
	if mode, _ := data.AsInt(l[0]); mode != 0o100644 {
		t.Errorf("mode %o", mode)
	}
	if size, _ := data.AsInt(l[6]); size != int64(len(fstest.F)) {
		t.Errorf("size %d", size)
	}
	if b, _ := got.String("back"); b != "roots" {
		t.Errorf("back %q", b)
	}
}

func TestServeChunksAndGzip(t *testing.T) {
	r, _ := roots(t)
	r.BufferSize = 100000
	var all []byte
	for loc := int64(0); ; {
		m := r.Serve(data.M("cmd", "_serve_file", "saltenv", "base", "path", "specprobe/big.txt", "loc", loc, "gzip", int64(5))).(*data.Map)
		d, _ := m.Get("data")
		b := d.([]byte)
		if len(b) == 0 {
			if m.Has("gzip") {
				t.Error("empty chunk marked gzip")
			}
			break
		}
		if g, _ := m.Get("gzip"); !payload.Equal(g, int64(5)) {
			t.Fatalf("gzip %v", g)
		}
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if len(plain) > 100000 {
			t.Fatalf("chunk of %d", len(plain))
		}
		all = append(all, plain...)
		loc += int64(len(plain))
	}
	if !bytes.Equal(all, fstest.Big(fstest.BigSize)) {
		t.Error("reassembled content differs")
	}
}

func TestEnvAndIgnore(t *testing.T) {
	base := t.TempDir()
	fstest.Write(t, base, map[string]string{"dev/a.sls": "a", "prod/b.sls": "b", "dev/skip.bak": "x", "dev/.git/c": "x"})
	r := &fileserver.Roots{Roots: map[string][]string{"__env__": {filepath.Join(base, "__env__")}}, FollowSymlinks: true,
		IgnoreGlob: []string{"*.bak"}, IgnoreRegex: []*regexp.Regexp{regexp.MustCompile(`(^|/)\.git($|/)`)}}
	got := r.Serve(data.M("cmd", "_file_list", "saltenv", "dev"))
	if !payload.Equal(got, []any{"a.sls"}) {
		t.Errorf("dev: %s", data.Repr(got))
	}
	got = r.Serve(data.M("cmd", "_file_list", "saltenv", "prod"))
	if !payload.Equal(got, []any{"b.sls"}) {
		t.Errorf("prod: %s", data.Repr(got))
	}
	if h := r.Serve(data.M("cmd", "_file_hash", "saltenv", "dev", "path", "skip.bak")); h != "" {
		t.Errorf("ignored file hashed: %s", data.Repr(h))
	}
}

func TestFromOpts(t *testing.T) {
	r, err := fileserver.FromOpts(data.M("file_roots", data.M("base", []any{"/srv/salt"}, "x", "notalist"),
		"file_ignore_regex", []any{"^a"}, "fileserver_followsymlinks", false, "hash_type", "md5"))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Roots["base"]) != 1 || r.FollowSymlinks || r.HashType != "md5" || len(r.IgnoreRegex) != 1 || r.BufferSize != fileserver.DefaultBufferSize {
		t.Errorf("%+v", r)
	}
	for _, bad := range []*data.Map{
		data.M("file_roots", "x"),
		data.M("file_roots", data.M("base", []any{int64(1)})),
		data.M("file_ignore_regex", []any{"("}),
	} {
		if _, err := fileserver.FromOpts(bad); err == nil {
			t.Errorf("%s: no error", data.Repr(bad))
		}
	}
}

func TestSymlinkOutsideRoot(t *testing.T) {
	r, root := roots(t)
	outside := t.TempDir()
	fstest.Write(t, outside, map[string]string{"secret": "s"})
	if err := os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "out")); err != nil {
		t.Fatal(err)
	}
	got := r.Serve(data.M("cmd", "_symlink_list", "saltenv", "base"))
	if !payload.Equal(got, data.M("specprobe/link.txt", "f.txt")) {
		t.Errorf("links: %s", data.Repr(got))
	}
}
