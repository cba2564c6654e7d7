package portfwd

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// NFTTable is the nftables table holding saltgo's rules (family ip).
const NFTTable = "saltgo_lxc"

// nftChains are the table's base chains: DNAT of packets arriving at the
// node (remote clients) and of the node's own packets.
var nftChains = []struct{ name, def string }{
	{"prerouting", "type nat hook prerouting priority dstnat; policy accept;"},
	{"output", "type nat hook output priority -100; policy accept;"},
	{"postrouting", "type nat hook postrouting priority srcnat; policy accept;"},
}

type nftDriver struct {
	f   *Forwarder
	bin string
	// ruleset is the whole ruleset, read once per driver (one Ensure)
	// by foreign.
	ruleset *nftDoc
}

func (d *nftDriver) name() string { return NFT }

// chains: prerouting and output, and postrouting with a subnet.
func (d *nftDriver) chains() int {
	if d.f.Subnet != "" {
		return 3
	}
	return 2
}

// nftDoc is the part of `nft -j` output the driver reads.
type nftDoc struct {
	Nftables []struct {
		Rule *struct {
			Family  string            `json:"family"`
			Table   string            `json:"table"`
			Chain   string            `json:"chain"`
			Handle  int               `json:"handle"`
			Comment string            `json:"comment"`
			Expr    []json.RawMessage `json:"expr"`
		} `json:"rule"`
	} `json:"nftables"`
}

func (d *nftDriver) doc(ctx context.Context, args ...string) (*nftDoc, error) {
	out, err := d.f.run(ctx, nil, d.bin, append([]string{"-j", "-a"}, args...)...)
	if err != nil {
		return nil, err
	}
	var doc nftDoc
	if len(strings.TrimSpace(string(out))) == 0 {
		return &doc, nil
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		return nil, fmt.Errorf("parse nft -j output: %w", err)
	}
	return &doc, nil
}

func (d *nftDriver) list(ctx context.Context) ([]rule, error) {
	doc, err := d.doc(ctx, "list", "table", "ip", NFTTable)
	if err != nil {
		if strings.Contains(err.Error(), "No such file or directory") {
			return nil, nil
		}
		return nil, err
	}
	var out []rule
	for _, e := range doc.Nftables {
		if r := e.Rule; r != nil && strings.HasPrefix(r.Comment, commentPrefix) {
			out = append(out, rule{table: r.Table, chain: r.Chain, handle: r.Handle, comment: r.Comment})
		}
	}
	return out, nil
}

// nftMatch is an expression `<proto> dport <right>`.
type nftMatch struct {
	Match *struct {
		Op   string `json:"op"`
		Left struct {
			Payload *struct {
				Protocol string `json:"protocol"`
				Field    string `json:"field"`
			} `json:"payload"`
		} `json:"left"`
		Right json.RawMessage `json:"right"`
	} `json:"match"`
}

// portIn reports whether a match's right side (a number, a set of
// numbers and ranges, or a range) holds port.
func portIn(raw json.RawMessage, port int) bool {
	var n int
	if json.Unmarshal(raw, &n) == nil {
		return n == port
	}
	var rng struct {
		Range []int `json:"range"`
	}
	if json.Unmarshal(raw, &rng) == nil && len(rng.Range) == 2 {
		return rng.Range[0] <= port && port <= rng.Range[1]
	}
	var set struct {
		Set []json.RawMessage `json:"set"`
	}
	if json.Unmarshal(raw, &set) == nil {
		for _, e := range set.Set {
			if portIn(e, port) {
				return true
			}
		}
	}
	return false
}

func (d *nftDriver) foreign(ctx context.Context, proto string, port int) (string, error) {
	if d.ruleset == nil {
		doc, err := d.doc(ctx, "list", "ruleset")
		if err != nil {
			return "", err
		}
		d.ruleset = doc
	}
	for _, e := range d.ruleset.Nftables {
		r := e.Rule
		if r == nil || (r.Family == "ip" && r.Table == NFTTable) {
			continue
		}
		for _, x := range r.Expr {
			var m nftMatch
			if json.Unmarshal(x, &m) != nil || m.Match == nil || m.Match.Op != "==" {
				continue
			}
			p := m.Match.Left.Payload
			if p == nil || p.Field != "dport" || (p.Protocol != proto && p.Protocol != "th") {
				continue
			}
			if portIn(m.Match.Right, port) {
				return fmt.Sprintf("nft rule in table %s %s, chain %s (handle %d)", r.Family, r.Table, r.Chain, r.Handle), nil
			}
		}
	}
	return "", nil
}

// nftScript is the one transaction of an apply: the table and chains
// (declared again, which changes nothing when they exist), the deletions
// by handle, then the new rules (with a subnet, the masquerading of the
// VMs' own connections to a reverse port too).
func nftScript(ip, subnet string, add []ruleSpec, del []rule) string {
	var b strings.Builder
	if len(add) > 0 {
		fmt.Fprintf(&b, "add table ip %s\n", NFTTable)
		for _, c := range nftChains {
			fmt.Fprintf(&b, "add chain ip %s %s { %s }\n", NFTTable, c.name, c.def)
		}
	}
	for _, r := range del {
		fmt.Fprintf(&b, "delete rule ip %s %s handle %d\n", NFTTable, r.chain, r.handle)
	}
	for _, a := range add {
		m := fmt.Sprintf("fib daddr type local %s dport %d dnat to %s:%d comment %q", a.Proto, a.Port, ip, a.ToPort, a.comment)
		fmt.Fprintf(&b, "add rule ip %s prerouting %s\n", NFTTable, m)
		// The node's own connections to 127.0.0.0/8 stay local (a
		// loopback source cannot leave for the bridge).
		fmt.Fprintf(&b, "add rule ip %s output ip daddr != 127.0.0.0/8 %s\n", NFTTable, m)
		if subnet != "" {
			fmt.Fprintf(&b, "add rule ip %s postrouting ip saddr %s ip daddr %s %s dport %d ct status dnat masquerade comment %q\n",
				NFTTable, subnet, ip, a.Proto, a.ToPort, a.comment)
		}
	}
	return b.String()
}

func (d *nftDriver) apply(ctx context.Context, ip string, add []ruleSpec, del []rule) error {
	script := nftScript(ip, d.f.Subnet, add, del)
	if _, err := d.f.run(ctx, []byte(script), d.bin, "-f", "-"); err != nil {
		return fmt.Errorf("%w (script:\n%s)", err, strings.TrimSpace(script))
	}
	return nil
}
