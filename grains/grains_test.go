package grains

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/internal/golden"
	"github.com/saltgo/saltgo/transport/wiretest"
)

// fixedSystem is the System of the recorded Salt 3007.14 minion (see
// testdata/salt-wire/3007.14/conversation.json, message #2).
type fixedSystem struct{ env map[string]string }

func (fixedSystem) Uname() (Uname, error) {
	return Uname{"Linux", "vm", "6.18.44-fc-v657", "#1 SMP PREEMPT_DYNAMIC @0", "x86_64"}, nil
}
func (fixedSystem) Hostname() (string, error) { return "vm", nil }
func (fixedSystem) Interfaces() ([]Interface, error) {
	a := netip.MustParseAddr
	return []Interface{
		{Name: "lo", HWAddr: "00:00:00:00:00:00", Addrs: []IfAddr{{Addr: a("127.0.0.1")}, {Addr: a("::1")}}},
		{Name: "ifb0", HWAddr: "92:3d:21:4e:4b:2f"},
		{Name: "ifb1", HWAddr: "12:92:eb:ef:6c:b7"},
		{Name: "eth0", HWAddr: "02:fc:00:00:00:01", Addrs: []IfAddr{{Addr: a("192.0.2.2")}, {Addr: a("fd00::2")}, {Addr: a("fe80::fc:ff:fe00:1")}}},
	}, nil
}
func (fixedSystem) Process() Process         { return Process{PID: 668, UID: 0, GID: 0} }
func (s fixedSystem) Getenv(k string) string { return s.env[k] }
func (fixedSystem) TZName() string           { return "UTC" }
func (fixedSystem) LookupIP(context.Context, string, string) ([]netip.Addr, error) {
	return nil, errors.New("no DNS in tests")
}

func fixtureOpts() Options {
	return Options{
		Root:          "testdata/root",
		System:        fixedSystem{env: map[string]string{"LANG": "C.UTF-8", "SHELL": "/bin/bash", "PATH": "/usr/bin:/bin"}},
		ID:            "cn1.test",
		Master:        "127.0.0.1",
		SaltgoVersion: "0.0.0-test",
		Logger:        discardLogger(),
	}
}

func recordedGrains(t *testing.T) *data.Map {
	t.Helper()
	conv := wiretest.Load(t, "3007.14", "conversation.json")
	v, err := wiretest.View(conv.Messages[2].Field("plaintext", "load", "grains"))
	if err != nil {
		t.Fatal(err)
	}
	g, ok := v.(*data.Map)
	if !ok {
		t.Fatalf("no grains in message #2: %T", v)
	}
	return g
}

func TestGoldenGrains(t *testing.T) {
	res, err := Collect(context.Background(), fixtureOpts())
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range res.Timings {
		if tm.Err != nil {
			t.Errorf("collector %s: %v", tm.Name, tm.Err)
		}
	}
	golden.JSON(t, "testdata/golden/grains.json", res.Grains)
}

// TestMatchesRecordedSalt checks every grain saltgo and the real Salt
// 3007.14 minion both report: same value, same type, same relative order.
func TestMatchesRecordedSalt(t *testing.T) {
	rec := recordedGrains(t)
	opts := fixtureOpts()
	opts.Blacklist = []string{"cwd", "path", "systempath", "pythonexecutable", "pythonpath", "saltpath", "shell", "kernelparams"}
	res, err := Collect(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	var ourOrder, recOrder []string
	res.Grains.Range(func(k, v any) bool {
		ks := k.(string)
		rv, ok := rec.Get(ks)
		if !ok {
			if ks != "saltgo" && ks != "efi" && ks != "efi-secure-boot" {
				t.Logf("grain %s not reported by the recorded minion", ks)
			}
			return true
		}
		ourOrder = append(ourOrder, ks)
		if !data.Equal(data.Deep(v), rv) || fmt.Sprintf("%T", v) != fmt.Sprintf("%T", rv) {
			t.Errorf("grain %s = %#v (%T), Salt reported %#v (%T)", ks, v, v, rv, rv)
		}
		return true
	})
	var missing []string
	rec.Range(func(k, _ any) bool {
		if res.Grains.Has(k) {
			recOrder = append(recOrder, k.(string))
		} else {
			missing = append(missing, k.(string))
		}
		return true
	})
	t.Logf("recorded grains saltgo does not produce: %v", missing)
	if strings.Join(ourOrder, ",") != strings.Join(recOrder, ",") {
		t.Errorf("key order differs:\nours: %v\nsalt: %v", ourOrder, recOrder)
	}
	if shell, ok := res.Grains.Get("shell"); ok {
		t.Errorf("blacklisted shell grain present: %v", shell)
	}
}

func TestServerID(t *testing.T) {
	if got := ServerID("cn1.test"); got != 274926164 {
		t.Errorf("ServerID = %d, want 274926164", got)
	}
}

var registerTestCollectors sync.Once

func TestCollectorIsolation(t *testing.T) {
	registerTestCollectors.Do(func() {
		Register("zz_test.panics", false, func(context.Context, *Env) (*data.Map, error) { panic("boom") })
		Register("zz_test.fails", false, func(context.Context, *Env) (*data.Map, error) { return nil, errors.New("nope") })
		Register("zz_test.ok", false, func(context.Context, *Env) (*data.Map, error) { return data.M("zz_ok", true), nil })
	})
	opts := fixtureOpts()
	opts.Enabled = map[string]bool{"zz_test.panics": true, "zz_test.fails": true, "zz_test.ok": true, "core.os_data": false}
	res, err := Collect(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	errs := map[string]error{}
	for _, tm := range res.Timings {
		errs[tm.Name] = tm.Err
		if tm.Name == "core.os_data" {
			t.Error("disabled collector ran")
		}
	}
	if errs["zz_test.panics"] == nil || !strings.Contains(errs["zz_test.panics"].Error(), "boom") || errs["zz_test.fails"] == nil {
		t.Errorf("errors not reported: %v", errs)
	}
	if v, _ := res.Grains.Get("zz_ok"); v != true || !res.Grains.Has("id") || res.Grains.Has("os") {
		t.Errorf("grains = %v", res.Grains.Keys())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Collect(ctx, opts); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled collect: %v", err)
	}
}

func TestStaticGrainsAndBlacklist(t *testing.T) {
	dir := t.TempDir()
	gf := filepath.Join(dir, "grains")
	os.WriteFile(gf, []byte("roles: [web]\nos: FromFile\nsecret_x: 1\n"), 0o644)
	opts := fixtureOpts()
	opts.GrainsFile = gf
	opts.ConfigGrains = data.M("os", "FromConfig", "secret_y", 2)
	opts.Blacklist = []string{"secret_*", "ip[46]_interfaces", "^kernel.*$"}
	res, err := Collect(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	g := res.Grains
	if v, _ := g.Get("os"); v != "FromConfig" {
		t.Errorf("os = %v (the grains option wins)", v)
	}
	if v, _ := g.Get("roles"); !data.Equal(v, []any{"web"}) {
		t.Errorf("roles = %v", v)
	}
	for _, k := range []string{"secret_x", "ip4_interfaces", "ip6_interfaces", "kernel", "kernelrelease"} {
		if g.Has(k) {
			t.Errorf("%s not blacklisted", k)
		}
	}
	if !g.Has("secret_y") || !g.Has("ip_interfaces") {
		t.Error("the grains option is not blacklisted; ip_interfaces does not match")
	}
	// A broken grains file is skipped, never fatal.
	os.WriteFile(gf, []byte("roles: [web\n"), 0o644)
	res, err = Collect(context.Background(), opts)
	if err != nil || !res.Grains.Has("os") {
		t.Fatalf("bad grains file broke Collect: %v", err)
	}
}

func TestStore(t *testing.T) {
	dir := t.TempDir()
	gf := filepath.Join(dir, "grains")
	os.WriteFile(gf, []byte("existing: 1\n"), 0o600)
	s := &Store{Path: gf, Grains: data.M("os", "Debian", "existing", int64(1))}

	ret, err := s.SetVal("roles", []any{"web"}, false)
	if err != nil || !data.Equal(ret, data.M("roles", []any{"web"})) {
		t.Fatalf("setval = %v, %v", ret, err)
	}
	r2, _ := s.Append("roles", "db", false, ":")
	if !data.Equal(r2, data.M("roles", []any{"web", "db"})) {
		t.Errorf("append = %v", r2)
	}
	if r, _ := s.Append("roles", "db", false, ":"); r != "The val db was already in the list roles" {
		t.Errorf("append dup = %v", r)
	}
	if r, _ := s.Append("os", "x", false, ":"); r != "The key os is not a valid list" {
		t.Errorf("append non-list = %v", r)
	}
	if r, _ := s.SetVals(data.M("yesstr", "yes", "n", int64(10), "sexa", "1:20", "nested", data.M("b", 1, "a", nil)), false); r == nil {
		t.Fatal("setvals")
	}
	r3, _ := s.Set("nested:c", "v", false, false, ":")
	if res, _ := r3.Get("result"); res != true {
		t.Errorf("set nested = %v", r3)
	}
	r4, _ := s.DelVal("existing", false, false)
	if ch, _ := r4.Get("changes"); !data.Equal(ch, data.M("existing", nil)) {
		t.Errorf("delval = %v", r4)
	}
	s.DelKey("n", false)
	b, _ := os.ReadFile(gf)
	want := "existing: null\nnested:\n  a: null\n  b: 1\n  c: v\nroles:\n- web\n- db\nsexa: \"1:20\"\nyesstr: \"yes\"\n"
	if string(b) != want {
		t.Errorf("grains file:\n%s\nwant:\n%s", b, want)
	}
	if st, _ := os.Stat(gf); st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want preserved 0600", st.Mode())
	}
	// What was written reads back identically with Salt's YAML rules.
	back, err := ReadGrainsFile(gf)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := back.Get("yesstr"); v != "yes" {
		t.Errorf("yesstr read back as %#v", v)
	}
	if v, _ := back.Get("sexa"); v != "1:20" {
		t.Errorf("sexa read back as %#v", v)
	}
	if g, _ := s.Grains.Get("roles"); !data.Equal(g, []any{"web", "db"}) || s.Grains.Has("n") {
		t.Errorf("in-memory grains not updated: %v", s.Grains.Keys())
	}
	// A corrupt file is reported, never overwritten.
	os.WriteFile(gf, []byte("a: [\n"), 0o644)
	if _, err := s.SetVal("x", 1, false); err == nil {
		t.Error("corrupt grains file accepted")
	}
	if b, _ := os.ReadFile(gf); string(b) != "a: [\n" {
		t.Error("corrupt grains file overwritten")
	}
}

func TestLiveCollect(t *testing.T) {
	res, err := Collect(context.Background(), Options{ID: "live", Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range res.Timings {
		if tm.Err != nil {
			t.Errorf("collector %s failed on this host: %v", tm.Name, tm.Err)
		}
	}
	for _, k := range []string{"kernel", "os", "num_cpus", "mem_total", "ipv4", "hwaddr_interfaces", "pid"} {
		if !res.Grains.Has(k) {
			t.Errorf("live grains lack %s", k)
		}
	}
	if v, _ := res.Grains.Get("kernel"); v != "Linux" {
		t.Errorf("kernel = %v", v)
	}
}

func BenchmarkCollectLive(b *testing.B) {
	opts := Options{ID: "bench", Logger: discardLogger()}
	for i := 0; i < b.N; i++ {
		if _, err := Collect(context.Background(), opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCollectFixture(b *testing.B) {
	opts := fixtureOpts()
	for i := 0; i < b.N; i++ {
		if _, err := Collect(context.Background(), opts); err != nil {
			b.Fatal(err)
		}
	}
}

func TestOptionsFromConfig(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "minion"), []byte("id: m1\nmaster: [a, b]\ngrains: {role: x}\ngrains_blacklist: [shell]\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "grains"), []byte("fromfile: 1\n"), 0o644)
	c, err := config.Load(context.Background(), config.Options{ConfigDir: dir, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	o := OptionsFromConfig(c, "1.2.3")
	o.Root, o.System, o.Logger = "testdata/root", fixtureOpts().System, discardLogger()
	res, err := Collect(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	g := res.Grains
	for k, want := range map[string]any{"id": "m1", "role": "x", "fromfile": int64(1), "master": []any{"a", "b"}} {
		if v, _ := g.Get(k); !data.Equal(v, want) {
			t.Errorf("%s = %v, want %v", k, v, want)
		}
	}
	if g.Has("shell") {
		t.Error("shell not blacklisted")
	}
}

// TestStorePythonValues checks that the store's messages print values as
// Python's str() does, compares them with Python's ==, and writes floats
// as PyYAML does (so Salt reads them back as the same floats).
func TestStorePythonValues(t *testing.T) {
	gf := filepath.Join(t.TempDir(), "grains")
	s := &Store{Path: gf, Grains: data.M("roles", []any{int64(1), "web"})}
	if r, _ := s.Append("roles", true, false, ":"); r != "The val True was already in the list roles" {
		t.Errorf("append True to [1, 'web'] = %v", r)
	}
	if r, _ := s.Remove("roles", 2.5, ":"); r != "The val 2.5 was not in the list roles" {
		t.Errorf("remove 2.5 = %v", r)
	}
	if r, _ := s.Remove("roles", nil, ":"); r != "The val None was not in the list roles" {
		t.Errorf("remove None = %v", r)
	}
	if _, err := s.SetVals(data.M("ratio", 1234567.5, "big", 1e16, "one", 1.0), false); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(gf)
	want := "big: 1.0e+16\none: 1.0\nratio: 1234567.5\n"
	if string(b) != want {
		t.Errorf("grains file:\n%s\nwant:\n%s", b, want)
	}
	back, err := ReadGrainsFile(gf)
	if err != nil {
		t.Fatal(err)
	}
	for k, f := range map[string]float64{"big": 1e16, "one": 1.0, "ratio": 1234567.5} {
		if v, _ := back.Get(k); v != f {
			t.Errorf("%s read back as %#v, want %v", k, v, f)
		}
	}
}
