package mccloudlxc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/saltgo/saltgo/cli/console"
	runcli "github.com/saltgo/saltgo/cli/run"
	"github.com/saltgo/saltgo/internal/mastertest"
)

// TestBadInputThroughSaltRun runs mastersalt-run against a fake master the
// way a new user would get things wrong: every case exits non-zero with a
// clear comment, and no traceback.
func TestBadInputThroughSaltRun(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		breakIt func(m *mastertest.Server)
		want    string
	}{
		{name: "unknown compute node", args: []string{"mc_cloud_lxc.install_vt", "cn9"}, want: "cn9 is not a compute node declared in the pillar"},
		{name: "compute node without a key", args: []string{"mc_cloud_lxc.install_vt", "cn2"}, want: "minion cn2 is not known to the master"},
		{name: "root key missing (not on the master host)", args: []string{"mc_cloud_lxc.install_vt", "cn1"},
			breakIt: func(m *mastertest.Server) { os.Remove(filepath.Join(m.CacheDir, ".root_key")) },
			want:    "salt-run must run on the master host as root"},
		{name: "event socket gone", args: []string{"mc_cloud_lxc.install_vt", "cn1"},
			breakIt: func(m *mastertest.Server) { os.Remove(filepath.Join(m.SockDir, "master_event_pub.ipc")) },
			want:    "is the salt-master running on this host"},
		{name: "event socket not a socket", args: []string{"mc_cloud_lxc.install_vt", "cn1"},
			breakIt: func(m *mastertest.Server) {
				p := filepath.Join(m.SockDir, "master_event_pub.ipc")
				os.Remove(p)
				os.WriteFile(p, nil, 0o600)
			},
			want: "connect to the master event bus"},
		{name: "unknown vm", args: []string{"mc_cloud_lxc.provision", "nope.example.com"}, want: "vm nope.example.com is not declared"},
		{name: "bad steps", args: []string{"mc_cloud_lxc.provision", "vm1.example.com", "steps=spawn,teleport"}, want: `unknown vm step "teleport"`},
		{name: "bad concurrency", args: []string{"mc_cloud_lxc.provision_vms", "concurrency=-2"}, want: "concurrency must be a positive integer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			proot := filepath.Join(dir, "pillar")
			mustWrite(t, filepath.Join(proot, "top.sls"), "base:\n  '*':\n    - cloud\n")
			mustWrite(t, filepath.Join(proot, "cloud.sls"), "makina-states.services.cloud.lxc.targets.cn1:\n  vm1.example.com: {ip: 10.5.0.11}\nmakina-states.services.cloud.lxc.targets.cn2:\n  vm3.example.com: {}\n")
			// cn1 answers test.ping but nothing else matters here.
			m := mastertest.StartFake(t, map[string]mastertest.FakeMinion{"cn1": {}}, "pillar_roots:\n  base:\n    - "+proot+
				"\nmc_cloud_lxc.controller_id: ctl\nmc_cloud_lxc.alloc_root: "+filepath.Join(dir, "alloc")+"\nmc_cloud_lxc.ping_tries: 1\ntimeout: 1\ngather_job_timeout: 1\n")
			if tc.breakIt != nil {
				tc.breakIt(m)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var out, errb bytes.Buffer
			code := runcli.Main(ctx, "mastersalt-run", append([]string{"-c", m.ConfDir, "--out", "json"}, tc.args...), console.IO{Stdout: &out, Stderr: &errb})
			if strings.Contains(tc.want, "positive integer") {
				// Argument errors are salt-run's "Passed invalid arguments".
				if !strings.Contains(out.String(), tc.want) {
					t.Errorf("stdout %q lacks %q", out.String(), tc.want)
				}
				return
			}
			var ret map[string]any
			if err := json.Unmarshal(out.Bytes(), &ret); err != nil {
				t.Fatalf("stdout is not the result dict: %v\n%s\n%s", err, out.String(), errb.String())
			}
			if code == 0 || ret["result"] != false {
				t.Errorf("exit %d result %v", code, ret["result"])
			}
			if c, _ := ret["comment"].(string); !strings.Contains(c, tc.want) {
				t.Errorf("comment %q lacks %q", c, tc.want)
			}
			if strings.Contains(out.String(), "Traceback") {
				t.Errorf("traceback in %s", out.String())
			}
		})
	}
}
