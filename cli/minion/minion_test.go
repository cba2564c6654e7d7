package minion_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saltgo/saltgo/cli/call"
	"github.com/saltgo/saltgo/cli/console"
	minioncli "github.com/saltgo/saltgo/cli/minion"
	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/internal/mastertest"
	"github.com/saltgo/saltgo/minion"
	_ "github.com/saltgo/saltgo/modules/all"
)

// calls counts the invocations of frontdoor.count, the one registry entry
// both front doors must reach.
var calls atomic.Int64

func init() {
	host.Register(&host.Module{Kind: host.Exec, Name: "frontdoor", Funcs: []*host.Func{{
		Name: "count", Params: []host.Param{host.Req("who")},
		Fn: func(_ context.Context, c *host.Call) (any, error) {
			return data.M("who", c.Get("who"), "n", calls.Add(1)), nil
		},
	}}})
}

// caller is salt-call as the saltgo binary wires it: signing in with the
// minion's keys.
var caller = call.Caller{Connect: func(ctx context.Context, cfg *config.Config, log_ *slog.Logger) (call.MasterSession, error) {
	return minion.Connect(ctx, cfg, minion.Options{Logger: log_})
}}

func TestMinionAndSaltCallShareOneImplementation(t *testing.T) {
	calls.Store(0)
	dir := t.TempDir()
	pillar := data.M("makina-states.services.cloud.lxc.targets.cn1.test", data.M("vm1.test", data.M("ip", "10.5.0.40")))
	m, err := mastertest.Start(mastertest.Config{PKIDir: filepath.Join(dir, "master-pki"), Gen: 3, AutoAccept: true,
		Pillar: func(string, *data.Map) *data.Map { return pillar }})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	conf := filepath.Join(dir, "conf")
	os.MkdirAll(conf, 0o755)
	cfgText := fmt.Sprintf("id: cn1.test\nmaster: 127.0.0.1\nmaster_port: %d\nroot_dir: %s\nmc_cloud_lxc.alloc_root: %s\nlog_level: warning\n",
		m.RetPort(), filepath.Join(dir, "root"), filepath.Join(dir, "alloc"))
	if err := os.WriteFile(filepath.Join(conf, "minion"), []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stop := startMinion(t, conf)
	defer stop()
	m.AwaitSubscribers(t, 1, 20*time.Second)
	time.Sleep(200 * time.Millisecond)

	// 1. A published job reaches frontdoor.count.
	jid, _, err := m.Publish(mastertest.Job{Tgt: "cn1.test", Fun: "frontdoor.count", Arg: []any{"minion"}})
	if err != nil {
		t.Fatal(err)
	}
	r := m.WaitReturn(t, jid, 20*time.Second, nil)
	ret, _ := r.Get("return")
	rm, ok := ret.(*data.Map)
	if !ok {
		t.Fatalf("return = %#v", ret)
	}
	if who, _ := rm.String("who"); who != "minion" {
		t.Fatalf("return = %v", rm)
	}

	// 2. A published test.arg with kwargs gets the args, kwargs and __pub_* data.
	jid, _, _ = m.Publish(mastertest.Job{Tgt: "cn1.test", Fun: "test.arg", Arg: []any{int64(1), "two", data.M("__kwarg__", true, "kw", true)}})
	r = m.WaitReturn(t, jid, 20*time.Second, nil)
	ret, _ = r.Get("return")
	kw, _ := data.Traverse(ret, "kwargs:__pub_jid", ":")
	if kw != jid {
		t.Fatalf("test.arg return lacks __pub_jid: %v", ret)
	}
	if rc, _ := r.Get("retcode"); rc != int64(0) {
		t.Fatalf("retcode %v", rc)
	}

	// 3. mc_cloud_lxc.get_settings_for_vm through the master's pillar.
	jid, _, _ = m.Publish(mastertest.Job{Tgt: "cn1.test", Fun: "mc_cloud_lxc.get_settings_for_vm", Arg: []any{"cn1.test", "vm1.test"}})
	r = m.WaitReturn(t, jid, 20*time.Second, nil)
	ret, _ = r.Get("return")
	if ip, _ := data.Traverse(ret, "ip", ":"); ip != "10.5.0.40" {
		t.Fatalf("get_settings_for_vm through the minion: %v", ret)
	}

	// 4. saltutil.find_job sees a running job; an unknown function fails cleanly.
	sleepJID, _, _ := m.Publish(mastertest.Job{Tgt: "cn1.test", Fun: "test.sleep", Arg: []any{int64(2)}})
	time.Sleep(300 * time.Millisecond)
	jid, _, _ = m.Publish(mastertest.Job{Tgt: "cn1.test", Fun: "saltutil.find_job", Arg: []any{sleepJID}})
	r = m.WaitReturn(t, jid, 20*time.Second, nil)
	ret, _ = r.Get("return")
	if f, _ := data.Traverse(ret, "fun", ":"); f != "test.sleep" {
		t.Fatalf("find_job = %v", ret)
	}
	jid, _, _ = m.Publish(mastertest.Job{Tgt: "cn1.test", Fun: "nosuch.fun"})
	r = m.WaitReturn(t, jid, 20*time.Second, nil)
	if ret, _ := r.Get("return"); ret != "'nosuch.fun' is not available." {
		t.Fatalf("missing function return = %v", ret)
	}
	if rc, _ := r.Get("retcode"); rc != int64(1) {
		t.Fatalf("missing function retcode = %v", rc)
	}

	// 5. salt-call in its default mode (pillar from the master, result sent
	// back with jid "req") reaches the same function.
	var out, errb bytes.Buffer
	code := caller.Main(context.Background(), "salt-call", []string{"-c", conf, "--out", "json", "frontdoor.count", "salt-call"}, console.IO{Stdout: &out, Stderr: &errb})
	if code != 0 || !strings.Contains(out.String(), `"who": "salt-call"`) {
		t.Fatalf("salt-call: code %d\n%s\n%s", code, out.String(), errb.String())
	}
	r = m.WaitReturn(t, "req", 20*time.Second, nil)
	if f, _ := r.String("fun"); f != "frontdoor.count" {
		t.Fatalf("salt-call return event = %v", r)
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("frontdoor.count ran %d times, want 2 (one per front door)", n)
	}
	// salt-call sees the master's pillar and the same allocation.
	out.Reset()
	code = caller.Main(context.Background(), "salt-call", []string{"-c", conf, "--out", "json", "mc_cloud_lxc.get_settings_for_vm", "cn1.test", "vm1.test"}, console.IO{Stdout: &out, Stderr: &errb})
	if code != 0 || !strings.Contains(out.String(), `"ip": "10.5.0.40"`) {
		t.Fatalf("salt-call get_settings_for_vm: code %d\n%s\n%s", code, out.String(), errb.String())
	}
}

type syncWriter struct {
	w io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) { return s.w.Write(p) }

// startMinion runs the salt-minion front door with config dir conf in a
// goroutine. stop cancels the returned context and checks that the minion
// exits 0 within 10 seconds.
func startMinion(t *testing.T, conf string) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var logs bytes.Buffer
	go func() {
		done <- minioncli.Main(ctx, "salt-minion", []string{"-c", conf}, io.Discard, &syncWriter{w: &logs})
	}()
	return ctx, func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("minion exit code %d; logs:\n%s", code, logs.String())
			}
		case <-time.After(10 * time.Second):
			t.Error("minion did not stop")
		}
	}
}

// TestRefreshGrainsThroughPublishedJob changes the minion's grains file
// while the minion runs: grains.items shows the change only after a
// published saltutil.refresh_grains.
func TestRefreshGrainsThroughPublishedJob(t *testing.T) {
	dir := t.TempDir()
	m, err := mastertest.Start(mastertest.Config{PKIDir: filepath.Join(dir, "master-pki"), Gen: 3, AutoAccept: true})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	conf := filepath.Join(dir, "conf")
	if err := os.MkdirAll(conf, 0o755); err != nil {
		t.Fatal(err)
	}
	cfgText := fmt.Sprintf("id: cn2.test\nmaster: 127.0.0.1\nmaster_port: %d\nroot_dir: %s\nlog_level: warning\n", m.RetPort(), filepath.Join(dir, "root"))
	if err := os.WriteFile(filepath.Join(conf, "minion"), []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	grainsFile := filepath.Join(conf, "grains")
	if err := os.WriteFile(grainsFile, []byte("roles: [before]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, stop := startMinion(t, conf)
	defer stop()
	wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
	defer wcancel()
	if err := m.WaitSubscribers(wctx, 1); err != nil {
		t.Fatalf("minion never subscribed: %v", err)
	}
	time.Sleep(200 * time.Millisecond)

	run := func(fun string) any {
		t.Helper()
		jid, _, err := m.Publish(mastertest.Job{Tgt: "cn2.test", Fun: fun})
		if err != nil {
			t.Fatal(err)
		}
		r := m.WaitReturn(t, jid, 20*time.Second, nil)
		if rc, _ := r.Get("retcode"); rc != int64(0) {
			t.Fatalf("%s: retcode %v, return %v", fun, rc, r)
		}
		ret, _ := r.Get("return")
		return ret
	}
	roles := func() any {
		t.Helper()
		v, _ := data.Traverse(run("grains.items"), "roles", ":")
		return v
	}
	if got := roles(); !reflect.DeepEqual(got, []any{"before"}) {
		t.Fatalf("roles at start = %#v, want [before]", got)
	}
	if err := os.WriteFile(grainsFile, []byte("roles: [after]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := roles(); !reflect.DeepEqual(got, []any{"before"}) {
		t.Fatalf("roles before the refresh = %#v, want [before] (grains are collected, not read per job)", got)
	}
	if ret := run("saltutil.refresh_grains"); ret != true {
		t.Fatalf("saltutil.refresh_grains = %#v, want True", ret)
	}
	if got := roles(); !reflect.DeepEqual(got, []any{"after"}) {
		t.Fatalf("roles after saltutil.refresh_grains = %#v, want [after]", got)
	}
	// The refreshed grains also drive targeting.
	jid, _, err := m.Publish(mastertest.Job{Tgt: "roles:after", TgtType: "grain", Fun: "test.ping"})
	if err != nil {
		t.Fatal(err)
	}
	if ret, _ := m.WaitReturn(t, jid, 20*time.Second, nil).Get("return"); ret != true {
		t.Fatalf("test.ping targeted by the new grain = %v", ret)
	}
}
