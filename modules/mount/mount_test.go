package mount_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/modules/mount"
)

const base = "# /etc/fstab\nUUID=abc\t/\text4\terrors=remount-ro\t0 1\n/dev/sdb1 /srv ext4 defaults 0 2\nbroken line\n"

func fstabFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fstab")
	if err := os.WriteFile(p, []byte(body), 0o640); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSetFstab(t *testing.T) {
	tmpfs := mount.Entry{Device: "tmpfs", Name: "/mnt/t", Fstype: "tmpfs", Opts: "size=16m", Dump: "0", PassNum: "0"}
	tests := []struct {
		name    string
		body    string
		e       mount.Entry
		matchOn any
		test    bool
		want    string
		after   string
	}{
		{"new", base, tmpfs, "auto", false, "new", base + "tmpfs\t\t/mnt/t\ttmpfs\tsize=16m\t0 0\n"},
		{"new test", base, tmpfs, "auto", true, "new", base},
		{"present", base + "tmpfs /mnt/t tmpfs size=16m 0 0\n", tmpfs, "auto", false, "present", base + "tmpfs /mnt/t tmpfs size=16m 0 0\n"},
		{"opts order", base + "tmpfs /mnt/t tmpfs mode=755,size=16m\n", mount.Entry{Device: "tmpfs", Name: "/mnt/t", Fstype: "tmpfs", Opts: "size=16m,mode=755", Dump: "0", PassNum: "0"},
			"auto", false, "present", base + "tmpfs /mnt/t tmpfs mode=755,size=16m\n"},
		{"change by name", base + "tmpfs /mnt/t tmpfs size=8m 0 0\n", tmpfs, "auto", false, "change", base + "tmpfs\t\t/mnt/t\ttmpfs\tsize=16m\t0 0\n"},
		{"change by device", base, mount.Entry{Device: "/dev/sdb1", Name: "/srv2", Fstype: "ext4", Opts: "defaults", Dump: "0", PassNum: "2"}, "auto", false, "change",
			strings.Replace(base, "/dev/sdb1 /srv ext4 defaults 0 2\n", "/dev/sdb1\t\t/srv2\text4\tdefaults\t0 2\n", 1)},
		{"match_on name list", base, mount.Entry{Device: "/dev/sdc1", Name: "/srv", Fstype: "ext4", Opts: "defaults", Dump: "0", PassNum: "2"}, []any{"name"}, false, "change",
			strings.Replace(base, "/dev/sdb1 /srv ext4 defaults 0 2\n", "/dev/sdc1\t\t/srv\text4\tdefaults\t0 2\n", 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := fstabFile(t, tc.body)
			got, err := mount.SetFstab(tc.e, p, tc.matchOn, false, tc.test)
			if err != nil || got != tc.want {
				t.Fatalf("SetFstab = %q, %v; want %q", got, err, tc.want)
			}
			b, _ := os.ReadFile(p)
			if string(b) != tc.after {
				t.Errorf("fstab:\n%s\nwant:\n%s", b, tc.after)
			}
			if st, _ := os.Stat(p); st.Mode().Perm() != 0o640 {
				t.Errorf("mode %v, want 0640 kept", st.Mode().Perm())
			}
		})
	}
	if _, err := mount.SetFstab(tmpfs, filepath.Join(t.TempDir(), "none"), "auto", false, false); err == nil || !strings.Contains(err.Error(), `Bad config file "`) {
		t.Errorf("missing fstab: %v", err)
	}
	if _, err := mount.SetFstab(tmpfs, fstabFile(t, base), "bogus", false, false); err == nil || !strings.Contains(err.Error(), "Unrecognized keys in match_on") {
		t.Errorf("bad match_on: %v", err)
	}
}

func TestFstabAndRm(t *testing.T) {
	p := fstabFile(t, base+"tmpfs /mnt/t tmpfs size=16m\ntmpfs /mnt/t tmpfs size=8m 0 0\n")
	m, err := mount.Fstab(p)
	if err != nil {
		t.Fatal(err)
	}
	want := data.M("/", data.M("device", "UUID=abc", "fstype", "ext4", "opts", []any{"errors=remount-ro"}, "dump", "0", "pass", "1"),
		"/srv", data.M("device", "/dev/sdb1", "fstype", "ext4", "opts", []any{"defaults"}, "dump", "0", "pass", "2"),
		"/mnt/t", data.M("device", "tmpfs", "fstype", "tmpfs", "opts", []any{"size=16m"}, "dump", "0", "pass", "0"),
		"/mnt/t_", data.M("device", "tmpfs", "fstype", "tmpfs", "opts", []any{"size=8m"}, "dump", "0", "pass", "0"))
	if !data.Equal(m, want) {
		t.Errorf("Fstab = %v\nwant %v", m, want)
	}
	if err := mount.RmFstab("/mnt/t", "", p); err != nil {
		t.Fatal(err)
	}
	if err := mount.RmFstab("/srv", "/dev/other", p); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != base {
		t.Errorf("after rm_fstab:\n%s", b)
	}
	if err := mount.RmFstab("/x", "", filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("rm_fstab of a missing file succeeded")
	}
	if m, _ := mount.Fstab(filepath.Join(t.TempDir(), "none")); m.Len() != 0 {
		t.Error("a missing fstab is not empty")
	}
}

// TestActive reads this host's mount table (read only): / is mounted.
func TestActive(t *testing.T) {
	a, order, err := mount.Active()
	if err != nil {
		t.Fatal(err)
	}
	if a["/"] == nil || len(order) != len(a) {
		t.Fatalf("no / in the active mounts (%d)", len(a))
	}
	if ok, err := mount.IsMounted("/"); !ok || err != nil {
		t.Errorf("IsMounted(/) = %v, %v", ok, err)
	}
	if ok, _ := mount.IsMounted("/saltgo/not/a/mount"); ok {
		t.Error("IsMounted of a plain path")
	}
	m := a["/"].Map(true)
	for _, k := range []string{"mountid", "parentid", "major", "minor", "root", "opts", "fstype", "device", "alt_device", "superopts", "device_uuid", "device_label"} {
		if !m.Has(k) {
			t.Errorf("extended mount lacks %s", k)
		}
	}
}
