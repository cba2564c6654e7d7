package pkg

import "time"

// SetLockWait shortens the waits between retries on a held dpkg lock.
func SetLockWait(f func(n int) time.Duration) (restore func()) {
	old := lockWait
	lockWait = f
	return func() { lockWait = old }
}
