// Package sshdtest runs a real OpenSSH server for tests, on 127.0.0.1
// only, with keys made in the test's temporary directory.
package sshdtest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Node is a real sshd on 127.0.0.1 (a free port) that lets root in
// with the client key Key only; KnownHosts is the client's known hosts.
type Node struct {
	Port            int
	Key, KnownHosts string
}

// Start starts /usr/sbin/sshd -D for the test (stopped at cleanup): it
// listens on 127.0.0.1 only and lets root in with a key made for the test.
func Start(t *testing.T) *Node {
	t.Helper()
	for _, tool := range []string{"/usr/sbin/sshd", "ssh-keygen", "ssh", "rsync"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing (apt packages openssh-server, openssh-client, rsync; scripts/setup.sh installs them): %v", tool, err)
		}
	}
	dir := t.TempDir()
	hostKey, clientKey := filepath.Join(dir, "host_key"), filepath.Join(dir, "client_key")
	Keygen(t, hostKey)
	Keygen(t, clientKey)
	pub, err := os.ReadFile(clientKey + ".pub")
	must(t, err)
	auth := filepath.Join(dir, "authorized_keys")
	must(t, os.WriteFile(auth, pub, 0o600))
	port := FreePort(t)
	cfg := filepath.Join(dir, "sshd_config")
	must(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`ListenAddress 127.0.0.1
Port %d
HostKey %s
PidFile %s
AuthorizedKeysFile %s
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
`, port, hostKey, filepath.Join(dir, "sshd.pid"), auth)), 0o600))
	// sshd needs its privilege separation directory.
	if _, err := os.Stat("/run/sshd"); errors.Is(err, os.ErrNotExist) {
		must(t, os.Mkdir("/run/sshd", 0o755))
		t.Cleanup(func() { os.Remove("/run/sshd") })
	}
	cmd := exec.Command("/usr/sbin/sshd", "-D", "-e", "-f", cfg)
	logf, err := os.Create(filepath.Join(dir, "sshd.log"))
	must(t, err)
	defer logf.Close()
	cmd.Stderr = logf
	must(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	// Wait until it listens (or died).
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			break
		}
		if i > 500 {
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("sshd does not listen on 127.0.0.1:%d: %s", port, b)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return &Node{Port: port, Key: clientKey, KnownHosts: filepath.Join(dir, "known_hosts")}
}

// FreePort returns a port of 127.0.0.1 nothing listens on.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Keygen makes an ed25519 key pair at p (and p.pub).
func Keygen(t testing.TB, p string) {
	t.Helper()
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", p).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
