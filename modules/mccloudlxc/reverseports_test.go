package mccloudlxc

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/saltgo/saltgo/cloud/examples"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/lxc/lxctest"
	"github.com/saltgo/saltgo/lxc/provision"
	"github.com/saltgo/saltgo/modules/lxc"
)

// TestVMSpawnForwardsAndDestroyRemoves: vm_spawn with the controller's
// settings (the reverse ports allocated) forwards them in the node's
// namespace, a second vm_spawn changes nothing, and destroy_vm (which
// gets only the VM's name) removes the rules.
func TestVMSpawnForwardsAndDestroyRemoves(t *testing.T) {
	ns, c, _ := lxctest.Bridged(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pillar, err := examples.ParseYAML([]byte("makina-states.cloud.lxc.vms.cn1.test:\n  web.test: {profile_type: dir-scratch, image: busybox, ip: 10.5.0.90}\n"))
	if err != nil {
		t.Fatal(err)
	}
	env := &host.Env{
		ID: "cn1.test", Grains: data.M("id", "cn1.test"), Pillar: pillar, Local: true,
		Opts: data.M("master_port", int64(4606), AllocRootOpt, t.TempDir(), "pillar_roots", data.M("base", []any{"/nonexistent"}), lxc.OptNetns, ns.Name),
	}
	lxc.ClientService.Set(env, c)
	call := func(fun string, args ...any) *data.Map {
		t.Helper()
		r := host.Execute(ctx, env, host.Exec, "mc_cloud_lxc."+fun, args, nil)
		m, ok := r.Return.(*data.Map)
		if !r.Success || !ok {
			t.Fatalf("%s: %v", fun, r.Return)
		}
		return m
	}
	sm := call("get_settings_for_vm", "cn1.test", "web.test")
	if r, _ := sm.String("ssh_route"); r != "ssh -p 40000 root@cn1.test" {
		t.Fatalf("ssh_route %q", r)
	}
	spawn := func() *data.Map {
		return call("vm_spawn", data.M("__kwarg__", true, "vm", "web.test", "settings", sm))
	}
	first := spawn()
	ch, _ := first.Get("changes")
	ports, _ := ch.(*data.Map).Get(provision.ReversePortsChange)
	if l, _ := ports.([]any); len(l) != 4 || !strings.Contains(data.Str(first), "added web.test ssh tcp/40000->10.5.0.90:22") {
		t.Fatalf("vm_spawn: %v", first)
	}
	if again := spawn(); data.Str(again) == "" || mapLen(again, "changes") != 0 {
		t.Fatalf("second vm_spawn: %v", again)
	}
	d := call("destroy_vm", "web.test")
	if dch, _ := d.Get("changes"); !dch.(*data.Map).Has(provision.ReversePortsChange) {
		t.Fatalf("destroy_vm: %v", d)
	}
	if rules, err := provision.Forwarder(c).Rules(ctx); err != nil || len(rules) != 0 {
		t.Fatalf("rules after destroy_vm: %v %+v", err, rules)
	}
}

func mapLen(m *data.Map, k string) int {
	v, _ := m.Get(k)
	mm, _ := v.(*data.Map)
	return mm.Len()
}
