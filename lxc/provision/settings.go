package provision

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/saltgo/saltgo/lxc/liblxc"
)

// DefaultOrigin is the origin container cloned by the non-scratch profile
// types when Settings.FromContainer is empty (makina-states' default).
const DefaultOrigin = "makina-states-precise"

// DefaultImage is the LXC template used by the *-scratch profile types when
// Settings.Image is empty.
const DefaultImage = "ubuntu"

// AdditionalIP is one extra interface (an entry of additional_ips): it
// becomes lxc.net.<n> on Link (default br0).
type AdditionalIP struct {
	IP      string `json:"ip" salt:"ip"`
	MAC     string `json:"mac" salt:"mac"`
	Gateway string `json:"gateway,omitempty" salt:"gateway"`
	Netmask string `json:"netmask,omitempty" salt:"netmask"`
	Link    string `json:"link,omitempty" salt:"link"`
}

// Settings is the typed form of one VM's get_settings_for_vm output (spec
// section 4.3) plus the few node-side inputs the provisioning steps need.
// The cloud package fills it; this package never computes settings itself.
type Settings struct {
	// Name is the container name (the VM id).
	Name string `json:"name" salt:"name"`
	// ProfileType is lvm, lvm-scratch, dir, dir-scratch, overlayfs or
	// overlayfs-scratch. When empty it is derived from Backing and whether
	// FromContainer is set.
	ProfileType string `json:"profile_type,omitempty" salt:"profile_type"`
	// Backing is the storage backing when ProfileType is empty.
	Backing string `json:"backing,omitempty" salt:"backing"`
	// FromContainer is the origin of a clone (default DefaultOrigin).
	FromContainer string `json:"from_container,omitempty" salt:"from_container"`
	// Snapshot asks for a copy-on-write snapshot clone (implied by overlayfs).
	Snapshot bool `json:"snapshot,omitempty" salt:"snapshot"`
	// Image is the template of a scratch create (default DefaultImage).
	Image string `json:"image,omitempty" salt:"image"`
	// TemplateArgs are extra arguments for the template script.
	TemplateArgs []string `json:"template_args,omitempty" salt:"template_args"`
	// Profile is the size profile name (medium, small...) used for lvm sizes.
	Profile string `json:"profile,omitempty" salt:"profile"`
	// Size overrides the size profile ("10g", "500m").
	Size   string `json:"size,omitempty" salt:"size"`
	VGName string `json:"vgname,omitempty" salt:"vgname"`
	LVName string `json:"lvname,omitempty" salt:"lvname"`
	FSType string `json:"fstype,omitempty" salt:"fstype"`

	Bridge     string            `json:"bridge,omitempty" salt:"bridge"`
	IP         string            `json:"ip,omitempty" salt:"ip"`
	Netmask    string            `json:"netmask,omitempty" salt:"netmask"`
	Gateway    string            `json:"gateway,omitempty" salt:"gateway"`
	MAC        string            `json:"mac,omitempty" salt:"mac"`
	DNSServers []string          `json:"dnsservers,omitempty" salt:"dnsservers"`
	Autostart  bool              `json:"autostart" salt:"autostart"`
	LXCConf    []liblxc.ConfItem `json:"lxc_conf,omitempty" salt:"lxc_conf"`
	LXCUnset   []string          `json:"lxc_conf_unset,omitempty" salt:"lxc_conf_unset"`
	AddIPs     []AdditionalIP    `json:"additional_ips,omitempty" salt:"additional_ips"`
	Fstab      []string          `json:"fstab,omitempty" salt:"fstab"`

	// Domains are the VM's names (first is Name), used by the hostsfile step.
	Domains []string `json:"domains,omitempty" salt:"domains"`
	// Mode is makina-states' VM mode: "mastersalt" (the VM's minion is a
	// mastersalt minion, /etc/mastersalt, of the controller's mastersalt
	// master) or "salt" (a salt minion, /etc/salt); "" is salt.
	Mode string `json:"mode,omitempty" salt:"mode"`
	// Master and MasterPort are where the bootstrapped minion connects.
	Master     string `json:"master,omitempty" salt:"master"`
	MasterPort int    `json:"master_port,omitempty" salt:"master_port"`
	// Password is set for Users by the initial_setup step.
	Password string   `json:"password,omitempty" salt:"password"`
	Users    []string `json:"users,omitempty" salt:"users"`
	// SSHPort and SNMPPort are the VM's reverse ports
	// (ssh_reverse_proxy_port, snmp_reverse_proxy_port): the spawn step
	// forwards them on the node to the VM's ports 22 and 161
	// (ReversePorts); 0 forwards nothing.
	SSHPort  int `json:"ssh_reverse_proxy_port,omitempty" salt:"ssh_reverse_proxy_port"`
	SNMPPort int `json:"snmp_reverse_proxy_port,omitempty" salt:"snmp_reverse_proxy_port"`
}

// ProfileKind is the parsed form of a profile type.
type ProfileKind struct {
	// Backing is dir, overlayfs or lvm.
	Backing string
	// Scratch is true for "create from the image template", false for
	// "clone FromContainer".
	Scratch bool
}

// String returns the profile type name ("dir", "lvm-scratch"...).
func (k ProfileKind) String() string {
	if k.Scratch {
		return k.Backing + "-scratch"
	}
	return k.Backing
}

var validBackings = map[string]bool{"dir": true, "overlayfs": true, "lvm": true}

// ParseProfileType parses a profile type name. The documentation's
// misspelling "lvm-sratch" is accepted as lvm-scratch.
func ParseProfileType(s string) (ProfileKind, error) {
	t := strings.TrimSpace(strings.ToLower(s))
	t = strings.Replace(t, "-sratch", "-scratch", 1)
	k := ProfileKind{Backing: strings.TrimSuffix(t, "-scratch"), Scratch: strings.HasSuffix(t, "-scratch")}
	if !validBackings[k.Backing] {
		return ProfileKind{}, fmt.Errorf("lxc: unknown profile type %q (want dir, dir-scratch, overlayfs, overlayfs-scratch, lvm or lvm-scratch)", s)
	}
	return k, nil
}

// Kind returns the effective profile kind of s.
func (s *Settings) Kind() (ProfileKind, error) {
	if s.ProfileType != "" {
		return ParseProfileType(s.ProfileType)
	}
	b := s.Backing
	if b == "" {
		b = "dir"
	}
	if b == "overlay" {
		b = "overlayfs"
	}
	if !validBackings[b] {
		return ProfileKind{}, fmt.Errorf("lxc: unknown backing %q (want dir, overlayfs or lvm)", s.Backing)
	}
	return ProfileKind{Backing: b, Scratch: s.FromContainer == ""}, nil
}

// BuiltBacking is the storage backing a spawn builds for a profile type
// (and snapshot): what get_settings_for_vm reports as backing, so that the
// reported backing is the one built. dir and dir-scratch build dir (a dir
// clone with snapshot is an overlayfs clone, as LXC 1.x's lxc-clone -s
// made it), overlayfs and overlayfs-scratch build overlayfs, lvm and
// lvm-scratch build lvm (an lvm clone always copies). BuildPlan agrees
// (tested for every type).
func BuiltBacking(ptype string, snapshot bool) (string, error) {
	k, err := ParseProfileType(ptype)
	if err != nil {
		return "", err
	}
	if !k.Scratch && snapshot && k.Backing == "dir" {
		return "overlayfs", nil
	}
	return k.Backing, nil
}

// SizeProfiles maps makina-states' size profile names to sizes (spec 3.5).
var SizeProfiles = map[string]string{
	"xxxtrem": "2000g", "xxtrem": "1000g", "xtrem": "500g", "xxxlarge": "100g",
	"xxlarge": "50g", "large": "20g", "medium": "10g", "small": "5g",
	"xsmall": "3g", "xxsmall": "1g", "xxxsmall": "500m",
}

func sizeNames() string {
	n := make([]string, 0, len(SizeProfiles))
	for k := range SizeProfiles {
		n = append(n, k)
	}
	sort.Strings(n)
	return strings.Join(n, ", ")
}

// ParseSize parses "10g", "500m", "20G", "1024k" or a plain byte count.
func ParseSize(s string) (uint64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	t = strings.TrimSuffix(t, "b")
	mult := uint64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'k':
			mult = 1 << 10
		case 'm':
			mult = 1 << 20
		case 'g':
			mult = 1 << 30
		case 't':
			mult = 1 << 40
		}
		if mult != 1 {
			t = t[:len(t)-1]
		}
	}
	n, err := strconv.ParseUint(t, 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("lxc: invalid size %q", s)
	}
	return n * mult, nil
}

// PrefixLen converts a netmask given as "16", "/16" or "255.255.0.0" to a
// prefix length.
func PrefixLen(mask string) (int, error) {
	m := strings.TrimPrefix(strings.TrimSpace(mask), "/")
	if m == "" {
		return 0, fmt.Errorf("lxc: empty netmask")
	}
	if n, err := strconv.Atoi(m); err == nil {
		if n < 0 || n > 32 {
			return 0, fmt.Errorf("lxc: invalid netmask %q", mask)
		}
		return n, nil
	}
	ip := net.ParseIP(m).To4()
	if ip == nil {
		return 0, fmt.Errorf("lxc: invalid netmask %q", mask)
	}
	ones, bits := net.IPMask(ip).Size()
	if bits == 0 {
		return 0, fmt.Errorf("lxc: non-contiguous netmask %q", mask)
	}
	return ones, nil
}
