package provision

import (
	"reflect"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/lxc/liblxc"
)

func TestBuildPlan(t *testing.T) {
	for _, tc := range []struct {
		s    Settings
		want liblxc.Plan
		err  string
	}{
		{s: Settings{Name: "a", ProfileType: "dir"}, want: liblxc.Plan{Name: "a", Clone: true, Origin: DefaultOrigin, Backend: "dir"}},
		{s: Settings{Name: "a", ProfileType: "dir", Snapshot: true}, want: liblxc.Plan{Name: "a", Clone: true, Origin: DefaultOrigin, Backend: "overlayfs", Snapshot: true}},
		{s: Settings{Name: "a", ProfileType: "dir-scratch"}, want: liblxc.Plan{Name: "a", Template: "ubuntu", Backend: "dir"}},
		{s: Settings{Name: "a", ProfileType: "overlayfs", FromContainer: "o"}, want: liblxc.Plan{Name: "a", Clone: true, Origin: "o", Backend: "overlayfs", Snapshot: true}},
		{s: Settings{Name: "a", ProfileType: "overlayfs-scratch", Image: "busybox"}, want: liblxc.Plan{Name: "a", Template: "busybox", Backend: "overlayfs"}},
		{s: Settings{Name: "a", ProfileType: "lvm", Profile: "small"}, want: liblxc.Plan{Name: "a", Clone: true, Origin: DefaultOrigin, Backend: "lvm", VG: "lxc", LV: "a", FSType: "ext4", SizeBytes: 5 << 30}},
		{s: Settings{Name: "a", ProfileType: "lvm-sratch", VGName: "data", LVName: "lv1", Size: "500m", Image: "debian"}, want: liblxc.Plan{Name: "a", Template: "debian", Backend: "lvm", VG: "data", LV: "lv1", FSType: "ext4", SizeBytes: 500 << 20}},
		{s: Settings{Name: "a", ProfileType: "lvm-scratch"}, want: liblxc.Plan{Name: "a", Template: "ubuntu", Backend: "lvm", VG: "lxc", LV: "a", FSType: "ext4", SizeBytes: 10 << 30}},
		{s: Settings{Name: "a", Backing: "overlayfs"}, want: liblxc.Plan{Name: "a", Template: "ubuntu", Backend: "overlayfs"}},
		{s: Settings{Name: "a", ProfileType: "lvm", Profile: "small", Snapshot: true}, want: liblxc.Plan{Name: "a", Clone: true, Origin: DefaultOrigin, Backend: "lvm", VG: "lxc", LV: "a", FSType: "ext4", SizeBytes: 5 << 30}},
		{s: Settings{Name: "a", ProfileType: "lvm", Profile: "ms-cn1-xxxsmall-lvm", Size: "500m", VGName: "vg0"}, want: liblxc.Plan{Name: "a", Clone: true, Origin: DefaultOrigin, Backend: "lvm", VG: "vg0", LV: "a", FSType: "ext4", SizeBytes: 500 << 20}},
		{s: Settings{Name: "a", ProfileType: "lvm", Profile: "nope"}, err: `lxc: a: no size for its lvm volume: size is not set and profile "nope" is not a size profile`},
		{s: Settings{Name: "a", ProfileType: "lvm", Profile: "ms-cn1-xxxsmall-lvm"}, err: `profile "ms-cn1-xxxsmall-lvm" is not a size profile`},
		{s: Settings{Name: "a", ProfileType: "lvm", Size: "ten"}, err: "invalid size"},
		{s: Settings{Name: "a", ProfileType: "btrfs"}, err: "unknown profile type"},
		{s: Settings{Name: "a", ProfileType: "dir", FromContainer: "a"}, err: "cloned from itself"},
		{s: Settings{Name: "a/b", ProfileType: "dir"}, err: "invalid container name"},
	} {
		p, err := BuildPlan(&tc.s)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%+v: err %v, want %q", tc.s, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%+v: %v", tc.s, err)
			continue
		}
		p.Kind = ""
		if !reflect.DeepEqual(*p, tc.want) {
			t.Errorf("%+v:\n got %+v\nwant %+v", tc.s, *p, tc.want)
		}
	}
}

func TestBuildConfig(t *testing.T) {
	s := &Settings{Name: "vm1", Bridge: "lxcbr1", IP: "10.5.0.2", Netmask: "255.255.0.0", Gateway: "10.5.0.1",
		MAC: "00:16:3E:00:00:02", Autostart: true, Fstab: []string{"/srv /srv none bind 0 0"},
		AddIPs:   []AdditionalIP{{IP: "1.2.3.4", MAC: "00:16:3e:00:00:03"}},
		LXCConf:  []liblxc.ConfItem{{Key: "lxc.cgroup.memory.limit_in_bytes", Value: "1G"}, {Key: "lxc.tty.max", Value: "2"}},
		LXCUnset: []string{"lxc.tty.max"}}
	c, err := BuildConfig(s, "/var/lib/lxc")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range c.Set {
		got = append(got, it.Key+"="+it.Value)
	}
	want := []string{
		"lxc.net.0.type=veth", "lxc.net.0.link=lxcbr1", "lxc.net.0.flags=up", "lxc.net.0.name=eth0",
		"lxc.net.0.hwaddr=00:16:3e:00:00:02", "lxc.net.0.ipv4.address=10.5.0.2/16", "lxc.net.0.ipv4.gateway=10.5.0.1",
		"lxc.net.1.type=veth", "lxc.net.1.link=br0", "lxc.net.1.flags=up", "lxc.net.1.name=eth1",
		"lxc.net.1.hwaddr=00:16:3e:00:00:03", "lxc.net.1.ipv4.address=1.2.3.4/32",
		"lxc.start.auto=1", "lxc.mount.fstab=/var/lib/lxc/vm1/fstab", "lxc.cgroup.memory.limit_in_bytes=1G",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("set:\n got %q\nwant %q", got, want)
	}
	if !reflect.DeepEqual(c.Clear, []string{"lxc.net", "lxc.start.auto", "lxc.mount.fstab", "lxc.tty.max"}) {
		t.Errorf("clear: %q", c.Clear)
	}
	for _, bad := range []*Settings{
		{Name: "x", MAC: "zz"}, {Name: "x", IP: "1.2.3"}, {Name: "x", Bridge: "a/b"},
		{Name: "x", AddIPs: []AdditionalIP{{IP: "1.2.3.4"}}}, {Name: "x", LXCConf: []liblxc.ConfItem{{Key: "x", Value: "y"}}},
		{Name: "x", IP: "10.0.0.1", Netmask: "255.0.255.0"},
	} {
		if _, err := BuildConfig(bad, "/l"); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestRootfsLayers(t *testing.T) {
	for in, want := range map[string][]string{
		"dir:/a/rootfs":     {"/a/rootfs"},
		"/a/rootfs":         {"/a/rootfs"},
		"overlay:/o/r:/c/d": {"/c/d", "/o/r"},
		"/o/r:/c/overlay/d": {"/c/overlay/d", "/o/r"},
	} {
		got, err := rootfsLayers(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	if _, err := rootfsLayers("lvm:/dev/lxc/a"); err == nil {
		t.Error("lvm accepted")
	}
}
