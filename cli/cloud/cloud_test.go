package cloud_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cloudcli "github.com/saltgo/saltgo/cli/cloud"
	"github.com/saltgo/saltgo/cli/console"
	"github.com/saltgo/saltgo/cloud/alloc"
	"github.com/saltgo/saltgo/cloud/settings"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/internal/golden"
	"github.com/saltgo/saltgo/internal/mastertest"

	_ "github.com/saltgo/saltgo/runners/all"
)

// fakeCN is a compute node minion behind the fake master: it keeps the
// containers it was asked to spawn and answers the node functions the
// runner calls.
type fakeCN struct {
	mu    sync.Mutex
	vms   map[string]bool
	calls []string
	// failSpawn makes vm_spawn fail (nothing created).
	failSpawn bool
	// stepDelay is how long each VM step takes to answer.
	stepDelay time.Duration
	// dieAfterSpawn: once a VM is spawned the node answers nothing more.
	dieAfterSpawn, dead bool
}

func kwOf(args []any) *data.Map {
	for _, a := range args {
		if m, ok := a.(*data.Map); ok {
			return m
		}
	}
	return data.NewMap()
}

func (f *fakeCN) answer(fun string, args []any) (any, time.Duration, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	kw := kwOf(args)
	name, _ := kw.String("name")
	if vm, ok := kw.String("vm"); ok {
		name = vm
	}
	f.calls = append(f.calls, strings.TrimSpace(fun+" "+name))
	if f.dead {
		return nil, 0, false
	}
	ok := func(c string) *data.Map {
		return data.M("name", name, "result", true, "comment", c, "changes", data.M(fun, "done"))
	}
	d := 5 * time.Millisecond
	if strings.HasPrefix(fun, "mc_cloud_lxc.vm_") && f.stepDelay > 0 {
		d = f.stepDelay
	}
	switch fun {
	case "test.ping":
		return true, d, true
	case "saltutil.find_job":
		return data.NewMap(), d, true
	case "lxc.exists":
		return f.vms[name], d, true
	case "lxc.list":
		running := data.NewMap()
		for vm := range f.vms {
			running.Set(vm, data.M("state", "running", "ipv4_ips", []any{"10.5.0.2"}))
		}
		return data.M("running", running, "stopped", data.NewMap(), "frozen", data.NewMap()), d, true
	case "lxc.run":
		return strings.TrimSpace(mastertest.SamplePublicKey), d, true
	case "mc_cloud_lxc.vm_spawn":
		if f.failSpawn {
			return data.M("name", name, "result", false, "comment", "lxc-create failed: no space left (reverted)", "changes", data.NewMap()), d, true
		}
		f.vms[name] = true
		f.dead = f.dieAfterSpawn
		return ok("spawned"), d, true
	case "mc_cloud_lxc.destroy_vm":
		delete(f.vms, name)
		return ok("destroyed"), d, true
	}
	if strings.HasPrefix(fun, "mc_cloud_lxc.vm_") {
		return ok(fun + " done"), d, true
	}
	return fmt.Sprintf("'%s' is not available.", fun), d, true
}

type rig struct {
	m    *mastertest.Server
	dir  string
	cn   *fakeCN
	conf string
}

const providersConf = `cn1-lxc:
  target: cn1
  driver: lxc
  provider: lxc
cn2-example-com-lxc:
  target: cn2.example.com
  driver: lxc
  provider: lxc
`

const profilesConf = `ms-cn1-dir:
  provider: cn1-lxc
  backing: dir
ms-cn1-small-lvm:
  provider: cn1-lxc
  backing: lvm
  size: 5g
ms-cn2-example-com-dir:
  provider: cn2-example-com-lxc
  backing: dir
`

// newRig starts a fake master whose minions are the compute node cn1 (a
// fakeCN), the VM minions in vms (answering test.ping) and nothing else:
// cn2.example.com is unknown to the master.
func newRig(t testing.TB, providers, profiles string, vms ...string) *rig {
	t.Helper()
	dir := t.TempDir()
	cn := &fakeCN{vms: map[string]bool{}}
	minions := map[string]mastertest.FakeMinion{"cn1": {Answer: cn.answer},
		// cn3 is known to the master but never answers.
		"cn3": {Answer: func(string, []any) (any, time.Duration, bool) { return nil, 0, false }}}
	for _, v := range vms {
		minions[v] = mastertest.FakeMinion{}
	}
	proot := filepath.Join(dir, "pillar")
	write(t, filepath.Join(proot, "top.sls"), "base:\n  '*':\n    - cloud\n")
	write(t, filepath.Join(proot, "cloud.sls"), "makina-states.cloud.lxc.vms.cn1:\n  vm1.example.com: {ip: 10.5.0.11}\n")
	m := mastertest.StartFake(t, minions, "pillar_roots:\n  base:\n    - "+proot+
		"\nmc_cloud_lxc.controller_id: ctl\nmc_cloud_lxc.alloc_root: "+filepath.Join(dir, "alloc")+
		"\nmc_cloud_lxc.ping_tries: 1\nmc_cloud_lxc.ping_timeout: 1\nmc_cloud_lxc.step_timeout: 1\ntimeout: 1\ngather_job_timeout: 1\n")
	write(t, filepath.Join(m.PKIDir, "master.pub"), mastertest.SamplePublicKey)
	if providers != "" {
		write(t, filepath.Join(m.ConfDir, "cloud.providers.d", "makinastates_lxc.conf"), providers)
	}
	if profiles != "" {
		write(t, filepath.Join(m.ConfDir, "cloud.profiles.d", "makinastates_lxc.conf"), profiles)
	}
	return &rig{m: m, dir: dir, cn: cn, conf: m.ConfDir}
}

func write(t testing.TB, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

type result struct {
	stdout, stderr string
	code           int
}

func (r *rig) run(t testing.TB, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	code := cloudcli.Main(ctx, "salt-cloud", append([]string{"-c", r.conf}, args...), strings.NewReader(stdin), console.IO{Stdout: &out, Stderr: &errb})
	t.Logf("salt-cloud %s -> %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
	return result{out.String(), errb.String(), code}
}

func readPy(t *testing.T, name, ext string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "python", name+"."+ext))
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "saltify", "lxc")
}

// TestAgainstPython compares saltgo's salt-cloud with the recorded Python
// salt-cloud 3007.14 runs (testdata/python/README.md): stdout and exit
// code byte for byte; stderr byte for byte where Python's came from
// salt-cloud itself, else saltgo's own reason line.
func TestAgainstPython(t *testing.T) {
	oldProviders := "cn1-lxc:\n  target: cn1\n  provider: lxc\n"
	tests := []struct {
		name       string
		providers  string
		args       []string
		stderr     string // "" means Python's exactly
		stderrWant string
	}{
		{name: "list-providers", args: []string{"--list-providers"}},
		{name: "list-profiles-all", args: []string{"--list-profiles", "all"}},
		{name: "list-profiles-alias", args: []string{"--list-profiles", "cn1-lxc"}},
		{name: "list-profiles-driver", args: []string{"--list-profiles", "lxc"}},
		{name: "list-profiles-unknown", args: []string{"--list-profiles", "nope"}},
		{name: "list-profiles-noarg", args: []string{"--list-profiles"}},
		{name: "profile-unknown", args: []string{"-p", "nope", "vm1"}},
		{name: "old-list-providers", providers: oldProviders, args: []string{"--list-providers"}},
		{name: "old-list-profiles", providers: oldProviders, args: []string{"--list-profiles", "all"}},
		{name: "old-profile", providers: oldProviders, args: []string{"-p", "ms-cn1-dir", "vm1"}},
		{name: "destroy-unknown", args: []string{"-d", "-y", "nosuchvm"}, stderr: "own", stderrWant: "compute node cn2.example.com): minion cn2.example.com is not known to the master"},
		{name: "query-unreachable", args: []string{"-Q"}, stderr: "own", stderrWant: "[ERROR   ] Failed to query the nodes of cn2-example-com-lxc:lxc"},
		{name: "fullquery-unreachable", args: []string{"-F"}, stderr: "own", stderrWant: "is not known to the master"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			prov := providersConf
			if tc.providers != "" {
				prov = tc.providers
			}
			r := newRig(t, prov, profilesConf)
			got := r.run(t, "", tc.args...)
			if want := readPy(t, tc.name, "stdout"); got.stdout != want {
				t.Errorf("stdout:\n%q\nPython:\n%q", got.stdout, want)
			}
			if want := strings.TrimSpace(readPy(t, tc.name, "exit")); fmt.Sprint(got.code) != want {
				t.Errorf("exit %d, Python %s", got.code, want)
			}
			if tc.stderr == "" {
				if want := readPy(t, tc.name, "stderr"); got.stderr != want {
					t.Errorf("stderr:\n%q\nPython:\n%q", got.stderr, want)
				}
			} else if !strings.Contains(got.stderr, tc.stderrWant) {
				t.Errorf("stderr %q lacks %q", got.stderr, tc.stderrWant)
			}
			if strings.Contains(got.stdout+got.stderr, "Traceback") || strings.Contains(got.stdout+got.stderr, "panic") {
				t.Error("traceback or panic")
			}
		})
	}
}

// TestProfileAndDestroy: -p creates the VM through the runner's steps on
// its compute node (jobs through the master), records it so that
// get_settings_for_vm answers, -Q lists it, -d asks for confirmation (no
// means nothing happens), -d -y removes container, key and record.
func TestProfileAndDestroy(t *testing.T) {
	profiles := profilesConf + "web:\n  extends: ms-cn1-dir\n  image: busybox\n  minion:\n    master: 10.5.0.1\n    master_port: 4606\n"
	r := newRig(t, providersConf, profiles, "web1.example.com")
	got := r.run(t, "", "-p", "web", "web1.example.com")
	if got.code != 0 {
		t.Fatalf("-p: exit %d", got.code)
	}
	out := strings.ReplaceAll(got.stdout, r.dir, "<dir>")
	golden.Text(t, "profile-create", out)
	st := alloc.New(filepath.Join(r.dir, "alloc"))
	s, err := settings.Load(data.NewMap(), settings.Options{MinionID: "ctl", AllocRoot: st.Root})
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.GetSettingsForVM(context.Background(), "cn1", "web1.example.com", true)
	if err != nil || v.ProfileType != "dir-scratch" || v.Image != "busybox" || v.Master != "10.5.0.1" || !s.Recorded("cn1", "web1.example.com") {
		t.Fatalf("recorded settings: %v %+v", err, v)
	}
	if _, err := os.Stat(filepath.Join(r.m.PKIDir, "minions", "web1.example.com")); err != nil {
		t.Errorf("minion key not accepted: %v", err)
	}
	// A second -p of the same name: salt-cloud's "already exists".
	got = r.run(t, "", "-p", "web", "web1.example.com")
	if got.code != 0 || got.stdout != "web1.example.com:\n    ----------\n    Error:\n        web1.example.com already exists under cn1-lxc:lxc\n" {
		t.Errorf("second -p: %d %s", got.code, got.stdout)
	}
	got = r.run(t, "", "-Q")
	golden.Text(t, "query", got.stdout)
	// -d without -y, answered "n": nothing happens.
	got = r.run(t, "n\n", "-d", "web1.example.com")
	golden.Text(t, "destroy-declined", got.stdout)
	if !r.cn.vms["web1.example.com"] {
		t.Fatal("declined destroy removed the container")
	}
	got = r.run(t, "y\n", "-d", "web1.example.com", "nosuchvm")
	if got.code != 0 {
		t.Errorf("-d: exit %d", got.code)
	}
	golden.Text(t, "destroy", got.stdout)
	if r.cn.vms["web1.example.com"] {
		t.Error("container still there")
	}
	for _, id := range r.m.IDs() {
		if id == "web1.example.com" {
			t.Error("minion key not deleted")
		}
	}
	if _, err := os.Stat(st.CNSettingPath("cn1", settings.RecordedSetting)); !os.IsNotExist(err) {
		t.Errorf("record kept after destroy: %v", err)
	}
}

// TestProfileErrors: an unknown compute node, an unreachable one, a VM
// declared for another compute node and a failed spawn are clear errors
// that leave nothing behind (no record, no key, no container).
func TestProfileErrors(t *testing.T) {
	tests := []struct {
		name, profile, vm string
		failSpawn         bool
		want              string
	}{
		{name: "unknown compute node", profile: "ms-cn2-example-com-dir", vm: "web2.example.com", want: "minion cn2.example.com is not known to the master"},
		{name: "unreachable compute node", profile: "ms-cn3-dir", vm: "web5.example.com", want: "Target cn3 unreachable: no answer to test.ping after 1 tries"},
		{name: "declared elsewhere", profile: "ms-cn2-example-com-dir", vm: "vm1.example.com", want: "vm vm1.example.com is declared for compute node cn1 in the pillar of the controller ctl, not for cn2.example.com"},
		{name: "spawn fails", profile: "ms-cn1-dir", vm: "web3.example.com", failSpawn: true, want: "lxc-create failed: no space left (reverted)"},
		{name: "bad profile type", profile: "ms-cn1-bad", vm: "web4.example.com", want: `cannot tell the LXC profile type from backing "zfs"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, providersConf+"cn3-lxc:\n  target: cn3\n  driver: lxc\n", profilesConf+"ms-cn1-bad:\n  provider: cn1-lxc\n  backing: zfs\nms-cn3-dir:\n  provider: cn3-lxc\n  backing: dir\n")
			r.cn.failSpawn = tc.failSpawn
			got := r.run(t, "", "-p", tc.profile, tc.vm)
			if got.code == 0 || !strings.Contains(got.stdout, tc.want) {
				t.Errorf("exit %d, stdout lacks %q", got.code, tc.want)
			}
			for _, cn := range []string{"cn1", "cn2examplecom", "cn3"} {
				if _, err := os.Stat(filepath.Join(r.dir, "alloc", cn, "settings", settings.RecordedSetting+".pack")); err == nil {
					t.Errorf("record left behind for %s", cn)
				}
			}
			if _, err := os.Stat(filepath.Join(r.m.PKIDir, "minions", tc.vm)); err == nil {
				t.Error("key left behind")
			}
			if len(r.cn.vms) != 0 {
				t.Errorf("containers left: %v", r.cn.vms)
			}
		})
	}
}

// TestMap: -m creates the map's VMs that do not exist (after the prompt,
// or -y; in parallel with -P), reports the existing ones as "Already
// running.", and a map with a YAML error or an unknown profile is a clear
// error that creates nothing.
func TestMap(t *testing.T) {
	profiles := profilesConf + "web:\n  extends: ms-cn1-dir\n  image: busybox\n"
	tests := []struct {
		name, mapText string
		args          []string
		code          int
		created       []string
		stdout        []string
		stderr        string
	}{
		{name: "parallel", mapText: "web:\n  - web1.example.com\n  - web2.example.com: {ip: 10.5.0.42}\n", args: []string{"-P", "-y"},
			created: []string{"web1.example.com", "web2.example.com"}, stdout: []string{"web1.example.com:\n    ----------\n    changes:\n        ----------\n        created:\n            created", "web2.example.com:"}},
		{name: "declined", mapText: "web:\n  - web1.example.com\n", stdout: []string{"The following virtual machines are set to be created:\n  web1.example.com\n\nProceed? [N/y] "}},
		{name: "yaml error", mapText: "web: [web1.example.com\n", code: 1, stderr: "Error: There was an error with a custom map: the map file"},
		{name: "unknown profile", mapText: "nope:\n  - web9.example.com\n", code: 1, stderr: "Found the following errors:\n  nope: Requested profile 'nope' is not defined\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, providersConf, profiles, "web1.example.com", "web2.example.com")
			mp := filepath.Join(r.dir, "map.yaml")
			write(t, mp, tc.mapText)
			got := r.run(t, "n\n", append([]string{"-m", mp}, tc.args...)...)
			if got.code != tc.code {
				t.Errorf("exit %d, want %d", got.code, tc.code)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(got.stdout, s) {
					t.Errorf("stdout lacks %q", s)
				}
			}
			if !strings.Contains(got.stderr, tc.stderr) {
				t.Errorf("stderr lacks %q", tc.stderr)
			}
			if len(r.cn.vms) != len(tc.created) {
				t.Errorf("containers %v, want %v", r.cn.vms, tc.created)
			}
			for _, vm := range tc.created {
				if !r.cn.vms[vm] {
					t.Errorf("%s not created", vm)
				}
			}
			if tc.name == "parallel" {
				// The map's per-VM overrides reach the recorded settings.
				s, err := settings.Load(data.NewMap(), settings.Options{MinionID: "ctl", AllocRoot: filepath.Join(r.dir, "alloc")})
				if err != nil {
					t.Fatal(err)
				}
				if v, err := s.GetSettingsForVM(context.Background(), "cn1", "web2.example.com", false); err != nil || v.IP != "10.5.0.42" {
					t.Errorf("web2 settings: %v %+v", err, v)
				}
			}
		})
	}
	// A second run of the same map: everything is already running.
	r := newRig(t, providersConf, profiles, "web1.example.com")
	mp := filepath.Join(r.dir, "map.yaml")
	write(t, mp, "web:\n  - web1.example.com\n")
	if got := r.run(t, "", "-m", mp, "-y"); got.code != 0 {
		t.Fatalf("first map run: %d", got.code)
	}
	got := r.run(t, "", "-m", mp, "-y")
	if got.code != 0 || got.stdout != "web1.example.com:\n    ----------\n    Message:\n        Already running.\n" {
		t.Errorf("second map run: %d %q", got.code, got.stdout)
	}
}

// BenchmarkMap20 is salt-cloud -m of 20 VMs against one compute node
// whose VM steps each answer after 20 ms (the fake master and node of the
// tests): sequentially, and with -P (at most mc_cloud_lxc.concurrency, 4,
// at once). The ratio of the two vms/s is what -P buys.
func BenchmarkMap20(b *testing.B) {
	var names []string
	for i := 0; i < 20; i++ {
		names = append(names, fmt.Sprintf("b%02d.example.com", i))
	}
	for _, mode := range []struct {
		name string
		args []string
	}{{"sequential", []string{"-y"}}, {"parallel", []string{"-y", "-P"}}} {
		b.Run(mode.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				r := newRig(b, providersConf, profilesConf+"web:\n  extends: ms-cn1-dir\n  image: busybox\n", names...)
				r.cn.stepDelay = 20 * time.Millisecond
				mp := filepath.Join(r.dir, "map.yaml")
				write(b, mp, "web:\n  - "+strings.Join(names, "\n  - ")+"\n")
				b.StartTimer()
				got := r.run(b, "", append([]string{"-m", mp}, mode.args...)...)
				b.StopTimer()
				if got.code != 0 || len(r.cn.vms) != 20 {
					b.Fatalf("exit %d, %d vms", got.code, len(r.cn.vms))
				}
			}
			b.ReportMetric(float64(20*b.N)/b.Elapsed().Seconds(), "vms/s")
		})
	}
}

// TestProfileNodeGoneAfterSpawn: the compute node stops answering once
// the container is spawned: -p fails with the runner's "spawned but NOT
// fully provisioned" line, and the record is kept so that the VM can be
// removed with salt-cloud -d once the node is back.
func TestProfileNodeGoneAfterSpawn(t *testing.T) {
	r := newRig(t, providersConf, profilesConf)
	r.cn.dieAfterSpawn = true
	got := r.run(t, "", "-p", "ms-cn1-dir", "web6.example.com")
	if got.code == 0 || !strings.Contains(got.stdout, "web6.example.com on cn1 is spawned but NOT fully provisioned (stopped at step hostsfile)") {
		t.Errorf("exit %d", got.code)
	}
	if _, err := os.Stat(filepath.Join(r.dir, "alloc", "cn1", "settings", settings.RecordedSetting+".pack")); err != nil {
		t.Errorf("record not kept: %v", err)
	}
	// The node is back: -d removes the VM and its record.
	r.cn.mu.Lock()
	r.cn.dead = false
	r.cn.mu.Unlock()
	if got := r.run(t, "", "-d", "-y", "web6.example.com"); got.code != 0 || !strings.Contains(got.stdout, "web6.example.com was destroyed") {
		t.Errorf("-d after the node came back: %d", got.code)
	}
	if _, err := os.Stat(filepath.Join(r.dir, "alloc", "cn1", "settings", settings.RecordedSetting+".pack")); err == nil {
		t.Error("record kept after -d")
	}
}

// TestNotOnTheMaster: without the master's root key (not on the master
// host, or not root) every command that needs the master says so and
// exits 1; listing providers and profiles still works.
func TestNotOnTheMaster(t *testing.T) {
	r := newRig(t, providersConf, profilesConf)
	if err := os.Remove(filepath.Join(r.m.CacheDir, ".root_key")); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"-Q"}, {"-d", "-y", "vm1"}, {"-p", "ms-cn1-dir", "web7.example.com"}} {
		got := r.run(t, "", args...)
		if got.code != 1 || !strings.Contains(got.stdout+got.stderr, "must run on the master host") {
			t.Errorf("%v: exit %d", args, got.code)
		}
	}
	if got := r.run(t, "", "--list-providers"); got.code != 0 {
		t.Errorf("--list-providers: exit %d", got.code)
	}
}
