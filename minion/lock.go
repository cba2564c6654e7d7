package minion

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// lockFileName is the lock a running minion holds in <cachedir>/saltgo:
// two minions sharing a cachedir would both send (and delete) the same
// queued returns.
const lockFileName = "minion.lock"

// cacheLock is an flock held on <cachedir>/saltgo/minion.lock for the
// minion's life; the file names the holder (pid and id).
type cacheLock struct{ f *os.File }

// lockCacheDir takes the cachedir lock, or fails naming the minion that
// holds it.
func lockCacheDir(cacheDir, id string) (*cacheLock, error) {
	dir := filepath.Join(cacheDir, "saltgo")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cachedir lock: %w", err)
	}
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cachedir lock: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if errors.Is(err, syscall.EWOULDBLOCK) {
		holder, _ := os.ReadFile(path)
		f.Close()
		h := strings.TrimSpace(string(holder))
		if h == "" {
			h = "unknown"
		}
		return nil, fmt.Errorf("cachedir %s is in use by another minion (%s, lock %s): two minions cannot share a cachedir", cacheDir, h, path)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("cachedir lock %s: %w", path, err)
	}
	if err = f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(fmt.Sprintf("pid %d, id %s\n", os.Getpid(), id)), 0)
	}
	if err != nil {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
		return nil, fmt.Errorf("cachedir lock %s: %w", path, err)
	}
	return &cacheLock{f: f}, nil
}

// release drops the lock (the file stays: removing it would race with a
// minion that opened it and waits to lock it).
func (l *cacheLock) release() {
	if l == nil || l.f == nil {
		return
	}
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
	l.f = nil
}
