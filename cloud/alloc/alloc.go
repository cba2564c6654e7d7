package alloc

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/saltgo/saltgo/data"
)

// PortRange is an inclusive range of TCP ports.
type PortRange struct{ Start, End int }

// Default reverse-port ranges (spec section 3.6).
var (
	DefaultSSHRange  = PortRange{40000, 50000}
	DefaultSNMPRange = PortRange{30000, 39999}
)

// Request describes one VM whose allocations are wanted. The caller (the
// settings package) has already validated the pillar values it passes.
type Request struct {
	Target   string // compute node id
	VM       string // VM id
	VirtType string // "lxc" when empty

	// Network is the VM's network (data['network']/data['netmask']).
	Network netip.Prefix
	// Reserved addresses are never handed out (the gateway).
	Reserved []netip.Addr

	// PillarIP, PillarMAC and PillarPassword are the VM's explicit pillar
	// values (zero/empty when unset): ip and mac win over stored values,
	// the password is used when none is stored.
	PillarIP       netip.Addr
	PillarMAC      string
	PillarPassword string
	// HasPillarPassword tells an empty pillar password from no password.
	HasPillarPassword bool

	// OtherPillarIPs and OtherPillarMACs map the explicit pillar IPs and
	// MACs of the compute node's other VMs to their VM ids: the allocator
	// never hands them out, even before those VMs were queried.
	OtherPillarIPs  map[netip.Addr]string
	OtherPillarMACs map[string]string

	// Ports asks for the SSH and SNMP reverse ports (full=True).
	Ports     bool
	SSHRange  PortRange
	SNMPRange PortRange

	// AdditionalMACs holds, for each additional IP of the VM, its pillar MAC
	// ("" when it has none and one must be stored or generated).
	AdditionalMACs []string
}

// Result holds the VM's allocations.
type Result struct {
	IP             netip.Addr
	MAC            string
	Password       string
	SSHPort        int // 0 unless Request.Ports
	SNMPPort       int // 0 unless Request.Ports
	AdditionalMACs []string
	// Written lists the files this call created or replaced, in order.
	Written []string
}

// ConflictError reports a pillar value that collides with an allocation
// already held by another VM of the same compute node.
type ConflictError struct {
	Target, VM, Key, Value string
	OtherVM                string // may be empty when only a file is known
	Path                   string // the file recording the other allocation
}

func (e *ConflictError) Error() string {
	other := "another vm"
	if e.OtherVM != "" {
		other = fmt.Sprintf("vm %q", e.OtherVM)
	}
	return fmt.Sprintf("alloc: compute node %q, vm %q: %s %s is already allocated to %s (recorded in %s); change the pillar value or release the other allocation",
		e.Target, e.VM, e.Key, e.Value, other, e.Path)
}

// SameKeyError refuses a VM whose allocation key (its id without dots, see
// StripDots) is the key of another VM of the same compute node: both would
// read and write the same allocation files and so share one IP, MAC and
// password (the original's paths collide the same way). Other is the VM
// that keeps the key; Where says how it holds it.
type SameKeyError struct {
	Target, VM, Other, Where string
}

func (e *SameKeyError) Error() string {
	return fmt.Sprintf("compute node %q: vm %q is refused: without dots its id is %q, the allocation key of vm %q (%s), so both would share one IP, MAC and password; rename one of them",
		e.Target, e.VM, StripDots(e.VM), e.Other, e.Where)
}

// ExhaustedError reports an empty pool (no free IP or port).
type ExhaustedError struct {
	Target, VM, What, Pool string
}

func (e *ExhaustedError) Error() string {
	return fmt.Sprintf("alloc: compute node %q, vm %q: no available %s in %s", e.Target, e.VM, e.What, e.Pool)
}

// pending is one file write of a transaction.
type pending struct {
	path  string
	value any
}

// Allocate returns the VM's allocations, creating and persisting the missing
// ones. Order of precedence for the password: the stored value, then the
// pillar value, then a generated one (spec sections 5.2-5.4). For ip and
// mac the pillar value comes first (the original let a stored value win,
// quirk 2, so a changed pillar ip never reached the settings); a stored
// value it replaces is rewritten.
//
// The whole call holds the compute node's lock; everything is read and
// computed before the first write, so a failing call persists nothing.
func (s *Store) Allocate(ctx context.Context, req Request) (*Result, error) {
	if req.Target == "" || req.VM == "" {
		return nil, errors.New("alloc: empty compute node or vm id")
	}
	if req.VirtType == "" {
		req.VirtType = "lxc"
	}
	if !req.Network.IsValid() || !req.Network.Addr().Is4() {
		return nil, fmt.Errorf("alloc: compute node %q, vm %q: invalid ipv4 network %v", req.Target, req.VM, req.Network)
	}
	req.Network = req.Network.Masked()
	if req.SSHRange == (PortRange{}) {
		req.SSHRange = DefaultSSHRange
	}
	if req.SNMPRange == (PortRange{}) {
		req.SNMPRange = DefaultSNMPRange
	}
	unlock, err := s.lock(ctx, req.Target)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	t := &txn{s: s, req: req, res: &Result{}}
	if err := t.load(); err != nil {
		return nil, err
	}
	steps := []func() error{t.password, t.mac, t.additionalMACs, t.ip}
	if req.Ports {
		steps = append(steps, t.ports)
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	for _, w := range t.writes {
		if err := WriteValue(w.path, w.value); err != nil {
			return nil, err
		}
		t.res.Written = append(t.res.Written, w.path)
	}
	return t.res, nil
}

// txn is the state of one Allocate call.
type txn struct {
	s      *Store
	req    Request
	res    *Result
	writes []pending

	table     *data.Map // allocated_ips value
	ips       *data.Map // table['ips']
	tablePath string
	// otherIPs / otherMACs: allocations recorded for the CN's other VMs,
	// mapped to the file (or table entry) that records them.
	otherIPs  map[netip.Addr]owner
	otherMACs map[string]owner
}

type owner struct{ vm, path string }

func (t *txn) vmPath(setting string) string {
	return t.s.VMSettingPath(t.req.Target, t.req.VirtType, t.req.VM, setting)
}

func (t *txn) write(path string, v any) { t.writes = append(t.writes, pending{path, v}) }

// load reads the CN allocation table and the allocations of the other VMs.
func (t *txn) load() error {
	r := t.req
	t.tablePath = t.s.CNSettingPath(r.Target, SettingAllocatedIPs)
	v, ok, err := ReadValue(t.tablePath)
	if err != nil {
		return err
	}
	if ok {
		m, isMap := v.(*data.Map)
		if !isMap {
			return &CorruptError{Path: t.tablePath, Err: fmt.Errorf("value is %s, want {'api': 2, 'ips': {...}}", typeName(v))}
		}
		ips, isMap := mapGet(m, "ips").(*data.Map)
		if !isMap {
			return &CorruptError{Path: t.tablePath, Err: errors.New("'ips' is not a mapping")}
		}
		t.table, t.ips = m.Copy(), ips.Copy()
	} else {
		t.table, t.ips = data.M("api", int64(2), "ips", nil), data.NewMap()
	}
	t.otherIPs = map[netip.Addr]owner{}
	t.otherMACs = map[string]owner{}
	var bad error
	t.ips.Range(func(k, v any) bool {
		vm := fmt.Sprint(k)
		if vm != r.VM && StripDots(vm) == StripDots(r.VM) {
			bad = &SameKeyError{Target: r.Target, VM: r.VM, Other: vm, Where: "allocated in " + t.tablePath}
			return false
		}
		s, isStr := data.AsString(v)
		if !isStr {
			if v == nil { // era A stored None for a failed allocation
				return true
			}
			bad = &CorruptError{Path: t.tablePath, Err: fmt.Errorf("ip of vm %q is %s, want a str", vm, typeName(v))}
			return false
		}
		if a, err := netip.ParseAddr(s); err == nil && vm != r.VM {
			t.otherIPs[a] = owner{vm, t.tablePath}
		}
		return true
	})
	if bad != nil {
		return bad
	}
	// Files of the other VMs of this compute node (all virt types).
	own := filepath.Dir(t.vmPath(SettingMAC))
	dirs, _ := filepath.Glob(filepath.Join(t.s.Root, StripDots(r.Target), "*", "*", "settings"))
	for _, dir := range dirs {
		if dir == own || dir == filepath.Join(t.s.Root, StripDots(r.Target), "settings") {
			continue
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("alloc: %w", err)
		}
		for _, e := range entries {
			name := e.Name()
			isMAC := name == SettingMAC+".pack" || strings.HasSuffix(name, "_aip_fo.pack")
			isIP := name == SettingIP4+".pack"
			if e.IsDir() || (!isMAC && !isIP) {
				continue
			}
			path := filepath.Join(dir, name)
			s, ok, err := readString(path)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if isMAC {
				t.otherMACs[strings.ToLower(s)] = owner{"", path}
			} else if a, err := netip.ParseAddr(s); err == nil {
				if _, known := t.otherIPs[a]; !known {
					t.otherIPs[a] = owner{"", path}
				}
			}
		}
	}
	return nil
}

// readString reads a setting whose value must be a str (or None/absent).
func readString(path string) (string, bool, error) {
	v, ok, err := ReadValue(path)
	if err != nil || !ok || v == nil {
		return "", false, err
	}
	s, isStr := data.AsString(v)
	if !isStr {
		return "", false, &CorruptError{Path: path, Err: fmt.Errorf("value is %s, want a str", typeName(v))}
	}
	return s, true, nil
}

// stored returns the VM's value of setting: the one its allocation file
// holds, else the pillar's (pillar reports ok=false when the pillar sets
// none), else a new one from generate, which is written.
func (t *txn) stored(setting string, pillar func() (v string, ok bool, err error), generate func() (string, error)) (string, error) {
	path := t.vmPath(setting)
	if s, ok, err := readString(path); err != nil || ok {
		return s, err
	}
	if s, ok, err := pillar(); err != nil || ok {
		return s, err
	}
	s, err := generate()
	if err != nil {
		return "", err
	}
	t.write(path, s)
	return s, nil
}

func (t *txn) password() error {
	pw, err := t.stored(SettingPassword,
		func() (string, bool, error) { return t.req.PillarPassword, t.req.HasPillarPassword, nil },
		func() (string, error) { return SecurePassword(t.s.rand(), 32) })
	if err != nil {
		return err
	}
	t.res.Password = pw
	return nil
}

func (t *txn) usedMAC(mac string) bool {
	mac = strings.ToLower(mac)
	if _, ok := t.otherMACs[mac]; ok {
		return true
	}
	for m, vm := range t.req.OtherPillarMACs {
		if vm != t.req.VM && strings.EqualFold(m, mac) {
			return true
		}
	}
	if strings.EqualFold(mac, t.res.MAC) {
		return true
	}
	for _, m := range t.res.AdditionalMACs {
		if strings.EqualFold(m, mac) {
			return true
		}
	}
	return false
}

func (t *txn) newMAC() (string, error) {
	for i := 0; i < 1000; i++ {
		m, err := GenMAC(t.s.rand())
		if err != nil {
			return "", err
		}
		if !t.usedMAC(m) {
			return m, nil
		}
	}
	return "", &ExhaustedError{Target: t.req.Target, VM: t.req.VM, What: "mac", Pool: "00:16:3e:00:00:00-00:16:3e:7f:ff:ff"}
}

func (t *txn) pillarMACConflict(key, mac string) error {
	if o, ok := t.otherMACs[strings.ToLower(mac)]; ok {
		return &ConflictError{Target: t.req.Target, VM: t.req.VM, Key: key, Value: mac, OtherVM: o.vm, Path: o.path}
	}
	return nil
}

func (t *txn) mac() error {
	if pm := t.req.PillarMAC; pm != "" {
		// The pillar's MAC wins, also over a stored one (as the ip); a
		// stored MAC it replaces is rewritten.
		if err := t.pillarMACConflict("mac", pm); err != nil {
			return err
		}
		path := t.vmPath(SettingMAC)
		cur, ok, err := readString(path)
		if err != nil {
			return err
		}
		if ok && !strings.EqualFold(cur, pm) {
			t.write(path, pm)
		}
		t.res.MAC = pm
		return nil
	}
	none := func() (string, bool, error) { return "", false, nil }
	m, err := t.stored(SettingMAC, none, t.newMAC)
	if err != nil {
		return err
	}
	t.res.MAC = m
	return nil
}

func (t *txn) additionalMACs() error {
	for i, pm := range t.req.AdditionalMACs {
		if pm != "" {
			if err := t.pillarMACConflict(fmt.Sprintf("additional_ips[%d].mac", i), pm); err != nil {
				return err
			}
			t.res.AdditionalMACs = append(t.res.AdditionalMACs, pm)
			continue
		}
		path := t.vmPath(AdditionalIPSetting(t.req.Target, t.req.VM, i))
		s, ok, err := readString(path)
		if err != nil {
			return err
		}
		if !ok || s == "" {
			if s, err = t.newMAC(); err != nil {
				return err
			}
			t.write(path, s)
		}
		t.res.AdditionalMACs = append(t.res.AdditionalMACs, s)
	}
	return nil
}

// taken reports whether a is not available for this VM.
func (t *txn) taken(a netip.Addr) bool {
	if _, ok := t.otherIPs[a]; ok {
		return true
	}
	if vm, ok := t.req.OtherPillarIPs[a]; ok && vm != t.req.VM {
		return true
	}
	for _, r := range t.req.Reserved {
		if r == a {
			return true
		}
	}
	return false
}

func (t *txn) ip() error {
	r := t.req
	ip4Path := t.vmPath(SettingIP4)
	s, ok, err := readString(ip4Path)
	if err != nil {
		return err
	}
	var ip netip.Addr
	switch {
	case r.PillarIP.IsValid():
		// The pillar's address wins, also over a stored one (quirk 2
		// changed: an operator's new pillar ip reaches the settings, and
		// the spawn step applies it to the container). A stored address
		// it replaces is rewritten, so the VM keeps it if the pillar key
		// goes away later.
		ip = r.PillarIP
		if o, ok := t.otherIPs[ip]; ok {
			return &ConflictError{Target: r.Target, VM: r.VM, Key: "ip", Value: ip.String(), OtherVM: o.vm, Path: o.path}
		}
		if ok && s != ip.String() {
			t.write(ip4Path, ip.String())
		}
	case ok:
		// Else a stored address wins.
		if ip, err = netip.ParseAddr(s); err != nil {
			return &CorruptError{Path: ip4Path, Err: fmt.Errorf("value %q is not an ip address", s)}
		}
	default:
		// Reuse the table entry of a VM whose ip4 file is missing (an
		// interrupted earlier call, or a pillar ip that was removed).
		if prev, ok := data.AsString(mapGet(t.ips, r.VM)); ok {
			if a, err := netip.ParseAddr(prev); err == nil && r.Network.Contains(a) && !t.taken(a) && usable(r.Network, a) {
				ip = a
			}
		}
		if !ip.IsValid() {
			if ip = t.firstFree(); !ip.IsValid() {
				return &ExhaustedError{Target: r.Target, VM: r.VM, What: "ip", Pool: r.Network.String()}
			}
		}
		t.write(ip4Path, ip.String())
	}
	t.res.IP = ip
	if cur, _ := data.AsString(mapGet(t.ips, r.VM)); cur != ip.String() {
		t.ips.Set(r.VM, ip.String())
		table := t.table.Copy()
		table.Set("ips", t.ips)
		// The table goes first: a crash before ip4 is written leaves the
		// table entry, which the next call reuses.
		t.writes = append([]pending{{t.tablePath, table}}, t.writes...)
		t.moveIP4Last(ip4Path)
	}
	return nil
}

// moveIP4Last keeps the table write before the ip4 write.
func (t *txn) moveIP4Last(ip4Path string) {
	for i, w := range t.writes {
		if w.path == ip4Path {
			t.writes = append(append(t.writes[:i:i], t.writes[i+1:]...), w)
			return
		}
	}
}

// usable applies the original's candidate filter: index 2 to the third
// from last address of the network, last octet neither 0 nor 255.
func usable(n netip.Prefix, a netip.Addr) bool {
	first, last := hostBounds(n)
	if !first.IsValid() || a.Less(first) || last.Less(a) {
		return false
	}
	b := a.As4()
	return b[3] != 0 && b[3] != 255
}

// hostBounds returns the addresses at index 2 and at index -3 of the
// network (Python slice [2:-2] of every address).
func hostBounds(n netip.Prefix) (first, last netip.Addr) {
	size := uint64(1) << (32 - n.Bits())
	if size < 5 {
		return netip.Addr{}, netip.Addr{}
	}
	base := u32(n.Masked().Addr())
	return a4(base + 2), a4(base + uint32(size) - 3)
}

func (t *txn) firstFree() netip.Addr {
	first, last := hostBounds(t.req.Network)
	if !first.IsValid() {
		return netip.Addr{}
	}
	for x := u32(first); x <= u32(last); x++ {
		a := a4(x)
		if b := a.As4(); b[3] == 0 || b[3] == 255 {
			continue
		}
		if !t.taken(a) {
			return a
		}
	}
	return netip.Addr{}
}

func u32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func a4(x uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(x >> 24), byte(x >> 16), byte(x >> 8), byte(x)})
}

func (t *txn) ports() error {
	var err error
	if t.res.SSHPort, err = t.port(SettingSSHMap, "ssh port", t.req.SSHRange); err != nil {
		return err
	}
	t.res.SNMPPort, err = t.port(SettingSNMPMap, "snmp port", t.req.SNMPRange)
	return err
}

// port returns the VM's port from the CN map, allocating the first free one
// of rng (inclusive) when the VM has none.
func (t *txn) port(setting, what string, rng PortRange) (int, error) {
	path := t.s.CNSettingPath(t.req.Target, setting)
	v, ok, err := ReadValue(path)
	if err != nil {
		return 0, err
	}
	m := data.NewMap()
	if ok && v != nil {
		mm, isMap := v.(*data.Map)
		if !isMap {
			return 0, &CorruptError{Path: path, Err: fmt.Errorf("value is %s, want a mapping of vm to port", typeName(v))}
		}
		m = mm.Copy()
	}
	used := map[int]bool{}
	mine := 0
	var bad error
	m.Range(func(k, pv any) bool {
		p, err := toPort(pv)
		if err != nil {
			bad = &CorruptError{Path: path, Err: fmt.Errorf("port of vm %v: %w", k, err)}
			return false
		}
		if fmt.Sprint(k) == t.req.VM {
			mine = p
		} else {
			used[p] = true
		}
		return true
	})
	if bad != nil {
		return 0, bad
	}
	if mine != 0 {
		return mine, nil
	}
	for p := rng.Start; p <= rng.End; p++ {
		if !used[p] {
			m.Set(t.req.VM, int64(p))
			t.write(path, m)
			return p, nil
		}
	}
	return 0, &ExhaustedError{Target: t.req.Target, VM: t.req.VM, What: what, Pool: fmt.Sprintf("%d:%d", rng.Start, rng.End)}
}

// toPort converts a stored port (int, or a numeric str as int() accepted).
func toPort(v any) (int, error) {
	if n, ok := data.AsInt(v); ok {
		return int(n), nil
	}
	if s, ok := data.AsString(v); ok {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
			return n, nil
		}
	}
	return 0, fmt.Errorf("%v is not a port number", v)
}

func mapGet(m *data.Map, k any) any {
	v, _ := m.Get(k)
	return v
}

func (s *Store) rand() io.Reader {
	if s.Rand != nil {
		return s.Rand
	}
	return rand.Reader
}

// GenMAC returns 00:16:3e:XX:YY:ZZ with XX in 00-7f and YY, ZZ in 00-ff, as
// makina-states' gen_mac did.
func GenMAC(r io.Reader) (string, error) {
	var b [3]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("alloc: random source: %w", err)
	}
	return fmt.Sprintf("00:16:3e:%02x:%02x:%02x", b[0]&0x7f, b[1], b[2]), nil
}

// SecurePassword returns n characters of [A-Za-z0-9_], drawing random bytes
// and keeping those that match Python 2's \w, as salt's 2014
// secure_password did.
func SecurePassword(r io.Reader, n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, 64)
	for len(out) < n {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("alloc: random source: %w", err)
		}
		for _, c := range buf {
			if c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
				out = append(out, c)
				if len(out) == n {
					break
				}
			}
		}
	}
	return string(out), nil
}
