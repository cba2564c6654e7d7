package cron_test

import (
	"path/filepath"
	"testing"

	"github.com/saltgo/saltgo/lxc/lxctest"
	filemod "github.com/saltgo/saltgo/modules/file"
)

func TestMain(m *testing.M) { lxctest.Main(m) }

// crontabs prints each user's crontab (crontab -l), headed "== <user>".
const crontabs = `for u in root alice carol; do echo "== $u"; crontab -u "$u" -l 2>/dev/null; done; true`

// steps: add (test, real, cron.* calls, again, test), change (test, real, again),
// remove (test, real, again), file (test, real, again, test). add.sls
// also holds an invalid minute, an invalid hour and a user that does not
// exist; file.sls a template, an invalid crontab, a missing source and a
// user that does not exist.
var steps = []lxctest.Step{
	{Name: "01_add_test", Fun: "state.sls", Args: []string{"cron.add", "test=True"}, Check: crontabs},
	{Name: "02_add", Fun: "state.sls", Args: []string{"cron.add"}, Check: crontabs},
	{Name: "03_list_tab", Fun: "cron.list_tab", Args: []string{"root"}},
	{Name: "04_raw_cron", Fun: "cron.raw_cron", Args: []string{"alice"}},
	{Name: "05_get_entry", Fun: "cron.get_entry", Args: []string{"root", "identifier=backup"}},
	{Name: "06_set_job", Fun: "cron.set_job", Args: []string{"alice", "0", "4", "*", "*", "1-5", "/bin/weekday", "comment=from the CLI"}},
	{Name: "07_rm_job", Fun: "cron.rm_job", Args: []string{"alice", "/bin/weekday", "dayweek=1-5"}},
	{Name: "08_add", Fun: "state.sls", Args: []string{"cron.add"}, Check: crontabs},
	{Name: "09_add_test", Fun: "state.sls", Args: []string{"cron.add", "test=True"}, Check: crontabs},
	{Name: "10_change_test", Fun: "state.sls", Args: []string{"cron.change", "test=True"}, Check: crontabs},
	{Name: "11_change", Fun: "state.sls", Args: []string{"cron.change"}, Check: crontabs},
	{Name: "12_change", Fun: "state.sls", Args: []string{"cron.change"}, Check: crontabs},
	{Name: "13_remove_test", Fun: "state.sls", Args: []string{"cron.remove", "test=True"}, Check: crontabs},
	{Name: "14_remove", Fun: "state.sls", Args: []string{"cron.remove"}, Check: crontabs},
	{Name: "15_remove", Fun: "state.sls", Args: []string{"cron.remove"}, Check: crontabs},
	{Name: "16_file_test", Fun: "state.sls", Args: []string{"cron.file", "test=True"}, Check: crontabs},
	{Name: "17_file", Fun: "state.sls", Args: []string{"cron.file"}, Check: crontabs},
	{Name: "18_file", Fun: "state.sls", Args: []string{"cron.file"}, Check: crontabs},
	{Name: "19_file_test", Fun: "state.sls", Args: []string{"cron.file", "test=True"}, Check: crontabs},
}

// TestCronLikePython: cron.present/absent/env_present/env_absent change
// real crontabs inside a Debian container exactly as Python Salt 3007.14
// does (testdata/golden, recorded with -update): steps run in a new
// container where root already has a crontab of its own and alice and
// carol exist; after each state run their crontabs are compared too.
func TestCronLikePython(t *testing.T) {
	shared := t.TempDir()
	conf := lxctest.WriteMinion(t, shared, lxctest.MinionConfig{RootDir: lxctest.SharedDir + "/root"})
	if err := filemod.CopyTree("testdata/srv", filepath.Join(shared, "tree")); err != nil {
		t.Fatal(err)
	}
	d := lxctest.NewDebian(t, lxctest.DebianOptions{Shared: shared})
	d.MustRun(t, "useradd", "-m", "alice")
	d.MustRun(t, "useradd", "-m", "carol")
	d.MustRun(t, "sh", "-c", "printf '# my own\\nMAILTO=\"\"\\n0 0 * * * /bin/mine\\n' | crontab -")
	lxctest.NewMinion(t, d, shared, conf, lxctest.TempNames, lxctest.HashedHosts).Steps(t, "testdata/golden", steps)
}
