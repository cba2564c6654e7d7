package settings

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/saltgo/saltgo/cloud/alloc"
)

func TestRoute(t *testing.T) {
	gw := func(s string) *string { return &s }
	tests := []struct {
		name     string
		node, ip string
		port     int
		gw       *string
		user     string
		gwPort   int
		want     string
	}{
		{"reverse port, gateway is the node", "cn1", "10.5.0.2", 40000, gw("cn1"), "root", 22, "ssh -p 40000 root@cn1"},
		{"reverse port, no gateway", "cn1", "10.5.0.2", 40001, nil, "", 0, "ssh -p 40001 root@cn1"},
		{"empty gateway", "cn1", "10.5.0.2", 40001, gw(""), "root", 22, "ssh -p 40001 root@cn1"},
		{"other gateway", "cn1", "10.5.0.2", 40000, gw("bastion.example.com"), "ops", 2222, "ssh -J ops@bastion.example.com:2222 root@10.5.0.2"},
		{"other gateway, defaults", "cn1", "10.5.0.3", 0, gw("bastion"), "", 0, "ssh -J root@bastion:22 root@10.5.0.3"},
		{"no port, gateway is the node", "cn1", "10.5.0.2", 0, gw("cn1"), "root", 22, ""},
		{"other gateway, no ip", "cn1", "", 40000, gw("bastion"), "root", 22, ""},
	}
	for _, tc := range tests {
		if got := Route(tc.node, tc.ip, tc.port, tc.gw, tc.user, tc.gwPort); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestQueryRoute: salt-cloud -Q's route comes from the pillar's gateway
// and the stored port, and asking allocates nothing.
func TestQueryRoute(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	p := yamlPillar(t, "makina-states.cloud.lxc.vms.cn1:\n  vm1.example.com: {}\n  vm2.example.com: {ssh_gateway: bastion.example.com, ssh_gateway_user: ops}\n")
	s := load(t, p, "ctl", root)
	for _, tc := range []struct{ vm, ip, want string }{
		{"vm1.example.com", "10.5.0.2", ""},
		{"vm2.example.com", "10.5.0.3", "ssh -J ops@bastion.example.com:22 root@10.5.0.3"},
		{"undeclared.example.com", "10.5.0.4", ""},
	} {
		if got, err := s.QueryRoute("cn1", tc.vm, tc.ip); err != nil || got != tc.want {
			t.Errorf("before allocation, %s: %q %v, want %q", tc.vm, got, err, tc.want)
		}
	}
	if files, _ := filepath.Glob(filepath.Join(root, "*", "*")); len(files) != 0 {
		t.Errorf("QueryRoute wrote %v", files)
	}
	v, err := s.GetSettingsForVM(ctx, "cn1", "vm1.example.com", true)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.QueryRoute("cn1", "vm1.example.com", v.IP); err != nil || got != "ssh -p 40000 root@cn1" || got != v.SSHRoute() {
		t.Errorf("after allocation: %q %v (settings say %q)", got, err, v.SSHRoute())
	}
	// A corrupt allocation file is an error, not a silent "no route".
	if err := os.WriteFile(s.Store().CNSettingPath("cn1", alloc.SettingSSHMap), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.QueryRoute("cn1", "vm1.example.com", v.IP); err == nil {
		t.Error("corrupt port map: no error")
	}
}
