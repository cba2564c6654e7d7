// Package crypt is Salt's cryptography (salt/crypt.py): the Crypticle
// symmetric envelope, RSA-OAEP and PKCS#1 v1.5 with Salt's algorithm names,
// the X9.31 "private encrypt" used for the minion token and the auth-reply
// key signature, Salt's PEM key files and pki directory layout, and the
// message-level helpers a minion (and a test master) needs: opening a
// signed auth reply, a private pillar reply and a publish.
package crypt

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/transport/payload"
)

// Crypticle sizes.
const (
	KeyStringLen = 76 // base64 text of the 56 key bytes
	aesKeyLen    = 24 // AES-192
	hmacKeyLen   = 32 // HMAC-SHA256
	ivLen        = aes.BlockSize
	macLen       = sha256.Size
	NonceLen     = 32 // uuid4().hex
)

// PicklePrefix starts every Crypticle plaintext made by Dumps.
const PicklePrefix = "pickle::"

// Errors of Crypticle (test with errors.Is).
var (
	// ErrHMAC is Salt's AuthenticationError: the blob was not made with this
	// key (or was altered).
	ErrHMAC = errors.New("crypt: message authentication failed (wrong key or corrupted data)")
	// ErrNoPrefix: the plaintext does not start with "pickle::" (Salt's
	// loads silently returns {} in that case).
	ErrNoPrefix = errors.New("crypt: decrypted payload lacks the pickle:: prefix")
	// ErrNonce: the reply carries another nonce than the request.
	ErrNonce = errors.New("crypt: nonce mismatch")
	// ErrReplay: a load's serial is not above the last one seen by this
	// Crypticle (Salt logs it and ignores the message).
	ErrReplay = errors.New("crypt: replayed or out-of-order serial")
)

// Crypticle encrypts and authenticates Salt payloads with one 76-character
// key string: AES-192-CBC, then HMAC-SHA256 over IV||ciphertext. It also
// remembers the highest publish serial it has accepted. A Crypticle is safe
// for concurrent use.
type Crypticle struct {
	keyString string
	block     cipher.Block
	hmacKey   []byte

	mu         sync.Mutex
	ivSource   io.Reader
	lastSerial int64
}

// GenerateKeyString returns a new random Crypticle key string: base64 of 56
// random bytes, 76 characters.
func GenerateKeyString() (string, error) {
	b := make([]byte, aesKeyLen+hmacKeyLen)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		return "", fmt.Errorf("crypt: generate key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// NewCrypticle returns a Crypticle for a key string (surrounding whitespace
// is ignored). The key must decode to exactly 56 bytes.
func NewCrypticle(keyString string) (*Crypticle, error) {
	keyString = strings.TrimSpace(keyString)
	raw, err := base64.StdEncoding.DecodeString(keyString)
	if err != nil {
		return nil, fmt.Errorf("crypt: key string is not base64: %w", err)
	}
	if len(raw) != aesKeyLen+hmacKeyLen {
		return nil, fmt.Errorf("crypt: key string decodes to %d bytes, want %d", len(raw), aesKeyLen+hmacKeyLen)
	}
	block, err := aes.NewCipher(raw[:aesKeyLen])
	if err != nil {
		return nil, fmt.Errorf("crypt: %w", err)
	}
	return &Crypticle{keyString: keyString, block: block, hmacKey: raw[aesKeyLen:], ivSource: rand.Reader}, nil
}

// KeyString returns the key string the Crypticle was made from.
func (c *Crypticle) KeyString() string { return c.keyString }

// SetIVSource replaces the random source of IVs (crypto/rand by default);
// tests use it to reproduce fixed vectors. It returns c.
func (c *Crypticle) SetIVSource(r io.Reader) *Crypticle {
	c.mu.Lock()
	c.ivSource = r
	c.mu.Unlock()
	return c
}

// LastSerial returns the highest serial accepted by Loads (0 at start).
func (c *Crypticle) LastSerial() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastSerial
}

// AdvanceSerial raises the serial high-water mark to n when n is above it
// (it never lowers it). A minion uses it to carry the mark of the previous
// Crypticle of the same key across a re-authentication or a restart, so a
// captured publish cannot run again just because the Crypticle was rebuilt.
func (c *Crypticle) AdvanceSerial(n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n > c.lastSerial {
		c.lastSerial = n
	}
}

// KeyID returns a digest naming the key (hex SHA-256 of the key string), to
// recognise the same key later without storing it.
func (c *Crypticle) KeyID() string {
	d := sha256.Sum256([]byte(c.keyString))
	return hex.EncodeToString(d[:])
}

// Encrypt returns IV || AES-192-CBC(PKCS#7-padded pt) || HMAC-SHA256.
func (c *Crypticle) Encrypt(pt []byte) ([]byte, error) {
	iv := make([]byte, ivLen)
	c.mu.Lock()
	_, err := io.ReadFull(c.ivSource, iv)
	c.mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("crypt: read IV: %w", err)
	}
	return c.sealRaw(iv, pt)
}

// sealRaw encrypts pt with a given IV.
func (c *Crypticle) sealRaw(iv, pt []byte) ([]byte, error) {
	n := len(pt)
	pad := aes.BlockSize - n%aes.BlockSize
	out := make([]byte, ivLen+n+pad, ivLen+n+pad+macLen)
	copy(out, iv)
	body := out[ivLen:]
	copy(body, pt)
	for i := n; i < len(body); i++ {
		body[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(c.block, out[:ivLen]).CryptBlocks(body, body)
	mac := hmac.New(sha256.New, c.hmacKey)
	mac.Write(out)
	return mac.Sum(out), nil
}

// Decrypt checks the HMAC (constant time) and returns the plaintext with the
// padding removed. As in Salt, only the last padding byte is used.
func (c *Crypticle) Decrypt(blob []byte) ([]byte, error) {
	if len(blob) < ivLen+aes.BlockSize+macLen {
		return nil, fmt.Errorf("%w: blob of %d bytes is too short", ErrHMAC, len(blob))
	}
	body, sig := blob[:len(blob)-macLen], blob[len(blob)-macLen:]
	mac := hmac.New(sha256.New, c.hmacKey)
	mac.Write(body)
	if !hmac.Equal(mac.Sum(nil), sig) {
		return nil, ErrHMAC
	}
	ct := body[ivLen:]
	if len(ct)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("crypt: ciphertext of %d bytes is not a whole number of blocks", len(ct))
	}
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(c.block, body[:ivLen]).CryptBlocks(pt, ct)
	pad := int(pt[len(pt)-1])
	if pad == 0 || pad > aes.BlockSize {
		return nil, fmt.Errorf("crypt: bad padding length %d", pad)
	}
	return pt[:len(pt)-pad], nil
}

// Dumps msgpack-encodes obj and encrypts "pickle::" [+ nonce] + msgpack.
// nonce is "" for requests and publishes; replies carry the request's
// 32-character nonce.
func (c *Crypticle) Dumps(obj any, nonce string) ([]byte, error) {
	if nonce != "" && len(nonce) != NonceLen {
		return nil, fmt.Errorf("crypt: nonce must be %d characters, got %d", NonceLen, len(nonce))
	}
	buf := make([]byte, 0, 256)
	buf = append(buf, PicklePrefix...)
	buf = append(buf, nonce...)
	buf, err := payload.Append(buf, obj)
	if err != nil {
		return nil, fmt.Errorf("crypt: %w", err)
	}
	return c.Encrypt(buf)
}

// Loads decrypts a Dumps blob and decodes its msgpack. When nonce is not ""
// the plaintext must carry it after the prefix. When the result is a map
// with a "serial" key, the serial is removed from the map and must be above
// the last serial this Crypticle accepted (else ErrReplay); it then becomes
// the new last serial.
func (c *Crypticle) Loads(blob []byte, nonce string) (any, error) {
	pt, err := c.Decrypt(blob)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(pt, []byte(PicklePrefix)) {
		return nil, ErrNoPrefix
	}
	pt = pt[len(PicklePrefix):]
	if nonce != "" {
		if len(pt) < NonceLen {
			return nil, fmt.Errorf("%w: payload too short for a nonce", ErrNonce)
		}
		if got := pt[:NonceLen]; string(got) != nonce {
			return nil, fmt.Errorf("%w: got %q, want %q", ErrNonce, printable(got), nonce)
		}
		pt = pt[NonceLen:]
	}
	v, err := payload.Decode(pt)
	if err != nil {
		return nil, fmt.Errorf("crypt: decrypted payload: %w", err)
	}
	if m, ok := v.(*data.Map); ok {
		if sv, ok := m.Get("serial"); ok {
			serial, ok := data.AsInt(sv)
			if !ok {
				return nil, fmt.Errorf("crypt: serial is %T, want an integer", sv)
			}
			m.Delete("serial")
			c.mu.Lock()
			defer c.mu.Unlock()
			if serial <= c.lastSerial {
				return nil, fmt.Errorf("%w: serial %d, last %d", ErrReplay, serial, c.lastSerial)
			}
			c.lastSerial = serial
		}
	}
	return v, nil
}

func printable(b []byte) string {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return hex.EncodeToString(b)
		}
	}
	return string(b)
}

// NewNonce returns a fresh nonce like Python's uuid.uuid4().hex: 32
// lowercase hex characters with the version-4 and variant bits set.
func NewNonce() (string, error) {
	var u [16]byte
	if _, err := io.ReadFull(rand.Reader, u[:]); err != nil {
		return "", fmt.Errorf("crypt: nonce: %w", err)
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return hex.EncodeToString(u[:]), nil
}
