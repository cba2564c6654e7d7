package minion

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/saltgo/saltgo/atomicfile"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/jid"
	"github.com/saltgo/saltgo/transport/crypt"
)

// DefaultPublishReplaySkew is how much older than the last sign-in a
// publish's job id may be (clock skew between master and minion) before
// the publish is refused as a replay (saltgo option publish_replay_skew).
const DefaultPublishReplaySkew = 5 * time.Minute

// pubStateFile is the persisted publish high-water mark, under cachedir.
const pubStateFile = "saltgo/publish_hwm.json"

// pubState is what survives a restart of the minion: the publish serial
// high-water mark of one shared AES key (named by its digest, never
// stored), the newest job id run, the last job ids run, and whether the
// master (named by its key digest) signs its publishes.
type pubState struct {
	AESKey    string   `json:"aes_key,omitempty"`    // crypt.Crypticle.KeyID of the key Serial belongs to
	Serial    int64    `json:"serial"`               // highest publish serial accepted with that key
	JIDTime   string   `json:"jid_time,omitempty"`   // newest job id run
	JIDs      []string `json:"jids,omitempty"`       // last minion_jid_queue_hwm job ids run
	MasterKey string   `json:"master_key,omitempty"` // digest of the master key Signed is about
	Signed    bool     `json:"signed,omitempty"`     // that master has sent a verified signed publish
}

// replayGuard keeps the publish high-water mark across re-authentications
// (the Crypticle is rebuilt at every sign-in; the mark is carried when the
// key is the same) and restarts (persisted atomically in the cache dir).
type replayGuard struct {
	path string
	log  *slog.Logger

	mu sync.Mutex
	st pubState
}

// openReplayGuard reads the persisted state; a missing file starts empty,
// an unreadable one is logged and starts empty (the job id time floor
// still applies).
func openReplayGuard(cacheDir string, log *slog.Logger) *replayGuard {
	g := &replayGuard{path: filepath.Join(cacheDir, pubStateFile), log: log}
	b, err := os.ReadFile(g.path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &g.st); err != nil {
			log.Warn("publish high-water mark unreadable, starting afresh", "path", g.path, "err", err)
			g.st = pubState{}
		}
	case errors.Is(err, fs.ErrNotExist):
	default:
		log.Warn("publish high-water mark unreadable, starting afresh", "path", g.path, "err", err)
	}
	return g
}

// prime carries the known high-water mark into c when it is the same key.
func (g *replayGuard) prime(c *crypt.Crypticle) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.st.AESKey == c.KeyID() {
		c.AdvanceSerial(g.st.Serial)
	}
}

// jids returns the persisted job ids, oldest first.
func (g *replayGuard) jids() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.st.JIDs...)
}

// jidTime returns the time of the newest job id run (zero if none).
func (g *replayGuard) jidTime() time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	t, _ := jid.Time(g.st.JIDTime)
	return t
}

// masterSigns reports whether the master whose key digest is mk has sent a
// verified signed publish.
func (g *replayGuard) masterSigns(mk string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return mk != "" && g.st.Signed && g.st.MasterKey == mk
}

// sawSigned records that the master mk signs its publishes.
func (g *replayGuard) sawSigned(mk string) {
	g.mu.Lock()
	if g.st.Signed && g.st.MasterKey == mk {
		g.mu.Unlock()
		return
	}
	g.st.Signed, g.st.MasterKey = true, mk
	g.mu.Unlock()
	g.save()
}

// seen notes, in memory only, the serial of a publish c just opened (the
// next record persists it), so a re-authentication carries the mark of
// every publish seen, not only of the jobs run.
func (g *replayGuard) seen(c *crypt.Crypticle) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if k := c.KeyID(); k != g.st.AESKey {
		g.st.AESKey, g.st.Serial = k, 0
	}
	g.st.Serial = max(g.st.Serial, c.LastSerial())
}

// record notes an accepted publish that is about to run and persists the
// mark before the job starts.
func (g *replayGuard) record(c *crypt.Crypticle, id string, recent []string) {
	g.seen(c)
	g.mu.Lock()
	if _, err := jid.Time(id); err == nil && id > g.st.JIDTime {
		g.st.JIDTime = id
	}
	g.st.JIDs = recent
	g.mu.Unlock()
	g.save()
}

func (g *replayGuard) save() {
	g.mu.Lock()
	b, err := json.Marshal(g.st)
	g.mu.Unlock()
	if err == nil {
		err = atomicfile.WriteMkdir(g.path, b, 0o600, 0o700)
	}
	if err != nil {
		g.log.Warn("could not persist the publish high-water mark", "path", g.path, "err", err)
	}
}

// keyDigest names a master key (hex SHA-256 of its cleaned PEM).
func keyDigest(mk *masterKey) string {
	if mk == nil {
		return ""
	}
	d := sha256.Sum256([]byte(crypt.CleanKey(string(mk.pem))))
	return hex.EncodeToString(d[:])
}

// replayGuard returns the minion's guard, reading the persisted state on
// first use.
func (m *Minion) replayGuard() *replayGuard {
	m.replayOnce.Do(func() {
		m.replay = openReplayGuard(m.s.CacheDir, m.log)
		for _, j := range m.replay.jids() {
			m.jids.add(j)
		}
	})
	return m.replay
}

// staleJID returns why a publish with job id id is refused as too old
// ("" when it is not): its time is before the last sign-in (or the newest
// job id run, when that is not in the future) minus the skew allowance.
// Job ids that are not timestamps are left to the serial and de-dup checks.
func (m *Minion) staleJID(id string, c *creds) string {
	if m.s.PublishReplaySkew < 0 || c == nil {
		return ""
	}
	t, err := jid.Time(id)
	if err != nil {
		return ""
	}
	ref, what := c.at, "the last sign-in"
	if hw := m.replayGuard().jidTime(); hw.After(ref) && !hw.After(time.Now()) {
		ref, what = hw, "the newest job run"
	}
	floor := ref.Add(-m.s.PublishReplaySkew)
	if t.Before(floor) {
		return fmt.Sprintf("job id time %s is more than %s before %s (%s); raise publish_replay_skew if the master clock is behind",
			t.UTC().Format(time.RFC3339), m.s.PublishReplaySkew, what, ref.UTC().Format(time.RFC3339))
	}
	return ""
}

// publishReplaySkew reads the saltgo option publish_replay_skew (seconds;
// absent: DefaultPublishReplaySkew; 0 or negative: no job id time check).
func publishReplaySkew(raw *data.Map) time.Duration {
	if raw == nil {
		return 0
	}
	v, ok := raw.Get("publish_replay_skew")
	if !ok {
		return 0
	}
	var secs float64
	switch n := v.(type) {
	case float64:
		secs = n
	default:
		i, ok := data.AsInt(v)
		if !ok {
			return 0
		}
		secs = float64(i)
	}
	if secs <= 0 {
		return -1
	}
	return time.Duration(secs * float64(time.Second))
}
