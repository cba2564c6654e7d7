package mccloudlxc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/internal/golden"
)

func TestRegistered(t *testing.T) {
	for _, f := range []string{"install_vt", "configure_grains", "configure_install_lxc", "configure_images", "sync_images",
		"post_deploy_controller", "get_settings_for_vm", "provision", "provision_vms", "orchestrate", "destroy_vm"} {
		if _, _, err := host.Lookup(host.Runner, "mc_cloud_lxc."+f); err != nil {
			t.Errorf("mc_cloud_lxc.%s: %v", f, err)
		}
	}
}

func TestInstallVTGolden(t *testing.T) {
	tests := []struct {
		name  string
		words []string
		node  func() *fakeNode
		// twice runs install_vt a first time before the checked run.
		twice  bool
		ok     bool
		golden string
	}{
		{name: "success", words: []string{"cn1"}, node: func() *fakeNode { return healthyNode("cn1") }, ok: true, golden: "install_vt_ok"},
		{name: "second run no changes", words: []string{"cn1"}, node: func() *fakeNode { return healthyNode("cn1") }, twice: true, ok: true, golden: "install_vt_again"},
		{name: "dry run", words: []string{"cn1", "test=True"}, node: func() *fakeNode { return healthyNode("cn1") }, ok: true, golden: "install_vt_test"},
		{name: "one step fails, all run", words: []string{"cn1"}, node: func() *fakeNode {
			n := healthyNode("cn1")
			n.set(NodeFunctions.InstallLXC, func(string, *data.Map) (any, int) {
				return data.M("name", "install_lxc", "result", false, "comment", "apt-get install lxc: exit status 100", "changes", data.NewMap()), 1
			})
			return n
		}, golden: "install_vt_step_failed"},
		{name: "node unreachable", words: []string{"cn1"}, node: func() *fakeNode {
			n := healthyNode("cn1")
			n.down["cn1"] = true
			return n
		}, golden: "install_vt_unreachable"},
		{name: "compute node not declared", words: []string{"cn9"}, node: func() *fakeNode { return healthyNode("cn1") }, golden: "install_vt_unknown_cn"},
		{name: "declared but no key on the master", words: []string{"cn1"}, node: func() *fakeNode { return healthyNode() }, golden: "install_vt_no_key"},
		{name: "node lacks the execution functions", words: []string{"cn1"}, node: func() *fakeNode { return newFakeNode("cn1") }, golden: "install_vt_old_minion"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, tc.node(), seedPillar)
			if tc.twice {
				r.call(t, "install_vt", tc.words...)
				r.progress.Reset()
			}
			m := r.call(t, "install_vt", tc.words...)
			if ok, _ := m.Get("result"); ok != tc.ok {
				t.Errorf("result = %v, want %v", ok, tc.ok)
			}
			if _, has := m.Get("retcode"); has == tc.ok {
				t.Errorf("retcode present = %v with result %v", has, tc.ok)
			}
			golden.Text(t, tc.golden+".nested", r.scrub(render(t, m, "nested")))
			golden.Text(t, tc.golden+".json", r.scrub(render(t, m, "json")))
			golden.Text(t, tc.golden+".progress", r.scrub(r.progress.String()))
		})
	}
}

func TestInstallVTDryRunPassesTest(t *testing.T) {
	r := newRig(t, healthyNode("cn1"), seedPillar)
	r.call(t, "install_vt", "cn1", "test=True")
	for _, c := range r.node.callLog() {
		if !strings.Contains(c, "test.ping") {
			t.Errorf("dry run called %q", c)
		}
	}
}

func TestColours(t *testing.T) {
	r := newRig(t, healthyNode("cn1"), seedPillar)
	r.opts.Set(OptColor, true)
	m := r.call(t, "install_vt", "cn1")
	c, _ := m.String("comment")
	if !strings.HasPrefix(c, colYellow+"Installing lxc on cn1\n"+colEnd) || !strings.Contains(c, colGreen+"success"+colEnd) {
		t.Errorf("comment = %q", c)
	}
}

func TestPostDeployControllerFiles(t *testing.T) {
	r := newRig(t, healthyNode(), seedPillar)
	m := r.call(t, "post_deploy_controller", "test=True")
	for _, f := range []string{"etc/cloud.providers.d/makinastates_lxc.conf", "etc/cloud.profiles.d/makinastates_lxc.conf", "cron.d/ms_lxc_image_sync"} {
		if _, err := os.Stat(filepath.Join(r.dir, f)); err == nil {
			t.Errorf("test=True wrote %s", f)
		}
	}
	golden.Text(t, "post_deploy_test.nested", r.scrub(render(t, m, "nested")))

	m = r.call(t, "post_deploy_controller")
	golden.Text(t, "post_deploy.nested", r.scrub(render(t, m, "nested")))
	for _, f := range []struct{ path, golden string }{
		{"etc/cloud.providers.d/makinastates_lxc.conf", "cloud.providers.d.conf"},
		{"etc/cloud.profiles.d/makinastates_lxc.conf", "cloud.profiles.d.conf"},
		{"cron.d/ms_lxc_image_sync", "ms_lxc_image_sync.cron"},
	} {
		b, err := os.ReadFile(filepath.Join(r.dir, f.path))
		must(t, err)
		golden.Text(t, f.golden, string(b))
	}
	m = r.call(t, "post_deploy_controller")
	if ch, _ := m.Get("changes"); ch.(*data.Map).Len() != 0 {
		t.Errorf("second run changed %v", ch)
	}

	// cron_sync off removes the schedule.
	must(t, os.WriteFile(filepath.Join(r.dir, "pillar", "cloud.sls"), []byte(seedPillar+"makina-states.cloud.prefix: "+r.dir+"/etc\nmakina-states.cloud.images.lxc.cron_sync: false\n"), 0o644))
	m = r.call(t, "post_deploy_controller")
	ch, _ := m.Get("changes")
	if v, _ := ch.(*data.Map).Get(filepath.Join(r.dir, "cron.d/ms_lxc_image_sync")); v != "removed" {
		t.Errorf("changes = %v", ch)
	}
}

func TestPostDeployBadCron(t *testing.T) {
	r := newRig(t, healthyNode(), seedPillar+"makina-states.cloud.images.lxc.cron_hour: '3; rm -rf /'\n")
	m := r.call(t, "post_deploy_controller")
	if ok, _ := m.Get("result"); ok != false {
		t.Fatalf("result = %v", ok)
	}
	if c, _ := m.String("comment"); !strings.Contains(c, "must be cron fields") {
		t.Errorf("comment = %q", c)
	}
}
