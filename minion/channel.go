package minion

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/transport/crypt"
	"github.com/saltgo/saltgo/transport/payload"
	"github.com/saltgo/saltgo/transport/zmq"
)

// replyKind selects how an AES request's reply is opened.
type replyKind int

const (
	replySend    replyKind = iota // Crypticle(key).dumps(ret, nonce)
	replyPrivate                  // {key, pillar} (spec 3.8)
)

// errNeedReauth marks reply failures that a new sign-in can cure ("bad
// load", HMAC failure, nonce or signature mismatch after a key rotation).
var errNeedReauth = errors.New("the master did not accept our credentials")

// errReauthFailed marks a request that failed because the sign-in it
// needed failed: the master refuses the minion, not the request.
var errReauthFailed = errors.New("re-authentication failed")

// Request sends an AES request (spec 3.7) with load and returns the
// decrypted reply. The channel adds nonce, ts, tok and id, encrypts with the
// session key (generation 3) or the shared AES key, checks the nonce echo,
// and on "bad load" or an undecryptable reply re-authenticates and retries
// once.
func (m *Minion) Request(ctx context.Context, load *data.Map) (any, error) {
	return m.request(ctx, load, replySend)
}

func (m *Minion) request(ctx context.Context, load *data.Map, kind replyKind) (any, error) {
	var lastErr error
	for attempt := 0; attempt < 2; attempt++ {
		c := m.creds()
		if c == nil {
			return nil, errors.New("minion: not authenticated")
		}
		v, err := m.requestOnce(ctx, c, load, kind)
		if err == nil {
			return v, nil
		}
		lastErr = err
		if !errors.Is(err, errNeedReauth) || attempt == 1 || ctx.Err() != nil {
			break
		}
		m.log.Warn("request refused or undecryptable, re-authenticating and retrying once", "cmd", cmdOf(load), "err", err)
		if rerr := m.reauth(ctx, c); rerr != nil {
			return nil, fmt.Errorf("%w (%w: %w)", err, errReauthFailed, rerr)
		}
	}
	return nil, lastErr
}

func cmdOf(l *data.Map) string { s, _ := l.String("cmd"); return s }

func (m *Minion) acquire(ctx context.Context) (*zmq.ReqClient, error) {
	select {
	case c := <-m.reqPool:
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (m *Minion) requestOnce(ctx context.Context, c *creds, load *data.Map, kind replyKind) (any, error) {
	rc, err := m.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer func() { m.reqPool <- rc }()
	key := c.reqKey()
	var nonce string
	raw, err := rc.Request(ctx, func(int) ([]byte, error) {
		var err error
		if nonce, err = crypt.NewNonce(); err != nil {
			return nil, err
		}
		l := load.Copy()
		l.Set("nonce", nonce)
		l.Set("ts", time.Now().Unix())
		l.Set("tok", m.priv.tok)
		l.Set("id", m.s.ID)
		if err := m.signReturn(l); err != nil {
			return nil, err
		}
		blob, err := key.Dumps(l, "")
		if err != nil {
			return nil, err
		}
		return payload.Encode(data.M("enc", "aes", "load", blob, "version", int64(3), "id", m.s.ID,
			"enc_algo", m.s.EncAlgo, "sig_algo", m.s.SigAlgo))
	})
	if err != nil {
		return nil, err
	}
	reply, err := payload.Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("reply to %s: %w", cmdOf(load), err)
	}
	expect := nonce
	if c.gen < 2 {
		expect = ""
	}
	if s, ok := reply.(string); ok && !looksLikeBlob(s) {
		return nil, fmt.Errorf("%w: master replied %q to %s", errNeedReauth, clip(s), cmdOf(load))
	}
	switch kind {
	case replyPrivate:
		mk := m.cachedMaster()
		v, err := crypt.OpenPrivateReply(reply, m.priv.key, mk.pub, m.s.EncAlgo, m.s.SigAlgo, expect)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errNeedReauth, err)
		}
		return v, nil
	default:
		v, err := crypt.OpenReply(key, reply, expect)
		if err != nil {
			if errors.Is(err, crypt.ErrHMAC) || errors.Is(err, crypt.ErrNonce) || errors.Is(err, crypt.ErrNoPrefix) {
				return nil, fmt.Errorf("%w: %w", errNeedReauth, err)
			}
			return nil, err
		}
		return v, nil
	}
}

// looksLikeBlob: Crypticle blobs travel as msgpack str too; only short
// printable strings are master error texts.
func looksLikeBlob(s string) bool {
	if len(s) < 16+16+32 {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			return true
		}
	}
	return false
}

func clip(s string) string {
	s = strings.ToValidUTF8(s, "?")
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// FireMaster sends an event to the master event bus (_minion_event), like
// event.fire_master / event.send: the master fires the whole load under tag.
func (m *Minion) FireMaster(ctx context.Context, tag string, eventData any) error {
	l := data.M("id", m.s.ID, "cmd", "_minion_event", "pretag", nil, "tok", m.priv.tok, "data", eventData, "tag", tag)
	_, err := m.Request(ctx, l)
	if err != nil {
		return fmt.Errorf("fire event %s: %w", tag, err)
	}
	return nil
}

func (m *Minion) fireStartEvents(ctx context.Context) {
	msg := fmt.Sprintf("Minion %s started at %s", m.s.ID, time.Now().Format("Mon Jan _2 15:04:05 2006"))
	if m.s.EnableLegacyStartupEvents {
		if err := m.FireMaster(ctx, "minion_start", msg); err != nil {
			m.log.Warn("could not send the minion_start event", "err", err)
		}
	}
	if err := m.FireMaster(ctx, "salt/minion/"+m.s.ID+"/start", msg); err != nil {
		m.log.Warn("could not send the start event", "err", err)
	}
}

// RefreshGrains collects the grains anew (Options.Grains) and keeps them
// for targeting and the jobs that follow (saltutil.refresh_grains).
func (m *Minion) RefreshGrains(ctx context.Context) (*data.Map, error) {
	grains := data.M("id", m.s.ID)
	if m.opts.Grains != nil {
		g, err := m.opts.Grains(ctx)
		if err != nil {
			m.log.Warn("grains collection failed; keeping what was collected", "err", err)
		}
		if g != nil {
			grains = g
		}
	}
	m.stateMu.Lock()
	m.grains = grains
	m.stateMu.Unlock()
	return grains, nil
}

// RefreshPillar collects the grains and asks the master to compile the
// pillar (_pillar, spec 6), verifying the private reply; it keeps the new
// pillar for targeting and the jobs that follow, and returns it.
func (m *Minion) RefreshPillar(ctx context.Context) (*data.Map, error) {
	grains, _ := m.RefreshGrains(ctx)
	l := data.M("id", m.s.ID, "grains", grains, "saltenv", noneIfEmpty(m.s.Saltenv), "pillarenv", noneIfEmpty(m.s.Pillarenv),
		"pillar_override", data.NewMap(), "extra_minion_data", data.NewMap(), "ver", "2", "cmd", "_pillar")
	v, err := m.request(ctx, l, replyPrivate)
	if err != nil {
		return nil, fmt.Errorf("pillar: %w", err)
	}
	p, ok := v.(*data.Map)
	if !ok {
		if v != nil {
			return nil, fmt.Errorf("pillar: the master sent %T, want a map", v)
		}
		p = data.NewMap()
	}
	m.stateMu.Lock()
	m.pillar = p
	m.stateMu.Unlock()
	m.log.Debug("pillar compiled", "keys", p.Len())
	return p, nil
}

func noneIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
