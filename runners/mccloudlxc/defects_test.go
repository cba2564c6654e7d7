package mccloudlxc

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/transport/payload"
)

// TestControllerPillarTopTargets: the controller's pillar top is matched
// as the master matches it for the controller minion: with the grains the
// master caches for it (cachedir/minions/<id>/data.p) and the master's
// nodegroups. Grain, compound and nodegroup entries select the cloud SLS
// only when the cached grains say so.
func TestControllerPillarTopTargets(t *testing.T) {
	tests := []struct {
		name, top string
		grains    *data.Map // nil: nothing cached
		declared  bool
	}{
		{"grain", "'role:controller':\n    - match: grain\n    - cloud\n", data.M("role", "controller"), true},
		{"grain, other value", "'role:controller':\n    - match: grain\n    - cloud\n", data.M("role", "node"), false},
		{"grain, nothing cached", "'role:controller':\n    - match: grain\n    - cloud\n", nil, false},
		{"compound by default", "'G@role:controller and ctl.*':\n    - cloud\n", data.M("role", "controller"), true},
		{"compound, other id", "'G@role:controller and web*':\n    - match: compound\n    - cloud\n", data.M("role", "controller"), false},
		{"nodegroup", "'ctls':\n    - match: nodegroup\n    - cloud\n", data.M("role", "controller"), true},
		{"list", "'a,ctl.example.com':\n    - match: list\n    - cloud\n", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, healthyNode(), seedPillar)
			must(t, os.WriteFile(filepath.Join(r.dir, "pillar", "top.sls"), []byte("base:\n  "+tc.top), 0o644))
			cache := filepath.Join(r.dir, "cache")
			r.opts.Set("cachedir", cache)
			r.opts.Set("nodegroups", data.M("ctls", "G@role:controller"))
			if tc.grains != nil {
				b, err := payload.Encode(data.M("grains", tc.grains, "pillar", data.NewMap()))
				must(t, err)
				must(t, os.MkdirAll(filepath.Join(cache, "minions", "ctl.example.com"), 0o700))
				must(t, os.WriteFile(filepath.Join(cache, "minions", "ctl.example.com", "data.p"), b, 0o600))
			}
			env := &host.Env{ID: "ctl_master", Opts: r.opts, Stderr: r.progress}
			nodeService.Set(env, r.node)
			res := host.Execute(context.Background(), env, host.Runner, "mc_cloud_lxc.get_settings_for_vm", host.ParseInput([]string{"cn1", "vm1.example.com"}, nil), nil)
			if tc.declared {
				m, _ := res.Return.(*data.Map)
				if ip, _ := m.String("ip"); res.Err != nil || ip != "10.5.0.11" {
					t.Fatalf("settings = %v, %v", res.Return, res.Err)
				}
				return
			}
			if res.Err == nil || !strings.Contains(res.Err.Error(), "vm vm1.example.com is not declared") {
				t.Fatalf("the cloud SLS was selected: %v, %v", res.Return, res.Err)
			}
		})
	}
}

// TestProvisionRefusesSameAllocationKey: two VMs equal once their dots are
// removed: the later declared one fails with an error naming both, the
// other is provisioned, and the refused one has no allocation files.
func TestProvisionRefusesSameAllocationKey(t *testing.T) {
	pillar := "makina-states.cloud.lxc.vms.cn1:\n" +
		"  web1.test.com: {profile_type: dir-scratch, image: busybox}\n" +
		"  web1t.est.com: {profile_type: dir-scratch, image: busybox}\n"
	n := healthyNode("cn1", "web1.test.com", "web1t.est.com")
	r := newRig(t, n, pillar)
	m := r.call(t, "provision_vms", "cn1")
	if ok, _ := m.Get("result"); ok != false {
		t.Fatalf("result = %v", ok)
	}
	c, _ := m.String("comment")
	for _, want := range []string{`vm "web1t.est.com" is refused`, `allocation key of vm "web1.test.com"`, "share one IP, MAC and password"} {
		if !strings.Contains(c, want) {
			t.Errorf("comment lacks %q:\n%s", want, c)
		}
	}
	var spawned []string
	for _, call := range n.callLog() {
		if strings.Contains(call, "vm_spawn") {
			spawned = append(spawned, call)
		}
	}
	if len(spawned) != 1 || !strings.Contains(spawned[0], "vm=web1.test.com") {
		t.Errorf("spawn calls %v", spawned)
	}
	tbl, err := os.ReadFile(filepath.Join(r.dir, "alloc", "cn1", "settings", "allocated_ips.pack"))
	must(t, err)
	v, err := payload.Decode(tbl)
	must(t, err)
	ips, _ := v.(*data.Map).Get("value")
	got, _ := ips.(*data.Map).Get("ips")
	if keys := got.(*data.Map).Keys(); len(keys) != 1 || keys[0] != "web1.test.com" {
		t.Errorf("allocated_ips = %v", got)
	}
}
