package settings

import (
	"fmt"

	"github.com/saltgo/saltgo/data"
)

// VMFromMap rebuilds a VM from get_settings_for_vm's output (the inverse of
// ToMap). The controller computes a VM's settings and allocations and hands
// that mapping to the compute node's functions, so that both sides use the
// controller's IP, MAC and password. Target is set to target.
func VMFromMap(target string, m *data.Map) (*VM, error) {
	if m == nil {
		return nil, fmt.Errorf("mc_cloud_lxc: no vm settings given")
	}
	g := &mapReader{m: m}
	v := &VM{
		Target:             target,
		Autostart:          g.boolean("autostart"),
		Backing:            g.str("backing"),
		BootsaltBranch:     g.str("bootsalt_branch"),
		BootstrapShell:     g.str("bootstrap_shell"),
		Bridge:             g.str("bridge"),
		DNSServers:         g.strs("dnsservers"),
		Domains:            g.strs("domains"),
		FromContainer:      g.optStr("from_container"),
		Gateway:            g.optStr("gateway"),
		Image:              g.str("image"),
		IP:                 g.str("ip"),
		LXCConf:            g.list("lxc_conf"),
		LXCConfUnset:       g.list("lxc_conf_unset"),
		MAC:                g.str("mac"),
		MainBridge:         g.str("main_bridge"),
		Master:             g.str("master"),
		MasterPort:         g.integer("master_port"),
		Mode:               g.str("mode"),
		Name:               g.str("name"),
		Netmask:            g.str("netmask"),
		Network:            g.str("network"),
		Password:           g.str("password"),
		Profile:            g.str("profile"),
		Script:             g.str("script"),
		ScriptArgs:         g.str("script_args"),
		Snapshot:           g.boolean("snapshot"),
		SSHGateway:         g.optStr("ssh_gateway"),
		SSHGatewayKey:      g.optStr("ssh_gateway_key"),
		SSHGatewayPassword: g.optStr("ssh_gateway_password"),
		SSHGatewayPort:     g.integer("ssh_gateway_port"),
		SSHGatewayUser:     g.str("ssh_gateway_user"),
		SSHUsername:        g.str("ssh_username"),
		Sudo:               g.boolean("sudo"),
		Users:              g.strs("users"),
		Extra:              data.NewMap(),
	}
	if fs, ok := m.Get("fstab"); ok && fs != nil {
		v.Fstab = g.strs("fstab")
	}
	if pt, ok := m.String("profile_type"); ok {
		v.ProfileType = pt
	}
	if m.Has("ssh_reverse_proxy_port") || m.Has("snmp_reverse_proxy_port") {
		v.Ports = &ReversePorts{SSH: g.integer("ssh_reverse_proxy_port"), SNMP: g.integer("snmp_reverse_proxy_port")}
	}
	if m.Has("vgname") {
		v.LVM = &LVM{Size: g.optStr("size"), VGName: g.str("vgname"), LVName: g.optStr("lvname")}
	}
	if l, ok := m.Get("additional_ips"); ok {
		items, _ := l.([]any)
		for i, e := range items {
			am, ok := e.(*data.Map)
			if !ok {
				return nil, fmt.Errorf("mc_cloud_lxc: additional_ips[%d] must be a mapping", i)
			}
			ag := &mapReader{m: am}
			a := AdditionalIP{IP: ag.str("ip"), MAC: ag.str("mac"), Gateway: ag.optStr("gateway"), Netmask: ag.str("netmask"), Link: ag.str("link"), Extra: data.NewMap()}
			am.Range(func(k, e any) bool {
				switch k {
				case "ip", "mac", "gateway", "netmask", "link":
				default:
					a.Extra.Set(k, e)
				}
				return true
			})
			if ag.err != nil {
				return nil, ag.err
			}
			v.AdditionalIPs = append(v.AdditionalIPs, a)
		}
	}
	known := map[string]bool{"size": true, "vgname": true, "lvname": true, RouteKey: true}
	for _, l := range [][]string{EraAKeys, EraCKeys} {
		for _, k := range l {
			known[k] = true
		}
	}
	m.Range(func(k, e any) bool {
		if ks, ok := k.(string); !ok || !known[ks] {
			v.Extra.Set(k, e)
		}
		return true
	})
	if g.err != nil {
		return nil, g.err
	}
	if v.Name == "" || v.IP == "" {
		return nil, fmt.Errorf("mc_cloud_lxc: vm settings need at least name and ip")
	}
	return v, nil
}

// mapReader reads typed values out of a settings mapping, keeping the
// first type error.
type mapReader struct {
	m   *data.Map
	err error
}

func (r *mapReader) fail(k string, want string, got any) {
	if r.err == nil {
		r.err = fmt.Errorf("mc_cloud_lxc: vm setting %q must be %s, got %v", k, want, got)
	}
}

func (r *mapReader) str(k string) string {
	v, ok := r.m.Get(k)
	if !ok || v == nil {
		return ""
	}
	switch x := data.Normalize(v).(type) {
	case string:
		return x
	case int64:
		return fmt.Sprint(x)
	}
	r.fail(k, "a string", v)
	return ""
}

func (r *mapReader) optStr(k string) *string {
	v, ok := r.m.Get(k)
	if !ok || v == nil {
		return nil
	}
	s := r.str(k)
	return &s
}

func (r *mapReader) boolean(k string) bool {
	v, ok := r.m.Get(k)
	if !ok || v == nil {
		return false
	}
	b, isBool := v.(bool)
	if !isBool {
		r.fail(k, "a boolean", v)
	}
	return b
}

func (r *mapReader) integer(k string) int {
	v, ok := r.m.Get(k)
	if !ok || v == nil {
		return 0
	}
	n, isInt := data.AsInt(v)
	if !isInt {
		r.fail(k, "an integer", v)
	}
	return int(n)
}

func (r *mapReader) list(k string) []any {
	v, ok := r.m.Get(k)
	if !ok || v == nil {
		return nil
	}
	l, isList := v.([]any)
	if !isList {
		r.fail(k, "a list", v)
	}
	return l
}

func (r *mapReader) strs(k string) []string {
	var out []string
	for _, e := range r.list(k) {
		s, ok := data.AsString(e)
		if !ok {
			r.fail(k, "a list of strings", e)
			continue
		}
		out = append(out, s)
	}
	return out
}
