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
	// way when ssh keys are set up).
	OptImagesTransfer = "mc_cloud_lxc.images_transfer"
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
	return optString(ctl.Opts, OptImagesSource, def)
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
// the master (the default) rather than syncing a directory on the node.
func (ctl *Controller) imagesByMaster() bool {
	return optString(ctl.Opts, OptImagesTransfer, "master") != "path"
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
