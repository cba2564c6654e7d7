package grains

import (
	"context"
	"net/netip"
	"strconv"
	"strings"

	"github.com/saltgo/saltgo/data"
)

// collectDNS parses the resolver configuration like salt.utils.dns.parse_resolv.
func collectDNS(_ context.Context, e *Env) (*data.Map, error) {
	src := "/etc/resolv.conf"
	if e.Exists("/run/systemd/resolve/resolv.conf") {
		src = "/run/systemd/resolve/resolv.conf"
	}
	b, err := e.ReadFile(src)
	if err != nil {
		return nil, nil
	}
	ns, ns4, ns6 := []any{}, []any{}, []any{}
	search, sortlist, options := []any{}, []any{}, []any{}
	domain := ""
	has := func(l []any, s string) bool {
		for _, x := range l {
			if x == s {
				return true
			}
		}
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		dir, args := strings.ToLower(f[0]), []string{}
		for _, a := range f[1:] {
			if a[0] == '#' || a[0] == ';' {
				break
			}
			args = append(args, a)
		}
		if len(args) == 0 {
			continue
		}
		switch dir {
		case "nameserver":
			ip, err := netip.ParseAddr(args[0])
			if err != nil {
				continue
			}
			s := ip.String()
			if !has(ns, s) {
				ns = append(ns, s)
			}
			if ip.Is4() && !has(ns4, s) {
				ns4 = append(ns4, s)
			} else if ip.Is6() && !has(ns6, s) {
				ns6 = append(ns6, s)
			}
		case "domain":
			domain = args[0]
		case "search":
			search = []any{}
			for _, a := range args {
				search = append(search, a)
			}
		case "sortlist":
			for _, a := range args {
				if s := withNetmask(a); s != "" && !has(sortlist, s) {
					sortlist = append(sortlist, s)
				}
			}
		case "options":
			if !has(options, args[0]) {
				options = append(options, args[0])
			}
		}
	}
	return data.M("dns", data.M(
		"nameservers", ns, "ip4_nameservers", ns4, "ip6_nameservers", ns6,
		"sortlist", sortlist, "domain", domain, "search", search, "options", options)), nil
}

// withNetmask renders a sortlist entry as Python's ip_network.with_netmask.
func withNetmask(s string) string {
	var p netip.Prefix
	var err error
	if strings.Contains(s, "/") {
		p, err = netip.ParsePrefix(s)
		if err != nil {
			addr, mask, _ := strings.Cut(s, "/")
			a, err1 := netip.ParseAddr(addr)
			m, err2 := netip.ParseAddr(mask)
			if err1 != nil || err2 != nil || !m.Is4() {
				return ""
			}
			mb := m.As4()
			bits := 0
			for _, x := range mb {
				for ; x&0x80 != 0; x <<= 1 {
					bits++
				}
			}
			p = netip.PrefixFrom(a, bits)
		}
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return ""
		}
		bits := 128
		if a.Is4() {
			switch first := a.As4()[0]; {
			case first < 128:
				bits = 8
			case first < 192:
				bits = 16
			default:
				bits = 24
			}
		}
		p = netip.PrefixFrom(a, bits)
	}
	p = p.Masked()
	if !p.Addr().Is4() {
		return p.String()
	}
	m := uint32(0xffffffff) << (32 - p.Bits())
	if p.Bits() == 0 {
		m = 0
	}
	return p.Addr().String() + "/" + strconv.Itoa(int(m>>24)) + "." + strconv.Itoa(int(m>>16&0xff)) + "." +
		strconv.Itoa(int(m>>8&0xff)) + "." + strconv.Itoa(int(m&0xff))
}
