package provision_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/saltgo/saltgo/lxc/provision"
)

// sshNode is a real sshd on 127.0.0.1 (a free port) that lets root in
// with the client key Key only; KnownHosts is the client's known hosts.
type sshNode struct {
	Port            int
	Key, KnownHosts string
}

// startSSHD starts /usr/sbin/sshd -D for the test (stopped at cleanup).
func startSSHD(t *testing.T) *sshNode {
	t.Helper()
	for _, tool := range []string{"/usr/sbin/sshd", "ssh-keygen", "ssh", "rsync"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is missing (apt packages openssh-server, openssh-client, rsync; scripts/setup.sh installs them): %v", tool, err)
		}
	}
	dir := t.TempDir()
	keygen := func(p string) {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", p).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v: %s", err, out)
		}
	}
	hostKey, clientKey := filepath.Join(dir, "host_key"), filepath.Join(dir, "client_key")
	keygen(hostKey)
	keygen(clientKey)
	pub, err := os.ReadFile(clientKey + ".pub")
	must(t, err)
	auth := filepath.Join(dir, "authorized_keys")
	must(t, os.WriteFile(auth, pub, 0o600))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
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
	return &sshNode{Port: port, Key: clientKey, KnownHosts: filepath.Join(dir, "known_hosts")}
}

func (n *sshNode) target() provision.SSHTarget {
	return provision.SSHTarget{Host: "127.0.0.1", Port: n.Port, User: "root", Key: n.Key, KnownHosts: n.KnownHosts}
}

func TestPushImageRsyncOverSSH(t *testing.T) {
	ctx := context.Background()
	node := startSSHD(t)
	ctlDir := t.TempDir()
	src := filepath.Join(ctlDir, "img")
	imageTree(t, src)
	lxcpath := t.TempDir()
	push := provision.ImagePush{Name: "img", Source: src, LXCPath: lxcpath, Target: node.target()}
	dst := filepath.Join(lxcpath, "img")

	res, err := provision.PushImage(ctx, push)
	if err != nil {
		t.Fatalf("first push: %v", err)
	}
	if !res.Changes.Has("created") || !res.Changes.Has("version") {
		t.Errorf("first push changes: %v", res.Changes)
	}
	want, got := describe(t, filepath.Join(src, "rootfs")), describe(t, filepath.Join(dst, "rootfs"))
	if want != got {
		t.Errorf("pushed tree differs\nsource:\n%s\nnode:\n%s", want, got)
	}
	for _, s := range []string{"bin/busybox f 4755", "bin/sh f 4755", "dev/null c 666", "lib l 777", "tmp d 1777", "usr/lib d 755 1234:5678", "etc/shadow f 640 0:42", "nlink=2", "xattr=cap"} {
		if !strings.Contains(got, s) {
			t.Errorf("node copy lacks %q:\n%s", s, got)
		}
	}
	ver, err := provision.ImageVersion(ctx, src)
	must(t, err)
	if v := provision.InstalledImageVersion(lxcpath, "img"); v != ver {
		t.Errorf(".ms_version on the node = %q, want %q", v, ver)
	}
	conf, err := os.ReadFile(filepath.Join(dst, "config"))
	must(t, err)
	if !strings.Contains(string(conf), "lxc.rootfs.path = dir:"+filepath.Join(dst, "rootfs")+"\n") || !strings.Contains(string(conf), dst+"/fstab") || strings.Contains(string(conf), src) {
		t.Errorf("node config not pointed at the node's copy:\n%s", conf)
	}
	if _, err := os.Stat(filepath.Join(dst, "saltgo-lxc.log")); err == nil {
		t.Error("the controller's log was pushed")
	}

	// Unchanged: nothing sent.
	res, err = provision.PushImage(ctx, push)
	if err != nil || res.Changes.Len() != 0 || !strings.Contains(res.Comment, "already up to date") {
		t.Fatalf("second push: %v, changes %v, comment %q", err, res.Changes, res.Comment)
	}

	// A change and a removal on the controller reach the node (in place,
	// --delete), the node's own log stays.
	must(t, os.WriteFile(filepath.Join(dst, "saltgo-lxc.log"), []byte("node log\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(src, "rootfs", "etc", "hostname"), []byte("img2\n"), 0o644))
	must(t, os.Remove(filepath.Join(src, "rootfs", "dev", "initctl")))
	res, err = provision.PushImage(ctx, push)
	if err != nil || !res.Changes.Has("version") || res.Changes.Has("created") {
		t.Fatalf("third push: %v, changes %v", err, res.Changes)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "rootfs", "etc", "hostname")); string(b) != "img2\n" {
		t.Errorf("hostname on the node = %q", b)
	}
	if _, err := os.Lstat(filepath.Join(dst, "rootfs", "dev", "initctl")); err == nil {
		t.Error("a file removed from the image stayed on the node")
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "saltgo-lxc.log")); string(b) != "node log\n" {
		t.Errorf("the node's log was touched: %q", b)
	}

	// Failures: the error names host, port and what ssh said; the node's
	// directory is left as it was.
	must(t, os.WriteFile(filepath.Join(src, "rootfs", "etc", "hostname"), []byte("img3\n"), 0o644))
	before := describe(t, dst)
	otherKey := filepath.Join(t.TempDir(), "other")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", otherKey).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	closed := l.Addr().(*net.TCPAddr).Port
	l.Close()
	for _, tc := range []struct {
		name string
		edit func(*provision.SSHTarget)
		want []string
	}{
		{"bad key", func(tg *provision.SSHTarget) { tg.Key = otherKey }, []string{fmt.Sprintf("root@127.0.0.1 port %d", node.Port), "Permission denied"}},
		{"closed port", func(tg *provision.SSHTarget) { tg.Port = closed }, []string{fmt.Sprintf("root@127.0.0.1 port %d", closed), "Connection refused"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := push
			tc.edit(&p.Target)
			res, err := provision.PushImage(ctx, p)
			if err == nil || res.Result {
				t.Fatalf("push succeeded: %v", res)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if after := describe(t, dst); after != before {
				t.Errorf("node directory changed\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

func TestPushImageRefusesConcurrentPush(t *testing.T) {
	ctlDir := t.TempDir()
	src := filepath.Join(ctlDir, "img")
	imageTree(t, src)
	f, err := os.OpenFile(filepath.Join(ctlDir, ".saltgo-push-img.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	must(t, err)
	defer f.Close()
	// Another process holds the lock: flock(1) from util-linux.
	hold := exec.Command("flock", "-x", f.Name(), "sleep", "30")
	must(t, hold.Start())
	defer func() { _ = hold.Process.Kill(); _ = hold.Wait() }()
	for i := 0; ; i++ {
		if exec.Command("flock", "-n", f.Name(), "true").Run() != nil {
			break
		}
		if i > 500 {
			t.Fatal("flock never took the lock")
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, err = provision.PushImage(context.Background(), provision.ImagePush{Name: "img", Source: src, LXCPath: t.TempDir(),
		Target: provision.SSHTarget{Host: "127.0.0.1", Port: 1}})
	if !errors.Is(err, provision.ErrTransferInProgress) {
		t.Fatalf("err = %v, want Transfer already in progress", err)
	}
}

func TestPushImageBadInput(t *testing.T) {
	src := filepath.Join(t.TempDir(), "img")
	imageTree(t, src)
	for _, tc := range []struct {
		name string
		p    provision.ImagePush
		want string
	}{
		{"bad name", provision.ImagePush{Name: "../x", Source: src, LXCPath: "/var/lib/lxc", Target: provision.SSHTarget{Host: "h"}}, "name"},
		{"no host", provision.ImagePush{Name: "img", Source: src, LXCPath: "/var/lib/lxc"}, "invalid ssh host"},
		{"option as host", provision.ImagePush{Name: "img", Source: src, LXCPath: "/var/lib/lxc", Target: provision.SSHTarget{Host: "-oProxyCommand=x"}}, "invalid ssh host"},
		{"relative lxcpath", provision.ImagePush{Name: "img", Source: src, LXCPath: "lxc", Target: provision.SSHTarget{Host: "h"}}, "not absolute"},
		{"no rootfs", provision.ImagePush{Name: "img", Source: t.TempDir(), LXCPath: "/var/lib/lxc", Target: provision.SSHTarget{Host: "h"}}, "no rootfs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := provision.PushImage(context.Background(), tc.p)
			if err == nil || res.Result || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v (result %v), want %q", err, res.Result, tc.want)
			}
		})
	}
}
