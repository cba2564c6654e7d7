package provision_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/saltgo/saltgo/lxc/liblxc"
	"github.com/saltgo/saltgo/lxc/lxctest"
	"github.com/saltgo/saltgo/lxc/provision"
)

func TestMain(m *testing.M) { lxctest.Main(m) }

func busybox(name, ip, mac string) *provision.Settings {
	return &provision.Settings{
		Name: name, ProfileType: "dir-scratch", Image: "busybox",
		Bridge: "lxcbr1", IP: ip, Netmask: "16", Gateway: "10.5.0.1", MAC: mac,
		DNSServers: []string{"10.5.0.1"}, Autostart: true,
	}
}

func mustSpawn(t *testing.T, c *liblxc.Client, s *provision.Settings) *provision.StepResult {
	t.Helper()
	r, err := provision.Spawn(lxctest.Context(t), c, s)
	if err != nil || !r.Result {
		t.Fatalf("spawn %s: %v (%+v)", s.Name, err, r)
	}
	return r
}

func TestScratchContainerStaticIPAndTCP(t *testing.T) {
	t.Parallel()
	ns, c, ctx := lxctest.Bridged(t)
	s := busybox(lxctest.Unique("scr"), "10.5.0.10", "00:16:3e:5a:00:10")
	r := mustSpawn(t, c, s)
	if !r.Changed() {
		t.Fatalf("first spawn reported no changes: %+v", r)
	}
	in, err := c.Info(ctx, s.Name)
	if err != nil {
		t.Fatal(err)
	}
	if in.State != "running" || in.Hwaddr != s.MAC || !in.Autostart || in.Link != "lxcbr1" {
		t.Fatalf("info = %+v", in)
	}
	cfg, _ := os.ReadFile(in.ConfigFile)
	for _, want := range []string{"lxc.start.auto = 1", "lxc.net.0.ipv4.address = 10.5.0.10/16", "lxc.net.0.hwaddr = 00:16:3e:5a:00:10", "lxc.net.0.ipv4.gateway = 10.5.0.1"} {
		if !strings.Contains(string(cfg), want) {
			t.Errorf("config lacks %q:\n%s", want, cfg)
		}
	}
	// The static address survives boot (udhcpc disabled), as the container sees it.
	var addr string
	for i := 0; i < 50; i++ {
		out, err := c.Run(ctx, s.Name, []string{"ip", "addr", "show", "eth0"}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		addr = string(out.Stdout)
		if strings.Contains(addr, "10.5.0.10/16") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(addr, "10.5.0.10/16") || !strings.Contains(addr, "00:16:3e:5a:00:10") {
		t.Fatalf("eth0 in container: %s", addr)
	}
	resolv, err := c.ReadFile(ctx, s.Name, "/etc/resolv.conf")
	if err != nil || string(resolv) != "nameserver 10.5.0.1\n" {
		t.Fatalf("resolv.conf = %q, %v", resolv, err)
	}

	// A TCP listener in the container, reached from the namespace on the
	// container's allocated IP.
	if err := c.WriteFile(ctx, s.Name, "/srv/www/index.html", []byte("hello from lxc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := c.Run(ctx, s.Name, []string{"httpd", "-p", "8080", "-h", "/srv/www"}, nil, nil); err != nil || out.Status != 0 {
		t.Fatalf("httpd: %v %+v", err, out)
	}
	body := ns.Get("10.5.0.10:8080", "/index.html")
	if !strings.Contains(string(body), "hello from lxc") {
		t.Fatalf("http from namespace: %q", body)
	}

	// Idempotence: a second spawn changes nothing.
	r2 := mustSpawn(t, c, s)
	if r2.Changed() || !strings.Contains(r2.Comment, "already provisioned") {
		t.Fatalf("second spawn: %+v", r2)
	}
	d, err := provision.Destroy(ctx, c, s.Name, "")
	if err != nil || !d.Changed() {
		t.Fatalf("destroy: %v %+v", err, d)
	}
	if ok, _ := c.Exists(ctx, s.Name); ok {
		t.Fatal("container still exists after destroy")
	}
	if _, err := os.Stat(filepath.Join(c.Path(), s.Name)); !os.IsNotExist(err) {
		t.Fatalf("container directory left behind: %v", err)
	}
	d2, err := provision.Destroy(ctx, c, s.Name, "")
	if err != nil || d2.Changed() {
		t.Fatalf("second destroy: %v %+v", err, d2)
	}
}

// TestOverlaySnapshotClone: an overlayfs profile, and a dir profile with
// snapshot (LXC 1.x's lxc-clone -s made an overlayfs clone of a dir
// origin; liblxc has no dir snapshot), both clone the origin as an overlay.
func TestOverlaySnapshotClone(t *testing.T) {
	t.Parallel()
	_, c, ctx := lxctest.Bridged(t)
	origin := lxctest.Unique("org")
	if err := c.Create(ctx, &liblxc.Plan{Name: origin, Template: "busybox", Backend: "dir"}); err != nil {
		t.Fatal(err)
	}
	for i, kind := range []struct {
		profile  string
		snapshot bool
	}{{"overlayfs", false}, {"dir", true}} {
		s := &provision.Settings{Name: lxctest.Unique("ovl"), ProfileType: kind.profile, Snapshot: kind.snapshot, FromContainer: origin,
			Bridge: "lxcbr1", IP: fmt.Sprintf("10.5.0.%d", 11+i), Netmask: "16", Gateway: "10.5.0.1", MAC: fmt.Sprintf("00:16:3e:5a:00:%02x", 0x11+i)}
		t.Logf("profile %s snapshot %v", kind.profile, kind.snapshot)
		r := mustSpawn(t, c, s)
		if got, _ := r.Changes.String("created"); !strings.Contains(got, "clone of "+origin) {
			t.Fatalf("changes: %v", r.Changes)
		}
		in, err := c.Info(ctx, s.Name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(in.RootfsPath, "/overlay/delta") || !strings.Contains(in.RootfsPath, filepath.Join(c.Path(), origin, "rootfs")) {
			t.Fatalf("rootfs %q is not an overlay on the origin", in.RootfsPath)
		}
		if in.State != "running" {
			t.Fatalf("state %s", in.State)
		}
		// The clone's writes land in its delta, never in the origin.
		if err := c.WriteFile(ctx, s.Name, "/etc/clone-only", []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(c.Path(), origin, "rootfs", "etc", "clone-only")); !os.IsNotExist(err) {
			t.Fatalf("clone write reached the origin: %v", err)
		}
		orc, _ := os.ReadFile(filepath.Join(c.Path(), origin, "rootfs", "etc", "init.d", "rcS"))
		if !strings.Contains(string(orc), "/bin/udhcpc") || strings.Contains(string(orc), "saltgo") {
			t.Fatalf("origin rcS modified: %s", orc)
		}
		// A second clone with the same name but another origin is refused.
		other := *s
		other.FromContainer = "another-origin"
		if _, err := provision.Spawn(ctx, c, &other); err == nil || !strings.Contains(err.Error(), "already exists as a clone of "+origin) {
			t.Fatalf("spawn with another origin: %v", err)
		}
		if _, err := provision.Destroy(ctx, c, s.Name, ""); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCloneWhileImageSyncs: while a sync of the origin image holds its
// lock, a clone of it (dir copy or overlay) is refused and leaves nothing
// behind; once the sync is over the clone is made, and it does not keep
// the lock (the next sync can take it).
func TestCloneWhileImageSyncs(t *testing.T) {
	t.Parallel()
	_, c, ctx := lxctest.Bridged(t)
	origin := lxctest.Unique("img")
	if err := c.Create(ctx, &liblxc.Plan{Name: origin, Template: "busybox", Backend: "dir"}); err != nil {
		t.Fatal(err)
	}
	lockPath := filepath.Join(c.Path(), ".saltgo-sync-"+origin+".lock")
	for i, ptype := range []string{"dir", "overlayfs"} {
		s := &provision.Settings{Name: lxctest.Unique("cl"), ProfileType: ptype, FromContainer: origin,
			Bridge: "lxcbr1", IP: fmt.Sprintf("10.5.0.%d", 21+i), Netmask: "16", Gateway: "10.5.0.1", MAC: fmt.Sprintf("00:16:3e:5a:00:%02x", 0x21+i)}
		sync, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		if err := syscall.Flock(int(sync.Fd()), syscall.LOCK_EX); err != nil {
			t.Fatal(err)
		}
		r, err := provision.Spawn(ctx, c, s)
		sync.Close()
		if err == nil || r.Result || !strings.Contains(err.Error(), provision.ErrTransferInProgress.Error()+": cannot clone "+s.Name+" from "+origin+" now: the image is being synchronised") {
			t.Fatalf("%s clone during a sync: %v %+v", ptype, err, r)
		}
		if ok, _ := c.Exists(ctx, s.Name); ok {
			t.Fatalf("%s clone refused during a sync left a container", ptype)
		}
		if _, err := os.Lstat(filepath.Join(c.Path(), s.Name)); err == nil {
			t.Fatalf("%s clone refused during a sync left its directory", ptype)
		}
		mustSpawn(t, c, s)
		sync, err = os.OpenFile(lockPath, os.O_RDWR, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		if err := syscall.Flock(int(sync.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			t.Fatalf("the sync lock is still held after the %s clone: %v", ptype, err)
		}
		sync.Close()
	}
}

func TestBadInputLeavesNothingBehind(t *testing.T) {
	t.Parallel()
	_, c, ctx := lxctest.Bridged(t)
	running := busybox(lxctest.Unique("run"), "10.5.0.20", "00:16:3e:5a:00:20")
	mustSpawn(t, c, running)

	cases := []struct {
		name string
		s    *provision.Settings
		want string
	}{
		{"missing origin", &provision.Settings{Name: lxctest.Unique("b"), ProfileType: "dir", FromContainer: "no-such-origin", Bridge: "lxcbr1"}, `origin container "no-such-origin" does not exist`},
		{"default origin missing", &provision.Settings{Name: lxctest.Unique("b"), ProfileType: "overlayfs", Bridge: "lxcbr1"}, `"makina-states-precise" does not exist`},
		{"ip in use", busybox(lxctest.Unique("b"), "10.5.0.20", "00:16:3e:5a:00:21"), "already used by running container " + `"` + running.Name + `"`},
		{"no bridge", &provision.Settings{Name: lxctest.Unique("b"), ProfileType: "dir-scratch", Image: "busybox", Bridge: "nosuchbr0"}, `bridge "nosuchbr0" does not exist`},
		{"no template", &provision.Settings{Name: lxctest.Unique("b"), ProfileType: "dir-scratch", Image: "nosuchimage", Bridge: "lxcbr1"}, `lxc template "nosuchimage" does not exist`},
		{"bad profile type", &provision.Settings{Name: lxctest.Unique("b"), ProfileType: "zfs"}, "unknown profile type"},
		{"bad ip", &provision.Settings{Name: lxctest.Unique("b"), ProfileType: "dir-scratch", IP: "10.5.0.300"}, "invalid ip"},
		{"bad name", &provision.Settings{Name: "../etc", ProfileType: "dir-scratch"}, "invalid container name"},
	}
	for _, tc := range cases {
		r, err := provision.Spawn(ctx, c, tc.s)
		if err == nil || r.Result || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
			continue
		}
		if r.Comment != err.Error() {
			t.Errorf("%s: comment %q != error", tc.name, r.Comment)
		}
	}
	// A start that fails after the container was made (bridge vanished in
	// between is simulated by an lxc_conf link override) is reverted.
	bad := busybox(lxctest.Unique("rv"), "10.5.0.30", "00:16:3e:5a:00:30")
	bad.LXCConf = []liblxc.ConfItem{{Key: "lxc.net.0.link", Value: "gonebr0"}}
	if _, err := provision.Spawn(ctx, c, bad); err == nil || !strings.Contains(err.Error(), "start") {
		t.Fatalf("spawn with a broken link: %v", err)
	}
	list, err := c.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Name != running.Name {
		t.Fatalf("containers left after failed spawns: %v", list)
	}
	ents, _ := os.ReadDir(c.Path())
	if len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Fatalf("directories left after failed spawns: %v", names)
	}
}
