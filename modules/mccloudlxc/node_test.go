package mccloudlxc

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/saltgo/saltgo/cloud/examples"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/grains"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/lxc/liblxc"
	"github.com/saltgo/saltgo/lxc/lxctest"
	"github.com/saltgo/saltgo/lxc/provision"
	"github.com/saltgo/saltgo/modules/lxc"
)

func TestMain(m *testing.M) { lxctest.Main(m) }

const nodePillar = `
makina-states.cloud.lxc.vms.cn1.test:
  vm1.test:
    profile_type: dir-scratch
    image: busybox
    ip: 10.5.0.80
    password: s3cr3t
  vm2.test:
    profile_type: overlayfs
    from_container: makina-states-precise
    ip: 10.5.0.81
`

func TestComputeNodeAndVMStepsThroughTheHost(t *testing.T) {
	lxctest.Require(t)
	ns := lxctest.NewNetns(t, "", "", 0) // configure_install_lxc makes the bridge
	c := lxctest.Client(t, ns)
	srcC := lxctest.Client(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pillar, err := examples.ParseYAML([]byte(nodePillar))
	if err != nil {
		t.Fatal(err)
	}
	gfile := filepath.Join(t.TempDir(), "grains")
	if err := os.WriteFile(gfile, []byte("roles: [web]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	apt := &lxctest.Packages{Installed: map[string]bool{"lxc": true}}
	pki := t.TempDir()
	env := &host.Env{
		ID: "cn1.test", Grains: data.M("id", "cn1.test"), Pillar: pillar, Local: true,
		Opts: data.M("master_port", int64(4606), AllocRootOpt, t.TempDir(), "pillar_roots", data.M("base", []any{"/nonexistent"}),
			GrainsFileOpt, gfile, lxc.OptMasterPKIDir, pki,
			lxc.OptRootKeys, []any{"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAItest controller@root"}),
	}
	lxc.ClientService.Set(env, c)
	PackagesService.Set(env, apt)
	run := func(fun string, args ...any) *data.Map {
		t.Helper()
		if args == nil {
			args = []any{}
		}
		r := host.Execute(ctx, env, host.Exec, "mc_cloud_lxc."+fun, args, nil)
		m, ok := r.Return.(*data.Map)
		if !r.Success || !ok {
			t.Fatalf("%s %v: %v", fun, args, r.Return)
		}
		return m
	}
	changes := func(m *data.Map) int {
		v, _ := m.Get("changes")
		return v.(*data.Map).Len()
	}
	twice := func(fun string, args ...any) *data.Map {
		t.Helper()
		first := run(fun, args...)
		if changes(first) == 0 {
			t.Fatalf("%s: first run changed nothing: %v", fun, first)
		}
		if second := run(fun, args...); changes(second) != 0 {
			t.Fatalf("%s: second run changed %v", fun, second)
		}
		return first
	}

	// Compute node: grains, packages + bridge, images.
	twice("configure_grains")
	g, err := grains.ReadGrainsFile(gfile)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range append(HostGrains, "roles") {
		if !g.Has(k) {
			t.Errorf("grains file lacks %s: %v", k, g)
		}
	}
	twice("configure_install_lxc")
	if len(apt.Calls) != 1 || !apt.Installed["lxc-templates"] {
		t.Fatalf("packages: %+v", apt)
	}
	out, err := exec.Command("ip", "-n", ns.Name, "-4", "addr", "show", "dev", "lxcbr1").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "10.5.0.1/16") || !strings.Contains(string(out), "UP") {
		t.Fatalf("bridge: %v %s", err, out)
	}
	if err := srcC.Create(ctx, &liblxc.Plan{Name: "makina-states-precise", Template: "busybox", Backend: "dir"}); err != nil {
		t.Fatal(err)
	}
	twice("configure_images", "source="+srcC.Path(), "images=makina-states-precise")
	r := host.Execute(ctx, env, host.Exec, "mc_cloud_lxc.configure_images", []any{"images=makina-states-precise"}, nil)
	if s, _ := r.Return.(string); r.Success || !strings.Contains(s, "no image source") {
		t.Fatalf("configure_images without a source: %v", r.Return)
	}

	// VMs: every step, from the pillar settings; a second run changes nothing.
	first := twice("provision_vm", "vm1.test")
	stepsV, _ := first.Get("steps")
	if steps := stepsV.(*data.Map); steps.Len() != len(provision.DefaultVMSteps) {
		t.Fatalf("provision_vm steps: %v", first)
	}
	in, err := c.Info(ctx, "vm1.test")
	if err != nil || in.State != "running" {
		t.Fatalf("vm1: %+v %v", in, err)
	}
	cfg, _ := os.ReadFile(in.ConfigFile)
	for _, want := range []string{"lxc.net.0.ipv4.address = 10.5.0.80/16", "lxc.net.0.link = lxcbr1", "lxc.net.0.ipv4.gateway = 10.5.0.1"} {
		if !strings.Contains(string(cfg), want) {
			t.Errorf("vm1 config lacks %q", want)
		}
	}
	hosts, err := c.ReadFile(ctx, "vm1.test", "/etc/hosts")
	if err != nil || !strings.Contains(string(hosts), "10.5.0.80 vm1.test") || !strings.Contains(string(hosts), "10.5.0.1 cn1.test") {
		t.Fatalf("vm1 hosts: %q %v", hosts, err)
	}
	if _, err := os.Stat(filepath.Join(pki, "minions", "vm1.test")); err != nil {
		t.Fatalf("vm1 key not pre-accepted: %v", err)
	}

	// Single steps on a clone of the synced image.
	sp := run("vm_spawn", "vm2.test")
	if ch, _ := sp.Get("changes"); !ch.(*data.Map).Has("created") {
		t.Fatalf("vm_spawn: %v", sp)
	}
	twice("vm_hostsfile", "vm2.test")
	twice("vm_grains", "vm2.test")
	if v := run("vm_spawn", "vm2.test"); changes(v) != 0 {
		t.Fatalf("second vm_spawn: %v", v)
	}

	// Bad input: unknown VM, unknown step.
	r = host.Execute(ctx, env, host.Exec, "mc_cloud_lxc.vm_spawn", []any{"nosuchvm.test"}, nil)
	if r.Success {
		t.Fatalf("unknown vm: %v", r.Return)
	}
	r = host.Execute(ctx, env, host.Exec, "mc_cloud_lxc.provision_vm", []any{"vm1.test", "steps=spawn,bogus"}, nil)
	if m, ok := r.Return.(*data.Map); r.Success || !ok || !strings.Contains(mustString(m, "comment"), "unknown vm step") {
		t.Fatalf("bogus step: %v", r.Return)
	}

	for _, vm := range []string{"vm2.test", "vm1.test"} {
		twice("destroy_vm", vm)
	}
	if _, err := os.Stat(filepath.Join(pki, "minions", "vm1.test")); !os.IsNotExist(err) {
		t.Fatalf("vm1 key left: %v", err)
	}
	if l, _ := c.List(ctx); len(l) != 1 || l[0].Name != "makina-states-precise" {
		t.Fatalf("containers left: %v", l)
	}
}

func mustString(m *data.Map, k string) string {
	s, _ := m.String(k)
	return s
}

// Without the LXC helper, the steps that drive containers are "not
// available" with the reason.
func TestContainerStepsNotAvailableWithoutHelper(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "saltgo-lxc-helper")
	t.Setenv(liblxc.HelperEnv, missing)
	cases := []struct {
		fun  string
		args []any
	}{
		{"mc_cloud_lxc.destroy_vm", []any{"vm1.test"}},
		{"mc_cloud_lxc.configure_images", []any{"source=" + t.TempDir(), "images=img1"}},
	}
	for _, tc := range cases {
		env := &host.Env{ID: "cn1", Opts: data.NewMap()}
		lxctest.NotAvailable(t, env, tc.fun, tc.args, "SALTGO_LXC_HELPER "+missing)
	}
}

func TestConfigureImagesArchivesBadInput(t *testing.T) {
	lxctest.Require(t)
	c := &liblxc.Client{LXCPath: filepath.Join(t.TempDir(), "lxc")}
	roots := t.TempDir()
	env := &host.Env{ID: "cn1.test", Local: true, Opts: data.M("file_roots", data.M("base", []any{roots}), "cachedir", t.TempDir())}
	lxc.ClientService.Set(env, c)
	for _, tc := range []struct {
		name     string
		archives string
		want     string
	}{
		{"not a list", `archives=nope`, "archives must be a list of mappings"},
		{"no url", `archives=[{"name": "img", "version": "1", "sha256": "ab"}]`, "archive img has no url"},
		{"not served", `archives=[{"name": "img", "version": "1", "sha256": "ab", "url": "salt://none.tar", "saltenv": "base"}]`, "salt://none.tar (saltenv base) is not on the master's file server"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := host.Execute(context.Background(), env, host.Exec, "mc_cloud_lxc.configure_images", host.ParseInput([]string{tc.archives}, nil), nil)
			got := ""
			if res.Err != nil {
				got = res.Err.Error()
			} else if m, ok := res.Return.(*data.Map); ok {
				if v, _ := m.Get("result"); v != false {
					t.Errorf("result %v", v)
				}
				got, _ = m.String("comment")
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
			if ents, _ := os.ReadDir(c.Path()); len(ents) > 1 { // at most the lock
				t.Errorf("left behind: %v", ents)
			}
		})
	}
}
