package lxc

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/lxc/liblxc"
	"github.com/saltgo/saltgo/lxc/lxctest"
	"github.com/saltgo/saltgo/lxc/provision"
)

func TestMain(m *testing.M) { lxctest.Main(m) }

// caller runs lxc.* functions the way a minion runs a job.
type caller struct {
	t   *testing.T
	ctx context.Context
	env *host.Env
}

func (c *caller) exec(fun string, args ...any) host.Result {
	c.t.Helper()
	if args == nil {
		args = []any{}
	}
	return host.Execute(c.ctx, c.env, host.Exec, fun, args, nil)
}

// ok runs fun and fails the test unless it succeeded.
func (c *caller) ok(fun string, args ...any) any {
	c.t.Helper()
	r := c.exec(fun, args...)
	if !r.Success {
		c.t.Fatalf("%s %v: %v", fun, args, r.Return)
	}
	return r.Return
}

// fails runs fun and checks that it failed with text in its return.
func (c *caller) fails(fun, text string, args ...any) {
	c.t.Helper()
	r := c.exec(fun, args...)
	s, _ := r.Return.(string)
	if m, ok := r.Return.(*data.Map); ok {
		// State-like returns fail with result False and a comment.
		s, _ = m.String("comment")
	}
	if r.Success || r.Retcode != 1 || !strings.Contains(s, text) {
		c.t.Fatalf("%s %v: want a failure with %q, got %v (retcode %d)", fun, args, text, r.Return, r.Retcode)
	}
}

func stateOf(t *testing.T, v any) (old, new any) {
	t.Helper()
	m, ok := v.(*data.Map)
	if !ok {
		t.Fatalf("not a dict: %v", v)
	}
	if r, _ := m.Get("result"); r != true {
		t.Fatalf("result: %v", m)
	}
	sv, _ := m.Get("state")
	sm := sv.(*data.Map)
	old, _ = sm.Get("old")
	new, _ = sm.Get("new")
	return old, new
}

func newCaller(t *testing.T) (*caller, *liblxc.Client) {
	lxctest.Require(t)
	ns := lxctest.NewNetns(t, "lxcbr1", "10.5.0.1", 16)
	c := lxctest.Client(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	env := &host.Env{ID: "cn1.test", Opts: data.NewMap(), Grains: data.NewMap(), Pillar: data.NewMap(), Local: true}
	ClientService.Set(env, c)
	return &caller{t: t, ctx: ctx, env: env}, c
}

func TestRegisteredModuleLifecycle(t *testing.T) {
	t.Parallel()
	x, _ := newCaller(t)
	if _, _, err := host.Lookup(host.Exec, "lxc.list"); err != nil {
		t.Fatalf("lxc module unavailable: %v", err)
	}
	name := lxctest.Unique("mod")
	if o, n := stateOf(t, x.ok("lxc.create", name, "template=busybox")); o != nil || n != "stopped" {
		t.Fatalf("create: %v -> %v", o, n)
	}
	x.fails("lxc.create", "Container '"+name+"' already exists", name, "template=busybox")
	x.fails("lxc.create", "Passed invalid arguments", "../etc", "template=busybox")
	x.fails("lxc.info", "Container 'nosuchct' does not exist", "nosuchct")
	if v := x.ok("lxc.exists", name); v != true {
		t.Fatalf("exists: %v", v)
	}
	if v := x.ok("lxc.exists", "nosuchct"); v != false {
		t.Fatalf("exists nosuchct: %v", v)
	}
	if v := x.ok("lxc.state", "nosuchct"); v != nil {
		t.Fatalf("state of a missing container: %v", v)
	}
	// lxc.* parameters edit the configuration (the network for start).
	for _, kv := range [][2]string{{"lxc.net.0.type", "veth"}, {"lxc.net.0.link", "lxcbr1"}, {"lxc.net.0.flags", "up"}} {
		if v := x.ok("lxc.set_parameter", name, kv[0], kv[1]); v != true {
			t.Fatalf("set_parameter %s: %v", kv[0], v)
		}
	}
	if v := x.ok("lxc.get_parameter", name, "lxc.net.0.link"); v != "lxcbr1" {
		t.Fatalf("get_parameter: %v", v)
	}
	if v := x.ok("lxc.set_parameter", "nosuchct", "lxc.net.0.link", "x"); v != nil {
		t.Fatalf("set_parameter on a missing container: %v", v)
	}
	// run on a stopped container starts it and, preserve_state, stops it again.
	if v := x.ok("lxc.run", name, "echo hi; echo err >&2"); v != "hi\nerr" {
		t.Fatalf("run: %q", v)
	}
	if v := x.ok("lxc.state", name); v != "stopped" {
		t.Fatalf("state after run with preserve_state: %v", v)
	}
	x.fails("lxc.run", "is not running", name, "true", "no_start=True")

	steps := []struct {
		fun      string
		args     []any
		old, new string
	}{
		{"lxc.start", nil, "stopped", "running"},
		{"lxc.freeze", nil, "running", "frozen"},
		{"lxc.unfreeze", nil, "frozen", "running"},
		{"lxc.restart", []any{"force=True"}, "running", "running"},
		{"lxc.stop", []any{"kill=True"}, "running", "stopped"},
		{"lxc.freeze", []any{"start=True"}, "stopped", "frozen"},
		{"lxc.unfreeze", nil, "frozen", "running"},
	}
	for _, st := range steps {
		o, n := stateOf(t, x.ok(st.fun, append([]any{name}, st.args...)...))
		if o != st.old || n != st.new {
			t.Fatalf("%s: %v -> %v, want %s -> %s", st.fun, o, n, st.old, st.new)
		}
	}
	x.fails("lxc.freeze", "does not exist", lxctest.Unique("nx"))
	// cgroup parameters (Salt's lxc-cgroup semantics) on the running container.
	key := "memory.limit_in_bytes"
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		key = "memory.max"
	}
	if v := x.ok("lxc.set_parameter", name, key, "268435456"); v != true {
		t.Fatalf("set_parameter %s: %v", key, v)
	}
	if v := x.ok("lxc.get_parameter", name, key); v != "268435456" {
		t.Fatalf("get_parameter %s: %v", key, v)
	}
	l := x.ok("lxc.list").(*data.Map)
	if r, _ := l.Get("running"); !reflect.DeepEqual(r, []any{name}) {
		t.Fatalf("list: %v", l)
	}
	if v := x.ok("lxc.list", "limit=running"); !reflect.DeepEqual(v, []any{name}) {
		t.Fatalf("list limit=running: %v", v)
	}
	ext := x.ok("lxc.list", "extra=True").(*data.Map)
	if r, _ := ext.Get("running"); !r.(*data.Map).Has(name) {
		t.Fatalf("list extra: %v", ext)
	}
	if v := x.ok("lxc.ls", "active=True"); !reflect.DeepEqual(v, []any{name}) {
		t.Fatalf("ls active: %v", v)
	}
	in := x.ok("lxc.info", name).(*data.Map)
	if st, _ := in.String("state"); st != "running" {
		t.Fatalf("info: %v", in)
	}
	// The keys Salt's salt-cloud LXC driver reads (list_nodes).
	for _, k := range []string{"size", "public_ips", "private_ips", "ips"} {
		if !in.Has(k) {
			t.Errorf("info lacks Salt's key %s: %v", k, in)
		}
	}
	ra := x.ok("lxc.run_all", name, "echo out; echo err >&2; exit 3").(*data.Map)
	if rc, _ := ra.Get("retcode"); rc != int64(3) || mustStr(ra, "stdout") != "out" || mustStr(ra, "stderr") != "err" {
		t.Fatalf("run_all: %v", ra)
	}
	if v := x.ok("lxc.run", name, "cat", "stdin=piped"); v != "piped" {
		t.Fatalf("run with stdin: %q", v)
	}
	x.fails("lxc.destroy", "is not stopped", name)
	if o, n := stateOf(t, x.ok("lxc.destroy", name, "stop=True")); o != "running" || n != nil {
		t.Fatalf("destroy: %v -> %v", o, n)
	}
	if v := x.ok("lxc.ls"); !reflect.DeepEqual(v, []any{}) {
		t.Fatalf("ls after destroy: %v", v)
	}
}

func TestRegisteredCloneAndCloudInit(t *testing.T) {
	t.Parallel()
	x, c := newCaller(t)
	orig := lxctest.Unique("org")
	x.ok("lxc.create", orig, "template=busybox")
	clone := lxctest.Unique("cln")
	x.fails("lxc.clone", "Container 'nosuchct' does not exist", clone, "nosuchct")
	if o, n := stateOf(t, x.ok("lxc.clone", clone, orig, "snapshot=True", "backing=overlayfs")); o != nil || n != "stopped" {
		t.Fatalf("clone: %v -> %v", o, n)
	}
	in, err := c.Info(x.ctx, clone)
	if err != nil || !strings.Contains(in.RootfsPath, "overlay") {
		t.Fatalf("clone rootfs: %v %v", in, err)
	}
	x.fails("lxc.clone", "already exists", clone, orig)

	vm := lxctest.Unique("ci")
	iface := x.ok("lxc.cloud_init_interface", vm, "vm_={'from_container': '"+orig+"', 'backing': 'overlayfs'}", "ip=10.5.0.71", "minion={'master': '10.5.0.1', 'master_port': 4606}").(*data.Map)
	if v, _ := iface.Get("clone_from"); v != orig {
		t.Fatalf("cloud_init_interface: %v", iface)
	}
	r := x.ok("lxc.cloud_init", vm, "vm_={'from_container': '"+orig+"', 'backing': 'overlayfs'}", "ip=10.5.0.71", "netmask=16",
		"gateway=10.5.0.1", "bridge=lxcbr1", "mac=00:16:3e:5a:00:71", "password=pw", "dnsservers=10.5.0.1",
		"minion={'master': '10.5.0.1', 'master_port': 4606}").(*data.Map)
	stepsV, _ := r.Get("steps")
	if steps := stepsV.(*data.Map); steps.Len() != len(provision.DefaultVMSteps) {
		t.Fatalf("cloud_init steps: %v", r)
	}
	if st, _ := c.State(x.ctx, vm); st != "running" {
		t.Fatalf("cloud_init vm state %s", st)
	}
	mc, err := c.ReadFile(x.ctx, vm, provision.VMMinionConfig)
	if err != nil || !strings.Contains(string(mc), "master_port: 4606") {
		t.Fatalf("minion config %q %v", mc, err)
	}
	x.fails("lxc.cloud_init", "invalid ip", lxctest.Unique("ci"), "ip=10.5.0.300", "image=busybox")
}

func TestCloudInitInterfaceLVM(t *testing.T) {
	m, err := CloudInitInterface(&liblxc.Client{LXCPath: "/var/lib/lxc"}, &provision.Settings{Name: "vm1", ProfileType: "lvm", Profile: "small", Bridge: "lxcbr1", IP: "10.5.0.2", MAC: "00:16:3e:00:00:02", Master: "10.5.0.1", MasterPort: 4606})
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"clone_from": "makina-states-precise", "backing": "lvm", "vgname": "lxc", "lvname": "vm1", "size": int64(5 << 30)} {
		if v, _ := m.Get(k); v != want {
			t.Errorf("%s = %v, want %v", k, v, want)
		}
	}
	if _, err := CloudInitInterface(&liblxc.Client{}, &provision.Settings{Name: "vm1", ProfileType: "lvm", Profile: "huge"}); err == nil || !strings.Contains(err.Error(), "size profile") {
		t.Errorf("bad size profile: %v", err)
	}
}

func TestVMSettingsDecoding(t *testing.T) {
	s, err := VMSettings("vm1", data.M("from_container", "orig", "lxc_conf", []any{data.M("lxc.cgroup.memory.limit_in_bytes", "1G")}, "minion", data.M("master", "m", "master_port", int64(4606))),
		data.M("ip", "10.5.0.2", "dnsservers", "1.1.1.1,2.2.2.2", "__pub_jid", "x", "autostart", "True"))
	if err != nil {
		t.Fatal(err)
	}
	want := provision.Settings{Name: "vm1", FromContainer: "orig", IP: "10.5.0.2", DNSServers: []string{"1.1.1.1", "2.2.2.2"}, Autostart: true,
		LXCConf: []liblxc.ConfItem{{Key: "lxc.cgroup.memory.limit_in_bytes", Value: "1G"}}, Master: "m", MasterPort: 4606}
	if !reflect.DeepEqual(*s, want) {
		t.Fatalf("got %+v\nwant %+v", *s, want)
	}
	if _, err := VMSettings("vm1", "not a dict", nil); err == nil {
		t.Fatal("string vm_ accepted")
	}
	if _, err := VMSettings("vm1", nil, data.M("lxc_conf", []any{"x"})); err == nil {
		t.Fatal("bad lxc_conf accepted")
	}
}

func mustStr(m *data.Map, k string) string {
	s, _ := m.String(k)
	return s
}

func TestClassifyIPs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		addrs []string
		want  map[string][]any
	}{
		{"none", nil, map[string][]any{}},
		{"bridge address", []string{"10.5.0.2"}, map[string][]any{
			"ips": {"10.5.0.2"}, "ipv4_ips": {"10.5.0.2"}, "private_ips": {"10.5.0.2"}, "private_ipv4_ips": {"10.5.0.2"}}},
		{"mixed, Salt's order", []string{"127.0.0.1", "::1", "fe80::1", "8.8.4.4", "2001:db8::5", "192.168.1.3"}, map[string][]any{
			"ips":              {"192.168.1.3", "8.8.4.4", "2001:db8::5", "fe80::1", "127.0.0.1", "::1"},
			"ipv4_ips":         {"192.168.1.3", "8.8.4.4", "127.0.0.1"},
			"ipv6_ips":         {"2001:db8::5", "fe80::1", "::1"},
			"public_ips":       {"8.8.4.4", "2001:db8::5"},
			"private_ips":      {"192.168.1.3", "fe80::1", "127.0.0.1", "::1"},
			"public_ipv4_ips":  {"8.8.4.4"},
			"public_ipv6_ips":  {"2001:db8::5"},
			"private_ipv4_ips": {"192.168.1.3", "127.0.0.1"},
			"private_ipv6_ips": {"fe80::1", "::1"},
		}},
		{"not an address", []string{"garbage"}, map[string][]any{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := classifyIPs(tc.addrs)
			for _, k := range ipKeys {
				want := tc.want[k]
				if want == nil {
					want = []any{}
				}
				if !reflect.DeepEqual(got[k], want) {
					t.Errorf("%s = %v, want %v", k, got[k], want)
				}
			}
		})
	}
}
