package settings

import (
	"errors"
	"fmt"
	"path"

	"github.com/saltgo/saltgo/cloud/alloc"
	"github.com/saltgo/saltgo/data"
)

// Registry prefixes read by the LXC cloud code.
const (
	PrefixCloud       = "makina-states.cloud"
	PrefixImages      = "makina-states.cloud.images"
	PrefixLXC         = "makina-states.cloud.lxc"
	PrefixComputeNode = "makina-states.cloud.compute_node"
	// PrefixDocTargets is the key of the LXC documentation's pillar example
	// (makina-states.services.cloud.lxc.targets.<cn>), which the original
	// code never read; it is an alias of PrefixLXC + ".vms".
	PrefixDocTargets = "makina-states.services.cloud.lxc.targets"
)

// Options are the inputs that come from the controller's environment rather
// than from the pillar. Zero values take the documented defaults.
type Options struct {
	// MinionID is the controller's minion id (__opts__['id'] / grains id).
	// It is the default master and decides the "controller is the compute
	// node" case. Defaults to Grains['id'].
	MinionID string
	// Grains are the controller minion's grains.
	Grains *data.Map
	// MinionOpts are the controller minion's options (first lookup layer).
	MinionOpts *data.Map
	// Registry holds the controller's local makina-states registries, the
	// third lookup layer (optional).
	Registry *data.Map
	// MasterPort is the running minion's master_port (4606 on mastersalt).
	MasterPort int
	// ModeMasterPorts, when set, gives the default master_port of a VM by
	// the stack of its mode ("salt", "mastersalt": the ret_port of the
	// controller's master of that mode). A master_port set in the pillar
	// (the VM's entry, makina-states.cloud.lxc.defaults or
	// makina-states.cloud) still wins.
	ModeMasterPorts map[string]int
	// SaltRoot is the salt tree root (/srv/mastersalt in mastersalt mode).
	SaltRoot string
	// ConfPrefix is the salt config directory (/etc/mastersalt).
	ConfPrefix string
	// PillarRoot is the first pillar_roots['base'] of the running minion
	// (/srv/mastersalt-pillar); all_pillar_dir is PillarRoot/cloud-controller.
	PillarRoot string
	// AllocRoot, when set, replaces compute_node_pillar_dir as the
	// allocation store root (tests, make run).
	AllocRoot string
	// Devhost overrides mc_nodetypes' devhost flag; when nil the flat key
	// makina-states.nodetypes.devhost is looked up.
	Devhost *bool
	// DefaultEnv is mc_env's default_env ("dev" when empty and not found
	// under makina-states.localsettings.env.default_env).
	DefaultEnv string
	// Alloc, when set, is used instead of alloc.New(compute_node_pillar_dir)
	// (e.g. to inject a random source in tests).
	Alloc *alloc.Store
}

// Cloud is the subset of mc_cloud.settings() used by the LXC code (spec 3.2).
type Cloud struct {
	Root                   string
	Prefix                 string
	AllPillarDir           string
	ComputeNodePillarDir   string
	AllSLSDir              string
	ComputeNodeSLSDir      string
	Mode                   string
	Script                 string
	BootsaltArgs           string
	BootsaltMastersaltArgs string
	BootsaltBranch         string
	Master                 string
	MasterPort             int
	PVDir, PFDir           string
	SSHGateway             *string
	SSHGatewayUser         string
	SSHGatewayKey          *string
	SSHGatewayPort         int
	SSHGatewayPassword     *string
}

// Image is one entry of the ordered LXC image mapping.
type Image struct {
	Name string
	// Extra holds the image's fields (builder_ref, lxc_tarball...).
	Extra *data.Map
}

// Images is the subset of mc_cloud_images.settings() used here (spec 3.3).
type Images struct {
	// LXC images in order; the first one is the default container.
	LXC        []Image
	ImagesRoot string
}

// SizeProfile is one entry of lxc_cloud_profiles (spec 3.5).
type SizeProfile struct {
	Name string
	Size string
}

// LXCDefaults is mc_cloud_lxc.settings()['defaults'] (spec 3.4).
type LXCDefaults struct {
	DefaultContainer   string
	Autostart          bool
	Snapshot           bool
	Size               *string
	Profile            string
	ProfileType        string
	Backing            string
	Gateway            string
	Network            string
	Netmask            string
	NetmaskFull        string
	Bridge             string
	MainBridge         string
	UseBridge          bool
	Mode               string
	Master             string
	MasterPort         int
	BootsaltBranch     string
	SSHGateway         *string
	SSHGatewayUser     string
	SSHGatewayKey      *string
	SSHGatewayPort     int
	SSHGatewayPassword *string
	Image              string
	Sudo               bool
	Users              []string
	SSHUsername        string
	VGName             string
	LVName             *string
	LXCConf            []any
	LXCConfUnset       []any
	// DNSServers and Fstab are only set when the pillar puts them in
	// defaults; otherwise the top-level dnsservers and None are used.
	DNSServers []string
	HasDNS     bool
	Fstab      []string
}

// LXC is mc_cloud_lxc.settings() (spec 3.4).
type LXC struct {
	DNSServers []string
	Defaults   LXCDefaults
	// Profiles are the size profiles, in order.
	Profiles []SizeProfile
}

// ComputeNode holds the compute-node settings used by the allocators
// (spec 3.6), with the range-end bug fixed.
type ComputeNode struct {
	SSHPorts  alloc.PortRange
	SNMPPorts alloc.PortRange
}

// Settings is the loaded registry set plus the pillar's VM declarations.
type Settings struct {
	Cloud       Cloud
	Images      Images
	LXC         LXC
	ComputeNode ComputeNode
	Devhost     bool

	src   *Source
	opts  Options
	vms   *vmIndex
	store *alloc.Store
}

// RegistryError is a bad value in a registry (not in a VM entry).
type RegistryError struct {
	Prefix string
	Err    error
}

func (e *RegistryError) Error() string {
	return fmt.Sprintf("mc_cloud_lxc: registry %s: %v", e.Prefix, e.Err)
}

func (e *RegistryError) Unwrap() error { return e.Err }

// registryError is a *RegistryError for prefix with the first error the
// getters recorded, or nil when they recorded none.
func registryError(prefix string, gs ...*getter) error {
	for _, g := range gs {
		if g.err != nil {
			return &RegistryError{Prefix: prefix, Err: g.err}
		}
	}
	return nil
}

// DefaultSizeProfiles are the size profiles of spec 3.5, in order.
var DefaultSizeProfiles = []SizeProfile{
	{"xxxtrem", "2000g"}, {"xxtrem", "1000g"}, {"xtrem", "500g"},
	{"xxxlarge", "100g"}, {"xxlarge", "50g"}, {"large", "20g"},
	{"medium", "10g"}, {"small", "5g"}, {"xsmall", "3g"},
	{"xxsmall", "1g"}, {"xxxsmall", "500m"},
}

// Load builds the registries from pillar and opts.
func Load(pillar *data.Map, opts Options) (*Settings, error) {
	if opts.Grains == nil {
		opts.Grains = data.NewMap()
	}
	if opts.MinionID == "" {
		opts.MinionID, _ = opts.Grains.String("id")
	}
	if opts.MinionID == "" {
		return nil, errors.New("mc_cloud_lxc: the controller's minion id is unknown (Options.MinionID)")
	}
	if opts.MasterPort == 0 {
		opts.MasterPort = 4606
	}
	if opts.SaltRoot == "" {
		opts.SaltRoot = "/srv/mastersalt"
	}
	if opts.ConfPrefix == "" {
		opts.ConfPrefix = "/etc/mastersalt"
	}
	if opts.PillarRoot == "" {
		opts.PillarRoot = "/srv/mastersalt-pillar"
	}
	if pillar == nil {
		pillar = data.NewMap()
	}
	p, _ := data.Deep(pillar).(*data.Map)
	src := &Source{Opts: deepMap(opts.MinionOpts), Pillar: p, Registry: deepMap(opts.Registry), Grains: deepMap(opts.Grains)}
	s := &Settings{src: src, opts: opts}

	if opts.Devhost != nil {
		s.Devhost = *opts.Devhost
	} else if v, ok := src.Get("makina-states.nodetypes.devhost"); ok {
		s.Devhost = data.Truthy(v)
	}
	var err error
	if err = s.loadCloud(); err != nil {
		return nil, err
	}
	if err = s.loadImages(); err != nil {
		return nil, err
	}
	if err = s.loadLXC(); err != nil {
		return nil, err
	}
	if err = s.loadComputeNode(); err != nil {
		return nil, err
	}
	if s.vms, err = indexVMs(src); err != nil {
		return nil, err
	}
	switch {
	case opts.Alloc != nil:
		s.store = opts.Alloc
	case opts.AllocRoot != "":
		s.store = alloc.New(opts.AllocRoot)
	default:
		s.store = alloc.New(s.Cloud.ComputeNodePillarDir)
	}
	rec, err := recordedVMs(s.store)
	if err != nil {
		return nil, fmt.Errorf("mc_cloud_lxc: VMs recorded by salt-cloud: %w", err)
	}
	s.vms.addRecorded(rec)
	return s, nil
}

// Store is the allocation store used by GetSettingsForVM.
func (s *Settings) Store() *alloc.Store { return s.store }

func deepMap(m *data.Map) *data.Map {
	if m == nil {
		return nil
	}
	out, _ := data.Deep(m).(*data.Map)
	return out
}

func (s *Settings) loadCloud() error {
	o := s.opts
	branch := "master"
	if v, ok := s.src.Get("makina-states.salt.makina-states.rev"); ok && data.Truthy(v) {
		branch = data.Str(v)
	}
	env := o.DefaultEnv
	if env == "" {
		if v, ok := s.src.Get("makina-states.localsettings.env.default_env"); ok {
			env = data.Str(v)
		}
	}
	if env == "prod" || env == "preprod" {
		branch = "stable"
	}
	if v, ok := s.src.Get(PrefixCloud + ".bootsalt_branch"); ok && data.Truthy(v) {
		branch = data.Str(v)
	}
	defs := data.M(
		"root", o.SaltRoot,
		"prefix", o.ConfPrefix,
		"all_pillar_dir", path.Join(o.PillarRoot, "cloud-controller"),
		"compute_node_pillar_dir", "{all_pillar_dir}/compute_node",
		"all_sls_dir", "cloud-controller",
		"compute_node_sls_dir", "{all_sls_dir}/compute_node",
		"mode", "mastersalt",
		"script", "{root}/makina-states/_scripts/boot-salt.sh",
		"bootsalt_args", "-C --from-salt-cloud -no-M",
		"bootsalt_mastersalt_args", "-C --from-salt-cloud --mastersalt-minion",
		"bootsalt_branch", branch,
		"master", o.MinionID,
		"master_port", int64(o.MasterPort),
		"pvdir", "{prefix}/cloud.providers.d",
		"pfdir", "{prefix}/cloud.profiles.d",
		"ssh_gateway", nil,
		"ssh_gateway_user", "root",
		"ssh_gateway_key", "/root/.ssh/id_dsa",
		"ssh_gateway_port", int64(22),
		"ssh_gateway_password", nil,
	)
	m := s.src.Defaults(PrefixCloud, defs)
	g := &getter{m: m}
	s.Cloud = Cloud{
		Root:                   g.str("root", ""),
		Prefix:                 g.str("prefix", ""),
		AllPillarDir:           g.str("all_pillar_dir", ""),
		ComputeNodePillarDir:   g.str("compute_node_pillar_dir", ""),
		AllSLSDir:              g.str("all_sls_dir", ""),
		ComputeNodeSLSDir:      g.str("compute_node_sls_dir", ""),
		Mode:                   g.str("mode", ""),
		Script:                 g.str("script", ""),
		BootsaltArgs:           g.str("bootsalt_args", ""),
		BootsaltMastersaltArgs: g.str("bootsalt_mastersalt_args", ""),
		BootsaltBranch:         g.str("bootsalt_branch", ""),
		Master:                 g.str("master", ""),
		MasterPort:             g.integer("master_port", 0),
		PVDir:                  g.str("pvdir", ""),
		PFDir:                  g.str("pfdir", ""),
		SSHGateway:             g.optStr("ssh_gateway", nil),
		SSHGatewayUser:         g.str("ssh_gateway_user", ""),
		SSHGatewayKey:          g.optStr("ssh_gateway_key", nil),
		SSHGatewayPort:         g.integer("ssh_gateway_port", 0),
		SSHGatewayPassword:     g.optStr("ssh_gateway_password", nil),
	}
	return registryError(PrefixCloud, g)
}

func (s *Settings) loadImages() error {
	images := data.M("makina-states-trusty", data.NewMap())
	images.Ordered = true
	defs := data.M("lxc", data.M(
		"images", images,
		"images_root", "/var/lib/lxc",
		"cron_sync", !s.Devhost,
		"cron_hour", "3",
		"cron_minute", "3",
	), "kvm", data.NewMap())
	m := s.src.Defaults(PrefixImages, defs)
	g := &getter{m: m}
	lg := &getter{m: g.mapping("lxc"), prefix: "lxc."}
	im := lg.mapping("images")
	s.Images.ImagesRoot = lg.str("images_root", "/var/lib/lxc")
	im.Range(func(k, v any) bool {
		extra, _ := v.(*data.Map)
		s.Images.LXC = append(s.Images.LXC, Image{Name: fmt.Sprint(k), Extra: extra})
		return true
	})
	return registryError(PrefixImages, g, lg)
}

func (s *Settings) loadLXC() error {
	c := s.Cloud
	ptype := "dir"
	if s.Devhost {
		ptype = "overlayfs"
	}
	defContainer := any(nil)
	if len(s.Images.LXC) > 0 {
		defContainer = s.Images.LXC[0].Name
	}
	profiles := data.NewMap()
	for _, p := range DefaultSizeProfiles {
		profiles.Set(p.Name, data.M("size", p.Size))
	}
	defaults := data.M(
		"default_container", defContainer,
		"autostart", true,
		"snapshot", s.Devhost,
		"size", nil,
		"profile", "medium",
		"profile_type", ptype,
		"backing", ptype,
		"gateway", "10.5.0.1",
		"network", "10.5.0.0",
		"netmask", "16",
		"netmask_full", "255.255.0.0",
		"bridge", "lxcbr1",
		"main_bridge", "br0",
		"use_bridge", true,
		"mode", c.Mode,
		"master", c.Master,
		"master_port", int64(c.MasterPort),
		"bootsalt_branch", c.BootsaltBranch,
		"ssh_gateway", optAny(c.SSHGateway),
		"ssh_gateway_user", c.SSHGatewayUser,
		"ssh_gateway_key", optAny(c.SSHGatewayKey),
		"ssh_gateway_port", int64(c.SSHGatewayPort),
		"ssh_gateway_password", optAny(c.SSHGatewayPassword),
		"image", "ubuntu",
		"sudo", true,
		"users", []any{"root", "sysadmin"},
		"ssh_username", "ubuntu",
		"vgname", "lxc",
		"lvname", nil,
		"lxc_conf", []any{},
		"lxc_conf_unset", []any{},
	)
	defs := data.M(
		"dnsservers", []any{"8.8.8.8", "4.4.4.4"},
		"defaults", defaults,
		"vms", data.NewMap(),
		"lxc_cloud_profiles", profiles,
	)
	m := s.src.Defaults(PrefixLXC, defs)
	g := &getter{m: m}
	dg := &getter{m: g.mapping("defaults"), prefix: "defaults."}
	D := LXCDefaults{
		DefaultContainer:   dg.str("default_container", ""),
		Autostart:          dg.boolean("autostart", true),
		Snapshot:           dg.boolean("snapshot", false),
		Size:               dg.optStr("size", nil),
		Profile:            dg.str("profile", ""),
		ProfileType:        dg.str("profile_type", ""),
		Backing:            dg.str("backing", ""),
		Gateway:            dg.str("gateway", ""),
		Network:            dg.str("network", ""),
		Netmask:            dg.str("netmask", ""),
		NetmaskFull:        dg.str("netmask_full", ""),
		Bridge:             dg.str("bridge", ""),
		MainBridge:         dg.str("main_bridge", ""),
		UseBridge:          dg.boolean("use_bridge", true),
		Mode:               dg.str("mode", ""),
		Master:             dg.str("master", ""),
		MasterPort:         dg.integer("master_port", 0),
		BootsaltBranch:     dg.str("bootsalt_branch", ""),
		SSHGateway:         dg.optStr("ssh_gateway", nil),
		SSHGatewayUser:     dg.str("ssh_gateway_user", ""),
		SSHGatewayKey:      dg.optStr("ssh_gateway_key", nil),
		SSHGatewayPort:     dg.integer("ssh_gateway_port", 0),
		SSHGatewayPassword: dg.optStr("ssh_gateway_password", nil),
		Image:              dg.str("image", ""),
		Sudo:               dg.boolean("sudo", true),
		Users:              dg.strList("users", nil),
		SSHUsername:        dg.str("ssh_username", ""),
		VGName:             dg.str("vgname", ""),
		LVName:             dg.optStr("lvname", nil),
		LXCConf:            dg.list("lxc_conf", []any{}),
		LXCConfUnset:       dg.list("lxc_conf_unset", []any{}),
		Fstab:              dg.optStrList("fstab", nil),
	}
	if dg.has("dnsservers") {
		D.DNSServers, D.HasDNS = dg.strList("dnsservers", nil), true
	}
	if D.DefaultContainer == "" && !dg.has("default_container") {
		return &RegistryError{Prefix: PrefixLXC, Err: errors.New("no lxc image is configured, so there is no default container (set defaults.default_container)")}
	}
	s.LXC = LXC{DNSServers: g.strList("dnsservers", nil), Defaults: D}
	pm := g.mapping("lxc_cloud_profiles")
	pm.Range(func(k, v any) bool {
		pg := &getter{m: data.NewMap(), prefix: "lxc_cloud_profiles." + fmt.Sprint(k) + "."}
		if vm, ok := v.(*data.Map); ok {
			pg.m = vm
		} else if v != nil {
			g.fail("lxc_cloud_profiles."+fmt.Sprint(k), "a mapping", v)
			return false
		}
		s.LXC.Profiles = append(s.LXC.Profiles, SizeProfile{Name: fmt.Sprint(k), Size: pg.str("size", "")})
		if pg.err != nil {
			g.err = pg.err
			return false
		}
		return true
	})
	return registryError(PrefixLXC, g, dg)
}

func (s *Settings) loadComputeNode() error {
	get := func(key string, def int) (int, error) {
		v, ok := s.src.Get(PrefixComputeNode + "." + key)
		if !ok {
			return def, nil
		}
		g := &getter{m: data.M(key, v)}
		n := g.integer(key, def)
		return n, g.err
	}
	var errs []error
	must := func(n int, err error) int {
		if err != nil {
			errs = append(errs, err)
		}
		return n
	}
	sshStart := must(get("ssh_start_port", alloc.DefaultSSHRange.Start))
	// The original read ssh_start_port for the range end too (quirk 15);
	// the end now comes from ssh_end_port.
	sshEnd := must(get("ssh_end_port", alloc.DefaultSSHRange.End))
	snmpStart := must(get("snmp_start_port", alloc.DefaultSNMPRange.Start))
	snmpEnd := must(get("snmp_end_port", alloc.DefaultSNMPRange.End))
	m := s.src.Defaults(PrefixComputeNode, data.M(
		"ssh_port_range_start", int64(sshStart),
		"ssh_port_range_end", int64(sshEnd),
		"snmp_port_range_start", int64(snmpStart),
		"snmp_port_range_end", int64(snmpEnd),
	))
	g := &getter{m: m}
	s.ComputeNode = ComputeNode{
		SSHPorts:  alloc.PortRange{Start: g.integer("ssh_port_range_start", 0), End: g.integer("ssh_port_range_end", 0)},
		SNMPPorts: alloc.PortRange{Start: g.integer("snmp_port_range_start", 0), End: g.integer("snmp_port_range_end", 0)},
	}
	if g.err != nil {
		errs = append(errs, g.err)
	}
	for _, r := range []struct {
		name string
		r    alloc.PortRange
	}{{"ssh", s.ComputeNode.SSHPorts}, {"snmp", s.ComputeNode.SNMPPorts}} {
		if r.r.Start < 1 || r.r.End > 65535 || r.r.Start > r.r.End {
			errs = append(errs, fmt.Errorf("%s port range %d:%d is not a valid range of ports (set %s_port_range_start/_end or %s_start_port/%s_end_port)",
				r.name, r.r.Start, r.r.End, r.name, r.name, r.name))
		}
	}
	if len(errs) > 0 {
		return &RegistryError{Prefix: PrefixComputeNode, Err: errors.Join(errs...)}
	}
	return nil
}

func optAny(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}
