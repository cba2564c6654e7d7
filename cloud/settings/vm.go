package settings

import (
	"github.com/saltgo/saltgo/data"
)

// VM is the result of get_settings_for_vm (spec section 4.3, era C): the
// provisioning settings of one container.
type VM struct {
	// Target is the compute node id (not an output key).
	Target string `salt:"-"`
	// ProfileType is the effective profile type (output only when the
	// pillar set profile_type, through Extra).
	ProfileType string `salt:"-"`

	AdditionalIPs      []AdditionalIP
	Autostart          bool
	Backing            string
	BootsaltBranch     string
	BootstrapShell     string
	Bridge             string
	DNSServers         []string
	Domains            []string
	Fstab              []string // nil is None
	FromContainer      *string  // nil is None (scratch types)
	Gateway            *string  // nil when an additional IP has a gateway
	Image              string
	IP                 string
	LXCConf            []any
	LXCConfUnset       []any
	MAC                string
	MainBridge         string
	Master             string
	MasterPort         int
	Mode               string
	Name               string
	Netmask            string
	Network            string
	Password           string
	Profile            string
	Script             string
	ScriptArgs         string
	Snapshot           bool
	SSHGateway         *string
	SSHGatewayKey      *string
	SSHGatewayPassword *string
	SSHGatewayPort     int
	SSHGatewayUser     string
	SSHUsername        string
	Sudo               bool
	Users              []string

	// Ports are the reverse-proxy ports; nil when full is false.
	Ports *ReversePorts
	// LVM holds size, vgname and lvname; nil for dir and overlayfs types.
	LVM *LVM
	// Extra holds the pillar keys this model does not know, unchanged and
	// in pillar order (profile_type, cpu, memory...).
	Extra *data.Map
}

// ReversePorts are the compute node ports forwarded to the VM.
type ReversePorts struct {
	SSH  int
	SNMP int
}

// LVM holds the keys present only for lvm profile types.
type LVM struct {
	Size   *string // nil is None; size profiles never set it (quirk 7)
	VGName string
	LVName *string
	// ProfileSize is the size of the VM's size profile (lxc_cloud_profiles,
	// which the pillar may customise): what an lvm spawn uses when Size is
	// None. It is not part of get_settings_for_vm's output (Size stays None
	// there, quirk 7); the runner sends it to the node as size.
	ProfileSize string
}

// SpawnSize is the size an lvm volume of v gets: size when set, else the
// size of its size profile ("" for types without lvm keys).
func (v *VM) SpawnSize() string {
	if v.LVM == nil {
		return ""
	}
	if v.LVM.Size != nil && *v.LVM.Size != "" {
		return *v.LVM.Size
	}
	return v.LVM.ProfileSize
}

// SpawnMap is the mapping the controller sends to the compute node for
// v's steps: ToMap, with size filled from the size profile when it is
// None (the node does not know the controller's lxc_cloud_profiles).
func (v *VM) SpawnMap() *data.Map {
	m := v.ToMap()
	if v.LVM != nil && (v.LVM.Size == nil || *v.LVM.Size == "") && v.LVM.ProfileSize != "" {
		m.Set("size", v.LVM.ProfileSize)
	}
	return m
}

// AdditionalIP is one entry of additional_ips.
type AdditionalIP struct {
	IP      string
	MAC     string
	Gateway *string
	Netmask string
	Link    string
	Extra   *data.Map
}

// EraAKeys are the 32 keys of the documented (era A) example, for a dir or
// overlayfs profile type with full=True.
var EraAKeys = []string{
	"autostart", "backing", "bootsalt_branch", "bridge", "dnsservers", "domains",
	"from_container", "gateway", "image", "ip", "lxc_conf", "lxc_conf_unset", "mac",
	"master", "master_port", "mode", "name", "netmask", "network", "password",
	"profile", "script_args", "snapshot", "ssh_gateway", "ssh_gateway_key",
	"ssh_gateway_password", "ssh_gateway_port", "ssh_gateway_user",
	"ssh_reverse_proxy_port", "ssh_username", "sudo", "users",
}

// EraCKeys are the keys era C adds to EraAKeys (38 keys in all).
var EraCKeys = []string{
	"additional_ips", "bootstrap_shell", "fstab", "main_bridge", "script",
	"snmp_reverse_proxy_port",
}

// LVMKeys are present only for lvm and lvm-scratch profile types.
var LVMKeys = []string{"size", "vgname", "lvname"}

// ToMap returns the mapping get_settings_for_vm returns: the era A keys
// (alphabetical, as documented), then the era C keys, then size, vgname
// and lvname for lvm types, then the extra pillar keys, then saltgo's
// ssh_route (RouteKey) when the reverse ports are there.
func (v *VM) ToMap() *data.Map {
	m := data.NewMap()
	for _, k := range EraAKeys {
		switch k {
		case "ssh_reverse_proxy_port":
			if v.Ports != nil {
				m.Set(k, int64(v.Ports.SSH))
			}
		default:
			m.Set(k, v.value(k))
		}
	}
	for _, k := range EraCKeys {
		if k == "snmp_reverse_proxy_port" {
			if v.Ports != nil {
				m.Set(k, int64(v.Ports.SNMP))
			}
			continue
		}
		m.Set(k, v.value(k))
	}
	if v.LVM != nil {
		m.Set("size", optStr(v.LVM.Size))
		m.Set("vgname", v.LVM.VGName)
		m.Set("lvname", optStr(v.LVM.LVName))
	}
	v.Extra.Range(func(k, e any) bool {
		if !m.Has(k) {
			m.Set(k, deepCopy(e))
		}
		return true
	})
	if r := v.SSHRoute(); r != "" {
		m.Set(RouteKey, r)
	}
	return m
}

func (v *VM) value(k string) any {
	switch k {
	case "additional_ips":
		l := make([]any, 0, len(v.AdditionalIPs))
		for _, a := range v.AdditionalIPs {
			l = append(l, a.ToMap())
		}
		return l
	case "autostart":
		return v.Autostart
	case "backing":
		return v.Backing
	case "bootsalt_branch":
		return v.BootsaltBranch
	case "bootstrap_shell":
		return v.BootstrapShell
	case "bridge":
		return v.Bridge
	case "dnsservers":
		return data.List(v.DNSServers)
	case "domains":
		return data.List(v.Domains)
	case "fstab":
		if v.Fstab == nil {
			return nil
		}
		return data.List(v.Fstab)
	case "from_container":
		return optStr(v.FromContainer)
	case "gateway":
		return optStr(v.Gateway)
	case "image":
		return v.Image
	case "ip":
		return v.IP
	case "lxc_conf":
		return anyList(v.LXCConf)
	case "lxc_conf_unset":
		return anyList(v.LXCConfUnset)
	case "mac":
		return v.MAC
	case "main_bridge":
		return v.MainBridge
	case "master":
		return v.Master
	case "master_port":
		return int64(v.MasterPort)
	case "mode":
		return v.Mode
	case "name":
		return v.Name
	case "netmask":
		return v.Netmask
	case "network":
		return v.Network
	case "password":
		return v.Password
	case "profile":
		return v.Profile
	case "script":
		return v.Script
	case "script_args":
		return v.ScriptArgs
	case "snapshot":
		return v.Snapshot
	case "ssh_gateway":
		return optStr(v.SSHGateway)
	case "ssh_gateway_key":
		return optStr(v.SSHGatewayKey)
	case "ssh_gateway_password":
		return optStr(v.SSHGatewayPassword)
	case "ssh_gateway_port":
		return int64(v.SSHGatewayPort)
	case "ssh_gateway_user":
		return v.SSHGatewayUser
	case "ssh_username":
		return v.SSHUsername
	case "sudo":
		return v.Sudo
	case "users":
		return data.List(v.Users)
	}
	return nil
}

// ToMap returns the additional IP entry: ip, mac, gateway, netmask, link,
// then the user's other keys.
func (a AdditionalIP) ToMap() *data.Map {
	m := data.M("ip", a.IP, "mac", a.MAC, "gateway", optStr(a.Gateway), "netmask", a.Netmask, "link", a.Link)
	a.Extra.Range(func(k, e any) bool {
		if !m.Has(k) {
			m.Set(k, deepCopy(e))
		}
		return true
	})
	return m
}

func optStr(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

func anyList(l []any) []any {
	if l == nil {
		return []any{}
	}
	return deepCopy(l).([]any)
}
