// Package atomicfile is saltgo's one way to persist a file: readers see the
// old content or the new one, never a torn file, even across a crash.
//
// Write goes through a temporary file in the target's directory: write,
// chmod, fsync, rename over the target, fsync of the directory.
package atomicfile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Write writes data to path atomically with mode perm. The parent directory
// must exist (use WriteMkdir to create it).
func Write(path string, data []byte, perm fs.FileMode) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	SyncDir(dir)
	return nil
}

// WriteMkdir is Write after creating path's parent directories (mode
// dirPerm) when they are missing.
func WriteMkdir(path string, data []byte, perm, dirPerm fs.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, dirPerm); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	return Write(path, data, perm)
}

// Rename renames oldpath to newpath and fsyncs newpath's directory, for
// callers that built the new content themselves (a directory, a streamed
// copy) and only need the switch to be durable.
func Rename(oldpath, newpath string) error {
	if err := os.Rename(oldpath, newpath); err != nil {
		return err
	}
	SyncDir(filepath.Dir(newpath))
	return nil
}

// SyncDir fsyncs a directory so that a rename inside it survives a crash;
// errors are ignored (some filesystems refuse to fsync directories).
func SyncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
