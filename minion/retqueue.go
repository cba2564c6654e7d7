package minion

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/saltgo/saltgo/atomicfile"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/transport/payload"
	"github.com/saltgo/saltgo/transport/zmq"
)

// returnQueue keeps job returns on disk until the master acknowledged them:
// a return is written (atomically) before the first send and removed only
// after the master's reply, so a master outage or a minion restart loses
// nothing, and a delivered return is never sent again (except when the
// minion dies between the master's reply and the removal). At most max
// returns are kept; beyond that the oldest is dropped with an error line.
type returnQueue struct {
	dir string
	max int
	log *slog.Logger

	mu    sync.Mutex
	names []string // pending files, oldest first
	seq   uint64
	wake  chan struct{}
}

const retSuffix = ".ret"

// maxRefusals is how many times in a row the master may refuse the return
// at the head of the queue (it answered, but not with an acceptance)
// before the return is moved aside as <name>.bad so that the rest flows.
// Timeouts (the master is down) never count.
const maxRefusals = 5

// refused tells whether a failed delivery is the master refusing this
// return (it answered, the minion is signed in) rather than the master
// being unreachable or refusing the minion itself.
func refused(err error) bool {
	for _, e := range []error{zmq.ErrTimeout, zmq.ErrClosed, context.Canceled, context.DeadlineExceeded,
		errReauthFailed, errPending, errRejected, errFull, errMasterKeyChanged} {
		if errors.Is(err, e) {
			return false
		}
	}
	return true
}

func openReturnQueue(dir string, max int, log *slog.Logger) (*returnQueue, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("return queue: %w", err)
	}
	q := &returnQueue{dir: dir, max: max, log: log, wake: make(chan struct{}, 1)}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("return queue: %w", err)
	}
	for _, e := range ents {
		n := e.Name()
		if !strings.HasSuffix(n, retSuffix) {
			continue
		}
		seq, err := strconv.ParseUint(strings.TrimSuffix(n, retSuffix), 10, 64)
		if err != nil {
			continue
		}
		q.names = append(q.names, n)
		q.seq = max64(q.seq, seq)
	}
	sort.Strings(q.names)
	if len(q.names) > 0 {
		log.Info("returns left from a previous run will be sent", "count", len(q.names), "dir", dir)
		q.signal()
	}
	return q, nil
}

func max64(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}

func (q *returnQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// pending returns the number of returns not yet delivered.
func (q *returnQueue) pending() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.names)
}

func (q *returnQueue) enqueue(load *data.Map) error {
	b, err := payload.Encode(load)
	if err != nil {
		return fmt.Errorf("encode return: %w", err)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.seq++
	name := fmt.Sprintf("%020d%s", q.seq, retSuffix)
	if err := atomicfile.Write(filepath.Join(q.dir, name), b, 0o600); err != nil {
		return err
	}
	q.names = append(q.names, name)
	for len(q.names) > q.max {
		old := q.names[0]
		q.names = q.names[1:]
		q.log.Error("return queue full, dropping the oldest undelivered return", "file", old, "max", q.max)
		_ = os.Remove(filepath.Join(q.dir, old))
	}
	q.signal()
	return nil
}

func (q *returnQueue) head() (string, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.names) == 0 {
		return "", false
	}
	return q.names[0], true
}

func (q *returnQueue) done(name string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.names) > 0 && q.names[0] == name {
		q.names = q.names[1:]
	}
	_ = os.Remove(filepath.Join(q.dir, name))
}

// sendLoop delivers queued returns in order until ctx ends, waiting
// return_retry_timer..return_retry_timer_max between failed attempts; a
// return the master refuses maxRefusals times in a row is moved aside.
func (q *returnQueue) sendLoop(ctx context.Context, m *Minion) {
	var refusals struct {
		name string // the head return being refused
		n    int
	}
	for {
		name, ok := q.head()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-q.wake:
				continue
			}
		}
		path := filepath.Join(q.dir, name)
		b, err := os.ReadFile(path)
		var load *data.Map
		if err == nil {
			load, err = payload.DecodeMap(b)
		}
		if err != nil {
			q.log.Error("unreadable queued return, moving it aside", "file", path, "err", err)
			_ = os.Rename(path, path+".bad")
			q.done(name)
			continue
		}
		jid, _ := load.String("jid")
		signedIn := m.creds() != nil
		if _, err := m.Request(ctx, load); err != nil {
			if ctx.Err() != nil {
				return
			}
			if signedIn && refused(err) {
				if refusals.name != name {
					refusals.name, refusals.n = name, 0
				}
				refusals.n++
				if refusals.n >= maxRefusals {
					q.log.Error("the master refused a job return too many times, moving it aside so that the other returns flow",
						"jid", jid, "tries", refusals.n, "file", path+".bad", "err", err)
					_ = os.Rename(path, path+".bad")
					q.done(name)
					continue
				}
			}
			wait := m.s.ReturnRetryTimer
			if span := m.s.ReturnRetryTimerMax - m.s.ReturnRetryTimer; span > 0 {
				wait += time.Duration(rand.Int64N(int64(span)))
			}
			q.log.Warn("could not deliver a job return, will retry", "jid", jid, "err", err, "in", wait.Round(time.Millisecond), "pending", q.pending())
			if !zmq.SleepCtx(ctx, wait) {
				return
			}
			continue
		}
		q.done(name)
		q.log.Debug("return delivered", "jid", jid)
	}
}
