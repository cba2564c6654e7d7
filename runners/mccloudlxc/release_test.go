package mccloudlxc

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/cloud/alloc"
	"github.com/saltgo/saltgo/cloud/settings"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
)

const vm3Pillar = `makina-states.services.cloud.lxc.targets.cn1:
  vm2.example.com:
    ip: 10.5.0.12
    profile_type: dir-scratch
    image: busybox
  vm3.example.com:
    ip: 10.5.0.11
    profile_type: dir-scratch
    image: busybox
`

func (r *rig) setPillar(t *testing.T, text string) {
	t.Helper()
	must(t, os.WriteFile(filepath.Join(r.dir, "pillar", "cloud.sls"), []byte(text+"makina-states.cloud.prefix: "+r.dir+"/etc\n"), 0o644))
}

func comment(m *data.Map) string { c, _ := m.String("comment"); return c }

// TestDestroyReleasesUndeclared: destroy_vm keeps the allocations of a VM
// still declared in the pillar (a re-create gets the same address) and
// releases them once it left the pillar; then another VM can take its IP
// (refused before: allocated to vm1).
func TestDestroyReleasesUndeclared(t *testing.T) {
	r := newRig(t, healthyNode("cn1"), seedPillar)
	m := r.call(t, "get_settings_for_vm", "cn1", "vm1.example.com")
	if ip, _ := m.String("ip"); ip != "10.5.0.11" {
		t.Fatalf("vm1 settings %v", m)
	}
	port, _ := m.Get("ssh_reverse_proxy_port")

	// Still declared: kept.
	m = r.call(t, "destroy_vm", "vm1.example.com")
	if !strings.Contains(comment(m), "Allocations of vm1.example.com: kept (still declared in the pillar") {
		t.Fatalf("declared destroy: %s", comment(m))
	}
	if m2 := r.call(t, "get_settings_for_vm", "cn1", "vm1.example.com"); !data.Equal(mustGet(m2, "ssh_reverse_proxy_port"), port) {
		t.Fatalf("re-create got another port: %v", m2)
	}

	// vm3 wants vm1's address while vm1 is allocated: refused.
	r.setPillar(t, vm3Pillar)
	env := &host.Env{ID: "ctl_master", Opts: r.opts, Stderr: r.progress}
	nodeService.Set(env, r.node)
	res := host.Execute(context.Background(), env, host.Runner, "mc_cloud_lxc.get_settings_for_vm", []any{"cn1", "vm3.example.com"}, nil)
	if res.Err == nil || !strings.Contains(res.Err.Error(), "vm1.example.com") {
		t.Fatalf("vm3 took vm1's allocated ip: %v %v", res.Return, res.Err)
	}

	// vm1 left the pillar: destroy releases its IP, MAC and ports (its
	// password is the pillar's, never stored).
	m = r.call(t, "destroy_vm", "vm1.example.com", "compute_node=cn1")
	if !strings.Contains(comment(m), "Allocations of vm1.example.com: released (ip 10.5.0.11, mac 00:16:3e:") ||
		!strings.Contains(comment(m), "ssh port 40000, snmp port 30000)") {
		t.Fatalf("undeclared destroy: %s", comment(m))
	}
	ch, _ := m.Get("changes")
	if v, _ := ch.(*data.Map).Get("allocations"); v == nil {
		t.Fatalf("changes %v", ch)
	}
	if _, err := os.Stat(filepath.Join(r.dir, "alloc", "cn1", "lxc", "vm1examplecom")); !os.IsNotExist(err) {
		t.Fatalf("vm1's allocation directory left: %v", err)
	}
	m = r.call(t, "get_settings_for_vm", "cn1", "vm3.example.com")
	if ip, _ := m.String("ip"); ip != "10.5.0.11" {
		t.Fatalf("vm3 after the release: %v", m)
	}
	if p, _ := m.Get("ssh_reverse_proxy_port"); !data.Equal(p, port) {
		t.Fatalf("vm3 did not get the freed port %v: %v", port, p)
	}
}

// TestCleanupReleasesStale: cleanup releases the allocations of a VM that
// is no longer declared and whose container is gone, keeps those of a
// declared VM, and of an undeclared VM whose container still exists.
func TestCleanupReleasesStale(t *testing.T) {
	node := healthyNode("cn1")
	r := newRig(t, node, seedPillar)
	for _, vm := range []string{"vm1.example.com", "vm2.example.com"} {
		r.call(t, "get_settings_for_vm", "cn1", vm)
	}
	r.setPillar(t, "makina-states.services.cloud.lxc.targets.cn1: {}\n")
	exists := map[string]bool{"vm2.example.com": true}
	node.set(NodeFunctions.Exists, func(_ string, kw *data.Map) (any, int) {
		n, _ := kw.String("name")
		return exists[n], 0
	})
	m := r.call(t, "cleanup", "test=True")
	if c := comment(m); !strings.Contains(c, "Allocations of vm1.example.com: would be released") {
		t.Fatalf("dry run: %s", c)
	}
	if _, err := os.Stat(filepath.Join(r.dir, "alloc", "cn1", "lxc", "vm1examplecom")); err != nil {
		t.Fatalf("dry run released: %v", err)
	}
	m = r.call(t, "cleanup")
	c := comment(m)
	for _, want := range []string{
		"LXC: 2 allocation(s) on cn1, 2 of vm(s) no longer declared",
		"Allocations of vm1.example.com: released (ip 10.5.0.11",
		"Allocations of vm2.example.com: kept (its container still exists on cn1",
	} {
		if !strings.Contains(c, want) {
			t.Errorf("comment lacks %q:\n%s", want, c)
		}
	}
	if ok, _ := m.Get("result"); ok != true {
		t.Fatalf("result %v", m)
	}
	// A second cleanup has nothing left for vm1.
	if c := comment(r.call(t, "cleanup")); strings.Contains(c, "vm1.example.com") {
		t.Fatalf("second cleanup: %s", c)
	}
}

// TestSaltCloudDestroyReleasesRecorded: a VM made by salt-cloud -p (a
// record, no pillar entry) keeps its allocations through destroy_vm (still
// recorded) and loses them with salt-cloud -d (DestroyVM forgets the
// record, then releases).
func TestSaltCloudDestroyReleasesRecorded(t *testing.T) {
	ctx := context.Background()
	r := newRig(t, healthyNode("cn1"), seedPillar)
	st := alloc.New(filepath.Join(r.dir, "alloc"))
	must(t, settings.RecordVM(ctx, st, "cn1", "web.example.com", data.M("profile_type", "dir-scratch", "image", "busybox")))
	if ip, _ := r.call(t, "get_settings_for_vm", "cn1", "web.example.com").String("ip"); ip == "" {
		t.Fatal("no ip for the recorded VM")
	}
	m := r.call(t, "destroy_vm", "web.example.com")
	if !strings.Contains(comment(m), "Allocations of web.example.com: kept (still recorded by salt-cloud -p") {
		t.Fatalf("destroy_vm: %s", comment(m))
	}
	ctl, release, err := newControllerEnv(ctx, &host.Env{Opts: r.opts}, r.node, false, 0)
	defer release()
	if err != nil {
		t.Fatal(err)
	}
	res := ctl.DestroyVM(ctx, "cn1", "web.example.com")
	if c := res.CommentText(); !res.OK() || !strings.Contains(c, "Record of web.example.com: removed") || !strings.Contains(c, "Allocations of web.example.com: released (ip 10.5.0.2, mac ") {
		t.Fatalf("salt-cloud -d: %v %s", res.OK(), c)
	}
	if vms, err := st.AllocatedVMs("cn1"); err != nil || strings.Contains(strings.Join(vms, " "), "web.example.com") {
		t.Fatalf("allocated after -d: %v %v", vms, err)
	}
}
