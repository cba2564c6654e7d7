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
	errUnsignedReply    = errors.New("refusing an unsigned legacy auth reply: the master key is pinned (" + crypt.MinionMasterPubFile +
		"), so every auth reply must be signed and echo the request nonce; set saltgo_allow_legacy_master_auth: True only to talk to a legacy (pre-3002.8) master")
	errAuthDeps = errors.New("master public-key signing and verify_master_pubkey_sign disagree")
	errPubSig   = errors.New("master public-key signature (pub_sig) check failed")
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
		if err := crypt.CheckMasterKeySize(pub); err != nil {
			return fmt.Errorf("cached master key %s: %w", filepath.Join(m.s.PKIDir, crypt.MinionMasterPubFile), err)
		}
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
		case errors.Is(err, errUnsignedReply):
			m.log.Error(err.Error(), "master", m.masterURI, "retry_in", wait)
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
	if err != nil && mk != nil && errors.Is(err, crypt.ErrSignature) && m.s.VerifyMasterPubkeySign {
		// A new master key may be vouched for by master_sign (pub_sig,
		// checked below): the reply must then be signed by the key it
		// carries.
		if ar2, err2 := crypt.OpenAuthReply(reply, nil, m.s.SigAlgo, nonce); err2 == nil && ar2.Accepted && ar2.Signed &&
			!crypt.KeysEqual(ar2.PubKey, string(mk.pem)) {
			ar, err = ar2, nil
		}
	}
	if err != nil {
		if mk != nil && errors.Is(err, crypt.ErrSignature) {
			return fmt.Errorf("%w: the reply is not signed by the cached master key: %w", errMasterKeyChanged, err)
		}
		return err
	}
	if mk != nil && (ar.Gen < 2 || !ar.Signed) {
		// Downgrade guard: once the master key is pinned, only a signed
		// reply that echoes our nonce can be trusted (an unsigned one can
		// be replayed, or forged to stop the minion).
		if !m.s.AllowLegacyMasterAuth {
			return fmt.Errorf("%w (generation %d)", errUnsignedReply, ar.Gen)
		}
		m.log.Warn("accepting an unsigned legacy auth reply because saltgo_allow_legacy_master_auth is set", "master", m.masterURI)
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
	newKey, err := m.checkMasterPubKey(ar, mk)
	if err != nil {
		return err
	}
	keyPub, token := pub, tokenIf(mk != nil, m.token)
	if newKey != nil {
		// A master key vouched for by pub_sig (or first contact): the AES key
		// signature is checked with it; a changed master could not decrypt
		// the token we encrypted for the old key (Salt skips it too).
		keyPub, token = newKey, tokenIf(mk != nil && crypt.KeysEqual(ar.PubKey, string(mk.pem)), m.token)
	}
	keys, err := ar.Keys(m.priv.key, keyPub, m.s.EncAlgo, token)
	if err != nil {
		return err
	}
	if m.s.MasterFinger != "" {
		// Checked before a new key is cached, so a wrong master is never pinned.
		text := []byte(ar.PubKey)
		if newKey == nil {
			text = mk.pem
		}
		f, err := crypt.PemFinger(text, m.s.HashType)
		if err != nil || f != m.s.MasterFinger {
			return fmt.Errorf("%w: fingerprint %s does not match master_finger %s", errMasterKeyChanged, f, m.s.MasterFinger)
		}
	}
	if newKey != nil {
		// Trust on first use, or a key change vouched for by master_sign:
		// cache the key that just signed this reply.
		if err := crypt.WriteCachedMasterKey(m.s.PKIDir, []byte(ar.PubKey)); err != nil {
			return fmt.Errorf("cache master key: %w", err)
		}
		p, pem, err := crypt.ReadCachedMasterKey(m.s.PKIDir)
		if err != nil {
			return err
		}
		if mk == nil {
			m.log.Info("cached the master public key (first contact)", "path", filepath.Join(m.s.PKIDir, crypt.MinionMasterPubFile))
		} else {
			m.log.Warn("the master key has changed and its pub_sig verifies with "+m.s.MasterSignKeyName+".pub; cached the new key",
				"path", filepath.Join(m.s.PKIDir, crypt.MinionMasterPubFile))
		}
		mk = &masterKey{pub: p, pem: pem}
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

// checkMasterPubKey applies Salt's verify_master rules to the pub_key of an
// accepted reply: the key size floor, check_auth_deps (pub_sig present
// exactly when verify_master_pubkey_sign is set) and, for a key seen for
// the first time or different from the cached one, either trust on first
// use (no verify_master_pubkey_sign) or a pub_sig that verifies with
// master_sign.pub. It returns the parsed key when it must be cached (nil
// when the cached key is unchanged).
func (m *Minion) checkMasterPubKey(ar *crypt.AuthReply, mk *masterKey) (*rsa.PublicKey, error) {
	key, err := crypt.ParsePublicKeyPEM([]byte(ar.PubKey))
	if err != nil {
		return nil, fmt.Errorf("sign-in reply: pub_key: %w", err)
	}
	if err := crypt.CheckMasterKeySize(key); err != nil {
		return nil, fmt.Errorf("sign-in reply: refusing the master key: %w", err)
	}
	switch {
	case ar.PubSig != nil && !m.s.VerifyMasterPubkeySign:
		return nil, fmt.Errorf("%w: the master sent its public-key signature (pub_sig) but verify_master_pubkey_sign is not enabled on this minion; enable it or disable master_sign_pubkey on the master", errAuthDeps)
	case ar.PubSig == nil && m.s.VerifyMasterPubkeySign:
		return nil, fmt.Errorf("%w: verify_master_pubkey_sign is enabled but the master did not send its public-key signature (pub_sig); enable master_sign_pubkey on the master or disable verify_master_pubkey_sign", errAuthDeps)
	}
	if mk != nil && crypt.KeysEqual(ar.PubKey, string(mk.pem)) {
		// always_verify_signature: check pub_sig even when the key is the
		// one already pinned.
		if m.s.AlwaysVerifySignature {
			if err := m.verifyPubSig(ar); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
	if !m.s.VerifyMasterPubkeySign {
		if mk != nil {
			return nil, fmt.Errorf("%w: the master sent another public key than %s", errMasterKeyChanged, crypt.MinionMasterPubFile)
		}
		return key, nil
	}
	if err := m.verifyPubSig(ar); err != nil {
		return nil, err
	}
	return key, nil
}

// verifyPubSig checks the reply's pub_sig over its pub_key with
// <pki_dir>/<master_sign_key_name>.pub.
func (m *Minion) verifyPubSig(ar *crypt.AuthReply) error {
	signPath := filepath.Join(m.s.PKIDir, m.s.MasterSignKeyName+".pub")
	signPub, _, err := crypt.ReadPublicKey(signPath)
	if err != nil {
		return fmt.Errorf("%w: verification key %s: %w (copy it from the master's pki dir)", errPubSig, signPath, err)
	}
	if err := crypt.VerifyPubKeySig(signPub, m.s.SigAlgo, ar.PubKey, ar.PubSig); err != nil {
		return fmt.Errorf("%w: the master public key is not signed by %s: %w", errPubSig, signPath, err)
	}
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
