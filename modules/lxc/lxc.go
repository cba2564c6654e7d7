// Package lxc is Salt's `lxc` execution module implemented on saltgo's
// LXC driver (package liblxc): the function names and return shapes follow
// Salt's lxc module where Salt has them. Every liblxc call runs in a
// saltgo-lxc-helper child process (see liblxc.Client); without the helper
// the functions are "not available", with the reason (ClientFor).
//
// The functions are plain Go functions taking a *liblxc.Client;
// registration with the module host is in register.go.
package lxc

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/lxc/liblxc"
	"github.com/saltgo/saltgo/lxc/provision"
)

// Virtual reports whether liblxc can be used here; the error is the reason
// the module is unavailable (the same check as Salt's __virtual__).
func Virtual(ctx context.Context, c *liblxc.Client) error {
	if _, err := c.Version(ctx); err != nil {
		return fmt.Errorf("the lxc execution module cannot be loaded: liblxc is unavailable: %w", err)
	}
	return nil
}

// List returns {"running": [...], "stopped": [...], "frozen": [...]}.
func List(ctx context.Context, c *liblxc.Client) (*data.Map, error) {
	l, err := c.List(ctx)
	if err != nil {
		return nil, err
	}
	run, stop, frz := []any{}, []any{}, []any{}
	for _, ct := range l {
		switch ct.State {
		case "running":
			run = append(run, ct.Name)
		case "frozen":
			frz = append(frz, ct.Name)
		default:
			stop = append(stop, ct.Name)
		}
	}
	return data.M("running", run, "stopped", stop, "frozen", frz), nil
}

// Ls returns the container names.
func Ls(ctx context.Context, c *liblxc.Client) ([]any, error) {
	l, err := c.List(ctx)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, ct := range l {
		out = append(out, ct.Name)
	}
	return out, nil
}

// Exists reports whether the container exists.
func Exists(ctx context.Context, c *liblxc.Client, name string) (bool, error) {
	return c.Exists(ctx, name)
}

// State returns "running", "stopped" or "frozen", or nil when the
// container does not exist.
func State(ctx context.Context, c *liblxc.Client, name string) (any, error) {
	st, err := c.State(ctx, name)
	if errors.Is(err, liblxc.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return st, nil
}

// Info returns a container's details with the keys of Salt's lxc.info
// that callers read (Salt's salt-cloud LXC driver reads size, public_ips
// and private_ips): the addresses classified as Salt does (ips, ipv4_ips,
// ipv6_ips, public_*/private_*), size None (Salt fills it from df / inside
// a running container), plus saltgo's pid, autostart, hwaddr and link.
func Info(ctx context.Context, c *liblxc.Client, name string) (*data.Map, error) {
	in, err := c.Info(ctx, name)
	if err != nil {
		return nil, err
	}
	m := data.M("state", in.State, "pid", int64(in.PID), "config", in.ConfigFile,
		"rootfs", in.RootfsPath, "autostart", in.Autostart,
		"hwaddr", in.Hwaddr, "link", in.Link, "size", nil)
	ips := classifyIPs(in.IPs)
	for _, k := range ipKeys {
		m.Set(k, ips[k])
	}
	return m, nil
}

// ipKeys are the address lists of Salt's lxc.info, in the order Info sets them.
var ipKeys = []string{"ips", "ipv4_ips", "ipv6_ips", "public_ips", "private_ips",
	"public_ipv4_ips", "public_ipv6_ips", "private_ipv4_ips", "private_ipv6_ips"}

// classifyIPs sorts a container's addresses into Salt's lxc.info lists:
// an IPv4 address is private when it is loopback or in 10/8, 172.16/12 or
// 192.168/16 (salt.utils.cloud.is_public_ip), an IPv6 one when it is ::1
// or link-local (fe80); each list is in Salt's _ip_sort order (other IPv4,
// then IPv6, then 127.0.0.1, then ::1).
func classifyIPs(addrs []string) map[string][]any {
	lists := map[string][]string{}
	add := func(k, ip string) { lists[k] = append(lists[k], ip) }
	for _, ip := range addrs {
		a, err := netip.ParseAddr(ip)
		if err != nil {
			continue
		}
		fam := "ipv4"
		private := a.IsLoopback() || a.IsPrivate()
		if a.Is6() && !a.Is4In6() {
			fam = "ipv6"
			private = ip == "::1" || strings.HasPrefix(ip, "fe80")
		}
		vis := "public"
		if private {
			vis = "private"
		}
		add("ips", ip)
		add(fam+"_ips", ip)
		add(vis+"_ips", ip)
		add(vis+"_"+fam+"_ips", ip)
	}
	out := make(map[string][]any, len(ipKeys))
	for _, k := range ipKeys {
		l := lists[k]
		sort.SliceStable(l, func(i, j int) bool { return ipSortKey(l[i]) < ipSortKey(l[j]) })
		out[k] = make([]any, 0, len(l))
		for _, ip := range l {
			out[k] = append(out[k], ip)
		}
	}
	return out
}

// ipSortKey is Salt's lxc _ip_sort key.
func ipSortKey(ip string) string {
	idx := "001"
	if ip == "127.0.0.1" {
		idx = "200"
	}
	if ip == "::1" {
		idx = "201"
	} else if strings.Contains(ip, "::") {
		idx = "100"
	}
	return idx + "___" + ip
}

func stateRet(old, new any) *data.Map {
	return data.M("result", true, "state", data.M("old", old, "new", new))
}

// Create creates a container from a template: the options are Settings
// (image, profile_type/backing, vgname, size...); it is not started.
func Create(ctx context.Context, c *liblxc.Client, s *provision.Settings) (*data.Map, error) {
	if s.FromContainer != "" {
		return nil, fmt.Errorf("lxc.create: use lxc.clone to clone %q", s.FromContainer)
	}
	p, err := provision.BuildPlan(s)
	if err != nil {
		return nil, err
	}
	if !p.Clone {
		if err := c.Create(ctx, p); err != nil {
			return nil, err
		}
		return stateRet(nil, "stopped"), nil
	}
	return nil, fmt.Errorf("lxc.create: profile type %s clones an origin: use lxc.clone", p.Kind)
}

// Clone clones orig into name (snapshot for copy-on-write; backing dir,
// overlayfs or lvm).
func Clone(ctx context.Context, c *liblxc.Client, name, orig string, snapshot bool, backing string) (*data.Map, error) {
	if backing == "" {
		backing = "dir"
	}
	s := &provision.Settings{Name: name, FromContainer: orig, Snapshot: snapshot, Backing: backing}
	p, err := provision.BuildPlan(s)
	if err != nil {
		return nil, err
	}
	if err := c.Clone(ctx, p); err != nil {
		return nil, err
	}
	return stateRet(nil, "stopped"), nil
}

func change(ctx context.Context, c *liblxc.Client, name string, op func() (bool, error)) (*data.Map, error) {
	old, err := c.State(ctx, name)
	if err != nil {
		return nil, err
	}
	if _, err := op(); err != nil {
		return nil, err
	}
	cur, err := c.State(ctx, name)
	if err != nil {
		return nil, err
	}
	return stateRet(old, cur), nil
}

// Start starts a container.
func Start(ctx context.Context, c *liblxc.Client, name string) (*data.Map, error) {
	return change(ctx, c, name, func() (bool, error) { return c.Start(ctx, name) })
}

// Stop stops a container (kill skips the clean shutdown).
func Stop(ctx context.Context, c *liblxc.Client, name string, kill bool) (*data.Map, error) {
	return change(ctx, c, name, func() (bool, error) { return c.Stop(ctx, name, 10, kill) })
}

// Restart stops then starts a container; the result has "restarted": true.
func Restart(ctx context.Context, c *liblxc.Client, name string, force bool) (*data.Map, error) {
	r, err := change(ctx, c, name, func() (bool, error) {
		if _, err := c.Stop(ctx, name, 10, force); err != nil {
			return false, err
		}
		return c.Start(ctx, name)
	})
	if r != nil {
		r.Set("restarted", true)
	}
	return r, err
}

// Freeze freezes a running container.
func Freeze(ctx context.Context, c *liblxc.Client, name string) (*data.Map, error) {
	return change(ctx, c, name, func() (bool, error) { return c.Freeze(ctx, name) })
}

// Unfreeze thaws a frozen container.
func Unfreeze(ctx context.Context, c *liblxc.Client, name string) (*data.Map, error) {
	return change(ctx, c, name, func() (bool, error) { return c.Unfreeze(ctx, name) })
}

// ErrNotStopped is returned by Destroy for a container that is not
// stopped when stop is false (Salt's "Container 'x' is not stopped").
var ErrNotStopped = errors.New("is not stopped")

// Destroy destroys a container; a running or frozen one is stopped first
// only when stop is true.
func Destroy(ctx context.Context, c *liblxc.Client, name string, stop bool) (*data.Map, error) {
	old, err := c.State(ctx, name)
	if err != nil {
		return nil, err
	}
	if old != "stopped" && !stop {
		return nil, fmt.Errorf("Container '%s' %w", name, ErrNotStopped)
	}
	if err := c.Destroy(ctx, name); err != nil {
		return nil, err
	}
	return stateRet(old, nil), nil
}

// RunOptions are the options of Run and RunAll (Salt's lxc.run keywords).
type RunOptions struct {
	// Stdin is fed to the command.
	Stdin []byte
	// Env are extra NAME=value variables.
	Env []string
	// NoStart fails on a stopped container instead of starting it.
	NoStart bool
	// PreserveState puts a container that had to be started (or thawed)
	// back into its previous state afterwards.
	PreserveState bool
}

// withRunning runs fn with the container running, starting or thawing it
// unless o.NoStart, and restoring its state when o.PreserveState.
func withRunning(ctx context.Context, c *liblxc.Client, name string, o RunOptions, fn func() error) error {
	st, err := c.State(ctx, name)
	if err != nil {
		return err
	}
	switch st {
	case "running":
		return fn()
	case "frozen":
		if o.NoStart {
			return fmt.Errorf("Container '%s' is frozen", name)
		}
		if _, err := c.Unfreeze(ctx, name); err != nil {
			return err
		}
	default:
		if o.NoStart {
			return fmt.Errorf("Container '%s' is not running", name)
		}
		if _, err := c.Start(ctx, name); err != nil {
			return err
		}
	}
	ferr := fn()
	if o.PreserveState {
		var rerr error
		if st == "frozen" {
			_, rerr = c.Freeze(context.WithoutCancel(ctx), name)
		} else {
			_, rerr = c.Stop(context.WithoutCancel(ctx), name, 10, false)
		}
		if ferr == nil {
			ferr = rerr
		}
	}
	return ferr
}

// RunAll runs a shell command in the container (lxc-attach) and returns
// {"pid", "retcode", "stdout", "stderr"} as Salt's cmd.run_all does.
func RunAll(ctx context.Context, c *liblxc.Client, name, cmd string, o RunOptions) (*data.Map, error) {
	var r *liblxc.RunResult
	err := withRunning(ctx, c, name, o, func() (err error) {
		r, err = c.Run(ctx, name, []string{"/bin/sh", "-c", cmd}, o.Stdin, o.Env)
		return err
	})
	if err != nil {
		return nil, err
	}
	return data.M("pid", int64(0), "retcode", int64(r.Status),
		"stdout", strings.TrimRight(string(r.Stdout), "\n"),
		"stderr", strings.TrimRight(string(r.Stderr), "\n")), nil
}

// Run runs a shell command in the container and returns its output,
// stderr merged into stdout in order (Salt's cmd.run), and its exit status.
func Run(ctx context.Context, c *liblxc.Client, name, cmd string, o RunOptions) (string, int, error) {
	var r *liblxc.RunResult
	err := withRunning(ctx, c, name, o, func() (err error) {
		r, err = c.RunCombined(ctx, name, []string{"/bin/sh", "-c", cmd}, o.Stdin, o.Env)
		return err
	})
	if err != nil {
		return "", 0, err
	}
	return strings.TrimRight(string(r.Stdout), "\n"), r.Status, nil
}

// GetParameter returns the value of a cgroup parameter of a running
// container (Salt's lxc.get_parameter, lxc-cgroup); a key starting with
// "lxc." reads the container configuration instead (saltgo extension).
func GetParameter(ctx context.Context, c *liblxc.Client, name, key string) (string, error) {
	var v []string
	var err error
	if strings.HasPrefix(key, "lxc.") {
		v, err = c.GetConfig(ctx, name, key)
	} else {
		v, err = c.CgroupGet(ctx, name, key)
	}
	if err != nil {
		return "", err
	}
	if len(v) == 0 {
		return "", fmt.Errorf("Unable to retrieve value for '%s'", key)
	}
	return strings.TrimSpace(strings.Join(v, "\n")), nil
}

// SetParameter sets a cgroup parameter of a running container (Salt's
// lxc.set_parameter); a key starting with "lxc." sets and saves a
// configuration key instead. It returns false when the value was refused.
func SetParameter(ctx context.Context, c *liblxc.Client, name, key, value string) (bool, error) {
	var err error
	if strings.HasPrefix(key, "lxc.") {
		err = c.SetConfig(ctx, name, key, value)
	} else {
		err = c.CgroupSet(ctx, name, key, value)
	}
	if errors.Is(err, liblxc.ErrNotFound) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false, err
	}
	return err == nil, nil
}

// CloudInitInterface maps a VM's settings to the options of the spawn
// (mc_lxc_fork.cloud_init_interface's table, spec section 7.3), for
// inspection: what CloudInit will do.
func CloudInitInterface(c *liblxc.Client, s *provision.Settings) (*data.Map, error) {
	p, err := provision.BuildPlan(s)
	if err != nil {
		return nil, err
	}
	cfg, err := provision.BuildConfig(s, c.Path())
	if err != nil {
		return nil, err
	}
	conf := []any{}
	for _, it := range cfg.Set {
		conf = append(conf, data.M(it.Key, it.Value))
	}
	dns := []any{}
	for _, d := range s.DNSServers {
		dns = append(dns, d)
	}
	var clone, tmpl any
	if p.Clone {
		clone = p.Origin
	} else {
		tmpl = p.Template
	}
	m := data.M("name", s.Name, "profile_type", p.Kind, "clone_from", clone, "template", tmpl,
		"backing", p.Backend, "snapshot", p.Snapshot, "autostart", s.Autostart,
		"dnsservers", dns, "lxc_conf", conf,
		"config", data.M("master", s.Master, "master_port", int64(s.MasterPort)))
	if p.Backend == "lvm" {
		m.Set("vgname", p.VG)
		m.Set("lvname", p.LV)
		m.Set("size", int64(p.SizeBytes))
	}
	return m, nil
}

// CloudInit spawns the VM and runs its provisioning steps (spawn, then
// hostsfile, sshkeys, grains, initial_setup, initial_highstate,
// minion_services); the
// result has Salt's result/comment plus the per-step results.
func CloudInit(ctx context.Context, env *provision.VMEnv, s *provision.Settings) (*data.Map, error) {
	res, err := provision.ProvisionVM(ctx, env, s, nil)
	steps := data.NewMap()
	for _, r := range res {
		steps.Set(r.Name, r.Map())
	}
	if err != nil {
		return data.M("result", false, "comment", err.Error(), "steps", steps), err
	}
	return data.M("result", true, "comment", s.Name+" provisioned", "steps", steps), nil
}
