package mccloudlxc

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/saltgo/saltgo/data"
)

// TestPostDeployHonoursRootDir: under a scratch root_dir, with no
// explicit cron_dir nor salt-cloud prefix, post_deploy_controller writes
// the schedule into <root_dir>/etc/cron.d and the salt-cloud files next
// to the master's config file (where salt-cloud -c reads them), never
// into the host's /etc.
func TestPostDeployHonoursRootDir(t *testing.T) {
	r := newRig(t, healthyNode(), seedPillar)
	must(t, os.WriteFile(filepath.Join(r.dir, "pillar", "cloud.sls"), []byte(seedPillar), 0o644))
	root := filepath.Join(r.dir, "root")
	conf := filepath.Join(r.dir, "conf")
	r.opts.Delete(OptCronDir)
	r.opts.Set("root_dir", root)
	r.opts.Set("conf_file", filepath.Join(conf, "master"))
	m := r.call(t, "post_deploy_controller")
	if ok, _ := m.Get("result"); ok != true {
		t.Fatalf("post_deploy_controller: %v", m)
	}
	want := []string{
		filepath.Join(root, "etc/cron.d", CronFile),
		filepath.Join(conf, "cloud.providers.d", ProvidersFile),
		filepath.Join(conf, "cloud.profiles.d", ProfilesFile),
	}
	ch, _ := m.Get("changes")
	for _, f := range want {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("not written: %v", err)
		}
		if v, _ := ch.(*data.Map).Get(f); v == nil {
			t.Errorf("changes lack %s: %v", f, ch)
		}
	}
	if ch.(*data.Map).Len() != len(want) {
		t.Errorf("changes %v", ch)
	}
	for _, f := range []string{"/etc/cron.d/" + CronFile, "/etc/mastersalt"} {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s written on the host", f)
		}
	}
}
