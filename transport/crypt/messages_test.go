package crypt

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/atomicfile"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/transport/payload"
)

// roundTrip encodes v and decodes it as the wire would.
func roundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := payload.Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := payload.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestMasterMinionHelpers drives the master-side helpers into the
// minion-side ones for every generation and both algorithm sets.
func TestMasterMinionHelpers(t *testing.T) {
	master := specKey(t)
	minion, err := ParsePrivateKeyPEM(readTestdata(t, "rsa4096-pkcs8.pem"))
	if err != nil {
		t.Fatal(err)
	}
	masterPubPEM, _ := PublicKeyOf(master)
	aesKey, sessKey, token := mustKey(t), mustKey(t), mustKey(t)
	nonce, _ := NewNonce()

	for _, algos := range [][2]string{{"", ""}, {OAEPSHA224, PKCS1v15SHA224}} {
		enc, sig := algos[0], algos[1]
		for _, gen := range []int{0, 2, 3} {
			a := AuthAccept{MasterPubPEM: CleanKey(string(masterPubPEM)), PublishPort: 4505, AESKey: aesKey,
				Token: token, Nonce: nonce, EncAlgo: enc}
			if gen == 3 {
				a.SessionKey = sessKey
			}
			if gen == 0 {
				a.Nonce = ""
			}
			r, err := AuthAcceptLoad(master, &minion.PublicKey, a)
			if err != nil {
				t.Fatal(err)
			}
			var reply any = r
			if gen > 0 {
				if reply, err = SignAuthReply(master, sig, r); err != nil {
					t.Fatal(err)
				}
			}
			reply = roundTrip(t, reply)
			wantNonce := nonce
			if gen == 0 {
				wantNonce = ""
			}
			ar, err := OpenAuthReply(reply, nil, sig, wantNonce)
			if err != nil {
				t.Fatalf("gen %d: %v", gen, err)
			}
			if ar.Gen != gen || !ar.Accepted || ar.PublishPort != 4505 || ar.Signed != (gen > 0) {
				t.Fatalf("gen %d: %+v", gen, ar)
			}
			k, err := ar.Keys(minion, &master.PublicKey, enc, token)
			if err != nil {
				t.Fatalf("gen %d keys: %v", gen, err)
			}
			if k.AES != aesKey || (gen == 3) != (k.Session == sessKey) {
				t.Fatalf("gen %d: keys %+v", gen, k)
			}
			if _, err := ar.Keys(minion, &master.PublicKey, enc, mustKey(t)); err == nil {
				t.Errorf("gen %d: another token accepted", gen)
			}

			// Private pillar reply.
			pn := nonce
			if gen == 0 {
				pn = ""
			}
			pillar := data.M("a", int64(1), "u", "h\u00e9llo")
			pr, err := SealPrivateReply(master, &minion.PublicKey, enc, sig, pillar, pn)
			if err != nil {
				t.Fatal(err)
			}
			got, err := OpenPrivateReply(roundTrip(t, pr), minion, &master.PublicKey, enc, sig, pn)
			if err != nil || !payload.Equal(got, pillar) {
				t.Fatalf("gen %d pillar: %v %v", gen, got, err)
			}
			if gen > 0 {
				legacy, _ := SealPrivateReply(master, &minion.PublicKey, enc, sig, pillar, "")
				if _, err := OpenPrivateReply(roundTrip(t, legacy), minion, &master.PublicKey, enc, sig, nonce); err == nil ||
					!strings.Contains(err.Error(), "not signed") {
					t.Errorf("unsigned pillar accepted with a nonce: %v", err)
				}
			}
		}

		// Publish with this signing algorithm.
		aesM, _ := NewCrypticle(aesKey)
		aesN, _ := NewCrypticle(aesKey)
		for serial := int64(1); serial <= 3; serial++ {
			env, err := WrapPublish(master, aesM, data.M("fun", "test.ping", "jid", "1"), serial, sig)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := payload.Encode(env)
			load, err := OpenPublish(body, aesN, &master.PublicKey)
			if err != nil || load.Has("serial") || aesN.LastSerial() != serial {
				t.Fatalf("publish %d: %v %v", serial, load, err)
			}
		}
		unsigned, _ := WrapPublish(nil, aesM, data.M("fun", "x"), 9, "")
		body, _ := payload.Encode(unsigned)
		if _, err := OpenPublish(body, aesN, &master.PublicKey); err == nil || !strings.Contains(err.Error(), "not signed") {
			t.Errorf("unsigned publish accepted: %v", err)
		}
		if _, err := OpenPublish(body, aesN, nil); err != nil {
			t.Errorf("unsigned publish without sign_pub_messages: %v", err)
		}
	}
}

func TestAuthReplyStatusAndErrors(t *testing.T) {
	master := specKey(t)
	nonce, _ := NewNonce()
	for _, ret := range []any{true, false, "full"} {
		reply, _ := SignAuthReply(master, "", AuthStatusLoad(ret, nonce))
		r, err := OpenAuthReply(roundTrip(t, reply), &master.PublicKey, "", nonce)
		if err != nil || r.Accepted || r.Ret != ret || !r.Signed {
			t.Fatalf("ret %v: %+v %v", ret, r, err)
		}
		if _, err := r.Keys(master, nil, "", ""); err == nil {
			t.Error("Keys of a pending reply")
		}
		// First contact: no key to verify a status reply with.
		if r, err := OpenAuthReply(roundTrip(t, reply), nil, "", nonce); err != nil || r.Signed {
			t.Errorf("first-contact status: %v", err)
		}
	}
	for _, s := range []string{"bad enc algo", "bad sig algo"} {
		_, err := OpenAuthReply(data.M("enc", "clear", "load", data.M("ret", s)), nil, "", "")
		if !errors.Is(err, ErrBadAlgo) {
			t.Errorf("%s: %v", s, err)
		}
	}
	bad := []any{
		"bad load", nil, data.M("enc", "clear"), data.M("enc", "clear", "load", 5),
		data.M("enc", "clear", "load", []byte{0x81}), // signed blob without sig
		data.M("enc", "clear", "load", []byte{0xc1}, "sig", []byte{1}),
		data.M("enc", "clear", "load", []byte{0xa1, 0x61}, "sig", []byte{1}),
		data.M("enc", "clear", "load", data.M("enc", "pub")), // no pub_key
	}
	for i, v := range bad {
		if _, err := OpenAuthReply(v, nil, "", ""); err == nil {
			t.Errorf("bad reply %d accepted", i)
		}
	}
	if _, err := OpenAuthReply("bad load", nil, "", ""); err == nil || !strings.Contains(err.Error(), `"bad load"`) {
		t.Errorf("bad load text: %v", err)
	}
	// Missing X9.31 sig is fatal.
	r := &AuthReply{Accepted: true, Load: data.M("aes", []byte{1}), PubKey: string(readTestdata(t, "spec-key.pub"))}
	if _, err := r.Keys(master, nil, "", ""); err == nil {
		t.Error("reply without aes decrypted")
	}
}

func TestOpenReply(t *testing.T) {
	c, _ := NewCrypticle(specKeyString)
	nonce, _ := NewNonce()
	blob, _ := c.Dumps(data.M("ok", true), nonce)
	for _, v := range []any{blob, string(blob)} {
		if got, err := OpenReply(c, v, nonce); err != nil || !payload.Equal(got, data.M("ok", true)) {
			t.Errorf("OpenReply: %v %v", got, err)
		}
	}
	_, err := OpenReply(c, "bad load", nonce)
	if !errors.Is(err, ErrHMAC) || !strings.Contains(err.Error(), `"bad load"`) {
		t.Errorf("bad load: %v", err)
	}
	if _, err := OpenReply(c, data.M(), nonce); err == nil {
		t.Error("map reply accepted")
	}
	if _, err := OpenPublish([]byte{0xc1}, c, nil); err == nil {
		t.Error("garbage publish")
	}
	body, _ := payload.Encode(data.M("enc", "clear", "load", "x"))
	if _, err := OpenPublish(body, c, nil); !errors.Is(err, ErrNotAES) {
		t.Errorf("clear publish: %v", err)
	}
}

func TestPKI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki", "minion")
	priv, pubPEM, err := LoadOrGenerateMinionKeys(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	mode := func(p string) os.FileMode {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return st.Mode().Perm()
	}
	if mode(dir) != 0o700 || mode(filepath.Join(dir, MinionPrivFile)) != 0o400 || mode(filepath.Join(dir, MinionPubFile)) != 0o644 {
		t.Errorf("modes: dir %o pem %o pub %o", mode(dir), mode(filepath.Join(dir, MinionPrivFile)), mode(filepath.Join(dir, MinionPubFile)))
	}
	pemText, _ := os.ReadFile(filepath.Join(dir, MinionPrivFile))
	if !strings.HasPrefix(string(pemText), "-----BEGIN RSA PRIVATE KEY-----\n") || !strings.HasPrefix(string(pubPEM), "-----BEGIN PUBLIC KEY-----\n") {
		t.Error("key file formats")
	}
	// Second call loads the same key; a lost .pub is rewritten.
	os.Remove(filepath.Join(dir, MinionPubFile))
	os.Chmod(dir, 0o755) // Salt resets a loose pki dir to 0700
	priv2, pub2, err := LoadOrGenerateMinionKeys(dir, 0)
	if err != nil || !priv2.Equal(priv) || string(pub2) != string(pubPEM) || mode(dir) != 0o700 {
		t.Fatalf("reload: %v", err)
	}
	// Mismatched .pub, corrupt .pem: clear errors, nothing overwritten.
	other, _ := PublicKeyOf(specKey(t))
	os.WriteFile(filepath.Join(dir, MinionPubFile), other, 0o644)
	if _, _, err := LoadOrGenerateMinionKeys(dir, 0); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("mismatch: %v", err)
	}
	os.Chmod(filepath.Join(dir, MinionPrivFile), 0o600)
	os.WriteFile(filepath.Join(dir, MinionPrivFile), pemText[:100], 0o400)
	if _, _, err := LoadOrGenerateMinionKeys(dir, 0); err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Errorf("corrupt pem: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, MinionPrivFile)); len(got) != 100 {
		t.Error("corrupt key file was overwritten")
	}

	// Cached master key (TOFU).
	if _, _, err := ReadCachedMasterKey(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("no cached key: %v", err)
	}
	if err := WriteCachedMasterKey(dir, []byte("junk")); err == nil {
		t.Error("junk master key cached")
	}
	clean := CleanKey(string(other))
	if err := WriteCachedMasterKey(dir, []byte(clean)); err != nil {
		t.Fatal(err)
	}
	if _, text, err := ReadCachedMasterKey(dir); err != nil || string(text) != clean || mode(filepath.Join(dir, MinionMasterPubFile)) != 0o644 {
		t.Errorf("cached key: %v", err)
	}

	// Master layout.
	mdir := filepath.Join(t.TempDir(), "master")
	if _, _, err := EnsureMasterPKI(mdir, 0); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{MinionsDir, MinionsPreDir, MinionsRejectedDir, MinionsDeniedDir, MinionsAutosignDir} {
		if mode(filepath.Join(mdir, d)) != 0o755 {
			t.Errorf("%s mode %o", d, mode(filepath.Join(mdir, d)))
		}
	}
	if mode(mdir) != 0o700 || mode(filepath.Join(mdir, MasterPrivFile)) != 0o400 {
		t.Error("master modes")
	}
	if _, _, err := EnsureMasterPKI(mdir, 0); err != nil {
		t.Fatalf("second EnsureMasterPKI: %v", err)
	}

	// Atomic write leaves no temp files and replaces content.
	p := filepath.Join(mdir, "f")
	for _, s := range []string{"one", "two"} {
		if err := atomicfile.Write(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if b, _ := os.ReadFile(p); string(b) != "two" || mode(p) != 0o600 {
		t.Error("atomic write content/mode")
	}
	ents, _ := os.ReadDir(mdir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temp file left: %s", e.Name())
		}
	}
	if err := atomicfile.Write(filepath.Join(mdir, "missing", "f"), nil, 0o600); err == nil {
		t.Error("write into a missing dir succeeded")
	}
	if err := EnsurePKIDir(p); err == nil {
		t.Error("file used as pki dir")
	}
}
