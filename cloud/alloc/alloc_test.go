package alloc

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/transport/payload"
)

var (
	macRE = regexp.MustCompile(`^00:16:3e:[0-7][0-9a-f]:[0-9a-f]{2}:[0-9a-f]{2}$`)
	pwRE  = regexp.MustCompile(`^[A-Za-z0-9_]{32}$`)
	net16 = netip.MustParsePrefix("10.5.0.0/16")
	gw    = netip.MustParseAddr("10.5.0.1")
)

func baseReq(vm string) Request {
	return Request{Target: "devhost10.local", VM: vm, Network: net16, Reserved: []netip.Addr{gw}, Ports: true}
}

// loadLegacy writes the fixture files of testdata/legacy.txt under root.
func loadLegacy(t *testing.T, root string) map[string][]byte {
	t.Helper()
	f, err := os.Open("testdata/legacy.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	files := map[string][]byte{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p, h, _ := strings.Cut(line, " ")
		b, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o700); err != nil {
			t.Fatal(err)
		}
		files[full] = b
	}
	return files
}

// packFiles returns every .pack file under root with its content.
func packFiles(t *testing.T, root string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".pack") {
			b, _ := os.ReadFile(p)
			out[p] = b
		}
		return nil
	})
	return out
}

func TestCodecRoundTrip(t *testing.T) {
	for _, v := range []any{
		nil, true, false, int64(0), int64(127), int64(128), int64(255), int64(256), int64(40000),
		int64(70000), int64(1 << 40), int64(-1), int64(-33), int64(-200), int64(-40000), int64(-1 << 40),
		1.5, "", "00:16:3e:00:f1:81", strings.Repeat("x", 40), strings.Repeat("y", 70000), []byte{0xff, 0},
		[]any{"a", int64(1)}, data.M("api", int64(2), "ips", data.M("vm.a", "10.5.0.2")),
	} {
		b, err := EncodeValue(v)
		if err != nil {
			t.Fatalf("%v: %v", v, err)
		}
		got, err := payload.Decode(b)
		if err != nil {
			t.Fatalf("%v: %v", v, err)
		}
		want := data.M("value", v)
		if !payload.Equal(got, want) {
			t.Errorf("round trip %v: got %#v", v, got)
		}
	}
}

// TestEncodeLikePython2 checks the bytes of the files we write against the
// bytes msgpack-python 0.4 wrote (testdata/legacy.txt).
func TestEncodeLikePython2(t *testing.T) {
	root := t.TempDir()
	files := loadLegacy(t, root)
	for p, want := range files {
		v, ok, err := ReadValue(p)
		if err != nil || !ok {
			t.Fatalf("%s: %v %v", p, ok, err)
		}
		got, err := EncodeValue(v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: encoded %x, python wrote %x", p, got, want)
		}
	}
	// str8 (0xd9) is never written: old unpackers cannot read it.
	b, _ := EncodeValue(strings.Repeat("z", 40))
	if b[7] != 0xda {
		t.Errorf("40-char str header = %#x, want raw16 0xda", b[7])
	}
}

// TestDecodePython3Forms reads what a Python 3 msgpack (use_bin_type=True)
// writes: str8 strings and bin values.
func TestDecodePython3Forms(t *testing.T) {
	b := []byte{0x81, 0xa5, 'v', 'a', 'l', 'u', 'e', 0xd9, 0x09}
	b = append(b, "10.5.0.12"...)
	v, err := payload.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := v.(*data.Map).String("value"); s != "10.5.0.12" {
		t.Fatalf("got %#v", v)
	}
	b = []byte{0x81, 0xc4, 5, 'v', 'a', 'l', 'u', 'e', 0xc4, 2, 'o', 'k'}
	v, err = payload.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := v.(*data.Map).String("value"); s != "ok" {
		t.Fatalf("got %#v", v)
	}
}

func TestReadValueCorrupt(t *testing.T) {
	dir := t.TempDir()
	for name, b := range map[string][]byte{
		"empty":     {},
		"truncated": {0x81, 0xa5, 'v', 'a'},
		"trailing":  {0x81, 0xa5, 'v', 'a', 'l', 'u', 'e', 0xc0, 0xc0},
		"huge map":  {0xdf, 0xff, 0xff, 0xff, 0xff},
		"not a map": {0x92, 0xc0, 0xc0},
		"no value":  {0x81, 0xa1, 'x', 0xc0},
		"deep":      append(bytes.Repeat([]byte{0x91}, 600), 0xc0),
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".pack")
		os.WriteFile(p, b, 0o600)
		_, _, err := ReadValue(p)
		var ce *CorruptError
		if !errors.As(err, &ce) || ce.Path != p {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if _, ok, err := ReadValue(filepath.Join(dir, "missing.pack")); ok || err != nil {
		t.Errorf("missing file: %v %v", ok, err)
	}
}

// TestLegacyAllocationsReadBack is the golden compat test: allocation files
// in the original's format give back the same IP, MAC, password and ports,
// and are not rewritten.
func TestLegacyAllocationsReadBack(t *testing.T) {
	root := t.TempDir()
	before := loadLegacy(t, root)
	s := New(root)
	req := baseReq("nmdcarto51.test.com")
	req.AdditionalMACs = []string{""}
	res, err := s.Allocate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.IP.String() != "10.5.0.12" || res.MAC != "00:16:3e:00:f1:81" || res.Password != "balh" ||
		res.SSHPort != 40000 || res.SNMPPort != 30000 || res.AdditionalMACs[0] != "00:16:3e:12:34:56" {
		t.Fatalf("legacy values not read back: %+v", res)
	}
	if len(res.Written) != 0 {
		t.Errorf("read-back rewrote files: %v", res.Written)
	}
	after := packFiles(t, root)
	for p, b := range before {
		if !bytes.Equal(after[p], b) {
			t.Errorf("%s changed", p)
		}
	}

	// gfoobar has a table entry (pillar ip) and a mac, no ip4, no port:
	// its string port "40003" is read as 40003 (int() in the original).
	req = baseReq("gfoobar.test.com")
	req.PillarIP = netip.MustParseAddr("10.5.10.16")
	req.HasPillarPassword, req.PillarPassword = true, "foobar"
	res, err = s.Allocate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if res.IP.String() != "10.5.10.16" || res.MAC != "00:16:3e:00:00:02" || res.SSHPort != 40003 || res.SNMPPort != 30002 {
		t.Fatalf("gfoobar: %+v", res)
	}

	// A new VM gets the first address not recorded anywhere: .2 is old's,
	// .3 is free.
	res, err = s.Allocate(context.Background(), baseReq("new.test.com"))
	if err != nil {
		t.Fatal(err)
	}
	if res.IP.String() != "10.5.0.3" || res.SSHPort != 40002 || res.SNMPPort != 30003 {
		t.Fatalf("new vm: %+v", res)
	}
	// The table keeps the other entries, and the api key.
	v, _, err := ReadValue(s.CNSettingPath("devhost10.local", SettingAllocatedIPs))
	if err != nil {
		t.Fatal(err)
	}
	ips := mapGet(v.(*data.Map), "ips").(*data.Map)
	if ips.Len() != 4 || mapGet(v.(*data.Map), "api") != int64(2) {
		t.Fatalf("table: %#v", data.Deep(v))
	}
}

func TestFreshAllocation(t *testing.T) {
	root := t.TempDir()
	s := New(root)
	res, err := s.Allocate(context.Background(), baseReq("vm1.foo.com"))
	if err != nil {
		t.Fatal(err)
	}
	if res.IP.String() != "10.5.0.2" || !macRE.MatchString(res.MAC) || !pwRE.MatchString(res.Password) ||
		res.SSHPort != 40000 || res.SNMPPort != 30000 {
		t.Fatalf("%+v", res)
	}
	// Layout of the original.
	for _, p := range []string{
		"cn/settings/allocated_ips.pack", "cn/settings/ssh_map.pack", "cn/settings/snmp_map.pack",
		"cn/lxc/vm1foocom/settings/mac.pack", "cn/lxc/vm1foocom/settings/ip4.pack",
		"cn/lxc/vm1foocom/settings/password.pack",
	} {
		p = filepath.Join(root, strings.Replace(p, "cn", "devhost10local", 1))
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o700 {
			t.Errorf("%s mode %v", p, st.Mode())
		}
	}
	// Second call: same values (password included: fixed quirk 1), no writes.
	res2, err := s.Allocate(context.Background(), baseReq("vm1.foo.com"))
	if err != nil {
		t.Fatal(err)
	}
	if res2.IP != res.IP || res2.MAC != res.MAC || res2.Password != res.Password || res2.SSHPort != res.SSHPort || len(res2.Written) != 0 {
		t.Fatalf("second call differs: %+v vs %+v", res2, res)
	}
}

func TestIPAllocationRules(t *testing.T) {
	tests := []struct {
		name    string
		network string
		prep    func(s *Store) // existing allocations
		other   map[string]string
		want    string
	}{
		{"first is .2", "10.5.0.0/16", nil, nil, "10.5.0.2"},
		{"gateway reserved", "10.5.0.0/16", nil, nil, "10.5.0.2"},
		{"skips other vms' explicit pillar ips", "10.5.0.0/16", nil, map[string]string{"10.5.0.2": "a", "10.5.0.3": "b"}, "10.5.0.4"},
		{"skips last octet 255 and 0", "10.5.0.0/16", func(s *Store) {
			ips := data.NewMap()
			for i := 2; i <= 254; i++ {
				ips.Set(fmt.Sprintf("v%d", i), fmt.Sprintf("10.5.0.%d", i))
			}
			WriteValue(s.CNSettingPath("devhost10.local", SettingAllocatedIPs), data.M("api", int64(2), "ips", ips))
		}, nil, "10.5.1.1"},
		{"ip4 of a vm missing from the table counts", "10.5.0.0/16", func(s *Store) {
			WriteValue(s.VMSettingPath("devhost10.local", "lxc", "x.y", SettingIP4), "10.5.0.2")
		}, nil, "10.5.0.3"},
		{"small network", "192.0.2.0/29", nil, nil, "192.0.2.2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New(t.TempDir())
			if tc.prep != nil {
				tc.prep(s)
			}
			req := baseReq("vm.test")
			req.Network = netip.MustParsePrefix(tc.network)
			req.OtherPillarIPs = map[netip.Addr]string{}
			for ip, vm := range tc.other {
				req.OtherPillarIPs[netip.MustParseAddr(ip)] = vm
			}
			res, err := s.Allocate(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if res.IP.String() != tc.want {
				t.Fatalf("got %s, want %s", res.IP, tc.want)
			}
		})
	}
}

func TestExhaustionPersistsNothing(t *testing.T) {
	s := New(t.TempDir())
	req := baseReq("a")
	req.Network = netip.MustParsePrefix("192.0.2.0/29") // .2 to .5
	for _, vm := range []string{"a", "b", "c", "d"} {
		req.VM = vm
		if _, err := s.Allocate(context.Background(), req); err != nil {
			t.Fatal(err)
		}
	}
	before := packFiles(t, s.Root)
	req.VM = "e"
	_, err := s.Allocate(context.Background(), req)
	var ex *ExhaustedError
	if !errors.As(err, &ex) || ex.What != "ip" {
		t.Fatalf("err = %v", err)
	}
	if after := packFiles(t, s.Root); len(after) != len(before) {
		t.Fatalf("failing call wrote files: %d -> %d", len(before), len(after))
	}

	// Port range exhaustion, with the range end honoured (quirk 15 fixed).
	s = New(t.TempDir())
	req = baseReq("a")
	req.SSHRange = PortRange{41000, 41001}
	for _, vm := range []string{"a", "b"} {
		req.VM = vm
		res, err := s.Allocate(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if vm == "b" && res.SSHPort != 41001 {
			t.Fatalf("b got port %d", res.SSHPort)
		}
	}
	before = packFiles(t, s.Root)
	req.VM = "c"
	if _, err := s.Allocate(context.Background(), req); !errors.As(err, &ex) || ex.What != "ssh port" {
		t.Fatalf("err = %v", err)
	}
	if after := packFiles(t, s.Root); len(after) != len(before) {
		t.Fatalf("failing call wrote files")
	}
}

func TestConflicts(t *testing.T) {
	s := New(t.TempDir())
	if _, err := s.Allocate(context.Background(), baseReq("a")); err != nil { // gets 10.5.0.2
		t.Fatal(err)
	}
	req := baseReq("b")
	req.PillarIP = netip.MustParseAddr("10.5.0.2")
	_, err := s.Allocate(context.Background(), req)
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.Key != "ip" || ce.OtherVM != "a" {
		t.Fatalf("err = %v", err)
	}
	// A pillar MAC equal to another VM's stored MAC.
	mac, _, _ := ReadValue(s.VMSettingPath("devhost10.local", "lxc", "a", SettingMAC))
	req = baseReq("b")
	req.PillarMAC = mac.(string)
	if _, err := s.Allocate(context.Background(), req); !errors.As(err, &ce) || ce.Key != "mac" || !strings.Contains(err.Error(), "mac.pack") {
		t.Fatalf("err = %v", err)
	}
}

// fixedRand replays bytes, to force MAC collisions.
type fixedRand struct{ b []byte }

func (r *fixedRand) Read(p []byte) (int, error) {
	for i := range p {
		if len(r.b) == 0 {
			r.b = bytes.Repeat([]byte{'A', 7}, 64)
		}
		p[i], r.b = r.b[0], r.b[1:]
	}
	return len(p), nil
}

func TestMACUniquePerComputeNode(t *testing.T) {
	root := t.TempDir()
	// Both VMs draw 00:16:3e:01:02:03 first; the second must draw again.
	s := &Store{Root: root, Rand: &fixedRand{b: []byte{1, 2, 3, 1, 2, 3, 4, 5, 6}}}
	r1, err := s.Allocate(context.Background(), Request{Target: "cn", VM: "a", Network: net16, HasPillarPassword: true})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := s.Allocate(context.Background(), Request{Target: "cn", VM: "b", Network: net16, HasPillarPassword: true})
	if err != nil {
		t.Fatal(err)
	}
	if r1.MAC != "00:16:3e:01:02:03" || r2.MAC != "00:16:3e:04:05:06" {
		t.Fatalf("macs %s %s", r1.MAC, r2.MAC)
	}
	// Explicit pillar MACs of other VMs are avoided too.
	s.Rand = &fixedRand{b: []byte{9, 9, 9, 8, 8, 8}}
	r3, err := s.Allocate(context.Background(), Request{Target: "cn", VM: "c", Network: net16, HasPillarPassword: true, OtherPillarMACs: map[string]string{"00:16:3e:09:09:09": "d"}})
	if err != nil {
		t.Fatal(err)
	}
	if r3.MAC != "00:16:3e:08:08:08" {
		t.Fatalf("mac %s", r3.MAC)
	}
}

func TestParallelDistinct(t *testing.T) {
	root := t.TempDir()
	const n = 50
	var wg sync.WaitGroup
	results := make([]*Result, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// A Store per goroutine, as separate processes would have.
			results[i], errs[i] = New(root).Allocate(context.Background(), baseReq(fmt.Sprintf("vm%02d.test.com", i)))
		}(i)
	}
	wg.Wait()
	ips, macs, ssh, snmp := map[string]bool{}, map[string]bool{}, map[int]bool{}, map[int]bool{}
	for i, r := range results {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		ips[r.IP.String()], macs[r.MAC], ssh[r.SSHPort], snmp[r.SNMPPort] = true, true, true, true
	}
	if len(ips) != n || len(macs) != n || len(ssh) != n || len(snmp) != n {
		t.Fatalf("not distinct: %d ips, %d macs, %d ssh, %d snmp", len(ips), len(macs), len(ssh), len(snmp))
	}
	// Every allocation is recorded.
	v, _, err := ReadValue(New(root).CNSettingPath("devhost10.local", SettingSSHMap))
	if err != nil || v.(*data.Map).Len() != n {
		t.Fatalf("ssh_map: %v %v", v, err)
	}
	v, _, err = ReadValue(New(root).CNSettingPath("devhost10.local", SettingAllocatedIPs))
	if err != nil || mapGet(v.(*data.Map), "ips").(*data.Map).Len() != n {
		t.Fatalf("allocated_ips: %v %v", v, err)
	}
	// No temporary file is left behind.
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if strings.Contains(filepath.Base(p), ".tmp") {
			t.Errorf("leftover %s", p)
		}
		return nil
	})
}

func TestCorruptFileRefused(t *testing.T) {
	for _, tc := range []struct {
		name, setting string
		content       []byte
		cn            bool
	}{
		{"garbage table", SettingAllocatedIPs, []byte("not msgpack\x00\xff"), true},
		{"truncated table", SettingAllocatedIPs, []byte{0x81, 0xa5, 'v', 'a', 'l'}, true},
		{"table without ips", SettingAllocatedIPs, mustEncode(data.M("api", int64(2))), true},
		{"no value key", SettingSSHMap, []byte{0x81, 0xa1, 'x', 0xc0}, true},
		{"port not a number", SettingSSHMap, mustEncode(data.M("other", "abc")), true},
		{"mac not a str", SettingMAC, mustEncode(int64(3)), false},
		{"ip4 not an ip", SettingIP4, mustEncode("bogus"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(t.TempDir())
			path := s.VMSettingPath("devhost10.local", "lxc", "vm.a", tc.setting)
			if tc.cn {
				path = s.CNSettingPath("devhost10.local", tc.setting)
			}
			os.MkdirAll(filepath.Dir(path), 0o755)
			if err := os.WriteFile(path, tc.content, 0o700); err != nil {
				t.Fatal(err)
			}
			_, err := s.Allocate(context.Background(), baseReq("vm.a"))
			var ce *CorruptError
			if !errors.As(err, &ce) || ce.Path != path || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v", err)
			}
			got, _ := os.ReadFile(path)
			if !bytes.Equal(got, tc.content) {
				t.Fatal("corrupt file was modified")
			}
			if files := packFiles(t, s.Root); len(files) != 1 {
				t.Fatalf("files written despite the error: %v", files)
			}
		})
	}
}

func mustEncode(v any) []byte {
	b, err := EncodeValue(v)
	if err != nil {
		panic(err)
	}
	return b
}

// TestCrashLeftovers: a crash before a rename leaves a temp file, which is
// ignored; a crash between the table write and the ip4 write leaves a
// table entry, which the next call reuses instead of leaking it.
func TestCrashLeftovers(t *testing.T) {
	s := New(t.TempDir())
	dir := filepath.Dir(s.VMSettingPath("devhost10.local", "lxc", "vm.a", SettingMAC))
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, ".mac.pack.tmp123"), []byte{0x81}, 0o600)
	if err := WriteValue(s.CNSettingPath("devhost10.local", SettingAllocatedIPs),
		data.M("api", int64(2), "ips", data.M("vm.a", "10.5.0.7"))); err != nil {
		t.Fatal(err)
	}
	res, err := s.Allocate(context.Background(), baseReq("vm.a"))
	if err != nil {
		t.Fatal(err)
	}
	if res.IP.String() != "10.5.0.7" {
		t.Fatalf("ip %s, want the interrupted 10.5.0.7", res.IP)
	}
	got, ok, err := ReadValue(s.VMSettingPath("devhost10.local", "lxc", "vm.a", SettingIP4))
	if err != nil || !ok || got != "10.5.0.7" {
		t.Fatalf("ip4 = %v %v %v", got, ok, err)
	}
}

func TestLockHonoursContext(t *testing.T) {
	s := New(t.TempDir())
	unlock, err := s.lock(context.Background(), "cn")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Allocate(ctx, Request{Target: "cn", VM: "a", Network: net16}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestGenerators(t *testing.T) {
	for i := 0; i < 200; i++ {
		m, err := GenMAC(New("").rand())
		if err != nil || !macRE.MatchString(m) {
			t.Fatalf("mac %q %v", m, err)
		}
		p, err := SecurePassword(New("").rand(), 32)
		if err != nil || !pwRE.MatchString(p) {
			t.Fatalf("password %q %v", p, err)
		}
	}
	if StripDots("devhost10.local") != "devhost10local" {
		t.Fatal("StripDots")
	}
}
