package mccloudlxc

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/saltgo/saltgo/data"
)

// imagesRig is a rig in the default transfer mode: the controller's
// images under images/, archives served from file_roots.
func imagesRig(t *testing.T, withRoots bool) (*rig, *[]*data.Map) {
	t.Helper()
	n := healthyNode("cn1", "cn2")
	var mu sync.Mutex
	var got []*data.Map
	n.set(NodeFunctions.Images, func(_ string, kw *data.Map) (any, int) {
		mu.Lock()
		got = append(got, kw)
		mu.Unlock()
		return data.M("result", true, "comment", "ok", "changes", data.NewMap()), 0
	})
	r := newRig(t, n, seedPillar)
	r.opts.Delete(OptImagesTransfer)
	r.opts.Set(OptImagesSource, filepath.Join(r.dir, "images"))
	if withRoots {
		r.opts.Set("file_roots", data.M("base", []any{filepath.Join(r.dir, "srv")}))
	}
	return r, &got
}

func TestSyncImagesThroughMaster(t *testing.T) {
	r, got := imagesRig(t, true)
	img := filepath.Join(r.dir, "images", "makina-states-trusty")
	must(t, os.MkdirAll(filepath.Join(img, "rootfs", "etc"), 0o755))
	must(t, os.WriteFile(filepath.Join(img, "config"), []byte("lxc.uts.name = x\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(img, "rootfs", "etc", "hostname"), []byte("x\n"), 0o644))

	ret := r.call(t, "sync_images", "cn1")
	if !data.Truthy(mustGet(ret, "result")) {
		t.Fatalf("sync_images: %v", ret)
	}
	if len(*got) != 1 {
		t.Fatalf("configure_images called %d times", len(*got))
	}
	arch, _ := (*got)[0].Get("archives")
	l, _ := arch.([]any)
	if len(l) != 1 {
		t.Fatalf("archives: %v", arch)
	}
	a := l[0].(*data.Map)
	ver, _ := a.String("version")
	for k, want := range map[string]string{"name": "makina-states-trusty", "saltenv": "base", "url": "salt://mc_cloud_lxc_images/makina-states-trusty/" + ver + ".tar", "source_dir": img} {
		if v, _ := a.String(k); v != want {
			t.Errorf("archive %s = %q, want %q", k, v, want)
		}
	}
	if _, err := os.Stat(filepath.Join(r.dir, "srv", "mc_cloud_lxc_images", "makina-states-trusty", ver+".tar")); err != nil {
		t.Errorf("archive not in the file server's root: %v", err)
	}
	if !strings.Contains(r.progress.String(), "[ctl.example.com] pack makina-states-trusty: ok (version "+ver) {
		t.Errorf("progress: %s", r.progress.String())
	}
	// An unchanged image is not packed again.
	before := r.progress.String()
	r.call(t, "sync_images", "cn1")
	if after := strings.TrimPrefix(r.progress.String(), before); strings.Contains(after, "pack ") {
		t.Errorf("unchanged image packed again: %s", after)
	}
	// The compute node without VMs is skipped, a dry run prepares nothing.
	r.call(t, "sync_images", "cn2")
	r.call(t, "install_vt", "cn1", "test=True")
	if len(*got) != 2 {
		t.Errorf("configure_images called %d times, want 2", len(*got))
	}
}

func TestSyncImagesBadInput(t *testing.T) {
	for _, tc := range []struct {
		name  string
		roots bool
		want  string
	}{
		{"no file_roots", false, "the master has no file_roots to serve the images from: add a mc_cloud_lxc_images (or base) environment to file_roots"},
		{"default image cannot be created", true, "the controller has no image makina-states-trusty and creating it from the LXC template no-such-template failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, got := imagesRig(t, tc.roots)
			r.opts.Set(OptImageTemplate, "no-such-template")
			ret := r.call(t, "install_vt", "cn1")
			c := fmt.Sprint(mustGet(ret, "comment"))
			if mustGet(ret, "result") != false || !strings.Contains(c, tc.want) || !strings.Contains(c, "LXC: images failed to synchronnise on cn1") {
				t.Errorf("comment:\n%s", c)
			}
			if len(*got) != 0 {
				t.Errorf("the node was asked to sync: %v", *got)
			}
			if ents, _ := os.ReadDir(filepath.Join(r.dir, "images")); len(ents) != 0 {
				t.Errorf("left behind on the controller: %v", ents)
			}
		})
	}
}

func mustGet(m *data.Map, k string) any {
	v, _ := m.Get(k)
	return v
}
