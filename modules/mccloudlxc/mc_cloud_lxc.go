// Package mccloudlxc is makina-states' mc_cloud_lxc execution module:
// get_settings_for_vm, the operator's window into what a container will be
// (see cloud/settings and cloud/alloc for the model and the allocators).
package mccloudlxc

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/saltgo/saltgo/cloud/alloc"
	"github.com/saltgo/saltgo/cloud/settings"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
)

func init() { host.Register(Module()) }

// AllocRootOpt is the minion option that moves the allocation store (by
// default <pillar_roots base[0]>/cloud-controller/compute_node, or the
// makina-states.cloud.compute_node_pillar_dir setting); AllocRootEnv is the
// environment variable doing the same, for make run and tests. The option
// wins over the variable.
const (
	AllocRootOpt = "mc_cloud_lxc.alloc_root"
	AllocRootEnv = "SALTGO_MC_CLOUD_LXC_ALLOC_ROOT"
)

const getSettingsDoc = `
    Return the provisioning settings of the LXC container vm on the compute
    node target, allocating (and persisting, on the controller) its MAC, IP,
    password and, when full is true, its SSH and SNMP reverse-proxy ports.

    target
        compute node minion id
    vm
        container (minion) id
    full
        also compute ssh_reverse_proxy_port and snmp_reverse_proxy_port
        (default True)

    CLI Example:

        mastersalt-call mc_cloud_lxc.get_settings_for_vm devhost10.local nmdcarto51.test.com
    `

// Module returns the execution module.
func Module() *host.Module {
	return &host.Module{
		Kind:  host.Exec,
		Name:  "mc_cloud_lxc",
		Doc:   "makina-states LXC cloud settings.",
		Funcs: append([]*host.Func{GetSettingsForVMFunc()}, NodeFuncs()...),
	}
}

// GetSettingsForVMFunc returns the get_settings_for_vm function; the runner
// module mc_cloud_lxc adds the same function to its list (a runner computes
// the settings with the master minion's environment, as the controller's
// own minion would).
func GetSettingsForVMFunc() *host.Func {
	return &host.Func{
		Name:   "get_settings_for_vm",
		Doc:    getSettingsDoc,
		Params: []host.Param{host.Req("target"), host.Req("vm"), host.Opt("full", true)},
		Fn:     getSettingsForVM,
	}
}

func getSettingsForVM(ctx context.Context, c *host.Call) (any, error) {
	target, vm := c.Str("target"), c.Str("vm")
	if target == "" || vm == "" {
		return nil, host.Invalidf("target and vm must be non-empty minion ids")
	}
	s, err := nodeSettings(c)
	if err != nil {
		return nil, err
	}
	v, err := s.GetSettingsForVM(ctx, target, vm, c.Bool("full"))
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		return nil, host.Errorf("%v", err)
	}
	return v.ToMap(), nil
}

func pillarOf(env *host.Env) *data.Map {
	if env == nil || env.Pillar == nil {
		return data.NewMap()
	}
	return env.Pillar
}

// OptionsFromEnv derives settings.Options from the running minion: its id,
// grains, options, master_port and first base pillar root, and the
// allocation root override (AllocRootOpt, then AllocRootEnv).
func OptionsFromEnv(env *host.Env) (settings.Options, error) {
	var o settings.Options
	if env == nil {
		return o, errors.New("mc_cloud_lxc: no minion environment")
	}
	o.MinionID, o.Grains, o.MinionOpts = env.ID, env.Grains, env.Opts
	if o.MinionID == "" && env.Grains != nil {
		o.MinionID, _ = env.Grains.String("id")
	}
	if v, ok := env.Opt("master_port"); ok {
		if n, ok := data.AsInt(v); ok {
			o.MasterPort = int(n)
		} else if s, ok := v.(string); ok {
			fmt.Sscan(s, &o.MasterPort)
		}
	}
	if v, ok := env.Opt("pillar_roots"); ok {
		if m, ok := v.(*data.Map); ok {
			if base, ok := m.Get("base"); ok {
				if l, ok := base.([]any); ok && len(l) > 0 {
					o.PillarRoot, _ = data.AsString(l[0])
				}
			}
		}
	}
	if v, ok := env.Opt(AllocRootOpt); ok {
		o.AllocRoot, _ = data.AsString(v)
	}
	if o.AllocRoot == "" {
		o.AllocRoot = os.Getenv(AllocRootEnv)
	}
	return o, nil
}

// Store returns the allocation store the module would use (for tools).
func Store(env *host.Env) (*alloc.Store, error) {
	o, err := OptionsFromEnv(env)
	if err != nil {
		return nil, err
	}
	s, err := settings.Load(pillarOf(env), o)
	if err != nil {
		return nil, err
	}
	return s.Store(), nil
}
