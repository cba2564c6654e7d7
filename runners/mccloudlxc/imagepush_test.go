package mccloudlxc

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/internal/sshdtest"
	"github.com/saltgo/saltgo/lxc/provision"
)

// TestSyncImagesRsyncOverSSH pushes the controller's image to a real sshd
// on 127.0.0.1 with images_transfer: rsync.
func TestSyncImagesRsyncOverSSH(t *testing.T) {
	node := sshdtest.Start(t)
	r, got := imagesRig(t, false)
	lxcpath := t.TempDir()
	r.opts.Set(OptImagesTransfer, "rsync")
	r.opts.Set(OptRsyncHost, data.M("cn1", "127.0.0.1"))
	r.opts.Set(OptRsyncPort, int64(node.Port))
	r.opts.Set(OptRsyncKey, node.Key)
	r.opts.Set(OptRsyncKnownHosts, node.KnownHosts)
	r.opts.Set(OptRsyncLXCPath, lxcpath)
	img := filepath.Join(r.dir, "images", "makina-states-trusty")
	must(t, os.MkdirAll(filepath.Join(img, "rootfs", "etc"), 0o755))
	must(t, os.WriteFile(filepath.Join(img, "config"), []byte("lxc.uts.name = x\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(img, "rootfs", "etc", "hostname"), []byte("x\n"), 0o644))
	must(t, os.Symlink("hostname", filepath.Join(img, "rootfs", "etc", "name")))

	ret := r.call(t, "sync_images", "cn1")
	if !data.Truthy(mustGet(ret, "result")) {
		t.Fatalf("sync_images: %v", ret)
	}
	dst := filepath.Join(lxcpath, "makina-states-trusty")
	if b, _ := os.ReadFile(filepath.Join(dst, "rootfs", "etc", "hostname")); string(b) != "x\n" {
		t.Errorf("image not on the node: %q", b)
	}
	if l, _ := os.Readlink(filepath.Join(dst, "rootfs", "etc", "name")); l != "hostname" {
		t.Errorf("symlink on the node: %q", l)
	}
	ver, err := provision.ImageVersion(t.Context(), img)
	must(t, err)
	if v := provision.InstalledImageVersion(lxcpath, "makina-states-trusty"); v != ver {
		t.Errorf(".ms_version = %q, want %q", v, ver)
	}
	ch := data.Str(mustGet(ret, "changes"))
	if !strings.Contains(ch, "makina-states-trusty") || !strings.Contains(ch, ver) {
		t.Errorf("changes: %s", ch)
	}
	if len(*got) != 0 {
		t.Errorf("the node's configure_images was called: %v", *got)
	}
	// Unchanged: nothing pushed.
	before := r.progress.String()
	ret = r.call(t, "sync_images", "cn1")
	after := strings.TrimPrefix(r.progress.String(), before)
	if !data.Truthy(mustGet(ret, "result")) || strings.Contains(after, "pushed") || !strings.Contains(after, "image makina-states-trusty: ok (no changes)") {
		t.Errorf("second sync: %v\nprogress: %s", ret, after)
	}
	// A closed port: result False, a comment naming host and port.
	port := sshdtest.FreePort(t)
	r.opts.Set(OptRsyncPort, int64(port))
	must(t, os.WriteFile(filepath.Join(img, "rootfs", "etc", "hostname"), []byte("y\n"), 0o644))
	ret = r.call(t, "sync_images", "cn1")
	c := fmt.Sprint(mustGet(ret, "comment"))
	if mustGet(ret, "result") != false || !strings.Contains(c, fmt.Sprintf("root@127.0.0.1 port %d", port)) || !strings.Contains(c, "Connection refused") {
		t.Errorf("closed port: %v\ncomment:\n%s", mustGet(ret, "result"), c)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "rootfs", "etc", "hostname")); string(b) != "x\n" {
		t.Errorf("node changed by a failed sync: %q", b)
	}
	// A bad port option is refused before anything runs.
	r.opts.Set(OptRsyncPort, "ssh")
	ret = r.call(t, "sync_images", "cn1")
	if c := fmt.Sprint(mustGet(ret, "comment")); mustGet(ret, "result") != false || !strings.Contains(c, "mc_cloud_lxc.rsync_port: ssh is not a port") {
		t.Errorf("bad port option: comment:\n%s", c)
	}
}
