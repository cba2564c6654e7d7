package provision

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// VersionFile is the file of an image directory holding the version of
// the image it was unpacked from (makina-states' .ms_version): an image
// whose version is unchanged is not sent again.
const VersionFile = ".ms_version"

// xattrPrefix is the PAX record prefix of extended attributes (GNU tar and
// star's SCHILY.xattr.<name>).
const xattrPrefix = "SCHILY.xattr."

// imageSkip tells whether a top-level entry of a container directory is
// neither packed nor part of the version (logs, saltgo's records, the
// version file itself, lock and work files).
func imageSkip(rel string) bool {
	if strings.Contains(rel, "/") {
		return false
	}
	switch rel {
	case "saltgo-lxc.log", MetadataFile, VersionFile:
		return true
	}
	return strings.HasPrefix(rel, ".saltgo-")
}

// walkImage calls f for every entry of the container directory dir (dir
// itself excluded) in lexical order, directories before their contents.
func walkImage(ctx context.Context, dir string, f func(rel string, fi fs.FileInfo) error) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if imageSkip(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		return f(filepath.ToSlash(rel), fi)
	})
}

// listXattrs returns the extended attributes of p (not following a
// symlink), sorted by name; a filesystem without them gives none.
func listXattrs(p string) (map[string]string, error) {
	sz, err := unix.Llistxattr(p, nil)
	if err != nil || sz == 0 {
		if errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EOPNOTSUPP) {
			return nil, nil
		}
		return nil, err
	}
	buf := make([]byte, sz)
	if sz, err = unix.Llistxattr(p, buf); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, name := range strings.Split(strings.TrimRight(string(buf[:sz]), "\x00"), "\x00") {
		if name == "" {
			continue
		}
		vsz, err := unix.Lgetxattr(p, name, nil)
		if err != nil {
			return nil, fmt.Errorf("xattr %s of %s: %w", name, p, err)
		}
		v := make([]byte, vsz)
		if vsz, err = unix.Lgetxattr(p, name, v); err != nil {
			return nil, fmt.Errorf("xattr %s of %s: %w", name, p, err)
		}
		out[name] = string(v[:vsz])
	}
	return out, nil
}

// ImageVersion is the version of the container directory dir: a hash of
// every entry's path, type, owner, mode, size, modification time, device
// number, link target and extended attributes (not of the contents: it is
// computed on every sync and must stay cheap). Any change a sync would
// carry changes it.
func ImageVersion(ctx context.Context, dir string) (string, error) {
	h := sha256.New()
	err := walkImage(ctx, dir, func(rel string, fi fs.FileInfo) error {
		st := statOf(fi)
		target := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			var err error
			if target, err = os.Readlink(filepath.Join(dir, rel)); err != nil {
				return err
			}
		}
		xa, err := listXattrs(filepath.Join(dir, rel))
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%q %o %d:%d %d %d %d %d %q", rel, st.Mode, st.Uid, st.Gid, fi.Size(), fi.ModTime().UnixNano(), st.Rdev, st.Nlink, target)
		for _, k := range sortedKeys(xa) {
			fmt.Fprintf(h, " %q=%q", k, xa[k])
		}
		h.Write([]byte{'\n'})
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("lxc: image version of %s: %w", dir, err)
	}
	return hex.EncodeToString(h.Sum(nil))[:20], nil
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// PackImage writes the container directory dir as a PAX tar stream to w:
// numeric owners, modes (set-id and sticky bits), modification times in
// nanoseconds, symlinks, hard links, character and block devices, FIFOs
// and extended attributes (SCHILY.xattr records). Sockets are skipped (as
// rsync -a does). Entries are relative to dir (rootfs/..., config).
func PackImage(ctx context.Context, dir string, w io.Writer) error {
	tw := tar.NewWriter(w)
	links := map[devIno]string{}
	err := walkImage(ctx, dir, func(rel string, fi fs.FileInfo) error {
		p := filepath.Join(dir, rel)
		if fi.Mode()&fs.ModeSocket != 0 {
			return nil
		}
		target := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			var err error
			if target, err = os.Readlink(p); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(fi, target)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		st := statOf(fi)
		hdr.Name = rel
		if fi.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uname, hdr.Gname = "", ""
		hdr.Uid, hdr.Gid = int(st.Uid), int(st.Gid)
		hdr.Format = tar.FormatPAX
		hdr.ModTime = fi.ModTime()
		hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}
		if fi.Mode().IsRegular() && st.Nlink > 1 {
			key := devIno{uint64(st.Dev), st.Ino}
			if first, ok := links[key]; ok {
				hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
			} else {
				links[key] = rel
			}
		}
		xa, err := listXattrs(p)
		if err != nil {
			return err
		}
		for _, k := range sortedKeys(xa) {
			if hdr.PAXRecords == nil {
				hdr.PAXRecords = map[string]string{}
			}
			hdr.PAXRecords[xattrPrefix+k] = xa[k]
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if hdr.Typeflag != tar.TypeReg {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		n, err := io.Copy(tw, f)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if n != hdr.Size {
			return fmt.Errorf("%s changed size while packed (%d, then %d)", p, hdr.Size, n)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("lxc: pack image %s: %w", dir, err)
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("lxc: pack image %s: %w", dir, err)
	}
	return nil
}

// UnpackImage extracts a PackImage stream into dst (created, it must not
// exist yet), restoring owners, modes, times, links, devices and extended
// attributes. Names that would leave dst are refused.
func UnpackImage(ctx context.Context, r io.Reader, dst string) error {
	if err := os.Mkdir(dst, 0o755); err != nil {
		return fmt.Errorf("lxc: unpack image: %w", err)
	}
	tr := tar.NewReader(r)
	type dirTime struct {
		path string
		t    time.Time
	}
	var dirs []dirTime
	// The symlinks this unpack made: an entry below one of them would be
	// written wherever it points, so it is refused (dst is new: no other
	// symlink can be on the way).
	links := map[string]bool{}
	inside := func(name string) (string, error) {
		p, err := insidePath(dst, name)
		if err != nil {
			return "", err
		}
		for d := filepath.Dir(p); len(d) > len(dst); d = filepath.Dir(d) {
			if links[d] {
				return "", fmt.Errorf("lxc: unpack image: unsafe entry name %q (below the symlink %s)", name, strings.TrimPrefix(d, dst+"/"))
			}
		}
		return p, nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("lxc: unpack image: %w", err)
		}
		p, err := inside(hdr.Name)
		if err != nil {
			return err
		}
		mode := uint32(hdr.Mode) & 0o7777
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.Mkdir(p, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
				return fmt.Errorf("lxc: unpack image: %w", err)
			}
			dirs = append(dirs, dirTime{p, hdr.ModTime})
		case tar.TypeReg:
			f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if err != nil {
				return fmt.Errorf("lxc: unpack image: %w", err)
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("lxc: unpack image %s: %w", hdr.Name, err)
			}
		case tar.TypeLink:
			old, err := inside(hdr.Linkname)
			if err != nil {
				return err
			}
			if err := os.Link(old, p); err != nil {
				return fmt.Errorf("lxc: unpack image: %w", err)
			}
			continue // the first name carries the attributes
		case tar.TypeSymlink:
			if err := os.Symlink(hdr.Linkname, p); err != nil {
				return fmt.Errorf("lxc: unpack image: %w", err)
			}
			links[p] = true
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			kind := map[byte]uint32{tar.TypeChar: unix.S_IFCHR, tar.TypeBlock: unix.S_IFBLK, tar.TypeFifo: unix.S_IFIFO}[hdr.Typeflag]
			dev := unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))
			if err := unix.Mknod(p, kind|0o600, int(dev)); err != nil {
				return fmt.Errorf("lxc: unpack image: mknod %s: %w", hdr.Name, err)
			}
		default:
			return fmt.Errorf("lxc: unpack image: %s: unsupported entry type %q", hdr.Name, hdr.Typeflag)
		}
		if err := os.Lchown(p, hdr.Uid, hdr.Gid); err != nil {
			return fmt.Errorf("lxc: unpack image: %w", err)
		}
		for k, v := range hdr.PAXRecords {
			if name, ok := strings.CutPrefix(k, xattrPrefix); ok {
				if err := unix.Lsetxattr(p, name, []byte(v), 0); err != nil {
					return fmt.Errorf("lxc: unpack image: xattr %s of %s: %w", name, hdr.Name, err)
				}
			}
		}
		if hdr.Typeflag != tar.TypeSymlink {
			// After chown, which clears set-id bits.
			if err := unix.Fchmodat(unix.AT_FDCWD, p, mode, 0); err != nil {
				return fmt.Errorf("lxc: unpack image: chmod %s: %w", hdr.Name, err)
			}
		}
		if hdr.Typeflag != tar.TypeDir {
			if err := setMtime(p, hdr.ModTime); err != nil {
				return fmt.Errorf("lxc: unpack image: %w", err)
			}
		}
	}
	// Directory times last (their contents changed them), deepest first.
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := setMtime(dirs[i].path, dirs[i].t); err != nil {
			return fmt.Errorf("lxc: unpack image: %w", err)
		}
	}
	return nil
}

func setMtime(p string, t time.Time) error {
	ts := []unix.Timespec{unix.NsecToTimespec(t.UnixNano()), unix.NsecToTimespec(t.UnixNano())}
	return unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW)
}

// insidePath joins an archive name to dst, refusing absolute names and
// names with "..": an archive never writes outside its directory.
func insidePath(dst, name string) (string, error) {
	clean := filepath.Clean("/" + name)
	if name == "" || strings.HasPrefix(name, "/") || clean == "/" || strings.Contains("/"+name+"/", "/../") {
		return "", fmt.Errorf("lxc: unpack image: unsafe entry name %q", name)
	}
	return filepath.Join(dst, clean), nil
}
