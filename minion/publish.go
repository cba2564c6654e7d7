package minion

import (
	"context"
	"crypto/rsa"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/minion/match"
	"github.com/saltgo/saltgo/transport/crypt"
	"github.com/saltgo/saltgo/transport/payload"
	"github.com/saltgo/saltgo/transport/zmq"
)

// publishReauthEvery bounds the re-authentications that undecryptable
// publishes can cause (a stream of garbage must not turn into a sign-in
// storm).
var publishReauthEvery = 5 * time.Second

// handlePublish opens, checks and targets one publish body, then starts the
// job. Every refusal is logged and the minion keeps serving.
func (m *Minion) handlePublish(ctx context.Context, body []byte) {
	load, err := m.openPublish(ctx, body)
	if err != nil {
		switch {
		case errors.Is(err, crypt.ErrNotAES):
			m.log.Debug("ignoring a publish that is not aes", "err", err)
		case errors.Is(err, crypt.ErrReplay):
			m.log.Warn("dropping a replayed or out-of-order publish", "err", err)
		default:
			m.log.Warn("dropping a publish", "err", err)
		}
		return
	}
	m.dispatch(ctx, load)
}

// openPublish verifies and decrypts a publish. A signature, when present,
// is always checked against the cached master key (and required when
// sign_pub_messages is set); an HMAC failure triggers at most one
// re-authentication (AES key rotation) and a second attempt.
func (m *Minion) openPublish(ctx context.Context, body []byte) (*data.Map, error) {
	var pub *rsa.PublicKey
	if m.s.SignPubMessages || publishSigned(body) {
		mk := m.cachedMaster()
		if mk == nil {
			return nil, errors.New("no cached master key to verify the publish signature")
		}
		pub = mk.pub
	}
	c := m.creds()
	load, err := crypt.OpenPublish(body, c.aes, pub)
	if err == nil || !errors.Is(err, crypt.ErrHMAC) {
		return load, err
	}
	if !m.mayReauthForPublish() {
		return nil, err
	}
	if d := m.s.RandomReauthDelay; d > 0 {
		// Spread the re-authentications of many minions after a rotation
		// (Salt's random_reauth_delay): wait a random time in [0, d).
		wait := time.Duration(rand.Int64N(int64(d)))
		m.log.Info("publish did not decrypt with the current AES key (rotated?), re-authenticating after a random delay", "delay", wait.Round(time.Millisecond))
		if !zmq.SleepCtx(ctx, wait) {
			return nil, ctx.Err()
		}
	}
	m.log.Info("publish did not decrypt with the current AES key (rotated?), re-authenticating once")
	if rerr := m.reauth(ctx, c); rerr != nil {
		return nil, errors.Join(err, rerr)
	}
	return crypt.OpenPublish(body, m.creds().aes, pub)
}

func (m *Minion) mayReauthForPublish() bool {
	m.pubReauthMu.Lock()
	defer m.pubReauthMu.Unlock()
	if time.Since(m.pubReauthAt) < publishReauthEvery {
		return false
	}
	m.pubReauthAt = time.Now()
	return true
}

func publishSigned(body []byte) bool {
	v, err := payload.Decode(body)
	if err != nil {
		return false
	}
	env, ok := v.(*data.Map)
	return ok && env.Has("sig")
}

// dispatch applies _target_load (required keys, matcher, jid de-dup) and
// starts the job.
func (m *Minion) dispatch(ctx context.Context, load *data.Map) {
	for _, k := range []string{"tgt", "jid", "fun", "arg"} {
		if !load.Has(k) {
			m.log.Warn("dropping a publish without "+k, "keys", load.Keys())
			return
		}
	}
	jid, ok := load.String("jid")
	if !ok || jid == "" {
		m.log.Warn("dropping a publish with a bad jid")
		return
	}
	tgt, _ := load.Get("tgt")
	tgtType, _ := load.String("tgt_type")
	delim, _ := load.String("delimiter")
	switch tgtType {
	case "grain", "grain_pcre", "pillar":
	default:
		delim = ""
	}
	ok, err := match.Match(m.matchData(), tgt, tgtType, delim)
	if err != nil {
		m.log.Warn("could not evaluate the publish target", "jid", jid, "tgt", tgt, "tgt_type", tgtType, "err", err)
	}
	if !ok {
		m.log.Debug("publish not for this minion", "jid", jid, "tgt", tgt, "tgt_type", tgtType)
		return
	}
	if !m.jids.add(jid) {
		m.log.Debug("ignoring a duplicate publish", "jid", jid)
		return
	}
	m.startJob(ctx, load)
}

func (m *Minion) matchData() *match.Minion {
	m.stateMu.RLock()
	defer m.stateMu.RUnlock()
	g := m.grains
	if g == nil {
		g = data.M("id", m.s.ID)
	}
	return &match.Minion{ID: m.s.ID, Grains: g, Pillar: m.pillar, Nodegroups: m.s.Nodegroups}
}

// jidQueue remembers the last hwm jids (minion_jid_queue_hwm).
type jidQueue struct {
	mu    sync.Mutex
	hwm   int
	order []string
	seen  map[string]bool
}

func newJIDQueue(hwm int) *jidQueue { return &jidQueue{hwm: hwm, seen: map[string]bool{}} }

// add records jid and reports whether it was new.
func (q *jidQueue) add(jid string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.seen[jid] {
		return false
	}
	q.seen[jid] = true
	q.order = append(q.order, jid)
	for len(q.order) > q.hwm {
		delete(q.seen, q.order[0])
		q.order = q.order[1:]
	}
	return true
}
