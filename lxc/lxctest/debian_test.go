package lxctest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/lxc/lxctest"
)

func TestMain(m *testing.M) { lxctest.Main(m) }

// TestDebianLeavesHostUnchanged: a Debian container changes its own
// accounts and files; the host's stay as they were.
func TestDebianLeavesHostUnchanged(t *testing.T) {
	shared := t.TempDir()
	before, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	d := lxctest.NewDebian(t, lxctest.DebianOptions{Shared: shared})
	if got := d.MustRun(t, "cat", "/etc/debian_version"); !strings.HasPrefix(got, "12.") {
		t.Errorf("debian_version = %q, want 12.x", got)
	}
	d.MustRun(t, "useradd", "-m", "lxctestuser")
	d.MustRun(t, "sh", "-c", "echo from-container > "+lxctest.SharedDir+"/out")
	if b, err := os.ReadFile(filepath.Join(shared, "out")); err != nil || string(b) != "from-container\n" {
		t.Errorf("shared dir: %q, %v", b, err)
	}
	if b, err := os.ReadFile(filepath.Join(d.Root, "etc/passwd")); err != nil || !strings.Contains(string(b), "lxctestuser:") {
		t.Errorf("container /etc/passwd lacks the user: %v", err)
	}
	after, err := os.ReadFile("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	if string(after) != string(before) {
		t.Fatal("the host's /etc/passwd changed")
	}
	// init.lxc reaps orphans: a daemonized process leaves no zombie.
	d.MustRun(t, "sh", "-c", "(sleep 0 &) ; sleep 0.3")
	if out := d.MustRun(t, "sh", "-c", "grep -l '^State:.*Z' /proc/[0-9]*/status || true"); out != "" {
		t.Errorf("zombies in the container: %s", out)
	}
}

// TestDebianSystemd: a Systemd container is booted by systemd (PID 1,
// /run/systemd/system), its masked units stay down.
func TestDebianSystemd(t *testing.T) {
	d := lxctest.NewDebian(t, lxctest.DebianOptions{Systemd: true, MaskUnits: []string{"lxc.service", "cron.service"}})
	if got := strings.TrimSpace(d.MustRun(t, "ps", "-p", "1", "-o", "comm=")); got != "systemd" {
		t.Errorf("PID 1 is %q, want systemd", got)
	}
	d.MustRun(t, "test", "-d", "/run/systemd/system")
	if got := strings.TrimSpace(d.MustRun(t, "sh", "-c", "systemctl is-enabled cron.service || true")); got != "masked" {
		t.Errorf("cron.service is %q, want masked", got)
	}
}

// TestDebianAptOffline: apt in a container (even one on the host's
// network) sends every fetch to a closed port on loopback.
func TestDebianAptOffline(t *testing.T) {
	d := lxctest.NewDebian(t, lxctest.DebianOptions{HostNet: true})
	out := d.MustRun(t, "apt-config", "dump", "Acquire::http::Proxy", "Acquire::https::Proxy")
	for _, want := range []string{`Acquire::http::Proxy "http://127.0.0.1:9/";`, `Acquire::https::Proxy "http://127.0.0.1:9/";`} {
		if !strings.Contains(out, want) {
			t.Errorf("apt-config dump lacks %s:\n%s", want, out)
		}
	}
}
