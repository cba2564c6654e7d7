package minion

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/internal/mastertest"
	"github.com/saltgo/saltgo/transport/crypt"
	"github.com/saltgo/saltgo/transport/payload"
)

// cancelMinion cancels a minion started by startMinionM/startMinion and waits
// for Run to return nil.
func cancelMinion(t *testing.T, cancel context.CancelFunc, done chan error) {
	t.Helper()
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	done <- nil // for the cleanup
}

// legacyShape turns a recorded signed auth reply into what a legacy master
// sends: the inner map itself, stripped of token, nonce and session (so no
// signature, no nonce and no token to check).
func legacyShape(t *testing.T, reply []byte) []byte {
	t.Helper()
	v, err := payload.Decode(reply)
	if err != nil {
		t.Fatal(err)
	}
	env, err := payload.AsMap(v)
	if err != nil {
		t.Fatal(err)
	}
	blob, err := payload.GetBytes(env, "load")
	if err != nil {
		t.Fatal(err)
	}
	r, err := payload.DecodeMap(blob)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"token", "nonce", "session"} {
		r.Delete(k)
	}
	return mustEncode(t, r)
}

const unsignedRefusal = "refusing an unsigned legacy auth reply"

// Downgrade (issue 11.1): an attacker who captured an honest auth reply
// replays it in the legacy shape after forcing a re-auth; with the master
// key pinned the minion refuses it, keeps its current AES key and keeps
// serving the honest master.
func TestAuthReplayedLegacyReplyRefused(t *testing.T) {
	master := newMaster(t, 3, true)
	var (
		mu       sync.Mutex
		captured []byte
	)
	master.SetTamper(func(cmd string, b []byte) ([]byte, bool) {
		mu.Lock()
		defer mu.Unlock()
		if cmd == "_auth" && captured == nil {
			captured = bytes.Clone(b)
		}
		return b, true
	})
	logs := &logBuf{}
	ready := make(chan struct{})
	m, _, _ := startMinionM(t, settings(master, "ma1", t.TempDir()), logs, ready)
	waitReady(t, ready, logs)
	oldKey := master.AES().KeyString()

	// The master rotates its AES key; the minion follows honestly.
	if err := master.RotateAES(); err != nil {
		t.Fatal(err)
	}
	newKey := master.AES().KeyString()
	waitReturn(t, master, ping(t, master, "ma1"), logs)
	if got := m.creds().aes.KeyString(); got != newKey {
		t.Fatal("the minion did not follow the rotation")
	}

	// The attacker answers every sign-in with the captured reply, legacy
	// shaped, and forces a re-auth with a publish under the old key.
	mu.Lock()
	replay := legacyShape(t, captured)
	mu.Unlock()
	master.SetTamper(func(cmd string, b []byte) ([]byte, bool) {
		if cmd == "_auth" {
			return replay, true
		}
		return b, true
	})
	authed := logs.count("authenticated with the master")
	time.Sleep(2 * publishReauthEvery) // past the re-auth rate limit
	if err := master.SetAESKey(oldKey); err != nil {
		t.Fatal(err)
	}
	bad := ping(t, master, "ma1")
	waitLog(t, logs, unsignedRefusal, 1)
	if got := m.creds().aes.KeyString(); got != newKey {
		t.Fatal("the replayed reply installed its AES key")
	}
	if n := logs.count("authenticated with the master"); n != authed {
		t.Fatalf("the minion signed in on a replayed reply:\n%s", logs)
	}

	// The honest master is still served.
	master.SetTamper(nil)
	if err := master.SetAESKey(newKey); err != nil {
		t.Fatal(err)
	}
	noReturnBefore(t, master, ping(t, master, "ma1"), logs, bad)
}

// Remote stop (issue 11.2): with the key pinned, an unsigned legacy
// rejection does not make the minion exit 77; a signed, nonce-matching
// rejection from the pinned master still does.
func TestAuthUnsignedRejectDoesNotStopMinion(t *testing.T) {
	master := newMaster(t, 3, true)
	dir := t.TempDir()
	s := settings(master, "ma2", dir)
	logs := &logBuf{}
	ready := make(chan struct{})
	cancel, done := startMinion(t, s, logs, ready)
	waitReady(t, ready, logs)
	cancelMinion(t, cancel, done) // minion_master.pub is now pinned

	reject := mustEncode(t, data.M("enc", "clear", "load", data.M("ret", false)))
	var forged atomic.Bool
	forged.Store(true)
	master.SetTamper(func(cmd string, b []byte) ([]byte, bool) {
		if cmd == "_auth" && forged.Load() {
			return reject, true
		}
		return b, true
	})
	logs2 := &logBuf{}
	ready2 := make(chan struct{})
	cancel2, done2 := startMinion(t, s, logs2, ready2)
	waitLog(t, logs2, unsignedRefusal, 2)
	select {
	case err := <-done2:
		t.Fatalf("the minion stopped on an unsigned rejection: %v\n%s", err, logs2)
	default:
	}
	if logs2.count("has rejected this minion's public key") != 0 {
		t.Fatalf("an unsigned rejection was believed:\n%s", logs2)
	}
	forged.Store(false)
	waitReady(t, ready2, logs2)
	waitReturn(t, master, ping(t, master, "ma2"), logs2)
	cancelMinion(t, cancel2, done2)

	// A real rejection, signed by the pinned key with our nonce, still stops it.
	if err := master.Reject("ma2"); err != nil {
		t.Fatal(err)
	}
	logs3 := &logBuf{}
	_, done3 := startMinion(t, s, logs3, nil)
	select {
	case err := <-done3:
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Code != ExitNoPerm {
			t.Fatalf("Run returned %v", err)
		}
		done3 <- err
	case <-time.After(10 * time.Second):
		t.Fatalf("a signed rejection did not stop the minion:\n%s", logs3)
	}
}

// A legacy master stays usable with the key pinned only through the
// explicit opt-in saltgo_allow_legacy_master_auth.
func TestAuthLegacyMasterOptIn(t *testing.T) {
	for _, allow := range []bool{false, true} {
		t.Run(map[bool]string{false: "refused", true: "opt-in"}[allow], func(t *testing.T) {
			master := newMaster(t, 0, true)
			dir := t.TempDir()
			s := settings(master, "ma3", dir)
			logs := &logBuf{}
			ready := make(chan struct{})
			cancel, done := startMinion(t, s, logs, ready) // first contact: TOFU
			waitReady(t, ready, logs)
			cancelMinion(t, cancel, done)

			s.AllowLegacyMasterAuth = allow
			logs2 := &logBuf{}
			ready2 := make(chan struct{})
			startMinion(t, s, logs2, ready2)
			if !allow {
				waitLog(t, logs2, unsignedRefusal, 1)
				select {
				case <-ready2:
					t.Fatalf("signed in with a legacy reply:\n%s", logs2)
				default:
				}
				return
			}
			waitReady(t, ready2, logs2)
			if logs2.count("saltgo_allow_legacy_master_auth is set") == 0 {
				t.Errorf("the opt-in is not logged:\n%s", logs2)
			}
			waitReturn(t, master, ping(t, master, "ma3"), logs2)
		})
	}
}

// signedMaster starts a generation-3 master (sign: with
// master_sign_pubkey); the key files named in files are copied from the
// pki dir from first.
func signedMaster(t *testing.T, from string, sign bool, files ...string) *mastertest.Master {
	t.Helper()
	pki := filepath.Join(t.TempDir(), "master-pki")
	if len(files) > 0 {
		if err := os.MkdirAll(pki, 0o700); err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			b, err := os.ReadFile(filepath.Join(from, f))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(pki, f), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	m, err := mastertest.Start(mastertest.Config{PKIDir: pki, Gen: 3, AutoAccept: true, SignPubKey: sign})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// verify_master_pubkey_sign / master_sign_pubkey (issue 11.5, spec
// 3.5.3/3.5.4): a changed master key is trusted only when pub_sig verifies
// with master_sign.pub; pub_sig and the option must agree.
func TestVerifyMasterPubkeySign(t *testing.T) {
	first := signedMaster(t, "", true)
	signPair := []string{"master_sign.pem", "master_sign.pub"}
	samePair := []string{"master.pem", "master.pub"}
	dir := t.TempDir()
	s := settings(first, "ma4", dir)
	s.VerifyMasterPubkeySign = true
	if err := os.MkdirAll(s.PKIDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.PKIDir, "master_sign.pub"), first.SignKeyPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	logs := &logBuf{}
	ready := make(chan struct{})
	cancel, done := startMinion(t, s, logs, ready)
	waitReady(t, ready, logs)
	waitReturn(t, first, ping(t, first, "ma4"), logs)
	cancelMinion(t, cancel, done)

	cases := []struct {
		name   string
		copied []string // key files the next master takes from the first
		sign   bool     // the next master sends pub_sig
		verify bool     // verify_master_pubkey_sign on the minion
		always bool     // always_verify_signature on the minion
		want   string   // log line; "" = accepted
	}{
		{"changed key with a bad pub_sig", nil, true, true, false, "master public-key signature (pub_sig) check failed"},
		{"pub_sig missing", samePair, false, true, false, "the master did not send its public-key signature"},
		{"pub_sig not verified by the minion", samePair, true, false, false, "verify_master_pubkey_sign is not enabled"},
		{"unchanged key, pub_sig by another signing key, always_verify_signature", samePair, true, true, true, "master public-key signature (pub_sig) check failed"},
		{"changed key vouched for by master_sign", signPair, true, true, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			next := signedMaster(t, first.PKIDirForTest(), c.sign, c.copied...)
			s := settings(next, "ma4", dir)
			s.VerifyMasterPubkeySign = c.verify
			s.AlwaysVerifySignature = c.always
			logs := &logBuf{}
			ready := make(chan struct{})
			cancel, done := startMinion(t, s, logs, ready)
			if c.want != "" {
				waitLog(t, logs, c.want, 1)
				select {
				case <-ready:
					t.Fatalf("signed in:\n%s", logs)
				default:
				}
				cancelMinion(t, cancel, done)
				return
			}
			waitReady(t, ready, logs)
			waitLog(t, logs, "pub_sig verifies with master_sign.pub; cached the new key", 1)
			waitReturn(t, next, ping(t, next, "ma4"), logs)
			b, err := os.ReadFile(filepath.Join(s.PKIDir, crypt.MinionMasterPubFile))
			if err != nil || !crypt.KeysEqual(string(b), string(next.PublicKeyPEM())) {
				t.Fatalf("minion_master.pub not replaced: %v", err)
			}
			cancelMinion(t, cancel, done)
		})
	}
}

// A master key under 2048 bits is refused with its size, on first contact
// and when found cached.
func TestMasterKeyTooSmall(t *testing.T) {
	pki := filepath.Join(t.TempDir(), "master-pki")
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(pki, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(pki, "master.pem"), crypt.MarshalPrivateKeyPEM(weak), 0o600); err != nil {
		t.Fatal(err)
	}
	master, err := mastertest.Start(mastertest.Config{PKIDir: pki, Gen: 3, AutoAccept: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(master.Close)
	dir := t.TempDir()
	s := settings(master, "ma5", dir)
	logs := &logBuf{}
	ready := make(chan struct{})
	cancel, done := startMinion(t, s, logs, ready)
	waitLog(t, logs, "master key too small: 1024 bits, at least 2048 required", 1)
	cancelMinion(t, cancel, done)
	if _, err := os.Stat(filepath.Join(s.PKIDir, crypt.MinionMasterPubFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the weak key was cached: %v", err)
	}

	// A weak key already cached stops the minion at start.
	if err := os.WriteFile(filepath.Join(s.PKIDir, crypt.MinionMasterPubFile), master.PublicKeyPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	_, done2 := startMinion(t, s, &logBuf{}, nil)
	select {
	case err := <-done2:
		if err == nil || !strings.Contains(err.Error(), "1024 bits, at least 2048 required") {
			t.Fatalf("Run: %v", err)
		}
		done2 <- err
	case <-time.After(10 * time.Second):
		t.Fatal("a cached 1024-bit master key did not stop the minion")
	}
}

// master_finger is checked before the key is cached: a master with another
// fingerprint is refused on first contact and never pinned.
func TestMasterFingerBeforePinning(t *testing.T) {
	master := newMaster(t, 3, true)
	good, err := crypt.PemFinger(master.PublicKeyPEM(), "sha256")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, id, finger string
		ok               bool
	}{
		{"wrong fingerprint", "ma6", strings.Repeat("00:", 31) + "00", false},
		{"right fingerprint", "ma7", good, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := settings(master, c.id, t.TempDir())
			s.MasterFinger = c.finger
			logs := &logBuf{}
			ready := make(chan struct{})
			cancel, done := startMinion(t, s, logs, ready)
			if c.ok {
				waitReady(t, ready, logs)
				waitReturn(t, master, ping(t, master, c.id), logs)
			} else {
				waitLog(t, logs, "does not match master_finger", 1)
				if _, err := os.Stat(filepath.Join(s.PKIDir, crypt.MinionMasterPubFile)); !errors.Is(err, os.ErrNotExist) {
					t.Fatalf("a master with the wrong fingerprint was pinned: %v", err)
				}
			}
			cancelMinion(t, cancel, done)
		})
	}
}
