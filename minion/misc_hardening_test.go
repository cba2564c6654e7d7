package minion

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/internal/mastertest"
	"github.com/saltgo/saltgo/jid"
	"github.com/saltgo/saltgo/transport/crypt"
)

// waitRun waits for Run's result.
func waitRun(t *testing.T, done chan error, logs *logBuf) error {
	t.Helper()
	select {
	case err := <-done:
		done <- err // for the cleanup
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("Run did not return; logs:\n%s", logs)
		return nil
	}
}

func TestNewKeyPairLoggedWithFingerprint(t *testing.T) {
	master := newMaster(t, 3, true)
	dir := t.TempDir()
	logs := &logBuf{}
	ready := make(chan struct{})
	cancel, done := startMinion(t, settings(master, "k1", dir), logs, ready)
	waitReady(t, ready, logs)
	cancel()
	if err := waitRun(t, done, logs); err != nil {
		t.Fatal(err)
	}
	pub, err := os.ReadFile(filepath.Join(dir, "pki", crypt.MinionPubFile))
	if err != nil {
		t.Fatal(err)
	}
	finger, err := crypt.PemFinger(pub, "sha256")
	if err != nil {
		t.Fatal(err)
	}
	want := `level=INFO msg="generated a new minion key pair" minion=k1 pki_dir=` + filepath.Join(dir, "pki") + " fingerprint=" + finger + " hash_type=sha256"
	if !strings.Contains(logs.String(), want) {
		t.Errorf("no %q in:\n%s", want, logs)
	}
	// The second start loads the pair: nothing generated, nothing logged.
	logs2 := &logBuf{}
	ready2 := make(chan struct{})
	startMinion(t, settings(master, "k1", dir), logs2, ready2)
	waitReady(t, ready2, logs2)
	if strings.Contains(logs2.String(), "generated a new minion key pair") {
		t.Errorf("key pair generated again:\n%s", logs2)
	}
	waitReturn(t, master, ping(t, master, "k1"), logs2)
}

func TestDanglingMinionKeyRefused(t *testing.T) {
	master := newMaster(t, 3, true)
	dir := t.TempDir()
	pki := filepath.Join(dir, "pki")
	if err := os.MkdirAll(pki, 0o700); err != nil {
		t.Fatal(err)
	}
	pem := filepath.Join(pki, crypt.MinionPrivFile)
	if err := os.Symlink("/nonexistent/saltgo-test/minion.pem", pem); err != nil {
		t.Fatal(err)
	}
	logs := &logBuf{}
	_, done := startMinion(t, settings(master, "k2", dir), logs, nil)
	err := waitRun(t, done, logs)
	if err == nil || !strings.Contains(err.Error(), "dangling symlink") || !strings.Contains(err.Error(), pem) {
		t.Fatalf("Run returned %v, want a dangling symlink error naming %s", err, pem)
	}
	if _, err := os.Lstat(filepath.Join(pki, crypt.MinionPubFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a minion.pub was written: %v", err)
	}
	if fi, err := os.Lstat(pem); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the symlink was replaced: %v %v", fi, err)
	}
	if strings.Contains(logs.String(), "generated a new minion key pair") {
		t.Errorf("a key pair was generated:\n%s", logs)
	}
	// Restoring the key brings the same identity back.
	if err := os.Remove(pem); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	startMinion(t, settings(master, "k2", dir), logs, ready)
	waitReady(t, ready, logs)
	waitReturn(t, master, ping(t, master, "k2"), logs)
}

func TestSecondMinionOnSameCachedirRefused(t *testing.T) {
	master := newMaster(t, 3, true)
	dir := t.TempDir()
	logs := &logBuf{}
	ready := make(chan struct{})
	startMinion(t, settings(master, "first", dir), logs, ready)
	waitReady(t, ready, logs)

	s := settings(master, "second", t.TempDir())
	s.CacheDir = filepath.Join(dir, "cache")
	logs2 := &logBuf{}
	_, done := startMinion(t, s, logs2, nil)
	err := waitRun(t, done, logs2)
	want := "cachedir " + s.CacheDir + " is in use by another minion (pid " + strconv.Itoa(os.Getpid()) + ", id first"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("second minion: Run returned %v, want %q", err, want)
	}
	if strings.Contains(logs2.String(), "minion starting") {
		t.Errorf("second minion went on:\n%s", logs2)
	}
	waitReturn(t, master, ping(t, master, "first"), logs)
}

func TestPoisonReturnMovedAside(t *testing.T) {
	master := newMaster(t, 3, true)
	dir := t.TempDir()
	logs := &logBuf{}
	ready := make(chan struct{})
	startMinion(t, settings(master, "p1", dir), logs, ready)
	waitReady(t, ready, logs)
	// Ready means the subscription was sent; a publish before the master
	// reads it is lost (ZeroMQ), and the poison job must reach the minion.
	master.AwaitSubscribers(t, 1, 10*time.Second)
	poison := jid.New()
	master.SetRefuse(func(load *data.Map) bool {
		cmd, _ := load.String("cmd")
		j, _ := load.String("jid")
		return cmd == "_return" && j == poison
	})
	if _, _, err := master.Publish(mastertest.Job{Tgt: "p1", Fun: "test.echo", Arg: []any{"poison"}, JID: poison}); err != nil {
		t.Fatal(err)
	}
	waitLogWithin(t, logs, `msg="could not deliver a job return, will retry" minion=p1 jid=`+poison, 1, 10*time.Second)
	next := ping(t, master, "p1")
	noReturnBefore(t, master, next, logs, poison)
	want := `level=ERROR msg="the master refused a job return too many times, moving it aside so that the other returns flow" minion=p1 jid=` + poison + " tries=5"
	if n := logs.count(want); n != 1 {
		t.Errorf("%d lines %q in:\n%s", n, want, logs)
	}
	bad, _ := filepath.Glob(filepath.Join(dir, "cache", "saltgo", "returns", "*"+retSuffix+".bad"))
	if len(bad) != 1 {
		t.Errorf("moved-aside returns: %q", bad)
	}
	waitReturn(t, master, ping(t, master, "p1"), logs)
}

func TestUnreachableMasterWarnsAtOnce(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // nothing listens there now
	dir := t.TempDir()
	s := Settings{
		ID: "u1", Master: "127.0.0.1", MasterPort: port,
		PKIDir: filepath.Join(dir, "pki"), CacheDir: filepath.Join(dir, "cache"),
		// Salt's defaults: the sign-in error shows only after 7 tries of 5 s.
		AuthTimeout: 5 * time.Second, AuthTries: 7,
	}
	logs := &logBuf{}
	startMinion(t, s, logs, nil)
	want := `level=WARN msg="cannot reach the master, will keep trying" minion=u1 master=tcp://127.0.0.1:` + strconv.Itoa(port)
	waitLogWithin(t, logs, want, 1, 2*time.Second)
	time.Sleep(300 * time.Millisecond)
	if n := logs.count("cannot reach the master"); n != 1 {
		t.Errorf("unreachable master logged %d times:\n%s", n, logs)
	}
}

func TestUnreachableMasterWarnsAtOnceSaltCall(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	conf := filepath.Join(dir, "minion")
	text := "id: u2\nmaster: 127.0.0.1\nmaster_port: " + strconv.Itoa(port) + "\npki_dir: " + filepath.Join(dir, "pki") +
		"\ncachedir: " + filepath.Join(dir, "cache") + "\n"
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(context.Background(), config.Options{Role: config.Minion, ConfFile: conf,
		Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuf{}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	s, err := Connect(ctx, cfg, Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err == nil {
		s.Close()
		t.Fatal("signed in to nothing")
	}
	want := `level=WARN msg="cannot reach the master, will keep trying" minion=u2 master=tcp://127.0.0.1:` + strconv.Itoa(port)
	if !strings.Contains(logs.String(), want) {
		t.Fatalf("no %q within %s:\n%s", want, time.Since(start).Round(time.Millisecond), logs)
	}
	if !strings.Contains(logs.String(), `level=INFO msg="generated a new minion key pair" minion=u2`) {
		t.Errorf("salt-call's key generation not logged:\n%s", logs)
	}
}
