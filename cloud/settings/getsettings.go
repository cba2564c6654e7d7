package settings

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/saltgo/saltgo/cloud/alloc"
	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/lxc/provision"
)

// knownKeys are the per-VM pillar keys the model reads; the others pass
// through unchanged (VM.Extra).
var knownKeys = map[string]bool{}

func init() {
	for _, l := range [][]string{EraAKeys, EraCKeys, LVMKeys} {
		for _, k := range l {
			knownKeys[k] = true
		}
	}
	// The ports are computed when full is true; with full=False a pillar
	// value passes through as in the original.
	delete(knownKeys, "ssh_reverse_proxy_port")
	delete(knownKeys, "snmp_reverse_proxy_port")
}

var macRE = regexp.MustCompile(`^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$`)

// GetSettingsForVM is mc_cloud_lxc.get_settings_for_vm(target, vm, full)
// (spec section 4.2, era C). It validates the VM's pillar entry first and
// then allocates (and persists) the missing MAC, IP, password and, when
// full is true, the SSH and SNMP reverse ports. A failing call allocates
// and persists nothing.
func (s *Settings) GetSettingsForVM(ctx context.Context, target, vm string, full bool) (*VM, error) {
	if target == "" || vm == "" {
		return nil, errors.New("mc_cloud_lxc: get_settings_for_vm needs a compute node id and a vm id")
	}
	entries, err := s.forTarget(target)
	if err != nil {
		return nil, err
	}
	raw, source := data.NewMap(), ""
	for _, e := range entries {
		if e.VM != vm {
			continue
		}
		source = e.Key
		switch x := e.Value.(type) {
		case nil: // the original crashed here (quirk 13)
		case *data.Map:
			raw = deepCopy(x).(*data.Map)
			resolve(raw)
		default:
			return nil, &PillarError{CN: target, VM: vm, Source: e.Key,
				Err: fmt.Errorf("the vm's value must be a mapping of settings (or null), got %s", describe(x))}
		}
	}
	if source == "" {
		// The original silently built defaults for any name and allocated
		// an IP, a MAC and ports for it (a typo leaked addresses); an
		// undeclared VM is now an error and nothing is allocated.
		return nil, fmt.Errorf("mc_cloud_lxc: vm %s is not declared for compute node %s in pillar (makina-states.services.cloud.lxc.targets.%s or makina-states.cloud.lxc.vms.%s)", vm, target, target, target)
	}
	if err := sameKey(target, vm, entries); err != nil {
		return nil, err
	}
	v, req, err := s.build(target, vm, raw, source, entries)
	if err != nil {
		return nil, err
	}
	req.Ports = full
	res, err := s.store.Allocate(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("mc_cloud_lxc: get_settings_for_vm %s %s: %w", target, vm, err)
	}
	v.IP = res.IP.String()
	v.MAC = res.MAC
	v.Password = res.Password
	for i := range v.AdditionalIPs {
		v.AdditionalIPs[i].MAC = res.AdditionalMACs[i]
	}
	if full {
		v.Ports = &ReversePorts{SSH: res.SSHPort, SNMP: res.SNMPPort}
		v.Extra.Delete("ssh_reverse_proxy_port")
		v.Extra.Delete("snmp_reverse_proxy_port")
	}
	return v, nil
}

// sameKey refuses vm when a VM declared before it for the compute node has
// the same allocation key (the id without dots): the first declared keeps
// its allocations, the later one is an error naming both.
func sameKey(target, vm string, entries []vmEntry) error {
	key := alloc.StripDots(vm)
	for _, e := range entries {
		if e.VM == vm {
			return nil
		}
		if alloc.StripDots(e.VM) == key {
			return fmt.Errorf("mc_cloud_lxc: %w", &alloc.SameKeyError{Target: target, VM: vm, Other: e.VM, Where: "declared before it in " + e.Key})
		}
	}
	return nil
}

// pillarSets tells whether key is set in the pillar (or the options) as a
// default of every VM: makina-states.cloud.lxc.defaults.<key> or
// makina-states.cloud.<key>, flat or nested.
func (s *Settings) pillarSets(key string) bool {
	for _, p := range []string{PrefixLXC + ".defaults", PrefixCloud} {
		if _, ok := s.src.Get(p + "." + key); ok {
			return true
		}
		if m, ok := s.src.Get(p); ok {
			if mm, ok := m.(*data.Map); ok && mm.Has(key) {
				return true
			}
		}
	}
	if m, ok := s.src.Get(PrefixLXC); ok {
		if mm, ok := m.(*data.Map); ok {
			if d, ok := mm.Get("defaults"); ok {
				if dm, ok := d.(*data.Map); ok && dm.Has(key) {
					return true
				}
			}
		}
	}
	return false
}

// build computes every non-allocated value of the VM and the allocation
// request, validating the pillar entry on the way.
func (s *Settings) build(target, vm string, raw *data.Map, source string, entries []vmEntry) (*VM, alloc.Request, error) {
	D := s.LXC.Defaults
	c := s.Cloud
	g := &getter{m: raw}
	perr := func(key string, err error) error {
		src := source
		if src == "" {
			src = "(undeclared vm: defaults only)"
		}
		if base, _, _ := strings.Cut(strings.SplitN(key, "[", 2)[0], "."); key != "" && !raw.Has(base) {
			src = PrefixLXC + ".defaults"
		}
		return &PillarError{CN: target, VM: vm, Key: key, Source: src, Err: err}
	}
	typeErr := func() error {
		var fe *fieldError
		if errors.As(g.err, &fe) {
			return perr(fe.Key, fmt.Errorf("want %s, got %s", fe.Want, describe(fe.Got)))
		}
		return perr("", g.err)
	}
	v := &VM{Target: target, Extra: data.NewMap()}

	// 1-3. master: the gateway when the controller is the compute node.
	master := D.Master
	if s.opts.MinionID == target {
		master = D.Gateway
	}
	v.Master = g.str("master", master)

	// 5. ssh_gateway defaults to the compute node.
	v.SSHGateway = g.optStr("ssh_gateway", sp(target))

	// 6. profile type, profile name and forced backing.
	ptype := g.str("profile_type", D.ProfileType)
	if g.err == nil && !ValidProfileType(ptype) {
		return nil, alloc.Request{}, perr("profile_type", fmt.Errorf("unknown profile type %q (valid: %s)", ptype, strings.Join(ProfileTypes, ", ")))
	}
	v.ProfileType = ptype
	size := g.str("profile", D.Profile)
	_, isSize := s.LXC.SizeProfile(size)
	if g.has("profile") && !isSize {
		if !strings.HasPrefix(size, "ms-") {
			return nil, alloc.Request{}, perr("profile", fmt.Errorf("unknown size profile %q (valid: %s; a full salt-cloud profile name starts with \"ms-\")",
				size, strings.Join(s.LXC.sizeNames(), ", ")))
		}
		v.Profile = size
	} else {
		if !isSize && !forcedBacking(ptype) {
			return nil, alloc.Request{}, perr("profile", fmt.Errorf("unknown size profile %q (valid: %s)", size, strings.Join(s.LXC.sizeNames(), ", ")))
		}
		v.Profile = ProfileName(target, size, ptype)
	}

	// 7-9.
	v.Name = g.str("name", vm)
	doms := g.strList("domains", []string{})
	if g.err == nil {
		v.Domains = sortDomains(vm, doms)
	}
	v.Mode = g.str("mode", D.Mode)
	v.Snapshot = g.boolean("snapshot", D.Snapshot)
	// The backing is the one the spawn builds for the profile type (makina
	// reported overlayfs for dir-scratch and lvm-scratch and
	// defaults.backing for lvm, and built something else); a per-VM
	// backing that the profile type does not build is an error.
	if b, err := provision.BuiltBacking(ptype, v.Snapshot); err == nil {
		v.Backing = b
		if pb := g.str("backing", b); g.has("backing") && pb != b && !(pb == "dir" && b == "overlayfs" && v.Snapshot) {
			return nil, alloc.Request{}, perr("backing", fmt.Errorf("backing %q is not what profile_type %s builds (%s): remove backing or change profile_type", pb, ptype, b))
		}
	}

	// 10. bootstrap script and arguments.
	defArgs := c.BootsaltArgs
	if strings.Contains(v.Mode, "mastersalt") {
		defArgs = c.BootsaltMastersaltArgs
	}
	v.Script = g.str("script", c.Script)
	args := g.str("script_args", defArgs)
	branch := g.str("bootsalt_branch", c.BootsaltBranch)
	if !(strings.Contains(args, "-b") && strings.Contains(args, "--branch")) {
		args += " -b " + branch
	}
	v.ScriptArgs = args

	// 11.
	var fromDef *string
	if !strings.Contains(ptype, "scratch") {
		fromDef = sp(D.DefaultContainer)
	}
	v.FromContainer = g.optStr("from_container", fromDef)
	v.BootstrapShell = g.str("bootstrap_shell", "bash")

	// 12-13. gateway completion and remaining defaults.
	v.SSHGatewayUser = g.str("ssh_gateway_user", D.SSHGatewayUser)
	v.SSHGatewayPassword = g.optStr("ssh_gateway_password", D.SSHGatewayPassword)
	v.SSHGatewayKey = g.optStr("ssh_gateway_key", D.SSHGatewayKey)
	v.SSHGatewayPort = g.integer("ssh_gateway_port", D.SSHGatewayPort)
	if v.SSHGateway != nil && *v.SSHGateway != "" && v.SSHGatewayPassword != nil && *v.SSHGatewayPassword != "" {
		// complete_gateway deletes the key, the defaults loop puts the
		// registry's back (quirk 9).
		v.SSHGatewayKey = D.SSHGatewayKey
	}
	v.BootsaltBranch = g.str("bootsalt_branch", D.BootsaltBranch)
	v.MasterPort = g.integer("master_port", D.MasterPort)
	if p, ok := s.opts.ModeMasterPorts[config.FlavourForMode(v.Mode).Name]; ok && p > 0 && !g.has("master_port") && !s.pillarSets("master_port") {
		v.MasterPort = p
	}
	v.Autostart = g.boolean("autostart", D.Autostart)
	v.Image = g.str("image", D.Image)
	v.MainBridge = g.str("main_bridge", D.MainBridge)
	v.Bridge = g.str("bridge", D.Bridge)
	v.Network = g.str("network", D.Network)
	v.Netmask = g.str("netmask", D.Netmask)
	v.Gateway = g.optStr("gateway", sp(D.Gateway))
	dns := s.LXC.DNSServers
	if D.HasDNS {
		dns = D.DNSServers
	}
	v.DNSServers = g.strList("dnsservers", dns)
	lvm := &LVM{Size: g.optStr("size", nil), VGName: g.str("vgname", D.VGName), LVName: g.optStr("lvname", D.LVName)}
	v.Fstab = g.optStrList("fstab", D.Fstab)
	v.SSHUsername = g.str("ssh_username", D.SSHUsername)
	v.Users = g.strList("users", D.Users)
	v.Sudo = g.boolean("sudo", D.Sudo)
	v.LXCConfUnset = g.list("lxc_conf_unset", D.LXCConfUnset)
	v.LXCConf = g.list("lxc_conf", D.LXCConf)
	// 14.
	if HasLVMKeys(ptype) {
		sizeName := size
		if !isSize {
			// A full profile name (ms-<cn>-<size>-<type>) or a type
			// without size in its name: the size named in it, else the
			// default size profile.
			sizeName = s.LXC.sizeIn(size, D.Profile)
		}
		if sp, ok := s.LXC.SizeProfile(sizeName); ok {
			lvm.ProfileSize = sp.Size
		}
		v.LVM = lvm
	}
	// Values the allocator may use.
	pillarPW := g.str("password", "")
	_, hasPW := raw.Get("password")
	if pw, _ := raw.Get("password"); pw == nil {
		hasPW = false // password: null means "generate one"
	}
	pillarIP := g.str("ip", "")
	pillarMAC := g.str("mac", "")
	if g.err != nil {
		return nil, alloc.Request{}, typeErr()
	}

	// 15. network and explicit ip validation.
	netw, err := parseNetwork(v.Network, v.Netmask)
	if err != nil {
		key := "network"
		if !strings.Contains(err.Error(), "network") {
			key = "netmask"
		}
		return nil, alloc.Request{}, perr(key, err)
	}
	req := alloc.Request{
		Target: target, VM: vm, VirtType: "lxc", Network: netw,
		SSHRange: s.ComputeNode.SSHPorts, SNMPRange: s.ComputeNode.SNMPPorts,
		OtherPillarIPs: map[netip.Addr]string{}, OtherPillarMACs: map[string]string{},
		PillarPassword: pillarPW, HasPillarPassword: hasPW,
	}
	if v.Gateway != nil {
		if gw, err := netip.ParseAddr(*v.Gateway); err == nil {
			req.Reserved = append(req.Reserved, gw)
		}
	}
	for _, e := range entries {
		m, ok := e.Value.(*data.Map)
		if !ok || e.VM == vm {
			continue
		}
		if s, ok := m.String("ip"); ok {
			if a, err := netip.ParseAddr(strings.TrimSpace(s)); err == nil {
				if _, dup := req.OtherPillarIPs[a]; !dup {
					req.OtherPillarIPs[a] = e.VM
				}
			}
		}
		if s, ok := m.String("mac"); ok && macRE.MatchString(s) {
			req.OtherPillarMACs[strings.ToLower(s)] = e.VM
		}
	}
	if _, set := raw.Get("ip"); set && pillarIP != "" {
		ip, err := netip.ParseAddr(strings.TrimSpace(pillarIP))
		if err != nil || !ip.Is4() {
			return nil, alloc.Request{}, perr("ip", fmt.Errorf("%q is not an IPv4 address", pillarIP))
		}
		if err := checkHostIP(ip, netw, req.Reserved); err != nil {
			return nil, alloc.Request{}, perr("ip", err)
		}
		if other, dup := req.OtherPillarIPs[ip]; dup {
			return nil, alloc.Request{}, perr("ip", fmt.Errorf("%s is also the explicit ip of vm %q of this compute node (pillar key %s)", ip, other, keyOf(entries, other)))
		}
		req.PillarIP = ip
	}
	if _, set := raw.Get("mac"); set && pillarMAC != "" {
		if !macRE.MatchString(pillarMAC) {
			return nil, alloc.Request{}, perr("mac", fmt.Errorf("%q is not a MAC address (want xx:xx:xx:xx:xx:xx)", pillarMAC))
		}
		if other, dup := req.OtherPillarMACs[strings.ToLower(pillarMAC)]; dup {
			return nil, alloc.Request{}, perr("mac", fmt.Errorf("%s is also the explicit mac of vm %q of this compute node (pillar key %s)", pillarMAC, other, keyOf(entries, other)))
		}
		req.PillarMAC = pillarMAC
	}

	// 17. additional IPs (their MACs come from the allocator).
	aips, err := s.additionalIPs(raw, perr)
	if err != nil {
		return nil, alloc.Request{}, err
	}
	v.AdditionalIPs = aips
	for _, a := range aips {
		req.AdditionalMACs = append(req.AdditionalMACs, a.MAC)
		if a.Gateway != nil && *a.Gateway != "" {
			v.Gateway = nil
		}
	}

	raw.Range(func(k, e any) bool {
		if ks, ok := k.(string); !ok || !knownKeys[ks] {
			v.Extra.Set(k, deepCopy(e))
		}
		return true
	})
	return v, req, nil
}

func (s *Settings) additionalIPs(raw *data.Map, perr func(string, error) error) ([]AdditionalIP, error) {
	rv, ok := raw.Get("additional_ips")
	if !ok || rv == nil {
		return []AdditionalIP{}, nil
	}
	l, ok := rv.([]any)
	if !ok {
		return nil, perr("additional_ips", fmt.Errorf("want a list of mappings, got %s", describe(rv)))
	}
	out := make([]AdditionalIP, 0, len(l))
	for i, item := range l {
		key := fmt.Sprintf("additional_ips[%d]", i)
		m, ok := item.(*data.Map)
		if !ok {
			return nil, perr(key, fmt.Errorf("want a mapping with at least an ip, got %s", describe(item)))
		}
		ig := &getter{m: m, prefix: key + "."}
		a := AdditionalIP{
			IP:      ig.str("ip", ""),
			MAC:     ig.str("mac", ""),
			Gateway: ig.optStr("gateway", nil),
			Netmask: ig.str("netmask", "32"),
			Link:    ig.str("link", "br0"),
			Extra:   data.NewMap(),
		}
		if ig.err != nil {
			var fe *fieldError
			errors.As(ig.err, &fe)
			return nil, perr(fe.Key, fmt.Errorf("want %s, got %s", fe.Want, describe(fe.Got)))
		}
		if ip, err := netip.ParseAddr(a.IP); err != nil || !ip.Is4() {
			return nil, perr(key+".ip", fmt.Errorf("%q is not an IPv4 address", a.IP))
		}
		if a.MAC != "" && !macRE.MatchString(a.MAC) {
			return nil, perr(key+".mac", fmt.Errorf("%q is not a MAC address (want xx:xx:xx:xx:xx:xx)", a.MAC))
		}
		m.Range(func(k, e any) bool {
			switch k {
			case "ip", "mac", "gateway", "netmask", "link":
			default:
				a.Extra.Set(k, deepCopy(e))
			}
			return true
		})
		out = append(out, a)
	}
	return out, nil
}

// sortDomains puts vm first and sorts the other domains, as the original's
// sort key ('0'+d for d == vm, '1'+d otherwise) did. Duplicates are kept.
func sortDomains(vm string, doms []string) []string {
	out := append([]string(nil), doms...)
	found := false
	for _, d := range out {
		if d == vm {
			found = true
			break
		}
	}
	if !found {
		out = append([]string{vm}, out...)
	}
	key := func(d string) string {
		if d == vm {
			return "0" + d
		}
		return "1" + d
	}
	sort.SliceStable(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}

// parseNetwork builds the VM network from network and netmask (a prefix
// length such as "16" or a dotted mask such as "255.255.0.0").
func parseNetwork(network, netmask string) (netip.Prefix, error) {
	a, err := netip.ParseAddr(strings.TrimSpace(network))
	if err != nil || !a.Is4() {
		return netip.Prefix{}, fmt.Errorf("network %q is not an IPv4 address", network)
	}
	bits, err := strconv.Atoi(strings.TrimSpace(netmask))
	if err != nil {
		m, perr := netip.ParseAddr(strings.TrimSpace(netmask))
		if perr != nil || !m.Is4() {
			return netip.Prefix{}, fmt.Errorf("netmask %q is neither a prefix length nor a dotted mask", netmask)
		}
		x := u32(m)
		bits = 0
		for x&0x80000000 != 0 {
			bits++
			x <<= 1
		}
		if x != 0 {
			return netip.Prefix{}, fmt.Errorf("netmask %q is not a contiguous mask", netmask)
		}
	}
	if bits < 1 || bits > 30 {
		return netip.Prefix{}, fmt.Errorf("netmask %q leaves no room for containers (want a prefix length between 1 and 30)", netmask)
	}
	return netip.PrefixFrom(a, bits).Masked(), nil
}

// checkHostIP refuses an explicit ip outside the network or equal to its
// network address, its broadcast address or a reserved address (gateway).
func checkHostIP(ip netip.Addr, n netip.Prefix, reserved []netip.Addr) error {
	if !n.Contains(ip) {
		return fmt.Errorf("%s is outside the vm network %s", ip, n)
	}
	base := u32(n.Addr())
	bcast := base | (1<<(32-n.Bits()) - 1)
	switch u32(ip) {
	case base:
		return fmt.Errorf("%s is the network address of %s", ip, n)
	case bcast:
		return fmt.Errorf("%s is the broadcast address of %s", ip, n)
	}
	for _, r := range reserved {
		if r == ip {
			return fmt.Errorf("%s is the gateway of %s", ip, n)
		}
	}
	return nil
}

func u32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func keyOf(entries []vmEntry, vm string) string {
	for _, e := range entries {
		if e.VM == vm {
			return e.Key
		}
	}
	return "?"
}
