package mastertest

import (
	"context"
	"crypto/rsa"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/transport/crypt"
	"github.com/saltgo/saltgo/transport/payload"
	"github.com/saltgo/saltgo/transport/wiretest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recordedMaster starts a test master holding the recorded master key and
// the recorded minion key as accepted.
func recordedMaster(t *testing.T, release string, gen int) (*Master, *wiretest.Conversation) {
	t.Helper()
	return recordedMasterOf(t, release, "conversation.json", Config{Gen: gen, Pillar: func(string, *data.Map) *data.Map { return data.M("wire", "x") }})
}

// recordedMasterOf is recordedMaster for the recording file, with cfg
// (its PKIDir is set here).
func recordedMasterOf(t *testing.T, release, file string, cfg Config) (*Master, *wiretest.Conversation) {
	t.Helper()
	conv := wiretest.Load(t, release, file)
	dir := t.TempDir()
	pki := filepath.Join(dir, "pki")
	if err := crypt.EnsurePKIDir(pki); err != nil {
		t.Fatal(err)
	}
	for src, dst := range map[string]string{"master.pem": "master.pem", "master.pub": "master.pub"} {
		if err := os.WriteFile(filepath.Join(pki, dst), wiretest.ReadFile(t, release, src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg.PKIDir = pki
	m, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	if err := m.AcceptKey(conv.MinionID, wiretest.ReadFile(t, release, "minion.pub")); err != nil {
		t.Fatal(err)
	}
	if err := m.SetAESKey(conv.Keys.AESKeys[0]); err != nil {
		t.Fatal(err)
	}
	if conv.Keys.SessionKey != "" {
		if err := m.SetSessionKey(conv.MinionID, conv.Keys.SessionKey); err != nil {
			t.Fatal(err)
		}
	}
	return m, conv
}

func keys(m *data.Map) string { return fmt.Sprint(m.Keys()) }

func decodeMap(t *testing.T, b []byte) *data.Map {
	t.Helper()
	m, err := payload.DecodeMap(b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func parseKeys(t *testing.T, release string) (*rsa.PrivateKey, *rsa.PublicKey) {
	t.Helper()
	priv, err := crypt.ParsePrivateKeyPEM(wiretest.ReadFile(t, release, "minion.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := crypt.ParsePublicKeyPEM(wiretest.ReadFile(t, release, "master.pub"))
	if err != nil {
		t.Fatal(err)
	}
	return priv, pub
}

// TestAgainstRecordedMaster feeds the recorded minion requests to the test
// master and checks that its replies decode, through the minion's code
// paths, into the same structures as the real master's recorded replies.
func TestAgainstRecordedMaster(t *testing.T) {
	for _, tc := range []struct {
		release string
		gen     int
	}{{"3007.14", 3}, {"3006.11", 2}} {
		t.Run(tc.release, func(t *testing.T) {
			m, conv := recordedMaster(t, tc.release, tc.gen)
			minionPriv, masterPub := parseKeys(t, tc.release)
			ctx := context.Background()

			// _auth (#0/#1).
			authReq := conv.Messages[0].Body(t)
			nonce, _ := decodeMap(t, authReq).Get("load")
			n, _ := nonce.(*data.Map).String("nonce")
			ours, ok := m.handle(ctx, authReq)
			if !ok {
				t.Fatal("no auth reply")
			}
			recorded := conv.Messages[1].Body(t)
			var inner [2]string
			for i, b := range [][]byte{ours, recorded} {
				env := decodeMap(t, b)
				if k := keys(env); k != "[enc load sig]" {
					t.Fatalf("auth reply envelope keys %s", k)
				}
				v, _ := payload.Decode(b)
				ar, err := crypt.OpenAuthReply(v, masterPub, "", n)
				if err != nil {
					t.Fatal(err)
				}
				if ar.Gen != tc.gen || !ar.Signed || !ar.Accepted {
					t.Fatalf("reply %d: gen %d signed %v accepted %v", i, ar.Gen, ar.Signed, ar.Accepted)
				}
				if _, err := ar.Keys(minionPriv, masterPub, "", ""); err != nil {
					t.Fatalf("reply %d keys: %v", i, err)
				}
				inner[i] = keys(ar.Load)
			}
			if inner[0] != inner[1] {
				t.Fatalf("auth reply inner keys: ours %s, recorded %s", inner[0], inner[1])
			}

			// AES requests #2 (_pillar), #4 (_minion_event), #11 (_return).
			reqKey := conv.Keys.SessionKey
			if reqKey == "" {
				reqKey = conv.Keys.AESKeys[0]
			}
			c, _ := crypt.NewCrypticle(reqKey)
			for _, idx := range []int{2, 4, 11} {
				req := conv.Messages[idx].Body(t)
				env := decodeMap(t, req)
				blob, _ := payload.GetBytes(env, "load")
				lv, err := c.Loads(blob, "")
				if err != nil {
					t.Fatal(err)
				}
				load := lv.(*data.Map)
				reqNonce, _ := load.String("nonce")
				cmd, _ := load.String("cmd")
				ours, ok := m.handle(ctx, req)
				if !ok {
					t.Fatalf("#%d: no reply", idx)
				}
				rec := conv.ReplyTo(idx).Body(t)
				for i, b := range [][]byte{ours, rec} {
					v, err := payload.Decode(b)
					if err != nil {
						t.Fatal(err)
					}
					if cmd == "_pillar" {
						if k := keys(v.(*data.Map)); k != "[key pillar]" {
							t.Fatalf("pillar reply keys %s", k)
						}
						p, err := crypt.OpenPrivateReply(v, minionPriv, masterPub, "", "", reqNonce)
						if err != nil {
							t.Fatalf("pillar reply %d: %v", i, err)
						}
						if _, ok := p.(*data.Map); !ok {
							t.Fatalf("pillar %T", p)
						}
						continue
					}
					r, err := crypt.OpenReply(c, v, reqNonce)
					if err != nil || r != nil {
						t.Fatalf("%s reply %d: %v %v", cmd, i, r, err)
					}
				}
			}
			select {
			case r := <-m.Returns():
				if k := keys(r); k != "[cmd id success return retcode jid fun fun_args user _stamp]" {
					t.Fatalf("stored return keys %s", k)
				}
			default:
				t.Fatal("the recorded _return was not stored")
			}

			// Publish #10: same envelope and load structure.
			recPub := conv.Messages[10].Body(t)
			aes, _ := crypt.NewCrypticle(conv.Keys.AESKeys[0])
			recLoad, err := crypt.OpenPublish(recPub, aes, masterPub)
			if err != nil {
				t.Fatal(err)
			}
			tgt, _ := recLoad.Get("tgt")
			fun, _ := recLoad.Get("fun")
			env, err := crypt.WrapPublish(m.Key(), m.AES(), PublishLoad(Job{Tgt: tgt, Fun: fun}), 1, "")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := payload.Encode(env)
			if a, b := keys(decodeMap(t, body)), keys(decodeMap(t, recPub)); a != b {
				t.Fatalf("publish envelope keys ours %s recorded %s", a, b)
			}
			aes2, _ := crypt.NewCrypticle(m.AES().KeyString())
			ourLoad, err := crypt.OpenPublish(body, aes2, masterPub)
			if err != nil {
				t.Fatal(err)
			}
			if a, b := keys(ourLoad), keys(recLoad); a != b {
				t.Fatalf("publish load keys ours %s recorded %s", a, b)
			}
		})
	}
}

// TestBadRequests: garbage gets "bad load", never a panic.
func TestBadRequests(t *testing.T) {
	m, _ := recordedMaster(t, "3007.14", 3)
	bad, _ := payload.Encode("bad load")
	for _, in := range [][]byte{nil, []byte("garbage"), mustEnc(t, "str"), mustEnc(t, data.M("enc", "aes", "load", "x")),
		mustEnc(t, data.M("enc", "clear")), mustEnc(t, data.M("enc", "aes", "load", []byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), "version", 3, "id", "cn1.test"))} {
		out, ok := m.handle(context.Background(), in)
		if !ok || string(out) != string(bad) {
			t.Errorf("%q -> %q", in, out)
		}
	}
}

func mustEnc(t *testing.T, v any) []byte {
	b, err := payload.Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAcceptMinion: the one key-acceptance helper writes Salt's layout
// (minions/<id>, 0644, directory created) and refuses ids that are paths.
func TestAcceptMinion(t *testing.T) {
	pki := filepath.Join(t.TempDir(), "pki")
	pub := wiretest.ReadFile(t, "3007.14", "minion.pub")
	if err := AcceptMinion(pki, "m1", pub); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(pki, crypt.MinionsDir, "m1"))
	if err != nil || st.Mode().Perm() != crypt.PubKeyMode {
		t.Fatalf("accepted key: %v %v", st, err)
	}
	if b, _ := os.ReadFile(filepath.Join(pki, crypt.MinionsDir, "m1")); string(b) != string(pub) {
		t.Error("accepted key content differs")
	}
	if got := fmt.Sprint(AcceptedMinions(pki)); got != "[m1]" {
		t.Errorf("accepted %s", got)
	}
	for _, id := range []string{"", "..", "a/b", "a\x00b"} {
		if err := AcceptMinion(pki, id, pub); err == nil {
			t.Errorf("id %q accepted", id)
		}
	}
}
