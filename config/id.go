package config

import (
	"bufio"
	"bytes"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/saltgo/saltgo/atomicfile"
	"github.com/saltgo/saltgo/data"
)

// getID implements salt.config.get_id: the cached minion_id file
// (root_dir + the flavour's config dir + /minion_id) wins, else an id is
// generated from the host names (see GenerateMinionID) and, when cache is
// true and minion_id_caching is on, written to that file atomically.
func (l *loader) getID(opts *data.Map, cache bool) (string, bool, error) {
	root := str(opts, "root_dir")
	if root == "" {
		root = "/"
	}
	idCache := filepath.Join(root, strings.TrimPrefix(l.opts.Flavour.ConfigDir, "/"), "minion_id")
	caching := truthy(opts, "minion_id_caching", true)
	if caching {
		if b, err := os.ReadFile(idCache); err == nil {
			line, _, _ := strings.Cut(string(b), "\n")
			name := trimBOM(strings.TrimSpace(line))
			if name != "" && name != "localhost" {
				l.log.Debug("Using cached minion ID", "path", idCache, "id", name)
				return name, false, nil
			}
		}
	}
	hostname := l.opts.Hostname
	if hostname == nil {
		hostname = os.Hostname
	}
	newid := GenerateMinionID(l.opts.SysRoot, hostname)
	if truthy(opts, "minion_id_lowercase", false) {
		newid = strings.ToLower(newid)
	}
	if rd, _ := opts.Get("minion_id_remove_domain"); data.Truthy(rd) {
		if rd == true {
			newid, _, _ = strings.Cut(newid, ".")
		} else if dom, ok := rd.(string); ok && strings.HasSuffix(strings.ToUpper(newid), "."+strings.ToUpper(dom)) {
			newid = newid[:len(newid)-len(dom)-1]
		}
	}
	if cache && caching {
		if err := atomicfile.WriteMkdir(idCache, []byte(newid), 0o644, 0o755); err != nil {
			l.log.Error("Could not cache minion ID", "err", err)
		}
	}
	ip, err := netip.ParseAddr(newid)
	return newid, err == nil && ip.Is4(), nil
}

var localhostRe = regexp.MustCompile(`^(?:localhost.*|ip6-.*|127[.]\d|0\.0\.0\.0|::1.*|ipv6-.*|fe00::.*|fe02::.*|1.0.0.*.ip6.arpa)`)

// GenerateMinionID picks a minion id the way
// salt.utils.network.generate_minion_id does, without DNS queries: the
// host's canonical name from /etc/hosts, the host name, then names from
// /etc/hostname, /etc/nodename and /etc/hosts, then non-loopback IPv4
// addresses; localhost-like names are skipped. sysRoot prefixes the files
// read ("" means /). It returns "localhost" when nothing fits.
func GenerateMinionID(sysRoot string, hostname func() (string, error)) string {
	if sysRoot == "" {
		sysRoot = "/"
	}
	var hosts []string
	add := func(s string) {
		if s == "" || localhostRe.MatchString(s) {
			return
		}
		for _, h := range hosts {
			if h == s {
				return
			}
		}
		hosts = append(hosts, s)
	}
	hn, _ := hostname()
	hostsFile, _ := os.ReadFile(filepath.Join(sysRoot, "etc/hosts"))
	add(CanonicalName(hn, hostsFile))
	add(hn)
	for _, f := range []string{"etc/hostname", "etc/nodename", "etc/hosts"} {
		b, err := os.ReadFile(filepath.Join(sysRoot, f))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			line, _, _ := strings.Cut(strings.TrimSpace(sc.Text()), "#")
			fields := strings.Fields(line)
			if len(fields) == 0 {
				continue
			}
			if strings.HasPrefix(fields[0], "127.") || strings.HasPrefix(fields[0], "::1") || len(fields) == 1 {
				for _, f := range fields {
					add(f)
				}
			}
		}
	}
	if len(hosts) > 0 {
		return hosts[0]
	}
	var ips []netip.Addr
	if addrs, err := net.InterfaceAddrs(); err == nil {
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if ip, ok := netip.AddrFromSlice(n.IP); ok && ip.Unmap().Is4() && !ip.IsLoopback() {
					ips = append(ips, ip.Unmap())
				}
			}
		}
	}
	sort.Slice(ips, func(i, j int) bool { return ips[i].Less(ips[j]) })
	if len(ips) > 0 {
		return ips[0].String()
	}
	return "localhost"
}

// CanonicalName returns the canonical name of host from an /etc/hosts
// content: the first name of the first line that lists host (what
// getaddrinfo with AI_CANONNAME answers from the files backend). It returns
// host itself when no line lists it.
func CanonicalName(host string, hostsFile []byte) string {
	if host == "" {
		return ""
	}
	sc := bufio.NewScanner(bytes.NewReader(hostsFile))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		for _, name := range fields[1:] {
			if strings.EqualFold(name, host) {
				return fields[1]
			}
		}
	}
	return host
}

// trimBOM drops a UTF-8 byte order mark.
func trimBOM(s string) string { return strings.TrimPrefix(s, "\ufeff") }
