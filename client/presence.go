package client

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/transport/payload"
)

// minionDataFile is where Salt's localfs cache keeps a minion's grains and
// pillar: cachedir/minions/<id>/data.p (msgpack).
func minionDataFile(opts *data.Map, id string) string {
	cachedir, _ := opts.String("cachedir")
	return filepath.Join(cachedir, "minions", id, "data.p")
}

// HasMinionData reports whether the master's cache holds data for minion id.
func HasMinionData(opts *data.Map, id string) bool {
	if id == "" || strings.ContainsAny(id, "/\x00") || id == "." || id == ".." {
		return false
	}
	_, err := os.Stat(minionDataFile(opts, id))
	return err == nil
}

// CachedGrains returns the grains the master's cache holds for minion id
// (nil, and no error, when it holds none).
func CachedGrains(opts *data.Map, id string) (*data.Map, error) {
	if !HasMinionData(opts, id) {
		return nil, nil
	}
	path := minionDataFile(opts, id)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("minion data cache: %w", err)
	}
	v, err := payload.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("minion data cache %s: %w", path, err)
	}
	m, _ := v.(*data.Map)
	g, _ := m.Get("grains")
	gm, _ := g.(*data.Map)
	return gm, nil
}

// ConnectedIDs is Salt's presence detection (CkMinions.connected_ids): the
// remote addresses of the established TCP connections to the master's
// publish port are matched against the ipv4/ipv6 grains cached for each
// minion. A loopback peer stands for every local non-loopback address.
func ConnectedIDs(opts *data.Map) (map[string]bool, error) {
	out := map[string]bool{}
	port, ok := optInt(opts, "publish_port")
	if !ok {
		return out, fmt.Errorf("master option publish_port is missing")
	}
	addrs, err := remotesOnLocalPort(int(port))
	if err != nil {
		return out, err
	}
	// As Salt does: a loopback peer is replaced by this host's non-loopback
	// addresses of the same family (the loopback address itself is
	// dropped, or every minion caching 127.0.0.1 in its ipv4 grain would
	// look connected).
	for _, lo := range []string{"127.0.0.1", "::1"} {
		if !addrs[lo] {
			continue
		}
		delete(addrs, lo)
		v4 := lo == "127.0.0.1"
		if ifaddrs, err := net.InterfaceAddrs(); err == nil {
			for _, a := range ifaddrs {
				if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && (ipn.IP.To4() != nil) == v4 {
					addrs[ipn.IP.String()] = true
				}
			}
		}
	}
	cachedir, _ := opts.String("cachedir")
	ents, err := os.ReadDir(filepath.Join(cachedir, "minions"))
	if err != nil {
		return out, nil
	}
	for _, e := range ents {
		gm, err := CachedGrains(opts, e.Name())
		if err != nil || gm == nil {
			continue
		}
		for _, key := range []string{"ipv4", "ipv6"} {
			ips, _ := gm.Get(key)
			for _, ip := range anyStrings(ips) {
				if p := net.ParseIP(ip); p != nil && addrs[p.String()] {
					out[e.Name()] = true
				}
			}
		}
	}
	return out, nil
}

// remotesOnLocalPort reads /proc/net/tcp{,6} for established connections
// whose local port is port and returns their remote addresses.
func remotesOnLocalPort(port int) (map[string]bool, error) {
	out := map[string]bool{}
	found := false
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		fh, err := os.Open(f)
		if err != nil {
			continue
		}
		found = true
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 4 || fields[0] == "sl" || fields[3] != "01" {
				continue
			}
			_, lport, ok1 := parseProcAddr(fields[1])
			rip, _, ok2 := parseProcAddr(fields[2])
			if ok1 && ok2 && lport == port {
				out[rip.String()] = true
			}
		}
		fh.Close()
	}
	if !found {
		return out, fmt.Errorf("presence detection needs /proc/net/tcp")
	}
	return out, nil
}

// parseProcAddr decodes "0100007F:1F90" (little-endian 32-bit words).
func parseProcAddr(s string) (net.IP, int, bool) {
	h, p, ok := strings.Cut(s, ":")
	if !ok {
		return nil, 0, false
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return nil, 0, false
	}
	b, err := hex.DecodeString(h)
	if err != nil || (len(b) != 4 && len(b) != 16) {
		return nil, 0, false
	}
	ip := make(net.IP, len(b))
	for i := 0; i < len(b); i += 4 {
		ip[i], ip[i+1], ip[i+2], ip[i+3] = b[i+3], b[i+2], b[i+1], b[i]
	}
	if v4 := ip.To4(); v4 != nil {
		ip = v4
	}
	return ip, int(port), true
}
