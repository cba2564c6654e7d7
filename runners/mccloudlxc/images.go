package mccloudlxc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sync"
	"time"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/lxc/liblxc"
	"github.com/saltgo/saltgo/lxc/provision"
)

// Image transfer options (master options, all optional).
const (
	// OptImagesTransfer is how the compute nodes get the images: "master"
	// (default: the runner packs each image of the controller's images
	// directory into an archive served by the master's file server, and
	// the node fetches it with its file client) or "path" (the node syncs
	// from the directory OptImagesSource names on the node, with rsync
	// where installed: a shared or rsync-reachable directory, makina's
	// way when ssh keys are set up) or "rsync" (the runner pushes each
	// image directory to the node with rsync over ssh, makina-states'
	// sync_images: see the OptRsync options).
	OptImagesTransfer = "mc_cloud_lxc.images_transfer"
	// OptRsyncHost is the address the runner reaches a compute node at
	// with images_transfer: rsync (default: the compute node's id). It is
	// a string, or a map of compute node id to address.
	OptRsyncHost = "mc_cloud_lxc.rsync_host"
	// OptRsyncPort is the node's ssh port (default 22; an int or a map
	// of compute node id to port).
	OptRsyncPort = "mc_cloud_lxc.rsync_port"
	// OptRsyncUser is the ssh user (default root; a string or a map).
	OptRsyncUser = "mc_cloud_lxc.rsync_user"
	// OptRsyncKey is the controller's private key (default: ssh's own
	// identities; makina-states used /root/.ssh/id_dsa).
	OptRsyncKey = "mc_cloud_lxc.rsync_key"
	// OptRsyncKnownHosts is ssh's known hosts file (default ssh's own).
	OptRsyncKnownHosts = "mc_cloud_lxc.rsync_known_hosts"
	// OptRsyncLXCPath is the node's LXC directory the images go to
	// (default /var/lib/lxc; a string or a map).
	OptRsyncLXCPath = "mc_cloud_lxc.rsync_lxcpath"
	// OptImagesSaltenv is the file server environment the archives are
	// served from (default mc_cloud_lxc_images). When the master's
	// file_roots have no such environment, the archives go under
	// mc_cloud_lxc_images/ in the first base root.
	OptImagesSaltenv = "mc_cloud_lxc.images_saltenv"
	// OptImageTemplate is the LXC template the default image is created
	// from when the controller has none yet (default ubuntu).
	OptImageTemplate = "mc_cloud_lxc.image_template"
)

// DefaultImagesSaltenv is OptImagesSaltenv's default.
const DefaultImagesSaltenv = "mc_cloud_lxc_images"

// imageSet is what the runner prepared for the images step, once per run.
type imageSet struct {
	once     sync.Once
	archives []any
	comments []string
	err      error
}

// imagesDir is the controller's directory of image containers.
func (ctl *Controller) imagesDir() string {
	def := "/var/lib/lxc"
	if ctl.Settings != nil && ctl.Settings.Images.ImagesRoot != "" {
		def = ctl.Settings.Images.ImagesRoot
	}
	return optString(ctl.Opts, OptImagesSource, rootedOpt(ctl.Opts, def))
}

// archiveRoot finds where the archives are written and how they are named
// on the file server: a root directory, the saltenv and a path prefix.
func (ctl *Controller) archiveRoot() (dir, saltenv, prefix string, err error) {
	roots := fileRoots(ctl.Opts)
	env := optString(ctl.Opts, OptImagesSaltenv, DefaultImagesSaltenv)
	if l := roots[env]; len(l) > 0 {
		return l[0], env, "", nil
	}
	if l := roots["base"]; len(l) > 0 {
		return filepath.Join(l[0], DefaultImagesSaltenv), "base", DefaultImagesSaltenv + "/", nil
	}
	return "", "", "", fmt.Errorf("the master has no file_roots to serve the images from: add a %s (or base) environment to file_roots", env)
}

// fileRoots reads the master's file_roots option.
func fileRoots(opts *data.Map) map[string][]string {
	out := map[string][]string{}
	v, _ := opts.Get("file_roots")
	m, ok := v.(*data.Map)
	if !ok {
		return out
	}
	m.Range(func(k, v any) bool {
		l, _ := v.([]any)
		for _, e := range l {
			if s, ok := data.AsString(e); ok {
				out[fmt.Sprint(k)] = append(out[fmt.Sprint(k)], s)
			}
		}
		return true
	})
	return out
}

// prepareImages packs the controller's images for the master's file
// server (once per runner call; unchanged images are not packed again).
// The default image (the first one) is created from the LXC template when
// the controller has none.
func (ctl *Controller) prepareImages(ctx context.Context) ([]any, []string, error) {
	ctl.images.once.Do(func() {
		ctl.images.archives, ctl.images.comments, ctl.images.err = ctl.doPrepareImages(ctx)
	})
	return ctl.images.archives, ctl.images.comments, ctl.images.err
}

func (ctl *Controller) doPrepareImages(ctx context.Context) ([]any, []string, error) {
	root, saltenv, prefix, err := ctl.archiveRoot()
	if err != nil {
		return nil, nil, err
	}
	dir := ctl.imagesDir()
	var out []any
	var comments []string
	for i, name := range ctl.imageNames() {
		n := fmt.Sprint(name)
		src := filepath.Join(dir, n)
		if _, err := os.Stat(filepath.Join(src, "rootfs")); errors.Is(err, os.ErrNotExist) {
			if i > 0 {
				return nil, comments, fmt.Errorf("image %s does not exist on the controller (%s)", n, src)
			}
			tpl := optString(ctl.Opts, OptImageTemplate, "ubuntu")
			start := ctl.Progress.now()
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, comments, err
			}
			c := &liblxc.Client{LXCPath: dir}
			if err := c.Create(ctx, &liblxc.Plan{Name: n, Template: tpl, Backend: "dir"}); err != nil {
				return nil, comments, fmt.Errorf("the controller has no image %s and creating it from the LXC template %s failed: %w", n, tpl, err)
			}
			msg := fmt.Sprintf("the controller had no image %s: created it in %s from the LXC template %s", n, dir, tpl)
			comments = append(comments, msg)
			ctl.Progress.Step(ctl.ID, "image "+n, "created", "LXC template "+tpl, ctl.Progress.now().Sub(start))
		}
		start := ctl.Progress.now()
		progress := func(b int64) {
			ctl.Progress.Step(ctl.ID, "pack "+n, "running", fmt.Sprintf("%d MB", b>>20), ctl.Progress.now().Sub(start))
		}
		a, err := provision.PrepareImageArchive(ctx, n, src, filepath.Join(root, n), progress)
		if err != nil {
			return nil, comments, err
		}
		if a.Packed {
			took := ctl.Progress.now().Sub(start)
			ctl.Progress.Step(ctl.ID, "pack "+n, "ok", fmt.Sprintf("version %s, %s", a.Version, rate(a.Size, took)), took)
		}
		m := a.Map()
		m.Set("url", "salt://"+path.Join(prefix, n, a.Version+".tar"))
		m.Set("saltenv", saltenv)
		out = append(out, m)
	}
	return out, comments, nil
}

// rate renders a size and its throughput.
func rate(size int64, took time.Duration) string {
	s := fmt.Sprintf("%.1f MB", float64(size)/(1<<20))
	if sec := took.Seconds(); sec > 0 {
		s += fmt.Sprintf(", %.1f MB/s", float64(size)/(1<<20)/sec)
	}
	return s
}

// imagesByMaster tells whether the images step fetches archives through
// the master (the default) rather than syncing a directory on the node or
// pushing it with rsync.
func (ctl *Controller) imagesByMaster() bool {
	t := optString(ctl.Opts, OptImagesTransfer, "master")
	return t != "path" && t != "rsync"
}

// imagesByRsync tells whether the runner pushes the images to the nodes
// with rsync over ssh.
func (ctl *Controller) imagesByRsync() bool {
	return optString(ctl.Opts, OptImagesTransfer, "master") == "rsync"
}

// optFor reads an option that is either one value or a map of compute
// node id to value.
func optFor(opts *data.Map, key, cn string) (any, bool) {
	v, ok := opts.Get(key)
	if m, isMap := v.(*data.Map); isMap {
		v, ok = m.Get(cn)
	}
	if !ok || v == nil {
		return nil, false
	}
	return v, true
}

// optStringFor is optFor as a string, def when unset or empty.
func optStringFor(opts *data.Map, key, cn, def string) string {
	if v, ok := optFor(opts, key, cn); ok {
		if s, ok := data.AsString(v); ok && s != "" {
			return s
		}
	}
	return def
}

// rsyncTarget is how the runner reaches compute node cn over ssh.
func (ctl *Controller) rsyncTarget(cn string) (provision.SSHTarget, error) {
	t := provision.SSHTarget{
		Host:       optStringFor(ctl.Opts, OptRsyncHost, cn, cn),
		Port:       22,
		User:       optStringFor(ctl.Opts, OptRsyncUser, cn, "root"),
		Key:        optStringFor(ctl.Opts, OptRsyncKey, cn, ""),
		KnownHosts: optStringFor(ctl.Opts, OptRsyncKnownHosts, cn, ""),
	}
	if v, ok := optFor(ctl.Opts, OptRsyncPort, cn); ok {
		n, isInt := data.AsInt(v)
		if !isInt {
			_, err := fmt.Sscan(fmt.Sprint(v), &n)
			isInt = err == nil
		}
		if !isInt || n < 1 || n > 65535 {
			return t, fmt.Errorf("%s: %v is not a port", OptRsyncPort, data.Str(v))
		}
		t.Port = int(n)
	}
	return t, nil
}

// pushImages is the images step with images_transfer: rsync: each image
// of the controller's images directory is pushed to cn with rsync over
// ssh (provision.PushImage); an unchanged image is not sent. It records
// changes under changes[cn][images][name] and reports success.
func (ctl *Controller) pushImages(ctx context.Context, cn string, ret *Result) bool {
	t, err := ctl.rsyncTarget(cn)
	if err != nil {
		ctl.fail(ret, "  "+oneLine(err.Error()))
		ret.Trace(fmt.Sprintf("%s: images: %v\n", cn, err))
		ctl.Progress.Step(cn, "images", "failed", err.Error(), 0)
		return false
	}
	lxcpath := optStringFor(ctl.Opts, OptRsyncLXCPath, cn, "/var/lib/lxc")
	dir := ctl.imagesDir()
	ok := true
	for _, name := range ctl.imageNames() {
		n := fmt.Sprint(name)
		start := ctl.Progress.now()
		res, err := provision.PushImage(ctx, provision.ImagePush{Name: n, Source: filepath.Join(dir, n), LXCPath: lxcpath, Target: t})
		took := ctl.Progress.now().Sub(start)
		if err != nil {
			ok = false
			ctl.fail(ret, "  "+oneLine(err.Error()))
			ret.Output(fmt.Sprintf("- images\n%v\n", err))
			ret.Trace(fmt.Sprintf("%s: images: %v\n", cn, err))
			ctl.Progress.Step(cn, "image "+n, "failed", err.Error(), took)
			continue
		}
		ret.Output(fmt.Sprintf("%s: rsync: %s\n", cn, res.Comment))
		if res.Changes.Len() > 0 {
			ret.SetChange(cn, mergeAt(ret, []string{cn, "images", n}, res.Changes))
			ctl.Progress.Step(cn, "image "+n, "pushed", res.Comment, took)
		} else {
			ctl.Progress.Step(cn, "image "+n, "ok", "no changes", took)
		}
	}
	return ok
}

// sentLines prints one progress line per image the node installed from
// its archive in the images step that took took: size and throughput.
func (ctl *Controller) sentLines(cn string, kw *data.Map, ret *Result, took time.Duration) {
	arch, _ := kw.Get("archives")
	l, _ := arch.([]any)
	if len(l) == 0 {
		return
	}
	ret.mu.Lock()
	top, _ := ret.changes.Get(cn)
	ret.mu.Unlock()
	var changed *data.Map
	if m, ok := top.(*data.Map); ok {
		v, _ := m.Get("images")
		changed, _ = v.(*data.Map)
	}
	for _, e := range l {
		a, ok := e.(*data.Map)
		if !ok {
			continue
		}
		name, _ := a.String("name")
		ch, _ := changed.Get(name)
		if chm, ok := ch.(*data.Map); !ok || (!chm.Has("created") && !chm.Has("version")) {
			continue
		}
		size, _ := a.Get("size")
		n, _ := data.AsInt(size)
		ver, _ := a.String("version")
		ctl.Progress.Step(cn, "image "+name, "received", fmt.Sprintf("version %s, %s", ver, rate(n, took)), took)
	}
}
