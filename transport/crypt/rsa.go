package crypt

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"math/big"
)

// Algorithm names exactly as Salt spells them (enc_algo / sig_algo).
const (
	OAEPSHA1       = "OAEP-SHA1"       // default encryption
	OAEPSHA224     = "OAEP-SHA224"     // SHA-224 for the OAEP hash and MGF1
	PKCS1v15SHA1   = "PKCS1v15-SHA1"   // default signature
	PKCS1v15SHA224 = "PKCS1v15-SHA224" // opt-in signature
)

// ErrAlgorithm is returned for an algorithm name Salt does not know.
var ErrAlgorithm = errors.New("crypt: unsupported algorithm")

// ErrSignature is returned when a signature does not verify.
var ErrSignature = errors.New("crypt: signature verification failed")

func oaepHash(algo string) (hash.Hash, error) {
	switch algo {
	case OAEPSHA1, "":
		return sha1.New(), nil
	case OAEPSHA224:
		return sha256.New224(), nil
	}
	return nil, fmt.Errorf("%w: encryption %q (want %s or %s)", ErrAlgorithm, algo, OAEPSHA1, OAEPSHA224)
}

func sigHash(algo string, msg []byte) (crypto.Hash, []byte, error) {
	switch algo {
	case PKCS1v15SHA1, "":
		d := sha1.Sum(msg)
		return crypto.SHA1, d[:], nil
	case PKCS1v15SHA224:
		d := sha256.Sum224(msg)
		return crypto.SHA224, d[:], nil
	}
	return 0, nil, fmt.Errorf("%w: signing %q (want %s or %s)", ErrAlgorithm, algo, PKCS1v15SHA1, PKCS1v15SHA224)
}

// EncryptOAEP encrypts msg for pub with RSA-OAEP (empty label). algo is
// OAEPSHA1 or OAEPSHA224; "" means OAEPSHA1.
func EncryptOAEP(pub *rsa.PublicKey, algo string, msg []byte) ([]byte, error) {
	h, err := oaepHash(algo)
	if err != nil {
		return nil, err
	}
	ct, err := rsa.EncryptOAEP(h, rand.Reader, pub, msg, nil)
	if err != nil {
		return nil, fmt.Errorf("crypt: %s encrypt: %w", orDefault(algo, OAEPSHA1), err)
	}
	return ct, nil
}

// DecryptOAEP decrypts an RSA-OAEP ciphertext with priv.
func DecryptOAEP(priv *rsa.PrivateKey, algo string, ct []byte) ([]byte, error) {
	h, err := oaepHash(algo)
	if err != nil {
		return nil, err
	}
	pt, err := rsa.DecryptOAEP(h, nil, priv, ct, nil)
	if err != nil {
		return nil, fmt.Errorf("crypt: %s decrypt of %d bytes failed (not encrypted for this key?): %w", orDefault(algo, OAEPSHA1), len(ct), err)
	}
	return pt, nil
}

// DecryptKeyString OAEP-decrypts a Crypticle key string (aes, session, token,
// pillar key) and checks that it is one.
func DecryptKeyString(priv *rsa.PrivateKey, algo string, ct []byte) (string, error) {
	pt, err := DecryptOAEP(priv, algo, ct)
	if err != nil {
		return "", err
	}
	if _, err := NewCrypticle(string(pt)); err != nil {
		return "", fmt.Errorf("crypt: decrypted value is not a key string: %w", err)
	}
	return string(pt), nil
}

// Sign returns the RSASSA-PKCS1-v1_5 signature of msg (algo PKCS1v15SHA1 or
// PKCS1v15SHA224; "" means PKCS1v15SHA1).
func Sign(priv *rsa.PrivateKey, algo string, msg []byte) ([]byte, error) {
	h, d, err := sigHash(algo, msg)
	if err != nil {
		return nil, err
	}
	sig, err := rsa.SignPKCS1v15(nil, priv, h, d)
	if err != nil {
		return nil, fmt.Errorf("crypt: %s sign: %w", orDefault(algo, PKCS1v15SHA1), err)
	}
	return sig, nil
}

// Verify checks a PKCS#1 v1.5 signature of msg; the error wraps ErrSignature.
func Verify(pub *rsa.PublicKey, algo string, msg, sig []byte) error {
	h, d, err := sigHash(algo, msg)
	if err != nil {
		return err
	}
	if err := rsa.VerifyPKCS1v15(pub, h, d, sig); err != nil {
		return fmt.Errorf("%w (%s)", ErrSignature, orDefault(algo, PKCS1v15SHA1))
	}
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// X931Sign is OpenSSL's RSA_private_encrypt with RSA_X931_PADDING, which Salt
// calls "private encrypt": the block 0x6B BB..BB BA || msg || 0xCC (or
// 0x6A || msg || 0xCC when it fits exactly) raised to d, then min(s, n-s).
// It is deterministic. math/big is not constant time; the inputs Salt signs
// this way ("salt", a hash of the AES key) are not secret.
func X931Sign(priv *rsa.PrivateKey, msg []byte) ([]byte, error) {
	if priv == nil || priv.N == nil || priv.D == nil {
		return nil, errors.New("crypt: X9.31 sign: no private key")
	}
	k := (priv.N.BitLen() + 7) / 8
	j := k - len(msg) - 2
	if j < 0 {
		return nil, fmt.Errorf("crypt: X9.31 sign: message of %d bytes too long for a %d-byte key", len(msg), k)
	}
	block := make([]byte, k)
	if j == 0 {
		block[0] = 0x6A
	} else {
		block[0] = 0x6B
		for i := 1; i < j; i++ {
			block[i] = 0xBB
		}
		block[j] = 0xBA
	}
	copy(block[j+1:], msg)
	block[k-1] = 0xCC
	m := new(big.Int).SetBytes(block)
	if m.Cmp(priv.N) >= 0 {
		return nil, errors.New("crypt: X9.31 sign: block does not fit the modulus")
	}
	s := rawPrivate(priv, m)
	// Fault check: s^e must give the block back.
	if new(big.Int).Exp(s, big.NewInt(int64(priv.E)), priv.N).Cmp(m) != 0 {
		return nil, errors.New("crypt: X9.31 sign: private key is inconsistent")
	}
	if ns := new(big.Int).Sub(priv.N, s); s.Cmp(ns) > 0 {
		s = ns
	}
	return s.FillBytes(make([]byte, k)), nil
}

// rawPrivate computes m^d mod n, with the CRT when the key has two primes.
func rawPrivate(priv *rsa.PrivateKey, m *big.Int) *big.Int {
	if len(priv.Primes) == 2 && priv.Precomputed.Dp != nil && priv.Precomputed.Dq != nil && priv.Precomputed.Qinv != nil {
		p, q := priv.Primes[0], priv.Primes[1]
		m1 := new(big.Int).Exp(m, priv.Precomputed.Dp, p)
		m2 := new(big.Int).Exp(m, priv.Precomputed.Dq, q)
		h := m1.Sub(m1, m2)
		h.Mul(h, priv.Precomputed.Qinv)
		h.Mod(h, p)
		h.Mul(h, q)
		return h.Add(h, m2)
	}
	return new(big.Int).Exp(m, priv.D, priv.N)
}

// X931Recover is OpenSSL's RSA_public_decrypt with RSA_X931_PADDING: it
// returns the message signed by X931Sign, or an error when sig was not made
// with the private half of pub.
func X931Recover(pub *rsa.PublicKey, sig []byte) ([]byte, error) {
	if pub == nil || pub.N == nil || pub.N.Sign() <= 0 {
		return nil, errors.New("crypt: X9.31 verify: no public key")
	}
	k := (pub.N.BitLen() + 7) / 8
	if len(sig) == 0 || len(sig) > k {
		return nil, fmt.Errorf("%w: X9.31 signature of %d bytes for a %d-byte key", ErrSignature, len(sig), k)
	}
	s := new(big.Int).SetBytes(sig)
	if s.Cmp(pub.N) >= 0 {
		return nil, fmt.Errorf("%w: X9.31 signature is not below the modulus", ErrSignature)
	}
	t := s.Exp(s, big.NewInt(int64(pub.E)), pub.N)
	if t.Bit(0)|t.Bit(1)<<1|t.Bit(2)<<2|t.Bit(3)<<3 != 12 {
		t.Sub(pub.N, t)
	}
	b := t.FillBytes(make([]byte, k))
	end := k - 1
	if b[end] != 0xCC {
		return nil, fmt.Errorf("%w: X9.31 trailer is not 0xCC", ErrSignature)
	}
	switch b[0] {
	case 0x6A:
		return b[1:end], nil
	case 0x6B:
		i := 1
		for i < end && b[i] == 0xBB {
			i++
		}
		if i == 1 || i >= end || b[i] != 0xBA {
			return nil, fmt.Errorf("%w: bad X9.31 padding", ErrSignature)
		}
		return b[i+1 : end], nil
	}
	return nil, fmt.Errorf("%w: X9.31 header 0x%02x is not 0x6A/0x6B", ErrSignature, b[0])
}

// X931Verify checks that sig is the X9.31 private-encrypt of msg.
func X931Verify(pub *rsa.PublicKey, msg, sig []byte) error {
	got, err := X931Recover(pub, sig)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(got, msg) != 1 {
		return fmt.Errorf("%w: X9.31 signature is over another message", ErrSignature)
	}
	return nil
}

// MinionToken returns tok = X931Sign(minion key, "salt"), the constant token a
// minion puts in its AES request loads.
func MinionToken(priv *rsa.PrivateKey) ([]byte, error) {
	return X931Sign(priv, []byte("salt"))
}

// VerifyMinionToken checks a tok against the minion's public key, as the
// master does.
func VerifyMinionToken(pub *rsa.PublicKey, tok []byte) error {
	return X931Verify(pub, []byte("salt"), tok)
}
