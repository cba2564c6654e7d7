package provision

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/saltgo/saltgo/atomicfile"
)

// rootfsLayers returns where a stopped container's files can be read
// (upper first, then lower) and written (the first entry), from its
// lxc.rootfs.path: "dir:/p" or "/p" gives [/p]; "overlay:/lower:/upper"
// (or overlayfs:) gives [/upper, /lower]. Block-device backings (lvm,
// loop) are not mounted by saltgo and return an error.
func rootfsLayers(rootfsPath string) ([]string, error) {
	p := rootfsPath
	for _, pre := range []string{"overlayfs:", "overlay:", "dir:"} {
		p = strings.TrimPrefix(p, pre)
	}
	// liblxc reports an overlay rootfs as "/lower:/upper" (the type prefix
	// is dropped by get_config_item).
	if strings.HasPrefix(p, "/") {
		parts := strings.Split(p, ":")
		if len(parts) == 1 {
			return parts, nil
		}
		upper := parts[len(parts)-1]
		return append([]string{upper}, parts[:len(parts)-1]...), nil
	}
	return nil, fmt.Errorf("lxc: rootfs %q is not a directory or overlay: it cannot be edited before start", p)
}

// safePath joins rel under root and refuses any symlink on the way, so a
// container's own symlinks (which point inside the container) are never
// followed on the host.
func safePath(root, rel string) (string, error) {
	rel = filepath.Clean("/" + rel)
	cur := root
	parts := strings.Split(strings.TrimPrefix(rel, "/"), "/")
	for i, p := range parts {
		cur = filepath.Join(cur, p)
		fi, err := os.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			return filepath.Join(root, rel), nil
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&os.ModeSymlink != 0 && i < len(parts)-1 {
			return "", fmt.Errorf("lxc: %s: symlink in rootfs path, refusing to follow it", cur)
		}
	}
	return cur, nil
}

type rootfs struct{ layers []string }

// read returns a file's content from the topmost layer that has it.
func (r *rootfs) read(rel string) ([]byte, bool, error) {
	for _, l := range r.layers {
		p, err := safePath(l, rel)
		if err != nil {
			return nil, false, err
		}
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		if !fi.Mode().IsRegular() {
			return nil, false, nil
		}
		b, err := os.ReadFile(p)
		return b, err == nil, err
	}
	return nil, false, nil
}

// write replaces a file in the top layer atomically; a symlink in its place
// is replaced by the file.
func (r *rootfs) write(rel string, data []byte, mode os.FileMode) error {
	p, err := safePath(r.layers[0], rel)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(p, data, mode)
}

// staticIPFix rewrites the init files that would start a DHCP client on
// eth0, which would wipe the static address liblxc configured: busybox's
// /etc/init.d/rcS runs udhcpc, Debian's ifupdown has "iface eth0 inet
// dhcp". It returns the files changed.
func staticIPFix(r *rootfs) ([]string, error) {
	var changed []string
	if b, ok, err := r.read("/etc/init.d/rcS"); err != nil {
		return nil, err
	} else if ok {
		lines := strings.Split(string(b), "\n")
		mod := false
		for i, l := range lines {
			t := strings.TrimSpace(l)
			if strings.HasPrefix(t, "#") || !strings.Contains(t, "udhcpc") {
				continue
			}
			lines[i] = ": saltgo: static ip configured by lxc, udhcpc disabled # " + t
			mod = true
		}
		if mod {
			if err := r.write("/etc/init.d/rcS", []byte(strings.Join(lines, "\n")), 0o755); err != nil {
				return nil, err
			}
			changed = append(changed, "/etc/init.d/rcS")
		}
	}
	if b, ok, err := r.read("/etc/network/interfaces"); err != nil {
		return nil, err
	} else if ok {
		s := string(b)
		n := strings.ReplaceAll(s, "iface eth0 inet dhcp", "iface eth0 inet manual")
		if n != s {
			if err := r.write("/etc/network/interfaces", []byte(n), 0o644); err != nil {
				return nil, err
			}
			changed = append(changed, "/etc/network/interfaces")
		}
	}
	return changed, nil
}
