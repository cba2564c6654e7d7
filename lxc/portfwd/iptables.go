package portfwd

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/saltgo/saltgo/revert"
)

// The iptables driver's chains: DNAT of packets arriving at the node and
// of the node's own (nat table), acceptance of the forwarded packets
// (filter table, for hosts whose FORWARD policy drops), and the
// masquerading of the VMs' own connections to a reverse port (nat, with
// Forwarder.Subnet).
const (
	IPTPre  = "SALTGO-LXC-PRE"
	IPTOut  = "SALTGO-LXC-OUT"
	IPTFwd  = "SALTGO-LXC-FWD"
	IPTPost = "SALTGO-LXC-POST"
)

// iptChains are saltgo's chains, each with its table and the rule that
// jumps to it from the built-in chain.
var iptChains = []struct {
	table, chain, from string
	jump               []string
}{
	{"nat", IPTPre, "PREROUTING", []string{"-m", "addrtype", "--dst-type", "LOCAL", "-j", IPTPre}},
	{"nat", IPTOut, "OUTPUT", []string{"!", "-d", "127.0.0.0/8", "-m", "addrtype", "--dst-type", "LOCAL", "-j", IPTOut}},
	{"filter", IPTFwd, "FORWARD", []string{"-j", IPTFwd}},
	{"nat", IPTPost, "POSTROUTING", []string{"-j", IPTPost}},
}

type iptDriver struct {
	f   *Forwarder
	bin string
}

func (d *iptDriver) name() string { return IPTables }

// chains: PRE, OUT and FWD, and POST with a subnet.
func (d *iptDriver) chains() int {
	if d.f.Subnet != "" {
		return 4
	}
	return 3
}

func (d *iptDriver) ipt(ctx context.Context, table string, args ...string) ([]byte, error) {
	return d.f.run(ctx, nil, d.bin, append([]string{"-w", "-t", table}, args...)...)
}

// splitRule splits an `iptables -S` line into arguments (double quotes
// with backslash escapes, as iptables prints comments).
func splitRule(line string) []string {
	var out []string
	var cur strings.Builder
	inQ, have := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case inQ && c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
		case c == '"':
			inQ, have = !inQ, true
		case !inQ && (c == ' ' || c == '\t'):
			if have {
				out = append(out, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteByte(c)
			have = true
		}
	}
	if have {
		out = append(out, cur.String())
	}
	return out
}

// tableRules returns the -A lines of a table as argument lists.
func (d *iptDriver) tableRules(ctx context.Context, table string) ([][]string, error) {
	out, err := d.ipt(ctx, table, "-S")
	if err != nil {
		return nil, err
	}
	var rules [][]string
	for _, l := range strings.Split(string(out), "\n") {
		if a := splitRule(l); len(a) > 2 && a[0] == "-A" {
			rules = append(rules, a)
		}
	}
	return rules, nil
}

func argAfter(a []string, flag string) string {
	for i := 0; i+1 < len(a); i++ {
		if a[i] == flag {
			return a[i+1]
		}
	}
	return ""
}

func (d *iptDriver) list(ctx context.Context) ([]rule, error) {
	var out []rule
	for _, table := range []string{"nat", "filter"} {
		rules, err := d.tableRules(ctx, table)
		if err != nil {
			return nil, err
		}
		for _, a := range rules {
			c := argAfter(a, "--comment")
			if strings.HasPrefix(a[1], "SALTGO-LXC-") && strings.HasPrefix(c, commentPrefix) {
				out = append(out, rule{table: table, chain: a[1], spec: a[2:], comment: c})
			}
		}
	}
	return out, nil
}

func (d *iptDriver) foreign(ctx context.Context, proto string, port int) (string, error) {
	rules, err := d.tableRules(ctx, "nat")
	if err != nil {
		return "", err
	}
	for _, a := range rules {
		if strings.HasPrefix(a[1], "SALTGO-LXC-") || argAfter(a, "-p") != proto {
			continue
		}
		if argAfter(a, "--dport") == strconv.Itoa(port) {
			return "iptables -t nat " + strings.Join(a, " "), nil
		}
	}
	return "", nil
}

// iptRuleArgs are the arguments (after -A/-D <chain>) of a forward's rule
// in each of saltgo's chains.
func iptRuleArgs(ip, subnet string, a ruleSpec) map[string][]string {
	port, to := strconv.Itoa(a.Port), strconv.Itoa(a.ToPort)
	cm := []string{"-m", "comment", "--comment", a.comment}
	nat := append(append([]string{"-p", a.Proto, "-m", a.Proto, "--dport", port}, cm...), "-j", "DNAT", "--to-destination", ip+":"+to)
	dnatted := []string{"-d", ip + "/32", "-p", a.Proto, "-m", a.Proto, "--dport", to, "-m", "conntrack", "--ctstate", "DNAT"}
	out := map[string][]string{
		IPTPre: nat,
		IPTOut: nat,
		IPTFwd: append(append(append([]string(nil), dnatted...), cm...), "-j", "ACCEPT"),
	}
	if subnet != "" {
		out[IPTPost] = append(append(append([]string{"-s", subnet}, dnatted...), cm...), "-j", "MASQUERADE")
	}
	return out
}

// iptCommands are the commands of an apply, in order: the chains and
// their jumps when rules are added (only the missing ones: have says
// which exist), the new rules, then the deletions of the old ones.
func iptCommands(ip, subnet string, add []ruleSpec, del []rule, have func(table string, args ...string) bool) [][]string {
	var cmds [][]string
	if len(add) > 0 {
		for _, c := range iptChains {
			if !have(c.table, "-S", c.chain) {
				cmds = append(cmds, []string{"-t", c.table, "-N", c.chain})
			}
			if !have(c.table, append([]string{"-C", c.from}, c.jump...)...) {
				cmds = append(cmds, append([]string{"-t", c.table, "-I", c.from, "1"}, c.jump...))
			}
		}
	}
	for _, a := range add {
		args := iptRuleArgs(ip, subnet, a)
		for _, c := range iptChains {
			if args[c.chain] != nil {
				cmds = append(cmds, append([]string{"-t", c.table, "-A", c.chain}, args[c.chain]...))
			}
		}
	}
	for _, r := range del {
		cmds = append(cmds, append([]string{"-t", r.table, "-D", r.chain}, r.spec...))
	}
	return cmds
}

// undo is the command reversing cmd ("" kinds are not undone).
func iptUndo(cmd []string) []string {
	u := append([]string(nil), cmd...)
	switch u[2] {
	case "-N":
		u[2] = "-X"
	case "-A":
		u[2] = "-D"
	case "-I":
		// -I <chain> 1 <spec> is undone by -D <chain> <spec>.
		u = append([]string{u[0], u[1], "-D", u[3]}, u[5:]...)
	case "-D":
		u[2] = "-A"
	}
	return u
}

func (d *iptDriver) apply(ctx context.Context, ip string, add []ruleSpec, del []rule) (err error) {
	have := func(table string, args ...string) bool {
		_, err := d.ipt(ctx, table, args...)
		return err == nil
	}
	cmds := iptCommands(ip, d.f.Subnet, add, del, have)
	r := revert.New()
	defer func() {
		if rerr := r.Fail(); rerr != nil {
			err = fmt.Errorf("%w (undo: %v)", err, rerr)
		}
	}()
	undoCtx := context.WithoutCancel(ctx)
	for _, c := range cmds {
		if _, err := d.f.run(ctx, nil, d.bin, append([]string{"-w"}, c...)...); err != nil {
			return err
		}
		u := iptUndo(c)
		r.Add(strings.Join(u, " "), func() error {
			_, err := d.f.run(undoCtx, nil, d.bin, append([]string{"-w"}, u...)...)
			return err
		})
	}
	r.Success()
	return nil
}
