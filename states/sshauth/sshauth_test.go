package sshauth_test

import (
	"path/filepath"
	"testing"

	"github.com/saltgo/saltgo/lxc/lxctest"
	filemod "github.com/saltgo/saltgo/modules/file"
)

func TestMain(m *testing.M) { lxctest.Main(m) }

// steps: add (test, real, ssh.* calls, again, test), change (test,
// real), remove (test, real, again), manage (test, real, again). add.sls
// also holds a user that does not exist, a key that is not base64, a
// missing and a key-less salt:// source.
var steps = []lxctest.StateStep{
	{SLS: "ssh.add", Test: true}, {SLS: "ssh.add"},
	{Args: []string{"ssh.auth_keys", "alice"}}, {Args: []string{"ssh.auth_keys", "bob", "fingerprint_hash_type=md5"}},
	{Args: []string{"ssh.check_key", "carol", "AAAAC3NzaC1lZDI1NTE5AAAAIG7Tr4NYl96YgkMReIWfObKOUN0y22A2+mF42exTvGWa", "ed25519", "", "[no-port-forwarding]"}},
	{SLS: "ssh.add"}, {SLS: "ssh.add", Test: true},
	{SLS: "ssh.change", Test: true}, {SLS: "ssh.change"},
	{SLS: "ssh.remove", Test: true}, {SLS: "ssh.remove"}, {SLS: "ssh.remove"},
	{SLS: "ssh.manage", Test: true}, {SLS: "ssh.manage"}, {SLS: "ssh.manage"},
}

// scenario runs steps in a new Debian container with users alice, bob
// (no ~/.ssh) and carol (an authorized_keys of her own, mode 0644), and
// after each step reads their ~/.ssh directories: modes, owners, content.
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
	for _, u := range []string{"alice", "bob", "carol"} {
		d.MustRun(t, "useradd", "-m", u)
	}
	d.MustRun(t, "sh", "-c", "mkdir -m 0755 /home/carol/.ssh && printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGip7/M6ToIm4Z7gmPsEULfiC0FyxEubm7ERzdOHlP5q carol own\\n' > /home/carol/.ssh/authorized_keys && chmod 0644 /home/carol/.ssh/authorized_keys && chown -R carol:carol /home/carol/.ssh")
	after := func() any {
		out := map[string]any{}
		for _, u := range []string{"alice", "bob", "carol"} {
			out[u] = d.MustRun(t, "sh", "-c", "cd /home/"+u+" && if [ -d .ssh ]; then stat -c '%a %U:%G %n' .ssh .ssh/*; cat .ssh/authorized_keys 2>&1; fi")
		}
		return out
	}
	return d.StateRuns(t, bin, conf, steps, after)
}

// TestSSHAuthLikePython: ssh_auth.present/absent change real users'
// authorized_keys inside a Debian container exactly as Python Salt
// 3007.14 does (testdata/python.json, recorded with -update).
func TestSSHAuthLikePython(t *testing.T) {
	lxctest.CompareWithPython(t, "testdata/python.json",
		func(t *testing.T) []any { return scenario(t, true) },
		func(t *testing.T) []any { return scenario(t, false) })
}
