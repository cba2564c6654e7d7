// Package jid makes and recognises Salt job ids: 20 digits of UTC time to
// the microsecond (salt.utils.jid.gen_jid), optionally followed by
// "_" and a suffix (unique_jid).
package jid

import (
	"fmt"
	"sync"
	"time"
)

var (
	mu   sync.Mutex
	last time.Time
)

// New returns a new job id for the current UTC time. Ids from one process
// are strictly increasing: two calls within the same microsecond get
// consecutive microseconds, as Salt's gen_jid does with its last-jid guard.
func New() string { return At(time.Now()) }

// At returns a new job id for t (UTC), kept strictly above every id this
// process returned before.
func At(t time.Time) string {
	mu.Lock()
	t = t.UTC().Truncate(time.Microsecond)
	if !t.After(last) {
		t = last.Add(time.Microsecond)
	}
	last = t
	mu.Unlock()
	return Format(t)
}

// Format renders t (UTC) as a job id, without the uniqueness guard.
func Format(t time.Time) string {
	t = t.UTC()
	return t.Format("20060102150405") + fmt.Sprintf("%06d", t.Nanosecond()/1000)
}

// Is reports whether s looks like a Salt job id: 20 digits, optionally
// followed by "_" and a non-empty suffix.
func Is(s string) bool {
	if len(s) != 20 && !(len(s) > 21 && s[20] == '_') {
		return false
	}
	for _, c := range s[:20] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Time returns the time a job id encodes.
func Time(id string) (time.Time, error) {
	if !Is(id) {
		return time.Time{}, fmt.Errorf("not a job id: %q", id)
	}
	t, err := time.ParseInLocation("20060102150405.000000", id[:14]+"."+id[14:20], time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("job id %q: %w", id, err)
	}
	return t, nil
}
