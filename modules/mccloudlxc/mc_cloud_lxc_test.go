package mccloudlxc

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/cloud/examples"
	"github.com/saltgo/saltgo/cloud/settings"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
)

func env(t *testing.T, root string) *host.Env {
	t.Helper()
	p, err := examples.Pillar()
	if err != nil {
		t.Fatal(err)
	}
	return &host.Env{
		ID:     examples.ComputeNode,
		Grains: examples.Grains(),
		Pillar: p,
		Opts:   data.M("master_port", int64(4606), AllocRootOpt, root, "pillar_roots", data.M("base", []any{"/nonexistent"})),
		Local:  true,
	}
}

func TestExecuteGetSettingsForVM(t *testing.T) {
	root := t.TempDir()
	e := env(t, root)
	for _, vm := range examples.VMs {
		res := host.Execute(context.Background(), e, host.Exec, "mc_cloud_lxc.get_settings_for_vm",
			[]any{examples.ComputeNode, vm}, nil)
		if !res.Success {
			t.Fatalf("%s: %v %v", vm, res.Return, res.Err)
		}
		m := res.Return.(*data.Map)
		if name, _ := m.String("name"); name != vm || !m.Has("ssh_reverse_proxy_port") {
			t.Fatalf("%s: %v", vm, m.Keys())
		}
	}
	// Allocations went to the configured root, not the system.
	n := 0
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".pack") {
			n++
		}
		return nil
	})
	if n == 0 {
		t.Fatal("no allocation written under the configured root")
	}
	// full=False drops the ports.
	res := host.Execute(context.Background(), e, host.Exec, "mc_cloud_lxc.get_settings_for_vm",
		[]any{examples.ComputeNode, examples.DocVM, "full=False"}, nil)
	if !res.Success || res.Return.(*data.Map).Has("ssh_reverse_proxy_port") {
		t.Fatalf("full=False: %v", res.Return)
	}
}

func TestExecuteBadPillar(t *testing.T) {
	e := env(t, t.TempDir())
	e.Pillar = data.M("makina-states.cloud.lxc.vms.cn.local", data.M("v.test", data.M("ip", "10.9.0.1")))
	res := host.Execute(context.Background(), e, host.Exec, "mc_cloud_lxc.get_settings_for_vm", []any{"cn.local", "v.test"}, nil)
	s, _ := res.Return.(string)
	if res.Success || !strings.HasPrefix(s, "ERROR: ") || !strings.Contains(s, `key "ip"`) {
		t.Fatalf("%v", res.Return)
	}
}

// TestFromVMReversePorts: the controller's settings (get_settings_for_vm
// with the ports, as the runner hands them to the node) give the spawn
// step the reverse ports to forward; ssh_route is shown, not passed on as
// a pillar key; without the ports (full=False) nothing is forwarded.
func TestFromVMReversePorts(t *testing.T) {
	e := env(t, t.TempDir())
	for _, full := range []bool{true, false} {
		res := host.Execute(context.Background(), e, host.Exec, "mc_cloud_lxc.get_settings_for_vm",
			[]any{examples.ComputeNode, examples.DocVM, "full=" + map[bool]string{true: "True", false: "False"}[full]}, nil)
		if !res.Success {
			t.Fatalf("full=%v: %v", full, res.Return)
		}
		m := res.Return.(*data.Map)
		route, _ := m.String(settings.RouteKey)
		v, err := settings.VMFromMap(examples.ComputeNode, m)
		if err != nil {
			t.Fatal(err)
		}
		s, err := FromVM(v)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case full && (s.SSHPort != 40000 || s.SNMPPort != 30000 || route != "ssh -p 40000 root@"+examples.ComputeNode || v.Extra.Has(settings.RouteKey)):
			t.Errorf("full: ports %d/%d, route %q, extra %v", s.SSHPort, s.SNMPPort, route, v.Extra.Keys())
		case !full && (s.SSHPort != 0 || s.SNMPPort != 0 || route != ""):
			t.Errorf("full=False: ports %d/%d, route %q", s.SSHPort, s.SNMPPort, route)
		}
	}
}
