package sshknownhosts_test

import (
	"path/filepath"
	"testing"

	"github.com/saltgo/saltgo/lxc/lxctest"
	filemod "github.com/saltgo/saltgo/modules/file"
)

func TestMain(m *testing.M) { lxctest.Main(m) }

// steps: add (test, real, ssh.* calls, again, test), the argument checks
// of test mode, change (test, real), remove (test, real, again): keys or
// fingerprints of stored keys are given, nothing is scanned. Then scan
// (test, real): a fingerprint alone, ssh-keyscan of 127.0.0.1 in the
// container's network namespace (no sshd there: Salt's failure).
var steps = []lxctest.StateStep{
	{SLS: "kh.add", Test: true}, {SLS: "kh.add"},
	{Args: []string{"ssh.get_known_host_entries", "alice", "git.example"}},
	{Args: []string{"ssh.check_known_host", "alice", "git.example", "key=AAAAC3NzaC1lZDI1NTE5AAAAIFgLdY0DcduMQkaM2bVFc3wSYj88cL0kkYggT2ImmwpL"}},
	{Args: []string{"ssh.check_known_host", "hostname=127.0.0.1", "fingerprint=aa:bb"}},
	{SLS: "kh.add"}, {SLS: "kh.add", Test: true},
	{SLS: "kh.add_test_only", Test: true},
	{SLS: "kh.change", Test: true}, {SLS: "kh.change"},
	{SLS: "kh.remove", Test: true}, {SLS: "kh.remove"}, {SLS: "kh.remove"},
	{SLS: "kh.scan", Test: true}, {SLS: "kh.scan"},
}

// scenario runs steps in a new Debian container with user alice, and
// after each step reads alice's ~/.ssh and /etc/ssh/ssh_known_hosts
// (modes, owners, content; hashed names masked).
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
	d.MustRun(t, "rm", "-f", "/etc/ssh/ssh_known_hosts")
	after := func() any {
		return lxctest.Mask(map[string]any{
			"alice":  d.MustRun(t, "sh", "-c", "cd /home/alice && if [ -d .ssh ]; then stat -c '%a %U:%G %n' .ssh .ssh/*; cat .ssh/known_hosts 2>&1; fi"),
			"system": d.MustRun(t, "sh", "-c", "cd /etc/ssh && stat -c '%a %U:%G %n' ssh_known_hosts* 2>&1; cat ssh_known_hosts 2>&1; true"),
		})
	}
	return d.StateRuns(t, bin, conf, steps, after)
}

// TestKnownHostsLikePython: ssh_known_hosts.present/absent change a
// user's and the system's known_hosts inside a Debian container exactly
// as Python Salt 3007.14 does (testdata/python.json, recorded with
// -update).
func TestKnownHostsLikePython(t *testing.T) {
	lxctest.CompareWithPython(t, "testdata/python.json",
		func(t *testing.T) []any { return scenario(t, true) },
		func(t *testing.T) []any { return scenario(t, false) })
}
