package alloc

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/saltgo/saltgo/data"
)

// TestPillarIPAndMACWin: an ip or mac set in the pillar after the VM got
// generated ones replaces them (the stored files and the CN table are
// rewritten), stays when the pillar key goes away, and one another VM
// holds is a conflict naming it, with nothing written.
func TestPillarIPAndMACWin(t *testing.T) {
	ctx := context.Background()
	s := New(t.TempDir())
	first, err := s.Allocate(ctx, baseReq("a.test"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.Allocate(ctx, baseReq("b.test"))
	if err != nil {
		t.Fatal(err)
	}
	req := baseReq("a.test")
	req.PillarIP = netip.MustParseAddr("10.5.0.50")
	req.PillarMAC = "00:16:3e:00:00:50"
	res, err := s.Allocate(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if res.IP.String() != "10.5.0.50" || res.MAC != "00:16:3e:00:00:50" || first.IP.String() == "10.5.0.50" {
		t.Fatalf("pillar values lost: %+v (first %+v)", res, first)
	}
	for p, want := range map[string]string{
		s.VMSettingPath("devhost10.local", "lxc", "a.test", SettingIP4): "10.5.0.50",
		s.VMSettingPath("devhost10.local", "lxc", "a.test", SettingMAC): "00:16:3e:00:00:50",
	} {
		if got, _, err := readString(p); err != nil || got != want {
			t.Fatalf("%s = %q, %v; want %s", p, got, err, want)
		}
	}
	tbl, _, _ := ReadValue(s.CNSettingPath("devhost10.local", SettingAllocatedIPs))
	if ip, _ := mapGet(tbl.(*data.Map), "ips").(*data.Map).Get("a.test"); ip != "10.5.0.50" {
		t.Fatalf("table %v", tbl)
	}
	// The pillar key removed: the VM keeps its last address.
	if res, err := s.Allocate(ctx, baseReq("a.test")); err != nil || res.IP.String() != "10.5.0.50" || res.MAC != "00:16:3e:00:00:50" || len(res.Written) != 0 {
		t.Fatalf("after removing the pillar keys: %+v %v", res, err)
	}
	// b's address and mac: conflicts naming b, nothing written.
	req.PillarIP = other.IP
	var ce *ConflictError
	if _, err := s.Allocate(ctx, req); !errors.As(err, &ce) || ce.OtherVM != "b.test" {
		t.Fatalf("ip conflict: %v", err)
	}
	req.PillarIP = netip.MustParseAddr("10.5.0.50")
	req.PillarMAC = other.MAC
	if _, err := s.Allocate(ctx, req); !errors.As(err, &ce) || ce.Key != "mac" {
		t.Fatalf("mac conflict: %v", err)
	}
	if got, _, _ := readString(s.VMSettingPath("devhost10.local", "lxc", "a.test", SettingMAC)); got != "00:16:3e:00:00:50" {
		t.Fatalf("refused mac written: %s", got)
	}
}
