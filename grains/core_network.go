package grains

import (
	"bufio"
	"bytes"
	"context"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
)

type ifaceList struct {
	list []Interface
	err  error
}

func (e *Env) interfaces() ([]Interface, error) {
	v := e.Once("interfaces", func() any {
		l, err := e.Sys.Interfaces()
		return ifaceList{l, err}
	}).(ifaceList)
	return v.list, v.err
}

// fqdn returns (hostname, fqdn) the way salt.utils.network.get_fqhostname
// does, answering from /etc/hosts only (no DNS: it could hang).
func (e *Env) fqdn() (string, string) {
	v := e.Once("fqdn", func() any {
		hn, err := e.Sys.Hostname()
		if err != nil || hn == "" {
			return [2]string{"", "localhost.localdomain"}
		}
		hosts, _ := e.ReadFile("/etc/hosts")
		return [2]string{hn, config.CanonicalName(hn, hosts)}
	}).([2]string)
	return v[0], v[1]
}

func collectHostname(_ context.Context, e *Env) (*data.Map, error) {
	hn, fqdn := e.fqdn()
	host, domain, _ := strings.Cut(fqdn, ".")
	return data.M("localhost", hn, "fqdn", fqdn, "host", host, "domain", domain), nil
}

// collectHWAddr gives hwaddr_interfaces: the MAC address of each
// interface that has one.
var collectHWAddr = perInterface("hwaddr_interfaces", func(i Interface) (any, bool) {
	return i.HWAddr, i.HWAddr != ""
})

// perInterface builds a collector of the grain name, a map from each
// interface name to value(i); value reports false to leave i out.
func perInterface(name string, value func(i Interface) (any, bool)) CollectorFunc {
	return func(_ context.Context, e *Env) (*data.Map, error) {
		ifs, err := e.interfaces()
		if err != nil {
			return nil, err
		}
		m := data.NewMap()
		for _, i := range ifs {
			if v, ok := value(i); ok {
				m.Set(i.Name, v)
			}
		}
		return data.M(name, m), nil
	}
}

// ifaceCollector builds ip_interfaces-style grains: per interface, the
// primary IPv4 addresses, the IPv6 addresses, then the secondary ones.
func ifaceCollector(name string, v4, v6 bool) CollectorFunc {
	return perInterface(name, func(i Interface) (any, bool) {
		ips := []any{}
		add := func(on bool, keep func(a netip.Addr, secondary bool) bool) {
			if !on {
				return
			}
			for _, a := range i.Addrs {
				if keep(a.Addr, a.Secondary) {
					ips = append(ips, a.Addr.String())
				}
			}
		}
		add(v4, func(a netip.Addr, secondary bool) bool { return a.Is4() && !secondary })
		add(v6, func(a netip.Addr, _ bool) bool { return a.Is6() && !a.Is4In6() })
		add(v4, func(a netip.Addr, secondary bool) bool { return a.Is4() && secondary })
		return ips, true
	})
}

// allAddrs returns the sorted unique addresses of one family.
func allAddrs(ifs []Interface, v4 bool) []any {
	var l []netip.Addr
	seen := map[netip.Addr]bool{}
	for _, i := range ifs {
		for _, a := range i.Addrs {
			if a.Addr.Is4() == v4 && !seen[a.Addr] {
				seen[a.Addr] = true
				l = append(l, a.Addr)
			}
		}
	}
	sort.Slice(l, func(i, j int) bool { return l[i].Less(l[j]) })
	out := make([]any, len(l))
	for i, a := range l {
		out[i] = a.String()
	}
	return out
}

// hostsLookup returns the addresses /etc/hosts gives name.
func hostsLookup(hosts []byte, name string, v4 bool) []netip.Addr {
	var out []netip.Addr
	sc := bufio.NewScanner(bytes.NewReader(hosts))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		ip, err := netip.ParseAddr(f[0])
		if err != nil || ip.Is4() != v4 {
			continue
		}
		for _, n := range f[1:] {
			if strings.EqualFold(n, name) {
				out = append(out, ip)
				break
			}
		}
	}
	return out
}

func collectIPFQDN(ctx context.Context, e *Env) (*data.Map, error) {
	ifs, err := e.interfaces()
	if err != nil {
		return nil, err
	}
	_, fqdn := e.fqdn()
	hosts, _ := e.ReadFile("/etc/hosts")
	g := data.M("ipv4", allAddrs(ifs, true), "ipv6", allAddrs(ifs, false))
	for _, fam := range []struct {
		key, ipkey, network string
		v4                  bool
	}{{"fqdn_ip4", "ipv4", "ip4", true}, {"fqdn_ip6", "ipv6", "ip6", false}} {
		out := []any{}
		if l, _ := g.Get(fam.ipkey); len(l.([]any)) > 0 {
			addrs := hostsLookup(hosts, fqdn, fam.v4)
			if len(addrs) == 0 && e.Opts.DNSTimeout > 0 {
				cctx, cancel := context.WithTimeout(ctx, e.Opts.DNSTimeout)
				addrs, _ = e.Sys.LookupIP(cctx, fam.network, fqdn)
				cancel()
			}
			seen := map[netip.Addr]bool{}
			sort.Slice(addrs, func(i, j int) bool { return addrs[i].Less(addrs[j]) })
			for _, a := range addrs {
				if !seen[a] {
					seen[a] = true
					out = append(out, a.Unmap().String())
				}
			}
		}
		g.Set(fam.key, out)
	}
	return g, nil
}

// DefaultDNSTimeout is a short bound suitable for Options.DNSTimeout.
const DefaultDNSTimeout = 50 * time.Millisecond
