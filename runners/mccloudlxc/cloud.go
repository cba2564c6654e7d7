package mccloudlxc

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/saltgo/saltgo/cloud/settings"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/revert"
)

// salt-cloud's LXC provider on top of the runner: salt-cloud -p, -d, -Q
// and -F call these, so a VM made or removed by salt-cloud goes through
// the same steps (jobs published through the master to the compute
// node's minion) as mc_cloud_lxc.provision and destroy_vm.

// profileKeys are the salt-cloud profile keys that are also per-VM
// settings of the pillar form (cloud/settings), copied as they are.
var profileKeys = []string{
	"profile_type", "backing", "from_container", "image", "snapshot", "size",
	"vgname", "lvname", "ip", "mac", "password", "mode", "bridge", "main_bridge",
	"network", "netmask", "gateway", "dnsservers", "users", "sudo",
	"ssh_username", "autostart", "lxc_conf", "lxc_conf_unset", "fstab",
	"additional_ips", "domains", "bootsalt_branch", "bootstrap_shell",
	"master", "master_port",
}

// VMEntryFromProfile turns a salt-cloud VM configuration (the provider's
// and the profile's keys merged, as salt-cloud's vm_config does) into the
// per-VM settings of the pillar form: profile_type from the profile's
// profile_type, else its backing plus "-scratch" when it creates from an
// image rather than cloning from_container; the size profile from size;
// minion: {master, master_port} as master and master_port.
func (ctl *Controller) VMEntryFromProfile(profile string, vm *data.Map) (*data.Map, error) {
	e := data.NewMap()
	for _, k := range profileKeys {
		if v, ok := vm.Get(k); ok {
			e.Set(k, data.Deep(v))
		}
	}
	if mv, ok := vm.Get("minion"); ok {
		if mm, ok := mv.(*data.Map); ok {
			for _, k := range []string{"master", "master_port"} {
				if v, ok := mm.Get(k); ok && !e.Has(k) {
					e.Set(k, v)
				}
			}
		}
	}
	if !e.Has("profile_type") {
		backing, _ := vm.String("backing")
		if backing == "" {
			backing = ctl.Settings.LXC.Defaults.Backing
		}
		_, hasImage := vm.Get("image")
		from, _ := vm.Get("from_container")
		ptype := backing
		if hasImage && from == nil {
			ptype += "-scratch"
		}
		if !settings.ValidProfileType(ptype) {
			return nil, fmt.Errorf("profile %s: cannot tell the LXC profile type from backing %q (valid types: %s; set profile_type in the profile)", profile, backing, strings.Join(settings.ProfileTypes, ", "))
		}
		e.Set("profile_type", ptype)
	}
	if size, ok := vm.String("size"); ok && size != "" {
		for _, sp := range ctl.Settings.LXC.Profiles {
			if sp.Size == size {
				e.Set("profile", sp.Name)
				break
			}
		}
	}
	return e, nil
}

// ProvisionFromProfile is salt-cloud -p for one VM: it records vm with
// entry for compute node cn unless the controller's pillar declares it
// there already, then provisions it with the runner's VM steps. Nothing
// is left when the compute node is unknown or unreachable, the VM is
// declared for another compute node, or the container was not created
// (the record is reverted); a VM spawned but not fully provisioned keeps
// its record so that salt-cloud -d can remove it.
func (ctl *Controller) ProvisionFromProfile(ctx context.Context, cn, vm string, entry *data.Map) *Result {
	ret := NewResult()
	p := ctl.Paint
	if other, err := ctl.ComputeNodeOf(vm); err == nil && other != cn {
		ctl.fail(ret, fmt.Sprintf("vm %s is declared for compute node %s in the pillar of the controller %s, not for %s (the profile's compute node)", vm, other, ctl.ID, cn))
		return ret
	}
	if !ctl.checkCN(ctx, cn, ret, false) {
		return ret
	}
	exists, err := ctl.exists(ctx, cn, vm)
	if err != nil {
		ctl.fail(ret, err.Error())
		return ret
	}
	if exists {
		ctl.fail(ret, fmt.Sprintf("%s already exists on %s", vm, cn))
		return ret
	}
	rv := revert.New()
	defer rv.Fail()
	store := ctl.Settings.Store()
	if _, err := ctl.ComputeNodeOf(vm); err != nil {
		if err := settings.RecordVM(ctx, store, cn, vm, entry); err != nil {
			ctl.fail(ret, fmt.Sprintf("cannot record %s: %v", vm, err))
			return ret
		}
		rv.Add("forget "+vm, func() error {
			_, err := settings.ForgetVM(context.WithoutCancel(ctx), store, cn, vm)
			return err
		})
		if err := ctl.reload(); err != nil {
			ctl.fail(ret, err.Error())
			return ret
		}
		ret.Comment(p.Yellow(fmt.Sprintf("%s recorded for compute node %s (%s)", vm, cn, store.CNSettingPath(cn, settings.RecordedSetting))) + "\n")
	}
	ctl.provisionVMs(ctx, map[string][]string{cn: {vm}}, DefaultVMSteps, ret)
	if !ret.OK() {
		// Keep the record when the container exists: salt-cloud -d needs it.
		if ok, err := ctl.exists(context.WithoutCancel(ctx), cn, vm); err != nil || ok {
			rv.Success()
		} else if err := rv.Fail(); err != nil {
			ret.Comment(p.Red(err.Error()) + "\n")
		}
		return ret
	}
	rv.Success()
	return ret
}

// DestroyVM is salt-cloud -d for one VM of compute node cn: the container,
// then the minion key, then the salt-cloud record (if any).
func (ctl *Controller) DestroyVM(ctx context.Context, cn, vm string) *Result {
	ret := NewResult()
	if !ctl.checkCN(ctx, cn, ret, false) {
		return ret
	}
	ctl.destroyVM(ctx, cn, vm, ret)
	if ret.OK() && !ctl.Test {
		if found, err := settings.ForgetVM(ctx, ctl.Settings.Store(), cn, vm); err != nil {
			ctl.fail(ret, fmt.Sprintf("cannot forget the record of %s: %v", vm, err))
		} else {
			if found {
				ret.Comment(ctl.Paint.Yellow(fmt.Sprintf("  Record of %s: removed", vm)) + "\n")
			}
			ctl.releaseAllocations(ctx, cn, vm, true, ret)
		}
	}
	return ret
}

// ListNodes is the LXC driver's list_nodes on compute node cn: its
// containers as salt-cloud shows them (id, name, image, size, state,
// public_ips, private_ips), from lxc.list extra=True on the node, and
// saltgo's ssh_route when the VM has one (settings.QueryRoute).
func (ctl *Controller) ListNodes(ctx context.Context, cn string) (*data.Map, error) {
	if err := ctl.Reachable(ctx, cn); err != nil {
		return nil, err
	}
	raw, rc, err := ctl.Node.Call(ctx, cn, "lxc.list", nil, data.M("extra", true), ctl.StepTimeout)
	if err != nil {
		return nil, err
	}
	states, ok := raw.(*data.Map)
	if rc != 0 || !ok {
		return nil, fmt.Errorf("lxc.list on %s: %s", cn, oneLine(data.Str(raw)))
	}
	out := data.NewMap()
	var names []string
	infos := map[string]*data.Map{}
	states.Range(func(k, v any) bool {
		per, _ := v.(*data.Map)
		if per == nil {
			return true
		}
		per.Range(func(n, in any) bool {
			name := fmt.Sprint(n)
			m, _ := in.(*data.Map)
			if m == nil {
				m = data.NewMap()
			}
			if !m.Has("state") {
				m = m.Copy()
				m.Set("state", fmt.Sprint(k))
			}
			names = append(names, name)
			infos[name] = m
			return true
		})
		return true
	})
	sort.Strings(names)
	for _, n := range names {
		in := infos[n]
		state, _ := in.String("state")
		public, private := []any{}, []any{}
		ips, _ := in.Get("ipv4_ips")
		l, _ := ips.([]any)
		for _, e := range l {
			s, _ := data.AsString(e)
			if a, err := netip.ParseAddr(s); err == nil {
				if a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() {
					private = append(private, s)
				} else {
					public = append(public, s)
				}
			}
		}
		size, _ := in.Get("size")
		node := data.M("id", n, "name", n, "image", nil, "size", size, "state", strings.ToLower(state),
			"public_ips", public, "private_ips", private)
		if r := ctl.sshRoute(cn, n, private); r != "" {
			node.Set(settings.RouteKey, r)
		}
		out.Set(n, node)
	}
	return out, nil
}

// sshRoute is the VM's ssh route (settings.QueryRoute) for salt-cloud -Q,
// "" when there is none or the settings cannot say.
func (ctl *Controller) sshRoute(cn, vm string, private []any) string {
	if ctl.Settings == nil {
		return ""
	}
	ip := ""
	if len(private) > 0 {
		ip, _ = private[0].(string)
	}
	r, err := ctl.Settings.QueryRoute(cn, vm, ip)
	if err != nil {
		return ""
	}
	return r
}

// Exists asks compute node cn (through the master) whether container vm
// exists there.
func (ctl *Controller) Exists(ctx context.Context, cn, vm string) (bool, error) {
	return ctl.exists(ctx, cn, vm)
}

// exists asks the compute node whether container vm exists.
func (ctl *Controller) exists(ctx context.Context, cn, vm string) (bool, error) {
	raw, rc, err := ctl.Node.Call(ctx, cn, NodeFunctions.Exists, nil, data.M("name", vm), ctl.StepTimeout)
	if err == nil && rc != 0 {
		err = fmt.Errorf("%s: %s", NodeFunctions.Exists, oneLine(data.Str(raw)))
	}
	if err != nil {
		return false, fmt.Errorf("cannot tell whether %s exists on %s: %w", vm, cn, err)
	}
	return raw == true, nil
}

// reload recomputes the settings (after a record was added).
func (ctl *Controller) reload() error {
	s, err := settings.Load(ctl.Pillar, ctl.settingsOpts)
	if err != nil {
		return err
	}
	ctl.Settings = s
	return nil
}
