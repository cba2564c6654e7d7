package portfwd

import (
	"strings"
	"testing"

	"github.com/saltgo/saltgo/internal/golden"
)

func specs(vm, ip string, fwds []Forward) []ruleSpec {
	var out []ruleSpec
	for _, fw := range fwds {
		out = append(out, ruleSpec{Forward: fw, comment: comment(vm, ip, fw)})
	}
	return out
}

// TestNFTScriptGolden: the nft transaction of a first Ensure (table,
// chains, rules, hairpin masquerading of the subnet) and of an IP change
// without a subnet (old rules deleted by handle, new
// ones added in the same transaction).
func TestNFTScriptGolden(t *testing.T) {
	fw := ReverseForwards(40000, 30000)
	first := nftScript("10.5.0.2", "10.5.0.0/16", specs("vm1.example.com", "10.5.0.2", fw), nil)
	old := []rule{{chain: "prerouting", handle: 4, comment: comment("vm1.example.com", "10.5.0.2", fw[0])},
		{chain: "output", handle: 5, comment: comment("vm1.example.com", "10.5.0.2", fw[0])}}
	changed := nftScript("10.5.0.3", "", specs("vm1.example.com", "10.5.0.3", fw[:1]), old)
	remove := nftScript("", "", nil, old)
	golden.Text(t, "nft.golden", "# first ensure\n"+first+"# ip changed\n"+changed+"# remove\n"+remove)
}

// TestIPTablesCommandsGolden: the iptables commands of a first Ensure on
// a node without saltgo's chains (with a subnet: hairpin masquerading),
// and of a removal.
func TestIPTablesCommandsGolden(t *testing.T) {
	fw := ReverseForwards(40000, 30000)
	none := func(string, ...string) bool { return false }
	var b strings.Builder
	b.WriteString("# first ensure\n")
	for _, c := range iptCommands("10.5.0.2", "10.5.0.0/16", specs("vm1.example.com", "10.5.0.2", fw), nil, none) {
		b.WriteString("iptables -w " + shellJoin(c) + "\n")
	}
	b.WriteString("# remove\n")
	del := []rule{{table: "nat", chain: IPTPre, spec: iptRuleArgs("10.5.0.2", "", specs("vm1.example.com", "10.5.0.2", fw[:1])[0])[IPTPre]}}
	for _, c := range iptCommands("", "", nil, del, none) {
		b.WriteString("iptables -w " + shellJoin(c) + "\n")
	}
	golden.Text(t, "iptables.golden", b.String())
}

func TestComments(t *testing.T) {
	long := strings.Repeat("a", 70) + ".example.com"
	tests := []struct {
		vm, ip string
		fw     Forward
		want   string
		key    string
	}{
		{"vm1.example.com", "10.5.0.2", Forward{"ssh", "tcp", 40000, 22}, "saltgo-lxc:vm1.example.com ssh tcp/40000->10.5.0.2:22", "vm1.example.com"},
		{"v", "10.5.0.254", Forward{"snmp", "udp", 30000, 161}, "saltgo-lxc:v snmp udp/30000->10.5.0.254:161", "v"},
		{long, "10.5.255.254", Forward{"snmp", "tcp", 65535, 161}, "", vmKey(long)},
	}
	for _, tc := range tests {
		c := comment(tc.vm, tc.ip, tc.fw)
		if tc.want != "" && c != tc.want {
			t.Errorf("comment = %q, want %q", c, tc.want)
		}
		if len(c) > 128 {
			t.Errorf("comment %q is longer than nft's 128 bytes", c)
		}
		p, ok := parseComment(c)
		if !ok || p.key != tc.key || p.proto != tc.fw.Proto || p.port != tc.fw.Port || p.name != tc.fw.Name {
			t.Errorf("parse %q = %+v %v", c, p, ok)
		}
	}
	if vmKey(long) == vmKey(long+"x") || len(vmKey(long)) != 64 {
		t.Errorf("long keys: %q %q", vmKey(long), vmKey(long+"x"))
	}
	for _, bad := range []string{"", "other comment", "saltgo-lxc:vm ssh icmp/1->x", "saltgo-lxc:vm ssh tcp/x->1.2.3.4:22"} {
		if _, ok := parseComment(bad); ok {
			t.Errorf("parsed %q", bad)
		}
	}
}

func TestSplitRule(t *testing.T) {
	got := splitRule(`-A SALTGO-LXC-PRE -p tcp -m comment --comment "saltgo-lxc:vm1 ssh tcp/40000->10.5.0.2:22" -j DNAT --to-destination "a \"b\""`)
	want := []string{"-A", "SALTGO-LXC-PRE", "-p", "tcp", "-m", "comment", "--comment", "saltgo-lxc:vm1 ssh tcp/40000->10.5.0.2:22", "-j", "DNAT", "--to-destination", `a "b"`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("splitRule = %q", got)
	}
}

func TestValidate(t *testing.T) {
	ok := ReverseForwards(40000, 30000)
	tests := []struct {
		vm, ip string
		fwds   []Forward
		want   string
	}{
		{"vm1", "10.5.0.2", ok, ""},
		{"", "10.5.0.2", ok, "invalid vm name"},
		{"vm 1", "10.5.0.2", ok, "invalid vm name"},
		{"vm1", "10.5.0.2/16", ok, "invalid ipv4 address"},
		{"vm1", "fe80::1", ok, "invalid ipv4 address"},
		{"vm1", "10.5.0.2", []Forward{{"ssh", "sctp", 1, 22}}, "protocol"},
		{"vm1", "10.5.0.2", []Forward{{"ssh", "tcp", 70000, 22}}, "out of 1-65535"},
		{"vm1", "10.5.0.2", []Forward{{"ssh", "tcp", 40000, 22}, {"x", "tcp", 40000, 23}}, "given twice"},
		{"vm1", "10.5.0.2", []Forward{{"a b", "tcp", 40000, 22}}, "invalid forward name"},
	}
	for _, tc := range tests {
		err := validate(tc.vm, tc.ip, tc.fwds)
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("validate(%q, %q): %v, want %q", tc.vm, tc.ip, err, tc.want)
		}
	}
}

// shellJoin joins arguments as a shell reads them back (quotes around
// those with spaces).
func shellJoin(a []string) string {
	out := make([]string, len(a))
	for i, s := range a {
		out[i] = s
		if strings.ContainsAny(s, " !>") {
			out[i] = "'" + s + "'"
		}
	}
	return strings.Join(out, " ")
}
