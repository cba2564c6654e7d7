package minion

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
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

// errUnsigned refuses an unsigned publish from a master known to sign.
var errUnsigned = errors.New("unsigned publish")

// handlePublish opens, checks and targets one publish body, then starts the
// job. Every refusal is logged once, with its reason, and the minion keeps
// serving.
func (m *Minion) handlePublish(ctx context.Context, body []byte) {
	load, aes, err := m.openPublish(ctx, body)
	if err != nil {
		switch {
		case errors.Is(err, crypt.ErrNotAES):
			m.log.Debug("ignoring a publish that is not aes", "err", err)
		case errors.Is(err, crypt.ErrReplay):
			m.log.Warn("refusing a replayed publish", "reason", err.Error())
		case errors.Is(err, errUnsigned):
			m.log.Warn("refusing an unsigned publish", "reason", err.Error())
		default:
			m.log.Warn("dropping a publish", "err", err)
		}
		return
	}
	m.dispatch(ctx, load, aes)
}

// openPublish verifies and decrypts a publish; it returns the load and the
// Crypticle that opened it. A signature, when present, is always checked
// against the cached master key; it is required when sign_pub_messages is
// set or once this master has sent a signed publish (persisted: a holder
// of the shared AES key cannot strip it). The serial high-water mark of the
// same AES key is carried into the Crypticle of every sign-in. An HMAC
// failure (AES key rotation) triggers one re-authentication, at once, and a
// second attempt; only after the publish channel reconnected (the master
// was down: every minion reconnects at the same time) is it spread by a
// random random_reauth_delay.
func (m *Minion) openPublish(ctx context.Context, body []byte) (*data.Map, *crypt.Crypticle, error) {
	g := m.replayGuard()
	mk := m.cachedMaster()
	mkID := keyDigest(mk)
	signed := publishSigned(body)
	if !signed {
		switch {
		case m.s.SignPubMessages:
			return nil, nil, fmt.Errorf("%w: sign_pub_messages is set", errUnsigned)
		case g.masterSigns(mkID):
			return nil, nil, fmt.Errorf("%w: this master signs its publishes (a signed publish was seen), so an unsigned one is forged or stripped", errUnsigned)
		}
	}
	var pub *rsa.PublicKey
	if signed || m.s.SignPubMessages {
		if mk == nil {
			return nil, nil, errors.New("no cached master key to verify the publish signature")
		}
		pub = mk.pub
	}
	open := func(c *creds) (*data.Map, error) {
		g.prime(c.aes)
		load, err := crypt.OpenPublish(body, c.aes, pub)
		if err == nil {
			g.seen(c.aes)
			m.pubReconnHeld.Store(false)
			if signed {
				g.sawSigned(mkID)
			}
		}
		return load, err
	}
	c := m.creds()
	load, err := open(c)
	if err == nil || !errors.Is(err, crypt.ErrHMAC) {
		return load, c.aes, err
	}
	if !m.mayReauthForPublish() {
		return nil, nil, err
	}
	if d := m.s.RandomReauthDelay; d > 0 && m.pubReconnHeld.Swap(false) {
		// The master was down and every minion reconnects now: spread
		// the re-authentications (Salt's random_reauth_delay).
		wait := time.Duration(rand.Int64N(int64(d)))
		m.log.Info("publish did not decrypt after the publish channel reconnected (master restarted?), re-authenticating after a random delay", "delay", wait.Round(time.Millisecond))
		if !zmq.SleepCtx(ctx, wait) {
			return nil, nil, ctx.Err()
		}
	}
	m.log.Info("publish did not decrypt with the current AES key (rotated?), re-authenticating once")
	if rerr := m.reauth(ctx, c); rerr != nil {
		return nil, nil, errors.Join(err, rerr)
	}
	c = m.creds()
	load, err = open(c)
	return load, c.aes, err
}

// onPubConnect is called at each publish channel connection: any after the
// first is a reconnect (the master went away).
func (m *Minion) onPubConnect() {
	if m.pubConnects.Add(1) > 1 {
		m.pubReconnHeld.Store(true)
	}
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
func (m *Minion) dispatch(ctx context.Context, load *data.Map, aes *crypt.Crypticle) {
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
	if reason := m.staleJID(jid, m.creds()); reason != "" {
		m.log.Warn("refusing a replayed publish", "jid", jid, "reason", reason)
		return
	}
	if !m.jids.add(jid) {
		m.log.Warn("refusing a replayed publish", "jid", jid, "reason", "this job id already ran")
		return
	}
	m.replayGuard().record(aes, jid, m.jids.list())
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

// list returns the remembered jids, oldest first.
func (q *jidQueue) list() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]string(nil), q.order...)
}

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
