package alloc

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/saltgo/saltgo/data"
)

// TestRelease: a released VM's IP, MAC, password, additional IP MAC and
// ports are gone from the files (tables rewritten in the pack format, its
// directory removed), the other VM keeps everything, a new VM takes the
// freed address and ports, and a second release is a no-op.
func TestRelease(t *testing.T) {
	ctx := context.Background()
	s := New(t.TempDir())
	reqA := baseReq("a.test")
	reqA.AdditionalMACs = []string{""}
	a, err := s.Allocate(ctx, reqA)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Allocate(ctx, baseReq("b.test"))
	if err != nil {
		t.Fatal(err)
	}
	rel, err := s.Release(ctx, "devhost10.local", "", "a.test")
	if err != nil {
		t.Fatal(err)
	}
	want := Released{IP: a.IP.String(), MAC: a.MAC, SSHPort: a.SSHPort, SNMPPort: a.SNMPPort, Password: true, AdditionalMACs: 1}
	if rel.IP != want.IP || rel.MAC != want.MAC || rel.SSHPort != want.SSHPort || rel.SNMPPort != want.SNMPPort || !rel.Password || rel.AdditionalMACs != 1 {
		t.Fatalf("released %+v, want %+v", rel, want)
	}
	if got := rel.String(); got != "ip 10.5.0.2, mac "+a.MAC+", 1 additional ip mac(s), ssh port 40000, snmp port 30000, password" {
		t.Fatalf("String() = %q", got)
	}
	if _, err := os.Stat(filepath.Join(s.Root, "devhost10local", "lxc", "atest")); !os.IsNotExist(err) {
		t.Fatalf("vm directory left: %v", err)
	}
	tbl, _, err := ReadValue(s.CNSettingPath("devhost10.local", SettingAllocatedIPs))
	if err != nil {
		t.Fatal(err)
	}
	ips, _ := tbl.(*data.Map).Get("ips")
	if ips.(*data.Map).Has("a.test") || !ips.(*data.Map).Has("b.test") {
		t.Fatalf("table %v", tbl)
	}
	for _, st := range []string{SettingSSHMap, SettingSNMPMap} {
		m, _, err := ReadValue(s.CNSettingPath("devhost10.local", st))
		if err != nil || m.(*data.Map).Has("a.test") || !m.(*data.Map).Has("b.test") {
			t.Fatalf("%s: %v %v", st, m, err)
		}
	}
	// b keeps its allocations; a new VM takes a's address and ports.
	b2, err := s.Allocate(ctx, baseReq("b.test"))
	if err != nil || b2.IP != b.IP || b2.MAC != b.MAC || b2.SSHPort != b.SSHPort || len(b2.Written) != 0 {
		t.Fatalf("b after release: %+v %v", b2, err)
	}
	c, err := s.Allocate(ctx, baseReq("c.test"))
	if err != nil || c.IP != a.IP || c.SSHPort != a.SSHPort || c.SNMPPort != a.SNMPPort {
		t.Fatalf("c = %+v, %v; want a's ip %s and ports", c, err, a.IP)
	}
	// Nothing left to release.
	if rel, err := s.Release(ctx, "devhost10.local", "", "a.test"); err != nil || rel.Any() || rel.String() != "nothing" {
		t.Fatalf("second release %+v %v", rel, err)
	}
}

// TestReleaseCorruptTable: a corrupt table changes nothing.
func TestReleaseCorruptTable(t *testing.T) {
	ctx := context.Background()
	s := New(t.TempDir())
	if _, err := s.Allocate(ctx, baseReq("a.test")); err != nil {
		t.Fatal(err)
	}
	p := s.CNSettingPath("devhost10.local", SettingSSHMap)
	if err := os.WriteFile(p, []byte("junk"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Release(ctx, "devhost10.local", "", "a.test"); err == nil {
		t.Fatal("released with a corrupt ssh map")
	}
	if _, err := os.Stat(s.VMSettingPath("devhost10.local", "lxc", "a.test", SettingIP4)); err != nil {
		t.Fatalf("ip4 removed despite the error: %v", err)
	}
}
