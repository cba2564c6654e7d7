package mastertest

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saltgo/saltgo/data"
)

// SyncBuffer is a bytes.Buffer safe for concurrent writers (a logger,
// a progress writer) and a reading test.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Reset empties the buffer.
func (s *SyncBuffer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
}

// Count counts the non-overlapping occurrences of sub written so far.
func (s *SyncBuffer) Count(sub string) int { return strings.Count(s.String(), sub) }

// WaitReturn waits up to timeout for the _return of job jid, skipping the
// others, and fails the test without one; logs (when not nil) are shown
// then.
func (m *Master) WaitReturn(t testing.TB, jid string, timeout time.Duration, logs fmt.Stringer) *data.Map {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case r := <-m.Returns():
			if j, _ := r.String("jid"); j == jid {
				return r
			}
		case <-deadline:
			if logs != nil {
				t.Fatalf("no return for %s; logs:\n%s", jid, logs)
			}
			t.Fatalf("no return for %s", jid)
		}
	}
}

// SplitArgs splits a published arg list as a minion receives it into the
// positional arguments and the keyword arguments of its trailing
// {"__kwarg__": True, ...} maps.
func SplitArgs(args []any) (pos []any, kw *data.Map) {
	kw = data.NewMap()
	for _, a := range args {
		if m, ok := a.(*data.Map); ok {
			if v, _ := m.Get("__kwarg__"); v == true {
				m.Range(func(k, v any) bool {
					if k != "__kwarg__" {
						kw.Set(k, v)
					}
					return true
				})
				continue
			}
		}
		pos = append(pos, a)
	}
	return pos, kw
}

// Exec answers, without the module host, the few functions a minion under
// test runs: test.ping (True), test.arg (the args and kwargs received) and
// test.echo (its first argument). Any other function gets Salt's
// "'fun' is not available." with retcode 1 and the nested outputter.
func Exec(fun string, args []any) (ret any, retcode int, outputter string) {
	pos, kw := SplitArgs(args)
	switch fun {
	case "test.ping":
		return true, 0, ""
	case "test.arg":
		if pos == nil {
			pos = []any{}
		}
		return data.M("args", pos, "kwargs", kw), 0, ""
	case "test.echo":
		if len(pos) > 0 {
			return pos[0], 0, ""
		}
		return "", 0, ""
	}
	return fmt.Sprintf("'%s' is not available.", fun), 1, "nested"
}

// AwaitSubscribers waits up to timeout until n minions are connected to
// the publish port, and fails the test otherwise.
func (m *Master) AwaitSubscribers(t testing.TB, n int, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := m.WaitSubscribers(ctx, n); err != nil {
		t.Fatalf("%d minion(s) never subscribed: %v", n, err)
	}
}
