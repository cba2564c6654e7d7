package minion

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/saltgo/saltgo/internal/mastertest"
	"github.com/saltgo/saltgo/jid"
	"github.com/saltgo/saltgo/transport/crypt"
	"github.com/saltgo/saltgo/transport/payload"
)

// waitLog waits until logs contain sub n times.
func waitLog(t testing.TB, logs *logBuf, sub string, n int) {
	t.Helper()
	waitLogWithin(t, logs, sub, n, 10*time.Second)
}

// waitLogWithin waits until sub was logged n times, failing the test with
// the logs after within.
func waitLogWithin(t testing.TB, logs *logBuf, sub string, n int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for logs.count(sub) < n {
		if time.Now().After(deadline) {
			t.Fatalf("log line %q not seen %d times within %s:\n%s", sub, n, within, logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stopMinion stops a minion started by startMinion and waits for it, once
// its return queue is empty (a return delivered but not yet removed is
// sent again at the next start: that is not a replay).
func stopMinion(t *testing.T, s Settings, cancel context.CancelFunc, done chan error) {
	t.Helper()
	waitQueueEmpty(t, s)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	done <- nil // for startMinion's cleanup
}

// runMinion starts a minion and waits until it is ready.
func runMinion(t *testing.T, s Settings) (*logBuf, context.CancelFunc, chan error) {
	t.Helper()
	logs := &logBuf{}
	ready := make(chan struct{})
	cancel, done := startMinion(t, s, logs, ready)
	waitReady(t, ready, logs)
	return logs, cancel, done
}

// A publish captured on the wire must not run again after the minion
// restarts: the serial high-water mark of the (unchanged) AES key is
// persisted in the cache dir.
func TestReplayAfterRestartRefused(t *testing.T) {
	master := newMaster(t, 3, true)
	s := settings(master, "r1", t.TempDir())
	logs, cancel, done := runMinion(t, s)
	// Ready means the subscription was sent; a publish before the
	// master reads it is lost (ZeroMQ).
	master.AwaitSubscribers(t, 1, 10*time.Second)
	captured, body, err := master.Publish(mastertest.Job{Tgt: "r1", Fun: "test.ping"})
	if err != nil {
		t.Fatal(err)
	}
	waitReturn(t, master, captured, logs)
	stopMinion(t, s, cancel, done)

	logs2, _, _ := runMinion(t, s)
	master.AwaitSubscribers(t, 1, 10*time.Second)
	master.PublishRaw(nil, "", body)
	waitLog(t, logs2, "refusing a replayed publish", 1)
	noReturnBefore(t, master, ping(t, master, "r1"), logs2, captured)
	if n := logs2.count("refusing a replayed publish"); n != 1 {
		t.Errorf("refusal logged %d times:\n%s", n, logs2)
	}
	if !strings.Contains(logs2.String(), "replayed or out-of-order serial") {
		t.Errorf("no reason in the refusal:\n%s", logs2)
	}
}

// An attacker forces a re-authentication with one publish that fails its
// HMAC (here a master-signed publish under another AES key, as a capture
// from before a rotation is), then replays a publish the minion already
// ran (and forgot: minion_jid_queue_hwm 1). The serial of the unchanged
// AES key is carried across the re-authentication.
func TestReplayAfterForcedReauthRefused(t *testing.T) {
	master := newMaster(t, 3, true)
	s := settings(master, "r2", t.TempDir())
	s.JIDQueueHWM = 1
	logs, _, _ := runMinion(t, s)
	// Ready means the subscription was sent; a publish before the
	// master reads it is lost (ZeroMQ).
	master.AwaitSubscribers(t, 1, 10*time.Second)
	captured, body, err := master.Publish(mastertest.Job{Tgt: "r2", Fun: "test.ping"})
	if err != nil {
		t.Fatal(err)
	}
	waitReturn(t, master, captured, logs)
	waitReturn(t, master, ping(t, master, "r2"), logs) // pushes captured out of the jid queue

	key, err := crypt.GenerateKeyString()
	if err != nil {
		t.Fatal(err)
	}
	old, err := crypt.NewCrypticle(key)
	if err != nil {
		t.Fatal(err)
	}
	env, err := crypt.WrapPublish(master.Key(), old, mastertest.PublishLoad(mastertest.Job{Tgt: "r2", Fun: "test.ping"}), 1, "")
	if err != nil {
		t.Fatal(err)
	}
	master.PublishRaw(nil, "", mustEncode(t, env))
	waitLog(t, logs, "authenticated with the master", 2)
	master.PublishRaw(nil, "", body)
	waitLog(t, logs, "refusing a replayed publish", 1)
	noReturnBefore(t, master, ping(t, master, "r2"), logs, captured)
	if n := logs.count("refusing a replayed publish"); n != 1 {
		t.Errorf("refusal logged %d times:\n%s", n, logs)
	}
}

// A publish whose job id is older than the sign-in minus the skew
// allowance is refused, whatever its serial.
func TestStalePublishRefused(t *testing.T) {
	master := newMaster(t, 3, true)
	s := settings(master, "r3", t.TempDir())
	logs, _, _ := runMinion(t, s)
	// Ready means the subscription was sent; a publish before the
	// master reads it is lost (ZeroMQ).
	master.AwaitSubscribers(t, 1, 10*time.Second)
	stale := jid.Format(time.Now().Add(-10 * time.Minute))
	if _, _, err := master.Publish(mastertest.Job{Tgt: "r3", Fun: "test.ping", JID: stale}); err != nil {
		t.Fatal(err)
	}
	waitLog(t, logs, "refusing a replayed publish", 1)
	noReturnBefore(t, master, ping(t, master, "r3"), logs, stale)
	if !strings.Contains(logs.String(), "more than 5m0s before the last sign-in") {
		t.Errorf("no reason in the refusal:\n%s", logs)
	}
}

// Once the master has sent a signed publish, a publish whose signature was
// stripped (anyone holding the shared AES key can make one) is refused, in
// this process and after a restart.
func TestStrippedSignatureRefused(t *testing.T) {
	master := newMaster(t, 3, true)
	s := settings(master, "r4", t.TempDir())
	logs, cancel, done := runMinion(t, s)
	waitReturn(t, master, ping(t, master, "r4"), logs)

	forge := func(serial int64) string {
		l := mastertest.PublishLoad(mastertest.Job{Tgt: "r4", Fun: "test.ping"})
		env, err := crypt.WrapPublish(nil, master.AES(), l, serial, "")
		if err != nil {
			t.Fatal(err)
		}
		master.PublishRaw(nil, "", mustEncode(t, env))
		j, _ := l.String("jid")
		return j
	}
	forged := forge(1 << 40)
	waitLog(t, logs, "refusing an unsigned publish", 1)
	noReturnBefore(t, master, ping(t, master, "r4"), logs, forged)
	stopMinion(t, s, cancel, done)

	logs2, _, _ := runMinion(t, s)
	master.AwaitSubscribers(t, 1, 10*time.Second)
	forged = forge(1 << 41)
	waitLog(t, logs2, "refusing an unsigned publish", 1)
	noReturnBefore(t, master, ping(t, master, "r4"), logs2, forged)
	if !strings.Contains(logs2.String(), "this master signs its publishes") {
		t.Errorf("no reason in the refusal:\n%s", logs2)
	}
}

// After the master rotates its AES key, the job that reveals it is
// answered at once (one immediate re-authentication), even with Salt's
// default random_reauth_delay of 10 s; after the master was down (the
// publish channel reconnected) the re-authentication is still spread.
func TestRotationAnsweredAtOnce(t *testing.T) {
	master := newMaster(t, 3, true)
	s := settings(master, "r5", t.TempDir())
	s.RandomReauthDelay = 10 * time.Second
	logs, _, _ := runMinion(t, s)
	waitReturn(t, master, ping(t, master, "r5"), logs)
	for i := range 2 {
		if err := master.RotateAES(); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		waitReturn(t, master, ping(t, master, "r5"), logs)
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("rotation %d: answered after %v:\n%s", i, d, logs)
		}
		time.Sleep(120 * time.Millisecond) // publishReauthEvery in tests
	}
	if logs.count("after a random delay") != 0 {
		t.Errorf("a rotation re-authentication was delayed:\n%s", logs)
	}

	s2 := settings(master, "r6", t.TempDir())
	s2.RandomReauthDelay = 300 * time.Millisecond
	logs2, _, _ := runMinion(t, s2)
	if err := master.Restart(); err != nil {
		t.Fatal(err)
	}
	master.AwaitSubscribers(t, 2, 10*time.Second)
	time.Sleep(200 * time.Millisecond)
	waitReturn(t, master, ping(t, master, "r6"), logs2)
	if logs2.count("re-authenticating after a random delay") != 1 {
		t.Errorf("the re-authentication after a master restart was not spread:\n%s", logs2)
	}
}

// minion_sign_messages signs the _return load as the master verifies it:
// msgpack of the load without sig, nonce and tok (spec 3.11).
func TestMinionSignMessages(t *testing.T) {
	master := newMaster(t, 3, true)
	s := settings(master, "r7", t.TempDir())
	s.MinionSignMessages = true
	logs, _, _ := runMinion(t, s)
	pubPEM, err := os.ReadFile(filepath.Join(s.PKIDir, "minion.pub"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := crypt.ParsePublicKeyPEM(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	j := ping(t, master, "r7")
	waitReturn(t, master, j, logs)
	timeout := time.After(5 * time.Second)
	for {
		select {
		case r := <-master.Requests():
			if cmdOf(r.Load) != "_return" {
				continue
			}
			if got, _ := r.Load.String("jid"); got != j {
				continue
			}
			sig, err := payload.GetBytes(r.Load, "sig")
			if err != nil {
				t.Fatalf("_return not signed: %v", keyList(r.Load))
			}
			l := r.Load.Copy()
			for _, k := range []string{"sig", "nonce", "tok"} {
				l.Delete(k)
			}
			if err := crypt.Verify(pub, crypt.PKCS1v15SHA1, mustEncode(t, l), sig); err != nil {
				t.Fatalf("signature does not verify: %v", err)
			}
			return
		case <-timeout:
			t.Fatal("_return request not recorded")
		}
	}
}

func TestStaleJID(t *testing.T) {
	now := time.Now()
	m := &Minion{s: Settings{CacheDir: t.TempDir(), PublishReplaySkew: 5 * time.Minute, JIDQueueHWM: 10}, log: discardLogger()}
	m.jids = newJIDQueue(10)
	c := &creds{at: now}
	tests := []struct {
		name  string
		skew  time.Duration
		id    string
		stale bool
	}{
		{"just published", 5 * time.Minute, jid.Format(now), false},
		{"within the skew", 5 * time.Minute, jid.Format(now.Add(-4 * time.Minute)), false},
		{"older than the skew", 5 * time.Minute, jid.Format(now.Add(-6 * time.Minute)), true},
		{"check off", -1, jid.Format(now.Add(-time.Hour)), false},
		{"not a timestamp jid", 5 * time.Minute, "req", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m.s.PublishReplaySkew = tc.skew
			if got := m.staleJID(tc.id, c) != ""; got != tc.stale {
				t.Fatalf("stale = %v, want %v", got, tc.stale)
			}
		})
	}
}

func TestPublishReplaySkewOption(t *testing.T) {
	tests := []struct {
		name string
		file string
		want time.Duration
	}{
		{"default", "id: a\n", DefaultPublishReplaySkew},
		{"set", "id: a\npublish_replay_skew: 60\n", time.Minute},
		{"off", "id: a\npublish_replay_skew: 0\n", -1},
		{"minion_sign_messages", "id: a\nminion_sign_messages: true\n", DefaultPublishReplaySkew},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := settingsFromFile(t, tc.file)
			if err := s.defaults(); err != nil {
				t.Fatal(err)
			}
			if s.PublishReplaySkew != tc.want {
				t.Fatalf("skew %v, want %v", s.PublishReplaySkew, tc.want)
			}
			if s.MinionSignMessages != strings.Contains(tc.file, "minion_sign_messages") {
				t.Fatalf("minion_sign_messages %v", s.MinionSignMessages)
			}
		})
	}
}

// BenchmarkRotationAnswer measures the time from an AES key rotation and
// the next publish to that job's return (Salt's default random_reauth_delay
// of 10 s is set: it must not apply to a rotation).
func BenchmarkRotationAnswer(b *testing.B) {
	saved := publishReauthEvery
	publishReauthEvery = 0
	defer func() { publishReauthEvery = saved }()
	master, err := mastertest.Start(mastertest.Config{PKIDir: filepath.Join(b.TempDir(), "master-pki"), Gen: 3, AutoAccept: true})
	if err != nil {
		b.Fatal(err)
	}
	defer master.Close()
	s := settings(master, "bench", b.TempDir())
	s.RandomReauthDelay = 10 * time.Second
	logs := &logBuf{}
	ready := make(chan struct{})
	m, err := New(s, Options{Executor: testExecutor, Logger: newTestLogger(logs), Ready: func() { close(ready) }})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() { cancel(); <-done }()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		b.Fatalf("minion not ready:\n%s", logs)
	}
	for b.Loop() {
		if err := master.RotateAES(); err != nil {
			b.Fatal(err)
		}
		j, _, err := master.Publish(mastertest.Job{Tgt: "bench", Fun: "test.ping"})
		if err != nil {
			b.Fatal(err)
		}
		master.WaitReturn(b, j, 10*time.Second, logs)
	}
}

func newTestLogger(logs *logBuf) *slog.Logger {
	return slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestPublishOptionsRefusedOrAccepted(t *testing.T) {
	tests := []struct {
		name    string
		mod     func(*Settings)
		wantErr error
	}{
		{"defaults", func(*Settings) {}, nil},
		{"minion_sign_messages", func(s *Settings) { s.MinionSignMessages = true }, nil},
		{"always_verify_signature without verify_master_pubkey_sign is refused", func(s *Settings) { s.AlwaysVerifySignature = true }, errAlwaysVerifyNeedsPubSig},
		{"always_verify_signature with verify_master_pubkey_sign", func(s *Settings) { s.AlwaysVerifySignature, s.VerifyMasterPubkeySign = true, true }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Settings{ID: "o1", PKIDir: t.TempDir(), CacheDir: t.TempDir()}
			tc.mod(&s)
			_, err := New(s, Options{Executor: testExecutor, Logger: discardLogger()})
			if !errors.Is(err, tc.wantErr) && (err != nil || tc.wantErr != nil) {
				t.Fatalf("New: %v, want %v", err, tc.wantErr)
			}
		})
	}
}
