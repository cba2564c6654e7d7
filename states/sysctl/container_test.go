package sysctl_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/lxc/lxctest"
)

func TestMain(m *testing.M) { lxctest.Main(m) }

var tree = map[string]string{
	"sysctl1.sls": `ip_forward:
  sysctl.present:
    - name: net.ipv4.ip_forward
    - value: 1
lo_forwarding:
  sysctl.present:
    - name: net.ipv4.conf.lo.forwarding
    - value: 1
    - config: /etc/sysctl.d/50-saltgo-test.conf
port_range:
  sysctl.present:
    - name: net.ipv4.ip_local_port_range
    - value: 20000 40000
    - config: /etc/sysctl.d/50-saltgo-test.conf
`,
	"sysctl2.sls": `ip_forward_off:
  sysctl.present:
    - name: net.ipv4.ip_forward
    - value: 0
unknown_key:
  sysctl.present:
    - name: net.ipv4.saltgo_nonexistent
    - value: 1
live_only:
  sysctl.present:
    - name: net.ipv4.conf.all.forwarding
    - value: 1
    - config: /etc/sysctl.d/60-saltgo-empty.conf
`,
	"sysctl3.sls": `unknown_key:
  sysctl.present:
    - name: net.ipv4.saltgo_nonexistent
    - value: 1
    - config: /etc/sysctl.d/70-saltgo-unknown.conf
`,
}

var steps = []lxctest.Step{
	{Name: "sysctl1_apply", Fun: "state.apply", Args: []string{"sysctl1"}},
	{Name: "sysctl1_again", Fun: "state.apply", Args: []string{"sysctl1"}},
	{Name: "sysctl1_test", Fun: "state.apply", Args: []string{"sysctl1", "test=True"}},
	{Name: "sysctl2_test", Fun: "state.apply", Args: []string{"sysctl2", "test=True"}},
	{Name: "sysctl3_unknown", Fun: "state.apply", Args: []string{"sysctl3"}},
}

// TestGoldenContainer applies the sysctl trees with saltgo inside a Debian
// container (its own network namespace, whose net.* parameters are its
// own) and compares every return with Salt 3007.14's, then checks the
// kernel values and the files.
func TestGoldenContainer(t *testing.T) {
	shared := t.TempDir()
	lxctest.WriteFiles(t, filepath.Join(shared, "tree"), tree)
	conf := lxctest.WriteMinion(t, shared, lxctest.MinionConfig{RootDir: lxctest.SharedDir + "/root"})
	d := lxctest.NewDebian(t, lxctest.DebianOptions{Shared: shared})
	m := lxctest.NewMinion(t, d, shared, conf)
	m.Steps(t, "testdata/golden", steps)
	for key, want := range map[string]string{"net/ipv4/ip_forward": "1", "net/ipv4/conf/lo/forwarding": "1", "net/ipv4/ip_local_port_range": "20000\t40000"} {
		if got := strings.TrimSpace(d.MustRun(t, "cat", "/proc/sys/"+key)); got != want {
			t.Errorf("%s in the container = %q, want %q", key, got, want)
		}
	}
	b, err := os.ReadFile(filepath.Join(d.Root, "etc/sysctl.d/50-saltgo-test.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "#\n# Kernel sysctl configuration\n#\nnet.ipv4.conf.lo.forwarding = 1\nnet.ipv4.ip_local_port_range = 20000 40000\n"; string(b) != want {
		t.Errorf("50-saltgo-test.conf:\n%s\nwant:\n%s", b, want)
	}
	if !m.Python {
		// Unlike Salt, an unknown parameter leaves no line behind.
		if _, err := os.Stat(filepath.Join(d.Root, "etc/sysctl.d/70-saltgo-unknown.conf")); err == nil {
			t.Error("70-saltgo-unknown.conf was written for an unknown parameter")
		}
	}
}
