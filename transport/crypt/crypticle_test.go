package crypt

import (
	"bytes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/transport/payload"
)

// Spec §9.2 vectors.
const (
	specKeyString = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc="
	specIV        = "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
	specNonce     = "0123456789abcdef0123456789abcdef"
	specDumps     = "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf2d0870a8a6f74dd64ca094e59c25df8b31a5e4080e74c955ab2a1df6f3a5d59ce02208f3fdf7766c556613bcef74bb1fc738dccc77a279f2f8c03070482ab883cadbe6991df8757205b82cdc36403d4b6f59b9e53ca2eff962bd845d40545427"
	specDumpsN    = "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf8ce3f726a9b0948cd9016c6b9d9e7bfcb6fe7ebe20f31a660c7aa809ffc2b91265d41a11f3a8b036eeaf5df12cc4611dc7a3ac7fd152a0da3ad3ee3081b5a04874e2c016bebf063758f7f6a1a6e7961fb058bcb712d22548719b02a4859ee281a67cff1264d0d87cf723d98185337b02b934330c7513f78aa306c98eaecd0e43"
	specPHex      = "84a3636d64a75f72657475726ea26964a26d31a36a6964b43230323430313031303030303030303030303030a672657475726ec3"
)

// must returns v, ending the test when err is not nil.
func must[T any](t testing.TB, v T, err error) T {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	return must(t, b, err)
}

// fixedIV returns an endless reader of the same 16 bytes.
type fixedIV []byte

func (f fixedIV) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = f[i%len(f)]
	}
	return len(p), nil
}

func specCrypticle(t testing.TB) *Crypticle {
	t.Helper()
	c, err := NewCrypticle(specKeyString)
	return must(t, c, err).SetIVSource(fixedIV(mustHex(t, specIV)))
}

func specP() *data.Map {
	return data.M("cmd", "_return", "id", "m1", "jid", "20240101000000000000", "return", true)
}

// TestCrypticleSpecVectors reproduces spec §9.2 byte for byte.
func TestCrypticleSpecVectors(t *testing.T) {
	raw, _ := base64.StdEncoding.DecodeString(specKeyString)
	for i, b := range raw {
		if int(b) != i {
			t.Fatal("spec key is not bytes 00..37")
		}
	}
	tests := []struct {
		name, nonce, want string
		size              int
	}{
		{"no nonce", "", specDumps, 112},
		{"nonce", specNonce, specDumpsN, 144},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := specCrypticle(t)
			got, err := c.Dumps(specP(), tt.nonce)
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(got) != tt.want || len(got) != tt.size {
				t.Fatalf("Dumps = %x (%d bytes)\nwant   %s", got, len(got), tt.want)
			}
			pt, err := c.Decrypt(got)
			if err != nil {
				t.Fatal(err)
			}
			wantPT := append([]byte("pickle::"+tt.nonce), mustHex(t, specPHex)...)
			if !bytes.Equal(pt, wantPT) {
				t.Fatalf("Decrypt = %x", pt)
			}
			v, err := c.Loads(got, tt.nonce)
			if err != nil {
				t.Fatal(err)
			}
			if !payload.Equal(v, specP()) {
				t.Fatalf("Loads = %v", v)
			}
			// Encrypt of the same plaintext gives the same blob.
			enc, _ := c.Encrypt(wantPT)
			if !bytes.Equal(enc, got) {
				t.Fatal("Encrypt differs from Dumps")
			}
		})
	}
}

func TestCrypticleErrors(t *testing.T) {
	c := specCrypticle(t)
	blob, _ := c.Dumps(specP(), specNonce)
	other, _ := NewCrypticle(mustKey(t))

	flipped := append([]byte(nil), blob...)
	flipped[20] ^= 1
	macFlip := append([]byte(nil), blob...)
	macFlip[len(macFlip)-1] ^= 0x80

	tests := []struct {
		name  string
		c     *Crypticle
		blob  []byte
		nonce string
		want  error
	}{
		{"wrong key", other, blob, specNonce, ErrHMAC},
		{"flipped ciphertext", c, flipped, specNonce, ErrHMAC},
		{"flipped mac", c, macFlip, specNonce, ErrHMAC},
		{"truncated", c, blob[:len(blob)-1], specNonce, ErrHMAC},
		{"short", c, blob[:40], "", ErrHMAC},
		{"empty", c, nil, "", ErrHMAC},
		{"wrong nonce", c, blob, strings.Repeat("f", 32), ErrNonce},
	}
	for _, tt := range tests {
		_, err := tt.c.Loads(tt.blob, tt.nonce)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	// Without a nonce the nonce bytes are read as msgpack: a clear decode error.
	if _, err := c.Loads(blob, ""); err == nil {
		t.Error("Loads of a nonce blob without the nonce succeeded")
	}
	// No pickle:: prefix.
	b, _ := c.Encrypt([]byte("hello"))
	if _, err := c.Loads(b, ""); !errors.Is(err, ErrNoPrefix) {
		t.Errorf("no prefix: %v", err)
	}
	// Valid MAC, corrupt msgpack.
	b, _ = c.Encrypt([]byte("pickle::\xc1"))
	if _, err := c.Loads(b, ""); err == nil || !strings.Contains(err.Error(), "0xc1") {
		t.Errorf("bad msgpack: %v", err)
	}
	// Valid MAC, bad padding byte.
	b, _ = c.Encrypt(bytes.Repeat([]byte{0}, 15))
	b = reMAC(t, c, b, func(pt []byte) { pt[15] = 0 })
	if _, err := c.Decrypt(b); err == nil || !strings.Contains(err.Error(), "padding") {
		t.Errorf("bad padding: %v", err)
	}
	if _, err := c.Dumps(nil, "short"); err == nil {
		t.Error("Dumps with a short nonce succeeded")
	}
	if _, err := c.Dumps(func() {}, ""); err == nil {
		t.Error("Dumps of a func succeeded")
	}
	for _, k := range []string{"", "not base64!", base64.StdEncoding.EncodeToString(make([]byte, 32)), specKeyString[:40]} {
		if _, err := NewCrypticle(k); err == nil {
			t.Errorf("NewCrypticle(%q) succeeded", k)
		}
	}
	if _, err := NewCrypticle(specKeyString + "\n"); err != nil {
		t.Errorf("key with newline: %v", err)
	}
}

// reMAC decrypts blob's CBC body, lets f edit the padded plaintext, and
// re-encrypts it without new padding under a valid MAC (to reach the checks
// after the HMAC).
func reMAC(t *testing.T, c *Crypticle, blob []byte, f func([]byte)) []byte {
	t.Helper()
	body := append([]byte(nil), blob[:len(blob)-macLen]...)
	pt := body[ivLen:]
	cipher.NewCBCDecrypter(c.block, body[:ivLen]).CryptBlocks(pt, pt)
	f(pt)
	cipher.NewCBCEncrypter(c.block, body[:ivLen]).CryptBlocks(pt, pt)
	mac := hmac.New(sha256.New, c.hmacKey)
	mac.Write(body)
	return mac.Sum(body)
}

func mustKey(t testing.TB) string {
	t.Helper()
	k, err := GenerateKeyString()
	if err != nil {
		t.Fatal(err)
	}
	if len(k) != KeyStringLen {
		t.Fatalf("key string of %d chars", len(k))
	}
	return k
}

func TestCrypticleSerial(t *testing.T) {
	sender, _ := NewCrypticle(specKeyString)
	recv, _ := NewCrypticle(specKeyString)
	mk := func(serial int64) []byte {
		b, err := sender.Dumps(data.M("fun", "test.ping", "serial", serial), "")
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	b1, b2, b3 := mk(1), mk(2), mk(3)
	for i, b := range [][]byte{b1, b3} {
		v, err := recv.Loads(b, "")
		if err != nil {
			t.Fatalf("serial step %d: %v", i, err)
		}
		if v.(*data.Map).Has("serial") {
			t.Fatal("serial not popped")
		}
	}
	if recv.LastSerial() != 3 {
		t.Fatalf("LastSerial %d", recv.LastSerial())
	}
	for _, b := range [][]byte{b2, b3, b1} {
		if _, err := recv.Loads(b, ""); !errors.Is(err, ErrReplay) {
			t.Errorf("replay: %v", err)
		}
	}
	// A fresh Crypticle (new key after re-auth) starts at 0 again.
	fresh, _ := NewCrypticle(specKeyString)
	if _, err := fresh.Loads(b1, ""); err != nil {
		t.Error(err)
	}
	// Loads without serial (replies) do not touch the counter.
	b, _ := sender.Dumps(data.M("x", 1), "")
	if _, err := recv.Loads(b, ""); err != nil || recv.LastSerial() != 3 {
		t.Errorf("no-serial load: %v %d", err, recv.LastSerial())
	}
	b, _ = sender.Dumps(data.M("serial", "nope"), "")
	if _, err := recv.Loads(b, ""); err == nil {
		t.Error("non-integer serial accepted")
	}
}

func TestNewNonce(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		n, err := NewNonce()
		if err != nil {
			t.Fatal(err)
		}
		if len(n) != NonceLen || n[12] != '4' || strings.ToLower(n) != n || seen[n] {
			t.Fatalf("bad nonce %q", n)
		}
		seen[n] = true
	}
}

// reMACRaw builds IV(0) || CBC(pt, no padding) || HMAC: a blob whose MAC is
// valid but whose padding is whatever pt ends with.
func reMACRaw(c *Crypticle, pt []byte) []byte {
	body := make([]byte, ivLen+len(pt))
	copy(body[ivLen:], pt)
	cipher.NewCBCEncrypter(c.block, body[:ivLen]).CryptBlocks(body[ivLen:], body[ivLen:])
	mac := hmac.New(sha256.New, c.hmacKey)
	mac.Write(body)
	return mac.Sum(body)
}

func TestAdvanceSerial(t *testing.T) {
	key, err := GenerateKeyString()
	if err != nil {
		t.Fatal(err)
	}
	c1, _ := NewCrypticle(key)
	c2, _ := NewCrypticle(key)
	if c1.KeyID() != c2.KeyID() || len(c1.KeyID()) != 64 {
		t.Fatalf("KeyID %q vs %q", c1.KeyID(), c2.KeyID())
	}
	other, _ := GenerateKeyString()
	c3, _ := NewCrypticle(other)
	if c3.KeyID() == c1.KeyID() {
		t.Fatal("two keys, one KeyID")
	}
	tests := []struct {
		name      string
		advance   int64
		serial    int64
		wantErr   error
		wantFinal int64
	}{
		{"carried mark refuses an older serial", 7, 5, ErrReplay, 7},
		{"carried mark refuses the same serial", 7, 7, ErrReplay, 7},
		{"a later serial passes", 7, 8, nil, 8},
		{"advance never lowers", 0, 3, nil, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := NewCrypticle(key)
			c.AdvanceSerial(tc.advance)
			if tc.advance == 0 {
				c.AdvanceSerial(2)
				c.AdvanceSerial(1)
			}
			blob, err := c1.Dumps(data.M("fun", "test.ping", "serial", tc.serial), "")
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Loads(blob, "")
			if !errors.Is(err, tc.wantErr) && (err != nil || tc.wantErr != nil) {
				t.Fatalf("Loads: %v, want %v", err, tc.wantErr)
			}
			if got := c.LastSerial(); got != tc.wantFinal {
				t.Fatalf("LastSerial %d, want %d", got, tc.wantFinal)
			}
		})
	}
}
