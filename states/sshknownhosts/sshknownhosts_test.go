package sshknownhosts_test

import (
	"path/filepath"
	"testing"

	"github.com/saltgo/saltgo/lxc/lxctest"
	filemod "github.com/saltgo/saltgo/modules/file"
)

func TestMain(m *testing.M) { lxctest.Main(m) }

// knownHosts prints alice's ~/.ssh (modes, owners) and known_hosts,
// then /etc/ssh's ssh_known_hosts files and the system known_hosts.
const knownHosts = `echo "== alice"; (cd /home/alice && if [ -d .ssh ]; then stat -c '%a %U:%G %n' .ssh .ssh/*; cat .ssh/known_hosts 2>&1; fi) || exit 1; ` +
	`echo "== system"; (cd /etc/ssh && stat -c '%a %U:%G %n' ssh_known_hosts* 2>&1; cat ssh_known_hosts 2>&1; true)`

// steps: add (test, real, ssh.* calls, again, test), the argument checks
// of test mode, change (test, real), remove (test, real, again): keys or
// fingerprints of stored keys are given, nothing is scanned. Then scan
// (test, real): a fingerprint alone, ssh-keyscan of 127.0.0.1 in the
// container's network namespace (no sshd there: Salt's failure).
var steps = []lxctest.Step{
	{Name: "01_add_test", Fun: "state.sls", Args: []string{"kh.add", "test=True"}, Check: knownHosts},
	{Name: "02_add", Fun: "state.sls", Args: []string{"kh.add"}, Check: knownHosts},
	{Name: "03_get_known_host_entries", Fun: "ssh.get_known_host_entries", Args: []string{"alice", "git.example"}},
	{Name: "04_check_known_host", Fun: "ssh.check_known_host", Args: []string{"alice", "git.example", "key=AAAAC3NzaC1lZDI1NTE5AAAAIFgLdY0DcduMQkaM2bVFc3wSYj88cL0kkYggT2ImmwpL"}},
	{Name: "05_check_known_host", Fun: "ssh.check_known_host", Args: []string{"hostname=127.0.0.1", "fingerprint=aa:bb"}},
	{Name: "06_add", Fun: "state.sls", Args: []string{"kh.add"}, Check: knownHosts},
	{Name: "07_add_test", Fun: "state.sls", Args: []string{"kh.add", "test=True"}, Check: knownHosts},
	{Name: "08_add_test_only_test", Fun: "state.sls", Args: []string{"kh.add_test_only", "test=True"}, Check: knownHosts},
	{Name: "09_change_test", Fun: "state.sls", Args: []string{"kh.change", "test=True"}, Check: knownHosts},
	{Name: "10_change", Fun: "state.sls", Args: []string{"kh.change"}, Check: knownHosts},
	{Name: "11_remove_test", Fun: "state.sls", Args: []string{"kh.remove", "test=True"}, Check: knownHosts},
	{Name: "12_remove", Fun: "state.sls", Args: []string{"kh.remove"}, Check: knownHosts},
	{Name: "13_remove", Fun: "state.sls", Args: []string{"kh.remove"}, Check: knownHosts},
	{Name: "14_scan_test", Fun: "state.sls", Args: []string{"kh.scan", "test=True"}, Check: knownHosts},
	{Name: "15_scan", Fun: "state.sls", Args: []string{"kh.scan"}, Check: knownHosts},
}

// TestKnownHostsLikePython: ssh_known_hosts.present/absent change a
// user's and the system's known_hosts inside a Debian container exactly
// as Python Salt 3007.14 does (testdata/golden, recorded with -update):
// steps run in a new container with user alice; after each state run
// alice's ~/.ssh and /etc/ssh/ssh_known_hosts are compared too (hashed
// names masked).
func TestKnownHostsLikePython(t *testing.T) {
	shared := t.TempDir()
	conf := lxctest.WriteMinion(t, shared, lxctest.MinionConfig{RootDir: lxctest.SharedDir + "/root"})
	if err := filemod.CopyTree("testdata/srv", filepath.Join(shared, "tree")); err != nil {
		t.Fatal(err)
	}
	d := lxctest.NewDebian(t, lxctest.DebianOptions{Shared: shared})
	d.MustRun(t, "useradd", "-m", "alice")
	d.MustRun(t, "rm", "-f", "/etc/ssh/ssh_known_hosts")
	lxctest.NewMinion(t, d, shared, conf, lxctest.TempNames, lxctest.HashedHosts).Steps(t, "testdata/golden", steps)
}
