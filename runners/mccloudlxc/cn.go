package mccloudlxc

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/saltgo/saltgo/data"
)

// NodeFunctions are the execution functions (module mc_cloud_lxc on the
// compute node's saltgo minion, see modules/mccloudlxc) that the
// runner's steps call.
var NodeFunctions = struct {
	Grains, InstallLXC, Images string
	// VMStep is the prefix of the VM steps: VMStep+"spawn"...
	VMStep, Destroy string
	// Exists and Run are Salt's lxc.exists and lxc.run (dry runs, and
	// reading the new VM minion's public key).
	Exists, Run string
}{
	Grains:     "mc_cloud_lxc.configure_grains",
	InstallLXC: "mc_cloud_lxc.configure_install_lxc",
	Images:     "mc_cloud_lxc.configure_images",
	VMStep:     "mc_cloud_lxc.vm_",
	Destroy:    "mc_cloud_lxc.destroy_vm",
	Exists:     "lxc.exists",
	Run:        "lxc.run",
}

// cnSteps are install_vt's steps, in order (makina-states' "what").
var cnSteps = []string{"grains", "install_lxc", "images"}

// cnStepFun maps an install_vt step to its node function.
func cnStepFun(what string) string {
	switch what {
	case "grains":
		return NodeFunctions.Grains
	case "install_lxc":
		return NodeFunctions.InstallLXC
	case "images":
		return NodeFunctions.Images
	}
	return ""
}

// cnStepKwargs are the keyword arguments of a compute-node step: the node
// reads its LXC settings from its own pillar; the images step gets the
// image names and either the archives the runner prepared (added by
// cnConfigure, the default) or, with images_transfer: path and the master
// option mc_cloud_lxc.images_source set, the source directory (a path on
// the node).
func (ctl *Controller) cnStepKwargs(what string) *data.Map {
	kw := data.NewMap()
	if what == "images" {
		kw.Set("images", ctl.imageNames())
		if ctl.imagesByMaster() {
			return kw
		}
		if src := optString(ctl.Opts, OptImagesSource, ""); src != "" {
			kw.Set("source", src)
		}
	}
	return kw
}

func (ctl *Controller) imageNames() []any {
	out := []any{}
	for _, im := range ctl.Settings.Images.LXC {
		out = append(out, im.Name)
	}
	return out
}

// checkCN fails ret with a clear line when cn is not a compute node the
// pillar declares or its minion is not reachable.
func (ctl *Controller) checkCN(ctx context.Context, cn string, ret *Result, declared bool) bool {
	p := ctl.Paint
	if cn == "" {
		ret.Fail()
		ret.Comment(p.Red("No compute node given") + "\n")
		return false
	}
	if declared {
		if _, ok := ctl.VMsOf(cn); !ok {
			ret.Fail()
			ret.Comment(p.Red(fmt.Sprintf("%s is not a compute node declared in the pillar of the controller %s (makina-states.cloud.lxc.vms.%s); declared: %s", cn, ctl.ID, cn, listOrNone(ctl.ComputeNodes()))) + "\n")
			return false
		}
	}
	start := ctl.Progress.now()
	if err := ctl.Reachable(ctx, cn); err != nil {
		ret.Fail()
		ret.Comment(p.Red(err.Error()) + "\n")
		ret.Trace(fmt.Sprintf("%s: %v\n", cn, err))
		ctl.Progress.Step(cn, "ping", "failed", err.Error(), ctl.Progress.now().Sub(start))
		return false
	}
	return true
}

func listOrNone(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}

// cnConfigure is makina-states' _cn_configure: one step on the compute
// node, with its comment lines; a failure marks ret and never stops.
func (ctl *Controller) cnConfigure(ctx context.Context, what, cn string, ret *Result) bool {
	p := ctl.Paint
	ret.Comment(p.Yellow(fmt.Sprintf("LXC: Installing %s on compute node %s\n", what, cn)))
	fun := cnStepFun(what)
	var ok bool
	if ctl.Test {
		ok = true
		if what == "images" && ctl.imagesByRsync() {
			ret.SetChangeIn(cn, what, "would push the images with rsync over ssh")
			ctl.Progress.Step(cn, what, "ok", "would push the images with rsync over ssh", 0)
		} else {
			ret.SetChangeIn(cn, what, "would run "+fun+kwText(ctl.cnStepKwargs(what)))
			ctl.Progress.Step(cn, what, "ok", "would run "+fun, 0)
		}
	} else {
		kw := ctl.cnStepKwargs(what)
		if what == "images" && ctl.imagesByRsync() {
			ok = ctl.pushImages(ctx, cn, ret)
			ret.Comment(p.Yellow(fmt.Sprintf("  Installation on %s: ", cn)) + p.Status(ok) + "\n")
			return ok
		}
		if what == "images" && ctl.imagesByMaster() {
			archives, comments, err := ctl.prepareImages(ctx)
			for _, c := range comments {
				ret.Comment(p.Yellow("LXC: "+c) + "\n")
			}
			if err != nil {
				ctl.fail(ret, "  "+oneLine(err.Error()))
				ret.Trace(fmt.Sprintf("%s: images: %v\n", ctl.ID, err))
				ctl.Progress.Step(ctl.ID, "images", "failed", err.Error(), 0)
				ret.Comment(p.Yellow(fmt.Sprintf("  Installation on %s: ", cn)) + p.Status(false) + "\n")
				return false
			}
			kw.Set("archives", archives)
		}
		start := ctl.Progress.now()
		ok = ctl.nodeStep(ctx, cn, cn, what, fun, nil, kw, ret, []string{cn, what})
		if what == "images" {
			ctl.sentLines(cn, kw, ret, ctl.Progress.now().Sub(start))
		}
	}
	ret.Comment(p.Yellow(fmt.Sprintf("  Installation on %s: ", cn)) + p.Status(ok) + "\n")
	return ok
}

// kwText renders keyword arguments as " k=v ..." for messages.
func kwText(kw *data.Map) string {
	var b strings.Builder
	kw.Range(func(k, v any) bool {
		fmt.Fprintf(&b, " %v=%s", k, data.Str(v))
		return true
	})
	return b.String()
}

// nodeStep calls one node function and records it in ret: output gets
// "<who>: <fun>: <comment>", changes[path...] the step's changes, a
// failure result False plus the reason in output and trace. It prints the
// progress line and reports success.
func (ctl *Controller) nodeStep(ctx context.Context, node, who, step, fun string, args []any, kw *data.Map, ret *Result, changePath []string) bool {
	start := ctl.Progress.now()
	raw, rc, err := ctl.Node.Call(ctx, node, fun, args, kw, ctl.StepTimeout)
	var sr *StepReturn
	if err == nil {
		sr, err = parseStepReturn(node, fun, raw, rc)
	}
	took := ctl.Progress.now().Sub(start)
	if err != nil {
		ctl.fail(ret, "  "+oneLine(err.Error()))
		ret.Output(fmt.Sprintf("- %s\n%v\n", step, err))
		ret.Trace(fmt.Sprintf("%s: %s: %v\n", who, fun, err))
		status := "failed"
		if errors.Is(err, ErrUnreachable) {
			status = "unreachable"
		}
		ctl.Progress.Step(who, step, status, err.Error(), took)
		return false
	}
	status, detail := "ok", "no changes"
	if sr.Changes.Len() > 0 {
		detail = "changed"
		if ctl.Test {
			detail = "would change"
		}
		ret.SetChange(changePath[0], mergeAt(ret, changePath, sr.Changes))
	}
	if !sr.OK {
		ctl.fail(ret, "  "+oneLine(sr.Comment))
		status = "failed"
		detail = sr.Comment
		ret.Trace(fmt.Sprintf("%s: %s: %s\n", who, fun, sr.Comment))
	}
	ret.Output(fmt.Sprintf("%s: %s: %s\n", who, fun, oneLine(sr.Comment)))
	ctl.Progress.Step(who, step, status, detail, took)
	return sr.OK
}

// mergeAt returns changes[path[0]] with v set at path[1:].
func mergeAt(ret *Result, path []string, v *data.Map) *data.Map {
	ret.mu.Lock()
	cur, _ := ret.changes.Get(path[0])
	ret.mu.Unlock()
	top, ok := cur.(*data.Map)
	if !ok {
		top = data.NewMap()
	} else {
		top = top.Copy()
	}
	m := top
	for i, k := range path[1:] {
		if i == len(path)-2 {
			m.Set(k, v)
			break
		}
		next, _ := m.Get(k)
		nm, ok := next.(*data.Map)
		if !ok {
			nm = data.NewMap()
			m.Set(k, nm)
		}
		m = nm
	}
	if len(path) == 1 {
		return v
	}
	return top
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return "done"
	}
	return strings.ReplaceAll(s, "\n", " / ")
}

// installVT is mc_cloud_lxc.install_vt: the three compute-node steps then
// the image sync report, every step run, result False if one failed.
func (ctl *Controller) installVT(ctx context.Context, cn string, ret *Result) {
	p := ctl.Paint
	ret.Comment(p.Yellow(fmt.Sprintf("Installing lxc on %s\n", cn)))
	if ctl.Test {
		ret.Comment(p.Yellow("  (test=True: nothing is changed; changes list what would run)") + "\n")
	}
	if !ctl.checkCN(ctx, cn, ret, true) {
		return
	}
	imagesOK := true
	for _, what := range cnSteps {
		ok := ctl.cnConfigure(ctx, what, cn, ret)
		if what == "images" {
			imagesOK = ok
		}
	}
	ctl.syncReport(cn, imagesOK, ret)
}

// syncReport is the image-sync line of install_vt. In saltgo the images
// step is the sync (the node copies the templates from the image source),
// so this reports that step's outcome with makina-states' texts.
func (ctl *Controller) syncReport(cn string, ok bool, ret *Result) {
	p := ctl.Paint
	if ok {
		ret.Comment(p.Yellow(fmt.Sprintf("LXC: images synchronnised on %s\n", cn)))
		return
	}
	ret.Fail()
	ret.Comment(p.Yellow(fmt.Sprintf("LXC: images failed to synchronnise on %s\n", cn)))
}

// syncImages is the sync_images runner function for one compute node: the
// images step alone. Like makina-states, a compute node that declares no
// VM is skipped (success).
func (ctl *Controller) syncImages(ctx context.Context, cn string, ret *Result) {
	if vms, _ := ctl.VMsOf(cn); len(vms) == 0 {
		ctl.Progress.Step(cn, "images", "ok", "no vm declared: skipped", 0)
		ret.Comment(ctl.Paint.Yellow(fmt.Sprintf("LXC: images synchronnised on %s\n", cn)))
		return
	}
	ok := ctl.cnConfigure(ctx, "images", cn, ret)
	ctl.syncReport(cn, ok, ret)
}

func dictUpdateResult(ret *Result, ch *data.Map) {
	ret.mu.Lock()
	defer ret.mu.Unlock()
	dictUpdate(ret.changes, ch)
}
