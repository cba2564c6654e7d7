//go:build linux && cgo && !nolxc

package helper

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"

	golxc "github.com/lxc/go-lxc"

	"github.com/saltgo/saltgo/lxc/liblxc"
)

// createOptions is what a create plan asks of liblxc: the template (or
// "none", no template: a bare rootfs) with the plan's backing store, and
// for lvm the bdev specs (volume group, logical volume, size in bytes,
// filesystem type) that liblxc's lvm storage turns into `lvcreate -L
// <size>b <vg> -n <lv>` and `mkfs -t <fstype>`.
func createOptions(p *liblxc.Plan, template string) (golxc.TemplateOptions, error) {
	b, err := backend(p.Backend)
	if err != nil {
		return golxc.TemplateOptions{}, err
	}
	opts := golxc.TemplateOptions{Template: template, Backend: b, ExtraArgs: p.TemplateArgs}
	if p.Backend == "lvm" {
		if p.VG == "" || p.LV == "" || p.SizeBytes == 0 || p.FSType == "" {
			return golxc.TemplateOptions{}, fmt.Errorf("lxc: lvm plan of %s needs vg, lv, size and fstype (got vg=%q lv=%q size=%d fstype=%q)", p.Name, p.VG, p.LV, p.SizeBytes, p.FSType)
		}
		opts.BackendSpecs = &golxc.BackendStoreSpecs{FSType: p.FSType, FSSize: p.SizeBytes}
		opts.BackendSpecs.LVM.VG = p.VG
		opts.BackendSpecs.LVM.LV = p.LV
	}
	return opts, nil
}

// cloneLVM clones the (stopped, dir-backed) origin o onto a new logical
// volume: liblxc's own clone takes the volume group from the global
// lxc.bdev.lvm.vg and no size (go-lxc passes none), so the container is
// created bare on the plan's volume (createOptions with no template), the
// origin's configuration is copied (except rootfs, name, network and log
// keys, which are the new container's), and the origin's rootfs is
// copied onto the mounted volume with rsync -aHAX --numeric-ids. A failure
// destroys what was made (the volume included).
func cloneLVM(c, o *golxc.Container, req *liblxc.Request, withLog func(error) error) *liblxc.Response {
	p := req.Plan
	src := strings.TrimPrefix(first(o.ConfigItem("lxc.rootfs.path")), "dir:")
	if st, err := os.Stat(src); err != nil || !st.IsDir() {
		return liblxc.Fail(liblxc.CodeFailed, fmt.Errorf("lxc: clone %s onto lvm: the origin %s must have a dir rootfs (lxc.rootfs.path %q)", req.Name, p.Origin, first(o.ConfigItem("lxc.rootfs.path"))))
	}
	cfg, err := os.ReadFile(o.ConfigFileName())
	if err != nil {
		return liblxc.Fail(liblxc.CodeFailed, fmt.Errorf("lxc: clone %s: read the config of %s: %w", req.Name, p.Origin, err))
	}
	opts, err := createOptions(p, "none")
	if err != nil {
		return liblxc.Fail(liblxc.CodeFailed, err)
	}
	if err := c.Create(opts); err != nil {
		return liblxc.Fail(liblxc.CodeFailed, withLog(fmt.Errorf("clone %s from %s onto lvm %s/%s: %w", req.Name, p.Origin, p.VG, p.LV, err)))
	}
	undo := func(err error) *liblxc.Response {
		_ = c.Destroy()
		return liblxc.Fail(liblxc.CodeFailed, withLog(err))
	}
	scrubLog(c)
	for _, it := range originConfig(string(cfg)) {
		if err := c.SetConfigItem(it.Key, it.Value); err != nil {
			return undo(fmt.Errorf("clone %s: set %s = %q from %s: %w", req.Name, it.Key, it.Value, p.Origin, err))
		}
	}
	if err := c.SaveConfigFile(c.ConfigFileName()); err != nil {
		return undo(fmt.Errorf("save config of %s: %w", req.Name, err))
	}
	mnt, err := os.MkdirTemp("", "saltgo-lvm-clone-")
	if err != nil {
		return undo(err)
	}
	defer func() { _ = os.Remove(mnt) }()
	dev := "/dev/" + p.VG + "/" + p.LV
	ctx := context.Background()
	if out, err := exec.CommandContext(ctx, "mount", "-t", p.FSType, dev, mnt).CombinedOutput(); err != nil {
		return undo(fmt.Errorf("clone %s: mount %s: %w: %s", req.Name, dev, err, strings.TrimSpace(string(out))))
	}
	out, cerr := exec.CommandContext(ctx, "rsync", "-aHAX", "--numeric-ids", src+"/", mnt+"/").CombinedOutput()
	if uout, err := exec.CommandContext(ctx, "umount", mnt).CombinedOutput(); err != nil && cerr == nil {
		return undo(fmt.Errorf("clone %s: umount %s: %w: %s", req.Name, mnt, err, strings.TrimSpace(string(uout))))
	}
	if cerr != nil {
		return undo(fmt.Errorf("clone %s: copy the rootfs of %s onto %s: %w: %s", req.Name, p.Origin, dev, cerr, strings.TrimSpace(string(out))))
	}
	return liblxc.OK(true)
}

// originConfig returns the items of an origin's config file that a clone
// keeps, in order: everything but the rootfs, the name, the network and
// the log (the new container has its own).
func originConfig(text string) []liblxc.ConfItem {
	var out []liblxc.ConfItem
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case strings.HasPrefix(k, "lxc.rootfs"), k == "lxc.uts.name", strings.HasPrefix(k, "lxc.net"), strings.HasPrefix(k, "lxc.log"):
			continue
		}
		out = append(out, liblxc.ConfItem{Key: k, Value: v})
	}
	return out
}
