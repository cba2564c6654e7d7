package mccloudlxc

import (
	"context"
	"fmt"

	"github.com/saltgo/saltgo/data"
)

// releaseAllocations frees the allocations (IP, MAC, password, ssh/snmp
// reverse ports) of vm on cn after its container was destroyed, once the
// VM is no longer declared: a VM still in the pillar (or still recorded by
// salt-cloud -p, unless recordGone) keeps them, so that a re-create gets
// the same address. The comment says which.
func (ctl *Controller) releaseAllocations(ctx context.Context, cn, vm string, recordGone bool, ret *Result) {
	p := ctl.Paint
	inPillar, recorded := ctl.Settings.Declared(cn, vm)
	switch {
	case inPillar:
		ret.Comment(p.Yellow(fmt.Sprintf("  Allocations of %s: kept (still declared in the pillar: a re-create gets the same address)", vm)) + "\n")
		return
	case recorded && !recordGone:
		ret.Comment(p.Yellow(fmt.Sprintf("  Allocations of %s: kept (still recorded by salt-cloud -p; salt-cloud -d %s releases them)", vm, vm)) + "\n")
		return
	}
	if ctl.Test {
		ret.SetChangeIn("allocations", vm, "would be released")
		ret.Comment(p.Yellow(fmt.Sprintf("  Allocations of %s: would be released (no longer declared)", vm)) + "\n")
		return
	}
	rel, err := ctl.Settings.Store().Release(ctx, cn, "lxc", vm)
	if err != nil {
		ctl.fail(ret, fmt.Sprintf("  cannot release the allocations of %s on %s: %v", vm, cn, err))
		ret.Trace(fmt.Sprintf("%s/%s: release: %v\n", cn, vm, err))
		return
	}
	if !rel.Any() {
		ret.Comment(p.Yellow(fmt.Sprintf("  Allocations of %s: none", vm)) + "\n")
		return
	}
	ret.SetChangeIn("allocations", vm, "released "+rel.String())
	ret.Comment(p.Yellow(fmt.Sprintf("  Allocations of %s: ", vm)) + p.Green("released ("+rel.String()+")") + "\n")
}

// cleanup is the maintenance path: the allocations of every VM of the
// compute nodes (or of compute_node) that is declared neither in the
// pillar nor by a salt-cloud -p record are released, when its container
// no longer exists on the node (lxc.exists). A VM whose container still
// exists keeps them (destroy it with destroy_vm); a node that does not
// answer keeps everything and fails the run.
func (ctl *Controller) cleanup(ctx context.Context, cns []string, ret *Result) {
	p := ctl.Paint
	for _, cn := range cns {
		vms, err := ctl.Settings.Store().AllocatedVMs(cn)
		if err != nil {
			ctl.fail(ret, fmt.Sprintf("%s: %v", cn, err))
			continue
		}
		var stale []string
		for _, vm := range vms {
			if inPillar, recorded := ctl.Settings.Declared(cn, vm); !inPillar && !recorded {
				stale = append(stale, vm)
			}
		}
		ret.Comment(p.Yellow(fmt.Sprintf("LXC: %d allocation(s) on %s, %d of vm(s) no longer declared", len(vms), cn, len(stale))) + "\n")
		for _, vm := range stale {
			raw, rc, err := ctl.Node.Call(ctx, cn, NodeFunctions.Exists, nil, data.M("name", vm), ctl.StepTimeout)
			switch {
			case err != nil || rc != 0:
				ctl.fail(ret, fmt.Sprintf("  %s: cannot tell whether %s still exists on %s (%v %v): its allocations are kept", vm, vm, cn, err, raw))
			case raw == true:
				ret.Comment(p.Yellow(fmt.Sprintf("  Allocations of %s: kept (its container still exists on %s: mc_cloud_lxc.destroy_vm %s compute_node=%s)", vm, cn, vm, cn)) + "\n")
			default:
				ctl.releaseAllocations(ctx, cn, vm, true, ret)
			}
		}
	}
}
