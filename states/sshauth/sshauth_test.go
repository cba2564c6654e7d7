package sshauth_test

import (
	"path/filepath"
	"testing"

	"github.com/saltgo/saltgo/lxc/lxctest"
	filemod "github.com/saltgo/saltgo/modules/file"
)

func TestMain(m *testing.M) { lxctest.Main(m) }

// sshDirs prints each user's ~/.ssh (modes, owners) and
// authorized_keys, headed "== <user>".
const sshDirs = `for u in alice bob carol; do echo "== $u"; (cd /home/$u && if [ -d .ssh ]; then stat -c '%a %U:%G %n' .ssh .ssh/*; cat .ssh/authorized_keys 2>&1; fi) || exit 1; done`

// steps: add (test, real, ssh.* calls, again, test), change (test,
// real), remove (test, real, again), manage (test, real, again). add.sls
// also holds a user that does not exist, a key that is not base64, a
// missing and a key-less salt:// source.
var steps = []lxctest.Step{
	{Name: "01_add_test", Fun: "state.sls", Args: []string{"ssh.add", "test=True"}, Check: sshDirs},
	{Name: "02_add", Fun: "state.sls", Args: []string{"ssh.add"}, Check: sshDirs},
	{Name: "03_auth_keys", Fun: "ssh.auth_keys", Args: []string{"alice"}},
	{Name: "04_auth_keys", Fun: "ssh.auth_keys", Args: []string{"bob", "fingerprint_hash_type=md5"}},
	{Name: "05_check_key", Fun: "ssh.check_key", Args: []string{"carol", "AAAAC3NzaC1lZDI1NTE5AAAAIG7Tr4NYl96YgkMReIWfObKOUN0y22A2+mF42exTvGWa", "ed25519", "", "[no-port-forwarding]"}},
	{Name: "06_add", Fun: "state.sls", Args: []string{"ssh.add"}, Check: sshDirs},
	{Name: "07_add_test", Fun: "state.sls", Args: []string{"ssh.add", "test=True"}, Check: sshDirs},
	{Name: "08_change_test", Fun: "state.sls", Args: []string{"ssh.change", "test=True"}, Check: sshDirs},
	{Name: "09_change", Fun: "state.sls", Args: []string{"ssh.change"}, Check: sshDirs},
	{Name: "10_remove_test", Fun: "state.sls", Args: []string{"ssh.remove", "test=True"}, Check: sshDirs},
	{Name: "11_remove", Fun: "state.sls", Args: []string{"ssh.remove"}, Check: sshDirs},
	{Name: "12_remove", Fun: "state.sls", Args: []string{"ssh.remove"}, Check: sshDirs},
	{Name: "13_manage_test", Fun: "state.sls", Args: []string{"ssh.manage", "test=True"}, Check: sshDirs},
	{Name: "14_manage", Fun: "state.sls", Args: []string{"ssh.manage"}, Check: sshDirs},
	{Name: "15_manage", Fun: "state.sls", Args: []string{"ssh.manage"}, Check: sshDirs},
}

// TestSSHAuthLikePython: ssh_auth.present/absent change real users'
// authorized_keys inside a Debian container exactly as Python Salt
// 3007.14 does (testdata/golden, recorded with -update): steps run in a
// new container with users alice, bob (no ~/.ssh) and carol (an
// authorized_keys of her own, mode 0644); after each state run their
// ~/.ssh directories are compared too.
func TestSSHAuthLikePython(t *testing.T) {
	shared := t.TempDir()
	conf := lxctest.WriteMinion(t, shared, lxctest.MinionConfig{RootDir: lxctest.SharedDir + "/root"})
	if err := filemod.CopyTree("testdata/srv", filepath.Join(shared, "tree")); err != nil {
		t.Fatal(err)
	}
	d := lxctest.NewDebian(t, lxctest.DebianOptions{Shared: shared})
	for _, u := range []string{"alice", "bob", "carol"} {
		d.MustRun(t, "useradd", "-m", u)
	}
	d.MustRun(t, "sh", "-c", "mkdir -m 0755 /home/carol/.ssh && printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGip7/M6ToIm4Z7gmPsEULfiC0FyxEubm7ERzdOHlP5q carol own\\n' > /home/carol/.ssh/authorized_keys && chmod 0644 /home/carol/.ssh/authorized_keys && chown -R carol:carol /home/carol/.ssh")
	lxctest.NewMinion(t, d, shared, conf, lxctest.TempNames, lxctest.HashedHosts).Steps(t, "testdata/golden", steps)
}
