package provision_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/lxc/liblxc"
	"github.com/saltgo/saltgo/lxc/lxctest"
	"github.com/saltgo/saltgo/lxc/provision"
)

// eth0 waits until the container's eth0 shows want and returns what
// `ip addr show eth0` printed.
func eth0(t *testing.T, ctx context.Context, c *liblxc.Client, name, want string) string {
	t.Helper()
	return lxctest.WaitAddr(t, ctx, c, name, "eth0", want)
}

// TestRespawnAppliesNetworkChange: a VM whose IP and MAC changed in the
// settings after its spawn gets them on the next spawn step (restart, said
// in the comment and the changes); an address another running container
// uses is refused with the VM, the address and the other container named,
// and the VM keeps running as it was. The built backing is the reported
// one (dir-scratch: a dir rootfs).
func TestRespawnAppliesNetworkChange(t *testing.T) {
	t.Parallel()
	_, c, ctx := lxctest.Bridged(t)
	s := busybox(lxctest.Unique("drift"), "10.5.0.11", "00:16:3e:5a:01:11")
	if r := mustSpawn(t, c, s); data.Str(mustChange(r, "backing")) != "dir" {
		t.Fatalf("spawn reports backing %v, want dir", mustChange(r, "backing"))
	}
	in, err := c.Info(ctx, s.Name)
	if err != nil {
		t.Fatal(err)
	}
	// A dir rootfs is "dir:<path>" or a plain path (overlayfs clones have
	// "overlay:<lower>:<upper>").
	if p := strings.TrimPrefix(in.RootfsPath, "dir:"); !strings.HasPrefix(p, "/") || strings.Contains(p, ":") {
		t.Fatalf("dir-scratch built lxc.rootfs.path %q, want a dir rootfs", in.RootfsPath)
	} else if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
		t.Fatalf("rootfs %s: %v", p, err)
	}
	if out := eth0(t, ctx, c, s.Name, "10.5.0.11/16"); !strings.Contains(out, "10.5.0.11/16") {
		t.Fatalf("eth0 before: %s", out)
	}

	s.IP, s.MAC = "10.5.0.21", "00:16:3e:5a:01:21"
	r, err := provision.Spawn(ctx, c, s)
	if err != nil || !r.Result {
		t.Fatalf("respawn: %v %+v", err, r)
	}
	want := s.Name + " already provisioned, restarted to apply ip 10.5.0.11 -> 10.5.0.21, mac 00:16:3e:5a:01:11 -> 00:16:3e:5a:01:21"
	if r.Comment != want {
		t.Fatalf("comment %q\nwant    %q", r.Comment, want)
	}
	if nw, ok := r.Changes.Get("network"); !ok {
		t.Fatalf("changes without network: %v", r.Changes)
	} else if ip, _ := nw.(*data.Map).Get("ip"); ip.(*data.Map).Len() != 2 {
		t.Fatalf("network changes %v", nw)
	}
	out := eth0(t, ctx, c, s.Name, "10.5.0.21/16")
	if !strings.Contains(out, "10.5.0.21/16") || strings.Contains(out, "10.5.0.11") || !strings.Contains(out, "00:16:3e:5a:01:21") {
		t.Fatalf("eth0 after the change: %s", out)
	}
	// Converged: no changes.
	if r, err := provision.Spawn(ctx, c, s); err != nil || r.Changed() || r.Comment != s.Name+" already provisioned" {
		t.Fatalf("third spawn: %v %+v", err, r)
	}

	// Another VM holds 10.5.0.31: moving the first one there is refused.
	o := busybox(lxctest.Unique("drifto"), "10.5.0.31", "00:16:3e:5a:01:31")
	mustSpawn(t, c, o)
	cfgBefore, _ := os.ReadFile(in.ConfigFile)
	s.IP = "10.5.0.31"
	r, err = provision.Spawn(ctx, c, s)
	wantErr := "lxc: " + s.Name + ": cannot apply ip 10.5.0.21 -> 10.5.0.31: ip 10.5.0.31 is already used by running container \"" + o.Name + "\" on this node"
	if err == nil || r.Result || err.Error() != wantErr {
		t.Fatalf("conflict: %v\nwant %s", err, wantErr)
	}
	if cfgAfter, _ := os.ReadFile(in.ConfigFile); string(cfgAfter) != string(cfgBefore) {
		t.Fatalf("refused change rewrote the config:\n%s", cfgAfter)
	}
	if st, _ := c.State(ctx, s.Name); st != "running" {
		t.Fatalf("refused change left %s %s", s.Name, st)
	}
	// Invalid MACs are refused before anything is touched.
	s.IP = "10.5.0.21"
	for mac, want := range map[string]string{
		"00:16:3e:zz:01:21": `lxc: ` + s.Name + `: invalid mac "00:16:3e:zz:01:21"`,
		"01:00:5e:00:00:01": `lxc: ` + s.Name + `: invalid mac "01:00:5e:00:00:01" (a multicast address: an interface needs a unicast one)`,
	} {
		s.MAC = mac
		if r, err := provision.Spawn(ctx, c, s); err == nil || r.Result || err.Error() != want {
			t.Fatalf("bad mac: %v %+v\nwant %s", err, r, want)
		}
	}
	if cfgAfter, _ := os.ReadFile(in.ConfigFile); string(cfgAfter) != string(cfgBefore) {
		t.Fatalf("refused mac rewrote the config:\n%s", cfgAfter)
	}

	// A change that fails after the container was stopped (liblxc refuses
	// an lxc_conf capability it does not know) is undone: the old config
	// is back and the container runs on its old address again.
	s.MAC = "00:16:3e:5a:01:21"
	s.IP = "10.5.0.22"
	s.LXCConf = []liblxc.ConfItem{{Key: "lxc.cap.drop", Value: "no_such_capability"}}
	r, err = provision.Spawn(ctx, c, s)
	if err == nil || r.Result || !strings.HasPrefix(err.Error(), "lxc: "+s.Name+": apply ip 10.5.0.21 -> 10.5.0.22: set lxc.cap.drop = \"no_such_capability\"") {
		t.Fatalf("failed restart: %v %+v", err, r)
	}
	if cfgAfter, _ := os.ReadFile(in.ConfigFile); string(cfgAfter) != string(cfgBefore) {
		t.Fatalf("failed change left the config:\n%s\nwas:\n%s", cfgAfter, cfgBefore)
	}
	if st, _ := c.State(ctx, s.Name); st != "running" {
		t.Fatalf("failed change left %s %s", s.Name, st)
	}
	if out := eth0(t, ctx, c, s.Name, "10.5.0.21/16"); !strings.Contains(out, "10.5.0.21/16") {
		t.Fatalf("eth0 after the undone change: %s", out)
	}
}

func mustChange(r *provision.StepResult, k string) any { v, _ := r.Changes.Get(k); return v }
