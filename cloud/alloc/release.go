package alloc

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/saltgo/saltgo/data"
)

// Released is what Release freed for one VM (zero values: nothing held).
type Released struct {
	IP       string
	MAC      string
	SSHPort  int
	SNMPPort int
	Password bool
	// AdditionalMACs counts the additional IPs' MAC files removed.
	AdditionalMACs int
	// Files are the files written or removed, in order.
	Files []string
}

// Any reports whether anything was released.
func (r *Released) Any() bool { return len(r.Files) > 0 }

// String describes the release for a comment line: "ip 10.5.0.11, mac
// 00:16:3e:..., ssh port 40000, snmp port 30000, password".
func (r *Released) String() string {
	var p []string
	if r.IP != "" {
		p = append(p, "ip "+r.IP)
	}
	if r.MAC != "" {
		p = append(p, "mac "+r.MAC)
	}
	if r.AdditionalMACs > 0 {
		p = append(p, fmt.Sprintf("%d additional ip mac(s)", r.AdditionalMACs))
	}
	if r.SSHPort != 0 {
		p = append(p, fmt.Sprintf("ssh port %d", r.SSHPort))
	}
	if r.SNMPPort != 0 {
		p = append(p, fmt.Sprintf("snmp port %d", r.SNMPPort))
	}
	if r.Password {
		p = append(p, "password")
	}
	if len(p) == 0 {
		return "nothing"
	}
	return strings.Join(p, ", ")
}

// Release frees the allocations of vm on compute node target (virtType
// "" is lxc): its entry in the CN IP table (allocated_ips) and in the
// ssh/snmp port maps, then its own files (ip4, mac, password, additional
// IP MACs) and its directory. It runs under the compute node's lock; the
// tables are rewritten atomically in makina's pack format first, so an
// interrupted release leaves the VM's ip4 file, which still reserves the
// address, and a second call finishes it. A corrupt table changes
// nothing. Releasing a VM with nothing allocated is not an error.
func (s *Store) Release(ctx context.Context, target, virtType, vm string) (*Released, error) {
	if target == "" || vm == "" {
		return nil, errors.New("alloc: release: empty compute node or vm id")
	}
	if virtType == "" {
		virtType = "lxc"
	}
	unlock, err := s.lock(ctx, target)
	if err != nil {
		return nil, err
	}
	defer unlock()
	rel := &Released{}
	type tableWrite struct {
		path  string
		value any
	}
	var writes []tableWrite
	// The IP table.
	tablePath := s.CNSettingPath(target, SettingAllocatedIPs)
	if v, ok, err := ReadValue(tablePath); err != nil {
		return nil, err
	} else if ok {
		m, isMap := v.(*data.Map)
		ips, isMap2 := mapGet(m, "ips").(*data.Map)
		if !isMap || !isMap2 {
			return nil, &CorruptError{Path: tablePath, Err: errors.New("want {'api': 2, 'ips': {...}}")}
		}
		if ip, has := ips.Get(vm); has {
			rel.IP, _ = data.AsString(ip)
			ips = ips.Copy()
			ips.Delete(vm)
			t := m.Copy()
			t.Set("ips", ips)
			writes = append(writes, tableWrite{tablePath, t})
		}
	}
	// The port maps.
	for _, pm := range []struct {
		setting string
		port    *int
	}{{SettingSSHMap, &rel.SSHPort}, {SettingSNMPMap, &rel.SNMPPort}} {
		path := s.CNSettingPath(target, pm.setting)
		v, ok, err := ReadValue(path)
		if err != nil {
			return nil, err
		}
		if !ok || v == nil {
			continue
		}
		m, isMap := v.(*data.Map)
		if !isMap {
			return nil, &CorruptError{Path: path, Err: fmt.Errorf("value is %s, want a mapping of vm to port", typeName(v))}
		}
		if p, has := m.Get(vm); has {
			n, err := toPort(p)
			if err != nil {
				return nil, &CorruptError{Path: path, Err: fmt.Errorf("port of vm %s: %w", vm, err)}
			}
			*pm.port = n
			m = m.Copy()
			m.Delete(vm)
			writes = append(writes, tableWrite{path, m})
		}
	}
	// The VM's own files: read what they hold first (for the comment).
	dir := filepath.Dir(s.VMSettingPath(target, virtType, vm, SettingMAC))
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("alloc: release %s: %w", vm, err)
	}
	var files []string
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".pack") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		switch {
		case e.Name() == SettingIP4+".pack":
			if s, ok, _ := readString(path); ok && rel.IP == "" {
				rel.IP = s
			}
		case e.Name() == SettingMAC+".pack":
			rel.MAC, _, _ = readString(path)
		case e.Name() == SettingPassword+".pack":
			rel.Password = true
		case strings.HasSuffix(e.Name(), "_aip_fo.pack"):
			rel.AdditionalMACs++
		}
		files = append(files, path)
	}
	for _, w := range writes {
		if err := WriteValue(w.path, w.value); err != nil {
			return nil, err
		}
		rel.Files = append(rel.Files, w.path)
	}
	// ip4 last: while it exists the address stays reserved.
	for i, f := range files {
		if filepath.Base(f) == SettingIP4+".pack" {
			files = append(append(files[:i:i], files[i+1:]...), f)
			break
		}
	}
	for _, f := range files {
		if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("alloc: release %s: %w", vm, err)
		}
		rel.Files = append(rel.Files, f)
	}
	// The now empty directories (settings, then the VM's).
	for _, d := range []string{dir, filepath.Dir(dir)} {
		_ = os.Remove(d)
	}
	if err := syncDir(filepath.Join(s.Root, StripDots(target), virtType)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("alloc: release %s: %w", vm, err)
	}
	return rel, nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// AllocatedVMs returns the VM ids that hold an entry in compute node
// target's IP table or port maps, sorted.
func (s *Store) AllocatedVMs(target string) ([]string, error) {
	seen := map[string]bool{}
	for _, st := range []string{SettingAllocatedIPs, SettingSSHMap, SettingSNMPMap} {
		path := s.CNSettingPath(target, st)
		v, ok, err := ReadValue(path)
		if err != nil {
			return nil, err
		}
		if !ok || v == nil {
			continue
		}
		m, isMap := v.(*data.Map)
		if st == SettingAllocatedIPs && isMap {
			m, isMap = mapGet(m, "ips").(*data.Map)
		}
		if !isMap {
			return nil, &CorruptError{Path: path, Err: fmt.Errorf("value is %s, want a mapping", typeName(v))}
		}
		m.Range(func(k, _ any) bool {
			seen[fmt.Sprint(k)] = true
			return true
		})
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, nil
}
