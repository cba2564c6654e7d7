package mccloudlxc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/saltgo/saltgo/atomicfile"
	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/transport/crypt"
)

// DefaultVMSteps are the provisioning steps of the seed document, the VM's
// minions as services of its init (minion_services), then a ping of the
// new VM minion through the master of its mode (makina-states'
// post_provision ping).
var DefaultVMSteps = []string{"spawn", "hostsfile", "sshkeys", "grains", "initial_setup", "initial_highstate", "minion_services", "ping"}

var validVMSteps = map[string]bool{}

func init() {
	for _, s := range DefaultVMSteps {
		validVMSteps[s] = true
	}
}

// parseSteps accepts nil, a comma-separated string or a list.
func parseSteps(v any) ([]string, error) {
	var steps []string
	switch x := v.(type) {
	case nil:
		return DefaultVMSteps, nil
	case string:
		steps = splitList(x)
	case []any:
		for _, e := range x {
			s, ok := data.AsString(e)
			if !ok {
				return nil, fmt.Errorf("steps must be names, got %v", e)
			}
			steps = append(steps, strings.TrimSpace(s))
		}
	default:
		return nil, fmt.Errorf("steps must be a comma-separated string or a list, got %T", v)
	}
	for _, s := range steps {
		if !validVMSteps[s] {
			return nil, fmt.Errorf("unknown vm step %q (valid: %s)", s, strings.Join(DefaultVMSteps, ", "))
		}
	}
	if len(steps) == 0 {
		return DefaultVMSteps, nil
	}
	return steps, nil
}

// splitList accepts nil, "a,b" or a list.
func splitList(v any) []string {
	var out []string
	switch x := v.(type) {
	case string:
		for _, s := range strings.Split(x, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	case []any:
		for _, e := range x {
			if s, ok := data.AsString(e); ok && s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// filterNames is filter_compute_nodes/filter_vms: only (when set) then skip.
func filterNames(all []string, only, skip []string) []string {
	in := func(l []string, s string) bool {
		for _, x := range l {
			if x == s {
				return true
			}
		}
		return false
	}
	var out []string
	for _, n := range all {
		if len(only) > 0 && !in(only, n) {
			continue
		}
		if in(skip, n) {
			continue
		}
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// provisionVM provisions one VM with steps; it stops at the first failed
// step, as mc_cloud_vm.provision does. The caller checked the node.
func (ctl *Controller) provisionVM(ctx context.Context, cn, vm string, steps []string, ret *Result) {
	p := ctl.Paint
	who := cn + "/" + vm
	start := ctl.Progress.now()
	v, err := ctl.VMSettings(ctx, cn, vm, true)
	if err != nil {
		ret.Fail()
		ret.Comment(p.Red(fmt.Sprintf("Failed to compute the settings of %s: %v", who, err)) + "\n")
		ret.Trace(fmt.Sprintf("%s: get_settings_for_vm: %v\n", who, err))
		ctl.Progress.Step(who, "settings", "failed", err.Error(), ctl.Progress.now().Sub(start))
		return
	}
	sm := v.SpawnMap()
	if v.ProfileType != "" && !sm.Has("profile_type") {
		sm.Set("profile_type", v.ProfileType)
	}
	ret.Comment(p.Yellow(fmt.Sprintf("Provisioning vm %s (ip %s, profile %s)", who, v.IP, v.Profile)) + "\n")
	if ctl.Test {
		ctl.dryRunVM(ctx, cn, vm, steps, ret)
		return
	}
	// The master of the VM's mode is found before anything is made.
	if slices.Contains(steps, "initial_setup") || slices.Contains(steps, "ping") {
		if _, err := ctl.masterFor(v.Mode); err != nil {
			err = fmt.Errorf("vm %s (mode %s): %w", vm, v.Mode, err)
			ret.Fail()
			ret.Comment(p.Red(fmt.Sprintf("Cannot provision %s: %v", who, err)) + "\n")
			ret.Trace(fmt.Sprintf("%s: master of mode %s: %v\n", who, v.Mode, err))
			ctl.Progress.Step(who, "master", "failed", err.Error(), ctl.Progress.now().Sub(start))
			return
		}
	}
	spawned := false
	for _, step := range steps {
		if step == "ping" {
			ok := ctl.vmPing(ctx, cn, vm, v.Mode, ret)
			if !ok {
				ctl.halfProvisioned(cn, vm, step, spawned, ret)
				return
			}
			continue
		}
		ret.Comment(p.Yellow(fmt.Sprintf("LXC: Installing %s on vm %s\n", step, who)))
		// The node uses the controller's settings (allocations included).
		kw := data.M("vm", vm, "compute_node", cn, "settings", sm)
		ok := ctl.nodeStep(ctx, cn, who, step, NodeFunctions.VMStep+step, nil, kw, ret, []string{cn, vm, step})
		if ok && step == "initial_setup" {
			if err := ctl.acceptVMKey(ctx, cn, vm, v.Mode, ret); err != nil {
				ok = false
				ret.Fail()
				ret.Trace(fmt.Sprintf("%s: accept the minion key: %v\n", who, err))
				ret.Comment(p.Red(fmt.Sprintf("  cannot accept the minion key of %s: %v", vm, err)) + "\n")
			}
		}
		if step == "spawn" {
			if !ok {
				ret.Comment(p.Red(fmt.Sprintf("Failed to provision lxc %s, see %s, see mastersalt-minion log", vm, cn)) + "\n")
				return
			}
			ret.Comment(p.Green(fmt.Sprintf("%s provisioned", vm)) + "\n")
			spawned = true
			continue
		}
		ret.Comment(p.Yellow(fmt.Sprintf("  Installation on %s: ", who)) + p.Status(ok) + "\n")
		if !ok {
			ctl.halfProvisioned(cn, vm, step, spawned, ret)
			return
		}
	}
}

// dryRunVM reports what provisioning would do: the node is asked whether
// the container exists (lxc.exists), nothing else runs.
func (ctl *Controller) dryRunVM(ctx context.Context, cn, vm string, steps []string, ret *Result) {
	p := ctl.Paint
	who := cn + "/" + vm
	start := ctl.Progress.now()
	raw, rc, err := ctl.Node.Call(ctx, cn, NodeFunctions.Exists, nil, data.M("name", vm), ctl.StepTimeout)
	if err == nil && rc != 0 {
		err = fmt.Errorf("%s: %v", NodeFunctions.Exists, raw)
	}
	if err != nil {
		ret.Fail()
		ret.Comment(p.Red(fmt.Sprintf("  cannot tell whether %s exists on %s: %v", vm, cn, oneLine(err.Error()))) + "\n")
		ctl.Progress.Step(who, "exists", "failed", err.Error(), ctl.Progress.now().Sub(start))
		return
	}
	exists := raw == true
	what := "would be created and provisioned"
	if exists {
		what = "exists: its steps would be re-checked"
	}
	ret.SetChangeIn(cn, vm, fmt.Sprintf("%s (steps %s)", what, strings.Join(steps, ", ")))
	ret.Comment(p.Green(fmt.Sprintf("%s %s (test)", vm, what)) + "\n")
	ctl.Progress.Step(who, "dry run", "ok", what, ctl.Progress.now().Sub(start))
}

// halfProvisioned says, on the comment, what a failed provision left behind.
func (ctl *Controller) halfProvisioned(cn, vm, step string, spawned bool, ret *Result) {
	if !spawned || ctl.Test {
		return
	}
	ret.Comment(ctl.Paint.Red(fmt.Sprintf("%s on %s is spawned but NOT fully provisioned (stopped at step %s): rerun mc_cloud_lxc.provision %s, or remove it with mc_cloud_lxc.destroy_vm %s", vm, cn, step, vm, vm)) + "\n")
}

// mergeFlat folds a sub-result (comment, output, trace, changes, result)
// into ret without merge_results' extra newlines (the steps share one
// comment stream in makina-states).
func mergeFlat(ret, sub *Result) {
	m := sub.Map()
	if !sub.OK() {
		ret.Fail()
	}
	s, _ := m.String("comment")
	ret.Comment(s)
	s, _ = m.String("output")
	ret.Output(s)
	s, _ = m.String("trace")
	ret.Trace(s)
	ch, _ := m.Get("changes")
	if chm, ok := ch.(*data.Map); ok && chm.Len() > 0 {
		dictUpdateResult(ret, chm)
	}
}

// vmPing waits for the new VM minion to answer test.ping through the
// controller's master of the VM's mode (masterFor). A key that master
// rejected or denied is said so, before and after the tries.
func (ctl *Controller) vmPing(ctx context.Context, cn, vm, mode string, ret *Result) bool {
	p := ctl.Paint
	who := cn + "/" + vm
	if ctl.Test {
		ctl.Progress.Step(who, "ping", "skipped", "test", 0)
		return true
	}
	start := ctl.Progress.now()
	m, err := ctl.masterFor(mode)
	if err == nil {
		err = m.rejected(vm)
	}
	if err == nil {
		err = reachable(ctx, m.node, vm, ctl.PingTries, ctl.PingTimeout)
		if rerr := m.rejected(vm); err != nil && rerr != nil {
			err = rerr
		}
	}
	took := ctl.Progress.now().Sub(start)
	if err != nil {
		ret.Fail()
		ret.Comment(p.Red(fmt.Sprintf("The minion of %s did not sign in (mode %s): %v", vm, mode, err)) + "\n")
		ret.Trace(fmt.Sprintf("%s: ping: %v\n", who, err))
		ctl.Progress.Step(who, "ping", "failed", err.Error(), took)
		return false
	}
	ret.Comment(p.Green(fmt.Sprintf("%s answers through %s", vm, m.what())) + "\n")
	ctl.Progress.Step(who, "ping", "ok", "minion signed in to "+m.what(), took)
	return true
}

// vmMinionPub is the VM minion's public key, written by initial_setup in
// the stack of the VM's mode (/etc/mastersalt in mastersalt mode, else
// /etc/salt).
func vmMinionPub(mode string) string {
	return path.Join(config.FlavourForMode(mode).ConfigDir, "pki", "minion", "minion.pub")
}

// acceptVMKey asks the node for the VM minion's public key (generated in
// the VM by initial_setup) and pre-accepts it on the master, as
// salt-cloud's accept_key does: <pki_dir>/minions/<vm>. A different key
// already accepted under that id is replaced, and said so.
func (ctl *Controller) acceptVMKey(ctx context.Context, cn, vm, mode string, ret *Result) error {
	vmMinionPub := vmMinionPub(mode)
	raw, rc, err := ctl.Node.Call(ctx, cn, NodeFunctions.Run, nil, data.M("name", vm, "cmd", "cat "+vmMinionPub), ctl.StepTimeout)
	if err != nil {
		return err
	}
	pub, ok := raw.(string)
	if rc != 0 || !ok || !strings.Contains(pub, "PUBLIC KEY") {
		return fmt.Errorf("reading %s in %s on %s gave no public key: %v", vmMinionPub, vm, cn, raw)
	}
	pub = strings.TrimSpace(pub) + "\n"
	if _, err := crypt.ParsePublicKeyPEM([]byte(pub)); err != nil {
		return fmt.Errorf("the public key of %s is not usable: %w", vm, err)
	}
	m, err := ctl.masterFor(mode)
	if err != nil {
		return fmt.Errorf("vm %s (mode %s): %w", vm, mode, err)
	}
	dir := m.pkiDir()
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("the pki_dir %s of %s is not a directory here (run the runner on the master host): %v", dir, m.what(), err)
	}
	if err := m.rejected(vm); err != nil {
		return err
	}
	k := filepath.Join(dir, crypt.MinionsDir, vm)
	cur, err := os.ReadFile(k)
	if err == nil && crypt.KeysEqual(string(cur), pub) {
		return nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(k), 0o700); err != nil {
		return err
	}
	if err := atomicfile.Write(k, []byte(pub), 0o644); err != nil {
		return err
	}
	what := "accepted"
	if cur != nil && !bytes.Equal(cur, []byte(pub)) {
		what = "replaced (the previous key of that id was different)"
	}
	_ = os.Remove(filepath.Join(dir, crypt.MinionsPreDir, vm))
	ret.SetChangeIn("minion_keys", vm, what)
	ret.Comment(ctl.Paint.Green(fmt.Sprintf("  minion key of %s %s on %s", vm, what, m.what())) + "\n")
	return nil
}

// provisionVMs provisions vms (per compute node) in parallel, at most
// Concurrency at once; results are merged in name order.
func (ctl *Controller) provisionVMs(ctx context.Context, work map[string][]string, steps []string, ret *Result) {
	type job struct{ cn, vm string }
	var jobs []job
	var cns []string
	for cn := range work {
		cns = append(cns, cn)
	}
	sort.Strings(cns)
	reachable := map[string]bool{}
	for _, cn := range cns {
		sub := NewResult()
		if ctl.checkCN(ctx, cn, sub, false) {
			reachable[cn] = true
		} else {
			mergeFlat(ret, sub)
			for _, vm := range work[cn] {
				ret.AppendChangeIn("vms_in_error", cn, vm)
			}
		}
	}
	for _, cn := range cns {
		if !reachable[cn] {
			continue
		}
		for _, vm := range work[cn] {
			jobs = append(jobs, job{cn, vm})
		}
	}
	results := collect(ctx, ctl.Concurrency, jobs, func(ctx context.Context, j job, sub *Result) {
		if err := ctx.Err(); err != nil {
			ctl.fail(sub, fmt.Sprintf("%s/%s not provisioned: %v", j.cn, j.vm, err))
		} else {
			ctl.provisionVM(ctx, j.cn, j.vm, steps, sub)
		}
	})
	for i, j := range jobs {
		sub := results[i]
		mergeFlat(ret, sub)
		if !sub.OK() {
			ret.AppendChangeIn("vms_in_error", j.cn, j.vm)
		}
	}
}

// destroyVM removes a VM: the container on its compute node, then its
// minion key on the master (what salt-cloud -d <name> did).
func (ctl *Controller) destroyVM(ctx context.Context, cn, vm string, ret *Result) {
	p := ctl.Paint
	who := cn + "/" + vm
	ret.Comment(p.Yellow(fmt.Sprintf("LXC: Destroying vm %s\n", who)))
	var ok bool
	if ctl.Test {
		raw, rc, err := ctl.Node.Call(ctx, cn, NodeFunctions.Exists, nil, data.M("name", vm), ctl.StepTimeout)
		ok = err == nil && rc == 0
		switch {
		case !ok:
			ret.Fail()
			ret.Comment(p.Red(fmt.Sprintf("  cannot tell whether %s exists on %s: %v %v", vm, cn, err, raw)) + "\n")
		case raw == true:
			ret.SetChangeIn(cn, vm, "would be destroyed")
		default:
			ret.Comment(p.Yellow(fmt.Sprintf("  %s does not exist on %s", vm, cn)) + "\n")
		}
	} else {
		ok = ctl.nodeStep(ctx, cn, who, "destroy", NodeFunctions.Destroy, nil, data.M("vm", vm, "compute_node", cn), ret, []string{cn, vm, "destroy"})
	}
	ret.Comment(p.Yellow(fmt.Sprintf("  Container %s on %s: ", vm, cn)) + p.Status(ok) + "\n")
	if !ok {
		ret.Comment(p.Red(fmt.Sprintf("the minion key of %s is kept on the master since its container may still exist", vm)) + "\n")
		return
	}
	ctl.deleteKey(ctx, vm, ret)
}

// deleteKey removes the VM's minion key with the key.delete wheel of
// each controller master holding it (the runner's, and the other mode's
// when its config exists: keyMasters).
func (ctl *Controller) deleteKey(ctx context.Context, vm string, ret *Result) {
	p := ctl.Paint
	start := ctl.Progress.now()
	found := false
	for _, m := range ctl.keyMasters() {
		present := false
		for _, d := range []string{crypt.MinionsDir, crypt.MinionsPreDir, crypt.MinionsRejectedDir, crypt.MinionsDeniedDir} {
			if _, err := os.Stat(filepath.Join(m.pkiDir(), d, vm)); err == nil {
				present = true
			}
		}
		if !present {
			continue
		}
		found = true
		if ctl.Test {
			ret.SetChangeIn("minion_keys", vm, "would be deleted")
			ret.Comment(p.Yellow(fmt.Sprintf("  Minion key of %s: would be deleted", vm)) + "\n")
			continue
		}
		d, err := m.node.Wheel(ctx, "key.delete", data.M("match", vm))
		if err == nil {
			if s, _ := d.Get("success"); s == false {
				r, _ := d.Get("return")
				err = fmt.Errorf("key.delete: %v", r)
			}
		}
		if err != nil {
			ret.Fail()
			ret.Comment(p.Yellow(fmt.Sprintf("  Minion key of %s on %s: ", vm, m.what())) + p.Red(err.Error()) + "\n")
			ret.Trace(fmt.Sprintf("%s: key.delete on %s: %v\n", vm, m.what(), err))
			ctl.Progress.Step(vm, "key.delete", "failed", err.Error(), ctl.Progress.now().Sub(start))
			continue
		}
		ret.SetChangeIn("minion_keys", vm, "deleted")
		ret.Comment(p.Yellow(fmt.Sprintf("  Minion key of %s: ", vm)) + p.Green("deleted") + "\n")
		ctl.Progress.Step(vm, "key.delete", "ok", "deleted from "+m.what(), ctl.Progress.now().Sub(start))
	}
	if !found {
		ret.Comment(p.Yellow(fmt.Sprintf("  Minion key of %s: none on the master", vm)) + "\n")
		ctl.Progress.Step(vm, "key.delete", "ok", "no key", ctl.Progress.now().Sub(start))
	}
}
