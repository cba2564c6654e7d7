package provision

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/saltgo/saltgo/atomicfile"
	"github.com/saltgo/saltgo/lxc/liblxc"
	"github.com/saltgo/saltgo/revert"

	"golang.org/x/sys/unix"

	"github.com/saltgo/saltgo/data"
)

// Image is one origin container (makina-states-precise...) kept in sync
// with a source container directory (its config and rootfs, as the
// controller's /var/lib/lxc/<image> that makina-states' sync_images
// copied to every compute node).
type Image struct {
	// Name is the origin container's name on the node.
	Name string
	// Source is the source container directory (it holds config and
	// rootfs/).
	Source string
}

// SyncOptions tune SyncImage.
type SyncOptions struct {
	// Rsync is the rsync binary; "" looks it up in PATH, "-" forces the
	// built-in Go copy (also used when rsync is not installed).
	Rsync string
}

// imageExcludes are the top-level files of a container directory that an
// image sync neither copies nor deletes: the config is rewritten for the
// destination, logs and saltgo's records are the node's own.
var imageExcludes = []string{"config", "saltgo-lxc.log", MetadataFile}

// SyncImage creates or updates the origin container img.Name in c's
// directory from img.Source: the directory is copied with rsync semantics
// (rsync -aH --delete --numeric-ids: owners by number, hard links, modes,
// times, devices; files gone from the source are deleted), and the source
// config is written with its rootfs path and name pointing at the copy. A
// running origin is stopped first (clones need it stopped). A second run
// with an unchanged source reports no changes. When the sync fails, what
// it changed is undone as far as it can be: a new image's directory is
// removed, an origin it stopped is started again.
func SyncImage(ctx context.Context, c *liblxc.Client, img Image, opts SyncOptions) (*StepResult, error) {
	res := newResult(img.Name)
	if err := liblxc.ValidateName(img.Name); err != nil {
		return res.fail(err)
	}
	src, err := filepath.Abs(img.Source)
	if err != nil {
		return res.fail(err)
	}
	if fi, err := os.Stat(filepath.Join(src, "rootfs")); err != nil || !fi.IsDir() {
		return res.fail(fmt.Errorf("lxc: image %s: source %s has no rootfs directory", img.Name, src))
	}
	srcConf, err := os.ReadFile(filepath.Join(src, "config"))
	if err != nil {
		return res.fail(fmt.Errorf("lxc: image %s: source config: %w", img.Name, err))
	}
	dst := filepath.Join(c.Path(), img.Name)
	if dst == src {
		return res.fail(fmt.Errorf("lxc: image %s: source and destination are the same directory", img.Name))
	}
	r := revert.New()
	defer func() { _ = r.Fail() }()
	undoCtx := context.WithoutCancel(ctx)
	st, err := stopImage(ctx, c, img.Name)
	if err != nil {
		return res.fail(err)
	}
	if st != "" && st != "stopped" {
		r.Add("start "+img.Name, func() error { _, err := c.Start(undoCtx, img.Name); return err })
		res.Changes.Set("state", data.M("old", st, "new", "stopped"))
	}
	if _, err := os.Lstat(dst); errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return res.fail(err)
		}
		r.Add("remove "+dst, func() error { return os.RemoveAll(dst) })
	} else if err != nil {
		return res.fail(err)
	}
	n, how, err := syncTree(ctx, src, dst, imageExcludes, opts.Rsync)
	if err != nil {
		return res.fail(fmt.Errorf("lxc: image %s: sync %s: %w", img.Name, how, err))
	}
	if n > 0 {
		res.Changes.Set("synced", fmt.Sprintf("%d changes (%s)", n, how))
	}
	conf := imageConfig(string(srcConf), src, dst, img.Name)
	cur, _ := os.ReadFile(filepath.Join(dst, "config"))
	if string(cur) != conf {
		if err := atomicfile.Write(filepath.Join(dst, "config"), []byte(conf), 0o640); err != nil {
			return res.fail(err)
		}
		res.Changes.Set("config", filepath.Join(dst, "config"))
	}
	if st == "" {
		res.Changes.Set("created", "from "+src)
	}
	r.Success()
	if res.Changed() {
		res.Comment = fmt.Sprintf("image %s synchronised from %s", img.Name, src)
	} else {
		res.Comment = fmt.Sprintf("image %s already up to date", img.Name)
	}
	return res, nil
}

// imageConfig rewrites a source container config for the copy: the rootfs
// path and the name point at the destination, other references to the
// source directory (fstab...) are moved too.
func imageConfig(conf, src, dst, name string) string {
	var out []string
	for _, l := range strings.Split(conf, "\n") {
		k, _, _ := strings.Cut(strings.TrimSpace(l), "=")
		switch strings.TrimSpace(k) {
		case "lxc.rootfs.path", "lxc.rootfs", "lxc.uts.name", "lxc.utsname":
			continue
		}
		out = append(out, strings.ReplaceAll(l, src+"/", dst+"/"))
	}
	for len(out) > 0 && strings.TrimSpace(out[len(out)-1]) == "" {
		out = out[:len(out)-1]
	}
	out = append(out, "lxc.rootfs.path = dir:"+filepath.Join(dst, "rootfs"), "lxc.uts.name = "+name)
	return strings.Join(out, "\n") + "\n"
}

// syncTree makes dst a copy of src with rsync -aH --delete --numeric-ids
// semantics (top-level names in exclude are neither copied nor deleted).
// It uses rsync when available, else a Go implementation; it returns the
// number of changed entries and which way it synced.
func syncTree(ctx context.Context, src, dst string, exclude []string, rsync string) (int, string, error) {
	if rsync != "-" {
		if rsync == "" {
			rsync, _ = exec.LookPath("rsync")
		}
		if rsync != "" {
			n, err := rsyncTree(ctx, rsync, src, dst, exclude)
			return n, "rsync", err
		}
	}
	t := &treeSync{ctx: ctx, src: src, dst: dst, exclude: map[string]bool{}, links: map[devIno]string{}}
	for _, e := range exclude {
		t.exclude[e] = true
	}
	err := t.dir("")
	return t.changes, "go copy", err
}

// rsyncTree runs rsync -aH --delete --numeric-ids from src to dst (extra
// arguments go before the excludes) and returns the number of changed
// entries.
func rsyncTree(ctx context.Context, rsync, src, dst string, exclude []string, extra ...string) (int, error) {
	args := []string{"-aH", "--delete", "--numeric-ids", "--itemize-changes"}
	args = append(args, extra...)
	for _, e := range exclude {
		args = append(args, "--exclude=/"+e)
	}
	args = append(args, src+"/", dst+"/")
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, rsync, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			// The remote side's message can be lost when the connection
			// closes first: the exit code's meaning is always given.
			if m, ok := rsyncExitCodes[ee.ExitCode()]; ok {
				if msg == "" {
					msg = m
				} else {
					msg = m + ": " + msg
				}
			}
		}
		return 0, fmt.Errorf("%s: %w: %s", rsync, err, msg)
	}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		// The top directory's own times change whenever the node writes
		// the config or a log in it: not an image change.
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasSuffix(l, " ./") {
			n++
		}
	}
	return n, nil
}

// rsyncExitCodes are the meanings rsync(1) gives its exit codes.
var rsyncExitCodes = map[int]string{
	1:   "rsync: syntax or usage error",
	2:   "rsync: protocol incompatibility",
	3:   "rsync: errors selecting input/output files, dirs",
	5:   "rsync: error starting client-server protocol",
	10:  "rsync: error in socket I/O",
	11:  "rsync: error in file I/O (a missing or unwritable directory on the receiving side)",
	12:  "rsync: error in rsync protocol data stream",
	20:  "rsync: received SIGUSR1 or SIGINT",
	23:  "rsync: partial transfer due to error",
	24:  "rsync: partial transfer due to vanished source files",
	30:  "rsync: timeout in data send/receive",
	255: "ssh: connection or authentication failed",
}

type devIno struct{ dev, ino uint64 }

// treeSync is the Go fallback of rsync -aH --delete --numeric-ids.
type treeSync struct {
	ctx      context.Context
	src, dst string
	exclude  map[string]bool
	// links maps a source inode with several links to the first path it
	// was copied to.
	links   map[devIno]string
	changes int
}

func (t *treeSync) dir(rel string) error {
	if err := t.ctx.Err(); err != nil {
		return err
	}
	sdir, ddir := filepath.Join(t.src, rel), filepath.Join(t.dst, rel)
	ents, err := os.ReadDir(sdir)
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, e := range ents {
		if rel == "" && t.exclude[e.Name()] {
			continue
		}
		keep[e.Name()] = true
		if err := t.entry(filepath.Join(rel, e.Name())); err != nil {
			return err
		}
	}
	dents, err := os.ReadDir(ddir)
	if err != nil {
		return err
	}
	for _, e := range dents {
		if keep[e.Name()] || rel == "" && t.exclude[e.Name()] {
			continue
		}
		if err := os.RemoveAll(filepath.Join(ddir, e.Name())); err != nil {
			return err
		}
		t.changes++
	}
	sfi, err := os.Lstat(sdir)
	if err != nil {
		return err
	}
	n := t.changes
	err = t.attrs(sfi, ddir)
	if rel == "" {
		// As with rsync, the top directory's own attributes are not
		// counted (see rsyncTree).
		t.changes = n
	}
	return err
}

func statOf(fi fs.FileInfo) *syscall.Stat_t {
	st, _ := fi.Sys().(*syscall.Stat_t)
	if st == nil {
		st = &syscall.Stat_t{}
	}
	return st
}

// attrs gives dst src's owner, mode and modification time (rsync -a),
// counting one change when any differed.
func (t *treeSync) attrs(sfi fs.FileInfo, dst string) error {
	dfi, err := os.Lstat(dst)
	if err != nil {
		return err
	}
	ss, ds := statOf(sfi), statOf(dfi)
	changed := false
	if ss.Uid != ds.Uid || ss.Gid != ds.Gid {
		if err := os.Lchown(dst, int(ss.Uid), int(ss.Gid)); err != nil {
			return err
		}
		changed = true
	}
	isLink := sfi.Mode()&fs.ModeSymlink != 0
	// chown clears set-id bits: compare the mode after it.
	if !isLink {
		if dfi, err = os.Lstat(dst); err != nil {
			return err
		}
		if dfi.Mode() != sfi.Mode() {
			if err := os.Chmod(dst, sfi.Mode().Perm()|sfi.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
				return err
			}
			changed = true
		}
	}
	if !sfi.ModTime().Equal(dfi.ModTime()) {
		ts := []unix.Timespec{unix.NsecToTimespec(time.Now().UnixNano()), unix.NsecToTimespec(sfi.ModTime().UnixNano())}
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, dst, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return err
		}
		changed = true
	}
	if changed {
		t.changes++
	}
	return nil
}

func (t *treeSync) entry(rel string) error {
	s, d := filepath.Join(t.src, rel), filepath.Join(t.dst, rel)
	sfi, err := os.Lstat(s)
	if err != nil {
		return err
	}
	dfi, derr := os.Lstat(d)
	if derr != nil && !errors.Is(derr, fs.ErrNotExist) {
		return derr
	}
	exists := derr == nil
	sameType := exists && dfi.Mode().Type() == sfi.Mode().Type()
	if exists && !sameType {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
		exists = false
	}
	ss := statOf(sfi)
	switch {
	case sfi.IsDir():
		if !exists {
			if err := os.Mkdir(d, 0o700); err != nil {
				return err
			}
			t.changes++
		}
		return t.dir(rel)
	case sfi.Mode().IsRegular():
		if ss.Nlink > 1 {
			key := devIno{uint64(ss.Dev), ss.Ino}
			if first, ok := t.links[key]; ok {
				fd := filepath.Join(t.dst, first)
				if exists && os.SameFile(mustStat(fd), dfi) {
					return nil
				}
				if exists {
					if err := os.Remove(d); err != nil {
						return err
					}
				}
				t.changes++
				return os.Link(fd, d)
			}
			t.links[key] = rel
		}
		if exists && dfi.Size() == sfi.Size() && dfi.ModTime().Equal(sfi.ModTime()) {
			return t.attrs(sfi, d)
		}
		if err := copyFile(s, d); err != nil {
			return err
		}
		t.changes++
		return t.attrs(sfi, d)
	case sfi.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(s)
		if err != nil {
			return err
		}
		if exists {
			if cur, err := os.Readlink(d); err == nil && cur == target {
				return t.attrs(sfi, d)
			}
			if err := os.Remove(d); err != nil {
				return err
			}
		}
		if err := os.Symlink(target, d); err != nil {
			return err
		}
		t.changes++
		return t.attrs(sfi, d)
	case sfi.Mode()&(fs.ModeDevice|fs.ModeNamedPipe) != 0:
		if exists && statOf(dfi).Rdev == ss.Rdev {
			return t.attrs(sfi, d)
		}
		if exists {
			if err := os.Remove(d); err != nil {
				return err
			}
		}
		if err := unix.Mknod(d, ss.Mode, int(ss.Rdev)); err != nil {
			return fmt.Errorf("mknod %s: %w", d, err)
		}
		t.changes++
		return t.attrs(sfi, d)
	}
	// Sockets are not copied (rsync -a without --specials keeps none).
	return nil
}

func mustStat(p string) fs.FileInfo {
	fi, err := os.Lstat(p)
	if err != nil {
		return nil
	}
	return fi
}

// copyFile copies a regular file's content through a synced temp file and
// an atomic rename.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer func() { _ = in.Close() }()
	out, err := os.CreateTemp(filepath.Dir(dst), ".saltgo-sync-")
	if err != nil {
		return err
	}
	tmp := out.Name()
	defer func() { _ = os.Remove(tmp) }()
	if _, err = io.Copy(out, in); err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = atomicfile.Rename(tmp, dst)
	}
	return err
}

// stopImage stops the image container name before its rootfs changes
// and returns the state it found: "" when there is no such container,
// "stopped", or the state it stopped it from.
func stopImage(ctx context.Context, c *liblxc.Client, name string) (string, error) {
	st, err := c.State(ctx, name)
	switch {
	case errors.Is(err, liblxc.ErrNotFound):
		return "", nil
	case err != nil:
		return "", err
	case st == "stopped":
		return st, nil
	}
	if _, err := c.Stop(ctx, name, 10, false); err != nil {
		return "", err
	}
	return st, nil
}
