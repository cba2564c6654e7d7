package mccloudlxc

import (
	"context"
	"reflect"
	"testing"

	"github.com/saltgo/saltgo/cloud/examples"
	"github.com/saltgo/saltgo/cloud/settings"
	"github.com/saltgo/saltgo/lxc/liblxc"
	"github.com/saltgo/saltgo/lxc/provision"
)

// TestLVMPlanFromSettings follows an lvm VM from the controller's
// settings to the node's liblxc plan: get_settings_for_vm keeps size None
// (quirk 7) and the salt-cloud profile name; the mapping the runner sends
// carries the size of the size profile (the pillar may customise it), and
// the node plans the volume from it (it used to look the profile name up
// as a size: `unknown size profile "ms-...-small-lvm"`).
func TestLVMPlanFromSettings(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		override map[string]any
		vm       string
		want     liblxc.Plan
	}{
		{name: "seed gfoobar small lvm", vm: "gfoobar.test.com",
			want: liblxc.Plan{Name: "gfoobar.test.com", Clone: true, Origin: "makina-states-precise", Backend: "lvm", VG: "lxc", LV: "gfoobar.test.com", FSType: "ext4", SizeBytes: 5 << 30}},
		{name: "customised size profile and vgname", vm: "gfoobar4.test.com",
			override: map[string]any{"makina-states.cloud.lxc.lxc_cloud_profiles.small.size": "7g", "makina-states.cloud.lxc.defaults.vgname": "data"},
			want:     liblxc.Plan{Name: "gfoobar4.test.com", Clone: true, Origin: "makina-states-precise", Backend: "lvm", VG: "data", LV: "gfoobar4.test.com", FSType: "ext4", SizeBytes: 7 << 30}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := examples.Pillar()
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.override {
				p.Set(k, v)
			}
			s, err := settings.Load(p, settings.Options{MinionID: examples.ComputeNode, Grains: examples.Grains(), AllocRoot: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			v, err := s.GetSettingsForVM(ctx, examples.ComputeNode, tc.vm, true)
			if err != nil {
				t.Fatal(err)
			}
			out := v.ToMap()
			if sz, ok := out.Get("size"); !ok || sz != nil {
				t.Fatalf("get_settings_for_vm size = %v (present %v), want None (quirk 7)", sz, ok)
			}
			if prof, _ := out.String("profile"); prof != "ms-devhost10-local-small-lvm" {
				t.Fatalf("profile %q", prof)
			}
			// The controller's mapping, as the node receives it.
			nv, err := settings.VMFromMap(examples.ComputeNode, v.SpawnMap())
			if err != nil {
				t.Fatal(err)
			}
			ls, err := FromVM(nv)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := provision.BuildPlan(ls)
			if err != nil {
				t.Fatal(err)
			}
			plan.Kind = ""
			if !reflect.DeepEqual(*plan, tc.want) {
				t.Fatalf("plan\n got %+v\nwant %+v", *plan, tc.want)
			}
			// Its lxc config: the network of the settings, as for every type
			// (liblxc itself writes lxc.rootfs.path = lvm:/dev/<vg>/<lv>).
			cfg, err := provision.BuildConfig(ls, "/var/lib/lxc")
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, it := range cfg.Set {
				got[it.Key] = it.Value
			}
			for k, want := range map[string]string{
				"lxc.net.0.ipv4.address": nv.IP + "/16", "lxc.net.0.hwaddr": nv.MAC, "lxc.net.0.link": "lxcbr1",
				"lxc.net.0.ipv4.gateway": "10.5.0.1", "lxc.start.auto": "1",
			} {
				if got[k] != want {
					t.Errorf("%s = %q, want %q", k, got[k], want)
				}
			}
			// The node alone (settings computed from its own pillar) plans
			// the same volume.
			ls2, err := FromVM(v)
			if err != nil {
				t.Fatal(err)
			}
			if plan2, err := provision.BuildPlan(ls2); err != nil || plan2.SizeBytes != tc.want.SizeBytes || plan2.VG != tc.want.VG {
				t.Fatalf("node-alone plan %+v, %v", plan2, err)
			}
		})
	}
}
