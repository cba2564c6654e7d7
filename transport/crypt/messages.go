package crypt

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/transport/payload"
)

// ErrBadAlgo is returned when the master refused the minion's enc_algo or
// sig_algo ("bad enc algo" / "bad sig algo"): a configuration error, retrying
// will not help.
var ErrBadAlgo = errors.New("crypt: master does not support the requested algorithm")

// ErrToken is returned by AuthReply.Keys when the master did not echo the
// minion's token (missing, or not decrypting to it): the reply does not
// answer this sign-in.
var ErrToken = errors.New("crypt: auth reply: the master did not echo our token")

// ErrWeakKey is returned for a master key shorter than MinKeySize.
var ErrWeakKey = errors.New("crypt: master key too small")

// CheckMasterKeySize refuses a master public key shorter than
// MinKeySize (2048 bits); the error names the size.
func CheckMasterKeySize(pub *rsa.PublicKey) error {
	if n := pub.N.BitLen(); n < MinKeySize {
		return fmt.Errorf("%w: %d bits, at least %d required", ErrWeakKey, n, MinKeySize)
	}
	return nil
}

// ErrNotAES is returned by OpenPublish for a publish whose enc is not "aes";
// Salt minions ignore such messages.
var ErrNotAES = errors.New("crypt: publish is not an aes message")

// AuthReply is an _auth reply whose envelope, signature and nonce have been
// checked by OpenAuthReply.
type AuthReply struct {
	// Gen is the protocol generation seen: 0 for a legacy unsigned reply,
	// 2 for a signed reply without a session key, 3 with one. Pending and
	// rejected signed replies report 2.
	Gen int
	// Signed is true when the outer PKCS#1 v1.5 signature was verified.
	Signed bool
	// Load is the inner map R (enc, pub_key, publish_port, aes, ...).
	Load *data.Map
	// Accepted is false when R carries "ret" (the key was not accepted).
	Accepted bool
	// Ret is R["ret"] for a refused key: true = pending, false = rejected,
	// "full" = max_minions reached.
	Ret any
	// PubKey is the master public key text sent in pub_key (accepted only).
	PubKey string
	// PublishPort is publish_port (accepted only; a string port is accepted).
	PublishPort int
	// PubSig is pub_sig (accepted only, master_sign_pubkey): the base64
	// text of the master_sign signature over PubKey; nil when absent.
	PubSig []byte
}

// AuthKeys are the symmetric keys an accepted _auth reply delivers.
type AuthKeys struct {
	AES     string // shared key: publishes, and requests for generations < 3
	Session string // per-minion key for requests and replies ("" before generation 3)
}

// OpenAuthReply checks a decoded _auth reply (the msgpack-decoded reply
// frame). For a signed reply (generation >= 2) it decodes the signed blob,
// verifies the outer PKCS#1 v1.5 signature (sigAlgo, "" = PKCS1v15-SHA1)
// with masterPub, or, when no master key is cached yet (masterPub nil), with
// the pub_key inside the reply, and checks that the blob echoes nonce
// (unless nonce is ""). A legacy unsigned reply is accepted with Gen 0 and
// Signed false; callers that require a modern master check Gen.
func OpenAuthReply(reply any, masterPub *rsa.PublicKey, sigAlgo, nonce string) (*AuthReply, error) {
	env, err := payload.AsMap(reply)
	if err != nil {
		return nil, fmt.Errorf("crypt: auth reply: %w", err)
	}
	r := &AuthReply{}
	lv, ok := env.Get("load")
	switch l := lv.(type) {
	case *data.Map:
		r.Load = l
	case string, []byte:
		blob, _ := data.AsBytes(l)
		sig, err := payload.GetBytes(env, "sig")
		if err != nil {
			return nil, fmt.Errorf("crypt: auth reply: signed load without signature: %w", err)
		}
		if r.Load, err = payload.DecodeMap(blob); err != nil {
			return nil, fmt.Errorf("crypt: auth reply: signed load: %w", err)
		}
		key := masterPub
		if key == nil {
			if pk, ok := r.Load.String("pub_key"); ok {
				if key, err = ParsePublicKeyPEM([]byte(pk)); err != nil {
					return nil, fmt.Errorf("crypt: auth reply: pub_key: %w", err)
				}
			}
		}
		if key != nil {
			if err := Verify(key, sigAlgo, blob, sig); err != nil {
				return nil, fmt.Errorf("crypt: auth reply: %w", err)
			}
			r.Signed = true
		}
		r.Gen = 2
		if nonce != "" {
			got, _ := r.Load.String("nonce")
			if got != nonce {
				return nil, fmt.Errorf("crypt: auth reply: %w: got %q, want %q", ErrNonce, got, nonce)
			}
		}
	default:
		if !ok && env.Has("aes") { // legacy accepted reply: the map itself
			r.Load = env
			break
		}
		return nil, fmt.Errorf("crypt: auth reply: load is %T, want a map or a signed blob", lv)
	}
	if ret, ok := r.Load.Get("ret"); ok {
		if s, ok := ret.(string); ok && (s == "bad enc algo" || s == "bad sig algo") {
			return nil, fmt.Errorf("%w: master replied %q", ErrBadAlgo, s)
		}
		r.Ret = ret
		return r, nil
	}
	r.Accepted = true
	if r.PubKey, err = payload.GetString(r.Load, "pub_key"); err != nil {
		return nil, fmt.Errorf("crypt: auth reply: %w", err)
	}
	if r.Load.Has("pub_sig") {
		if r.PubSig, err = payload.GetBytes(r.Load, "pub_sig"); err != nil {
			return nil, fmt.Errorf("crypt: auth reply: %w", err)
		}
	}
	if r.Load.Has("publish_port") {
		p, err := payload.GetInt(r.Load, "publish_port")
		if err != nil || p < 0 || p > 65535 {
			return nil, fmt.Errorf("crypt: auth reply: bad publish_port: %v", r.Load.Keys())
		}
		r.PublishPort = int(p)
	}
	if r.Gen == 2 && r.Load.Has("session") {
		r.Gen = 3
	}
	return r, nil
}

// Keys decrypts the keys of an accepted reply with the minion key (encAlgo,
// "" = OAEP-SHA1) and checks the mandatory X9.31 signature of the AES key
// with masterPub (nil: the reply's own pub_key, as Salt does on first
// contact). When token is not "" (the minion sent one) the reply must echo
// it, as Salt's extract_aes requires; otherwise the error wraps ErrToken.
func (r *AuthReply) Keys(minion *rsa.PrivateKey, masterPub *rsa.PublicKey, encAlgo, token string) (*AuthKeys, error) {
	if !r.Accepted {
		return nil, fmt.Errorf("crypt: auth reply: key not accepted (ret %v)", r.Ret)
	}
	if masterPub == nil {
		var err error
		if masterPub, err = ParsePublicKeyPEM([]byte(r.PubKey)); err != nil {
			return nil, fmt.Errorf("crypt: auth reply: pub_key: %w", err)
		}
	}
	ct, err := payload.GetBytes(r.Load, "aes")
	if err != nil {
		return nil, fmt.Errorf("crypt: auth reply: %w", err)
	}
	keys := &AuthKeys{}
	if keys.AES, err = DecryptKeyString(minion, encAlgo, ct); err != nil {
		return nil, fmt.Errorf("crypt: auth reply: aes: %w", err)
	}
	sig, err := payload.GetBytes(r.Load, "sig")
	if err != nil {
		return nil, fmt.Errorf("crypt: auth reply: the AES key signature is mandatory: %w", err)
	}
	if err := VerifyAESKeySig(masterPub, keys.AES, sig); err != nil {
		return nil, fmt.Errorf("crypt: auth reply: %w", err)
	}
	if token != "" {
		ct, err := payload.GetBytes(r.Load, "token")
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrToken, err)
		}
		got, err := DecryptOAEP(minion, encAlgo, ct)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrToken, err)
		}
		if string(got) != token {
			return nil, fmt.Errorf("%w (it could not decrypt it)", ErrToken)
		}
	}
	if r.Load.Has("session") {
		ct, err := payload.GetBytes(r.Load, "session")
		if err != nil {
			return nil, fmt.Errorf("crypt: auth reply: %w", err)
		}
		if keys.Session, err = DecryptKeyString(minion, encAlgo, ct); err != nil {
			return nil, fmt.Errorf("crypt: auth reply: session: %w", err)
		}
	}
	return keys, nil
}

// PubKeySig is the master side of VerifyPubKeySig (master_sign_pubkey):
// base64, with a trailing newline as Python's b2a_base64 writes it, of the
// PKCS#1 v1.5 signature (sigAlgo) of pubKey (the pub_key text sent) made
// with master_sign.pem.
func PubKeySig(signKey *rsa.PrivateKey, sigAlgo, pubKey string) ([]byte, error) {
	sig, err := Sign(signKey, sigAlgo, []byte(pubKey))
	if err != nil {
		return nil, err
	}
	return []byte(base64.StdEncoding.EncodeToString(sig) + "\n"), nil
}

// VerifyPubKeySig checks an auth reply's pub_sig (spec 3.5.3/3.5.4): the
// base64 text of a PKCS#1 v1.5 signature (sigAlgo) of pubKey, verified
// with master_sign.pub. The error wraps ErrSignature.
func VerifyPubKeySig(signPub *rsa.PublicKey, sigAlgo, pubKey string, pubSig []byte) error {
	sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(pubSig)))
	if err != nil {
		return fmt.Errorf("%w: pub_sig is not base64: %w", ErrSignature, err)
	}
	if err := Verify(signPub, sigAlgo, []byte(pubKey), sig); err != nil {
		return fmt.Errorf("pub_sig: %w", err)
	}
	return nil
}

// aesKeyDigest is the text the master X9.31-signs: hex(SHA-256(key string)).
func aesKeyDigest(aesKey string) []byte {
	d := sha256.Sum256([]byte(aesKey))
	return []byte(hex.EncodeToString(d[:]))
}

// AESKeySig is the master side of VerifyAESKeySig: the auth reply's "sig".
func AESKeySig(master *rsa.PrivateKey, aesKey string) ([]byte, error) {
	return X931Sign(master, aesKeyDigest(aesKey))
}

// VerifyAESKeySig checks the auth reply's "sig": the X9.31 private-encrypt,
// with the master key, of the hex SHA-256 of the AES key string.
func VerifyAESKeySig(masterPub *rsa.PublicKey, aesKey string, sig []byte) error {
	if err := X931Verify(masterPub, aesKeyDigest(aesKey), sig); err != nil {
		return fmt.Errorf("AES key signature: %w", err)
	}
	return nil
}

// OpenReply decrypts the reply to an AES request: a Crypticle blob of
// "pickle::" + the request nonce + msgpack. A text reply that is not a blob
// ("bad load", ...) gives an error quoting it that wraps ErrHMAC, so the
// caller re-authenticates and retries as Salt does. nonce "" is for legacy
// masters, whose replies carry none.
func OpenReply(c *Crypticle, reply any, nonce string) (any, error) {
	blob, ok := data.AsBytes(reply)
	if !ok {
		return nil, fmt.Errorf("crypt: reply is %T, want an encrypted blob", reply)
	}
	v, err := c.Loads(blob, nonce)
	if err != nil {
		if s, isText := reply.(string); isText && errors.Is(err, ErrHMAC) {
			if len(s) > 80 {
				s = s[:80] + "..."
			}
			return nil, fmt.Errorf("%w: master replied %q", err, s)
		}
		return nil, err
	}
	return v, nil
}

// OpenPrivateReply decrypts and verifies a private (_pillar) reply {key,
// pillar} and returns the pillar data. key is OAEP-decrypted (encAlgo) with
// the minion key into a one-off Crypticle key. When nonce is not "" (every
// master >= 3002.8) the Crypticle holds {data, sig}: sig must verify
// (sigAlgo) over data with masterPub, and data must hold the same key bytes
// and the request nonce. With nonce "" (legacy masters) the Crypticle holds
// the pillar itself.
func OpenPrivateReply(reply any, minion *rsa.PrivateKey, masterPub *rsa.PublicKey, encAlgo, sigAlgo, nonce string) (any, error) {
	m, err := payload.AsMap(reply)
	if err != nil {
		return nil, fmt.Errorf("crypt: pillar reply: %w", err)
	}
	if e, ok := m.Get("error"); ok {
		return nil, fmt.Errorf("crypt: pillar reply: master error %v", e)
	}
	keyCT, err := payload.GetBytes(m, "key")
	if err != nil {
		return nil, fmt.Errorf("crypt: pillar reply: %w", err)
	}
	blob, err := payload.GetBytes(m, "pillar")
	if err != nil {
		return nil, fmt.Errorf("crypt: pillar reply: %w", err)
	}
	pk, err := DecryptKeyString(minion, encAlgo, keyCT)
	if err != nil {
		return nil, fmt.Errorf("crypt: pillar reply: key: %w", err)
	}
	c, err := NewCrypticle(pk)
	if err != nil {
		return nil, err
	}
	inner, err := c.Loads(blob, "")
	if err != nil {
		return nil, fmt.Errorf("crypt: pillar reply: %w", err)
	}
	if nonce == "" {
		return inner, nil
	}
	signed, err := payload.AsMap(inner)
	if err != nil || !signed.Has("data") || !signed.Has("sig") {
		return nil, errors.New("crypt: pillar reply is not signed (legacy master?) but a nonce was sent")
	}
	d, err := payload.GetBytes(signed, "data")
	if err != nil {
		return nil, fmt.Errorf("crypt: pillar reply: %w", err)
	}
	sig, err := payload.GetBytes(signed, "sig")
	if err != nil {
		return nil, fmt.Errorf("crypt: pillar reply: %w", err)
	}
	if masterPub == nil {
		return nil, errors.New("crypt: pillar reply: no master key to verify the signature")
	}
	if err := Verify(masterPub, sigAlgo, d, sig); err != nil {
		return nil, fmt.Errorf("crypt: pillar reply: %w", err)
	}
	dm, err := payload.DecodeMap(d)
	if err != nil {
		return nil, fmt.Errorf("crypt: pillar reply data: %w", err)
	}
	if k, err := payload.GetBytes(dm, "key"); err != nil || !bytes.Equal(k, keyCT) {
		return nil, errors.New("crypt: pillar reply: signed key does not match the reply key")
	}
	if n, _ := dm.String("nonce"); n != nonce {
		return nil, fmt.Errorf("crypt: pillar reply: %w: got %q, want %q", ErrNonce, n, nonce)
	}
	p, _ := dm.Get("pillar")
	return p, nil
}

// OpenPublish opens a publish body (the last ZeroMQ frame): it decodes the
// envelope {enc, load, [sig_algo, sig]}, verifies sig over the encrypted
// load with masterPub when masterPub is not nil (the minion's
// sign_pub_messages; sig_algo defaults to PKCS1v15-SHA1), and decrypts the
// load with the shared AES Crypticle, which enforces increasing serials
// (ErrReplay) and removes "serial" from the returned load. A wrong key gives
// ErrHMAC (Salt re-authenticates once, then drops the message); enc other
// than "aes" gives ErrNotAES.
func OpenPublish(body []byte, aes *Crypticle, masterPub *rsa.PublicKey) (*data.Map, error) {
	env, err := payload.DecodeMap(body)
	if err != nil {
		return nil, fmt.Errorf("crypt: publish: %w", err)
	}
	if enc, _ := env.String("enc"); enc != "aes" {
		return nil, fmt.Errorf("%w (enc %q)", ErrNotAES, enc)
	}
	blob, err := payload.GetBytes(env, "load")
	if err != nil {
		return nil, fmt.Errorf("crypt: publish: %w", err)
	}
	if masterPub != nil {
		sig, err := payload.GetBytes(env, "sig")
		if err != nil {
			return nil, fmt.Errorf("crypt: publish is not signed: %w", err)
		}
		algo, _ := env.String("sig_algo")
		if err := Verify(masterPub, algo, blob, sig); err != nil {
			return nil, fmt.Errorf("crypt: publish: %w", err)
		}
	}
	lv, err := aes.Loads(blob, "")
	if err != nil {
		return nil, fmt.Errorf("crypt: publish: %w", err)
	}
	load, err := payload.AsMap(lv)
	if err != nil {
		return nil, fmt.Errorf("crypt: publish load: %w", err)
	}
	return load, nil
}

// --- master side (for a Go test master) ---

// AuthAccept describes an accepting _auth reply (see AuthAcceptLoad).
type AuthAccept struct {
	MasterPubPEM string // pub_key: master.pub text (3006+ masters send CleanKey of it)
	PublishPort  int
	AESKey       string // shared key string
	SessionKey   string // per-minion key string; "" imitates a generation-2 master
	Token        string // the minion's decrypted token to echo; "" for none
	Nonce        string // the request nonce; "" imitates a legacy master
	EncAlgo      string // the minion's enc_algo ("" = OAEP-SHA1)
	PubSig       []byte // pub_sig (master_sign_pubkey); nil for none
}

// AuthAcceptLoad builds the inner map R of an accepting auth reply, keys in
// 3007's order: enc, pub_key, publish_port, [pub_sig], [token], aes, [session], sig,
// [nonce]. Sign it with SignAuthReply (generation >= 2) or send it as the
// whole reply (legacy).
func AuthAcceptLoad(master *rsa.PrivateKey, minionPub *rsa.PublicKey, a AuthAccept) (*data.Map, error) {
	r := data.M("enc", "pub", "pub_key", a.MasterPubPEM, "publish_port", a.PublishPort)
	if a.PubSig != nil {
		r.Set("pub_sig", a.PubSig)
	}
	if a.Token != "" {
		ct, err := EncryptOAEP(minionPub, a.EncAlgo, []byte(a.Token))
		if err != nil {
			return nil, err
		}
		r.Set("token", ct)
	}
	ct, err := EncryptOAEP(minionPub, a.EncAlgo, []byte(a.AESKey))
	if err != nil {
		return nil, err
	}
	r.Set("aes", ct)
	if a.SessionKey != "" {
		if ct, err = EncryptOAEP(minionPub, a.EncAlgo, []byte(a.SessionKey)); err != nil {
			return nil, err
		}
		r.Set("session", ct)
	}
	sig, err := AESKeySig(master, a.AESKey)
	if err != nil {
		return nil, err
	}
	r.Set("sig", sig)
	if a.Nonce != "" {
		r.Set("nonce", a.Nonce)
	}
	return r, nil
}

// AuthStatusLoad builds the inner map of a refusing reply: ret true
// (pending), false (rejected) or "full", plus the request nonce.
func AuthStatusLoad(ret any, nonce string) *data.Map {
	return data.M("ret", ret, "nonce", nonce)
}

// SignAuthReply wraps an inner auth map as a generation >= 2 master does:
// {"enc": "clear", "load": msgpack(load), "sig": PKCS1v15(master, that blob)}.
func SignAuthReply(master *rsa.PrivateKey, sigAlgo string, load *data.Map) (*data.Map, error) {
	blob, err := payload.Encode(load)
	if err != nil {
		return nil, fmt.Errorf("crypt: %w", err)
	}
	sig, err := Sign(master, sigAlgo, blob)
	if err != nil {
		return nil, err
	}
	return data.M("enc", "clear", "load", blob, "sig", sig), nil
}

// SealPrivateReply is the master's _encrypt_private for a pillar reply: a
// one-off key OAEP-encrypted for the minion, and the pillar sealed with it,
// signed and bound to the key and nonce when nonce is not "" (legacy form
// when it is "").
func SealPrivateReply(master *rsa.PrivateKey, minionPub *rsa.PublicKey, encAlgo, sigAlgo string, pillar any, nonce string) (*data.Map, error) {
	pk, err := GenerateKeyString()
	if err != nil {
		return nil, err
	}
	c, err := NewCrypticle(pk)
	if err != nil {
		return nil, err
	}
	keyCT, err := EncryptOAEP(minionPub, encAlgo, []byte(pk))
	if err != nil {
		return nil, err
	}
	if pillar == nil {
		pillar = data.NewMap()
	}
	inner := pillar
	if nonce != "" {
		d, err := payload.Encode(data.M("key", keyCT, "pillar", pillar, "nonce", nonce))
		if err != nil {
			return nil, fmt.Errorf("crypt: %w", err)
		}
		sig, err := Sign(master, sigAlgo, d)
		if err != nil {
			return nil, err
		}
		inner = data.M("data", d, "sig", sig)
	}
	blob, err := c.Dumps(inner, "")
	if err != nil {
		return nil, err
	}
	return data.M("key", keyCT, "pillar", blob), nil
}

// WrapPublish is the master's wrap_payload: it adds "serial" (when > 0) to a
// copy of load, encrypts it with the shared AES Crypticle and, when master
// is not nil, signs the encrypted blob (sigAlgo, "" = PKCS1v15-SHA1). The
// result {enc, load, [sig_algo, sig]} is msgpack-encoded into the publish
// frame.
func WrapPublish(master *rsa.PrivateKey, aes *Crypticle, load *data.Map, serial int64, sigAlgo string) (*data.Map, error) {
	l := load.Copy()
	if serial > 0 {
		l.Set("serial", serial)
	}
	blob, err := aes.Dumps(l, "")
	if err != nil {
		return nil, err
	}
	env := data.M("enc", "aes", "load", blob)
	if master != nil {
		sig, err := Sign(master, sigAlgo, blob)
		if err != nil {
			return nil, err
		}
		env.Set("sig_algo", orDefault(sigAlgo, PKCS1v15SHA1))
		env.Set("sig", sig)
	}
	return env, nil
}
