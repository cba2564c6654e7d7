package provision_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/saltgo/saltgo/lxc/liblxc"
	"github.com/saltgo/saltgo/lxc/lxctest"
	"github.com/saltgo/saltgo/lxc/provision"
)

type linkJSON struct {
	Flags    []string `json:"flags"`
	LinkInfo struct {
		InfoKind string `json:"info_kind"`
	} `json:"linkinfo"`
	AddrInfo []struct {
		Family    string `json:"family"`
		Local     string `json:"local"`
		PrefixLen int    `json:"prefixlen"`
	} `json:"addr_info"`
}

func showLink(t *testing.T, ns, dev string) linkJSON {
	t.Helper()
	out, err := exec.Command("ip", "-n", ns, "-j", "-d", "addr", "show", "dev", dev).Output()
	if err != nil {
		t.Fatalf("ip addr show %s: %v", dev, err)
	}
	var l []linkJSON
	if err := json.Unmarshal(out, &l); err != nil || len(l) != 1 {
		t.Fatalf("ip output %s: %v", out, err)
	}
	return l[0]
}

func TestInstallLXCPackagesAndBridge(t *testing.T) {
	lxctest.Require(t)
	t.Parallel()
	ns := lxctest.NewNetns(t, "", "", 0)
	ctx := lxctest.Context(t)
	pm := &lxctest.Packages{Installed: map[string]bool{"lxc": true}}
	br := provision.Bridge{Name: "lxcbr1", Gateway: "10.5.0.1", Prefix: 16, Netns: ns.Name}
	r, err := provision.InstallLXC(ctx, pm, nil, br)
	if err != nil || !r.Result {
		t.Fatalf("install_lxc: %v %+v", err, r)
	}
	if !reflect.DeepEqual(pm.Calls, [][]string{{"lxc-templates"}}) {
		t.Fatalf("installs: %v", pm.Calls)
	}
	if v, _ := r.Changes.Get("installed"); !reflect.DeepEqual(v, []any{"lxc-templates"}) {
		t.Fatalf("changes: %v", r.Changes)
	}
	l := showLink(t, ns.Name, "lxcbr1")
	if l.LinkInfo.InfoKind != "bridge" || !slices.Contains(l.Flags, "UP") || len(l.AddrInfo) == 0 ||
		l.AddrInfo[0].Local != "10.5.0.1" || l.AddrInfo[0].PrefixLen != 16 {
		t.Fatalf("bridge: %+v", l)
	}
	// Idempotence: nothing installed, nothing changed.
	r2, err := provision.InstallLXC(ctx, pm, nil, br)
	if err != nil || r2.Changed() || len(pm.Calls) != 1 || !strings.Contains(r2.Comment, "already") {
		t.Fatalf("second run: %v %+v calls=%v", err, r2, pm.Calls)
	}
	// A bridge that lost its address and went down is repaired.
	ns.MustIP(t, "addr", "flush", "dev", "lxcbr1")
	ns.MustIP(t, "link", "set", "lxcbr1", "down")
	r3, err := provision.InstallLXC(ctx, pm, nil, br)
	if err != nil || !r3.Changed() {
		t.Fatalf("repair: %v %+v", err, r3)
	}
	if l := showLink(t, ns.Name, "lxcbr1"); !slices.Contains(l.Flags, "UP") || l.AddrInfo[0].Local != "10.5.0.1" {
		t.Fatalf("repaired bridge: %+v", l)
	}
	// A non-bridge interface with the bridge's name is refused.
	ns.MustIP(t, "link", "add", "notabr0", "type", "veth", "peer", "name", "notabr0p")
	if _, err := provision.InstallLXC(ctx, pm, nil, provision.Bridge{Name: "notabr0", Gateway: "10.6.0.1", Prefix: 16, Netns: ns.Name}); err == nil || !strings.Contains(err.Error(), "not a bridge") {
		t.Fatalf("dummy as bridge: %v", err)
	}
	for _, bad := range []provision.Bridge{{Name: "x", Gateway: "nope", Prefix: 16}, {Name: "x", Gateway: "10.0.0.1", Prefix: 40}, {Name: "bad/name", Gateway: "10.0.0.1", Prefix: 8}} {
		if _, err := provision.EnsureBridge(ctx, bad); err == nil {
			t.Errorf("bridge %+v accepted", bad)
		}
	}
}

func TestAptMissing(t *testing.T) {
	lxctest.Require(t)
	// CI installs lxc; the check never installs anything.
	m, err := provision.Apt{}.Missing(lxctest.Context(t), []string{"lxc", "saltgo-no-such-package"})
	if err != nil || !reflect.DeepEqual(m, []string{"saltgo-no-such-package"}) {
		t.Fatalf("missing = %v, %v", m, err)
	}
	if _, err := (provision.Apt{}).Missing(lxctest.Context(t), []string{"-o"}); err == nil {
		t.Fatal("option-like package name accepted")
	}
}

// treeEntry is what rsync -aH --numeric-ids preserves of one entry.
type treeEntry struct {
	Mode     os.FileMode
	UID, GID uint32
	Size     int64
	MTime    int64
	Link     string
	Rdev     uint64
	// Group is the first path sharing the entry's inode (hard links).
	Group string
}

func snapshotTree(t *testing.T, root string, skipTop ...string) map[string]treeEntry {
	t.Helper()
	out := map[string]treeEntry{}
	first := map[uint64]string{}
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if slices.Contains(skipTop, rel) {
			if fi.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		st := fi.Sys().(*syscall.Stat_t)
		// rsync compares times in whole seconds (a directory changed in
		// the second of the sync keeps the sync's time).
		e := treeEntry{Mode: fi.Mode(), UID: st.Uid, GID: st.Gid, MTime: fi.ModTime().Unix(), Rdev: st.Rdev}
		if fi.Mode().IsRegular() {
			e.Size = fi.Size()
			if f, ok := first[st.Ino]; ok {
				e.Group = f
			} else {
				first[st.Ino] = rel
				e.Group = rel
			}
		}
		if fi.IsDir() && rel != "." {
			e.Size = 0
		}
		if fi.Mode()&os.ModeSymlink != 0 {
			e.Link, _ = os.Readlink(p)
			e.MTime = 0
		}
		if rel == "." {
			e.MTime = 0
		}
		out[rel] = e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func diffTrees(a, b map[string]treeEntry) []string {
	var d []string
	for k, v := range a {
		if w, ok := b[k]; !ok {
			d = append(d, "only in first: "+k)
		} else if v != w {
			d = append(d, fmt.Sprintf("%s: %+v != %+v", k, v, w))
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			d = append(d, "only in second: "+k)
		}
	}
	slices.Sort(d)
	if len(d) > 10 {
		d = d[:10]
	}
	return d
}

func TestSyncImageRsyncAndGoFallback(t *testing.T) {
	lxctest.Require(t)
	t.Parallel()
	ns := lxctest.NewNetns(t, "lxcbr1", "10.5.0.1", 16)
	srcC := lxctest.Client(t, ns)
	c := lxctest.Client(t, ns)
	ctx := lxctest.Context(t)
	if err := srcC.Create(ctx, &liblxc.Plan{Name: "src", Template: "busybox", Backend: "dir"}); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(srcC.Path(), "src")
	// Special entries the copy must keep: a fifo, a setuid file, an owner by number.
	if err := syscall.Mkfifo(filepath.Join(src, "rootfs", "tmp", "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	odd := filepath.Join(src, "rootfs", "root", "odd")
	if err := os.WriteFile(odd, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(odd, 12345, 54321); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct{ name, rsync string }{{"makina-states-precise", ""}, {"go-image", "-"}} {
		img := provision.Image{Name: tc.name, Source: src}
		r, err := provision.SyncImage(ctx, c, img, provision.SyncOptions{Rsync: tc.rsync})
		if err != nil || !r.Changed() || !r.Changes.Has("created") {
			t.Fatalf("%s: first sync: %v %+v", tc.name, err, r)
		}
		dst := filepath.Join(c.Path(), tc.name)
		if d := diffTrees(snapshotTree(t, src, "config"), snapshotTree(t, dst, "config")); len(d) > 0 {
			t.Fatalf("%s: copy differs from source:\n%s", tc.name, strings.Join(d, "\n"))
		}
		conf, _ := os.ReadFile(filepath.Join(dst, "config"))
		if !strings.Contains(string(conf), "lxc.rootfs.path = dir:"+filepath.Join(dst, "rootfs")) ||
			!strings.Contains(string(conf), "lxc.uts.name = "+tc.name) || strings.Contains(string(conf), src+"/") {
			t.Fatalf("%s: config:\n%s", tc.name, conf)
		}
		r2, err := provision.SyncImage(ctx, c, img, provision.SyncOptions{Rsync: tc.rsync})
		if err != nil || r2.Changed() {
			t.Fatalf("%s: second sync changed: %v %+v", tc.name, err, r2.Changes)
		}
	}
	// rsync agrees that the Go copy is complete.
	out, err := exec.Command("rsync", "-aHn", "--delete", "--numeric-ids", "-i", "--exclude=/config", src+"/", filepath.Join(c.Path(), "go-image")+"/").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Fatalf("rsync -n over the Go copy: %v\n%s", err, out)
	}

	// Source updates (new file, deleted file) propagate, deletions included.
	if err := os.WriteFile(filepath.Join(src, "rootfs", "etc", "motd"), []byte("v2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(src, "rootfs", "root", "odd")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, rsync string }{{"makina-states-precise", ""}, {"go-image", "-"}} {
		r, err := provision.SyncImage(ctx, c, provision.Image{Name: tc.name, Source: src}, provision.SyncOptions{Rsync: tc.rsync})
		if err != nil || !r.Changes.Has("synced") || r.Changes.Has("created") {
			t.Fatalf("%s: update: %v %+v", tc.name, err, r)
		}
		dst := filepath.Join(c.Path(), tc.name)
		if _, err := os.Stat(filepath.Join(dst, "rootfs", "root", "odd")); !os.IsNotExist(err) {
			t.Fatalf("%s: deleted file kept: %v", tc.name, err)
		}
		if d := diffTrees(snapshotTree(t, src, "config"), snapshotTree(t, dst, "config")); len(d) > 0 {
			t.Fatalf("%s: copy differs after update:\n%s", tc.name, strings.Join(d, "\n"))
		}
	}

	// The synced image is a usable origin: an overlayfs clone of the
	// default origin starts with its static IP.
	s := &provision.Settings{Name: lxctest.Unique("img"), ProfileType: "overlayfs", Bridge: "lxcbr1",
		IP: "10.5.0.60", Netmask: "16", Gateway: "10.5.0.1", MAC: "00:16:3e:5a:00:60"}
	mustSpawn(t, c, s)
	if out, err := c.Run(ctx, s.Name, []string{"cat", "/etc/motd"}, nil, nil); err != nil || string(out.Stdout) != "v2\n" {
		t.Fatalf("clone sees %q, %v", out.Stdout, err)
	}
	if _, err := provision.Destroy(ctx, c, s.Name, ""); err != nil {
		t.Fatal(err)
	}

	// Bad sources fail clearly.
	if _, err := provision.SyncImage(ctx, c, provision.Image{Name: "bad", Source: t.TempDir()}, provision.SyncOptions{}); err == nil || !strings.Contains(err.Error(), "no rootfs") {
		t.Fatalf("empty source: %v", err)
	}
	if _, err := provision.SyncImage(ctx, c, provision.Image{Name: "../x", Source: src}, provision.SyncOptions{}); err == nil {
		t.Fatal("bad image name accepted")
	}
}
