package settings

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/cloud/alloc"
	"github.com/saltgo/saltgo/data"
)

// TestRecordedVMs: a VM recorded by salt-cloud -p is declared for its
// compute node afterwards (get_settings_for_vm answers with its profile's
// values), a pillar declaration wins over a record, and forgetting it
// makes it undeclared again.
func TestRecordedVMs(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	pillar := yamlPillar(t, "makina-states.cloud.lxc.vms.cn1:\n  vm1.example.com: {ip: 10.5.0.11}\n")
	st := alloc.New(root)
	if err := RecordVM(ctx, st, "cn2.example.com", "web.example.com", data.M("profile_type", "dir-scratch", "image", "busybox")); err != nil {
		t.Fatal(err)
	}
	// Recorded under a pillar-declared name: the pillar entry wins.
	if err := RecordVM(ctx, st, "cn2.example.com", "vm1.example.com", data.M("ip", "10.5.0.99")); err != nil {
		t.Fatal(err)
	}
	s := load(t, pillar, "ctl", root)
	if got := s.ComputeNodes(); strings.Join(got, ",") != "cn1,cn2.example.com" {
		t.Errorf("compute nodes %v", got)
	}
	v, err := s.GetSettingsForVM(ctx, "cn2.example.com", "web.example.com", true)
	if err != nil {
		t.Fatal(err)
	}
	if v.ProfileType != "dir-scratch" || v.Image != "busybox" || !ipRE.MatchString(v.IP) || !s.Recorded("cn2.example.com", "web.example.com") {
		t.Errorf("recorded vm settings: %+v recorded=%v", v, s.Recorded("cn2.example.com", "web.example.com"))
	}
	if v, err := s.GetSettingsForVM(ctx, "cn1", "vm1.example.com", false); err != nil || v.IP != "10.5.0.11" || s.Recorded("cn1", "vm1.example.com") {
		t.Errorf("pillar vm: %v %+v", err, v)
	}
	for _, vm := range []string{"web.example.com", "vm1.example.com"} {
		if found, err := ForgetVM(ctx, st, "cn2.example.com", vm); err != nil || !found {
			t.Fatalf("forget %s: %v %v", vm, found, err)
		}
	}
	if found, err := ForgetVM(ctx, st, "cn2.example.com", "web.example.com"); err != nil || found {
		t.Errorf("second forget: %v %v", found, err)
	}
	if _, err := os.Stat(st.CNSettingPath("cn2.example.com", RecordedSetting)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("record file left after its last vm: %v", err)
	}
	s = load(t, pillar, "ctl", root)
	if _, err := s.GetSettingsForVM(ctx, "cn2.example.com", "web.example.com", true); err == nil || !strings.Contains(err.Error(), "is not declared") {
		t.Errorf("forgotten vm: %v", err)
	}
	// A corrupt record is an error naming the file, not silently ignored.
	if err := os.WriteFile(st.CNSettingPath("cn3", RecordedSetting), []byte("junk"), 0o600); err == nil {
		t.Fatal("the settings directory of cn3 should not exist yet")
	}
	if err := alloc.WriteValue(st.CNSettingPath("cn3", RecordedSetting), "junk"); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(pillar, Options{MinionID: "ctl", AllocRoot: root}); err == nil || !strings.Contains(err.Error(), RecordedSetting) {
		t.Errorf("corrupt record: %v", err)
	}
}
