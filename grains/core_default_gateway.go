package grains

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"net/netip"
	"strconv"
	"strings"

	"github.com/saltgo/saltgo/data"
)

// collectDefaultGateway gives ip_gw, ip4_gw and ip6_gw (the gateway address,
// true for a default route without gateway, false without default route),
// read from /proc/net/route and /proc/net/ipv6_route instead of ip(8).
func collectDefaultGateway(_ context.Context, e *Env) (*data.Map, error) {
	var gw4, gw6 any = false, false
	if b, err := e.ReadFile("/proc/net/route"); err == nil {
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 8 || f[1] != "00000000" || f[7] != "00000000" {
				continue
			}
			gw4 = true
			if raw, err := hex.DecodeString(f[2]); err == nil && len(raw) == 4 && f[2] != "00000000" {
				var a [4]byte
				binary.LittleEndian.PutUint32(a[:], binary.BigEndian.Uint32(raw))
				gw4 = netip.AddrFrom4(a).String()
			}
			break
		}
	}
	if b, err := e.ReadFile("/proc/net/ipv6_route"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) < 10 || f[0] != strings.Repeat("0", 32) || f[1] != "00" {
				continue
			}
			if flags, err := strconv.ParseUint(f[8], 16, 32); err == nil && flags&0x200 != 0 {
				continue // RTF_REJECT: not a usable default route
			}
			gw6 = true
			if raw, err := hex.DecodeString(f[4]); err == nil && len(raw) == 16 {
				if a := netip.AddrFrom16([16]byte(raw)); !a.IsUnspecified() {
					gw6 = a.String()
				}
			}
			break
		}
	}
	ipgw := gw4 != false || gw6 != false
	return data.M("ip_gw", ipgw, "ip4_gw", gw4, "ip6_gw", gw6), nil
}
