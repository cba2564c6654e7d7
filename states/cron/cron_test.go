package cron_test

import (
	"path/filepath"
	"testing"

	"github.com/saltgo/saltgo/lxc/lxctest"
	filemod "github.com/saltgo/saltgo/modules/file"
)

func TestMain(m *testing.M) { lxctest.Main(m) }

// steps: add (test, real, cron.* calls, again, test), change (test, real, again),
// remove (test, real, again), file (test, real, again, test). add.sls
// also holds an invalid minute, an invalid hour and a user that does not
// exist; file.sls a template, an invalid crontab, a missing source and a
// user that does not exist.
var steps = []lxctest.StateStep{
	{SLS: "cron.add", Test: true}, {SLS: "cron.add"},
	{Args: []string{"cron.list_tab", "root"}}, {Args: []string{"cron.raw_cron", "alice"}},
	{Args: []string{"cron.get_entry", "root", "identifier=backup"}},
	{Args: []string{"cron.set_job", "alice", "0", "4", "*", "*", "1-5", "/bin/weekday", "comment=from the CLI"}},
	{Args: []string{"cron.rm_job", "alice", "/bin/weekday", "dayweek=1-5"}},
	{SLS: "cron.add"}, {SLS: "cron.add", Test: true},
	{SLS: "cron.change", Test: true}, {SLS: "cron.change"}, {SLS: "cron.change"},
	{SLS: "cron.remove", Test: true}, {SLS: "cron.remove"}, {SLS: "cron.remove"},
	{SLS: "cron.file", Test: true}, {SLS: "cron.file"}, {SLS: "cron.file"}, {SLS: "cron.file", Test: true},
}

// scenario runs steps in a new Debian container where root already has a
// crontab of its own and alice and carol exist, and after each step reads
// their crontabs with crontab -l.
func scenario(t *testing.T, python bool) []any {
	shared := t.TempDir()
	bin := ""
	if !python {
		bin = lxctest.InstallSaltgo(t, shared)
	}
	conf := lxctest.LocalMinionConfig(t, shared)
	if err := filemod.CopyTree("testdata/srv", filepath.Join(shared, "srv")); err != nil {
		t.Fatal(err)
	}
	d := lxctest.NewDebian(t, lxctest.DebianOptions{Shared: shared})
	d.MustRun(t, "useradd", "-m", "alice")
	d.MustRun(t, "useradd", "-m", "carol")
	d.MustRun(t, "sh", "-c", "printf '# my own\\nMAILTO=\"\"\\n0 0 * * * /bin/mine\\n' | crontab -")
	after := func() any {
		tabs := map[string]any{}
		for _, u := range []string{"root", "alice", "carol"} {
			r, err := d.Run(lxctest.Context(t), "crontab", "-u", u, "-l")
			if err != nil {
				t.Fatal(err)
			}
			tabs[u] = string(r.Stdout)
		}
		return tabs
	}
	return d.StateRuns(t, bin, conf, steps, after)
}

// TestCronLikePython: cron.present/absent/env_present/env_absent change
// real crontabs inside a Debian container exactly as Python Salt 3007.14
// does (testdata/python.json, recorded with -update).
func TestCronLikePython(t *testing.T) {
	lxctest.CompareWithPython(t, "testdata/python.json",
		func(t *testing.T) []any { return scenario(t, true) },
		func(t *testing.T) []any { return scenario(t, false) })
}
