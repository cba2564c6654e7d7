//go:build linux && cgo && !nolxc

package helper

import (
	"reflect"
	"strings"
	"testing"

	golxc "github.com/lxc/go-lxc"

	"github.com/saltgo/saltgo/lxc/liblxc"
)

// TestCreateOptionsLVM asserts the exact request liblxc gets for an lvm
// volume (this machine has no device-mapper: not run live): backing lvm,
// the bdev specs VG, LV, size in bytes and fstype; "none" (no template)
// for a clone, which then copies the origin's rootfs onto the volume.
func TestCreateOptionsLVM(t *testing.T) {
	lvm := func(vg, lv, fs string, size uint64) *golxc.BackendStoreSpecs {
		s := &golxc.BackendStoreSpecs{FSType: fs, FSSize: size}
		s.LVM.VG, s.LVM.LV = vg, lv
		return s
	}
	for _, tc := range []struct {
		name     string
		plan     liblxc.Plan
		template string
		want     golxc.TemplateOptions
		err      string
	}{
		{name: "lvm-scratch", plan: liblxc.Plan{Name: "gfoobar2", Template: "debian", Backend: "lvm", VG: "data", LV: "gfoobar2", FSType: "ext4", SizeBytes: 500 << 20}, template: "debian",
			want: golxc.TemplateOptions{Template: "debian", Backend: golxc.LVM, BackendSpecs: lvm("data", "gfoobar2", "ext4", 524288000)}},
		{name: "lvm clone (bare volume)", plan: liblxc.Plan{Name: "gfoobar.test.com", Clone: true, Origin: "makina-states-precise", Backend: "lvm", VG: "lxc", LV: "gfoobar.test.com", FSType: "ext4", SizeBytes: 5 << 30}, template: "none",
			want: golxc.TemplateOptions{Template: "none", Backend: golxc.LVM, BackendSpecs: lvm("lxc", "gfoobar.test.com", "ext4", 5368709120)}},
		{name: "dir", plan: liblxc.Plan{Name: "a", Template: "busybox", Backend: "dir", TemplateArgs: []string{"-x"}}, template: "busybox",
			want: golxc.TemplateOptions{Template: "busybox", Backend: golxc.Directory, ExtraArgs: []string{"-x"}}},
		{name: "overlayfs", plan: liblxc.Plan{Name: "a", Template: "busybox", Backend: "overlayfs"}, template: "busybox",
			want: golxc.TemplateOptions{Template: "busybox", Backend: golxc.Overlayfs}},
		{name: "lvm without size", plan: liblxc.Plan{Name: "a", Backend: "lvm", VG: "lxc", LV: "a", FSType: "ext4"}, template: "none", err: "lvm plan of a needs vg, lv, size and fstype"},
		{name: "unknown backing", plan: liblxc.Plan{Name: "a", Backend: "btrfsx"}, template: "none", err: `unknown backing store "btrfsx"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := createOptions(&tc.plan, tc.template)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("\n got %+v %+v\nwant %+v %+v", got, got.BackendSpecs, tc.want, tc.want.BackendSpecs)
			}
		})
	}
}

func TestOriginConfig(t *testing.T) {
	cfg := `# Template used to create this container: /usr/share/lxc/templates/lxc-busybox
lxc.include = /usr/share/lxc/config/common.conf
lxc.rootfs.path = dir:/var/lib/lxc/makina-states-precise/rootfs
lxc.uts.name = makina-states-precise
lxc.net.0.type = veth
lxc.net.0.hwaddr = 00:16:3e:00:00:01
lxc.log.file = /tmp/x
lxc.arch = linux64
lxc.mount.entry = /lib lib none ro,bind 0 0
`
	want := []liblxc.ConfItem{
		{Key: "lxc.include", Value: "/usr/share/lxc/config/common.conf"},
		{Key: "lxc.arch", Value: "linux64"},
		{Key: "lxc.mount.entry", Value: "/lib lib none ro,bind 0 0"},
	}
	if got := originConfig(cfg); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v", got)
	}
}
