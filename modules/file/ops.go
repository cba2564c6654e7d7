package file

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/saltgo/saltgo/atomicfile"
	"github.com/saltgo/saltgo/data"
)

var (
	umaskOnce sync.Once
	umask     fs.FileMode = 0o022
)

// Umask returns the process umask (read from /proc/self/status, so that
// nothing changes it even for a moment).
func Umask() fs.FileMode {
	umaskOnce.Do(func() {
		f, err := os.Open("/proc/self/status")
		if err != nil {
			return
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), "Umask:"); ok {
				if n, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err == nil {
					umask = fs.FileMode(n)
				}
				return
			}
		}
	})
	return umask
}

// Mkdir is Salt's file.mkdir: create dir (and its parents) when missing,
// each with user, group and mode set as check_perms does.
func Mkdir(dir string, usr, grp any, mode string) error {
	dir = filepath.Clean(dir)
	if st, err := os.Stat(dir); err == nil && st.IsDir() {
		return nil
	}
	return makedirsPerms(dir, usr, grp, mode)
}

func makedirsPerms(name string, usr, grp any, mode string) error {
	head := filepath.Dir(name)
	if head != name {
		if _, err := os.Lstat(head); errors.Is(err, fs.ErrNotExist) {
			if err := makedirsPerms(head, usr, grp, mode); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
		}
	}
	if err := os.Mkdir(name, 0o777); err != nil {
		return fmt.Errorf("mkdir %s: %w", name, err)
	}
	res, err := CheckPerms(name, nil, usr, grp, mode, false, false)
	if err != nil {
		return err
	}
	if len(res.Errors) > 0 {
		return errors.New(strings.Join(res.Errors, "; "))
	}
	return nil
}

// Makedirs is Salt's file.makedirs: make the directories leading to path
// (the parent of path; a trailing slash makes path itself). It returns
// Salt's message when the directory already exists.
func Makedirs(path string, usr, grp any, mode string) (string, error) {
	dirname := filepath.Clean(filepath.Dir(path))
	if strings.HasSuffix(path, "/") {
		dirname = filepath.Clean(path)
	}
	if st, err := os.Stat(dirname); err == nil {
		if st.IsDir() {
			return fmt.Sprintf("Directory '%s' already exists", dirname), nil
		}
		return fmt.Sprintf("The path '%s' already exists and is not a directory", dirname), nil
	}
	if !filepath.IsAbs(dirname) {
		return "", fmt.Errorf("Recursive creation for path '%s' would result in an infinite loop. Please use an absolute path.", dirname)
	}
	return "", Mkdir(dirname, usr, grp, mode)
}

// DirModeFromMode is Salt's dir_mode derived from a file mode when only
// mode is given: every non-zero digit of the last three gets the x bit.
func DirModeFromMode(mode string) string {
	if len(mode) < 3 {
		return mode
	}
	b := []byte(mode[len(mode)-3:])
	for i, c := range b {
		if c != '0' {
			b[i] = byte('0' + ((c - '0') | 1))
		}
	}
	return string(b)
}

// Remove is Salt's file.remove: a file, a link or a whole tree.
func Remove(path string) error {
	if !filepath.IsAbs(path) {
		return fmt.Errorf("File path must be absolute: %s", path)
	}
	st, err := os.Lstat(path)
	if err != nil {
		return nil
	}
	if st.IsDir() {
		err = os.RemoveAll(path)
	} else {
		err = os.Remove(path)
	}
	if err != nil {
		return fmt.Errorf("Could not remove '%s': %w", path, err)
	}
	return nil
}

// TimeArg is a Touch time given as an argument: Unix seconds when v is an
// int or a float, nil (now) otherwise.
func TimeArg(v any) *float64 {
	switch x := data.Normalize(v).(type) {
	case int64:
		f := float64(x)
		return &f
	case float64:
		return &x
	}
	return nil
}

// Touch is Salt's file.touch: create the file, set its times (now when
// nil, else Unix seconds).
func Touch(name string, atime, mtime *float64) error {
	f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY, 0o666)
	if err != nil {
		return fmt.Errorf("touch %s: %w", name, err)
	}
	f.Close()
	now := time.Now()
	at, mt := now, now
	if atime != nil {
		at = time.Unix(0, int64(*atime*1e9))
	}
	if mtime != nil {
		mt = time.Unix(0, int64(*mtime*1e9))
	}
	if err := os.Chtimes(name, at, mt); err != nil {
		return fmt.Errorf("touch %s: %w", name, err)
	}
	return nil
}

// CommitFile replaces dst with the bytes of src atomically: a temporary
// file in dst's directory gets the content, dst's owner and mode (a new
// file stays 0600 until the caller's check_perms, as Salt's mkstemp), is
// fsynced and renamed over dst (the directory is not fsynced). With backup "minion" (or "both") the old
// file is first copied to <cachedir>/file_backup.
func CommitFile(dst string, src io.Reader, backup, cachedir string) error {
	return CommitFileMode(dst, src, backup, cachedir, 0o600)
}

// CommitFileMode is CommitFile with the permissions a new file gets.
func CommitFileMode(dst string, src io.Reader, backup, cachedir string, newPerm fs.FileMode) (err error) {
	dir := filepath.Dir(dst)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("[Errno 2] No such file or directory: %s", dst)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".salt-*")
	if err != nil {
		return fmt.Errorf("commit %s: %w", dst, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = io.Copy(tmp, src); err != nil {
		return fmt.Errorf("commit %s: %w", dst, err)
	}
	old, serr := os.Stat(dst)
	if serr != nil && newPerm != 0o600 {
		if err = tmp.Chmod(newPerm); err != nil {
			return fmt.Errorf("commit %s: %w", dst, err)
		}
	}
	if serr == nil {
		if (backup == "minion" || backup == "both") && cachedir != "" {
			if err = backupMinion(dst, filepath.Join(cachedir, "file_backup")); err != nil {
				return err
			}
		}
		if err = tmp.Chmod(old.Mode().Perm() | old.Mode()&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)); err != nil {
			return fmt.Errorf("commit %s: %w", dst, err)
		}
		if sys, ok := statOwner(old); ok {
			_ = tmp.Chown(sys[0], sys[1])
		}
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("commit %s: %w", dst, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("commit %s: %w", dst, err)
	}
	// The content is on disk before the rename, so dst is the old or the
	// whole new file at any moment, killed run or crash alike. The
	// directory is not fsynced: after a crash the rename may be lost (the
	// old file stays), never torn; Salt fsyncs neither, and a directory
	// fsync per managed file costs a highstate more than its states.
	if err = os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("commit %s: %w", dst, err)
	}
	return nil
}

// backupMinion copies path to bkroot/<path>_<Salt's timestamp>.
func backupMinion(path, bkroot string) error {
	stamp := time.Now().Format("Mon_Jan_02_15:04:05.000000_2006")
	stamp = strings.Replace(stamp, ".", "_", 1)
	dst := filepath.Join(bkroot, strings.TrimPrefix(filepath.Dir(path), "/"), filepath.Base(path)+"_"+stamp)
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	st, _ := os.Stat(path)
	if err := atomicfile.Write(dst, b, st.Mode().Perm()); err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	if o, ok := statOwner(st); ok {
		_ = os.Chown(dst, o[0], o[1])
	}
	return nil
}

// CopyFile copies src to dst (a regular file) atomically, keeping src's
// mode, as shutil.copy does.
func CopyFile(src, dst string) error {
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := CommitFile(dst, f, "", ""); err != nil {
		return err
	}
	return os.Chmod(dst, st.Mode().Perm())
}

// CopyTree copies a directory tree, keeping symlinks as links
// (shutil.copytree(symlinks=True)).
func CopyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(l, target)
		case d.IsDir():
			return os.Mkdir(target, info.Mode().Perm())
		default:
			return CopyFile(p, target)
		}
	})
}
