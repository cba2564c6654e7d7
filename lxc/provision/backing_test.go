package provision

import "testing"

// TestBuiltBackingIsPlanned: what get_settings_for_vm reports as backing
// (BuiltBacking) is the backing BuildPlan asks liblxc for, for every
// profile type, with and without snapshot.
func TestBuiltBackingIsPlanned(t *testing.T) {
	want := map[string][2]string{ // type -> backing without, with snapshot
		"dir": {"dir", "overlayfs"}, "dir-scratch": {"dir", "dir"},
		"overlayfs": {"overlayfs", "overlayfs"}, "overlayfs-scratch": {"overlayfs", "overlayfs"},
		"lvm": {"lvm", "lvm"}, "lvm-scratch": {"lvm", "lvm"}, "lvm-sratch": {"lvm", "lvm"},
	}
	for ptype, w := range want {
		for i, snap := range []bool{false, true} {
			b, err := BuiltBacking(ptype, snap)
			if err != nil || b != w[i] {
				t.Errorf("BuiltBacking(%s, %v) = %q, %v; want %q", ptype, snap, b, err, w[i])
			}
			p, err := BuildPlan(&Settings{Name: "v", ProfileType: ptype, Snapshot: snap, Size: "1g"})
			if err != nil || p.Backend != b {
				t.Errorf("BuildPlan(%s, snapshot %v).Backend = %v, %v; reported %q", ptype, snap, p, err, b)
			}
		}
	}
	if _, err := BuiltBacking("btrfs", false); err == nil {
		t.Error("btrfs accepted")
	}
}
