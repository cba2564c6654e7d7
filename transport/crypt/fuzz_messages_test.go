package crypt

import (
	"testing"

	"github.com/saltgo/saltgo/transport/payload"
	"github.com/saltgo/saltgo/transport/wiretest"
)

// recordedBodies returns the last frame of every recorded message of the
// given kinds (all releases, all conversation files): the seed corpus of the
// parser fuzzers is what real masters sent.
func recordedBodies(f *testing.F, kinds ...string) [][]byte {
	f.Helper()
	want := map[string]bool{}
	for _, k := range kinds {
		want[k] = true
	}
	var out [][]byte
	for _, rel := range wiretest.Releases {
		for _, file := range wiretest.Files {
			c := wiretest.Load(f, rel, file)
			for _, m := range c.Messages {
				if want[m.Kind()] {
					out = append(out, m.Body(f))
				}
			}
		}
	}
	if len(out) == 0 {
		f.Fatalf("no recorded %v messages", kinds)
	}
	return out
}

// FuzzOpenAuthReply feeds arbitrary reply bodies to the minion's auth reply
// parser, with and without a pinned master key, and to the key recovery of
// an accepted reply: errors only, never a panic.
func FuzzOpenAuthReply(f *testing.F) {
	for _, b := range recordedBodies(f, "auth_reply") {
		f.Add(b)
	}
	f.Add([]byte("\x81\xa4load\x81\xa3ret\xc2"))             // {"load": {"ret": false}}
	f.Add([]byte("\x82\xa3enc\xa5clear\xa3aes\xa1x"))        // legacy accepted shape
	f.Add([]byte("\x82\xa4load\xc4\x01\xc0\xa3sig\xc4\x00")) // signed blob of nil
	keys := loadRecKeys(f, wiretest.Releases[0])
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := payload.Decode(body)
		if err != nil {
			return
		}
		for _, pinned := range []bool{true, false} {
			key := keys.masterPub
			if !pinned {
				key = nil
			}
			r, err := OpenAuthReply(v, key, "", "")
			if err != nil {
				continue
			}
			if r.Accepted {
				_, _ = r.Keys(keys.minion, key, "", "")
				_, _ = r.Keys(keys.minion, key, "", "0123456789abcdef0123456789abcdef")
			}
		}
	})
}

// FuzzOpenPrivateReply feeds arbitrary bodies to the private (pillar) reply
// parser, in the signed (nonce) and legacy forms.
func FuzzOpenPrivateReply(f *testing.F) {
	for _, b := range recordedBodies(f, "pillar_reply") {
		f.Add(b)
	}
	f.Add([]byte("\x81\xa5error\xa3bad"))
	f.Add([]byte("\x82\xa3key\xc4\x00\xa6pillar\xc4\x00"))
	keys := loadRecKeys(f, wiretest.Releases[0])
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := payload.Decode(body)
		if err != nil {
			return
		}
		_, _ = OpenPrivateReply(v, keys.minion, keys.masterPub, "", "", "")
		_, _ = OpenPrivateReply(v, keys.minion, keys.masterPub, "", "", "0123456789abcdef0123456789abcdef")
		_, _ = OpenPrivateReply(v, keys.minion, nil, "", "", "0123456789abcdef0123456789abcdef")
	})
}

// FuzzOpenPublish feeds arbitrary publish bodies to OpenPublish with the
// recorded AES key, signed and unsigned: a body that opens must be a map
// without the serial it carried.
func FuzzOpenPublish(f *testing.F) {
	for _, b := range recordedBodies(f, "publish") {
		f.Add(b)
	}
	f.Add([]byte("\x82\xa3enc\xa3aes\xa4load\xc4\x00"))
	f.Add([]byte("\x82\xa3enc\xa5clear\xa4load\x80"))
	c := wiretest.Load(f, wiretest.Releases[0], wiretest.Files[0])
	keys := loadRecKeys(f, wiretest.Releases[0])
	aesKey := c.Keys.AESKeys[0]
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, signed := range []bool{false, true} {
			// A fresh Crypticle per call keeps the serial state deterministic.
			aes, err := NewCrypticle(aesKey)
			if err != nil {
				t.Fatal(err)
			}
			key := keys.masterPub
			if !signed {
				key = nil
			}
			load, err := OpenPublish(body, aes, key)
			if err != nil {
				continue
			}
			if load == nil || load.Has("serial") {
				t.Fatalf("OpenPublish returned %v without error", load)
			}
		}
	})
}

// FuzzParseKeyPEM feeds arbitrary bytes to the key file parsers and the
// fingerprint: a parsed key must survive a marshal/parse round trip.
func FuzzParseKeyPEM(f *testing.F) {
	for _, rel := range wiretest.Releases {
		for _, name := range []string{"master.pem", "master.pub", "minion.pem", "minion.pub"} {
			f.Add(wiretest.ReadFile(f, rel, name))
		}
	}
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n"))
	f.Add([]byte("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		if k, err := ParsePrivateKeyPEM(b); err == nil {
			if _, err := ParsePrivateKeyPEM(MarshalPrivateKeyPEM(k)); err != nil {
				t.Fatalf("private key does not round-trip: %v", err)
			}
		}
		if k, err := ParsePublicKeyPEM(b); err == nil {
			p, err := MarshalPublicKeyPEM(k)
			if err != nil {
				t.Fatalf("parsed public key does not marshal: %v", err)
			}
			if _, err := ParsePublicKeyPEM(p); err != nil {
				t.Fatalf("public key does not round-trip: %v", err)
			}
		}
		_, _ = PemFinger(b, "sha256")
		_ = CleanKey(string(b))
	})
}
