package settings

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/cloud/alloc"
	"github.com/saltgo/saltgo/cloud/examples"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/internal/golden"
	"github.com/saltgo/saltgo/transport/payload"
)

var (
	ipRE     = regexp.MustCompile(`^10\.5\.\d{1,3}\.\d{1,3}$`)
	genMACRE = regexp.MustCompile(`^00:16:3e:[0-7][0-9a-f]:[0-9a-f]{2}:[0-9a-f]{2}$`)
	pwRE     = regexp.MustCompile(`^[A-Za-z0-9_]{32}$`)
)

func yamlPillar(t *testing.T, doc string) *data.Map {
	t.Helper()
	p, err := examples.ParseYAML([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func load(t *testing.T, pillar *data.Map, minionID string, root string) *Settings {
	t.Helper()
	s, err := Load(pillar, Options{MinionID: minionID, AllocRoot: root})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// render prints a mapping as "key: python repr" lines, sorted like the
// nested outputter sorts them.
func render(m *data.Map) string {
	var b strings.Builder
	for _, k := range m.SortedKeys() {
		v, _ := m.Get(k)
		fmt.Fprintf(&b, "%v: %s\n", k, pyRepr(v))
	}
	return b.String()
}

// pyRepr is Python's repr of v with dict keys sorted, as the documented
// outputs show them.
func pyRepr(v any) string { return data.Repr(sortKeys(v)) }

// sortKeys copies v with every dict's keys in sorted order.
func sortKeys(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = sortKeys(e)
		}
		return out
	case *data.Map:
		out := data.NewMap()
		for _, k := range x.SortedKeys() {
			e, _ := x.Get(k)
			out.Set(k, sortKeys(e))
		}
		return out
	}
	return v
}

// maskGenerated checks ip, mac and password by format and masks them.
func maskGenerated(t *testing.T, m *data.Map) {
	t.Helper()
	for k, re := range map[string]*regexp.Regexp{"ip": ipRE, "mac": genMACRE, "password": pwRE} {
		s, _ := m.String(k)
		if !re.MatchString(s) {
			t.Errorf("%s = %q does not match %s", k, s, re)
		}
		m.Set(k, "<"+k+">")
	}
}

// loadExample loads the embedded example pillar and grains, allocating in
// a fresh temporary directory.
func loadExample(t *testing.T) *Settings {
	t.Helper()
	p, err := examples.Pillar()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Load(p, Options{Grains: examples.Grains(), AllocRoot: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDocExampleGolden reproduces the documented output of
// `mastersalt-call mc_cloud_lxc.get_settings_for_vm devhost10.local
// nmdcarto51.test.com` (controller = compute node, devhost), plus the era C
// keys, from the embedded example pillar.
func TestDocExampleGolden(t *testing.T) {
	s := loadExample(t)
	vm, err := s.GetSettingsForVM(context.Background(), examples.ComputeNode, examples.DocVM, true)
	if err != nil {
		t.Fatal(err)
	}
	m := vm.ToMap()
	// The 38 documented keys, then saltgo's ssh_route.
	if m.Len() != 39 || m.Keys()[38] != RouteKey {
		t.Errorf("%d keys, want 38 and %s last: %v", m.Len(), RouteKey, m.Keys())
	}
	if r, _ := m.String(RouteKey); r != "ssh -p 40000 root@devhost10.local" {
		t.Errorf("%s = %q", RouteKey, r)
	}
	for _, k := range append(append([]string{}, EraAKeys...), EraCKeys...) {
		if !m.Has(k) {
			t.Errorf("missing key %s", k)
		}
	}
	maskGenerated(t, m)
	golden.Text(t, "nmdcarto51.golden", render(m))

	// The document's printed values, key for key.
	doc := map[string]string{
		"autostart": "True", "backing": "'overlayfs'", "bootsalt_branch": "'master'", "bridge": "'lxcbr1'",
		"dnsservers": "['8.8.8.8', '4.4.4.4']", "domains": "['nmdcarto51.test.com']",
		"from_container": "'makina-states-precise'", "gateway": "'10.5.0.1'", "image": "'ubuntu'",
		"lxc_conf": "[]", "lxc_conf_unset": "[]", "master": "'10.5.0.1'", "master_port": "4606",
		"mode": "'mastersalt'", "name": "'nmdcarto51.test.com'", "netmask": "'16'", "network": "'10.5.0.0'",
		"profile": "'ms-devhost10-local-overlayfs'", "script_args": "'-C --from-salt-cloud --mastersalt-minion -b master'",
		"snapshot": "True", "ssh_gateway": "'devhost10.local'", "ssh_gateway_key": "'/root/.ssh/id_dsa'",
		"ssh_gateway_password": "None", "ssh_gateway_port": "22", "ssh_gateway_user": "'root'",
		"ssh_reverse_proxy_port": "40000", "ssh_username": "'ubuntu'", "sudo": "True", "users": "['root', 'sysadmin']",
		// era C additions (spec 4.3/4.4)
		"additional_ips": "[]", "bootstrap_shell": "'bash'", "fstab": "None", "main_bridge": "'br0'",
		"script": "'/srv/mastersalt/makina-states/_scripts/boot-salt.sh'", "snmp_reverse_proxy_port": "30000",
	}
	for k, want := range doc {
		v, _ := m.Get(k)
		if got := pyRepr(v); got != want {
			t.Errorf("%s = %s, want %s", k, got, want)
		}
	}
}

// TestEraCMinimal is spec 4.4's second example: a compute node that is not
// the controller, default settings, first VM.
func TestEraCMinimal(t *testing.T) {
	p := yamlPillar(t, "makina-states.cloud.lxc.vms.cn1.local:\n  vm1.foo.com: {}\n")
	s := load(t, p, "ctl.example", t.TempDir())
	vm, err := s.GetSettingsForVM(context.Background(), "cn1.local", "vm1.foo.com", true)
	if err != nil {
		t.Fatal(err)
	}
	m := vm.ToMap()
	pw, _ := m.String("password")
	if !pwRE.MatchString(pw) {
		t.Errorf("password %q", pw)
	}
	m.Set("password", "<password>")
	mac, _ := m.String("mac")
	if !genMACRE.MatchString(mac) {
		t.Errorf("mac %q", mac)
	}
	m.Set("mac", "<mac>")
	golden.Text(t, "cn1-minimal.golden", render(m))
	if vm.IP != "10.5.0.2" || vm.Master != "ctl.example" || vm.Backing != "dir" || vm.Profile != "ms-cn1-local-dir" {
		t.Errorf("%+v", vm)
	}
	// Password persisted: a second call returns the same one.
	vm2, err := s.GetSettingsForVM(context.Background(), "cn1.local", "vm1.foo.com", false)
	if err != nil {
		t.Fatal(err)
	}
	if vm2.Password != vm.Password || vm2.MAC != vm.MAC || vm2.IP != vm.IP {
		t.Error("second call differs")
	}
	if m2 := vm2.ToMap(); m2.Has("ssh_reverse_proxy_port") || m2.Has("snmp_reverse_proxy_port") || m2.Len() != 36 {
		t.Errorf("full=False map has %d keys", m2.Len())
	}
}

func TestProfileNamesAndBacking(t *testing.T) {
	tests := []struct {
		ptype, profile, backing string
		lvm                     bool
		from                    string
	}{
		// backing: the one the spawn builds (provision.BuiltBacking);
		// makina reported dir, overlayfs, dir and overlayfs for the lvm
		// types and dir-scratch.
		{"lvm", "ms-devhost10-local-medium-lvm", "lvm", true, "makina-states-trusty"},
		{"lvm-scratch", "ms-devhost10-local-lvm-scratch", "lvm", true, "None"},
		{"lvm-sratch", "ms-devhost10-local-medium-lvm-sratch", "lvm", true, "makina-states-trusty"},
		{"dir", "ms-devhost10-local-dir", "dir", false, "makina-states-trusty"},
		{"dir-scratch", "ms-devhost10-local-dir-scratch", "dir", false, "None"},
		{"overlayfs", "ms-devhost10-local-overlayfs", "overlayfs", false, "makina-states-trusty"},
		{"overlayfs-scratch", "ms-devhost10-local-overlayfs-scratch", "overlayfs", false, "None"},
	}
	for _, tc := range tests {
		t.Run(tc.ptype, func(t *testing.T) {
			p := yamlPillar(t, fmt.Sprintf("makina-states.cloud.lxc.vms.devhost10.local:\n  v.test:\n    profile_type: %s\n", tc.ptype))
			s := load(t, p, "ctl", t.TempDir())
			vm, err := s.GetSettingsForVM(context.Background(), "devhost10.local", "v.test", false)
			if err != nil {
				t.Fatal(err)
			}
			m := vm.ToMap()
			from, _ := m.Get("from_container")
			if vm.Profile != tc.profile || vm.Backing != tc.backing || (vm.LVM != nil) != tc.lvm || pyRepr(from) != pyRepr(tc.from) && !(from == nil && tc.from == "None") {
				t.Errorf("profile %s backing %s lvm %v from %v", vm.Profile, vm.Backing, vm.LVM != nil, from)
			}
			if pt, _ := m.String("profile_type"); pt != tc.ptype {
				t.Errorf("profile_type extra key = %q", pt)
			}
			// full=False: 36 keys, +size/vgname/lvname, +profile_type.
			if tc.lvm && (m.Len() != 40 || !m.Has("vgname")) {
				t.Errorf("lvm map has %d keys", m.Len())
			}
		})
	}
	if got := ProfileName("devhost10.local", "small", "lvm"); got != "ms-devhost10-local-small-lvm" {
		t.Error(got)
	}
}

// TestPillarForms: each documented form is read with its per-VM keys.
func TestPillarForms(t *testing.T) {
	forms := map[string]string{
		"code form": "makina-states.cloud.lxc.vms.cn.local:\n  v.test: {ip: 10.5.3.3, cpu: 2}\n",
		"doc form":  "makina-states.services.cloud.lxc.targets.cn.local:\n  v.test: {ip: 10.5.3.3, cpu: 2}\n",
		"nested":    "makina-states.cloud.lxc:\n  vms:\n    cn.local:\n      v.test: {ip: 10.5.3.3, cpu: 2}\n",
		"vms key":   "makina-states.cloud.lxc.vms:\n  cn.local:\n    v.test: {ip: 10.5.3.3, cpu: 2}\n",
		"per-vm":    "makina-states.cloud.lxc.vms.cn.local.v.test: {ip: 10.5.3.3, cpu: 2}\n",
		"per-vm with cn": "makina-states.cloud.lxc.vms.cn.local:\n  other.test: {}\n" +
			"makina-states.cloud.lxc.vms.cn.local.v.test: {ip: 10.5.3.3, cpu: 2}\n",
	}
	for name, doc := range forms {
		t.Run(name, func(t *testing.T) {
			s := load(t, yamlPillar(t, doc), "ctl", t.TempDir())
			vm, err := s.GetSettingsForVM(context.Background(), "cn.local", "v.test", true)
			if err != nil {
				t.Fatal(err)
			}
			if cpu, _ := vm.Extra.Get("cpu"); vm.IP != "10.5.3.3" || cpu != int64(2) {
				t.Fatalf("ip %s cpu %v", vm.IP, cpu)
			}
			if name != "per-vm" {
				if vms := s.VMs()["cn.local"]; !contains(vms, "v.test") {
					t.Errorf("VMs() = %v", s.VMs())
				}
			}
		})
	}
	// A compute node mapped to null has no VMs.
	s := load(t, yamlPillar(t, "makina-states.cloud.lxc.vms.cn.local: null\n"), "ctl", t.TempDir())
	if vms, ok := s.VMs()["cn.local"]; !ok || len(vms) != 0 {
		t.Errorf("null cn: %v", s.VMs())
	}
}

func contains(l []string, s string) bool {
	for _, e := range l {
		if e == s {
			return true
		}
	}
	return false
}

func TestDuplicateDeclaration(t *testing.T) {
	doc := "makina-states.cloud.lxc.vms.cn.local:\n  v.test: {}\n" +
		"makina-states.services.cloud.lxc.targets.cn.local:\n  v.test: {ip: 10.5.3.3}\n"
	_, err := Load(yamlPillar(t, doc), Options{MinionID: "ctl", AllocRoot: t.TempDir()})
	var de *DuplicateError
	if !errors.As(err, &de) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"makina-states.cloud.lxc.vms.cn.local", "makina-states.services.cloud.lxc.targets.cn.local", "v.test"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

// TestNullVM: the original crashed with AttributeError.
func TestNullVM(t *testing.T) {
	s := load(t, yamlPillar(t, "makina-states.cloud.lxc.vms.cn.local:\n  v.test: null\n"), "ctl", t.TempDir())
	vm, err := s.GetSettingsForVM(context.Background(), "cn.local", "v.test", true)
	if err != nil {
		t.Fatal(err)
	}
	if vm.IP != "10.5.0.2" || vm.Name != "v.test" {
		t.Fatalf("%+v", vm)
	}
}

// TestBadPillar: each bad entry gives an error naming the compute node, the
// VM and the key, and nothing is allocated or persisted.
func TestBadPillar(t *testing.T) {
	tests := []struct {
		name, entry, key string
		other            string // another VM's entry
	}{
		{"ip outside the network", "{ip: 10.6.0.3}", "ip", ""},
		{"ip not an address", "{ip: foo}", "ip", ""},
		{"ip is the gateway", "{ip: 10.5.0.1}", "ip", ""},
		{"ip is the network address", "{ip: 10.5.0.0}", "ip", ""},
		{"ip is the broadcast address", "{ip: 10.5.255.255}", "ip", ""},
		{"duplicate explicit ip", "{ip: 10.5.10.17}", "ip", "{ip: 10.5.10.17}"},
		{"unknown profile type", "{profile_type: lvm-thin}", "profile_type", ""},
		{"unknown size profile", "{profile: huge, profile_type: lvm}", "profile", ""},
		{"unknown size profile, dir type", "{profile: huge}", "profile", ""},
		{"non-mapping entry", "[ip, 10.5.0.3]", "", ""},
		{"string entry", "foo", "", ""},
		{"bad mac", "{mac: 'zz:16:3e:00:00:01'}", "mac", ""},
		{"duplicate explicit mac", "{mac: '00:16:3e:00:00:01'}", "mac", "{mac: '00:16:3e:00:00:01'}"},
		{"users not a list", "{users: root}", "users", ""},
		{"bad netmask", "{netmask: 33}", "netmask", ""},
		{"bad network", "{network: 10.5.0}", "network", ""},
		{"additional ip without ip", "{additional_ips: [{gateway: 1.2.3.4}]}", "additional_ips[0].ip", ""},
		{"additional ips not a list", "{additional_ips: 3}", "additional_ips", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := "makina-states.cloud.lxc.vms.cn.local:\n  bad.test: " + tc.entry + "\n"
			if tc.other != "" {
				doc += "  other.test: " + tc.other + "\n"
			}
			root := t.TempDir()
			s := load(t, yamlPillar(t, doc), "ctl", root)
			_, err := s.GetSettingsForVM(context.Background(), "cn.local", "bad.test", true)
			var pe *PillarError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v", err)
			}
			if pe.CN != "cn.local" || pe.VM != "bad.test" || pe.Key != tc.key {
				t.Errorf("error names cn %q vm %q key %q: %v", pe.CN, pe.VM, pe.Key, err)
			}
			msg := err.Error()
			for _, want := range []string{"cn.local", "bad.test", tc.key} {
				if !strings.Contains(msg, want) {
					t.Errorf("%q lacks %q", msg, want)
				}
			}
			filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					t.Errorf("persisted %s", p)
				}
				return nil
			})
		})
	}
}

// TestExplicitIPsAvoided: an allocated IP never takes an IP set explicitly
// for another VM, even one never queried, nor the gateway.
func TestExplicitIPsAvoided(t *testing.T) {
	doc := "makina-states.cloud.lxc.vms.cn.local:\n  a.test: {ip: 10.5.0.2}\n  b.test: {}\n" +
		"makina-states.services.cloud.lxc.targets.cn.local:\n  c.test: {ip: 10.5.0.3}\n"
	s := load(t, yamlPillar(t, doc), "ctl", t.TempDir())
	vm, err := s.GetSettingsForVM(context.Background(), "cn.local", "b.test", true)
	if err != nil {
		t.Fatal(err)
	}
	if vm.IP != "10.5.0.4" {
		t.Fatalf("ip %s, want 10.5.0.4", vm.IP)
	}
	// The gateway moved into the pool: it is still skipped.
	doc = "makina-states.cloud.lxc.defaults.gateway: 10.5.0.2\nmakina-states.cloud.lxc.vms.cn.local:\n  b.test: {}\n"
	s = load(t, yamlPillar(t, doc), "ctl", t.TempDir())
	if vm, err = s.GetSettingsForVM(context.Background(), "cn.local", "b.test", true); err != nil || vm.IP != "10.5.0.3" {
		t.Fatalf("ip %v err %v", vm, err)
	}
}

// TestBackingIsBuilt: a dir clone with snapshot reports the overlayfs
// it builds; a per-VM backing the profile type does not build is refused
// with the VM and the key named, and nothing is allocated.
func TestBackingIsBuilt(t *testing.T) {
	for _, tc := range []struct{ vm, want, err string }{
		{vm: "profile_type: dir\n    snapshot: true", want: "overlayfs"},
		{vm: "profile_type: dir\n    snapshot: true\n    backing: dir", want: "overlayfs"},
		{vm: "profile_type: dir-scratch\n    backing: dir", want: "dir"},
		{vm: "profile_type: dir-scratch\n    backing: overlayfs", err: `backing "overlayfs" is not what profile_type dir-scratch builds (dir)`},
		{vm: "profile_type: lvm\n    backing: dir", err: `backing "dir" is not what profile_type lvm builds (lvm)`},
	} {
		root := t.TempDir()
		s := load(t, yamlPillar(t, "makina-states.cloud.lxc.vms.cn.local:\n  v.test:\n    "+tc.vm+"\n"), "ctl", root)
		vm, err := s.GetSettingsForVM(context.Background(), "cn.local", "v.test", true)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "v.test") {
				t.Errorf("%q: err %v, want %q", tc.vm, err, tc.err)
			}
			if ents, _ := os.ReadDir(filepath.Join(root, "cnlocal")); len(ents) > 0 {
				t.Errorf("%q: a refused VM allocated %v", tc.vm, ents)
			}
			continue
		}
		if err != nil || vm.Backing != tc.want {
			t.Errorf("%q: backing %v, %v; want %s", tc.vm, vm, err, tc.want)
		}
	}
}

func TestPerVMValues(t *testing.T) {
	doc := `makina-states.cloud.lxc.vms.cn.local:
  v.test:
    domains: [zz.test, v.test, aa.test]
    script_args: -C -b stable
    ssh_gateway_password: secret
    ssh_gateway_key: /my/key
    size: 3g
    backing: lvm
    profile_type: lvm
    profile: ms-custom-profile
    mode: salt
    additional_ips:
      - {ip: 1.2.3.4, gateway: 1.2.3.1, comment: fo}
`
	root := t.TempDir()
	s := load(t, yamlPillar(t, doc), "ctl", root)
	vm, err := s.GetSettingsForVM(context.Background(), "cn.local", "v.test", true)
	if err != nil {
		t.Fatal(err)
	}
	m := vm.ToMap()
	checks := map[string]string{
		"domains":         "['v.test', 'aa.test', 'zz.test']",
		"script_args":     "'-C -b stable -b master'", // quirk 8 kept
		"ssh_gateway_key": "'/root/.ssh/id_dsa'",      // quirk 9 kept
		"size":            "'3g'",
		"backing":         "'lvm'",
		"profile":         "'ms-custom-profile'",
		"gateway":         "None", // quirk 11 kept
	}
	for k, want := range checks {
		v, _ := m.Get(k)
		if got := pyRepr(v); got != want {
			t.Errorf("%s = %s, want %s", k, got, want)
		}
	}
	if len(vm.AdditionalIPs) != 1 || !genMACRE.MatchString(vm.AdditionalIPs[0].MAC) {
		t.Fatalf("additional ip mac not generated on the first call: %+v", vm.AdditionalIPs)
	}
	aip, _ := m.Get("additional_ips")
	got := pyRepr(aip)
	if !strings.Contains(got, "'comment': 'fo'") || !strings.Contains(got, "'link': 'br0'") || !strings.Contains(got, "'netmask': '32'") {
		t.Errorf("additional_ips = %s", got)
	}
	if !strings.Contains(render(m), "script: '/srv/mastersalt/makina-states/_scripts/boot-salt.sh'") {
		t.Error("script")
	}
	// The generated additional-ip MAC is stored and returned again.
	vm2, err := s.GetSettingsForVM(context.Background(), "cn.local", "v.test", true)
	if err != nil || vm2.AdditionalIPs[0].MAC != vm.AdditionalIPs[0].MAC {
		t.Fatalf("aip mac not stable: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "cnlocal/lxc/vtest/settings/cn.local_v.test_0_aip_fo.pack")); err != nil {
		t.Error(err)
	}
}

func TestMergeRules(t *testing.T) {
	tests := []struct {
		name, doc, key, want string
	}{
		{"default", "", "dnsservers", "['8.8.8.8', '4.4.4.4']"},
		{"flat list appends twice", "makina-states.cloud.lxc.dnsservers: [1.1.1.1]\n", "dnsservers", "['8.8.8.8', '4.4.4.4', '1.1.1.1', '1.1.1.1']"},
		{"overrides replace", "makina-states.cloud.lxc.dnsservers-overrides: [1.1.1.1]\n", "dnsservers", "['1.1.1.1']"},
		{"nested replaces", "makina-states.cloud.lxc: {dnsservers: [1.1.1.1]}\n", "dnsservers", "['1.1.1.1']"},
		{"flat default list replaces", "makina-states.cloud.lxc.defaults.users: [bob]\n", "users", "['bob']"},
		{"flat default scalar", "makina-states.cloud.lxc.defaults.bridge: br9\n", "bridge", "'br9'"},
		{"nested default", "makina-states.cloud.lxc: {defaults: {bridge: br8}}\n", "bridge", "'br8'"},
		{"defaults dict merge", "makina-states.cloud.lxc.defaults: {bridge: br7}\n", "image", "'ubuntu'"},
		{"overrides beat flat", "makina-states.cloud.lxc.defaults.bridge: br9\nmakina-states.cloud.lxc.defaults.bridge-overrides: br6\n", "bridge", "'br6'"},
		{"toggle ignored", "makina-states.cloud.lxc: true\n", "bridge", "'lxcbr1'"},
		{"interpolation", "makina-states.cloud.root: /opt/ms\n", "script", "'/opt/ms/makina-states/_scripts/boot-salt.sh'"},
		{"defaults dnsservers", "makina-states.cloud.lxc.defaults.dnsservers: [9.9.9.9]\n", "dnsservers", "['9.9.9.9']"},
		{"branch from env", "makina-states.localsettings.env.default_env: prod\n", "bootsalt_branch", "'stable'"},
		{"configured branch", "makina-states.cloud.bootsalt_branch: v2\n", "script_args", "'-C --from-salt-cloud --mastersalt-minion -b v2'"},
		{"salt mode args", "makina-states.cloud.lxc.defaults.mode: salt\n", "script_args", "'-C --from-salt-cloud -no-M -b master'"},
		{"master is the minion id", "", "master", "'ctl'"},
		{"size profile added by pillar", "makina-states.cloud.lxc.lxc_cloud_profiles.huge: {size: 9000g}\nmakina-states.cloud.lxc.defaults.profile: huge\nmakina-states.cloud.lxc.defaults.profile_type: lvm\n", "profile", "'ms-cn-local-huge-lvm'"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := load(t, yamlPillar(t, tc.doc+"makina-states.cloud.lxc.vms.cn.local: {v.test: {}}\n"), "ctl", t.TempDir())
			vm, err := s.GetSettingsForVM(context.Background(), "cn.local", "v.test", false)
			if err != nil {
				t.Fatal(err)
			}
			v, _ := vm.ToMap().Get(tc.key)
			if got := pyRepr(v); got != tc.want {
				t.Errorf("%s = %s, want %s", tc.key, got, tc.want)
			}
		})
	}
}

func TestPortRanges(t *testing.T) {
	tests := []struct {
		doc       string
		ssh, snmp [2]int
		bad       bool
	}{
		{"", [2]int{40000, 50000}, [2]int{30000, 39999}, false},
		// quirk 15 fixed: the end no longer reads ssh_start_port.
		{"makina-states.cloud.compute_node.ssh_start_port: 41000\n", [2]int{41000, 50000}, [2]int{30000, 39999}, false},
		{"makina-states.cloud.compute_node.ssh_end_port: 40010\nmakina-states.cloud.compute_node.snmp_end_port: 30005\n", [2]int{40000, 40010}, [2]int{30000, 30005}, false},
		{"makina-states.cloud.compute_node.ssh_port_range_start: 42000\n", [2]int{42000, 50000}, [2]int{30000, 39999}, false},
		{"makina-states.cloud.compute_node.ssh_start_port: 60000\n", [2]int{}, [2]int{}, true},
	}
	for i, tc := range tests {
		s, err := Load(yamlPillar(t, tc.doc+"x: 1\n"), Options{MinionID: "ctl", AllocRoot: t.TempDir()})
		if tc.bad {
			if err == nil || !strings.Contains(err.Error(), "ssh port range") {
				t.Errorf("%d: err = %v", i, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got := s.ComputeNode
		if got.SSHPorts.Start != tc.ssh[0] || got.SSHPorts.End != tc.ssh[1] || got.SNMPPorts.Start != tc.snmp[0] || got.SNMPPorts.End != tc.snmp[1] {
			t.Errorf("%d: %+v", i, got)
		}
	}
}

// TestExampleVMs runs every example VM, as make run does.
func TestExampleVMs(t *testing.T) {
	s := loadExample(t)
	got := s.VMs()[examples.ComputeNode]
	want := append([]string(nil), examples.VMs...)
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("VMs() = %v", got)
	}
	ips := map[string]string{}
	for _, name := range examples.VMs {
		vm, err := s.GetSettingsForVM(context.Background(), examples.ComputeNode, name, true)
		if err != nil {
			t.Fatal(err)
		}
		if other, dup := ips[vm.IP]; dup {
			t.Errorf("%s and %s share %s", name, other, vm.IP)
		}
		ips[vm.IP] = name
	}
	if ips["10.5.10.17"] != "gfoobar3.test.com" || ips["10.5.10.18"] != "gfoobar2.test.com" {
		t.Errorf("explicit ips: %v", ips)
	}
}

func TestDocumentedKeyNestedForm(t *testing.T) {
	p := data.M("makina-states.services.cloud.lxc.targets", data.M("cn1.local", data.M("vm1.test", data.M("ip", "10.5.0.50"))))
	s, err := Load(p, Options{MinionID: "controller", AllocRoot: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	vm, err := s.GetSettingsForVM(context.Background(), "cn1.local", "vm1.test", true)
	if err != nil {
		t.Fatal(err)
	}
	if vm.IP != "10.5.0.50" {
		t.Fatalf("ip = %s, want the nested pillar's 10.5.0.50", vm.IP)
	}
	if _, err := s.GetSettingsForVM(context.Background(), "cn1.local", "undeclared.test", true); err == nil {
		t.Fatal("an undeclared vm must be an error")
	}
}

func TestVMFromMapRoundTrip(t *testing.T) {
	p := data.M("makina-states.cloud.lxc.vms.cn1.local", data.M(
		"vm1.test", data.M("ip", "10.5.0.60", "profile_type", "lvm", "cpu", 2),
		"vm2.test", data.M("additional_ips", []any{data.M("ip", "192.0.2.3", "gateway", "192.0.2.1")})))
	s, err := Load(p, Options{MinionID: "ctl", AllocRoot: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"vm1.test", "vm2.test"} {
		v, err := s.GetSettingsForVM(context.Background(), "cn1.local", name, true)
		if err != nil {
			t.Fatal(err)
		}
		m := v.ToMap()
		back, err := VMFromMap("cn1.local", m)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := back.ToMap(); !payload.Equal(got, m) {
			t.Fatalf("%s: round trip differs:\n%v\n%v", name, got, m)
		}
	}
	if _, err := VMFromMap("cn", data.M("name", "x", "ip", "10.5.0.2", "autostart", "yes")); err == nil {
		t.Fatal("a wrongly typed setting must be refused")
	}
}

// TestResolveFormatsLikePython checks that "{key}" substitution splices in
// the value as Python's str.format does ("x{a}y".format(a=v)): a float 1.0
// gives "1.0", not "1".
func TestResolveFormatsLikePython(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{1.0, "x1.0y"}, {1e16, "x1e+16y"}, {0.5, "x0.5y"}, {2.5e-5, "x2.5e-05y"},
		{true, "xTruey"}, {nil, "xNoney"}, {[]any{"a", int64(1)}, "x['a', 1]y"},
		{data.M("k", 1.0), "x{'k': 1.0}y"}, {int64(22), "x22y"}, {"txt", "xtxty"},
	} {
		d := data.M("a", tc.v, "s", "x{a}y")
		resolve(d)
		if got, _ := d.Get("s"); got != tc.want {
			t.Errorf("x{a}y with a = %s: got %v, want %s", data.Repr(tc.v), got, tc.want)
		}
	}
}

// TestSameAllocationKeyRefused: VM ids equal once their dots are removed
// share the allocation files; the one declared first keeps them, the other
// is refused with an error naming both, whatever the query order, and the
// refused call writes nothing.
func TestSameAllocationKeyRefused(t *testing.T) {
	tests := []struct {
		name, doc string
		first     string // the VM that keeps the key
		refused   string
	}{
		{"one form", "makina-states.cloud.lxc.vms.cn.local:\n  web1.test.com: {}\n  web1t.est.com: {}\n", "web1.test.com", "web1t.est.com"},
		{"one form, other order", "makina-states.cloud.lxc.vms.cn.local:\n  web1t.est.com: {}\n  web1.test.com: {}\n", "web1t.est.com", "web1.test.com"},
		{"no dots at all", "makina-states.cloud.lxc.vms.cn.local:\n  web1.test.com: {}\n  web1testcom: {}\n", "web1.test.com", "web1testcom"},
		// The documented targets form is read before the code form.
		{"two forms", "makina-states.cloud.lxc.vms.cn.local:\n  web1.test.com: {}\n" +
			"makina-states.services.cloud.lxc.targets.cn.local:\n  web1t.est.com: {}\n", "web1t.est.com", "web1.test.com"},
	}
	for _, tc := range tests {
		for _, refusedFirst := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/refused queried first=%v", tc.name, refusedFirst), func(t *testing.T) {
				root := t.TempDir()
				s := load(t, yamlPillar(t, tc.doc), "ctl", root)
				ctx := context.Background()
				refuse := func() {
					t.Helper()
					_, err := s.GetSettingsForVM(ctx, "cn.local", tc.refused, true)
					var ke *alloc.SameKeyError
					if !errors.As(err, &ke) || ke.VM != tc.refused || ke.Other != tc.first {
						t.Fatalf("err = %v", err)
					}
					for _, want := range []string{tc.refused, tc.first, "cn.local", "share one IP, MAC and password"} {
						if !strings.Contains(err.Error(), want) {
							t.Errorf("%q lacks %q", err, want)
						}
					}
				}
				if refusedFirst {
					refuse()
					if ents, _ := os.ReadDir(root); len(ents) != 0 {
						t.Fatalf("the refused call wrote %v", ents)
					}
				}
				before := treeOf(t, root)
				if refusedFirst {
					before = ""
				}
				vm, err := s.GetSettingsForVM(ctx, "cn.local", tc.first, true)
				if err != nil || vm.IP != "10.5.0.2" {
					t.Fatalf("first vm: %+v %v", vm, err)
				}
				after := treeOf(t, root)
				if after == before {
					t.Fatal("the first vm allocated nothing")
				}
				refuse()
				if got := treeOf(t, root); got != after {
					t.Fatalf("the refused call changed the store:\n%s\nwant\n%s", got, after)
				}
			})
		}
	}
}

// TestSameAllocationKeyInStore: a VM whose key is held in the allocation
// table by a VM no longer declared (renamed in the pillar) is refused by
// the allocator, which writes nothing.
func TestSameAllocationKeyInStore(t *testing.T) {
	root := t.TempDir()
	ctx := context.Background()
	s := load(t, yamlPillar(t, "makina-states.cloud.lxc.vms.cn.local:\n  web1t.est.com: {}\n"), "ctl", root)
	if _, err := s.GetSettingsForVM(ctx, "cn.local", "web1t.est.com", true); err != nil {
		t.Fatal(err)
	}
	before := treeOf(t, root)
	s = load(t, yamlPillar(t, "makina-states.cloud.lxc.vms.cn.local:\n  web1.test.com: {}\n"), "ctl", root)
	_, err := s.GetSettingsForVM(ctx, "cn.local", "web1.test.com", true)
	var ke *alloc.SameKeyError
	if !errors.As(err, &ke) || ke.Other != "web1t.est.com" || !strings.Contains(err.Error(), "allocated_ips.pack") {
		t.Fatalf("err = %v", err)
	}
	if got := treeOf(t, root); got != before {
		t.Fatalf("store changed:\n%s\nwant\n%s", got, before)
	}
}

// treeOf lists every file under root with its content's digest.
func treeOf(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		c, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %x\n", strings.TrimPrefix(p, root), sha256.Sum256(c))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
