package provision_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/lxc/lxctest"
	"github.com/saltgo/saltgo/lxc/provision"
)

// fakeVGS writes a vgs script answering like lvm2's for the VG "data".
func fakeVGS(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "vgs")
	script := "#!/bin/sh\nfor a; do vg=$a; done\nif [ \"$vg\" = data ]; then echo '  data'; exit 0; fi\necho \"  Volume group \\\"$vg\\\" not found\" >&2\necho '  Cannot process volume group '$vg >&2\nexit 5\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckVG(t *testing.T) {
	ctx := context.Background()
	old := provision.VGSCommand
	defer func() { provision.VGSCommand = old }()
	for _, tc := range []struct {
		name, vgs, vg, err string
	}{
		{name: "exists", vgs: "fake", vg: "data"},
		{name: "missing vg", vgs: "fake", vg: "nope", err: `lxc: gfoobar.test.com: volume group "nope" does not exist on this node (vgs: Volume group "nope" not found`},
		{name: "no lvm2", vgs: "/nonexistent/vgs", vg: "nope", err: `lxc: gfoobar.test.com: volume group "nope" does not exist on this node (no /dev/nope), and lvm2 is not installed (no /nonexistent/vgs)`},
		{name: "bad name", vgs: "fake", vg: "-x", err: `invalid volume group name "-x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			provision.VGSCommand = tc.vgs
			if tc.vgs == "fake" {
				provision.VGSCommand = fakeVGS(t)
			}
			err := provision.CheckVG(ctx, "gfoobar.test.com", tc.vg)
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err %v\nwant %s", err, tc.err)
			}
		})
	}
}

// TestSpawnLVMMissingVG: an lvm VM whose volume group this node lacks is
// refused before liblxc is asked, naming the VM and the VG, and nothing
// is left (this machine has no lvm2: the message says so).
func TestSpawnLVMMissingVG(t *testing.T) {
	t.Parallel()
	_, c, ctx := lxctest.Bridged(t)
	s := busybox(lxctest.Unique("lvm"), "10.5.0.41", "00:16:3e:5a:01:41")
	s.ProfileType, s.VGName, s.Size = "lvm-scratch", "vgmissing", "500m"
	r, err := provision.Spawn(ctx, c, s)
	if err == nil || r.Result {
		t.Fatalf("spawned on a missing VG: %+v", r)
	}
	want := "lxc: " + s.Name + ": volume group \"vgmissing\" does not exist on this node (no /dev/vgmissing), and lvm2 is not installed (no vgs): install lvm2 and create the volume group, or set vgname"
	if _, lerr := exec.LookPath("vgs"); lerr == nil {
		want = "lxc: " + s.Name + ": volume group \"vgmissing\" does not exist on this node (vgs: "
	}
	if !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("err %v\nwant %s", err, want)
	}
	if ok, err := c.Exists(ctx, s.Name); err != nil || ok {
		t.Fatalf("container left: %v %v", ok, err)
	}
	if _, err := os.Stat(filepath.Join(c.Path(), s.Name)); !os.IsNotExist(err) {
		t.Fatalf("directory left: %v", err)
	}
}
