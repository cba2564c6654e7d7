package provision_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient"
	"github.com/saltgo/saltgo/lxc/liblxc"
	"github.com/saltgo/saltgo/lxc/lxctest"
	"github.com/saltgo/saltgo/lxc/provision"
	"github.com/saltgo/saltgo/modules/mccloudlxc"
)

// benchImage writes a container directory of about mb megabytes: a
// rootfs of directories with files from 1 KB to 4 MB (incompressible
// bytes) and symlinks, like a small distribution tree.
func benchImage(b *testing.B, dir string, mb int) {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 4<<20)
	for i := range buf {
		buf[i] = byte(rng.Uint32())
	}
	must(b, os.MkdirAll(filepath.Join(dir, "rootfs"), 0o755))
	must(b, os.WriteFile(filepath.Join(dir, "config"), []byte("lxc.uts.name = bench\n"), 0o644))
	left, n := int64(mb)<<20, 0
	for left > 0 {
		d := filepath.Join(dir, "rootfs", "usr", "lib", strconv.Itoa(n/50))
		if n%50 == 0 {
			must(b, os.MkdirAll(d, 0o755))
		}
		size := int64(1 << (10 + rng.IntN(13))) // 1 KB .. 4 MB
		size = min(size, left)
		p := filepath.Join(d, fmt.Sprintf("f%d.so", n))
		must(b, os.WriteFile(p, buf[:size], 0o644))
		if n%10 == 0 {
			must(b, os.Symlink(filepath.Base(p), p+".1"))
		}
		left -= size
		n++
	}
}

// BenchmarkImageSync compares the image sync (pack to an archive with
// its hash, fetch through the file server's chunked _serve_file path
// with a local file client, verify, unpack beside, swap) with
// `tar -c | tar -x` of the same tree, and measures a second sync of the
// unchanged image (version walk on the controller, version check on the
// node: nothing sent). The tree is SALTGO_BENCH_IMAGE_MB megabytes (200).
//
//	go test -run '^$' -bench ImageSync -benchtime 1x ./lxc/provision/
func BenchmarkImageSync(b *testing.B) {
	lxctest.Require(b)
	mb := 200
	if s := os.Getenv("SALTGO_BENCH_IMAGE_MB"); s != "" {
		mb, _ = strconv.Atoi(s)
	}
	ctx := context.Background()
	root := b.TempDir()
	src := filepath.Join(root, "ctl", "img")
	benchImage(b, src, mb)
	var tarTime time.Duration
	b.Run("tar-pipe", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			dst := filepath.Join(root, "tar", strconv.Itoa(i))
			must(b, os.MkdirAll(dst, 0o755))
			start := time.Now()
			cmd := exec.Command("sh", "-c", `tar -c --xattrs --numeric-owner -C "$1" . | tar -x --xattrs --numeric-owner -p -C "$2"`, "sh", src, dst)
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("tar: %v %s", err, out)
			}
			tarTime += time.Since(start)
			b.StopTimer()
			must(b, os.RemoveAll(dst))
			b.StartTimer()
		}
		tarTime /= time.Duration(b.N)
		b.ReportMetric(float64(mb)/tarTime.Seconds(), "MB/s")
	})
	archives := filepath.Join(root, "archives")
	fc, err := fileclient.NewLocal(data.M("file_roots", data.M("images", []any{archives}), "cachedir", filepath.Join(root, "cache")))
	must(b, err)
	install := func(b *testing.B, c *liblxc.Client) *provision.StepResult {
		a, err := provision.PrepareImageArchive(ctx, "img", src, filepath.Join(archives, "img"), nil)
		must(b, err)
		r, err := provision.InstallImage(ctx, c, provision.ImageInstall{Name: "img", Version: a.Version, SHA256: a.SHA256, SourceDir: src,
			Fetch: func(ctx context.Context, dest string) (bool, error) {
				return mccloudlxc.FetchArchive(ctx, fc, "salt://img/"+a.Version+".tar", "images", a.SHA256, dest)
			}})
		must(b, err)
		return r
	}
	b.Run("sync", func(b *testing.B) {
		var took time.Duration
		for i := 0; i < b.N; i++ {
			c := &liblxc.Client{LXCPath: filepath.Join(root, "node", strconv.Itoa(i))}
			must(b, os.RemoveAll(archives))
			start := time.Now()
			if r := install(b, c); !r.Changed() {
				b.Fatalf("first sync changed nothing: %+v", r)
			}
			took += time.Since(start)
			b.StopTimer()
			must(b, os.RemoveAll(c.Path()))
			b.StartTimer()
		}
		took /= time.Duration(b.N)
		b.ReportMetric(float64(mb)/took.Seconds(), "MB/s")
		if tarTime > 0 {
			b.ReportMetric(took.Seconds()/tarTime.Seconds(), "x-tar-time")
		}
	})
	b.Run("resync-unchanged", func(b *testing.B) {
		c := &liblxc.Client{LXCPath: filepath.Join(root, "node", "resync")}
		install(b, c)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if r := install(b, c); r.Changed() {
				b.Fatalf("unchanged image changed: %+v", r)
			}
		}
	})
}
