package provision

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"

	"github.com/saltgo/saltgo/lxc/liblxc"
)

// BuildPlan turns settings into a create or clone plan:
//
//	dir, overlayfs, lvm:   clone FromContainer (default DefaultOrigin);
//	                       overlayfs is always a snapshot clone (the origin
//	                       rootfs is the lower layer), dir and lvm copy unless
//	                       Snapshot is set (a dir snapshot is an overlayfs
//	                       clone, as LXC 1.x's lxc-clone -s made it).
//	*-scratch:             create from Image (default DefaultImage).
//	lvm, lvm-scratch:      VGName (default "lxc"), LVName (default the
//	                       container name), size from Size or the size profile
//	                       Profile (default medium, 10g), ext4.
func BuildPlan(s *Settings) (*liblxc.Plan, error) {
	if err := liblxc.ValidateName(s.Name); err != nil {
		return nil, err
	}
	k, err := s.Kind()
	if err != nil {
		return nil, err
	}
	p := &liblxc.Plan{Name: s.Name, Kind: k.String(), Backend: k.Backing}
	if k.Scratch {
		p.Template = s.Image
		if p.Template == "" {
			p.Template = DefaultImage
		}
		if strings.ContainsAny(p.Template, "/ ") && !filepath.IsAbs(p.Template) {
			return nil, fmt.Errorf("lxc: invalid template name %q", p.Template)
		}
		p.TemplateArgs = append([]string(nil), s.TemplateArgs...)
	} else {
		p.Clone = true
		p.Origin = s.FromContainer
		if p.Origin == "" {
			p.Origin = DefaultOrigin
		}
		if err := liblxc.ValidateName(p.Origin); err != nil {
			return nil, fmt.Errorf("lxc: from_container: %w", err)
		}
		if p.Origin == s.Name {
			return nil, fmt.Errorf("lxc: container %q cannot be cloned from itself", s.Name)
		}
		p.Snapshot = s.Snapshot || k.Backing == "overlayfs"
		if p.Snapshot && k.Backing == "dir" {
			// liblxc has no snapshot of a dir rootfs; LXC 1.x's
			// `lxc-clone -s` (makina's era) made an overlayfs clone of it.
			p.Backend = "overlayfs"
		}
	}
	if k.Backing == "lvm" {
		p.VG = s.VGName
		if p.VG == "" {
			p.VG = "lxc"
		}
		p.LV = s.LVName
		if p.LV == "" {
			p.LV = s.Name
		}
		p.FSType = s.FSType
		if p.FSType == "" {
			p.FSType = "ext4"
		}
		// An lvm clone copies the origin onto its own volume: an LVM
		// snapshot needs an lvm origin and cannot be given a size.
		p.Snapshot = false
		size := s.Size
		if size == "" {
			prof := s.Profile
			if prof == "" {
				prof = "medium"
			}
			var ok bool
			if size, ok = SizeProfiles[prof]; !ok {
				// get_settings_for_vm's profile is the salt-cloud profile
				// name (ms-<cn>-<size>-lvm); the controller sends the size
				// of its size profile as size.
				return nil, fmt.Errorf("lxc: %s: no size for its lvm volume: size is not set and profile %q is not a size profile (%s)", s.Name, prof, sizeNames())
			}
		}
		if p.SizeBytes, err = ParseSize(size); err != nil {
			return nil, fmt.Errorf("lxc: %s: %w", s.Name, err)
		}
	}
	return p, nil
}

// BuildConfig returns the config change that writes s's network and system
// settings into the container config (lxcpath is the container directory's
// parent, for the fstab file):
//
//	lxc.net.0: veth on Bridge, name eth0, hwaddr MAC, ipv4.address IP/prefix,
//	           ipv4.gateway Gateway
//	lxc.net.N: one per AdditionalIPs entry (link default br0, netmask 32)
//	lxc.start.auto: 1 or 0 (Autostart)
//	lxc.mount.fstab: <lxcpath>/<name>/fstab when Fstab has lines
//	LXCConf items last; LXCUnset keys cleared.
//
// The gateway is only written when the IP is static; "auto" is left to
// liblxc (it means the bridge address).
func BuildConfig(s *Settings, lxcpath string) (*liblxc.ConfigChange, error) {
	c := &liblxc.ConfigChange{Clear: []string{"lxc.net", "lxc.start.auto", "lxc.mount.fstab"}}
	set := func(k, v string) { c.Set = append(c.Set, liblxc.ConfItem{Key: k, Value: v}) }
	bridge := s.Bridge
	if bridge == "" {
		bridge = "lxcbr1"
	}
	if err := validIface(bridge); err != nil {
		return nil, err
	}
	set("lxc.net.0.type", "veth")
	set("lxc.net.0.link", bridge)
	set("lxc.net.0.flags", "up")
	set("lxc.net.0.name", "eth0")
	if s.MAC != "" {
		if err := validMAC(s.MAC); err != nil {
			return nil, fmt.Errorf("lxc: %s: invalid mac %q%s", s.Name, s.MAC, err)
		}
		set("lxc.net.0.hwaddr", strings.ToLower(s.MAC))
	}
	if s.IP != "" {
		addr, err := cidr(s.IP, s.Netmask, "16")
		if err != nil {
			return nil, err
		}
		set("lxc.net.0.ipv4.address", addr)
		if s.Gateway != "" {
			if s.Gateway != "auto" && net.ParseIP(s.Gateway).To4() == nil {
				return nil, fmt.Errorf("lxc: invalid gateway %q", s.Gateway)
			}
			set("lxc.net.0.ipv4.gateway", s.Gateway)
		}
	}
	for i, a := range s.AddIPs {
		n := i + 1
		pre := fmt.Sprintf("lxc.net.%d.", n)
		link := a.Link
		if link == "" {
			link = "br0"
		}
		if err := validIface(link); err != nil {
			return nil, err
		}
		if a.MAC == "" {
			return nil, fmt.Errorf("lxc: no mac for eth%d (additional ip %s)", n, a.IP)
		}
		if err := validMAC(a.MAC); err != nil {
			return nil, fmt.Errorf("lxc: %s: invalid mac %q for eth%d%s", s.Name, a.MAC, n, err)
		}
		addr, err := cidr(a.IP, a.Netmask, "32")
		if err != nil {
			return nil, err
		}
		set(pre+"type", "veth")
		set(pre+"link", link)
		set(pre+"flags", "up")
		set(pre+"name", fmt.Sprintf("eth%d", n))
		set(pre+"hwaddr", strings.ToLower(a.MAC))
		set(pre+"ipv4.address", addr)
		if a.Gateway != "" {
			set(pre+"ipv4.gateway", a.Gateway)
		}
	}
	if s.Autostart {
		set("lxc.start.auto", "1")
	} else {
		set("lxc.start.auto", "0")
	}
	if len(s.Fstab) > 0 {
		set("lxc.mount.fstab", filepath.Join(lxcpath, s.Name, "fstab"))
	}
	for _, it := range s.LXCConf {
		if !strings.HasPrefix(it.Key, "lxc.") || strings.ContainsAny(it.Key, " \n=") || strings.Contains(it.Value, "\n") {
			return nil, fmt.Errorf("lxc: invalid lxc_conf item %q = %q", it.Key, it.Value)
		}
		set(it.Key, it.Value)
	}
	for _, k := range s.LXCUnset {
		if !strings.HasPrefix(k, "lxc.") || strings.ContainsAny(k, " \n=") {
			return nil, fmt.Errorf("lxc: invalid lxc_conf_unset key %q", k)
		}
		c.Clear = append(c.Clear, k)
		// An unset key also drops any earlier Set of it.
		kept := c.Set[:0]
		for _, it := range c.Set {
			if it.Key != k {
				kept = append(kept, it)
			}
		}
		c.Set = kept
	}
	return c, nil
}

// FstabContent returns the fstab file written for s (empty when none).
func FstabContent(s *Settings) string {
	if len(s.Fstab) == 0 {
		return ""
	}
	return "# generated by salt do not edit\n" + strings.Join(s.Fstab, "\n") + "\n"
}

// ResolvConf returns the resolv.conf content for s's DNS servers.
func ResolvConf(s *Settings) string {
	var b strings.Builder
	for _, d := range s.DNSServers {
		fmt.Fprintf(&b, "nameserver %s\n", d)
	}
	return b.String()
}

// validMAC accepts a 6-byte unicast MAC; the error is a suffix for the
// message (" (multicast)").
func validMAC(m string) error {
	hw, err := net.ParseMAC(m)
	switch {
	case err != nil || len(hw) != 6:
		return errors.New("")
	case hw[0]&1 == 1:
		return errors.New(" (a multicast address: an interface needs a unicast one)")
	}
	return nil
}

func validIface(n string) error {
	if n == "" || len(n) > 15 || strings.ContainsAny(n, "/ \t\n:") {
		return fmt.Errorf("lxc: invalid interface name %q", n)
	}
	return nil
}

func cidr(ip, mask, def string) (string, error) {
	if strings.Contains(ip, "/") {
		if _, _, err := net.ParseCIDR(ip); err != nil {
			return "", fmt.Errorf("lxc: invalid ip %q", ip)
		}
		return ip, nil
	}
	if net.ParseIP(ip).To4() == nil {
		return "", fmt.Errorf("lxc: invalid ip %q", ip)
	}
	if mask == "" {
		mask = def
	}
	n, err := PrefixLen(mask)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s/%d", ip, n), nil
}
