package minion

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/internal/mastertest"
	"github.com/saltgo/saltgo/transport/crypt"
	"github.com/saltgo/saltgo/transport/payload"
)

func TestMain(m *testing.M) {
	publishReauthEvery = 100 * time.Millisecond
	goleak.VerifyTestMain(m)
}

// logBuf collects log lines for assertions.
type logBuf struct{ mastertest.SyncBuffer }

func (l *logBuf) count(s string) int { return l.Count(s) }

// fakeFunc is a test executor's function table: it returns what a job
// returns, or an error that becomes a Python minion's exception text.
type fakeFunc func(ctx context.Context, m *Minion, fun string, args []any, pub *data.Map) (any, int, string, error)

// executor adapts a fakeFunc to Executor, reporting errors as a Python
// minion does.
func executor(f fakeFunc) Executor {
	return ExecutorFunc(func(ctx context.Context, c *Call) Return {
		ret, rc, out, err := f(ctx, c.Minion, c.Fun, c.Args, c.Pub)
		if err != nil {
			return Return{Return: "The minion function caused an exception: " + err.Error(), Retcode: 1, Out: "nested"}
		}
		return Return{Return: ret, Retcode: rc, Out: out}
	})
}

// testExecutor is the tiny built-in executor of the tests: mastertest.Exec
// (test.ping, test.arg, test.echo), test.sleep, test.fail and
// saltutil.find_job.
var testExecutor = executor(func(ctx context.Context, m *Minion, fun string, args []any, pub *data.Map) (any, int, string, error) {
	pos, _ := mastertest.SplitArgs(args)
	switch fun {
	case "test.sleep":
		d, _ := data.AsInt(pos[0])
		select {
		case <-time.After(time.Duration(d) * time.Millisecond):
			return true, 0, "", nil
		case <-ctx.Done():
			return nil, 1, "", ctx.Err()
		}
	case "saltutil.find_job":
		jid, _ := data.AsString(pos[0])
		return m.FindJob(jid), 0, "", nil
	case "test.fail":
		return nil, 0, "", errors.New("boom")
	}
	ret, rc, out := mastertest.Exec(fun, args)
	return ret, rc, out, nil
})

func newMaster(t *testing.T, gen int, autoAccept bool) *mastertest.Master {
	t.Helper()
	m, err := mastertest.Start(mastertest.Config{PKIDir: filepath.Join(t.TempDir(), "master-pki"), Gen: gen, AutoAccept: autoAccept,
		Pillar: func(id string, g *data.Map) *data.Map {
			return data.M("role", "frontend", "id_seen", id, "os_seen", mapStr(g, "os"))
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

func mapStr(m *data.Map, k string) string { s, _ := m.String(k); return s }

func settings(master *mastertest.Master, id, dir string) Settings {
	return Settings{
		ID: id, Master: "127.0.0.1", MasterPort: master.RetPort(),
		PKIDir: filepath.Join(dir, "pki"), CacheDir: filepath.Join(dir, "cache"),
		AuthTimeout: 700 * time.Millisecond, AuthTries: 2, RequestTimeout: 700 * time.Millisecond, RequestTries: 2,
		AcceptanceWaitTime: 150 * time.Millisecond, ReconDefault: 30 * time.Millisecond, ReconMax: 150 * time.Millisecond,
		ReturnRetryTimer: 100 * time.Millisecond, ReturnRetryTimerMax: 200 * time.Millisecond,
		EnableLegacyStartupEvents: true,
	}
}

// startMinion runs a minion until the test ends; it returns the channel
// receiving Run's result.
func startMinion(t *testing.T, s Settings, logs *logBuf, ready chan struct{}) (context.CancelFunc, chan error) {
	t.Helper()
	_, cancel, done := startMinionM(t, s, logs, ready)
	return cancel, done
}

// startMinionM is startMinion that also returns the minion, so a test can
// look at the credentials it holds.
func startMinionM(t *testing.T, s Settings, logs *logBuf, ready chan struct{}) (*Minion, context.CancelFunc, chan error) {
	t.Helper()
	var once sync.Once
	m, err := New(s, Options{
		Executor: testExecutor,
		Grains: func(context.Context) (*data.Map, error) {
			return data.M("id", s.ID, "os", "Debian", "roles", []any{"web"}, "ipv4", []any{"127.0.0.1"}), nil
		},
		Logger:            slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		RejectedExitDelay: func() time.Duration { return 0 },
		Ready: func() {
			if ready != nil {
				once.Do(func() { close(ready) })
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("minion did not stop")
		}
	})
	return m, cancel, done
}

func waitReady(t *testing.T, ready chan struct{}, logs *logBuf) {
	t.Helper()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatalf("minion not ready; logs:\n%s", logs)
	}
}

func waitReturn(t *testing.T, m *mastertest.Master, jid string, logs *logBuf) *data.Map {
	t.Helper()
	return m.WaitReturn(t, jid, 10*time.Second, logs)
}

// noReturn checks that no return for any of jids arrives while a later
// marker job does.
func noReturnBefore(t *testing.T, m *mastertest.Master, marker string, logs *logBuf, jids ...string) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case r := <-m.Returns():
			j, _ := r.String("jid")
			for _, bad := range jids {
				if j == bad {
					t.Fatalf("unexpected return for %s; logs:\n%s", j, logs)
				}
			}
			if j == marker {
				return
			}
		case <-timeout:
			t.Fatalf("marker %s not returned; logs:\n%s", marker, logs)
		}
	}
}

func ping(t *testing.T, m *mastertest.Master, tgt string) string {
	t.Helper()
	// A minion is ready once it sent its subscription; the master may not
	// have read it yet (a publish before that is lost, as with ZeroMQ).
	m.AwaitSubscribers(t, 1, 10*time.Second)
	jid, _, err := m.Publish(mastertest.Job{Tgt: tgt, Fun: "test.ping"})
	if err != nil {
		t.Fatal(err)
	}
	return jid
}

func keyList(m *data.Map) string { return fmt.Sprint(m.Keys()) }

func TestEndToEnd(t *testing.T) {
	master := newMaster(t, 3, true)
	logs := &logBuf{}
	dir := t.TempDir()
	s := settings(master, "m1", dir)
	// The very first auth reply is truncated: the minion must log it and retry.
	var authReplies atomic.Int32
	master.SetTamper(func(cmd string, b []byte) ([]byte, bool) {
		if cmd == "_auth" && authReplies.Add(1) == 1 {
			return b[:len(b)/2], true
		}
		return b, true
	})
	ready := make(chan struct{})
	startMinion(t, s, logs, ready)
	waitReady(t, ready, logs)
	if !strings.Contains(logs.String(), "authentication with the master failed") {
		t.Errorf("truncated auth reply not logged:\n%s", logs)
	}
	// Keys generated with Salt's names and modes; master key cached.
	for name, mode := range map[string]os.FileMode{"minion.pem": 0o400, "minion.pub": 0o644, "minion_master.pub": 0o644} {
		st, err := os.Stat(filepath.Join(s.PKIDir, name))
		if err != nil || st.Mode().Perm() != mode {
			t.Errorf("%s: %v mode %v", name, err, st)
		}
	}
	cached, _ := os.ReadFile(filepath.Join(s.PKIDir, "minion_master.pub"))
	if !crypt.KeysEqual(string(cached), string(master.PublicKeyPEM())) {
		t.Error("cached master key differs")
	}

	// Structure of what the minion sent, compared with a Python minion's.
	seen := map[string]string{}
	drain := time.After(2 * time.Second)
collect:
	for seen["_minion_event"] == "" {
		select {
		case r := <-master.Requests():
			cmd, _ := r.Load.String("cmd")
			if _, ok := seen[cmd]; !ok && cmd != "" {
				seen[cmd] = keyList(r.Load)
				if cmd != "_auth" {
					seen[cmd+"/env"] = keyList(r.Envelope)
				}
			}
		case <-drain:
			break collect
		}
	}
	want := map[string]string{
		"_auth":             "[cmd id nonce enc_algo sig_algo pub]",
		"_pillar":           "[id grains saltenv pillarenv pillar_override extra_minion_data ver cmd nonce ts tok]",
		"_pillar/env":       "[enc load version id enc_algo sig_algo]",
		"_minion_event":     "[id cmd pretag tok data tag nonce ts]",
		"_minion_event/env": "[enc load version id enc_algo sig_algo]",
	}
	for k, v := range want {
		if seen[k] != v {
			t.Errorf("%s keys = %s, want %s", k, seen[k], v)
		}
	}
	var tags []string
	for len(tags) < 2 {
		select {
		case e := <-master.Events():
			tag, _ := e.String("tag")
			tags = append(tags, tag)
			if d, _ := e.String("data"); !strings.HasPrefix(d, "Minion m1 started at ") {
				t.Errorf("start event data %q", d)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("start events missing")
		}
	}
	if fmt.Sprint(tags) != "[minion_start salt/minion/m1/start]" {
		t.Errorf("start events %v", tags)
	}

	t.Run("test.ping", func(t *testing.T) {
		r := waitReturn(t, master, ping(t, master, "m1"), logs)
		if k := keyList(r); k != "[cmd id success return retcode jid fun fun_args user _stamp]" {
			t.Errorf("return keys %s", k)
		}
		if v, _ := r.Get("return"); v != true {
			t.Errorf("return %v", v)
		}
	})
	t.Run("test.arg kwargs", func(t *testing.T) {
		jid, _, _ := master.Publish(mastertest.Job{Tgt: "m1", Fun: "test.arg",
			Arg: []any{int64(1), "two", 3.5, data.M("__kwarg__", true, "kw1", true, "kw2", []any{int64(1), int64(2)})}})
		r := waitReturn(t, master, jid, logs)
		ret, _ := r.Get("return")
		b1, _ := payload.Encode(ret)
		b2, _ := payload.Encode(data.M("args", []any{int64(1), "two", 3.5}, "kwargs", data.M("kw1", true, "kw2", []any{int64(1), int64(2)})))
		if !bytes.Equal(b1, b2) {
			t.Errorf("test.arg returned %v", ret)
		}
		fa, _ := r.Get("fun_args")
		if l, _ := fa.([]any); len(l) != 4 {
			t.Errorf("fun_args %v", fa)
		}
	})
	t.Run("targeting", func(t *testing.T) {
		j1, _, _ := master.Publish(mastertest.Job{Tgt: "G@os:Debian and I@role:front* and m*", TgtType: "compound", Fun: "test.ping"})
		waitReturn(t, master, j1, logs)
		nm, _, _ := master.Publish(mastertest.Job{Tgt: "G@os:Ubuntu or other*", TgtType: "compound", Fun: "test.ping"})
		nm2, _, _ := master.Publish(mastertest.Job{Tgt: "other", Fun: "test.ping"})
		j2, _, _ := master.Publish(mastertest.Job{Tgt: []any{"x", "m1"}, TgtType: "list", Fun: "test.ping", Topic: "broadcast"})
		noReturnBefore(t, master, j2, logs, nm, nm2)
	})
	t.Run("bad publishes", func(t *testing.T) {
		master.PublishRaw(nil, "", []byte("garbage \xff\x00"))
		master.PublishRaw(nil, "", []byte{0x81, 0xa3, 'e', 'n', 'c', 0xa3, 'a', 'e', 's'}) // no load
		master.PublishRaw(nil, "", mustEncode(t, data.M("enc", "aes", "load", []byte("short"))))
		master.PublishRaw(nil, "", mustEncode(t, data.M("enc", "clear", "load", data.M("fun", "test.ping"))))
		// Signed by another key.
		other, err := crypt.GenerateKey(2048)
		if err != nil {
			t.Fatal(err)
		}
		forged := mastertest.PublishLoad(mastertest.Job{Tgt: "m1", Fun: "test.ping"})
		fjid, _ := forged.String("jid")
		env, _ := crypt.WrapPublish(other, master.AES(), forged, 1000, "")
		master.PublishRaw(nil, "", mustEncode(t, env))
		// Other minion's topic (zmq_filtering): dropped by the receiving rule.
		tjid, _, _ := master.Publish(mastertest.Job{Tgt: "*", Fun: "test.ping", Topic: "0000000000000000000000000000000000000000"})
		// Replay of a valid publish.
		jid, body, _ := master.Publish(mastertest.Job{Tgt: "m1", Fun: "test.ping"})
		waitReturn(t, master, jid, logs)
		master.PublishRaw(nil, "", body)
		marker := ping(t, master, "m1")
		noReturnBefore(t, master, marker, logs, fjid, tjid, jid)
		if logs.count("replayed or out-of-order") == 0 {
			t.Errorf("replay not logged:\n%s", logs)
		}
		if logs.count("signature verification failed") == 0 {
			t.Errorf("forged publish not logged")
		}
	})
	t.Run("find_job and concurrency", func(t *testing.T) {
		slow, _, _ := master.Publish(mastertest.Job{Tgt: "m1", Fun: "test.sleep", Arg: []any{int64(800)}})
		time.Sleep(150 * time.Millisecond)
		fj, _, _ := master.Publish(mastertest.Job{Tgt: "m1", Fun: "saltutil.find_job", Arg: []any{slow}})
		r := waitReturn(t, master, fj, logs) // answered while the slow job runs
		ret, _ := r.Get("return")
		if m, _ := ret.(*data.Map); m == nil || mapStr(m, "jid") != slow || !m.Has("pid") {
			t.Errorf("find_job returned %v", ret)
		}
		waitReturn(t, master, slow, logs)
		fail, _, _ := master.Publish(mastertest.Job{Tgt: "m1", Fun: "test.fail"})
		r = waitReturn(t, master, fail, logs)
		if rc, _ := r.Get("retcode"); rc != int64(1) || mapStr(r, "out") != "nested" {
			t.Errorf("failed job return %v", keyList(r))
		}
	})
	t.Run("master restart with AES rotation", func(t *testing.T) {
		if err := master.Restart(); err != nil {
			t.Fatal(err)
		}
		master.AwaitSubscribers(t, 1, 10*time.Second)
		r := waitReturn(t, master, ping(t, master, "m1"), logs)
		if v, _ := r.Get("return"); v != true {
			t.Errorf("return %v", v)
		}
		if logs.count("re-authenticating") == 0 {
			t.Errorf("no re-authentication logged")
		}
	})
	t.Run("returns survive a master outage", func(t *testing.T) {
		jid, _, _ := master.Publish(mastertest.Job{Tgt: "m1", Fun: "test.sleep", Arg: []any{int64(200)}})
		time.Sleep(50 * time.Millisecond)
		master.Close()
		time.Sleep(1500 * time.Millisecond) // the return fails and stays queued
		if err := master.Restart(); err != nil {
			t.Fatal(err)
		}
		waitReturn(t, master, jid, logs)
		// Delivered once: no second copy.
		marker := ping(t, master, "m1")
		noReturnBefore(t, master, marker, logs, jid)
		waitQueueEmpty(t, s)
	})
}

// waitQueueEmpty waits until the minion's on-disk return queue is empty
// (every queued return delivered and removed).
func waitQueueEmpty(t *testing.T, s Settings) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		ents, _ := os.ReadDir(filepath.Join(s.CacheDir, "saltgo", "returns"))
		if len(ents) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("return queue not empty: %v", ents)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func mustEncode(t *testing.T, v any) []byte {
	t.Helper()
	b, err := payload.Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPendingThenAcceptedGen2(t *testing.T) {
	master := newMaster(t, 2, false)
	logs := &logBuf{}
	s := settings(master, "m2", t.TempDir())
	ready := make(chan struct{})
	startMinion(t, s, logs, ready)
	deadline := time.Now().Add(10 * time.Second)
	for logs.count("has cached the public key for this node") < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("pending not logged:\n%s", logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := master.Accept("m2"); err != nil {
		t.Fatal(err)
	}
	waitReady(t, ready, logs)
	if !strings.Contains(logs.String(), "protocol_generation=2") {
		t.Errorf("generation 2 not detected:\n%s", logs)
	}
	waitReturn(t, master, ping(t, master, "m2"), logs)
}

func TestLegacyMaster(t *testing.T) {
	master := newMaster(t, 0, true)
	logs := &logBuf{}
	ready := make(chan struct{})
	startMinion(t, settings(master, "m0", t.TempDir()), logs, ready)
	waitReady(t, ready, logs)
	waitReturn(t, master, ping(t, master, "m0"), logs)
}

func TestRejectedKeyExits(t *testing.T) {
	master := newMaster(t, 3, false)
	pki := filepath.Join(master.PKIDirForTest(), crypt.MinionsRejectedDir, "m3")
	if err := os.WriteFile(pki, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	logs := &logBuf{}
	_, done := startMinion(t, settings(master, "m3", t.TempDir()), logs, nil)
	select {
	case err := <-done:
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Code != ExitNoPerm {
			t.Fatalf("Run returned %v", err)
		}
		done <- err // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("rejected minion did not exit")
	}
	if !strings.Contains(logs.String(), "has rejected this minion's public key") {
		t.Errorf("no clear message:\n%s", logs)
	}
}

func TestChangedMasterKeyRefusedWithoutTightLoop(t *testing.T) {
	first := newMaster(t, 3, true)
	dir := t.TempDir()
	logs := &logBuf{}
	ready := make(chan struct{})
	cancel, done := startMinion(t, settings(first, "m4", dir), logs, ready)
	waitReady(t, ready, logs)
	cancel()
	<-done
	done <- nil
	// Another master (another key) on other ports, same minion pki.
	second := newMaster(t, 3, true)
	logs2 := &logBuf{}
	s := settings(second, "m4", dir)
	cancel2, done2 := startMinion(t, s, logs2, nil)
	time.Sleep(1500 * time.Millisecond)
	cancel2()
	if err := <-done2; err != nil {
		t.Fatalf("Run: %v", err)
	}
	done2 <- nil
	n := logs2.count("The master key has changed")
	if n == 0 || n > 6 {
		t.Fatalf("changed master key logged %d times in 1.5 s:\n%s", n, logs2)
	}
}
