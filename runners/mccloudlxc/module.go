package mccloudlxc

import (
	"context"
	"errors"
	"fmt"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
)

func init() { host.Register(Module()) }

const installVTDoc = `
    Install LXC on a compute node: configure_grains, configure_install_lxc
    and configure_images on the node (through its minion), then the image
    sync. Every step runs; result is False when one failed.

    target
        compute node minion id (declared in makina-states.cloud.lxc.vms)
    test
        dry run: show what would change, change nothing

    CLI Example:

    .. code-block:: bash

        mastersalt-run mc_cloud_lxc.install_vt cn1
        mastersalt-run mc_cloud_lxc.install_vt cn1 test=True
    `

func cnDoc(what string) string {
	return fmt.Sprintf(`
    Run the %s step of install_vt on a compute node.

    CLI Example:

    .. code-block:: bash

        mastersalt-run mc_cloud_lxc.configure_%s cn1
    `, what, what)
}

const syncImagesDoc = `
    Bring the LXC image templates up to date on a compute node, or on every
    compute node that declares VMs when no target is given (the image-sync
    schedule runs this).

    CLI Example:

    .. code-block:: bash

        mastersalt-run mc_cloud_lxc.sync_images cn1
        mastersalt-run mc_cloud_lxc.sync_images
    `

const postDeployDoc = `
    Write the controller's salt-cloud LXC provider and profile files
    (<prefix>/cloud.providers.d/makinastates_lxc.conf and
    <prefix>/cloud.profiles.d/makinastates_lxc.conf) and the image-sync
    schedule (/etc/cron.d/ms_lxc_image_sync).

    CLI Example:

    .. code-block:: bash

        mastersalt-run mc_cloud_lxc.post_deploy_controller
        mastersalt-run mc_cloud_lxc.post_deploy_controller test=True
    `

const getSettingsDoc = `
    Return the provisioning settings of the container vm on the compute
    node target, as the controller computes them (allocating and persisting
    its MAC, IP, password and, with full=True, its reverse-proxy ports).

    CLI Example:

    .. code-block:: bash

        mastersalt-run mc_cloud_lxc.get_settings_for_vm cn1 vm1.example.com
    `

const provisionDoc = `
    Provision one VM on its compute node with the steps spawn, hostsfile,
    sshkeys, grains, initial_setup, initial_highstate, then wait for its
    minion to answer (ping). The VM minion's key is pre-accepted on the
    master. Stops at the first failed step.

    vm
        VM (minion) id
    compute_node
        its compute node (default: the one declaring it in the pillar)
    steps
        comma-separated subset of the steps
    test
        dry run

    CLI Example:

    .. code-block:: bash

        mastersalt-run mc_cloud_lxc.provision vm1.example.com
        mastersalt-run mc_cloud_lxc.provision vm1.example.com steps=spawn,hostsfile
    `

const provisionVMsDoc = `
    Provision every VM of a compute node (or of every compute node), in
    parallel (at most concurrency at once, master option
    mc_cloud_lxc.concurrency, default 4), one progress line per finished
    step on standard error.

    CLI Example:

    .. code-block:: bash

        mastersalt-run mc_cloud_lxc.provision_vms cn1
        mastersalt-run mc_cloud_lxc.provision_vms only=vm1.example.com,vm2.example.com
        mastersalt-run mc_cloud_lxc.provision_vms test=True
    `

const orchestrateDoc = `
    install_vt on the compute nodes (in parallel), then provision their VMs
    (in parallel), bounded by concurrency.

    CLI Example:

    .. code-block:: bash

        mastersalt-run mc_cloud_lxc.orchestrate
        mastersalt-run mc_cloud_lxc.orchestrate only=cn1 skip_vms=vm3.example.com test=True
    `

const destroyDoc = `
    Destroy a VM: its container on the compute node, then its minion key on
    the master (what salt-cloud -d <name> did).

    CLI Example:

    .. code-block:: bash

        mastersalt-run mc_cloud_lxc.destroy_vm vm1.example.com
    `

const cleanupDoc = `
    Release the allocations (IP, MAC, password, ssh/snmp reverse ports) of
    the VMs that are no longer declared (pillar or salt-cloud -p record) and
    whose container no longer exists on their compute node.

    CLI Example:

    .. code-block:: bash

        mastersalt-run mc_cloud_lxc.cleanup compute_node=cn1 test=True
    `

// Module returns the mc_cloud_lxc runner module.
func Module() *host.Module {
	out := host.Opt("output", true)
	test := host.Opt("test", false)
	conc := host.Opt("concurrency", nil)
	cn := func(what string) *host.Func {
		return &host.Func{Name: "configure_" + what, Doc: cnDoc(what),
			Params: []host.Param{host.Req("target"), out, test},
			Fn: run(func(ctx context.Context, ctl *Controller, c *host.Call, ret *Result) {
				target := c.Str("target")
				if ctl.checkCN(ctx, target, ret, true) {
					ctl.cnConfigure(ctx, what, target, ret)
				}
			})}
	}
	return &host.Module{Kind: host.Runner, Name: "mc_cloud_lxc",
		Doc: "makina-states LXC cloud runner: compute node installation, VM provisioning and removal, driven through the master.",
		Funcs: []*host.Func{
			{Name: "install_vt", Doc: installVTDoc, Params: []host.Param{host.Req("target"), out, test},
				Fn: run(func(ctx context.Context, ctl *Controller, c *host.Call, ret *Result) {
					ctl.installVT(ctx, c.Str("target"), ret)
				})},
			cn("grains"), cn("install_lxc"), cn("images"),
			{Name: "sync_images", Doc: syncImagesDoc, Params: []host.Param{host.Opt("target", nil), out, test},
				Fn: run(func(ctx context.Context, ctl *Controller, c *host.Call, ret *Result) {
					targets := ctl.ComputeNodes()
					if c.Get("target") != nil {
						targets = []string{c.Str("target")}
					}
					for _, t := range targets {
						if ctl.checkCN(ctx, t, ret, true) {
							ctl.syncImages(ctx, t, ret)
						}
					}
				})},
			{Name: "post_deploy_controller", Doc: postDeployDoc, Params: []host.Param{out, test},
				Fn: run(func(ctx context.Context, ctl *Controller, c *host.Call, ret *Result) {
					ctl.postDeployController(ctx, ret)
				})},
			{Name: "get_settings_for_vm", Doc: getSettingsDoc, Params: []host.Param{host.Req("target"), host.Req("vm"), host.Opt("full", true)},
				Fn: getSettingsForVM},
			{Name: "provision", Doc: provisionDoc, Params: []host.Param{host.Req("vm"), host.Opt("compute_node", nil), host.Opt("steps", nil), out, test},
				Fn: run(func(ctx context.Context, ctl *Controller, c *host.Call, ret *Result) {
					steps, err := parseSteps(c.Get("steps"))
					if err != nil {
						ctl.fail(ret, err.Error())
						return
					}
					vm := c.Str("vm")
					node, err := ctl.resolveCN(vm, c)
					if err != nil {
						ctl.fail(ret, err.Error())
						return
					}
					ctl.provisionVMs(ctx, map[string][]string{node: {vm}}, steps, ret)
				})},
			{Name: "provision_vms", Doc: provisionVMsDoc, Params: []host.Param{host.Opt("compute_node", nil), host.Opt("only", nil), host.Opt("skip", nil), host.Opt("steps", nil), conc, out, test},
				Fn: run(func(ctx context.Context, ctl *Controller, c *host.Call, ret *Result) {
					steps, err := parseSteps(c.Get("steps"))
					if err != nil {
						ctl.fail(ret, err.Error())
						return
					}
					cns := ctl.ComputeNodes()
					if c.Get("compute_node") != nil {
						cns = []string{c.Str("compute_node")}
					}
					work := map[string][]string{}
					for _, cn := range cns {
						vms, ok := ctl.VMsOf(cn)
						if !ok {
							ctl.fail(ret, fmt.Sprintf("%s is not a compute node declared in the pillar of the controller %s; declared: %s", cn, ctl.ID, listOrNone(ctl.ComputeNodes())))
							continue
						}
						if sel := filterNames(vms, splitList(c.Get("only")), splitList(c.Get("skip"))); len(sel) > 0 {
							work[cn] = sel
						}
					}
					ret.Comment(ctl.Paint.Yellow(fmt.Sprintf("Provisioning %d vm(s) on %d compute node(s)", countVMs(work), len(work))) + "\n")
					ctl.provisionVMs(ctx, work, steps, ret)
				})},
			{Name: "orchestrate", Doc: orchestrateDoc,
				Params: []host.Param{host.Opt("only", nil), host.Opt("skip", nil), host.Opt("only_vms", nil), host.Opt("skip_vms", nil),
					host.Opt("no_compute_node_provision", false), host.Opt("no_vms", false), conc, out, test},
				Fn: run(orchestrate)},
			{Name: "destroy_vm", Doc: destroyDoc, Params: []host.Param{host.Req("vm"), host.Opt("compute_node", nil), out, test},
				Fn: run(func(ctx context.Context, ctl *Controller, c *host.Call, ret *Result) {
					vm := c.Str("vm")
					node, err := ctl.resolveCN(vm, c)
					if err != nil {
						ctl.fail(ret, err.Error())
						return
					}
					if ctl.checkCN(ctx, node, ret, false) {
						ctl.destroyVM(ctx, node, vm, ret)
						if ret.OK() {
							ctl.releaseAllocations(ctx, node, vm, false, ret)
						}
					}
				})},
			{Name: "cleanup", Doc: cleanupDoc, Params: []host.Param{host.Opt("compute_node", nil), out, test},
				Fn: run(func(ctx context.Context, ctl *Controller, c *host.Call, ret *Result) {
					cns := ctl.ComputeNodes()
					if c.Get("compute_node") != nil {
						cns = []string{c.Str("compute_node")}
					}
					ctl.cleanup(ctx, cns, ret)
				})},
		}}
}

func countVMs(w map[string][]string) int {
	n := 0
	for _, l := range w {
		n += len(l)
	}
	return n
}

// resolveCN returns compute_node= or the compute node declaring vm.
func (ctl *Controller) resolveCN(vm string, c *host.Call) (string, error) {
	if vm == "" {
		return "", errors.New("no vm given")
	}
	if c.Get("compute_node") != nil && c.Str("compute_node") != "" {
		return c.Str("compute_node"), nil
	}
	return ctl.ComputeNodeOf(vm)
}

// orchestrate installs the compute nodes then provisions their VMs.
func orchestrate(ctx context.Context, ctl *Controller, c *host.Call, ret *Result) {
	p := ctl.Paint
	cns := filterNames(ctl.ComputeNodes(), splitList(c.Get("only")), splitList(c.Get("skip")))
	ret.Comment(p.Yellow(fmt.Sprintf("Orchestrating %d compute node(s)", len(cns))) + "\n")
	ready := cns
	if !c.Bool("no_compute_node_provision") {
		subs := collect(ctx, ctl.Concurrency, cns, func(ctx context.Context, cn string, sub *Result) {
			ctl.installVT(ctx, cn, sub)
		})
		ready = nil
		for i, cn := range cns {
			mergeFlat(ret, subs[i])
			if subs[i].OK() {
				ready = append(ready, cn)
				ret.Comment(p.Yellow(fmt.Sprintf("%s is now ready to host vms", cn)) + "\n")
			} else {
				ret.AppendChange("cns_in_error", cn)
			}
		}
	}
	if c.Bool("no_vms") {
		return
	}
	work := map[string][]string{}
	for _, cn := range ready {
		vms, _ := ctl.VMsOf(cn)
		if sel := filterNames(vms, splitList(c.Get("only_vms")), splitList(c.Get("skip_vms"))); len(sel) > 0 {
			work[cn] = sel
		}
	}
	ctl.provisionVMs(ctx, work, DefaultVMSteps, ret)
}

// getSettingsForVM is the runner twin of the execution function.
func getSettingsForVM(ctx context.Context, c *host.Call) (any, error) {
	ctl, release, err := newController(ctx, c, nil)
	defer release()
	if err != nil {
		return nil, err
	}
	target, vm := c.Str("target"), c.Str("vm")
	if target == "" || vm == "" {
		return nil, host.Invalidf("target and vm must be non-empty minion ids")
	}
	v, err := ctl.VMSettings(ctx, target, vm, c.Bool("full"))
	if err != nil {
		return nil, host.Errorf("%v", err)
	}
	return v.ToMap(), nil
}

// run wraps a step function: it builds the Controller, runs f on a fresh
// result and returns the result dict. A failed run carries retcode 1 so
// that salt-run exits non-zero; environment problems (no master config,
// unreadable pillar, master unreachable) are failed results with a clear
// comment, never a traceback.
func run(f func(ctx context.Context, ctl *Controller, c *host.Call, ret *Result)) func(context.Context, *host.Call) (any, error) {
	return func(ctx context.Context, c *host.Call) (any, error) {
		ret := NewResult()
		ctl, release, err := newController(ctx, c, nil)
		defer release()
		if err != nil {
			var inv *host.InvocationError
			if errors.As(err, &inv) {
				return nil, err
			}
			ret.Fail()
			ret.Comment(Painter{On: c.Env != nil && c.Env.Opts != nil && colourOn(c.Env.Opts)}.Red(err.Error()) + "\n")
			return finish(ret), nil
		}
		f(ctx, ctl, c, ret)
		if ctx.Err() != nil {
			ctl.fail(ret, fmt.Sprintf("interrupted: %v", ctx.Err()))
		}
		return finish(ret), nil
	}
}

func finish(ret *Result) *data.Map {
	m := ret.Map()
	if !ret.OK() {
		m.Set("retcode", int64(1))
	}
	return m
}
