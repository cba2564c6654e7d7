package portfwd_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/saltgo/saltgo/lxc/lxctest"
	"github.com/saltgo/saltgo/lxc/portfwd"
	"github.com/saltgo/saltgo/lxc/provision"
)

// TestSpawnForwardsReversePorts: with real busybox containers in the
// test's namespace, the spawn step forwards the VM's ssh reverse port to
// its port 22: a TCP listener in the VM on :22 is reached at the node's
// address (the bridge's, from the node itself), from a second namespace
// playing a remote client (through a veth, on the node's address there)
// and from another VM (hairpin); UDP reaches its port 161 through the snmp
// reverse port; a second spawn changes nothing; a port bound on the
// node fails that VM's spawn with nothing made, and the other VM spawns;
// destroy removes the rules and the port answers no more.
func TestSpawnForwardsReversePorts(t *testing.T) {
	ns, c, ctx := lxctest.Bridged(t)
	remote := lxctest.NewNetns(t, "", "", 0)
	veth := lxctest.Unique("pf")
	ns.MustIP(t, "link", "add", veth, "type", "veth", "peer", "name", "eth1", "netns", remote.Name)
	ns.MustIP(t, "addr", "add", "192.0.2.1/24", "dev", veth)
	ns.MustIP(t, "link", "set", veth, "up")
	remote.MustIP(t, "addr", "add", "192.0.2.2/24", "dev", "eth1")
	remote.MustIP(t, "link", "set", "eth1", "up")

	// A port bound on the node: that VM fails, clearly, and nothing is made.
	nc := exec.Command("nsenter", "--net=/run/netns/"+ns.Name, "--", "busybox", "nc", "-l", "-p", "40005")
	if err := nc.Start(); err != nil {
		t.Fatalf("busybox nc (apt-get install busybox-static): %v", err)
	}
	t.Cleanup(func() { _ = nc.Process.Kill(); _ = nc.Wait() })
	for i := 0; i < 100; i++ {
		out, _ := exec.Command("nsenter", "--net=/run/netns/"+ns.Name, "--", "ss", "-Hltn").Output()
		if strings.Contains(string(out), ":40005") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	bad := busybox(lxctest.Unique("pfb"), "10.5.0.21", "00:16:3e:5a:00:21")
	bad.SSHPort, bad.SNMPPort = 40005, 30005
	r, err := provision.Spawn(ctx, c, bad)
	var pe *portfwd.PortInUseError
	if !errors.As(err, &pe) || r.Result || !strings.Contains(r.Comment, "cannot forward port 40005/tcp of this node to vm "+bad.Name) ||
		!strings.Contains(r.Comment, "a socket is bound to it: *:40005") {
		t.Fatalf("spawn on a bound port: %v %+v", err, r)
	}
	if ok, _ := c.Exists(ctx, bad.Name); ok {
		t.Fatal("container made despite the port error")
	}

	s := busybox(lxctest.Unique("pfv"), "10.5.0.20", "00:16:3e:5a:00:20")
	s.SSHPort, s.SNMPPort = 40000, 30000
	r, err = provision.Spawn(ctx, c, s)
	if err != nil || !r.Result {
		t.Fatalf("spawn: %v %+v", err, r)
	}
	ports, _ := r.Changes.Get(provision.ReversePortsChange)
	if l, _ := ports.([]any); len(l) != 4 || l[1] != "added "+s.Name+" ssh tcp/40000->10.5.0.20:22" {
		t.Fatalf("spawn changes: %v", r.Changes)
	}
	if err := c.WriteFile(ctx, s.Name, "/srv/www/index.html", []byte("ssh port of "+s.Name+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := c.Run(ctx, s.Name, []string{"httpd", "-p", "22", "-h", "/srv/www"}, nil, nil); err != nil || out.Status != 0 {
		t.Fatalf("httpd: %v %+v", err, out)
	}
	for _, tc := range []struct {
		who  *lxctest.Netns
		addr string
	}{{ns, "10.5.0.1:40000"}, {ns, "192.0.2.1:40000"}, {remote, "192.0.2.1:40000"}} {
		if body := tc.who.Get(tc.addr, "/index.html"); !strings.Contains(string(body), "ssh port of "+s.Name) {
			t.Errorf("GET http://%s from %s: %q", tc.addr, tc.who.Name, body)
		}
	}
	// Hairpin: another VM reaches it through the node's reverse port too
	// (its connection is masqueraded, so the reply comes back through the
	// node). The namespace's bridge does not pass its frames to iptables
	// (a node without br_netfilter: with it, the bridge would undo the DNAT
	// of the reply by itself).
	if out, err := exec.Command("nsenter", "--net=/run/netns/"+ns.Name, "--", "sh", "-c",
		"[ ! -e /proc/sys/net/bridge/bridge-nf-call-iptables ] || echo 0 > /proc/sys/net/bridge/bridge-nf-call-iptables").CombinedOutput(); err != nil {
		t.Fatalf("bridge-nf-call-iptables in the namespace: %v %s", err, out)
	}
	other := busybox(lxctest.Unique("pfo"), "10.5.0.22", "00:16:3e:5a:00:22")
	if r, err := provision.Spawn(ctx, c, other); err != nil || !r.Result {
		t.Fatalf("spawn %s: %v %+v", other.Name, err, r)
	}
	var page string
	for i := 0; i < 20 && !strings.Contains(page, "ssh port of "+s.Name); i++ {
		out, err := c.Run(ctx, other.Name, []string{"sh", "-c", `printf "GET /index.html HTTP/1.0\r\n\r\n" | nc -w 2 10.5.0.1 40000`}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		page = string(out.Stdout)
		if !strings.Contains(page, "ssh port of "+s.Name) {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if !strings.Contains(page, "ssh port of "+s.Name) {
		t.Errorf("from vm %s through the node's port 40000: %q", other.Name, page)
	}
	// snmp: a UDP datagram from the remote client to the node's snmp
	// reverse port reaches the VM's port 161 (busybox has no UDP server:
	// testdata/udpsink, built static, plays the agent).
	sink := filepath.Join(t.TempDir(), "udpsink")
	build := exec.Command("go", "build", "-o", sink, "./testdata/udpsink")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build udpsink: %v: %s", err, out)
	}
	if err := c.CopyFile(ctx, s.Name, sink, "/bin/udpsink", 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := c.Run(ctx, s.Name, []string{"sh", "-c", "udpsink 161 /tmp/snmp.got > /dev/null 2>&1 &"}, nil, nil); err != nil || out.Status != 0 {
		t.Fatalf("udpsink in the vm: %v %+v", err, out)
	}
	var got []byte
	for i := 0; i < 50 && !strings.Contains(string(got), "snmp probe from 192.0.2.2:"); i++ {
		if err := udpSend(remote, "192.0.2.1:30000", "snmp probe"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
		got, _ = c.ReadFile(ctx, s.Name, "/tmp/snmp.got")
	}
	if !strings.Contains(string(got), "snmp probe from 192.0.2.2:") {
		t.Errorf("udp to the snmp reverse port: the vm got %q", got)
	}
	// Re-provision: nothing changes, one rule per chain and port.
	if r, err := provision.Spawn(ctx, c, s); err != nil || r.Changed() {
		t.Fatalf("second spawn: %v %+v", err, r)
	}
	f := provision.Forwarder(c)
	rules, err := f.Rules(ctx)
	if err != nil || len(rules) != 9 {
		t.Fatalf("rules: %v %+v", err, rules)
	}

	d, err := provision.Destroy(ctx, c, s.Name, "")
	if err != nil || !d.Result {
		t.Fatalf("destroy: %v %+v", err, d)
	}
	if l, _ := d.Changes.Get(provision.ReversePortsChange); len(l.([]any)) != 3 {
		t.Errorf("destroy changes: %v", d.Changes)
	}
	if rules, err := f.Rules(ctx); err != nil || len(rules) != 0 {
		t.Fatalf("rules after destroy: %v %+v", err, rules)
	}
	// The node itself now refuses the port (no DNAT to a vanished VM).
	for _, who := range []*lxctest.Netns{ns, remote} {
		conn, err := who.Dial("192.0.2.1:40000", 2*time.Second)
		if err == nil {
			_ = conn.Close()
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("port 40000 from %s after destroy: %v, want connection refused", who.Name, err)
		}
	}
	// A destroyed container's leftover rules (settings not at hand) go too.
	if _, err := f.Ensure(ctx, s.Name, "10.5.0.20", portfwd.ReverseForwards(40000, 0)); err != nil {
		t.Fatal(err)
	}
	if d, err := provision.Destroy(ctx, c, s.Name, ""); err != nil || !d.Changes.Has(provision.ReversePortsChange) {
		t.Fatalf("destroy of leftover rules: %v %+v", err, d)
	}
}

func busybox(name, ip, mac string) *provision.Settings {
	return &provision.Settings{
		Name: name, ProfileType: "dir-scratch", Image: "busybox",
		Bridge: "lxcbr1", IP: ip, Netmask: "16", Gateway: "10.5.0.1", MAC: mac,
		DNSServers: []string{"10.5.0.1"}, Autostart: true,
	}
}

// udpSend sends one datagram from inside the namespace n.
func udpSend(n *lxctest.Netns, addr, msg string) error {
	ch := make(chan error, 1)
	go func() {
		// The thread is switched to the namespace and never unlocked, so
		// the runtime discards it afterwards.
		runtime.LockOSThread()
		f, err := os.Open(filepath.Join("/run/netns", n.Name))
		if err != nil {
			ch <- err
			return
		}
		defer func() { _ = f.Close() }()
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- fmt.Errorf("setns: %w", err)
			return
		}
		c, err := net.Dial("udp4", addr)
		if err != nil {
			ch <- err
			return
		}
		defer func() { _ = c.Close() }()
		_, err = c.Write([]byte(msg))
		ch <- err
	}()
	return <-ch
}
