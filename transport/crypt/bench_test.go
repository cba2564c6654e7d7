package crypt

import (
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/transport/payload"
)

func benchCrypticle(b *testing.B, n int) {
	c, _ := NewCrypticle(specKeyString)
	pt := make([]byte, n)
	b.SetBytes(int64(n))
	b.ReportAllocs()
	for b.Loop() {
		blob, err := c.Encrypt(pt)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Decrypt(blob); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCrypticle1KB is one Encrypt plus one Decrypt of 1 KiB.
func BenchmarkCrypticle1KB(b *testing.B) { benchCrypticle(b, 1<<10) }

// BenchmarkCrypticle1MB is one Encrypt plus one Decrypt of 1 MiB.
func BenchmarkCrypticle1MB(b *testing.B) { benchCrypticle(b, 1<<20) }

// BenchmarkPublishOpen is the minion's per-publish cost: decode the
// envelope, PKCS#1 v1.5 verify, HMAC, decrypt, msgpack decode.
func BenchmarkPublishOpen(b *testing.B) {
	master := specKey(b)
	c, _ := NewCrypticle(specKeyString)
	load := data.M("fun", "test.ping", "arg", []any{}, "tgt", "cn1.test", "jid", "20261125163658911160", "ret", "", "tgt_type", "glob", "user", "root")
	env, err := WrapPublish(master, c, load, 0, "") // no serial: the body can be replayed
	if err != nil {
		b.Fatal(err)
	}
	body, _ := payload.Encode(env)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := OpenPublish(body, c, &master.PublicKey); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkX931Sign(b *testing.B) {
	k := specKey(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := X931Sign(k, []byte("salt")); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkX931Verify(b *testing.B) {
	k := specKey(b)
	tok, _ := MinionToken(k)
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyMinionToken(&k.PublicKey, tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOAEPDecrypt(b *testing.B) {
	k := specKey(b)
	ct := mustHex(b, specOAEP1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecryptOAEP(k, OAEPSHA1, ct); err != nil {
			b.Fatal(err)
		}
	}
}
