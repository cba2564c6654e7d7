package pkg

import "time"

// SetLockWait shortens the waits between retries on a held dpkg lock.
func SetLockWait(f func(n int) time.Duration) (restore func()) {
	old := lockWait
	lockWait = f
	return func() { lockWait = old }
}

// SetSystemdDir points the systemd-booted check at dir.
func SetSystemdDir(dir string) (restore func()) {
	old := systemdDir
	systemdDir = dir
	return func() { systemdDir = old }
}
