package lxctest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/saltgo/saltgo/lxc/liblxc"
)

// AptOfflineConf is the apt configuration file NewDebian writes in every
// container so that apt never fetches from the network.
const AptOfflineConf = "etc/apt/apt.conf.d/00saltgo-test-offline"

// SharedDir is where a Debian container sees DebianOptions.Shared.
const SharedDir = "/saltgo-test"

// DebianOptions shape a Debian container (NewDebian).
type DebianOptions struct {
	// HostNet shares the host's network namespace with the container, so
	// that it reaches a test master on 127.0.0.1. Otherwise the container
	// has its own namespace with only a loopback interface.
	HostNet bool
	// Shared, when set, is a host directory bind-mounted read-write at
	// SharedDir in the container (a saltgo binary, state trees, results).
	Shared string
	// Systemd boots the container with systemd as its init (PID 1), as a
	// Debian machine boots, instead of init.lxc: for tests of what runs
	// only where systemd booted the system (salt.utils.systemd.booted).
	// The host's enabled units start in the container too (but those of
	// MaskUnits); NewDebian returns once systemd says the system runs.
	Systemd bool
	// MaskUnits are units masked (linked to /dev/null in the container's
	// /etc/systemd/system) before a Systemd container boots: the host's
	// slow or unneeded services (lxc.service waits 30 s for autoboot).
	MaskUnits []string
}

// Debian is a running Debian container for tests that must change a
// whole system (packages, users, services, crontabs, mounts) while the
// host does not change. Its root is an overlay whose lower layer is the
// host's own root filesystem: the host runs Debian 12, so the container
// is a Debian 12 system with the host's tools and packages, made without
// any network (debootstrap needs a mirror; tests may not leave the
// machine). Every write lands in the overlay's upper layer, which goes
// away with the test.
type Debian struct {
	Name   string
	Client *liblxc.Client
	// Root is the host path of the container's root (the overlay): read
	// the container's files there.
	Root string
}

// NewDebian starts a Debian container and stops and removes it at the
// end of the test. Its init is LXC's init.lxc running "sleep infinity",
// which reaps orphans as a real init does (daemons started by init.d
// scripts are reparented to it).
func NewDebian(t testing.TB, opt DebianOptions) *Debian {
	t.Helper()
	Require(t)
	for _, b := range []string{"/sbin/init.lxc", "/bin/sleep"} {
		if _, err := os.Stat(b); err != nil {
			t.Fatalf("Debian containers need %s (apt-get install lxc): %v", b, err)
		}
	}
	c := Client(t, nil)
	ctx := Context(t)
	d := &Debian{Name: Unique("deb"), Client: c}
	dir := filepath.Join(c.Path(), d.Name)
	layers := filepath.Join(c.Path(), "layers-"+d.Name)
	lower, upper, work := filepath.Join(layers, "lower"), filepath.Join(layers, "upper"), filepath.Join(layers, "work")
	d.Root = filepath.Join(layers, "root")
	for _, p := range []string{dir, lower, upper, work, d.Root} {
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The lower layer is a non-recursive bind of /: the root filesystem
	// alone, without /proc, /sys, /dev or other mounts under it.
	if err := unix.Mount("/", lower, "", unix.MS_BIND, ""); err != nil {
		t.Fatalf("bind / on %s: %v", lower, err)
	}
	t.Cleanup(func() { unmount(t, lower) })
	opts := "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work
	if err := unix.Mount("overlay", d.Root, "overlay", 0, opts); err != nil {
		t.Fatalf("overlay on %s: %v", d.Root, err)
	}
	t.Cleanup(func() { unmount(t, d.Root) })
	// apt in the container never reaches a mirror: the host's sources are
	// inherited through the overlay, and a HostNet container shares the
	// host's routes. Every http(s) fetch goes to a closed port on
	// loopback instead; tests serve packages from file:// repositories.
	offline := "Acquire::http::Proxy \"http://127.0.0.1:9/\";\nAcquire::https::Proxy \"http://127.0.0.1:9/\";\n"
	if err := os.WriteFile(filepath.Join(d.Root, AptOfflineConf), []byte(offline), 0o644); err != nil {
		t.Fatalf("keep the container's apt offline: %v", err)
	}

	conf := []string{
		"lxc.uts.name = " + d.Name,
		"lxc.rootfs.path = dir:" + d.Root,
		"lxc.init.cmd = " + initCmd(d.Name, opt),
		"lxc.include = /usr/share/lxc/config/common.conf",
		"lxc.apparmor.profile = unconfined",
		"lxc.log.file = " + filepath.Join(layers, "lxc.log"),
		"lxc.log.level = INFO",
	}
	if opt.HostNet {
		conf = append(conf, "lxc.net.0.type = none")
	} else {
		conf = append(conf, "lxc.net.0.type = empty")
	}
	if opt.Shared != "" {
		conf = append(conf, "lxc.mount.entry = "+opt.Shared+" "+strings.TrimPrefix(SharedDir, "/")+" none bind,create=dir 0 0")
	}
	if err := os.WriteFile(filepath.Join(dir, "config"), []byte(strings.Join(conf, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Registered after the unmounts, so it runs before them: the container
	// stops while its root is still there, and Purge (registered first, by
	// Client) only finds an empty root directory to remove.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, _ = c.Stop(ctx, d.Name, 0, true)
	})
	for _, u := range opt.MaskUnits {
		p := filepath.Join(d.Root, "etc/systemd/system", u)
		_ = os.Remove(p)
		if err := os.Symlink("/dev/null", p); err != nil {
			t.Fatalf("mask %s: %v", u, err)
		}
	}
	if _, err := c.Start(ctx, d.Name); err != nil {
		t.Fatalf("start Debian container %s: %v", d.Name, err)
	}
	if st, err := c.State(ctx, d.Name); err != nil || !strings.EqualFold(st, "running") {
		log, _ := os.ReadFile(filepath.Join(layers, "lxc.log"))
		t.Fatalf("Debian container %s is %s (%v) after start; lxc log:\n%s", d.Name, st, err, log)
	}
	if opt.Systemd {
		// Wait for systemd's bus, then for the boot to finish.
		script := "for i in $(seq 1 100); do [ -S /run/systemd/private ] && break; sleep 0.1; done; systemctl is-system-running --wait"
		r, err := d.Run(ctx, "sh", "-c", script)
		if err != nil {
			t.Fatal(err)
		}
		if st := strings.TrimSpace(string(r.Stdout)); st != "running" && st != "degraded" {
			t.Fatalf("systemd in %s: %q (exit %d) %s", d.Name, st, r.Status, r.Stderr)
		}
	}
	return d
}

// initCmd is the container's init: systemd when asked, else init.lxc
// running sleep.
func initCmd(name string, opt DebianOptions) string {
	if opt.Systemd {
		return "/lib/systemd/systemd"
	}
	return "/sbin/init.lxc -n " + name + " -- /bin/sleep infinity"
}

func unmount(t testing.TB, p string) {
	if err := unix.Unmount(p, unix.MNT_DETACH); err != nil {
		t.Errorf("lxctest: unmount %s: %v", p, err)
	}
}

// Run runs argv in the container (as root, with a login PATH) and
// returns its exit status and output; an error means it could not run.
func (d *Debian) Run(ctx context.Context, argv ...string) (*liblxc.RunResult, error) {
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8"}
	r, err := d.Client.Run(ctx, d.Name, argv, nil, env)
	if err != nil {
		return nil, fmt.Errorf("run %q in %s: %w", argv, d.Name, err)
	}
	return r, nil
}

// MustRun is Run that fails the test unless argv exits 0; it returns
// the standard output.
func (d *Debian) MustRun(t testing.TB, argv ...string) string {
	t.Helper()
	r, err := d.Run(Context(t), argv...)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != 0 {
		t.Fatalf("%q in %s: exit %d\nstdout: %s\nstderr: %s", argv, d.Name, r.Status, r.Stdout, r.Stderr)
	}
	return string(r.Stdout)
}

var saltgoBuild struct {
	once sync.Once
	path string
	err  error
}

// SaltgoBinary builds cmd/saltgo (CGO_ENABLED=0, so that it runs in any
// container) once per test process and returns the binary's path. The
// binary stays in a temporary directory of its own, which Main removes;
// copy or link it into DebianOptions.Shared (InstallSaltgo).
func SaltgoBinary(t testing.TB) string {
	t.Helper()
	saltgoBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "saltgo-lxctest-bin-")
		if err != nil {
			saltgoBuild.err = err
			return
		}
		out := filepath.Join(dir, "saltgo")
		cmd := exec.Command("go", "build", "-o", out, "github.com/saltgo/saltgo/cmd/saltgo")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if msg, err := cmd.CombinedOutput(); err != nil {
			saltgoBuild.err = fmt.Errorf("build saltgo: %w\n%s", err, msg)
			return
		}
		saltgoBuild.path = out
	})
	if saltgoBuild.err != nil {
		t.Fatal(saltgoBuild.err)
	}
	return saltgoBuild.path
}

// InstallSaltgo puts the saltgo binary (SaltgoBinary) at shared/saltgo,
// which a Debian container made with DebianOptions{Shared: shared} runs
// as SharedDir+"/saltgo".
func InstallSaltgo(t testing.TB, shared string) string {
	t.Helper()
	src := SaltgoBinary(t)
	dst := filepath.Join(shared, "saltgo")
	if err := os.Link(src, dst); err != nil {
		b, rerr := os.ReadFile(src)
		if rerr != nil {
			t.Fatal(rerr)
		}
		if err := os.WriteFile(dst, b, 0o755); err != nil {
			t.Fatalf("install saltgo in %s: %v", shared, err)
		}
	}
	return SharedDir + "/saltgo"
}
