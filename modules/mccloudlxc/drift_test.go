package mccloudlxc

import (
	"strings"
	"testing"

	"github.com/saltgo/saltgo/cloud/examples"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/lxc/lxctest"
	"github.com/saltgo/saltgo/modules/lxc"
)

// TestPillarIPChangeReachesTheVM: a VM spawned with an allocated address
// (no pillar ip) gets an ip in the pillar afterwards; the node's
// vm_spawn (settings from get_settings_for_vm: the pillar ip now wins over
// the stored one) restarts the container on the new address and says so,
// and the VM's eth0 has it.
func TestPillarIPChangeReachesTheVM(t *testing.T) {
	_, c, ctx := lxctest.Bridged(t)
	vm := lxctest.Unique("ipchg") + ".test"
	pillarWith := func(extra string) *data.Map {
		p, err := examples.ParseYAML([]byte("makina-states.cloud.lxc.vms.cn1.test:\n  " + vm + ":\n    profile_type: dir-scratch\n    image: busybox\n" + extra))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	env := &host.Env{
		ID: "cn1.test", Grains: data.M("id", "cn1.test"), Pillar: pillarWith(""), Local: true,
		Opts: data.M("master_port", int64(4606), AllocRootOpt, t.TempDir(), "pillar_roots", data.M("base", []any{"/nonexistent"})),
	}
	lxc.ClientService.Set(env, c)
	spawn := func() *data.Map {
		t.Helper()
		r := host.Execute(ctx, env, host.Exec, "mc_cloud_lxc.vm_spawn", []any{"vm=" + vm}, nil)
		m, ok := r.Return.(*data.Map)
		if !r.Success || !ok {
			t.Fatalf("vm_spawn: %v", r.Return)
		}
		return m
	}
	eth0 := func(want string) string {
		return lxctest.WaitAddr(t, ctx, c, vm, "eth0", want)
	}
	spawn()
	if out := eth0("10.5.0.2/16"); !strings.Contains(out, "10.5.0.2/16") {
		t.Fatalf("allocated address not on eth0: %s", out)
	}
	env.Pillar = pillarWith("    ip: 10.5.0.91\n")
	m := spawn()
	if c, _ := m.String("comment"); c != vm+" already provisioned, restarted to apply ip 10.5.0.2 -> 10.5.0.91" {
		t.Fatalf("comment %q", c)
	}
	if out := eth0("10.5.0.91/16"); !strings.Contains(out, "10.5.0.91/16") || strings.Contains(out, "10.5.0.2/") {
		t.Fatalf("eth0 after the pillar change: %s", out)
	}
	if ch, _ := spawn().Get("changes"); ch.(*data.Map).Len() != 0 {
		t.Fatalf("third spawn changed %v", ch)
	}
}
