package fileclient_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient"
	"github.com/saltgo/saltgo/fileserver"
	"github.com/saltgo/saltgo/fileserver/fstest"
)

// countingServer is a file server that counts the requests per cmd.
type countingServer struct {
	srv *fileserver.Roots
	mu  sync.Mutex
	n   map[string]int
}

func (c *countingServer) Request(ctx context.Context, load *data.Map) (any, error) {
	cmd, _ := load.String("cmd")
	c.mu.Lock()
	c.n[cmd]++
	c.mu.Unlock()
	return c.srv.Request(ctx, load)
}

// TestForRunAsksOncePerPath: a client made for a state run asks the file
// server for a path's hash and stat once, however often the run fetches
// it; a plain client asks every time, as Salt's does.
func TestForRunAsksOncePerPath(t *testing.T) {
	root := t.TempDir()
	fstest.Write(t, root, map[string]string{"a.txt": "a\n", "b.txt": "b\n"})
	opts := data.M("file_roots", data.M("base", []any{root}), "cachedir", t.TempDir(), "hash_type", "sha256")
	srv, err := fileserver.FromOpts(opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		forRun     bool
		hash, find int
	}{
		{"plain", false, 6, 6},
		{"for a run", true, 2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := &countingServer{srv: srv, n: map[string]int{}}
			o := opts.Copy()
			o.Set("cachedir", t.TempDir())
			fc := fileclient.NewRemote(cs, o)
			if tc.forRun {
				fc = fc.ForRun()
			}
			ctx := context.Background()
			for i := 0; i < 3; i++ {
				for _, f := range []string{"a.txt", "b.txt"} {
					p, err := fc.CacheFile(ctx, "salt://"+f, "base")
					if err != nil || filepath.Base(p) != f {
						t.Fatalf("CacheFile(%s) = %q, %v", f, p, err)
					}
				}
			}
			if cs.n["_file_hash"] != tc.hash || cs.n["_file_find"] != tc.find || cs.n["_serve_file"] != 4 {
				t.Errorf("requests %v, want _file_hash %d, _file_find %d, _serve_file 4", cs.n, tc.hash, tc.find)
			}
		})
	}
}
