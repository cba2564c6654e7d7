package mccloudlxc

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/internal/mastertest"
)

// modeRig is a mastersalt-run rig whose salt master config (pki_dir,
// ret_port 4506) is saltConf.
func modeRig(t *testing.T, n *fakeNode) (r *rig, saltConf, saltPKI string) {
	t.Helper()
	r = newRig(t, n, seedPillar)
	r.flavour = config.MasterSalt
	saltPKI = filepath.Join(r.dir, "salt-pki")
	must(t, os.MkdirAll(filepath.Join(saltPKI, "minions"), 0o700))
	saltConf = filepath.Join(r.dir, "salt-master", "master")
	must(t, os.MkdirAll(filepath.Dir(saltConf), 0o755))
	must(t, os.WriteFile(saltConf, []byte(fmt.Sprintf("pki_dir: %s\nret_port: 4506\ncachedir: %s\n", saltPKI, filepath.Join(r.dir, "salt-cache"))), 0o644))
	r.opts.Set(OptSaltMasterConfig, saltConf)
	return r, saltConf, saltPKI
}

func TestProvisionThroughModeMaster(t *testing.T) {
	n := healthyNode("cn1", "vm1.example.com", "vm2.example.com")
	r, saltConf, saltPKI := modeRig(t, n)
	// master_port: the ret_port of the master of the VM's mode.
	for vm, want := range map[string]int64{"vm1.example.com": 4606, "vm2.example.com": 4506} {
		got := r.call(t, "get_settings_for_vm", "cn1", vm)
		if p, _ := got.Get("master_port"); p != want {
			t.Errorf("%s master_port = %v, want %d", vm, p, want)
		}
	}
	m := r.call(t, "provision_vms", "cn1")
	if ok, _ := m.Get("result"); ok != true {
		t.Fatalf("provision_vms: %v", m)
	}
	c, _ := m.String("comment")
	for _, want := range []string{
		"minion key of vm1.example.com accepted on the mastersalt master\n",
		"minion key of vm2.example.com accepted on the salt master (" + saltConf + ")",
		"vm1.example.com answers through the mastersalt master\n",
		"vm2.example.com answers through the salt master (" + saltConf + ")",
	} {
		if !strings.Contains(c, want) {
			t.Errorf("comment lacks %q:\n%s", want, c)
		}
	}
	// vm2's key is on the salt master only, vm1's on the runner's.
	for _, k := range []struct {
		path string
		want bool
	}{
		{filepath.Join(saltPKI, "minions", "vm2.example.com"), true},
		{filepath.Join(r.dir, "pki", "minions", "vm2.example.com"), false},
		{filepath.Join(r.dir, "pki", "minions", "vm1.example.com"), true},
		{filepath.Join(saltPKI, "minions", "vm1.example.com"), false},
	} {
		if _, err := os.Stat(k.path); (err == nil) != k.want {
			t.Errorf("%s exists: %v, want %v", k.path, err == nil, k.want)
		}
	}
	// destroy deletes vm2's key through the salt master.
	m = r.call(t, "destroy_vm", "vm2.example.com")
	c, _ = m.String("comment")
	if ok, _ := m.Get("result"); ok != true || !strings.Contains(c, "Minion key of vm2.example.com: deleted") {
		t.Errorf("destroy_vm: %v", m)
	}
	if !strings.Contains(r.progress.String(), "key.delete: ok (deleted from the salt master ("+saltConf+"))") {
		t.Errorf("progress:\n%s", r.progress.String())
	}
}

func TestModeMasterBadInput(t *testing.T) {
	t.Run("other master config missing: nothing made", func(t *testing.T) {
		n := healthyNode("cn1", "vm1.example.com", "vm2.example.com")
		r, _, _ := modeRig(t, n)
		missing := filepath.Join(r.dir, "nope", "master")
		r.opts.Set(OptSaltMasterConfig, missing)
		m := r.call(t, "provision_vms", "cn1")
		c, _ := m.String("comment")
		if ok, _ := m.Get("result"); ok != false || !strings.Contains(c, "Cannot provision cn1/vm2.example.com: vm vm2.example.com (mode salt): the salt master config "+missing+" is not readable (set "+OptSaltMasterConfig+" on the mastersalt master)") {
			t.Fatalf("comment:\n%s", c)
		}
		for _, call := range n.callLog() {
			if strings.Contains(call, "vm=vm2.example.com") {
				t.Errorf("vm2 was worked on: %s", call)
			}
		}
		// vm1 (mastersalt) is not blocked.
		if !strings.Contains(c, "vm1.example.com answers through the mastersalt master") {
			t.Errorf("vm1 blocked:\n%s", c)
		}
		ch, _ := m.Get("changes")
		errs, _ := ch.(*data.Map).Get("vms_in_error")
		if e := fmt.Sprint(errs); !strings.Contains(e, "vm2.example.com") || strings.Contains(e, "vm1") {
			t.Errorf("vms_in_error = %v", errs)
		}
	})
	t.Run("key rejected by the master of the mode", func(t *testing.T) {
		n := healthyNode("cn1", "vm1.example.com", "vm2.example.com")
		r, saltConf, saltPKI := modeRig(t, n)
		rej := filepath.Join(saltPKI, "minions_rejected", "vm2.example.com")
		must(t, os.MkdirAll(filepath.Dir(rej), 0o700))
		must(t, os.WriteFile(rej, []byte(mastertest.SamplePublicKey), 0o644))
		want := "the salt master (" + saltConf + ") rejected the key of vm2.example.com (it is in " + rej + "): delete it there (salt-key -d vm2.example.com)"
		m := r.call(t, "provision", "vm2.example.com")
		c, _ := m.String("comment")
		if ok, _ := m.Get("result"); ok != false || !strings.Contains(c, "cannot accept the minion key of vm2.example.com: "+want) {
			t.Errorf("provision:\n%s", c)
		}
		// The ping step alone says the master rejected it (no waiting
		// for an answer that cannot come).
		n.down["vm2.example.com"] = true
		m = r.call(t, "provision", "vm2.example.com", "steps=ping")
		c, _ = m.String("comment")
		if ok, _ := m.Get("result"); ok != false || !strings.Contains(c, "The minion of vm2.example.com did not sign in (mode salt): "+want) {
			t.Errorf("ping:\n%s", c)
		}
	})
}
