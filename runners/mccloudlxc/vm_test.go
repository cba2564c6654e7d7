package mccloudlxc

import (
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/internal/golden"
	"github.com/saltgo/saltgo/internal/mastertest"
)

func TestProvisionGolden(t *testing.T) {
	n := healthyNode("cn1", "vm1.example.com", "vm2.example.com")
	r := newRig(t, n, seedPillar)
	m := r.call(t, "provision", "vm1.example.com")
	if ok, _ := m.Get("result"); ok != true {
		t.Fatalf("provision: %v", m)
	}
	// The VM minion's key was pre-accepted on the master.
	b, err := os.ReadFile(filepath.Join(r.dir, "pki", "minions", "vm1.example.com"))
	if err != nil || string(b) != mastertest.SamplePublicKey {
		t.Fatalf("accepted key: %q %v", b, err)
	}
	golden.Text(t, "provision_vm1.nested", r.scrub(render(t, m, "nested")))
	golden.Text(t, "provision_vm1.progress", r.scrub(r.progress.String()))

	// The settings the node received are get_settings_for_vm's, with the
	// allocated IP of the pillar.
	var seen string
	for _, c := range n.callLog() {
		if strings.Contains(c, "vm_spawn") {
			seen = c
		}
	}
	if !strings.Contains(seen, "vm=vm1.example.com") || !strings.Contains(seen, "compute_node=cn1") {
		t.Errorf("spawn call = %q", seen)
	}

	// Second run: no changes.
	m = r.call(t, "provision", "vm1.example.com")
	if ch, _ := m.Get("changes"); ch.(*data.Map).Len() != 0 {
		t.Errorf("second provision changed: %v", ch)
	}
}

func TestGetSettingsForVM(t *testing.T) {
	r := newRig(t, healthyNode(), seedPillar)
	got := r.call(t, "get_settings_for_vm", "cn1", "vm1.example.com")
	for k, want := range map[string]any{"ip": "10.5.0.11", "name": "vm1.example.com", "image": "busybox", "password": "foobar",
		"master": "ctl.example.com", "master_port": int64(4606), "ssh_reverse_proxy_port": int64(40000)} {
		if v, _ := got.Get(k); v != want {
			t.Errorf("settings[%s] = %v, want %v", k, v, want)
		}
	}
}

func TestProvisionFailures(t *testing.T) {
	tests := []struct {
		name    string
		words   []string
		prep    func(n *fakeNode)
		want    []string
		noCalls string
	}{
		{name: "unknown vm", words: []string{"nope.example.com"}, want: []string{"vm nope.example.com is not declared"}},
		{name: "bad step", words: []string{"vm1.example.com", "steps=spawn,fly"}, want: []string{`unknown vm step "fly"`}},
		{name: "spawn fails: nothing left", words: []string{"vm1.example.com"}, prep: func(n *fakeNode) {
			n.set(NodeFunctions.VMStep+"spawn", func(string, *data.Map) (any, int) {
				return data.M("result", false, "comment", "lxc: bridge \"lxcbr1\" does not exist", "changes", data.NewMap()), 1
			})
		}, want: []string{"Failed to provision lxc vm1.example.com, see cn1"}, noCalls: "vm_hostsfile"},
		{name: "node down mid-run: half-provisioned is said", words: []string{"vm1.example.com"}, prep: func(n *fakeNode) {
			n.set(NodeFunctions.VMStep+"hostsfile", func(string, *data.Map) (any, int) {
				n.down["cn1"] = true // the step itself still answers; later ones do not
				return data.M("result", true, "comment", "ok", "changes", data.NewMap()), 0
			})
		}, want: []string{"Target cn1 unreachable", "vm1.example.com on cn1 is spawned but NOT fully provisioned (stopped at step sshkeys)"}, noCalls: "vm_grains"},
		{name: "vm minion never signs in", words: []string{"vm1.example.com"}, prep: func(n *fakeNode) { n.down["vm1.example.com"] = true },
			want: []string{"The minion of vm1.example.com did not sign in", "spawned but NOT fully provisioned (stopped at step ping)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := healthyNode("cn1", "vm1.example.com")
			if tc.prep != nil {
				tc.prep(n)
			}
			r := newRig(t, n, seedPillar)
			m := r.call(t, "provision", tc.words...)
			if ok, _ := m.Get("result"); ok != false {
				t.Fatalf("result = %v", ok)
			}
			if rc, _ := m.Get("retcode"); rc != int64(1) {
				t.Errorf("retcode = %v", rc)
			}
			c, _ := m.String("comment")
			for _, w := range tc.want {
				if !strings.Contains(c, w) {
					t.Errorf("comment lacks %q:\n%s", w, c)
				}
			}
			if tc.noCalls != "" {
				for _, call := range n.callLog() {
					if strings.Contains(call, tc.noCalls) {
						t.Errorf("called %s after the failure", call)
					}
				}
			}
		})
	}
}

func TestProvisionDryRun(t *testing.T) {
	n := healthyNode("cn1", "vm1.example.com", "vm2.example.com")
	r := newRig(t, n, seedPillar)
	m := r.call(t, "provision_vms", "cn1", "test=True")
	if ok, _ := m.Get("result"); ok != true {
		t.Fatalf("dry run: %v", m)
	}
	for _, c := range n.callLog() {
		if strings.Contains(c, "mc_cloud_lxc.") {
			t.Errorf("dry run called %q", c)
		}
	}
	if _, err := os.Stat(filepath.Join(r.dir, "alloc")); err == nil {
		t.Error("dry run persisted allocations")
	}
	if _, err := os.Stat(filepath.Join(r.dir, "pki", "minions", "vm1.example.com")); err == nil {
		t.Error("dry run accepted a key")
	}
	c, _ := m.String("comment")
	if !strings.Contains(c, "vm1.example.com would be created and provisioned (test)") {
		t.Errorf("comment:\n%s", c)
	}
}

// TestProvisionVMsBounded checks that VMs run in parallel, never more than
// concurrency at once.
func TestProvisionVMsBounded(t *testing.T) {
	var vms strings.Builder
	vms.WriteString("makina-states.cloud.lxc.vms.cn1:\n")
	for i := 0; i < 6; i++ {
		vms.WriteString("  vm" + string(rune('a'+i)) + ".example.com: {profile_type: dir-scratch}\n")
	}
	n := healthyNode("cn1")
	for i := 0; i < 6; i++ {
		n.known["vm"+string(rune('a'+i))+".example.com"] = true
	}
	var cur, peak int32
	n.set(NodeFunctions.VMStep+"spawn", func(string, *data.Map) (any, int) {
		c := atomic.AddInt32(&cur, 1)
		for {
			p := atomic.LoadInt32(&peak)
			if c <= p || atomic.CompareAndSwapInt32(&peak, p, c) {
				break
			}
		}
		time.Sleep(50 * time.Millisecond)
		atomic.AddInt32(&cur, -1)
		return data.M("result", true, "comment", "spawned", "changes", data.M("state", "running")), 0
	})
	r := newRig(t, n, vms.String())
	m := r.call(t, "provision_vms", "cn1", "steps=spawn", "concurrency=3")
	if ok, _ := m.Get("result"); ok != true {
		t.Fatalf("%v", m)
	}
	if p := atomic.LoadInt32(&peak); p < 2 || p > 3 {
		t.Errorf("peak concurrency = %d, want 2..3", p)
	}
	lines := strings.Count(r.progress.String(), "] spawn: ok")
	if lines != 6 {
		t.Errorf("progress lines = %d:\n%s", lines, r.progress.String())
	}
}
