package crypt

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"strings"
	"testing"
)

// Spec §9.4 / §9.5 vectors for the §9.3 test key (testdata/spec-key.pem).
const (
	specTok      = "15508a7b3269765830cbeae9fb1b57f2528602571c71cb98d5417c3c747bd7f80f544af6db89b4a265c43ac6998d93926454c60310b6154b3023f621bc7166db6a97813c426390a4bd0838dbb1e4160be41cbfcb53d0395bbdc30650c0a1e9a88118912dbae13df2120afa5561b3e767249403e7f503a81f3ee5f920598190f2bfc9412945464668705c6c57c0b405d5d7c59c9c2e6b084438e97e8a1b500afd01a0c316e884a5e519499439d16b28b2d927f77bf0afb166ded41e013c3eb61ca7f1546395e44aa4bd0c4046ad34a2d5f8a7eff720cd6a01f76ac38b8d210c3e44320191c3299ba35deae6cbcb9e1c50a5a0b6c3cd2b272e390e3dbb36b5447e"
	specDigest   = "420e2e9f2e3c8c5b67e7040d7e6bad564013137121a8e9db5f608589cd4c2d94"
	specAESSig   = "0fbd94d5cbac6e3d4638ebde515bc221d06159db912b4ee2675ebf16046aff9c5dd4038bf30b19b2ec888dae6efd8a8f61b689f2c34b5a6744c9b3cd5e47fd026ff9890884234afd60f180c2827be0c1cbf7c0ce00fcb553764b4098a5402e7f6659038e59c8ff58fc1e980d545ba2ec7c0f31fd8ab1f24fb7d2d27b11fcdbeeaa83251365ffe8004c1f04e3a6de33ee58f8b9f90536f2cd000ee6969f0d256d55a47aef63a35abde0d2b70b2e2c6236a4323b0ee5572d274a00cb6e091b93ec274c6e93cd8714944aa4ed7611414ae0c7897a7a553ba8fa3f86405f4fa1380d23816e3049546423ac0531a7ff883ba2c96bf343f269ef844e40137438552fe5"
	specSigSHA1  = "03df57ddbd7936a35f45e473bfe87a4690a1dd637812b08e1f254634b1c331153825a4ff2a13e04bddc365211b157055eed1e3b5fa13438885c622da17e6e948b099ce0ce484e956872cd667990dc3d4a2dca1b8ce044b3791166d9f2da01e007d373629682f824c0accc29f8997c822ca2dd6f0c9810528b1e2413bc17204483ea4041f1b094d516c829257fe187536a07c1c4b7b4fec0357636dc595fc5e2190c765534fdffbcb448a094a139809b8220aff6765789be0dd0d5d266efe75480781f529fc1e85723b2802e8f362d24eff96940ef1730431282890d55f9385be4518d1a0af37c0df32a3c956422f1cf858c39299a612c00e3c1ae44a66311cb0"
	specSigSHA22 = "10106120e5113c77346ef3f98eaad1f3c9ce9cce6318f76dd66dd29a868371d80ed1c42dec1d51a71c1620dbffc91c0e996b0e55c69e04ed4c89d63a440f4950b944ce226bedc9a23026d3830a01f496ab40954551f8d04ed9ad385aecd54152ea27fa348ca32f532435d2cb63e50d11dc3e310926a8eb3353fb1e71915d3737a5e9711766ab701ea4447705bd8d466e870033a0e7d9eb32e7d83e9d19edb679ee6a787d570fc16660948a80e28c71e73b28b5cdbb1c07794b77fe031e54d5de7b3fc01c1a900209ce6d9907f375ad177ef21b846cc5cd9b43f9c1987a901477fc0d185ac3832079b6230d3a2a125142477585bc6590d1033b51fd53da312d0b"
	specOAEP1    = "012d31f7c26a325bda6cc5fce36833bf3236581ef703ddc89116e2d49356a2c119f346895a6f0b7039d06e5911ff06c91298ab8caa97b0d0b991f29f3c627e71eb44e5b0426e55749a371c3d79e35b3edb3c5e2eb534829392fc9810604434fc67f9f402b911fd24a22b9c5f84625124cd9615e45a2b880b67af7313973a5b8394d7f365bd5c73635166d0eb32ad0c537b88ee07ccd7afd25df10e3c7e0e6b50a7f7c2b3079091799042d7dbebb8b143e3b87429609fa6d0aece503c508123b584c4a9c45a3969115594d7935ce44f1eb0c8ab387af446825b7cbaa29ad29a7a681721e78f445c99a5ba96c415383b476a559d821d223df0c59a3dc9e8454458"
	specOAEP224  = "c0a947382e6ab965c6057f216f63abde69ceb51945a4102e1ed9980a4aad0971367fe1526ecf270cf58eceed10af36a81d282d1b788bfc78c1116028a8f86a0c05029bcc95d430137fc0084888a46136e7bc4068884b031dc5e0cd8c336a7120f3f668b94d98cf352a795edfff914701c6eee449ca994b1e3a1b68404399db7fb12954ee018a7b32dbf7012a4e98047b3795da85914ee189e1dd36826c30775111c9f235b31dbb6a20d89b699422ca1a0586557ae6f8bdc4f2fdc945f05363baa98724b654f7433b82832e1cf4ff2d4229c3292779e4454f1e2532786e4dac92bffb2676f58fd434f0f97d4d2405e616bb8a2602d1a246cd4857f7721c1498bd"
	specFinger   = "36:81:d1:0e:a9:58:f6:0c:93:7e:0f:4f:07:28:52:e5:4a:7e:99:06:a5:6b:6c:eb:91:35:f0:8a:c6:94:8f:25"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	return must(t, b, err)
}

func specKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := ParsePrivateKeyPEM(readTestdata(t, "spec-key.pem"))
	return must(t, k, err)
}

func TestSpecRSAVectors(t *testing.T) {
	k := specKey(t)
	pub := &k.PublicKey
	P := mustHex(t, specPHex)

	// §9.4 tok, and its padded block.
	tok, err := MinionToken(k)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(tok) != specTok {
		t.Fatalf("tok = %x", tok)
	}
	if err := VerifyMinionToken(pub, tok); err != nil {
		t.Fatal(err)
	}
	block := new(big.Int).Exp(new(big.Int).SetBytes(tok), big.NewInt(int64(pub.E)), pub.N)
	if alt := new(big.Int).Sub(pub.N, block); block.Bit(0)+block.Bit(1)*2+block.Bit(2)*4+block.Bit(3)*8 != 12 {
		block = alt
	}
	wantBlock := "6b" + strings.Repeat("bb", 249) + "ba" + "73616c74" + "cc"
	if hex.EncodeToString(block.Bytes()) != wantBlock {
		t.Fatalf("tok block = %x", block.Bytes())
	}

	// §9.4 auth-reply sig over the hex SHA-256 of the §9.2 key string.
	d := sha256.Sum256([]byte(specKeyString))
	if hex.EncodeToString(d[:]) != specDigest {
		t.Fatal("digest mismatch")
	}
	sig, err := AESKeySig(k, specKeyString)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(sig) != specAESSig {
		t.Fatalf("aes sig = %x", sig)
	}
	if err := VerifyAESKeySig(pub, specKeyString, sig); err != nil {
		t.Fatal(err)
	}
	if err := VerifyAESKeySig(pub, specKeyString[1:]+"A", sig); !errors.Is(err, ErrSignature) {
		t.Fatalf("wrong key string: %v", err)
	}

	// §9.4 PKCS#1 v1.5 signatures of P.
	for _, tt := range []struct{ algo, want string }{
		{PKCS1v15SHA1, specSigSHA1}, {"", specSigSHA1}, {PKCS1v15SHA224, specSigSHA22},
	} {
		s, err := Sign(k, tt.algo, P)
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(s) != tt.want {
			t.Errorf("Sign(%q) = %x", tt.algo, s)
		}
		if err := Verify(pub, tt.algo, P, s); err != nil {
			t.Errorf("Verify(%q): %v", tt.algo, err)
		}
		if err := Verify(pub, tt.algo, P[1:], s); !errors.Is(err, ErrSignature) {
			t.Errorf("Verify(%q) of other data: %v", tt.algo, err)
		}
	}
	if err := Verify(pub, PKCS1v15SHA224, P, mustHex(t, specSigSHA1)); !errors.Is(err, ErrSignature) {
		t.Errorf("SHA1 signature accepted as SHA224: %v", err)
	}

	// §9.5 OAEP decrypt vectors.
	for _, tt := range []struct{ algo, ct string }{{OAEPSHA1, specOAEP1}, {OAEPSHA224, specOAEP224}} {
		got, err := DecryptKeyString(k, tt.algo, mustHex(t, tt.ct))
		if err != nil || got != specKeyString {
			t.Errorf("%s: %q %v", tt.algo, got, err)
		}
	}
	if _, err := DecryptOAEP(k, OAEPSHA1, mustHex(t, specOAEP224)); err == nil {
		t.Error("SHA224 ciphertext decrypted as SHA1")
	}

	// §9.3 pem_finger.
	f, err := PemFinger(readTestdata(t, "spec-key.pub"), "sha256")
	if err != nil || f != specFinger {
		t.Fatalf("PemFinger = %q %v", f, err)
	}
}

func TestOAEPRoundTrip(t *testing.T) {
	k := specKey(t)
	for _, algo := range []string{"", OAEPSHA1, OAEPSHA224} {
		ct, err := EncryptOAEP(&k.PublicKey, algo, []byte(specKeyString))
		if err != nil {
			t.Fatal(err)
		}
		pt, err := DecryptOAEP(k, algo, ct)
		if err != nil || string(pt) != specKeyString {
			t.Fatalf("%s: %q %v", algo, pt, err)
		}
	}
	for _, algo := range []string{"OAEP-SHA256", "oaep-sha1", "PKCS1v15-SHA1"} {
		if _, err := EncryptOAEP(&k.PublicKey, algo, []byte("x")); !errors.Is(err, ErrAlgorithm) {
			t.Errorf("EncryptOAEP(%q): %v", algo, err)
		}
	}
	if _, err := Sign(k, "PKCS1v15-SHA256", nil); !errors.Is(err, ErrAlgorithm) {
		t.Errorf("Sign bad algo: %v", err)
	}
	if _, err := EncryptOAEP(&k.PublicKey, "", make([]byte, 300)); err == nil {
		t.Error("oversized OAEP message accepted")
	}
	if _, err := DecryptKeyString(k, "", mustOAEP(t, &k.PublicKey, "not a key")); err == nil {
		t.Error("DecryptKeyString accepted a non-key")
	}
	if _, err := DecryptOAEP(k, "", []byte{1, 2, 3}); err == nil {
		t.Error("garbage ciphertext decrypted")
	}
}

func mustOAEP(t *testing.T, pub *rsa.PublicKey, s string) []byte {
	ct, err := EncryptOAEP(pub, "", []byte(s))
	return must(t, ct, err)
}

func TestX931(t *testing.T) {
	k := specKey(t)
	pub := &k.PublicKey
	// Without the CRT values the result is the same.
	noCRT := *k
	noCRT.Precomputed = rsa.PrecomputedValues{}
	for _, msg := range [][]byte{[]byte("salt"), {}, make([]byte, 254), bytes.Repeat([]byte{0xcc}, 100)} {
		s1, err := X931Sign(k, msg)
		if err != nil {
			t.Fatalf("len %d: %v", len(msg), err)
		}
		s2, err := X931Sign(&noCRT, msg)
		if err != nil || !bytes.Equal(s1, s2) {
			t.Fatalf("CRT and plain differ for len %d", len(msg))
		}
		got, err := X931Recover(pub, s1)
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("recover len %d: %x %v", len(msg), got, err)
		}
	}
	if _, err := X931Sign(k, make([]byte, 255)); err == nil {
		t.Error("oversized X9.31 message accepted")
	}
	tok, _ := MinionToken(k)
	other, _ := ParsePrivateKeyPEM(readTestdata(t, "rsa4096-pkcs8.pem"))
	bad := append([]byte(nil), tok...)
	bad[10] ^= 1
	for name, sig := range map[string][]byte{
		"flipped": bad, "empty": nil, "too long": make([]byte, 257), "zero": make([]byte, 256),
		"modulus": pub.N.Bytes(), "short": tok[:100],
	} {
		if _, err := X931Recover(pub, sig); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := VerifyMinionToken(&other.PublicKey, tok); !errors.Is(err, ErrSignature) {
		t.Errorf("other key: %v", err)
	}
	// 4096-bit keys work too (2014.7 default keysize).
	tok4, err := MinionToken(other)
	if err != nil || len(tok4) != 512 {
		t.Fatalf("4096 tok: %d %v", len(tok4), err)
	}
	if err := VerifyMinionToken(&other.PublicKey, tok4); err != nil {
		t.Fatal(err)
	}
	if _, err := X931Sign(nil, nil); err == nil {
		t.Error("nil key accepted")
	}
	if _, err := X931Recover(nil, tok); err == nil {
		t.Error("nil pub accepted")
	}
}

func TestPEM(t *testing.T) {
	specPEM := readTestdata(t, "spec-key.pem")
	k := specKey(t)
	if got := MarshalPrivateKeyPEM(k); !bytes.Equal(got, specPEM) {
		t.Errorf("MarshalPrivateKeyPEM differs from the Salt/OpenSSL file")
	}
	pubPEM, err := MarshalPublicKeyPEM(&k.PublicKey)
	if err != nil || !bytes.Equal(pubPEM, readTestdata(t, "spec-key.pub")) {
		t.Errorf("MarshalPublicKeyPEM differs: %v", err)
	}
	pub, err := ParsePublicKeyPEM(pubPEM)
	if err != nil || !pub.Equal(&k.PublicKey) {
		t.Fatal(err)
	}
	// CRLF, surrounding blanks, clean_key'd (no trailing newline) forms.
	for _, v := range []string{
		strings.ReplaceAll(string(pubPEM), "\n", "\r\n"), "\n\n  " + string(pubPEM) + "\n\n", CleanKey(string(pubPEM)),
	} {
		if p, err := ParsePublicKeyPEM([]byte(v)); err != nil || !p.Equal(pub) {
			t.Errorf("variant: %v", err)
		}
	}
	// PKCS#1 public key form.
	p1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(pub)})
	if p, err := ParsePublicKeyPEM(p1); err != nil || !p.Equal(pub) {
		t.Errorf("PKCS#1 public: %v", err)
	}
	// PKCS#8 private keys are read (4096-bit file made by openssl genrsa).
	k4, err := ParsePrivateKeyPEM(readTestdata(t, "rsa4096-pkcs8.pem"))
	if err != nil || k4.N.BitLen() != 4096 {
		t.Fatalf("PKCS#8 4096: %v", err)
	}
	der8, _ := x509.MarshalPKCS8PrivateKey(k)
	if k8, err := ParsePrivateKeyPEM(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der8})); err != nil || !k8.Equal(k) {
		t.Errorf("PKCS#8: %v", err)
	}

	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	ecPubDER, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	ecSEC, _ := x509.MarshalECPrivateKey(ec)
	encrypted := strings.Replace(string(specPEM), "-----BEGIN RSA PRIVATE KEY-----\n",
		"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00000000000000000000000000000000\n\n", 1)
	privBad := map[string]struct{ in, want string }{
		"empty":     {"", "empty"},
		"garbage":   {"hello world\n", "not a PEM"},
		"truncated": {string(specPEM[:len(specPEM)/2]), "truncated"},
		"no end":    {strings.Replace(string(specPEM), "-----END RSA PRIVATE KEY-----", "", 1), "truncated"},
		"bad der":   {string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte{0x30, 1, 2}})), "PKCS#1"},
		"ec pkcs8":  {string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER})), "RSA"},
		"ec sec1":   {string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: ecSEC})), "not an RSA private key"},
		"public":    {string(pubPEM), "not an RSA private key"},
		"encrypted": {encrypted, "passphrase"},
	}
	for name, tt := range privBad {
		_, err := ParsePrivateKeyPEM([]byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("private %s: %v (want %q)", name, err, tt.want)
		}
	}
	pubBad := map[string]struct{ in, want string }{
		"garbage":   {"\x00\x01", "not a PEM"},
		"truncated": {string(pubPEM[:200]), "truncated"},
		"ec":        {string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecPubDER})), "RSA"},
		"private":   {string(specPEM), "not an RSA public key"},
		"bad der":   {string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1}})), "bad public key"},
	}
	for name, tt := range pubBad {
		_, err := ParsePublicKeyPEM([]byte(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("public %s: %v (want %q)", name, err, tt.want)
		}
	}
}

func TestCleanKeyAndFinger(t *testing.T) {
	tests := []struct{ in, want string }{
		{"-----BEGIN X-----\nAB\n-----END X-----\n", "-----BEGIN X-----\nAB\n-----END X-----"},
		{"  \r\n-----BEGIN X-----\r\nAB\r\n-----END X-----\r\n\r\n", "-----BEGIN X-----\nAB\n-----END X-----"},
		{"a\rb\x0bc\x0cd\x1ce\u2028f", "a\nb\nc\nd\ne\nf"},
		{"a \nb\t\n", "a \nb"}, // only the ends are stripped
		{"a\n\nb", "a\n\nb"},   // blank lines stay
		{"", ""},
	}
	for _, tt := range tests {
		if got := CleanKey(tt.in); got != tt.want {
			t.Errorf("CleanKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	pub := string(readTestdata(t, "spec-key.pub"))
	if !KeysEqual(pub, CleanKey(pub)) || !KeysEqual(pub, strings.ReplaceAll(pub, "\n", "\r\n")) {
		t.Error("KeysEqual of the same key")
	}
	if KeysEqual(pub, strings.Replace(pub, "A", "B", 1)) {
		t.Error("KeysEqual of different keys")
	}
	// Finger ignores blank lines and CRLF; md5 (makina-states) works.
	for _, v := range []string{pub, "\n" + strings.ReplaceAll(pub, "\n", "\r\n") + "\n\n"} {
		if f, err := PemFinger([]byte(v), ""); err != nil || f != specFinger {
			t.Errorf("PemFinger variant: %q %v", f, err)
		}
	}
	if f, err := PemFinger([]byte(pub), "md5"); err != nil || len(f) != 47 {
		t.Errorf("md5 finger %q %v", f, err)
	}
	if _, err := PemFinger([]byte(pub), "crc32"); !errors.Is(err, ErrAlgorithm) {
		t.Errorf("bad hash: %v", err)
	}
	if _, err := PemFinger([]byte("x"), ""); err == nil {
		t.Error("finger of garbage")
	}
}

func TestGenerateKeySizes(t *testing.T) {
	for _, bits := range []int{1024, 512, 100000} {
		if _, err := GenerateKey(bits); err == nil {
			t.Errorf("GenerateKey(%d) accepted", bits)
		}
	}
	k, err := GenerateKey(0)
	if err != nil || k.N.BitLen() != 2048 || k.E != 65537 {
		t.Fatalf("GenerateKey(0): %v", err)
	}
}
