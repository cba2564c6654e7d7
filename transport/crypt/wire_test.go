package crypt

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/transport/payload"
	"github.com/saltgo/saltgo/transport/wiretest"
)

// recKeys are the PEM files of one recorded release.
type recKeys struct {
	master, minion       *rsa.PrivateKey
	masterPub, minionPub *rsa.PublicKey
	masterPubPEM         []byte
	minionPubPEM         []byte
	tok                  []byte
}

func loadRecKeys(t testing.TB, rel string) *recKeys {
	t.Helper()
	k := &recKeys{}
	for _, f := range []struct {
		name string
		priv **rsa.PrivateKey
		pub  **rsa.PublicKey
		pem  *[]byte
	}{
		{"master", &k.master, &k.masterPub, &k.masterPubPEM},
		{"minion", &k.minion, &k.minionPub, &k.minionPubPEM},
	} {
		privPEM := wiretest.ReadFile(t, rel, f.name+".pem")
		*f.pem = wiretest.ReadFile(t, rel, f.name+".pub")
		if !bytes.HasPrefix(privPEM, []byte("-----BEGIN RSA PRIVATE KEY-----\n")) ||
			!bytes.HasPrefix(*f.pem, []byte("-----BEGIN PUBLIC KEY-----\n")) {
			t.Fatalf("%s %s: not PKCS#1 / SPKI", rel, f.name)
		}
		priv, err := ParsePrivateKeyPEM(privPEM)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := ParsePublicKeyPEM(*f.pem)
		if err != nil {
			t.Fatal(err)
		}
		if !pub.Equal(&priv.PublicKey) || priv.N.BitLen() != 2048 {
			t.Fatalf("%s %s: pair mismatch or not 2048 bits", rel, f.name)
		}
		// Our writer produces Salt's files byte for byte.
		if !bytes.Equal(MarshalPrivateKeyPEM(priv), privPEM) {
			t.Errorf("%s %s.pem: MarshalPrivateKeyPEM differs from Salt's file", rel, f.name)
		}
		if p, _ := MarshalPublicKeyPEM(pub); !bytes.Equal(p, *f.pem) {
			t.Errorf("%s %s.pub: MarshalPublicKeyPEM differs from Salt's file", rel, f.name)
		}
		*f.priv, *f.pub = priv, pub
	}
	var err error
	if k.tok, err = MinionToken(k.minion); err != nil {
		t.Fatal(err)
	}
	return k
}

func decodeMap(t *testing.T, b []byte) *data.Map {
	t.Helper()
	m, err := payload.DecodeMap(b)
	return must(t, m, err)
}

func getBytes(t *testing.T, m *data.Map, k string) []byte {
	t.Helper()
	b, err := payload.GetBytes(m, k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func getStr(t *testing.T, m *data.Map, k string) string {
	t.Helper()
	s, err := payload.GetString(m, k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// withIV returns a Crypticle for key whose next IV is the first 16 bytes of
// blob, so that re-encrypting a recorded plaintext must give the recorded
// blob back.
func withIV(t *testing.T, key string, blob []byte) *Crypticle {
	t.Helper()
	c, err := NewCrypticle(key)
	if err != nil {
		t.Fatal(err)
	}
	return c.SetIVSource(bytes.NewReader(blob[:ivLen]))
}

// TestRecordedConversations replays every recorded conversation (3007.14
// generation 3 and 3006.11 generation 2, with and without zmq_filtering)
// through the minion-side helpers, and rebuilds what the master and the
// minion sent with our encoders: with the recorded IVs the bytes must be
// identical (PKCS#1 v1.5 and X9.31 are deterministic).
func TestRecordedConversations(t *testing.T) {
	for _, rel := range wiretest.Releases {
		keys := loadRecKeys(t, rel)
		for _, file := range wiretest.Files {
			c := wiretest.Load(t, rel, file)
			t.Run(c.Name(), func(t *testing.T) { checkConversation(t, c, keys) })
		}
	}
}

func checkConversation(t *testing.T, c *wiretest.Conversation, keys *recKeys) {
	gen3 := c.ProtocolGeneration == 3
	if gen3 != (c.Keys.SessionKey != "") || len(c.Keys.AESKeys) != 1 {
		t.Fatalf("unexpected keys section %+v", c.Keys)
	}
	aesKey := c.Keys.AESKeys[0]
	reqKey := aesKey
	if gen3 {
		reqKey = c.Keys.SessionKey
	}
	reqC, err := NewCrypticle(reqKey)
	if err != nil {
		t.Fatal(err)
	}
	aesC, _ := NewCrypticle(aesKey)   // minion's publish Crypticle (serial state)
	sessC, _ := NewCrypticle(reqKey)  // session key (negative tests on publishes)
	otherC, _ := NewCrypticle(aesKey) // AES key (negative tests on gen-3 requests)

	nonces := map[int]string{} // request index -> nonce
	var counts = map[string]int{}
	var lastSerial int64
	tokChecks := 0
	for _, m := range c.Messages {
		kind := m.Kind()
		counts[kind]++
		body := m.Body(t)
		switch kind {
		case "auth_request":
			env := decodeMap(t, body)
			load, err := payload.GetMap(env, "load")
			if err != nil {
				t.Fatal(err)
			}
			nonces[m.Index] = getStr(t, load, "nonce")
			if !KeysEqual(getStr(t, load, "pub"), string(keys.minionPubPEM)) {
				t.Errorf("#%d: pub differs from minion.pub", m.Index)
			}
			if load.Has("token") { // minion had the master key cached
				tok, err := DecryptKeyString(keys.master, getStr(t, load, "enc_algo"), getBytes(t, load, "token"))
				if err != nil {
					t.Fatalf("#%d token: %v", m.Index, err)
				}
				nonces[-m.Index-1] = tok
			}

		case "auth_reply":
			req := *m.ReplyTo
			v, err := payload.Decode(body)
			if err != nil {
				t.Fatal(err)
			}
			for _, cached := range []*rsa.PublicKey{keys.masterPub, nil} { // cached key, and first contact
				r, err := OpenAuthReply(v, cached, "", nonces[req])
				if err != nil {
					t.Fatalf("#%d: %v", m.Index, err)
				}
				wantGen := 2
				if gen3 {
					wantGen = 3
				}
				if !r.Signed || !r.Accepted || r.Gen != wantGen || r.PublishPort != c.Ports.Publish {
					t.Fatalf("#%d: %+v", m.Index, r)
				}
				if r.PubKey != CleanKey(string(keys.masterPubPEM)) {
					t.Errorf("#%d: pub_key is not clean_key(master.pub)", m.Index)
				}
				ak, err := r.Keys(keys.minion, cached, "", nonces[-req-1])
				if err != nil {
					t.Fatalf("#%d keys: %v", m.Index, err)
				}
				if ak.AES != aesKey || (gen3 && ak.Session != c.Keys.SessionKey) || (!gen3 && ak.Session != "") {
					t.Fatalf("#%d: recovered keys differ from the recording", m.Index)
				}
			}
			// Negative: another nonce, a flipped signature byte, a wrong minion key.
			if _, err := OpenAuthReply(v, keys.masterPub, "", "00000000000000000000000000000000"); !errors.Is(err, ErrNonce) {
				t.Errorf("#%d wrong nonce: %v", m.Index, err)
			}
			env := decodeMap(t, body)
			bad := env.Copy()
			sig := append([]byte(nil), getBytes(t, env, "sig")...)
			sig[7] ^= 1
			bad.Set("sig", sig)
			if _, err := OpenAuthReply(bad, keys.masterPub, "", nonces[req]); !errors.Is(err, ErrSignature) {
				t.Errorf("#%d flipped sig: %v", m.Index, err)
			}
			if _, err := OpenAuthReply(env, keys.minionPub, "", nonces[req]); !errors.Is(err, ErrSignature) {
				t.Errorf("#%d wrong master key: %v", m.Index, err)
			}
			if _, err := OpenAuthReply(env, keys.masterPub, PKCS1v15SHA224, nonces[req]); !errors.Is(err, ErrSignature) {
				t.Errorf("#%d wrong sig algo: %v", m.Index, err)
			}
			r, _ := OpenAuthReply(v, keys.masterPub, "", nonces[req])
			if _, err := r.Keys(keys.master, keys.masterPub, "", ""); err == nil {
				t.Errorf("#%d: keys decrypted with the wrong private key", m.Index)
			}
			// Rebuild the master's reply: same bytes (sig is deterministic).
			inner := decodeMap(t, getBytes(t, env, "load"))
			re, err := SignAuthReply(keys.master, "", inner)
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := payload.Encode(re); !bytes.Equal(b, body) {
				t.Errorf("#%d: SignAuthReply does not rebuild the recorded reply", m.Index)
			}
			if x, _ := AESKeySig(keys.master, aesKey); !bytes.Equal(x, getBytes(t, inner, "sig")) {
				t.Errorf("#%d: AESKeySig differs from the master's sig", m.Index)
			}

		case "aes_request":
			env := decodeMap(t, body)
			if getStr(t, env, "enc") != "aes" {
				t.Fatalf("#%d: enc", m.Index)
			}
			ver, _ := payload.GetInt(env, "version")
			if gen3 && (ver != 3 || getStr(t, env, "id") != c.MinionID) || !gen3 && (ver != 2 || env.Has("id")) {
				t.Errorf("#%d: envelope version/id: %v", m.Index, env.Keys())
			}
			blob := getBytes(t, env, "load")
			lv, err := reqC.Loads(blob, "")
			if err != nil {
				t.Fatalf("#%d: %v", m.Index, err)
			}
			load, _ := payload.AsMap(lv)
			n := getStr(t, load, "nonce")
			if len(n) != NonceLen {
				t.Errorf("#%d: nonce %q", m.Index, n)
			}
			nonces[m.Index] = n
			if gen3 {
				if _, err := payload.GetInt(load, "ts"); err != nil || getStr(t, load, "id") != c.MinionID {
					t.Errorf("#%d: ts/id: %v", m.Index, err)
				}
				if !load.Has("tok") {
					t.Errorf("#%d: gen-3 load without tok", m.Index)
				}
				if _, err := otherC.Loads(blob, ""); !errors.Is(err, ErrHMAC) {
					t.Errorf("#%d: AES key opened a session-key request: %v", m.Index, err)
				}
			}
			if load.Has("tok") {
				tokChecks++
				tok := getBytes(t, load, "tok")
				if !bytes.Equal(tok, keys.tok) {
					t.Errorf("#%d: recorded tok differs from MinionToken(minion.pem)", m.Index)
				}
				if err := VerifyMinionToken(keys.minionPub, tok); err != nil {
					t.Errorf("#%d: %v", m.Index, err)
				}
			}
			// Re-seal the decoded load with the recorded IV: identical blob.
			if again, _ := withIV(t, reqKey, blob).Dumps(load, ""); !bytes.Equal(again, blob) {
				t.Errorf("#%d: Dumps does not rebuild the minion's request", m.Index)
			}

		case "aes_reply":
			req := *m.ReplyTo
			v, err := payload.Decode(body)
			if err != nil {
				t.Fatal(err)
			}
			ret, err := OpenReply(reqC, v, nonces[req])
			if err != nil || ret != nil {
				t.Fatalf("#%d: %v %v", m.Index, ret, err)
			}
			if _, err := OpenReply(reqC, v, nonces[0]); !errors.Is(err, ErrNonce) {
				t.Errorf("#%d: wrong nonce: %v", m.Index, err)
			}
			blob, _ := data.AsBytes(v)
			if again, _ := withIV(t, reqKey, blob).Dumps(nil, nonces[req]); !bytes.Equal(again, blob) {
				t.Errorf("#%d: Dumps(nil, nonce) does not rebuild the master's reply", m.Index)
			}

		case "pillar_reply":
			checkPillar(t, m, keys, nonces[*m.ReplyTo], nonces[0])

		case "publish":
			frames, _ := m.Frames()
			if len(frames) == 2 {
				topic := string(frames[0])
				sum := sha1.Sum([]byte(c.MinionID))
				if topic != "broadcast" && topic != hex.EncodeToString(sum[:]) {
					t.Errorf("#%d: topic %q", m.Index, topic)
				}
			}
			// Negative first (they must not move the serial): session key,
			// flipped signature, flipped ciphertext.
			if gen3 {
				if _, err := OpenPublish(body, sessC, nil); !errors.Is(err, ErrHMAC) {
					t.Errorf("#%d: session key on a publish: %v", m.Index, err)
				}
			}
			env := decodeMap(t, body)
			blob := getBytes(t, env, "load")
			for _, f := range []struct {
				key  string
				want error
				pub  *rsa.PublicKey
			}{{"sig", ErrSignature, keys.masterPub}, {"load", ErrHMAC, nil}, {"load", ErrSignature, keys.masterPub}} {
				bad := env.Copy()
				b := append([]byte(nil), getBytes(t, env, f.key)...)
				b[len(b)/2] ^= 0x10
				bad.Set(f.key, b)
				enc, _ := payload.Encode(bad)
				if _, err := OpenPublish(enc, aesC, f.pub); !errors.Is(err, f.want) {
					t.Errorf("#%d: flipped %s: %v, want %v", m.Index, f.key, err, f.want)
				}
			}
			load, err := OpenPublish(body, aesC, keys.masterPub)
			if err != nil {
				t.Fatalf("#%d: %v", m.Index, err)
			}
			serial := aesC.LastSerial()
			if serial != lastSerial+1 || load.Has("serial") {
				t.Errorf("#%d: serial %d after %d", m.Index, serial, lastSerial)
			}
			lastSerial = serial
			for _, k := range []string{"fun", "arg", "tgt", "jid", "ret", "tgt_type", "user"} {
				if !load.Has(k) {
					t.Errorf("#%d: publish load lacks %q", m.Index, k)
				}
			}
			if got := load.Keys(); len(got) != 7 {
				t.Errorf("#%d: publish keys %v", m.Index, got)
			}
			if _, err := OpenPublish(body, aesC, keys.masterPub); !errors.Is(err, ErrReplay) {
				t.Errorf("#%d: replay accepted: %v", m.Index, err)
			}
			// The master side rebuilds the identical publish frame.
			wrapped, err := WrapPublish(keys.master, withIV(t, aesKey, blob), load, serial, getStr(t, env, "sig_algo"))
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := payload.Encode(wrapped); !bytes.Equal(b, body) {
				t.Errorf("#%d: WrapPublish does not rebuild the recorded publish", m.Index)
			}
		}
	}
	if counts["auth_reply"] != 1 || counts["pillar_reply"] != 1 || counts["aes_request"] < 4 || counts["publish"] < 2 {
		t.Fatalf("unexpected message kinds %v", counts)
	}
	if tokChecks < 2 {
		t.Errorf("tok compared only %d times", tokChecks)
	}
	t.Logf("messages %v; tok checked %d times; last serial %d", counts, tokChecks, lastSerial)
	if c.File == "conversation.json" && lastSerial != 5 {
		t.Errorf("publish serials end at %d, want 5", lastSerial)
	}
}

func checkPillar(t *testing.T, m *wiretest.Message, keys *recKeys, nonce, otherNonce string) {
	t.Helper()
	v, err := payload.Decode(m.Body(t))
	if err != nil {
		t.Fatal(err)
	}
	p, err := OpenPrivateReply(v, keys.minion, keys.masterPub, "", "", nonce)
	if err != nil {
		t.Fatalf("#%d: %v", m.Index, err)
	}
	pm, err := payload.AsMap(p)
	if err != nil {
		t.Fatal(err)
	}
	want, err := wiretest.View(m.Field("data_decoded", "pillar"))
	if err != nil {
		t.Fatal(err)
	}
	if !payload.Equal(pm, want) {
		t.Errorf("#%d: pillar differs from the recording", m.Index)
	}
	wire, _ := payload.GetMap(pm, "wire")
	nested, _ := payload.GetMap(wire, "nested")
	l1, _ := payload.GetMap(nested, "level1")
	uni, _ := wire.Get("unicode")
	an, _ := wire.Get("an_int")
	ab, _ := wire.Get("a_bool")
	lst, _ := wire.Get("a_list")
	deep, _ := l1.Get("level2")
	if uni != "h\u00e9llo" || hex.EncodeToString([]byte(uni.(string))) != "68c3a96c6c6f" || an != int64(12345) || ab != true ||
		deep != "deep" || !payload.Equal(lst, []any{"one", 2, data.M("three", 3)}) {
		t.Errorf("#%d: pillar content %v", m.Index, wire)
	}
	vms, _ := payload.GetMap(pm, "makina-states.cloud.lxc.vms")
	if cn, err := payload.GetMap(vms, "cn1.test"); err != nil || !cn.Has("vm1.test") {
		t.Errorf("#%d: makina-states pillar: %v", m.Index, err)
	}

	// Negative: wrong nonce, wrong master key, wrong minion key, key swapped.
	if _, err := OpenPrivateReply(v, keys.minion, keys.masterPub, "", "", otherNonce); !errors.Is(err, ErrNonce) {
		t.Errorf("#%d wrong nonce: %v", m.Index, err)
	}
	if _, err := OpenPrivateReply(v, keys.minion, keys.minionPub, "", "", nonce); !errors.Is(err, ErrSignature) {
		t.Errorf("#%d wrong master key: %v", m.Index, err)
	}
	if _, err := OpenPrivateReply(v, keys.master, keys.masterPub, "", "", nonce); err == nil {
		t.Errorf("#%d: opened with the wrong minion key", m.Index)
	}
	rm, _ := payload.AsMap(v)
	swapped := rm.Copy()
	ct, _ := EncryptOAEP(keys.minionPub, "", []byte(mustKey(t)))
	swapped.Set("key", ct)
	if _, err := OpenPrivateReply(swapped, keys.minion, keys.masterPub, "", "", nonce); !errors.Is(err, ErrHMAC) {
		t.Errorf("#%d swapped key: %v", m.Index, err)
	}
	if _, err := OpenPrivateReply(data.M("error", "AES key not found"), keys.minion, keys.masterPub, "", "", nonce); err == nil {
		t.Error("error reply accepted")
	}

	// Rebuild the inner blob with the one-off key and the recorded IV.
	keyCT := getBytes(t, rm, "key")
	blob := getBytes(t, rm, "pillar")
	pk, _ := DecryptKeyString(keys.minion, "", keyCT)
	d, _ := payload.Encode(data.M("key", keyCT, "pillar", pm, "nonce", nonce))
	sig, _ := Sign(keys.master, "", d)
	again, _ := withIV(t, pk, blob).Dumps(data.M("data", d, "sig", sig), "")
	if !bytes.Equal(again, blob) {
		t.Errorf("#%d: the private pillar blob cannot be rebuilt byte for byte", m.Index)
	}
}
