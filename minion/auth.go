package minion

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"time"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/transport/crypt"
	"github.com/saltgo/saltgo/transport/payload"
	"github.com/saltgo/saltgo/transport/zmq"
)

type rsaKey struct {
	key    *rsa.PrivateKey
	pubPEM []byte
	tok    []byte // X9.31 token over "salt"
}

type masterKey struct {
	pub *rsa.PublicKey
	pem []byte
}

// Sign-in outcomes other than success.
var (
	errPending          = errors.New("the master has not accepted this minion's key yet")
	errRejected         = errors.New("the master rejected this minion's key")
	errFull             = errors.New("the master has reached max_minions")
	errMasterKeyChanged = errors.New("the master key has changed")
)

// loadKeys loads or generates minion.pem/minion.pub (Salt's names and
// modes) and the cached master key.
func (m *Minion) loadKeys() error {
	priv, pubPEM, err := crypt.LoadOrGenerateMinionKeys(m.s.PKIDir, m.s.KeySize)
	if err != nil {
		return fmt.Errorf("minion keys in %s: %w", m.s.PKIDir, err)
	}
	tok, err := crypt.MinionToken(priv)
	if err != nil {
		return err
	}
	m.priv = &rsaKey{key: priv, pubPEM: pubPEM, tok: tok}
	if m.token, err = crypt.GenerateKeyString(); err != nil {
		return err
	}
	pub, pem, err := crypt.ReadCachedMasterKey(m.s.PKIDir)
	switch {
	case err == nil:
		m.masterPub = &masterKey{pub: pub, pem: pem}
	case errors.Is(err, fs.ErrNotExist):
	default:
		return fmt.Errorf("cached master key %s: %w (remove it to trust the master again)",
			filepath.Join(m.s.PKIDir, crypt.MinionMasterPubFile), err)
	}
	return nil
}

func (m *Minion) cachedMaster() *masterKey {
	m.credsMu.RLock()
	defer m.credsMu.RUnlock()
	return m.masterPub
}

// signInLoop signs in until it succeeds, the key is rejected (fatal unless
// rejected_retry) or ctx ends. Pending keys, a full master, timeouts and a
// changed master key are retried every acceptance_wait_time, growing by
// acceptance_wait_time up to acceptance_wait_time_max.
func (m *Minion) signInLoop(ctx context.Context) error {
	wait := m.s.AcceptanceWaitTime
	for {
		m.authMu.Lock()
		err := m.signIn(ctx)
		m.authMu.Unlock()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		switch {
		case errors.Is(err, errPending):
			m.log.Error(fmt.Sprintf("The Salt Master has cached the public key for this node, this salt minion will wait for %s before attempting to re-authenticate", wait.Round(time.Millisecond)),
				"hint", "accept it on the master: salt-key -a "+m.s.ID)
		case errors.Is(err, errRejected):
			if !m.s.RejectedRetry {
				m.log.Error("The Salt Master has rejected this minion's public key! To repair this issue, delete the public key for this minion on the Salt Master and restart this minion. The minion will now exit.")
				d := time.Duration(10+rand.IntN(11)) * time.Second
				if m.opts.RejectedExitDelay != nil {
					d = m.opts.RejectedExitDelay()
				}
				zmq.SleepCtx(ctx, d)
				return &ExitError{Code: ExitNoPerm, Err: fmt.Errorf("minion %s: %w", m.s.ID, errRejected)}
			}
			m.log.Error("The Salt Master has rejected this minion's public key; rejected_retry is set, retrying", "in", wait)
		case errors.Is(err, errMasterKeyChanged):
			m.log.Error("The master key has changed, the salt master could have been subverted, verify salt master's public key; refusing to talk to it",
				"cached_key", filepath.Join(m.s.PKIDir, crypt.MinionMasterPubFile), "err", err, "retry_in", wait)
		case errors.Is(err, errFull):
			m.log.Error("The Salt Master has reached max_minions; retrying", "in", wait)
		default:
			m.log.Error("authentication with the master failed", "master", m.masterURI, "err", err, "retry_in", wait)
		}
		if !zmq.SleepCtx(ctx, jitter(wait)) {
			return ctx.Err()
		}
		if m.s.AcceptanceWaitTimeMax > 0 && wait < m.s.AcceptanceWaitTimeMax {
			wait = min(wait+m.s.AcceptanceWaitTime, m.s.AcceptanceWaitTimeMax)
		} else if m.s.AcceptanceWaitTimeMax <= 0 && errors.Is(err, errMasterKeyChanged) {
			// Never hammer a master we refuse (Salt issue 39394).
			wait = min(wait*2, 5*time.Minute)
		}
	}
}

// signInLoad builds the _auth load (spec 3.5.1), keys in Salt's order.
func (m *Minion) signInLoad(nonce string, mk *masterKey) (*data.Map, error) {
	l := data.M("cmd", "_auth", "id", m.s.ID, "nonce", nonce, "enc_algo", m.s.EncAlgo, "sig_algo", m.s.SigAlgo)
	if mk != nil {
		tok, err := crypt.EncryptOAEP(mk.pub, m.s.EncAlgo, []byte(m.token))
		if err != nil {
			return nil, err
		}
		l.Set("token", tok)
	}
	l.Set("pub", crypt.CleanKey(string(m.priv.pubPEM)))
	return l, nil
}

// signIn performs one _auth exchange (with the request channel's own
// tries) and installs the new credentials.
func (m *Minion) signIn(ctx context.Context) error {
	mk := m.cachedMaster()
	var nonce string
	raw, err := m.authClient.Request(ctx, func(int) ([]byte, error) {
		var err error
		if nonce, err = crypt.NewNonce(); err != nil {
			return nil, err
		}
		l, err := m.signInLoad(nonce, mk)
		if err != nil {
			return nil, err
		}
		return payload.Encode(data.M("enc", "clear", "load", l, "version", int64(3)))
	})
	if err != nil {
		return fmt.Errorf("sign-in request: %w", err)
	}
	reply, err := payload.Decode(raw)
	if err != nil {
		return fmt.Errorf("sign-in reply: %w", err)
	}
	if s, ok := reply.(string); ok {
		return fmt.Errorf("sign-in refused by the master: %q", s)
	}
	var pub *rsa.PublicKey
	if mk != nil {
		pub = mk.pub
	}
	ar, err := crypt.OpenAuthReply(reply, pub, m.s.SigAlgo, nonce)
	if err != nil {
		if mk != nil && errors.Is(err, crypt.ErrSignature) {
			return fmt.Errorf("%w: the reply is not signed by the cached master key: %w", errMasterKeyChanged, err)
		}
		return err
	}
	if ar.Gen >= 2 && !ar.Signed && (mk != nil || ar.Accepted) {
		// Only a status reply (pending, rejected) on first contact, before
		// any master key is known, can go unverified, as in Salt.
		return errors.New("sign-in reply: signed reply could not be verified")
	}
	if !ar.Accepted {
		switch r := ar.Ret.(type) {
		case bool:
			if r {
				return errPending
			}
			return errRejected
		case string:
			if r == "full" {
				return errFull
			}
		}
		return fmt.Errorf("sign-in: unexpected ret %v", ar.Ret)
	}
	if mk != nil && !crypt.KeysEqual(ar.PubKey, string(mk.pem)) {
		return fmt.Errorf("%w: the master sent another public key than %s", errMasterKeyChanged, crypt.MinionMasterPubFile)
	}
	keys, err := ar.Keys(m.priv.key, pub, m.s.EncAlgo, tokenIf(mk != nil, m.token))
	if err != nil {
		return err
	}
	if mk == nil {
		// Trust on first use: cache the key that just signed this reply.
		if err := crypt.WriteCachedMasterKey(m.s.PKIDir, []byte(ar.PubKey)); err != nil {
			return fmt.Errorf("cache master key: %w", err)
		}
		p, pem, err := crypt.ReadCachedMasterKey(m.s.PKIDir)
		if err != nil {
			return err
		}
		mk = &masterKey{pub: p, pem: pem}
		m.log.Info("cached the master public key (first contact)", "path", filepath.Join(m.s.PKIDir, crypt.MinionMasterPubFile))
	}
	if m.s.MasterFinger != "" {
		f, err := crypt.PemFinger(mk.pem, m.s.HashType)
		if err != nil || f != m.s.MasterFinger {
			return fmt.Errorf("%w: fingerprint %s does not match master_finger %s", errMasterKeyChanged, f, m.s.MasterFinger)
		}
	}
	c := &creds{gen: ar.Gen, publishPort: ar.PublishPort, at: time.Now()}
	if c.aes, err = crypt.NewCrypticle(keys.AES); err != nil {
		return err
	}
	if keys.Session != "" {
		if c.session, err = crypt.NewCrypticle(keys.Session); err != nil {
			return err
		}
	}
	m.credsMu.Lock()
	if m.cur != nil {
		c.serial = m.cur.serial + 1
	}
	m.cur, m.masterPub = c, mk
	m.credsMu.Unlock()
	m.log.Info("authenticated with the master", "master", m.masterURI, "protocol_generation", c.gen, "session_key", c.session != nil)
	return nil
}

func tokenIf(ok bool, t string) string {
	if ok {
		return t
	}
	return ""
}

// reauth signs in again unless someone already did since old was current.
// Failures are returned (the caller drops or retries its message); a
// pending or rejected key here is logged by the caller.
func (m *Minion) reauth(ctx context.Context, old *creds) error {
	m.authMu.Lock()
	defer m.authMu.Unlock()
	if cur := m.creds(); cur != nil && old != nil && cur.serial != old.serial {
		return nil
	}
	m.log.Info("re-authenticating with the master")
	return m.signIn(ctx)
}
