package mccloudlxc

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/saltgo/saltgo/cloud/settings"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileclient"
	"github.com/saltgo/saltgo/grains"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/lxc/liblxc"
	"github.com/saltgo/saltgo/lxc/provision"
	"github.com/saltgo/saltgo/modules/lxc"
)

// Options and services of the node-side functions.
const (
	// GrainsFileOpt overrides the grains file configure_grains writes
	// (default: "grains" next to the minion's conf_file).
	GrainsFileOpt = "mc_cloud_lxc.grains_file"
	// ImagesSourceOpt is the directory holding one source container
	// directory per image (<dir>/<image>/{config,rootfs}).
	ImagesSourceOpt = "mc_cloud_lxc.images_source"
)

// PackagesService is the host.Env slot of a provision.PackageManager replacing
// apt (tests).
var PackagesService = host.NewKey[provision.PackageManager]("mc_cloud_lxc.packages")

// HostGrains are the grains configure_grains sets on a compute node
// (makina-states' cloud registry is.lxchost and services virt.lxc).
var HostGrains = []string{"makina-states.cloud.is.lxchost", "makina-states.services.virt.lxc"}

// NodeFuncs are the compute-node functions of the module: the node side of
// install_vt (configure_grains, configure_install_lxc, configure_images)
// and of the VM provisioning (vm_spawn ... provision_vm, destroy_vm), with
// settings computed from the pillar by get_settings_for_vm.
func NodeFuncs() []*host.Func {
	target := host.Opt("target", nil)
	vmStep := func(step, summary string) *host.Func {
		return &host.Func{Name: "vm_" + step, Params: []host.Param{host.Req("vm"), host.Opt("compute_node", nil), host.Opt("settings", nil)},
			Doc: nodeDoc(summary, "vm\n    container (minion) id\ncompute_node\n    compute node id (default: this minion)\nsettings\n    the controller's get_settings_for_vm output (default: computed here)", "mc_cloud_lxc.vm_"+step+" vm1.example.com"),
			Fn: func(ctx context.Context, c *host.Call) (any, error) {
				return runSteps(ctx, c, []string{step}, true)
			}}
	}
	return []*host.Func{
		{Name: "configure_grains", Params: []host.Param{target}, Fn: configureGrains,
			Doc: nodeDoc("Set the LXC host grains (makina-states.cloud.is.lxchost, makina-states.services.virt.lxc) in this minion's grains file.", "target\n    compute node id (default: this minion)", "mc_cloud_lxc.configure_grains")},
		{Name: "configure_install_lxc", Params: []host.Param{target}, Fn: configureInstallLXC,
			Doc: nodeDoc("Install the missing LXC packages (apt) and set up the containers' bridge with the gateway address (no lxc-net, no NAT).", "target\n    compute node id (default: this minion)", "mc_cloud_lxc.configure_install_lxc")},
		{Name: "configure_images", Params: []host.Param{target, host.Opt("source", nil), host.Opt("images", nil), host.Opt("archives", nil)}, Fn: configureImages,
			Doc: nodeDoc("Create or update the origin containers (images): from the archives the controller's runner prepared on the master's file server (archives), or from source container directories, rsync -aH --delete --numeric-ids style.", "source\n    directory with one <image>/{config,rootfs} per image (default: option "+ImagesSourceOpt+")\nimages\n    image names (default: the LXC images of the settings, the default container first)\narchives\n    list of {name, version, sha256, url, saltenv, source_dir} (the runner's sync_images passes it): each image whose installed version differs is fetched from the master, verified, unpacked beside the old one and swapped in", "mc_cloud_lxc.configure_images source=/srv/lxc-images")},
		vmStep("spawn", "Create (or clone), configure and start the VM's container, and forward its reverse ports (ssh_reverse_proxy_port to 22, snmp_reverse_proxy_port to 161) on this node."),
		vmStep("hostsfile", "Write the VM's names and the compute node's in the VM's /etc/hosts."),
		vmStep("sshkeys", "Authorize the controller's root keys for root in the VM."),
		vmStep("grains", "Set the VM grains (is.vm, is.lxcvm, nodetype lxccontainer) in the VM."),
		vmStep("initial_setup", "Set the users' password and bootstrap the saltgo minion in the VM."),
		vmStep("initial_highstate", "Run the VM's first highstate (and the bootstrap command) once in the VM."),
		vmStep("minion_services", "Run the VM's saltgo minions (by its mode) as services of the guest's init (systemd, sysvinit or busybox) and (re)start them."),
		{Name: "provision_vm", Params: []host.Param{host.Req("vm"), host.Opt("compute_node", nil), host.Opt("steps", nil), host.Opt("settings", nil)},
			Fn: func(ctx context.Context, c *host.Call) (any, error) {
				steps, err := stepList(c.Get("steps"))
				if err != nil {
					return nil, err
				}
				return runSteps(ctx, c, steps, false)
			},
			Doc: nodeDoc("Run the VM steps (spawn, hostsfile, sshkeys, grains, initial_setup, initial_highstate, minion_services) and stop at the first failure.", "steps\n    a list or comma-separated string of steps", "mc_cloud_lxc.provision_vm vm1.example.com")},
		{Name: "destroy_vm", Params: []host.Param{host.Req("vm"), host.Opt("compute_node", nil)}, Fn: destroyVM,
			Doc: nodeDoc("Stop and destroy the VM's container, remove its reverse-port forwarding rules and its pre-accepted minion key.", "", "mc_cloud_lxc.destroy_vm vm1.example.com")},
	}
}

func nodeDoc(summary, args, example string) string {
	s := "\n    " + summary + "\n"
	if args != "" {
		s += "\n    " + strings.ReplaceAll(args, "\n", "\n    ") + "\n"
	}
	return s + "\n    CLI Example:\n\n        mastersalt-call " + example + "\n    "
}

// nodeSettings loads the registries from the minion's pillar and options.
func nodeSettings(c *host.Call) (*settings.Settings, error) {
	opts, err := OptionsFromEnv(c.Env)
	if err != nil {
		return nil, host.Errorf("%v", err)
	}
	s, err := settings.Load(pillarOf(c.Env), opts)
	if err != nil {
		return nil, host.Errorf("%v", err)
	}
	return s, nil
}

// vmEnv is the compute-node context of the VM steps (lxc.VMEnvFor), with
// the default LXC client.
func vmEnv(c *host.Call) (*provision.VMEnv, error) {
	cl, err := lxc.ClientFor(c.Env, "")
	if err != nil {
		return nil, err
	}
	env, err := lxc.VMEnvFor(c.Env, cl)
	if err != nil {
		return nil, host.Errorf("%v", err)
	}
	return env, nil
}

// ctxErr passes cancellation through and turns other errors into
// CommandExecutionError.
func ctxErr(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return host.Errorf("%v", err)
}

// stateRet is a step's Salt state return.
func stateRet(r *provision.StepResult) *data.Map { return r.Map() }

// grainsFile returns the grains file of the minion.
func grainsFile(env *host.Env) (string, error) {
	str := func(k string) string {
		v, _ := env.Opt(k)
		s, _ := data.AsString(v)
		return s
	}
	if p := str(GrainsFileOpt); p != "" {
		return p, nil
	}
	if cf := str("conf_file"); cf != "" {
		return filepath.Join(filepath.Dir(cf), "grains"), nil
	}
	return "", fmt.Errorf("no grains file: the minion has no conf_file option (set %s)", GrainsFileOpt)
}

func configureGrains(ctx context.Context, c *host.Call) (any, error) {
	res := &provision.StepResult{Name: "grains", Result: true, Changes: data.NewMap()}
	path, err := grainsFile(c.Env)
	if err != nil {
		return nil, host.Errorf("%v", err)
	}
	cur, err := grains.ReadGrainsFile(path)
	if err != nil {
		res.Result, res.Comment = false, err.Error()
		return stateRet(res), nil
	}
	set := data.NewMap()
	for _, k := range HostGrains {
		if v, ok := cur.Get(k); !ok || v != true {
			set.Set(k, true)
		}
	}
	if set.Len() > 0 {
		st := &grains.Store{Path: path, Grains: c.Env.Grains}
		if _, err := st.SetVals(set, false); err != nil {
			res.Result, res.Comment = false, err.Error()
			return stateRet(res), nil
		}
		res.Changes = set
		res.Comment = "lxc host grains set in " + path
	} else {
		res.Comment = "lxc host grains already set"
	}
	return stateRet(res), nil
}

func packageManager(env *host.Env) provision.PackageManager {
	if pm, ok := PackagesService.Get(env); ok && pm != nil {
		return pm
	}
	return provision.Apt{}
}

func configureInstallLXC(ctx context.Context, c *host.Call) (any, error) {
	s, err := nodeSettings(c)
	if err != nil {
		return nil, err
	}
	d := s.LXC.Defaults
	var br provision.Bridge
	if d.UseBridge {
		prefix, err := provision.PrefixLen(d.Netmask)
		if err != nil {
			return nil, host.Errorf("makina-states.cloud.lxc.defaults.netmask: %v", err)
		}
		br = provision.Bridge{Name: d.Bridge, Gateway: d.Gateway, Prefix: prefix, Netns: lxc.ClientConfig(c.Env, "").Netns}
	}
	r, err := provision.InstallLXC(ctx, packageManager(c.Env), nil, br)
	if err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return nil, err
	}
	return stateRet(r), nil
}

func stringList(v any, what string) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		var out []string
		for _, p := range strings.Split(x, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out, nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, host.Invalidf("%s must be a list of names", what)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, host.Invalidf("%s must be a list or a comma-separated string", what)
}

func stepList(v any) ([]string, error) { return stringList(v, "steps") }

func configureImages(ctx context.Context, c *host.Call) (any, error) {
	names, err := stringList(c.Get("images"), "images")
	if err != nil {
		return nil, err
	}
	if names == nil {
		s, err := nodeSettings(c)
		if err != nil {
			return nil, err
		}
		for _, im := range s.Images.LXC {
			names = append(names, im.Name)
		}
	}
	if arch := c.Get("archives"); arch != nil {
		return installArchives(ctx, c, arch)
	}
	src := c.Str("source")
	if src == "" {
		if v, ok := c.Env.Opt(ImagesSourceOpt); ok {
			src, _ = data.AsString(v)
		}
	}
	if src == "" {
		return nil, host.Invalidf("no image source: pass source=<dir> or set the %s option", ImagesSourceOpt)
	}
	cl, err := lxc.ClientFor(c.Env, "")
	if err != nil {
		return nil, err
	}
	ret := data.M("result", true, "comment", "", "changes", data.NewMap(), "images", data.NewMap())
	var comments []string
	for _, n := range names {
		r, err := provision.SyncImage(ctx, cl, provision.Image{Name: n, Source: filepath.Join(src, n)}, provision.SyncOptions{})
		if err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			return nil, err
		}
		addStep(ret, n, r)
		comments = append(comments, r.Comment)
	}
	if len(names) == 0 {
		comments = append(comments, "no lxc image configured")
	}
	ret.Set("comment", strings.Join(comments, "\n"))
	return ret, nil
}

// addStep records one step result in a multi-step return: result is the
// AND of the steps, changes holds the steps that changed something.
func addStep(ret *data.Map, key string, r *provision.StepResult) {
	if !r.Result {
		ret.Set("result", false)
	}
	if r.Changed() {
		ch, _ := ret.Get("changes")
		ch.(*data.Map).Set(key, r.Changes)
	}
	for _, k := range []string{"steps", "images"} {
		if v, ok := ret.Get(k); ok {
			v.(*data.Map).Set(key, r.Map())
		}
	}
}

// vmSettings returns the VM's settings: the controller's (the settings
// argument, get_settings_for_vm's output computed with the controller's
// allocations, as makina's compute-node pillar carried them), or, when the
// function is called on the node alone, computed here from the node's
// pillar (get_settings_for_vm(cn, vm, full=False)).
func vmSettings(ctx context.Context, c *host.Call) (*provision.Settings, *settings.VM, error) {
	vm := c.Str("vm")
	if vm == "" {
		return nil, nil, host.Invalidf("vm must be a non-empty minion id")
	}
	cn := c.Str("compute_node")
	if cn == "" && c.Env != nil {
		cn = c.Env.ID
	}
	if given := c.Get("settings"); given != nil {
		m, ok := given.(*data.Map)
		if !ok {
			return nil, nil, host.Invalidf("settings must be a mapping (get_settings_for_vm's output)")
		}
		v, err := settings.VMFromMap(cn, m)
		if err != nil {
			return nil, nil, host.Invalidf("%v", err)
		}
		if v.Name != vm {
			return nil, nil, host.Invalidf("settings are for %s, not %s", v.Name, vm)
		}
		ls, err := FromVM(v)
		if err != nil {
			return nil, nil, host.Errorf("%v", err)
		}
		return ls, v, nil
	}
	s, err := nodeSettings(c)
	if err != nil {
		return nil, nil, err
	}
	v, err := s.GetSettingsForVM(ctx, cn, vm, false)
	if err != nil {
		return nil, nil, ctxErr(err)
	}
	ls, err := FromVM(v)
	if err != nil {
		return nil, nil, host.Errorf("%v", err)
	}
	return ls, v, nil
}

// FromVM converts get_settings_for_vm's result into the driver's settings.
func FromVM(v *settings.VM) (*provision.Settings, error) {
	s := &provision.Settings{
		Name: v.Name, ProfileType: v.ProfileType, Backing: v.Backing, Snapshot: v.Snapshot, Image: v.Image,
		Profile: v.Profile, Bridge: v.Bridge, IP: v.IP, Netmask: v.Netmask, MAC: v.MAC,
		DNSServers: v.DNSServers, Autostart: v.Autostart, Fstab: v.Fstab, Domains: v.Domains,
		Mode: v.Mode, Master: v.Master, MasterPort: v.MasterPort, Password: v.Password, Users: v.Users,
	}
	if v.Ports != nil {
		s.SSHPort, s.SNMPPort = v.Ports.SSH, v.Ports.SNMP
	}
	if v.FromContainer != nil {
		s.FromContainer = *v.FromContainer
	}
	if v.Gateway != nil {
		s.Gateway = *v.Gateway
	}
	if v.LVM != nil {
		s.VGName = v.LVM.VGName
		s.Size = v.SpawnSize()
		if v.LVM.LVName != nil {
			s.LVName = *v.LVM.LVName
		}
	}
	for _, e := range v.LXCConf {
		m, ok := e.(*data.Map)
		if !ok {
			return nil, fmt.Errorf("lxc_conf entries must be one-key mappings, got %v", e)
		}
		var err error
		m.Range(func(k, val any) bool {
			ks, ok := k.(string)
			vs, ok2 := data.AsString(val)
			if !ok || !ok2 {
				err = fmt.Errorf("invalid lxc_conf entry %v", m)
				return false
			}
			s.LXCConf = append(s.LXCConf, liblxc.ConfItem{Key: ks, Value: vs})
			return true
		})
		if err != nil {
			return nil, err
		}
	}
	for _, e := range v.LXCConfUnset {
		k, ok := e.(string)
		if !ok {
			return nil, fmt.Errorf("lxc_conf_unset entries must be keys, got %v", e)
		}
		s.LXCUnset = append(s.LXCUnset, k)
	}
	for _, a := range v.AdditionalIPs {
		ai := provision.AdditionalIP{IP: a.IP, MAC: a.MAC, Netmask: a.Netmask, Link: a.Link}
		if a.Gateway != nil {
			ai.Gateway = *a.Gateway
		}
		s.AddIPs = append(s.AddIPs, ai)
	}
	return s, nil
}

// runSteps runs VM steps; single returns the one step's state return,
// otherwise {result, comment, changes: {step: changes}, steps: {step: ret}}.
func runSteps(ctx context.Context, c *host.Call, steps []string, single bool) (any, error) {
	s, _, err := vmSettings(ctx, c)
	if err != nil {
		return nil, err
	}
	env, err := vmEnv(c)
	if err != nil {
		return nil, err
	}
	if cn := c.Str("compute_node"); cn != "" {
		env.ComputeNode = cn
	}
	res, perr := provision.ProvisionVM(ctx, env, s, steps)
	if perr != nil && (errors.Is(perr, context.Canceled) || errors.Is(perr, context.DeadlineExceeded)) {
		return nil, perr
	}
	if single {
		if len(res) == 0 {
			return nil, host.Errorf("%v", perr)
		}
		return stateRet(res[0]), nil
	}
	ret := data.M("result", true, "comment", "", "changes", data.NewMap(), "steps", data.NewMap())
	for _, r := range res {
		step := strings.TrimPrefix(r.Name, s.Name+":")
		addStep(ret, step, r)
	}
	if perr != nil {
		ret.Set("result", false)
		ret.Set("comment", perr.Error())
	} else {
		ret.Set("comment", s.Name+" provisioned")
	}
	return ret, nil
}

func destroyVM(ctx context.Context, c *host.Call) (any, error) {
	vm := c.Str("vm")
	if err := liblxc.ValidateName(vm); err != nil {
		return nil, host.Invalidf("%v", err)
	}
	env, err := vmEnv(c)
	if err != nil {
		return nil, err
	}
	r, err := provision.Destroy(ctx, env.Client, vm, env.MasterPKIDir)
	if err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return nil, err
	}
	return stateRet(r), nil
}

// installArchives is configure_images with the runner's archives: each is
// fetched with the minion's file client (the master's file server, in
// chunks) only when its version is not the installed one.
func installArchives(ctx context.Context, c *host.Call, arch any) (any, error) {
	l, ok := arch.([]any)
	if !ok {
		return nil, host.Invalidf("archives must be a list of mappings")
	}
	cl, err := lxc.ClientFor(c.Env, "")
	if err != nil {
		return nil, err
	}
	ret := data.M("result", true, "comment", "", "changes", data.NewMap(), "images", data.NewMap())
	var comments []string
	for _, e := range l {
		m, ok := e.(*data.Map)
		if !ok {
			return nil, host.Invalidf("archives must be a list of mappings")
		}
		str := func(k string) string { s, _ := m.String(k); return s }
		url, saltenv := str("url"), str("saltenv")
		in := provision.ImageInstall{Name: str("name"), Version: str("version"), SHA256: str("sha256"), SourceDir: str("source_dir"),
			Fetch: func(ctx context.Context, dest string) (bool, error) {
				fc, err := fileclient.Open(c.Env)
				if err != nil {
					return false, err
				}
				return FetchArchive(ctx, fc, url, saltenv, str("sha256"), dest)
			}}
		if url == "" {
			return nil, host.Invalidf("archive %s has no url", in.Name)
		}
		r, err := provision.InstallImage(ctx, cl, in)
		if err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			return nil, err
		}
		addStep(ret, in.Name, r)
		comments = append(comments, r.Comment)
	}
	if len(l) == 0 {
		comments = append(comments, "no lxc image configured")
	}
	ret.Set("comment", strings.Join(comments, "\n"))
	return ret, nil
}

// FetchArchive downloads an image archive from the file server to dest.
// When the server announces a sha256 hash, it must be the runner's (a
// different one is refused before anything is sent) and the file client
// checks the download against it: verified is then true.
func FetchArchive(ctx context.Context, fc *fileclient.FileClient, url, saltenv, sha string, dest string) (verified bool, err error) {
	h, err := fc.HashFile(ctx, url, saltenv)
	if err != nil {
		return false, err
	}
	if h.IsZero() {
		return false, fmt.Errorf("%s (saltenv %s) is not on the master's file server", url, saltenv)
	}
	if h.Type == "sha256" && h.Sum != sha {
		return false, fmt.Errorf("archive verification failed: the master serves %s with sha256 %s, the controller packed %s", url, h.Sum, sha)
	}
	got, err := fc.GetFile(ctx, url, dest, false, saltenv, 0)
	if err != nil {
		return false, err
	}
	if got == "" {
		return false, fmt.Errorf("%s (saltenv %s) is not on the master's file server", url, saltenv)
	}
	return h.Type == "sha256", nil
}
