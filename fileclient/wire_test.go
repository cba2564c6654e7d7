package fileclient_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient"
	"github.com/saltgo/saltgo/fileclient/fctest"
	"github.com/saltgo/saltgo/fileserver/fstest"
	"github.com/saltgo/saltgo/transport/payload"
	"github.com/saltgo/saltgo/transport/wiretest"
)

// recordedLoads returns the recorded file-server request loads (3007.14
// fileserver.json) by step label.
func recordedLoads(t *testing.T) map[string]*data.Map {
	t.Helper()
	conv := wiretest.Load(t, "3007.14", "fileserver.json")
	out := map[string]*data.Map{}
	for _, m := range conv.Messages {
		if m.Kind() != "aes_request" {
			continue
		}
		v, err := wiretest.View(m.Field("plaintext", "load"))
		if err != nil {
			t.Fatal(err)
		}
		sv, err := wiretest.View(m.Field("step"))
		if err != nil {
			t.Fatal(err)
		}
		out[data.Str(sv)] = v.(*data.Map)
	}
	return out
}

// TestLoadsAsRecorded: the loads the remote client sends through a saltgo
// minion's request channel have the keys, key order and values (but the
// channel's nonce, ts, tok, the minion id and master_tops' opts) of the
// loads a Python minion's RemoteClient sent in the recording, for the same
// operations on the same tree: the chunk offsets of a gzip download of a
// 1.3 MB file included.
func TestLoadsAsRecorded(t *testing.T) {
	rec := recordedLoads(t)
	root := fstest.RecordedTree(t)
	rig := fctest.Start(t, fstest.RecordedRoots(root))
	fc := fileclient.NewRemote(rig.Minion, rig.Opts())
	ctx := context.Background()
	dest := t.TempDir()
	rig.FileLoads()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		do    func() error
		steps []string // the recorded steps of the loads sent, in order ("" = not recorded)
	}{
		{func() error { _, err := fc.Envs(ctx); return err }, []string{"_file_envs"}},
		{func() error { _, err := fc.FileList(ctx, "base", ""); return err }, []string{"_file_list base no prefix"}},
		{func() error { _, err := fc.FileList(ctx, "base", "files/sub"); return err }, []string{"_file_list base prefix files/sub"}},
		{func() error { _, err := fc.FileList(ctx, "prod", ""); return err }, []string{"_file_list prod"}},
		{func() error { _, err := fc.FileList(ctx, "nosuchenv", ""); return err }, []string{"_file_list unknown env"}},
		{func() error { _, err := fc.EmptyDirs(ctx, "base", ""); return err }, []string{"_file_list_emptydirs base"}},
		{func() error { _, err := fc.DirList(ctx, "base", ""); return err }, []string{"_dir_list base"}},
		{func() error { _, err := fc.DirList(ctx, "base", "files"); return err }, []string{"_dir_list base prefix files"}},
		{func() error { _, err := fc.SymlinkList(ctx, "base", ""); return err }, []string{"_symlink_list base"}},
		{func() error { _, err := fc.HashFile(ctx, "salt://files/hello.txt", "prod"); return err }, []string{"_file_hash present prod"}},
		{func() error { _, err := fc.StatFile(ctx, "salt://files/missing.txt", "base"); return err }, []string{"_file_find missing"}},
		{func() error {
			_, err := fc.GetFile(ctx, "salt://files/hello.txt", filepath.Join(dest, "h"), false, "base", 0)
			return err
		},
			[]string{"_file_hash present", "_file_find present", "_serve_file hello loc 0", "_serve_file hello loc 12 (EOF)"}},
		{func() error {
			_, err := fc.GetFile(ctx, "salt://files/hello.txt", filepath.Join(dest, "hz"), false, "base", 1)
			return err
		},
			[]string{"_file_hash present", "_file_find present", "_serve_file hello gzip loc 0", "_serve_file hello gzip loc 12 (EOF)"}},
		{func() error {
			_, err := fc.GetFile(ctx, "salt://files/empty.txt", filepath.Join(dest, "e"), false, "base", 0)
			return err
		},
			[]string{"", "", "_serve_file empty loc 0"}},
		{func() error {
			_, err := fc.GetFile(ctx, "salt://files/hello.txt", filepath.Join(dest, "p"), false, "prod", 0)
			return err
		},
			[]string{"_file_hash present prod", "", "_serve_file prod hello loc 0", ""}},
		{func() error {
			_, err := fc.GetFile(ctx, "salt://files/big.txt", filepath.Join(dest, "b"), false, "base", 1)
			return err
		}, []string{"", "", "_serve_file big gzip loc 0", "_serve_file big gzip loc 1048576", "_serve_file big gzip loc 1300000 (EOF)"}},
		{func() error {
			p, err := fc.GetFile(ctx, "salt://files/missing.txt", filepath.Join(dest, "m"), false, "base", 0)
			if p != "" {
				return fmt.Errorf("missing file fetched to %q", p)
			}
			return err
		}, []string{"_file_hash missing", "_file_find missing"}},
		{func() error { _, err := fc.MasterOpts(ctx); return err }, []string{"_master_opts"}},
		{func() error { _, err := fc.MasterTops(ctx, data.M("os", "Debian", "id", "minion1")); return err }, []string{"_master_tops"}},
	} {
		must(tc.do())
		got := rig.FileLoads()
		if len(got) != len(tc.steps) {
			t.Errorf("%v: sent %v", tc.steps, fctest.Cmds(got))
			continue
		}
		for i, step := range tc.steps {
			if step == "" {
				continue
			}
			want, ok := rec[step]
			if !ok {
				t.Fatalf("no recorded step %q", step)
			}
			if a, b := fmt.Sprint(got[i].Keys()), fmt.Sprint(want.Keys()); a != b {
				t.Errorf("%s: keys %s, recorded %s", step, a, b)
				continue
			}
			for _, k := range want.Keys() {
				switch k {
				case "nonce", "ts", "tok", "id", "opts":
					continue
				}
				g, _ := got[i].Get(k)
				w, _ := want.Get(k)
				if !payload.Equal(g, w) {
					t.Errorf("%s: %v = %s, recorded %s", step, k, data.Repr(g), data.Repr(w))
				}
			}
		}
	}
}
