package sysctl_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/modules/sysctl"
)

func TestShowConfig(t *testing.T) {
	p := filepath.Join(t.TempDir(), "99.conf")
	if err := os.WriteFile(p, []byte("# c = d\n  net.a = 1\nnet.b=2 3\n\nkernel.x =  y\nnoeq\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := sysctl.ShowConfig(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := data.M("net.a", "1", "net.b", "2 3", "kernel.x", "y"); !data.Equal(m, want) {
		t.Errorf("ShowConfig = %v, want %v", m, want)
	}
	if m, err := sysctl.ShowConfig(p + ".missing"); m != nil || err != nil {
		t.Errorf("missing file: %v, %v", m, err)
	}
}

// TestPersistUnknown: an unknown parameter fails before the file is
// written (nothing on the host changes: the key does not exist).
func TestPersistUnknown(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sysctl.d", "99.conf")
	_, err := sysctl.Persist(context.Background(), "net.ipv4.saltgo_nonexistent", "1", p)
	if err == nil || err.Error() != "sysctl net.ipv4.saltgo_nonexistent does not exist" {
		t.Errorf("Persist: %v", err)
	}
	if _, err := os.Stat(filepath.Dir(p)); err == nil {
		t.Error("the config directory was created for an unknown parameter")
	}
	if _, err := sysctl.Assign(context.Background(), "net.ipv4.saltgo_nonexistent", "1"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("Assign: %v", err)
	}
	if !sysctl.Exists("net.ipv4.ip_forward") || !sysctl.Exists("kernel.hostname") {
		t.Error("Exists misses a real parameter")
	}
}

func TestDefaultConfig(t *testing.T) {
	want := "/etc/sysctl.conf"
	if st, err := os.Stat("/run/systemd/system"); err == nil && st.IsDir() {
		want = "/etc/sysctl.d/99-salt.conf"
	}
	if got := sysctl.DefaultConfig(context.Background()); got != want {
		t.Errorf("DefaultConfig = %q, want %q", got, want)
	}
}
