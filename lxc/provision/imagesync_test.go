package provision_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/saltgo/saltgo/lxc/liblxc"
	"github.com/saltgo/saltgo/lxc/lxctest"
	"github.com/saltgo/saltgo/lxc/provision"
)

// imageTree makes a container directory with every kind of entry a rootfs
// needs kept: owners, set-id and sticky modes, symlinks, hard links,
// devices, a FIFO and an extended attribute.
func imageTree(t testing.TB, dir string) {
	t.Helper()
	root := filepath.Join(dir, "rootfs")
	for _, d := range []string{"etc", "bin", "dev", "tmp", "usr/lib"} {
		must(t, os.MkdirAll(filepath.Join(root, d), 0o755))
	}
	must(t, os.WriteFile(filepath.Join(dir, "config"), []byte("lxc.rootfs.path = dir:"+root+"\nlxc.mount.fstab = "+dir+"/fstab\nlxc.uts.name = src\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "etc", "hostname"), []byte("img\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(root, "bin", "busybox"), bytes.Repeat([]byte("x"), 100000), 0o755))
	must(t, unix.Chmod(filepath.Join(root, "bin", "busybox"), 0o4755))
	must(t, os.Link(filepath.Join(root, "bin", "busybox"), filepath.Join(root, "bin", "sh")))
	must(t, os.Symlink("usr/lib", filepath.Join(root, "lib")))
	must(t, unix.Chmod(filepath.Join(root, "tmp"), 0o1777))
	must(t, os.WriteFile(filepath.Join(root, "etc", "shadow"), []byte("root:*:1::::::\n"), 0o640))
	must(t, os.Lchown(filepath.Join(root, "etc", "shadow"), 0, 42))
	must(t, os.Lchown(filepath.Join(root, "usr", "lib"), 1234, 5678))
	must(t, unix.Mknod(filepath.Join(root, "dev", "null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
	must(t, unix.Mknod(filepath.Join(root, "dev", "loop0"), unix.S_IFBLK|0o660, int(unix.Mkdev(7, 0))))
	must(t, unix.Mkfifo(filepath.Join(root, "dev", "initctl"), 0o600))
	must(t, unix.Chmod(filepath.Join(root, "dev", "null"), 0o666))
	must(t, unix.Chmod(filepath.Join(root, "dev", "loop0"), 0o660))
	must(t, unix.Lsetxattr(filepath.Join(root, "bin", "busybox"), "user.saltgo", []byte("cap"), 0))
	must(t, os.WriteFile(filepath.Join(dir, "saltgo-lxc.log"), []byte("log of the source\n"), 0o644))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// describe lists a tree as `find -printf` sees it (type, mode, owner,
// size, mtime, rdev, link target, hard link count) plus xattrs.
func describe(t testing.TB, root string) string {
	t.Helper()
	out, err := exec.Command("find", root, "-mindepth", "1", "-printf", "%P %y %m %U:%G %s %T@ %D?%n %l\n").Output()
	if err != nil {
		t.Fatalf("find: %v", err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(l)
		p := filepath.Join(root, f[0])
		var st syscall.Stat_t
		must(t, syscall.Lstat(p, &st))
		if f[1] == "d" {
			f[4] = "-" // directory sizes depend on the filesystem
		}
		f[6] = fmt.Sprintf("rdev=%d nlink=%d", st.Rdev, st.Nlink)
		v := make([]byte, 64)
		if n, err := unix.Lgetxattr(p, "user.saltgo", v); err == nil {
			f = append(f, "xattr="+string(v[:n]))
		}
		lines = append(lines, strings.Join(f, " "))
	}
	return strings.Join(lines, "\n")
}

func TestPackUnpackImageKeepsEverything(t *testing.T) {
	ctx := context.Background()
	src := filepath.Join(t.TempDir(), "img")
	imageTree(t, src)
	var buf bytes.Buffer
	must(t, provision.PackImage(ctx, src, &buf))
	dst := filepath.Join(t.TempDir(), "copy")
	must(t, provision.UnpackImage(ctx, bytes.NewReader(buf.Bytes()), dst))
	want, got := describe(t, filepath.Join(src, "rootfs")), describe(t, filepath.Join(dst, "rootfs"))
	if want != got {
		t.Errorf("unpacked tree differs\nsource:\n%s\ncopy:\n%s", want, got)
	}
	for _, s := range []string{"bin/busybox f 4755", "bin/sh f 4755", "dev/null c 666", "dev/loop0 b 660", "dev/initctl p 600", "lib l 777", "tmp d 1777", "usr/lib d 755 1234:5678", "etc/shadow f 640 0:42", "nlink=2", "xattr=cap"} {
		if !strings.Contains(got, s) {
			t.Errorf("copy lacks %q:\n%s", s, got)
		}
	}
	if _, err := os.Stat(filepath.Join(dst, "saltgo-lxc.log")); err == nil {
		t.Error("the source's log was packed")
	}
	// The same tree gives the same version; any change a new one.
	v1, err := provision.ImageVersion(ctx, src)
	must(t, err)
	if v2, _ := provision.ImageVersion(ctx, dst); v2 != v1 {
		t.Errorf("copy's version %s != source's %s", v2, v1)
	}
	must(t, os.Chmod(filepath.Join(src, "rootfs", "etc", "hostname"), 0o600))
	if v3, _ := provision.ImageVersion(ctx, src); v3 == v1 {
		t.Error("a mode change kept the version")
	}
}

func TestUnpackImageRefusesEscapes(t *testing.T) {
	for _, name := range []string{"../evil", "/etc/evil", "rootfs/../../evil"} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			cmd := exec.Command("tar", "-c", "-P", "--transform", "s,^x,"+name+",", "x")
			cmd.Dir = t.TempDir()
			must(t, os.WriteFile(filepath.Join(cmd.Dir, "x"), []byte("x"), 0o644))
			cmd.Stdout = &buf
			must(t, cmd.Run())
			err := provision.UnpackImage(context.Background(), &buf, filepath.Join(t.TempDir(), "d"))
			if err == nil || !strings.Contains(err.Error(), "unsafe entry name") {
				t.Errorf("%s: %v", name, err)
			}
		})
	}
}

func TestUnpackImageRefusesWritesThroughSymlinks(t *testing.T) {
	dir := t.TempDir()
	must(t, os.Symlink(dir, filepath.Join(dir, "x")))
	var buf bytes.Buffer
	// x -> <dir> then x/evil: a write outside the unpack directory.
	cmd := exec.Command("sh", "-c", `tar -c x > "$1" && mkdir -p "$2/x" && echo evil > "$2/x/evil" && tar -r -C "$2" -f "$1" x/evil && cat "$1"`, "sh", filepath.Join(t.TempDir(), "a.tar"), t.TempDir())
	cmd.Dir = dir
	cmd.Stdout = &buf
	must(t, cmd.Run())
	err := provision.UnpackImage(context.Background(), &buf, filepath.Join(t.TempDir(), "d"))
	if err == nil || !strings.Contains(err.Error(), `unsafe entry name "x/evil" (below the symlink x)`) {
		t.Errorf("write through a symlink: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "evil")); err == nil {
		t.Error("written outside the unpack directory")
	}
}

// archiveFetch serves an ImageArchive's file, optionally altered.
func archiveFetch(a *provision.ImageArchive, alter func([]byte) ([]byte, error)) func(context.Context, string) (bool, error) {
	return func(_ context.Context, dest string) (bool, error) {
		b, err := os.ReadFile(a.Path)
		if err != nil {
			return false, err
		}
		if alter != nil {
			if b, err = alter(b); err != nil {
				return false, err
			}
		}
		return false, os.WriteFile(dest, b, 0o600)
	}
}

func install(a *provision.ImageArchive, fetch func(context.Context, string) (bool, error)) provision.ImageInstall {
	return provision.ImageInstall{Name: a.Name, Version: a.Version, SHA256: a.SHA256, SourceDir: a.SourceDir, Fetch: fetch}
}

func TestInstallImage(t *testing.T) {
	lxctest.Require(t)
	ctx := context.Background()
	ctl := t.TempDir()
	src := filepath.Join(ctl, "lxc", "img")
	imageTree(t, src)
	out := filepath.Join(ctl, "archives", "img")
	a, err := provision.PrepareImageArchive(ctx, "img", src, out, nil)
	must(t, err)
	if !a.Packed || a.Size == 0 {
		t.Fatalf("first prepare: %+v", a)
	}
	if again, err := provision.PrepareImageArchive(ctx, "img", src, out, nil); err != nil || again.Packed || again.SHA256 != a.SHA256 {
		t.Fatalf("second prepare of an unchanged image: %+v %v", again, err)
	}
	c := &liblxc.Client{LXCPath: filepath.Join(t.TempDir(), "lxc")}
	dst := filepath.Join(c.Path(), "img")

	fetches := 0
	counted := func(ctx context.Context, dest string) (bool, error) {
		fetches++
		return archiveFetch(a, nil)(ctx, dest)
	}
	r, err := provision.InstallImage(ctx, c, install(a, counted))
	if err != nil || !r.Result || r.Changes.Len() == 0 {
		t.Fatalf("first install: %v %+v", err, r)
	}
	if want, got := describe(t, filepath.Join(src, "rootfs")), describe(t, filepath.Join(dst, "rootfs")); want != got {
		t.Errorf("installed image differs\nsource:\n%s\ninstalled:\n%s", want, got)
	}
	conf, _ := os.ReadFile(filepath.Join(dst, "config"))
	for _, want := range []string{"lxc.rootfs.path = dir:" + dst + "/rootfs", "lxc.uts.name = img", "lxc.mount.fstab = " + dst + "/fstab"} {
		if !strings.Contains(string(conf), want) {
			t.Errorf("config lacks %q:\n%s", want, conf)
		}
	}
	if v := provision.InstalledImageVersion(c.Path(), "img"); v != a.Version {
		t.Errorf("version file %q, want %q", v, a.Version)
	}

	// Unchanged: nothing fetched, no changes.
	r, err = provision.InstallImage(ctx, c, install(a, counted))
	if err != nil || !r.Result || r.Changes.Len() != 0 || fetches != 1 {
		t.Fatalf("second install: %v %+v, %d fetches", err, r, fetches)
	}

	// A new version whose transfer is corrupted, truncated or cut leaves
	// the installed image as it was.
	before := describe(t, dst)
	must(t, os.WriteFile(filepath.Join(src, "rootfs", "etc", "hostname"), []byte("img v2\n"), 0o644))
	a2, err := provision.PrepareImageArchive(ctx, "img", src, out, nil)
	must(t, err)
	if a2.Version == a.Version || !a2.Packed {
		t.Fatalf("changed image kept version %s", a2.Version)
	}
	if _, err := os.Stat(a.Path); err == nil {
		t.Error("the previous version's archive was kept")
	}
	for _, tc := range []struct {
		name  string
		fetch func(context.Context, string) (bool, error)
		want  string
	}{
		{"corrupted", archiveFetch(a2, func(b []byte) ([]byte, error) { b[len(b)/2] ^= 1; return b, nil }), "archive verification failed"},
		{"truncated", archiveFetch(a2, func(b []byte) ([]byte, error) { return b[:len(b)/2], nil }), "archive verification failed"},
		{"interrupted", archiveFetch(a2, func(b []byte) ([]byte, error) { return nil, io.ErrUnexpectedEOF }), "transfer failed, previous image kept"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := provision.InstallImage(ctx, c, install(a2, tc.fetch))
			if err == nil || r.Result || !strings.Contains(r.Comment, tc.want) {
				t.Fatalf("%v %+v", err, r)
			}
			if after := describe(t, dst); after != before {
				t.Errorf("image changed by a failed sync:\n%s", after)
			}
			if ents, _ := os.ReadDir(c.Path()); len(ents) != 2 { // img and its lock
				t.Errorf("left behind: %v", ents)
			}
		})
	}

	// A sync of the same image while one runs is refused.
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		_, err := provision.InstallImage(ctx, c, install(a2, func(ctx context.Context, dest string) (bool, error) {
			close(started)
			<-release
			return archiveFetch(a2, nil)(ctx, dest)
		}))
		done <- err
	}()
	<-started
	r, err = provision.InstallImage(ctx, c, install(a2, archiveFetch(a2, nil)))
	if !errors.Is(err, provision.ErrTransferInProgress) || !strings.Contains(r.Comment, "Transfer already in progress") {
		t.Errorf("concurrent sync: %v %+v", err, r)
	}
	close(release)
	must(t, <-done)
	if b, _ := os.ReadFile(filepath.Join(dst, "rootfs", "etc", "hostname")); string(b) != "img v2\n" {
		t.Errorf("new version not swapped in: %q", b)
	}

	// A swap interrupted between its renames is repaired by the next sync.
	work := filepath.Join(c.Path(), ".saltgo-sync-img")
	must(t, os.MkdirAll(work, 0o700))
	must(t, os.Rename(dst, filepath.Join(work, "old")))
	r, err = provision.InstallImage(ctx, c, install(a2, counted))
	if err != nil || r.Changes.Len() != 0 {
		t.Errorf("repair: %v %+v", err, r)
	}
	if _, err := os.Stat(work); err == nil {
		t.Error("work directory left behind")
	}
}

func TestPrepareImageArchiveBadInput(t *testing.T) {
	_, err := provision.PrepareImageArchive(context.Background(), "img", filepath.Join(t.TempDir(), "none"), t.TempDir(), nil)
	if err == nil || !strings.Contains(err.Error(), "has no rootfs directory") {
		t.Errorf("missing source: %v", err)
	}
	// Another runner packing the same image: refused, nothing written.
	src := filepath.Join(t.TempDir(), "img")
	imageTree(t, src)
	out := t.TempDir()
	lock, err := os.OpenFile(filepath.Join(out, ".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	must(t, err)
	defer lock.Close()
	must(t, unix.Flock(int(lock.Fd()), unix.LOCK_EX))
	_, err = provision.PrepareImageArchive(context.Background(), "img", src, out, nil)
	if !errors.Is(err, provision.ErrTransferInProgress) || !strings.Contains(err.Error(), "Transfer already in progress: image img is being packed") {
		t.Errorf("concurrent pack: %v", err)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 1 {
		t.Errorf("written: %v", ents)
	}
}
