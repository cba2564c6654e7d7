package provision_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/saltgo/saltgo/internal/sshdtest"
	"github.com/saltgo/saltgo/lxc/provision"
)

func TestPushImageRsyncOverSSH(t *testing.T) {
	ctx := context.Background()
	node := sshdtest.Start(t)
	ctlDir := t.TempDir()
	src := filepath.Join(ctlDir, "img")
	imageTree(t, src)
	pastTimes(t, filepath.Join(src, "rootfs"))
	lxcpath := t.TempDir()
	push := provision.ImagePush{Name: "img", Source: src, LXCPath: lxcpath, Target: provision.SSHTarget{Host: "127.0.0.1", Port: node.Port, User: "root", Key: node.Key, KnownHosts: node.KnownHosts}}
	dst := filepath.Join(lxcpath, "img")

	res, err := provision.PushImage(ctx, push)
	if err != nil {
		t.Fatalf("first push: %v", err)
	}
	if !res.Changes.Has("created") || !res.Changes.Has("version") {
		t.Errorf("first push changes: %v", res.Changes)
	}
	want, got := describe(t, filepath.Join(src, "rootfs")), describe(t, filepath.Join(dst, "rootfs"))
	if want != got {
		t.Errorf("pushed tree differs\nsource:\n%s\nnode:\n%s", want, got)
	}
	for _, s := range []string{"bin/busybox f 4755", "bin/sh f 4755", "dev/null c 666", "lib l 777", "tmp d 1777", "usr/lib d 755 1234:5678", "etc/shadow f 640 0:42", "nlink=2", "xattr=cap"} {
		if !strings.Contains(got, s) {
			t.Errorf("node copy lacks %q:\n%s", s, got)
		}
	}
	ver, err := provision.ImageVersion(ctx, src)
	must(t, err)
	if v := provision.InstalledImageVersion(lxcpath, "img"); v != ver {
		t.Errorf(".ms_version on the node = %q, want %q", v, ver)
	}
	conf, err := os.ReadFile(filepath.Join(dst, "config"))
	must(t, err)
	if !strings.Contains(string(conf), "lxc.rootfs.path = dir:"+filepath.Join(dst, "rootfs")+"\n") || !strings.Contains(string(conf), dst+"/fstab") || strings.Contains(string(conf), src) {
		t.Errorf("node config not pointed at the node's copy:\n%s", conf)
	}
	if _, err := os.Stat(filepath.Join(dst, "saltgo-lxc.log")); err == nil {
		t.Error("the controller's log was pushed")
	}

	// Unchanged: nothing sent.
	res, err = provision.PushImage(ctx, push)
	if err != nil || res.Changes.Len() != 0 || !strings.Contains(res.Comment, "already up to date") {
		t.Fatalf("second push: %v, changes %v, comment %q", err, res.Changes, res.Comment)
	}

	// A change and a removal on the controller reach the node (in place,
	// --delete), the node's own log stays.
	must(t, os.WriteFile(filepath.Join(dst, "saltgo-lxc.log"), []byte("node log\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(src, "rootfs", "etc", "hostname"), []byte("img2\n"), 0o644))
	must(t, os.Remove(filepath.Join(src, "rootfs", "dev", "initctl")))
	res, err = provision.PushImage(ctx, push)
	if err != nil || !res.Changes.Has("version") || res.Changes.Has("created") {
		t.Fatalf("third push: %v, changes %v", err, res.Changes)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "rootfs", "etc", "hostname")); string(b) != "img2\n" {
		t.Errorf("hostname on the node = %q", b)
	}
	if _, err := os.Lstat(filepath.Join(dst, "rootfs", "dev", "initctl")); err == nil {
		t.Error("a file removed from the image stayed on the node")
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "saltgo-lxc.log")); string(b) != "node log\n" {
		t.Errorf("the node's log was touched: %q", b)
	}

	// rsync failing once ssh works: the exit code's meaning is in the
	// error (the remote message can be lost when the connection closes
	// first), nothing is created.
	missing := filepath.Join(t.TempDir(), "no-such-dir")
	p := push
	p.LXCPath = missing
	if res, err := provision.PushImage(ctx, p); err == nil || res.Result ||
		!strings.Contains(err.Error(), fmt.Sprintf("rsync to root@127.0.0.1 port %d failed", node.Port)) || !strings.Contains(err.Error(), "error in file I/O") {
		t.Errorf("push to a missing lxcpath: %v", err)
	}
	if _, err := os.Lstat(missing); err == nil {
		t.Error("a failed rsync created the node's lxcpath")
	}

	// Failures: the error names host, port and what ssh said; the node's
	// directory is left as it was.
	must(t, os.WriteFile(filepath.Join(src, "rootfs", "etc", "hostname"), []byte("img3\n"), 0o644))
	before := describe(t, dst)
	otherKey := filepath.Join(t.TempDir(), "other")
	sshdtest.Keygen(t, otherKey)
	closed := sshdtest.FreePort(t)
	for _, tc := range []struct {
		name string
		edit func(*provision.SSHTarget)
		want []string
	}{
		{"bad key", func(tg *provision.SSHTarget) { tg.Key = otherKey }, []string{fmt.Sprintf("root@127.0.0.1 port %d", node.Port), "Permission denied"}},
		{"closed port", func(tg *provision.SSHTarget) { tg.Port = closed }, []string{fmt.Sprintf("root@127.0.0.1 port %d", closed), "Connection refused"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := push
			tc.edit(&p.Target)
			res, err := provision.PushImage(ctx, p)
			if err == nil || res.Result {
				t.Fatalf("push succeeded: %v", res)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if after := describe(t, dst); after != before {
				t.Errorf("node directory changed\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

func TestPushImageRefusesConcurrentPush(t *testing.T) {
	ctlDir := t.TempDir()
	src := filepath.Join(ctlDir, "img")
	imageTree(t, src)
	f, err := os.OpenFile(filepath.Join(ctlDir, ".saltgo-push-img.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	must(t, err)
	defer f.Close()
	// Another process holds the lock: flock(1) from util-linux.
	hold := exec.Command("flock", "-x", f.Name(), "sleep", "30")
	must(t, hold.Start())
	defer func() { _ = hold.Process.Kill(); _ = hold.Wait() }()
	for i := 0; ; i++ {
		if exec.Command("flock", "-n", f.Name(), "true").Run() != nil {
			break
		}
		if i > 500 {
			t.Fatal("flock never took the lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, err = provision.PushImage(context.Background(), provision.ImagePush{Name: "img", Source: src, LXCPath: t.TempDir(),
		Target: provision.SSHTarget{Host: "127.0.0.1", Port: 1}})
	if !errors.Is(err, provision.ErrTransferInProgress) {
		t.Fatalf("err = %v, want Transfer already in progress", err)
	}
}

func TestPushImageBadInput(t *testing.T) {
	src := filepath.Join(t.TempDir(), "img")
	imageTree(t, src)
	for _, tc := range []struct {
		name string
		p    provision.ImagePush
		want string
	}{
		{"bad name", provision.ImagePush{Name: "../x", Source: src, LXCPath: "/var/lib/lxc", Target: provision.SSHTarget{Host: "h"}}, "name"},
		{"no host", provision.ImagePush{Name: "img", Source: src, LXCPath: "/var/lib/lxc"}, "invalid ssh host"},
		{"option as host", provision.ImagePush{Name: "img", Source: src, LXCPath: "/var/lib/lxc", Target: provision.SSHTarget{Host: "-oProxyCommand=x"}}, "invalid ssh host"},
		{"relative lxcpath", provision.ImagePush{Name: "img", Source: src, LXCPath: "lxc", Target: provision.SSHTarget{Host: "h"}}, "not absolute"},
		{"no rootfs", provision.ImagePush{Name: "img", Source: t.TempDir(), LXCPath: "/var/lib/lxc", Target: provision.SSHTarget{Host: "h"}}, "no rootfs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := provision.PushImage(context.Background(), tc.p)
			if err == nil || res.Result || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v (result %v), want %q", err, res.Result, tc.want)
			}
		})
	}
}

// pastTimes sets every entry below dir (symlinks themselves included) to
// one whole second in the past. rsync compares the times of directories,
// devices and symlinks at whole seconds: an entry made in the same second
// as its source keeps its own sub-second time, so a tree pushed right
// after it was made would differ by chance, not by a fault of the push.
func pastTimes(t *testing.T, dir string) {
	t.Helper()
	ts := []unix.Timespec{unix.NsecToTimespec(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano())}
	ts = append(ts, ts[0])
	var paths []string
	if err := filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		paths = append(paths, p)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for i := len(paths) - 1; i >= 0; i-- {
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, paths[i], ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			t.Fatalf("set times of %s: %v", paths[i], err)
		}
	}
}
