package provision

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/saltgo/saltgo/atomicfile"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/lxc/liblxc"
)

// ErrTransferInProgress is a sync refused because another one of the same
// image holds its lock (makina-states' "Transfer already in progress").
var ErrTransferInProgress = errors.New("Transfer already in progress")

// lockFile takes an exclusive, non-blocking flock on p (created); held
// elsewhere gives ErrTransferInProgress. The returned func releases it.
func lockFile(p, what string) (func(), error) {
	return flockFile(p, unix.LOCK_EX, what)
}

// flockFile takes a non-blocking flock of kind how (unix.LOCK_EX or
// unix.LOCK_SH) on p (created); a conflicting lock held elsewhere gives
// ErrTransferInProgress. The returned func releases it.
func flockFile(p string, how int, what string) (func(), error) {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lxc: lock %s: %w", p, err)
	}
	if err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s (lock %s)", ErrTransferInProgress, what, p)
		}
		return nil, fmt.Errorf("lxc: lock %s: %w", p, err)
	}
	return func() { f.Close() }, nil
}

// ImageArchive is an image packed on the controller for the compute nodes.
type ImageArchive struct {
	// Name is the image (origin container) name; Version its ImageVersion.
	Name, Version string
	// Path is the archive file; SHA256 its hash; Size its length.
	Path, SHA256 string
	Size         int64
	// SourceDir is the container directory it was packed from (its config
	// names paths under it).
	SourceDir string
	// Packed is true when this call wrote the archive (false: the archive
	// of this version was already there).
	Packed bool
}

// Map is the archive as the node function's keyword argument.
func (a *ImageArchive) Map() *data.Map {
	return data.M("name", a.Name, "version", a.Version, "sha256", a.SHA256, "size", a.Size, "source_dir", a.SourceDir)
}

// PrepareImageArchive packs the container directory src into
// outDir/<version>.tar (with <version>.sha256 beside it) unless the
// archive of the current version is already there; archives of other
// versions are removed once the new one is complete. A second prepare of
// the same outDir while one runs is refused (ErrTransferInProgress).
// progress, when set, receives the bytes written so far.
func PrepareImageArchive(ctx context.Context, name, src, outDir string, progress func(int64)) (*ImageArchive, error) {
	if fi, err := os.Stat(filepath.Join(src, "rootfs")); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("lxc: image %s: %s has no rootfs directory", name, src)
	}
	if err := os.MkdirAll(outDir, 0o700); err != nil {
		return nil, fmt.Errorf("lxc: image %s: %w", name, err)
	}
	unlock, err := lockFile(filepath.Join(outDir, ".lock"), "image "+name+" is being packed")
	if err != nil {
		return nil, err
	}
	defer unlock()
	ver, err := ImageVersion(ctx, src)
	if err != nil {
		return nil, err
	}
	a := &ImageArchive{Name: name, Version: ver, Path: filepath.Join(outDir, ver+".tar"), SourceDir: src}
	sumFile := filepath.Join(outDir, ver+".sha256")
	if b, err := os.ReadFile(sumFile); err == nil {
		if fi, err := os.Stat(a.Path); err == nil {
			a.SHA256, a.Size = strings.TrimSpace(string(b)), fi.Size()
			return a, nil
		}
	}
	tmp, err := os.CreateTemp(outDir, ".pack-*")
	if err != nil {
		return nil, fmt.Errorf("lxc: image %s: %w", name, err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(tmp, h), progress: progress}
	if err := PackImage(ctx, src, cw); err != nil {
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("lxc: image %s: %w", name, err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		return nil, fmt.Errorf("lxc: image %s: %w", name, err)
	}
	if err := atomicfile.Rename(tmp.Name(), a.Path); err != nil {
		return nil, fmt.Errorf("lxc: image %s: %w", name, err)
	}
	a.SHA256, a.Size, a.Packed = hex.EncodeToString(h.Sum(nil)), cw.n, true
	if err := atomicfile.Write(sumFile, []byte(a.SHA256+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("lxc: image %s: %w", name, err)
	}
	ents, _ := os.ReadDir(outDir)
	for _, e := range ents {
		if n := e.Name(); !strings.HasPrefix(n, ver+".") && (strings.HasSuffix(n, ".tar") || strings.HasSuffix(n, ".sha256")) {
			os.Remove(filepath.Join(outDir, n))
		}
	}
	return a, nil
}

type countWriter struct {
	w        io.Writer
	n        int64
	progress func(int64)
	last     int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	if c.progress != nil && c.n-c.last >= 64<<20 {
		c.last = c.n
		c.progress(c.n)
	}
	return n, err
}

// ImageInstall is an image to install on a compute node from an archive
// prepared by PrepareImageArchive.
type ImageInstall struct {
	Name, Version, SHA256, SourceDir string
	// Fetch writes the archive to dest (a file in the image's work
	// directory, next to the container directory). verified is true when
	// it already checked that the file hashes to SHA256 (the master's
	// file server announced that sha256 and the file client checked the
	// download against it): the archive is then not hashed again.
	Fetch func(ctx context.Context, dest string) (verified bool, err error)
}

// syncDir is the work directory of an image sync: beside the container
// directory (same filesystem, so the swap is a rename), hidden from LXC.
func syncDir(lxcpath, name string) string {
	return filepath.Join(lxcpath, ".saltgo-sync-"+name)
}

// syncLock is the lock of an image's sync: held exclusively while
// InstallImage runs, shared while Spawn clones the image (a copy or an
// overlay made while the image directory is swapped would mix the two
// versions).
func syncLock(lxcpath, name string) string {
	return filepath.Join(lxcpath, ".saltgo-sync-"+name+".lock")
}

// InstalledImageVersion returns the version recorded in the image's
// container directory ("" when none).
func InstalledImageVersion(lxcpath, name string) string {
	b, err := os.ReadFile(filepath.Join(lxcpath, name, VersionFile))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// InstallImage brings the origin container in.Name of c's directory to
// in.Version: nothing is fetched when that version is installed. Else the
// archive is fetched, its hash verified, unpacked beside the current
// image, its config pointed at the new place, and only then swapped in
// (the old directory is removed after the swap): an interrupted or failed
// transfer leaves the previous image as it was. A running origin is
// stopped before the swap. A second InstallImage of the same image while
// one runs is refused (ErrTransferInProgress).
func InstallImage(ctx context.Context, c *liblxc.Client, in ImageInstall) (*StepResult, error) {
	res := newResult(in.Name)
	if err := liblxc.ValidateName(in.Name); err != nil {
		return res.fail(err)
	}
	if in.Version == "" || in.SHA256 == "" || in.Fetch == nil {
		return res.fail(fmt.Errorf("lxc: image %s: no version, hash or source for the archive", in.Name))
	}
	lxcpath := c.Path()
	if err := os.MkdirAll(lxcpath, 0o755); err != nil {
		return res.fail(err)
	}
	unlock, err := lockFile(syncLock(lxcpath, in.Name), "image "+in.Name+" is being synchronised or cloned")
	if err != nil {
		return res.fail(err)
	}
	defer unlock()
	dst := filepath.Join(lxcpath, in.Name)
	work := syncDir(lxcpath, in.Name)
	// A swap interrupted between its two renames left the old image in
	// the work directory: put it back before anything else.
	if _, err := os.Lstat(dst); errors.Is(err, os.ErrNotExist) {
		if _, err := os.Stat(filepath.Join(work, "old")); err == nil {
			if err := os.Rename(filepath.Join(work, "old"), dst); err != nil {
				return res.fail(fmt.Errorf("lxc: image %s: restore the previous image: %w", in.Name, err))
			}
		}
	}
	if err := os.RemoveAll(work); err != nil {
		return res.fail(err)
	}
	old := InstalledImageVersion(lxcpath, in.Name)
	if _, err := os.Stat(filepath.Join(dst, "config")); err == nil && old == in.Version {
		res.Comment = fmt.Sprintf("image %s already up to date (version %s)", in.Name, in.Version)
		return res, nil
	}
	if err := os.Mkdir(work, 0o700); err != nil {
		return res.fail(err)
	}
	defer os.RemoveAll(work)
	archive := filepath.Join(work, "image.tar")
	verified, err := in.Fetch(ctx, archive)
	if err != nil {
		return res.fail(fmt.Errorf("lxc: image %s: transfer failed, previous image kept: %w", in.Name, err))
	}
	f, err := os.Open(archive)
	if err != nil {
		return res.fail(fmt.Errorf("lxc: image %s: transfer failed, previous image kept: %w", in.Name, err))
	}
	// One pass: the archive is hashed while it is unpacked into the work
	// directory; the result is used only when the hash is the expected one.
	h := sha256.New()
	var tee io.Reader = f
	if !verified {
		tee = io.TeeReader(f, h)
	}
	newDir := filepath.Join(work, "new")
	uerr := UnpackImage(ctx, tee, newDir)
	if uerr == nil {
		_, uerr = io.Copy(io.Discard, tee)
	} else {
		_, _ = io.Copy(io.Discard, tee)
	}
	f.Close()
	os.Remove(archive)
	if got := hex.EncodeToString(h.Sum(nil)); !verified && got != in.SHA256 {
		return res.fail(fmt.Errorf("lxc: image %s: archive verification failed (sha256 %s, expected %s), previous image kept", in.Name, got, in.SHA256))
	}
	if uerr != nil {
		return res.fail(fmt.Errorf("lxc: image %s: %w (previous image kept)", in.Name, uerr))
	}
	conf, err := os.ReadFile(filepath.Join(newDir, "config"))
	if err != nil {
		return res.fail(fmt.Errorf("lxc: image %s: the archive has no config: %w", in.Name, err))
	}
	src := in.SourceDir
	if src == "" {
		src = dst
	}
	if err := atomicfile.Write(filepath.Join(newDir, "config"), []byte(imageConfig(string(conf), src, dst, in.Name)), 0o640); err != nil {
		return res.fail(err)
	}
	if err := atomicfile.Write(filepath.Join(newDir, VersionFile), []byte(in.Version+"\n"), 0o644); err != nil {
		return res.fail(err)
	}
	if st, err := stopImage(ctx, c, in.Name); err != nil {
		return res.fail(err)
	} else if st != "" && st != "stopped" {
		res.Changes.Set("state", data.M("old", st, "new", "stopped"))
	}
	if err := swapDir(newDir, dst, filepath.Join(work, "old")); err != nil {
		return res.fail(fmt.Errorf("lxc: image %s: %w", in.Name, err))
	}
	if old == "" {
		res.Changes.Set("created", "version "+in.Version)
	} else {
		res.Changes.Set("version", data.M("old", old, "new", in.Version))
	}
	res.Comment = fmt.Sprintf("image %s synchronised (version %s)", in.Name, in.Version)
	return res, nil
}

// swapDir puts newDir at dst: an atomic exchange when the filesystem has
// one (the old content ends at newDir's path, moved to oldDir), else
// dst -> oldDir, newDir -> dst (InstallImage repairs an interruption
// between the two). A missing dst is a plain rename.
func swapDir(newDir, dst, oldDir string) error {
	if _, err := os.Lstat(dst); errors.Is(err, os.ErrNotExist) {
		return os.Rename(newDir, dst)
	}
	if err := unix.Renameat2(unix.AT_FDCWD, newDir, unix.AT_FDCWD, dst, unix.RENAME_EXCHANGE); err == nil {
		return os.Rename(newDir, oldDir)
	}
	if err := os.Rename(dst, oldDir); err != nil {
		return err
	}
	if err := os.Rename(newDir, dst); err != nil {
		if rerr := os.Rename(oldDir, dst); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return nil
}
