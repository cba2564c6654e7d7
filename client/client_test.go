package client_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/saltgo/saltgo/client"
	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/internal/mastertest"
)

func newClient(t *testing.T, m *mastertest.Server) *client.Client {
	t.Helper()
	cfg, err := config.Load(context.Background(), config.Options{Role: config.Master, ConfigDir: m.ConfDir})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.Timeout = 300 * time.Millisecond
	c.GatherJobTimeout = 300 * time.Millisecond
	c.Connected = func() (map[string]bool, error) { return nil, nil }
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestNewFromConfig(t *testing.T) {
	m := mastertest.StartFake(t, nil, "")
	c := newClient(t, m)
	if !strings.HasPrefix(c.Endpoint, "tcp://127.0.0.1:") || c.Endpoint != m.Rep.Endpoint() {
		t.Errorf("endpoint %q, want %q", c.Endpoint, m.Rep.Endpoint())
	}
	if c.KeyFile != filepath.Join(m.CacheDir, ".root_key") {
		t.Errorf("key file %q", c.KeyFile)
	}
	if c.Bus.Address != filepath.Join(m.SockDir, "master_event_pub.ipc") || c.Bus.Network != "unix" {
		t.Errorf("bus %+v", c.Bus)
	}
}

func TestMastersaltDefaults(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "master"), []byte("cachedir: /nonexistent/cache\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(context.Background(), config.Options{Flavour: config.FlavourFromArgv0("mastersalt-run"), Role: config.Master, ConfigDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c.Endpoint != "tcp://127.0.0.1:4606" {
		t.Errorf("mastersalt endpoint %q", c.Endpoint)
	}
	if c.Bus.Address != "/var/run/mastersalt/master/master_event_pub.ipc" {
		t.Errorf("mastersalt bus %q", c.Bus.Address)
	}
	// A missing key file is a clear error.
	_, err = c.Cmd(ctxT(t), "*", "test.ping", nil)
	if err == nil || !strings.Contains(err.Error(), "must run on the master host as root") {
		t.Errorf("missing key: %v", err)
	}
}

func TestCmdAllReturn(t *testing.T) {
	m := mastertest.StartFake(t, map[string]mastertest.FakeMinion{"m1": {}, "m2": {}}, "")
	c := newClient(t, m)
	start := time.Now()
	rets, err := c.Cmd(ctxT(t), "*", "test.ping", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rets) != 2 || rets["m1"].Ret != true || rets["m2"].Ret != true {
		t.Fatalf("returns %+v", rets)
	}
	if time.Since(start) > 250*time.Millisecond {
		t.Errorf("waited %v although every minion returned", time.Since(start))
	}
	loads := m.Loads()
	l := loads[0]
	keys := []string{}
	for _, k := range l.Keys() {
		keys = append(keys, k.(string))
	}
	if got := strings.Join(keys, ","); got != "cmd,tgt,fun,arg,key,tgt_type,ret,jid,user" {
		t.Errorf("publish load keys %s", got)
	}
}

func TestCmdArgsPacking(t *testing.T) {
	var got []any
	m := mastertest.StartFake(t, map[string]mastertest.FakeMinion{"m1": {Answer: func(fun string, args []any) (any, time.Duration, bool) {
		got = args
		return "ok", 0, true
	}}}, "")
	c := newClient(t, m)
	_, err := c.Cmd(ctxT(t), "m1", "test.arg", []any{int64(1), "two"}, client.WithKwargs(data.M("kw", int64(2))))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("args %v", got)
	}
	kw, _ := got[2].(*data.Map)
	if v, _ := kw.Get("__kwarg__"); v != true {
		t.Errorf("kwargs map %v", got[2])
	}
}

func TestCmdSilentMinion(t *testing.T) {
	ghost := mastertest.FakeMinion{Answer: func(string, []any) (any, time.Duration, bool) { return nil, 0, false }}
	m := mastertest.StartFake(t, map[string]mastertest.FakeMinion{"golden": {}, "ghost": ghost}, "")
	c := newClient(t, m)
	start := time.Now()
	rets, err := c.Cmd(ctxT(t), "*", "test.ping", nil, client.WithExpectMinions())
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	if el < 600*time.Millisecond || el > 3*time.Second {
		t.Errorf("waited %v, want timeout + gather_job_timeout (600ms)", el)
	}
	g := rets["ghost"]
	if !g.Failed || g.Retcode != 1 || g.Out != "no_return" {
		t.Fatalf("ghost %+v", g)
	}
	want := "Minion did not return. [No response]\nThe minions may not have all finished running and any remaining minions will return upon completion. To look up the return data for this job later, run the following command:\n\nsalt-run jobs.lookup_jid " + g.JID
	if g.Ret != want {
		t.Errorf("ghost text %q", g.Ret)
	}
	if rets["golden"].Ret != true {
		t.Errorf("golden %+v", rets["golden"])
	}
	// find_job went to the silent minion only, as a list target.
	var fj *data.Map
	for _, l := range m.Loads() {
		if f, _ := l.String("fun"); f == "saltutil.find_job" {
			fj = l
		}
	}
	if fj == nil {
		t.Fatal("no saltutil.find_job publish")
	}
	if tt, _ := fj.String("tgt_type"); tt != "list" {
		t.Errorf("find_job tgt_type %q", tt)
	}
	if tgt, _ := fj.Get("tgt"); len(tgt.([]any)) != 1 || tgt.([]any)[0] != "ghost" {
		t.Errorf("find_job tgt %v", tgt)
	}
	// Without WithExpectMinions the silent minion is left out.
	rets, err = c.Cmd(ctxT(t), "*", "test.ping", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rets["ghost"]; ok || len(rets) != 1 {
		t.Errorf("returns %v", rets)
	}
}

func TestCmdNotConnected(t *testing.T) {
	ghost := mastertest.FakeMinion{Answer: func(string, []any) (any, time.Duration, bool) { return nil, 0, false }}
	m := mastertest.StartFake(t, map[string]mastertest.FakeMinion{"golden": {}, "ghost": ghost}, "")
	c := newClient(t, m)
	c.Connected = func() (map[string]bool, error) { return map[string]bool{"golden": true}, nil }
	if err := os.MkdirAll(filepath.Join(m.CacheDir, "minions", "ghost"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(m.CacheDir, "minions", "ghost", "data.p"), []byte{0x80}, 0o644); err != nil {
		t.Fatal(err)
	}
	rets, err := c.Cmd(ctxT(t), "*", "test.ping", nil, client.WithExpectMinions())
	if err != nil {
		t.Fatal(err)
	}
	if rets["ghost"].Ret != client.NotConnectedText {
		t.Errorf("ghost %q", rets["ghost"].Ret)
	}
}

func TestCmdStillRunning(t *testing.T) {
	// The minion answers after 900 ms; find_job says it is running, so the
	// wait goes beyond timeout + gather_job_timeout (600 ms).
	slow := mastertest.FakeMinion{Answer: func(fun string, args []any) (any, time.Duration, bool) {
		if fun == "saltutil.find_job" {
			return data.M("jid", args[0], "fun", "test.sleep"), 10 * time.Millisecond, true
		}
		return "slept", 900 * time.Millisecond, true
	}}
	m := mastertest.StartFake(t, map[string]mastertest.FakeMinion{"slow": slow}, "")
	c := newClient(t, m)
	rets, err := c.Cmd(ctxT(t), "slow", "test.sleep", []any{int64(1)}, client.WithExpectMinions())
	if err != nil {
		t.Fatal(err)
	}
	if r := rets["slow"]; r.Failed || r.Ret != "slept" {
		t.Errorf("slow %+v", r)
	}
}

func TestPublishErrors(t *testing.T) {
	tests := []struct {
		name  string
		reply any
		check func(error) bool
	}{
		{"auth", data.M("error", data.M("name", "AuthenticationError", "message", "nope")), func(err error) bool {
			var me *client.MasterError
			return errors.As(err, &me) && me.Name == "AuthenticationError"
		}},
		{"empty-reply", data.NewMap(), func(err error) bool { return errors.Is(err, client.ErrAuthFailed) }},
		{"bad-load", "bad load", func(err error) bool { return err != nil && strings.Contains(err.Error(), "refused") }},
		{"no-minions", data.M("enc", "clear", "load", data.M("jid", nil, "minions", []any{})), func(err error) bool { return errors.Is(err, client.ErrNoMinions) }},
		{"garbage-load", data.M("enc", "clear", "load", int64(3)), func(err error) bool { return err != nil }},
		{"int-reply", int64(7), func(err error) bool { return err != nil }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mastertest.StartFake(t, map[string]mastertest.FakeMinion{"m1": {}}, "")
			m.SetHandler(func(*data.Map) (any, bool) { return tc.reply, true })
			c := newClient(t, m)
			_, err := c.Cmd(ctxT(t), "*", "test.ping", nil)
			if !tc.check(err) {
				t.Errorf("error %v", err)
			}
		})
	}
}

func TestKeyRereadOnEmptyReply(t *testing.T) {
	m := mastertest.StartFake(t, map[string]mastertest.FakeMinion{"m1": {}}, "")
	c := newClient(t, m)
	if _, err := c.Cmd(ctxT(t), "*", "test.ping", nil); err != nil {
		t.Fatal(err)
	}
	// The master restarted with a new key: the first reply is empty.
	if err := os.WriteFile(c.KeyFile, []byte("new-key"), 0o600); err != nil {
		t.Fatal(err)
	}
	m.SetHandler(func(l *data.Map) (any, bool) {
		if k, _ := l.String("key"); k != "new-key" {
			return data.NewMap(), true
		}
		l.Set("key", mastertest.RootKey)
		return nil, false
	})
	if _, err := c.Cmd(ctxT(t), "*", "test.ping", nil); err != nil {
		t.Fatalf("after key change: %v", err)
	}
}

func TestMasterDown(t *testing.T) {
	m := mastertest.StartFake(t, nil, "")
	c := newClient(t, m)
	m.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err := c.Cmd(ctx, "*", "test.ping", nil)
	if err == nil || !strings.Contains(err.Error(), "master") {
		t.Errorf("error %v", err)
	}
}

func TestWheel(t *testing.T) {
	m := mastertest.StartFake(t, map[string]mastertest.FakeMinion{"a": {}, "b": {}}, "")
	c := newClient(t, m)
	d, err := c.Wheel(ctxT(t), "key.list_all", nil)
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := d.Get("success"); ok != true {
		t.Fatalf("wheel failed: %v", d)
	}
	ret, _ := d.Get("return")
	mins, _ := ret.(*data.Map).Get("minions")
	if len(mins.([]any)) != 2 {
		t.Errorf("minions %v", mins)
	}
	if _, err := c.Wheel(ctxT(t), "key.delete", data.M("match", "a")); err != nil {
		t.Fatal(err)
	}
	l := m.Loads()[len(m.Loads())-1]
	if v, _ := l.String("match"); v != "a" {
		t.Errorf("kwargs not at top level: %v", l.Keys())
	}
	if got := m.IDs(); len(got) != 1 || got[0] != "b" {
		t.Errorf("keys after delete %v", got)
	}
}
