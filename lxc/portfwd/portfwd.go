// Package portfwd forwards ports of a compute node to its VMs: the
// reverse ports makina-states allocates per VM (ssh_reverse_proxy_port to
// the VM's port 22, snmp_reverse_proxy_port to its port 161) become
// destination-NAT rules in the network namespace where the containers'
// bridge lives.
//
// Two drivers write the rules: nftables (the nft binary; a table of its
// own, ip saltgo_lxc, with prerouting and output NAT chains so that both
// remote clients and the node itself reach the VM) and iptables (chains
// SALTGO-LXC-PRE/-OUT in the nat table and SALTGO-LXC-FWD in the filter
// table) when the node has only iptables. Every rule carries a comment
// naming its VM ("saltgo-lxc:<vm> ssh tcp/40000->10.5.0.2:22"): Ensure
// adds what is missing, replaces the VM's rules that differ (a changed IP
// or port) and never duplicates one; Remove deletes exactly one VM's
// rules, knowing only its name.
//
// Before a port is forwarded, Ensure refuses it when something on the node
// already uses it: a listening socket in the namespace (ss), another VM's
// rule, or a foreign NAT rule matching that destination port. A failing
// Ensure leaves the rules as they were (one nft transaction; the iptables
// driver undoes its earlier commands).
package portfwd

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/saltgo/saltgo/revert"
)

// Forward is one node port forwarded to a port of a VM.
type Forward struct {
	// Name says what the port is for ("ssh", "snmp"); one word.
	Name string
	// Proto is "tcp" or "udp".
	Proto string
	// Port is the node's port, ToPort the VM's.
	Port   int
	ToPort int
}

// ReverseForwards are makina-states' reverse ports of a VM: sshPort to 22
// (tcp), snmpPort to 161 (udp, and tcp for SNMP over TCP). A zero port is
// left out.
func ReverseForwards(sshPort, snmpPort int) []Forward {
	var out []Forward
	if sshPort != 0 {
		out = append(out, Forward{Name: "ssh", Proto: "tcp", Port: sshPort, ToPort: 22})
	}
	if snmpPort != 0 {
		out = append(out, Forward{Name: "snmp", Proto: "udp", Port: snmpPort, ToPort: 161},
			Forward{Name: "snmp", Proto: "tcp", Port: snmpPort, ToPort: 161})
	}
	return out
}

// Backends of a Forwarder.
const (
	NFT      = "nft"
	IPTables = "iptables"
)

// Packages is what an operator installs for a backend (named in the error
// when neither binary is there).
const Packages = "nftables (or iptables)"

// Forwarder writes the forwarding rules of the VMs of one node.
type Forwarder struct {
	// Netns is the network namespace of the containers' bridge (a name
	// under /run/netns or a path); "" is the current one. Every command
	// runs there (nsenter --net).
	Netns string
	// Backend is NFT, IPTables or "" (nft when the binary is found, else
	// iptables).
	Backend string
	// NFTBin, IPTablesBin and SSBin replace the nft, iptables and ss
	// binaries (tests).
	NFTBin, IPTablesBin, SSBin string
	// Subnet is the VMs' network on the bridge (CIDR, "10.5.0.0/16").
	// When set, the connections a VM makes to a reverse port (its own or
	// another VM's, through the node: hairpin) are masqueraded to the
	// node's address, so that the reply comes back through the node
	// instead of straight over the bridge; other clients keep their
	// address.
	Subnet string
}

// rule is one rule the drivers found in their own table/chains.
type rule struct {
	chain   string
	comment string
	// handle is nft's rule handle; spec the iptables rule's arguments
	// after "-A <chain>".
	handle int
	spec   []string
	table  string
}

// driver is one firewall tool.
type driver interface {
	name() string
	// list returns the rules in saltgo's own table/chains.
	list(ctx context.Context) ([]rule, error)
	// foreign describes a rule outside saltgo's own that matches proto
	// and destination port port ("" when none).
	foreign(ctx context.Context, proto string, port int) (string, error)
	// apply adds the rules of add (for the VM at ip) and deletes del, as
	// one change: on failure nothing is changed.
	apply(ctx context.Context, ip string, add []ruleSpec, del []rule) error
	// chains is the number of rules one forward makes.
	chains() int
}

// ruleSpec is one forward of one VM, with its comment.
type ruleSpec struct {
	Forward
	comment string
}

// run runs a binary inside the namespace and returns its stdout.
func (f *Forwarder) run(ctx context.Context, stdin []byte, bin string, args ...string) ([]byte, error) {
	name, full := bin, args
	if f.Netns != "" {
		p := f.Netns
		if !strings.HasPrefix(p, "/") {
			p = filepath.Join("/run/netns", p)
		}
		name, full = "nsenter", append([]string{"--net=" + p, "--", bin}, args...)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, full...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return stdout.Bytes(), fmt.Errorf("%s %s: %w: %s", filepath.Base(bin), strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

func (f *Forwarder) driver() (driver, error) {
	nft, ipt := f.NFTBin, f.IPTablesBin
	if nft == "" {
		nft = "nft"
	}
	if ipt == "" {
		ipt = "iptables"
	}
	find := func(b string) (string, bool) {
		p, err := exec.LookPath(b)
		return p, err == nil
	}
	switch f.Backend {
	case NFT:
		if p, ok := find(nft); ok {
			return &nftDriver{f: f, bin: p}, nil
		}
		return nil, fmt.Errorf("portfwd: %s not found: apt-get install nftables", nft)
	case IPTables:
		if p, ok := find(ipt); ok {
			return &iptDriver{f: f, bin: p}, nil
		}
		return nil, fmt.Errorf("portfwd: %s not found: apt-get install iptables", ipt)
	case "":
		if p, ok := find(nft); ok {
			return &nftDriver{f: f, bin: p}, nil
		}
		if p, ok := find(ipt); ok {
			return &iptDriver{f: f, bin: p}, nil
		}
		return nil, ErrNoBackend
	}
	return nil, fmt.Errorf("portfwd: unknown backend %q (want %s or %s)", f.Backend, NFT, IPTables)
}

// ErrNoBackend is Ensure's error on a node with neither nft nor iptables.
var ErrNoBackend = errors.New("portfwd: neither nft nor iptables is installed on this node: apt-get install " + Packages)

// commentPrefix starts every comment of saltgo's rules.
const commentPrefix = "saltgo-lxc:"

// vmKey is the VM's name in a comment: nft comments hold 128 bytes, so a
// name longer than 64 is cut and ends with a hash of the whole name.
func vmKey(vm string) string {
	if len(vm) <= 64 {
		return vm
	}
	h := sha256.Sum256([]byte(vm))
	return vm[:55] + "~" + hex.EncodeToString(h[:4])
}

func comment(vm, ip string, fw Forward) string {
	return fmt.Sprintf("%s%s %s %s/%d->%s:%d", commentPrefix, vmKey(vm), fw.Name, fw.Proto, fw.Port, ip, fw.ToPort)
}

// parsed is a comment read back: the VM key, proto and node port.
type parsed struct {
	key, name, proto string
	port             int
	to               string
}

var commentRE = regexp.MustCompile(`^saltgo-lxc:(\S+) (\S+) (tcp|udp)/(\d+)->(\S+)$`)

func parseComment(c string) (parsed, bool) {
	m := commentRE.FindStringSubmatch(c)
	if m == nil {
		return parsed{}, false
	}
	p, _ := strconv.Atoi(m[4])
	return parsed{key: m[1], name: m[2], proto: m[3], port: p, to: m[5]}, true
}

var vmRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

func validate(vm, ip string, fwds []Forward) error {
	if !vmRE.MatchString(vm) {
		return fmt.Errorf("portfwd: invalid vm name %q", vm)
	}
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is4() {
		return fmt.Errorf("portfwd: vm %s: invalid ipv4 address %q", vm, ip)
	}
	seen := map[string]bool{}
	for _, fw := range fwds {
		if fw.Proto != "tcp" && fw.Proto != "udp" {
			return fmt.Errorf("portfwd: vm %s: %s: protocol %q (want tcp or udp)", vm, fw.Name, fw.Proto)
		}
		if fw.Port < 1 || fw.Port > 65535 || fw.ToPort < 1 || fw.ToPort > 65535 {
			return fmt.Errorf("portfwd: vm %s: %s: port %d -> %d out of 1-65535", vm, fw.Name, fw.Port, fw.ToPort)
		}
		if !vmRE.MatchString(fw.Name) || strings.Contains(fw.Name, ".") {
			return fmt.Errorf("portfwd: vm %s: invalid forward name %q", vm, fw.Name)
		}
		k := fw.Proto + "/" + strconv.Itoa(fw.Port)
		if seen[k] {
			return fmt.Errorf("portfwd: vm %s: port %s given twice", vm, k)
		}
		seen[k] = true
	}
	return nil
}

// PortInUseError is Ensure's error when a node port is already used.
type PortInUseError struct {
	VM    string
	Proto string
	Port  int
	// Cause says by what: a listening socket, another VM's rule or a
	// foreign rule.
	Cause string
}

func (e *PortInUseError) Error() string {
	return fmt.Sprintf("portfwd: cannot forward port %d/%s of this node to vm %s: the port is already in use: %s", e.Port, e.Proto, e.VM, e.Cause)
}

// change is what Ensure does for one VM: the rules to add and delete.
type change struct {
	d       driver
	add     []ruleSpec
	del     []rule
	removed []string
}

// plan reads the rules in place and works out what Ensure changes,
// refusing a port to add that is already in use. It changes nothing.
func (f *Forwarder) plan(ctx context.Context, vm, ip string, fwds []Forward) (*change, error) {
	if err := validate(vm, ip, fwds); err != nil {
		return nil, err
	}
	if f.Subnet != "" {
		if p, err := netip.ParsePrefix(f.Subnet); err != nil || !p.Addr().Is4() || p.Masked() != p {
			return nil, fmt.Errorf("portfwd: vm %s: invalid subnet %q (want an IPv4 network such as 10.5.0.0/16)", vm, f.Subnet)
		}
	}
	d, err := f.driver()
	if err != nil {
		return nil, fmt.Errorf("vm %s: %w", vm, err)
	}
	have, err := d.list(ctx)
	if err != nil {
		return nil, fmt.Errorf("portfwd: vm %s: list rules (%s): %w", vm, d.name(), err)
	}
	ch := &change{d: d}
	key := vmKey(vm)
	count := map[string]int{}
	for _, r := range have {
		count[r.comment]++
	}
	want := map[string]bool{}
	for _, fw := range fwds {
		c := comment(vm, ip, fw)
		want[c] = true
		if count[c] == d.chains() {
			continue
		}
		ch.add = append(ch.add, ruleSpec{Forward: fw, comment: c})
	}
	removed := map[string]bool{}
	for _, r := range have {
		p, ok := parseComment(r.comment)
		if !ok || p.key != key {
			continue
		}
		if !want[r.comment] || count[r.comment] != d.chains() {
			ch.del = append(ch.del, r)
			if !want[r.comment] && !removed[r.comment] {
				removed[r.comment] = true
				ch.removed = append(ch.removed, "removed "+strings.TrimPrefix(r.comment, commentPrefix))
			}
		}
	}
	sort.Strings(ch.removed)
	// The ports to add must be free: no other VM's rule, no foreign
	// rule, no listening socket.
	for _, a := range ch.add {
		for _, r := range have {
			p, ok := parseComment(r.comment)
			if ok && p.key != key && p.proto == a.Proto && p.port == a.Port {
				return nil, &PortInUseError{VM: vm, Proto: a.Proto, Port: a.Port, Cause: "it is forwarded to vm " + p.key + " (" + r.comment + ")"}
			}
		}
		if desc, err := d.foreign(ctx, a.Proto, a.Port); err != nil {
			return nil, fmt.Errorf("portfwd: vm %s: %w", vm, err)
		} else if desc != "" {
			return nil, &PortInUseError{VM: vm, Proto: a.Proto, Port: a.Port, Cause: "a rule saltgo did not make uses it: " + desc}
		}
		if desc, err := f.listening(ctx, a.Proto, a.Port); err != nil {
			return nil, fmt.Errorf("portfwd: vm %s: %w", vm, err)
		} else if desc != "" {
			return nil, &PortInUseError{VM: vm, Proto: a.Proto, Port: a.Port, Cause: "a socket is bound to it: " + desc}
		}
	}
	return ch, nil
}

// Check returns the error Ensure would return before changing anything
// (an invalid input, no firewall tool, a port in use), without changing
// anything: the spawn step calls it before it creates the container.
func (f *Forwarder) Check(ctx context.Context, vm, ip string, fwds []Forward) error {
	_, err := f.plan(ctx, vm, ip, fwds)
	return err
}

// Ensure makes the node forward each of fwds to the VM at ip and no other
// port to it: missing rules are added, the VM's rules that differ (an old
// IP or port) are replaced, rules already in place are kept. It returns
// what it changed (nothing on a second run). ip_forward is switched on in
// the namespace when it is off (remote clients' packets are forwarded to
// the bridge), and said in the changes.
func (f *Forwarder) Ensure(ctx context.Context, vm, ip string, fwds []Forward) (changes []string, err error) {
	ch, err := f.plan(ctx, vm, ip, fwds)
	if err != nil {
		return nil, err
	}
	if len(ch.add) == 0 && len(ch.del) == 0 {
		return nil, nil
	}
	r := revert.New()
	defer func() {
		if rerr := r.Fail(); rerr != nil {
			err = fmt.Errorf("%w (undo: %v)", err, rerr)
		}
	}()
	if len(ch.add) > 0 {
		on, err := f.ipForward(ctx)
		if err != nil {
			return nil, fmt.Errorf("portfwd: vm %s: %w", vm, err)
		}
		if !on {
			if err := f.setIPForward(ctx, true); err != nil {
				return nil, fmt.Errorf("portfwd: vm %s: %w", vm, err)
			}
			r.Add("ip_forward off", func() error { return f.setIPForward(context.WithoutCancel(ctx), false) })
			changes = append(changes, "net.ipv4.ip_forward=1")
		}
	}
	if err := ch.d.apply(ctx, ip, ch.add, ch.del); err != nil {
		return nil, fmt.Errorf("portfwd: vm %s: %w", vm, err)
	}
	r.Success()
	changes = append(changes, ch.removed...)
	for _, a := range ch.add {
		changes = append(changes, "added "+strings.TrimPrefix(a.comment, commentPrefix))
	}
	return changes, nil
}

// Remove deletes every rule of the VM (by its name alone) and returns
// what it removed; nothing to remove, or no firewall tool at all, is no
// change.
func (f *Forwarder) Remove(ctx context.Context, vm string) ([]string, error) {
	if !vmRE.MatchString(vm) {
		return nil, fmt.Errorf("portfwd: invalid vm name %q", vm)
	}
	d, err := f.driver()
	if errors.Is(err, ErrNoBackend) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("vm %s: %w", vm, err)
	}
	have, err := d.list(ctx)
	if err != nil {
		return nil, fmt.Errorf("portfwd: vm %s: list rules (%s): %w", vm, d.name(), err)
	}
	var del []rule
	seen := map[string]bool{}
	var out []string
	for _, r := range have {
		if p, ok := parseComment(r.comment); ok && p.key == vmKey(vm) {
			del = append(del, r)
			if !seen[r.comment] {
				seen[r.comment] = true
				out = append(out, "removed "+strings.TrimPrefix(r.comment, commentPrefix))
			}
		}
	}
	if len(del) == 0 {
		return nil, nil
	}
	if err := d.apply(ctx, "", nil, del); err != nil {
		return nil, fmt.Errorf("portfwd: vm %s: %w", vm, err)
	}
	sort.Strings(out)
	return out, nil
}

// Rule is one forwarding rule as Rules reports it.
type Rule struct {
	// VM is the VM's name as its comment holds it (cut with a hash when
	// longer than 64 characters).
	VM, Name, Proto string
	Port            int
	// To is the VM's address:port.
	To string
	// Chain is the chain holding it.
	Chain string
}

// Rules returns saltgo's forwarding rules in the namespace, one per chain.
func (f *Forwarder) Rules(ctx context.Context) ([]Rule, error) {
	d, err := f.driver()
	if err != nil {
		return nil, err
	}
	have, err := d.list(ctx)
	if err != nil {
		return nil, err
	}
	var out []Rule
	for _, r := range have {
		if p, ok := parseComment(r.comment); ok {
			out = append(out, Rule{VM: p.key, Name: p.name, Proto: p.proto, Port: p.port, To: p.to, Chain: r.chain})
		}
	}
	return out, nil
}

// listening describes the sockets bound to proto/port in the namespace
// ("" when none), from ss.
func (f *Forwarder) listening(ctx context.Context, proto string, port int) (string, error) {
	ss := f.SSBin
	if ss == "" {
		ss = "ss"
	}
	flag := "-t"
	if proto == "udp" {
		flag = "-u"
	}
	out, err := f.run(ctx, nil, ss, "-H", "-l", "-n", "-p", flag, "sport = :"+strconv.Itoa(port))
	if err != nil {
		return "", fmt.Errorf("check port %d/%s (apt-get install iproute2): %w", port, proto, err)
	}
	var socks []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fs := strings.Fields(l)
		if len(fs) < 4 {
			continue
		}
		// State Recv-Q Send-Q Local Peer [users:((...))]
		s := fs[3]
		if i := strings.Index(l, "users:(("); i >= 0 {
			s += " " + strings.TrimSpace(l[i:])
		}
		socks = append(socks, s)
	}
	return strings.Join(socks, ", "), nil
}

// ipForwardPath is read and written by a process inside the namespace:
// /proc/sys/net is the namespace of the process that opens it.
const ipForwardPath = "/proc/sys/net/ipv4/ip_forward"

// ipForward reads net.ipv4.ip_forward in the namespace.
func (f *Forwarder) ipForward(ctx context.Context) (bool, error) {
	out, err := f.run(ctx, nil, "cat", ipForwardPath)
	if err != nil {
		return false, fmt.Errorf("read net.ipv4.ip_forward: %w", err)
	}
	return strings.TrimSpace(string(out)) == "1", nil
}

func (f *Forwarder) setIPForward(ctx context.Context, on bool) error {
	v := "0"
	if on {
		v = "1"
	}
	if _, err := f.run(ctx, nil, "sh", "-c", `echo "$1" > "$2"`, "sh", v, ipForwardPath); err != nil {
		return fmt.Errorf("set net.ipv4.ip_forward=%s: %w", v, err)
	}
	return nil
}
