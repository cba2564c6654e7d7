package portfwd_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/saltgo/saltgo/lxc/lxctest"
	"github.com/saltgo/saltgo/lxc/portfwd"
	"github.com/saltgo/saltgo/lxc/provision"
)

func TestMain(m *testing.M) { lxctest.Main(m) }

// nsRun runs argv inside the namespace.
func nsRun(t *testing.T, ns *lxctest.Netns, argv ...string) string {
	t.Helper()
	out, err := exec.Command("nsenter", append([]string{"--net=/run/netns/" + ns.Name, "--"}, argv...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v: %s", argv, err, out)
	}
	return string(out)
}

// countRules returns how many rules of the VM each chain holds.
func countRules(t *testing.T, ctx context.Context, f *portfwd.Forwarder, vm string) map[string]int {
	t.Helper()
	rules, err := f.Rules(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, r := range rules {
		if r.VM == vm {
			n[r.Chain+" "+r.Proto+"/"+strconv.Itoa(r.Port)+"->"+r.To]++
		}
	}
	return n
}

func newForwarder(t *testing.T, backend string) (*portfwd.Forwarder, *lxctest.Netns) {
	t.Helper()
	lxctest.Require(t)
	if _, err := exec.LookPath("nft"); err != nil {
		t.Fatalf("the nft driver's tests need nft (apt-get install nftables): %v", err)
	}
	ns := lxctest.NewNetns(t, "lxcbr1", "10.5.0.1", 16)
	return &portfwd.Forwarder{Netns: ns.Name, Backend: backend}, ns
}

// TestNFTEnsureIdempotentReplaceRemove: Ensure twice makes each rule once
// (the second run changes nothing), a changed IP or port replaces the
// VM's rules, another VM's rules are untouched by Remove, and Remove by
// name alone deletes the VM's rules.
func TestNFTEnsureIdempotentReplaceRemove(t *testing.T) {
	t.Parallel()
	f, ns := newForwarder(t, portfwd.NFT)
	ctx := lxctest.Context(t)
	fw := portfwd.ReverseForwards(40000, 30000)
	ch, err := f.Ensure(ctx, "vm1.test", "10.5.0.2", fw)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch) != 4 || ch[0] != "net.ipv4.ip_forward=1" || ch[1] != "added vm1.test ssh tcp/40000->10.5.0.2:22" {
		t.Fatalf("first ensure changes: %q", ch)
	}
	if got := strings.TrimSpace(nsRun(t, ns, "cat", "/proc/sys/net/ipv4/ip_forward")); got != "1" {
		t.Errorf("ip_forward = %s", got)
	}
	if ch, err := f.Ensure(ctx, "vm1.test", "10.5.0.2", fw); err != nil || len(ch) != 0 {
		t.Fatalf("second ensure: %q %v", ch, err)
	}
	n := countRules(t, ctx, f, "vm1.test")
	if len(n) != 6 {
		t.Fatalf("rules: %v", n)
	}
	for k, c := range n {
		if c != 1 {
			t.Errorf("%s: %d rules", k, c)
		}
	}
	if _, err := f.Ensure(ctx, "vm2.test", "10.5.0.3", portfwd.ReverseForwards(40001, 0)); err != nil {
		t.Fatal(err)
	}
	// A changed IP (and a dropped snmp port) replaces the VM's rules.
	ch, err = f.Ensure(ctx, "vm1.test", "10.5.0.9", portfwd.ReverseForwards(40000, 0))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"removed vm1.test snmp tcp/30000->10.5.0.2:161", "removed vm1.test snmp udp/30000->10.5.0.2:161",
		"removed vm1.test ssh tcp/40000->10.5.0.2:22", "added vm1.test ssh tcp/40000->10.5.0.9:22"}
	if strings.Join(ch, "|") != strings.Join(want, "|") {
		t.Fatalf("ip change: %q", ch)
	}
	if n := countRules(t, ctx, f, "vm1.test"); len(n) != 2 || n["prerouting tcp/40000->10.5.0.9:22"] != 1 || n["output tcp/40000->10.5.0.9:22"] != 1 {
		t.Fatalf("rules after the ip change: %v", n)
	}
	// Remove knows only the name; vm2 keeps its rules.
	ch, err = f.Remove(ctx, "vm1.test")
	if err != nil || strings.Join(ch, "|") != "removed vm1.test ssh tcp/40000->10.5.0.9:22" {
		t.Fatalf("remove: %q %v", ch, err)
	}
	if n := countRules(t, ctx, f, "vm1.test"); len(n) != 0 {
		t.Fatalf("rules left: %v", n)
	}
	if n := countRules(t, ctx, f, "vm2.test"); len(n) != 2 {
		t.Fatalf("vm2's rules: %v", n)
	}
	if ch, err := f.Remove(ctx, "vm1.test"); err != nil || len(ch) != 0 {
		t.Fatalf("second remove: %q %v", ch, err)
	}
}

// TestNFTPortInUse: a port bound by a listening socket, forwarded to
// another VM, or used by a foreign nft rule is refused with an error
// naming the VM, the port and the cause, and nothing is changed.
func TestNFTPortInUse(t *testing.T) {
	t.Parallel()
	f, ns := newForwarder(t, portfwd.NFT)
	ctx := lxctest.Context(t)
	if _, err := f.Ensure(ctx, "vm2.test", "10.5.0.3", portfwd.ReverseForwards(40001, 0)); err != nil {
		t.Fatal(err)
	}
	nc := exec.Command("nsenter", "--net=/run/netns/"+ns.Name, "--", "busybox", "nc", "-l", "-p", "40002")
	if err := nc.Start(); err != nil {
		t.Fatalf("busybox nc (apt-get install busybox-static): %v", err)
	}
	t.Cleanup(func() { _ = nc.Process.Kill(); _ = nc.Wait() })
	for i := 0; i < 100 && !strings.Contains(nsRun(t, ns, "ss", "-Hltn"), ":40002"); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	nsRun(t, ns, "nft", "add table ip other; add chain ip other pre { type nat hook prerouting priority -90; }; add rule ip other pre tcp dport { 40003, 40100-40200 } dnat to 10.5.0.99:22")
	tests := []struct {
		port int
		want string
	}{
		{40001, "it is forwarded to vm vm2.test"},
		{40002, "a socket is bound to it: *:40002 users:((\"busybox\""},
		{40003, "a rule saltgo did not make uses it: nft rule in table ip other, chain pre"},
		{40150, "nft rule in table ip other, chain pre"},
	}
	for _, tc := range tests {
		fw := portfwd.ReverseForwards(tc.port, 0)
		err := f.Check(ctx, "vm1.test", "10.5.0.2", fw)
		var pe *portfwd.PortInUseError
		if !errors.As(err, &pe) || pe.VM != "vm1.test" || pe.Port != tc.port || !strings.Contains(err.Error(), tc.want) ||
			!strings.Contains(err.Error(), "port "+strconv.Itoa(tc.port)+"/tcp of this node to vm vm1.test") {
			t.Errorf("port %d: %v, want %q", tc.port, err, tc.want)
		}
		if _, err2 := f.Ensure(ctx, "vm1.test", "10.5.0.2", fw); err2 == nil || err2.Error() != err.Error() {
			t.Errorf("ensure port %d: %v", tc.port, err2)
		}
	}
	if n := countRules(t, ctx, f, "vm1.test"); len(n) != 0 {
		t.Errorf("rules made despite the errors: %v", n)
	}
	// The snmp port in use fails the whole VM: its ssh rule is not made either.
	if _, err := f.Ensure(ctx, "vm1.test", "10.5.0.2", portfwd.ReverseForwards(40010, 40003)); err == nil {
		t.Error("snmp port in use accepted")
	}
	if n := countRules(t, ctx, f, "vm1.test"); len(n) != 0 {
		t.Errorf("half-made rules: %v", n)
	}
}

// TestNoBackend: a node with neither nft nor iptables is an error naming
// the packages; Remove there has nothing to remove.
func TestNoBackend(t *testing.T) {
	f := &portfwd.Forwarder{NFTBin: "/nonexistent/nft", IPTablesBin: "/nonexistent/iptables", Netns: "/nonexistent/ns"}
	_, err := f.Ensure(context.Background(), "vm1.test", "10.5.0.2", portfwd.ReverseForwards(40000, 30000))
	if !errors.Is(err, portfwd.ErrNoBackend) || !strings.Contains(err.Error(), "vm vm1.test") || !strings.Contains(err.Error(), "apt-get install nftables (or iptables)") {
		t.Errorf("ensure: %v", err)
	}
	if ch, err := f.Remove(context.Background(), "vm1.test"); err != nil || ch != nil {
		t.Errorf("remove: %q %v", ch, err)
	}
	f.Backend = portfwd.IPTables
	if _, err := f.Ensure(context.Background(), "vm1.test", "10.5.0.2", nil); err == nil || !strings.Contains(err.Error(), "apt-get install iptables") {
		t.Errorf("iptables backend: %v", err)
	}
}

// TestIPTablesFake: the iptables driver against a fake iptables binary
// (the test host has only nftables; testdata/fake-iptables keeps the
// rules in files and logs every command) inside a namespace: first
// Ensure, idempotent second run, IP change, foreign rule, a failing
// command undone, Remove.
func TestIPTablesFake(t *testing.T) {
	lxctest.Require(t)
	ns := lxctest.NewNetns(t, "lxcbr1", "10.5.0.1", 16)
	dir := t.TempDir()
	bin, err := filepath.Abs("testdata/fake-iptables")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("FAKE_IPT_DIR", dir)
	f := &portfwd.Forwarder{Netns: ns.Name, Backend: portfwd.IPTables, IPTablesBin: bin, Subnet: "10.5.0.0/16"}
	ctx := lxctest.Context(t)
	fw := portfwd.ReverseForwards(40000, 0)
	if _, err := f.Ensure(ctx, "vm1.test", "10.5.0.2", fw); err != nil {
		t.Fatal(err)
	}
	if ch, err := f.Ensure(ctx, "vm1.test", "10.5.0.2", fw); err != nil || len(ch) != 0 {
		t.Fatalf("second ensure: %q %v", ch, err)
	}
	if ch, err := f.Ensure(ctx, "vm1.test", "10.5.0.5", fw); err != nil || len(ch) != 2 {
		t.Fatalf("ip change: %q %v", ch, err)
	}
	nat, _ := os.ReadFile(filepath.Join(dir, "nat"))
	filter, _ := os.ReadFile(filepath.Join(dir, "filter"))
	state := string(nat) + string(filter)
	if strings.Count(state, "--to-destination 10.5.0.5:22") != 2 || strings.Count(state, "-d 10.5.0.5/32") != 2 || strings.Count(state, "-A SALTGO-LXC-POST -s 10.5.0.0/16 -d 10.5.0.5/32") != 1 || strings.Contains(state, "10.5.0.2") || strings.Count(state, "-j SALTGO-LXC-") != 4 {
		t.Errorf("iptables state:\n%s", state)
	}
	bad := *f
	bad.Subnet = "10.5.0.1/16"
	if _, err := bad.Ensure(ctx, "vm1.test", "10.5.0.5", fw); err == nil || !strings.Contains(err.Error(), "invalid subnet") {
		t.Errorf("subnet with host bits: %v", err)
	}
	// A foreign DNAT rule on the port is refused.
	if err := os.WriteFile(filepath.Join(dir, "nat"), append(nat, "-A PREROUTING -p tcp -m tcp --dport 40007 -j DNAT --to-destination 10.5.0.77:22\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Ensure(ctx, "vm3.test", "10.5.0.7", portfwd.ReverseForwards(40007, 0)); err == nil || !strings.Contains(err.Error(), "iptables -t nat -A PREROUTING -p tcp -m tcp --dport 40007") {
		t.Errorf("foreign rule: %v", err)
	}
	// The filter rule fails: the nat rules added before it are undone.
	before, _ := os.ReadFile(filepath.Join(dir, "nat"))
	t.Setenv("FAKE_IPT_FAIL", "-A SALTGO-LXC-FWD -d 10.5.0.8/32")
	if _, err := f.Ensure(ctx, "vm4.test", "10.5.0.8", portfwd.ReverseForwards(40008, 0)); err == nil || !strings.Contains(err.Error(), "fake failure") {
		t.Errorf("failing command: %v", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "nat")); string(after) != string(before) {
		t.Errorf("nat table after a failed ensure:\n%s\nwant:\n%s", after, before)
	}
	t.Setenv("FAKE_IPT_FAIL", "")
	if ch, err := f.Remove(ctx, "vm1.test"); err != nil || len(ch) != 1 {
		t.Fatalf("remove: %q %v", ch, err)
	}
	nat, _ = os.ReadFile(filepath.Join(dir, "nat"))
	filter, _ = os.ReadFile(filepath.Join(dir, "filter"))
	if strings.Contains(string(nat)+string(filter), "saltgo-lxc:vm1.test") {
		t.Errorf("vm1's rules left:\n%s%s", nat, filter)
	}
}

// TestSpawnWithoutFirewallTool: on a node with neither nft nor iptables,
// a VM with reverse ports fails its spawn before anything is made, with
// the error naming the VM and the packages.
func TestSpawnWithoutFirewallTool(t *testing.T) {
	_, c, ctx := lxctest.Bridged(t)
	// A PATH holding every command of the real one but nft and iptables.
	bin := t.TempDir()
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			n := e.Name()
			if n == "nft" || strings.HasPrefix(n, "iptables") {
				continue
			}
			if _, err := os.Lstat(filepath.Join(bin, n)); err == nil {
				continue
			}
			if err := os.Symlink(filepath.Join(dir, n), filepath.Join(bin, n)); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Setenv("PATH", bin)
	s := busybox(lxctest.Unique("pfn"), "10.5.0.30", "00:16:3e:5a:00:30")
	s.SSHPort = 40030
	r, err := provision.Spawn(ctx, c, s)
	if !errors.Is(err, portfwd.ErrNoBackend) || r.Result || !strings.Contains(r.Comment, "vm "+s.Name) || !strings.Contains(r.Comment, "apt-get install nftables (or iptables)") {
		t.Fatalf("spawn without nft/iptables: %v %+v", err, r)
	}
	if ok, err := c.Exists(ctx, s.Name); err != nil || ok {
		t.Fatalf("container made: %v %v", ok, err)
	}
}

// TestNFTConcurrentVMs: the runner spawns several VMs of a node at once;
// their Ensures run concurrently and each VM ends with exactly its own
// rules, once.
func TestNFTConcurrentVMs(t *testing.T) {
	t.Parallel()
	f, _ := newForwarder(t, portfwd.NFT)
	ctx := lxctest.Context(t)
	const n = 6
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			vm := "vm" + strconv.Itoa(i) + ".test"
			_, err := f.Ensure(ctx, vm, "10.5.0."+strconv.Itoa(10+i), portfwd.ReverseForwards(40000+i, 30000+i))
			errs <- err
		}()
	}
	for i := 0; i < n; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	for i := 0; i < n; i++ {
		vm := "vm" + strconv.Itoa(i) + ".test"
		got := countRules(t, ctx, f, vm)
		if len(got) != 6 {
			t.Errorf("%s: %v", vm, got)
		}
		for k, c := range got {
			if c != 1 || !strings.Contains(k, "10.5.0."+strconv.Itoa(10+i)+":") {
				t.Errorf("%s: %s x%d", vm, k, c)
			}
		}
	}
}
