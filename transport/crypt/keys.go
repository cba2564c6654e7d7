package crypt

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"hash"
	"os"
	"strings"

	"github.com/saltgo/saltgo/data"
)

// Key sizes accepted by GenerateKey.
const (
	DefaultKeySize = 2048 // Salt's keysize default since 2015.8
	MinKeySize     = 2048 // Salt refuses smaller keys
	MaxKeySize     = 8192
)

// GenerateKey makes an RSA key with e = 65537; bits 0 means DefaultKeySize.
func GenerateKey(bits int) (*rsa.PrivateKey, error) {
	if bits == 0 {
		bits = DefaultKeySize
	}
	if bits < MinKeySize || bits > MaxKeySize {
		return nil, fmt.Errorf("crypt: key size %d not in [%d, %d]", bits, MinKeySize, MaxKeySize)
	}
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, fmt.Errorf("crypt: generate %d-bit key: %w", bits, err)
	}
	return k, nil
}

// ParsePrivateKeyPEM parses an RSA private key file: PKCS#1 ("BEGIN RSA
// PRIVATE KEY", what Salt writes) or unencrypted PKCS#8 ("BEGIN PRIVATE
// KEY"). Truncated files, other key types and encrypted keys are errors.
func ParsePrivateKeyPEM(b []byte) (*rsa.PrivateKey, error) {
	blk, err := decodePEM(b)
	if err != nil {
		return nil, err
	}
	if _, enc := blk.Headers["Proc-Type"]; enc || blk.Type == "ENCRYPTED PRIVATE KEY" {
		return nil, fmt.Errorf("crypt: private key is encrypted with a passphrase (not supported)")
	}
	switch blk.Type {
	case "RSA PRIVATE KEY":
		return parseRSA[*rsa.PrivateKey](blk.Bytes, x509.ParsePKCS1PrivateKey, "PKCS#1 private key", "private key")
	case "PRIVATE KEY":
		return parseRSA[*rsa.PrivateKey](blk.Bytes, x509.ParsePKCS8PrivateKey, "PKCS#8 private key", "private key")
	}
	return nil, fmt.Errorf("crypt: PEM block %q is not an RSA private key", blk.Type)
}

// ParsePublicKeyPEM parses an RSA public key: SubjectPublicKeyInfo ("BEGIN
// PUBLIC KEY", what Salt writes and sends) or PKCS#1 ("BEGIN RSA PUBLIC
// KEY"). Leading/trailing whitespace and CRLF line ends are accepted.
func ParsePublicKeyPEM(b []byte) (*rsa.PublicKey, error) {
	blk, err := decodePEM(b)
	if err != nil {
		return nil, err
	}
	switch blk.Type {
	case "PUBLIC KEY":
		return parseRSA[*rsa.PublicKey](blk.Bytes, x509.ParsePKIXPublicKey, "public key", "public key")
	case "RSA PUBLIC KEY":
		return parseRSA[*rsa.PublicKey](blk.Bytes, x509.ParsePKCS1PublicKey, "PKCS#1 public key", "public key")
	}
	return nil, fmt.Errorf("crypt: PEM block %q is not an RSA public key", blk.Type)
}

// parseRSA parses the DER key der with parse and requires an RSA key (K);
// errors name the key's format ("PKCS#8 private key") or kind ("private
// key").
func parseRSA[K *rsa.PrivateKey | *rsa.PublicKey, P any](der []byte, parse func([]byte) (P, error), format, kind string) (K, error) {
	k, err := parse(der)
	if err != nil {
		return nil, fmt.Errorf("crypt: bad %s: %w", format, err)
	}
	rk, ok := any(k).(K)
	if !ok {
		return nil, fmt.Errorf("crypt: %s is %T, Salt needs RSA", kind, k)
	}
	return rk, nil
}

func decodePEM(b []byte) (*pem.Block, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, fmt.Errorf("crypt: key data is empty")
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		if bytes.Contains(b, []byte("-----BEGIN")) {
			return nil, fmt.Errorf("crypt: PEM key is truncated or corrupt (no complete BEGIN/END block)")
		}
		return nil, fmt.Errorf("crypt: not a PEM key (no -----BEGIN line)")
	}
	return blk, nil
}

// MarshalPrivateKeyPEM returns the key as Salt writes minion.pem/master.pem:
// PKCS#1 PEM, 64-column base64, trailing newline.
func MarshalPrivateKeyPEM(k *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}

// MarshalPublicKeyPEM returns the key as Salt writes minion.pub/master.pub:
// SubjectPublicKeyInfo PEM with a trailing newline.
func MarshalPublicKeyPEM(k *rsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return nil, fmt.Errorf("crypt: marshal public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ReadPrivateKey reads and parses a private key file.
func ReadPrivateKey(path string) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("crypt: read private key: %w", err)
	}
	k, err := ParsePrivateKeyPEM(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// ReadPublicKey reads and parses a public key file; it also returns the
// file's text.
func ReadPublicKey(path string) (*rsa.PublicKey, []byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("crypt: read public key: %w", err)
	}
	k, err := ParsePublicKeyPEM(b)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, b, nil
}

// CleanKey is salt.crypt.clean_key: "\n".join(key.strip().splitlines()),
// i.e. surrounding whitespace removed and every line ending (CRLF, CR, and
// Python's other line boundaries) turned into "\n". Keys are compared, and
// sent to masters >= 3006, in this form.
func CleanKey(key string) string {
	return strings.Join(data.SplitLines(strings.TrimFunc(key, isPySpace), false), "\n")
}

// KeysEqual compares two PEM texts the way Salt does (after CleanKey).
func KeysEqual(a, b string) bool { return CleanKey(a) == CleanKey(b) }

// isPySpace matches Python's str.isspace (str.strip with no argument).
func isPySpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f, 0x85, 0xa0,
		0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// PemFinger is salt.utils.crypt.pem_finger for a key file's content: the
// hash (hashType "sha256" by default; md5, sha1, sha224, sha384, sha512)
// of the base64 body (every non-blank line but the first and last, with
// its newline, CRLF turned into LF), as colon-separated hex pairs.
func PemFinger(pemText []byte, hashType string) (string, error) {
	var h hash.Hash
	switch hashType {
	case "", "sha256":
		h = sha256.New()
	case "md5":
		h = md5.New()
	case "sha1":
		h = sha1.New()
	case "sha224":
		h = sha256.New224()
	case "sha384":
		h = sha512.New384()
	case "sha512":
		h = sha512.New()
	default:
		return "", fmt.Errorf("%w: hash_type %q", ErrAlgorithm, hashType)
	}
	var lines [][]byte
	for rest := pemText; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		var line []byte
		if i < 0 {
			line, rest = rest, nil
		} else {
			line, rest = rest[:i+1], rest[i+1:]
		}
		if len(bytes.TrimSpace(line)) > 0 {
			lines = append(lines, line)
		}
	}
	if len(lines) < 2 {
		return "", fmt.Errorf("crypt: pem_finger: not a PEM key (%d non-blank lines)", len(lines))
	}
	body := bytes.Join(lines[1:len(lines)-1], nil)
	h.Write(bytes.ReplaceAll(body, []byte("\r\n"), []byte("\n")))
	hx := hex.EncodeToString(h.Sum(nil))
	var sb strings.Builder
	for i := 0; i < len(hx); i += 2 {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteString(hx[i : i+2])
	}
	return sb.String(), nil
}

// PublicKeyOf returns the SPKI PEM of a private key's public half.
func PublicKeyOf(k *rsa.PrivateKey) ([]byte, error) { return MarshalPublicKeyPEM(&k.PublicKey) }
