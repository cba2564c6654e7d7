package grains

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

const (
	ifaLocal     = 2
	ifaFlags     = 8
	ifaFSecondry = 0x01
)

// liveInterfaces reads the links with net.Interfaces and all addresses with
// one RTM_GETADDR netlink dump (in the kernel's order, as ip(8) shows them).
func liveInterfaces() ([]Interface, error) {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("list interfaces: %w", err)
	}
	out := make([]Interface, len(ifs))
	byIndex := make(map[int]*Interface, len(ifs))
	for i, ifi := range ifs {
		out[i].Name = ifi.Name
		out[i].HWAddr = readHWAddr(ifi.Name)
		if out[i].HWAddr == "" && len(ifi.HardwareAddr) > 0 {
			out[i].HWAddr = ifi.HardwareAddr.String()
		}
		byIndex[ifi.Index] = &out[i]
	}
	tab, err := syscall.NetlinkRIB(syscall.RTM_GETADDR, syscall.AF_UNSPEC)
	if err != nil {
		return out, fmt.Errorf("netlink RTM_GETADDR: %w", err)
	}
	msgs, err := syscall.ParseNetlinkMessage(tab)
	if err != nil {
		return out, fmt.Errorf("netlink parse: %w", err)
	}
	for i := range msgs {
		m := &msgs[i]
		if m.Header.Type == syscall.NLMSG_DONE {
			break
		}
		if m.Header.Type != syscall.RTM_NEWADDR || len(m.Data) < syscall.SizeofIfAddrmsg {
			continue
		}
		family := m.Data[0]
		flags := uint32(m.Data[2])
		index := int(binary.NativeEndian.Uint32(m.Data[4:8]))
		attrs, err := syscall.ParseNetlinkRouteAttr(m)
		if err != nil {
			continue
		}
		var addr, local []byte
		for _, a := range attrs {
			switch a.Attr.Type {
			case syscall.IFA_ADDRESS:
				addr = a.Value
			case ifaLocal:
				local = a.Value
			case ifaFlags:
				if len(a.Value) >= 4 {
					flags = binary.NativeEndian.Uint32(a.Value)
				}
			}
		}
		if family == syscall.AF_INET && local != nil {
			addr = local
		}
		ip, ok := netip.AddrFromSlice(addr)
		ifc := byIndex[index]
		if !ok || ifc == nil {
			continue
		}
		ifc.Addrs = append(ifc.Addrs, IfAddr{Addr: ip, Secondary: ip.Is4() && flags&ifaFSecondry != 0})
	}
	return out, nil
}
