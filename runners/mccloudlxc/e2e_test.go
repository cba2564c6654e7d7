package mccloudlxc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	callcli "github.com/saltgo/saltgo/cli/call"
	cloudcli "github.com/saltgo/saltgo/cli/cloud"
	"github.com/saltgo/saltgo/cli/console"
	minioncli "github.com/saltgo/saltgo/cli/minion"
	runcli "github.com/saltgo/saltgo/cli/run"
	saltcli "github.com/saltgo/saltgo/cli/salt"
	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/internal/mastertest"
	"github.com/saltgo/saltgo/lxc/liblxc"
	"github.com/saltgo/saltgo/lxc/lxctest"
	"github.com/saltgo/saltgo/lxc/provision"
	"github.com/saltgo/saltgo/minion"
	"github.com/saltgo/saltgo/saltyaml"
	"github.com/saltgo/saltgo/transport/crypt"

	// The compute node's execution modules.
	_ "github.com/saltgo/saltgo/modules/all"
	_ "github.com/saltgo/saltgo/modules/lxc"
)

// TestMain also serves the role this test binary is re-executed in: the
// VM minion (the binary copied into the containers as
// /usr/local/bin/saltgo, run as "saltgo [mastersalt-]call" by the
// initial_highstate step and started as "saltgo [mastersalt-]minion" by
// the bootstrap command). lxctest.Main builds the LXC helper.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		ctx := context.Background()
		prog := os.Args[1]
		if !strings.HasPrefix(prog, "mastersalt-") {
			prog = "salt-" + prog
		}
		switch os.Args[1] {
		case "minion", "mastersalt-minion":
			os.Exit(minioncli.Main(ctx, prog, os.Args[2:], os.Stdout, os.Stderr))
		case "call", "mastersalt-call":
			cl := callcli.Caller{Connect: func(ctx context.Context, cfg *config.Config, log *slog.Logger) (callcli.MasterSession, error) {
				return minion.Connect(ctx, cfg, minion.Options{Logger: log})
			}}
			os.Exit(cl.Main(ctx, prog, os.Args[2:], console.IO{Stdout: os.Stdout, Stderr: os.Stderr}))
		}
	}
	lxctest.Main(m)
}

// e2ePillar is the seed document's form: two VMs on cn1, from scratch
// (busybox), with their IPs: vm1 in mastersalt mode (the default), vm2 in
// salt mode. The VM minions sign in through the bridge address, on the
// port of the controller's master of their mode (no master_port in the
// pillar: the runner's default by mode).
func e2ePillar() string {
	return `makina-states.services.cloud.lxc.targets.cn1:
  vm1.e2e.test:
    ip: 10.5.0.11
    profile_type: dir-scratch
    image: busybox
    password: foobar
    master: 10.5.0.1
  vm2.e2e.test:
    ip: 10.5.0.12
    profile_type: dir-scratch
    image: busybox
    mode: salt
    master: 10.5.0.1
`
}

type runOut struct {
	ret  map[string]any
	code int
	raw  string
	err  string
}

func saltRun(t *testing.T, ctx context.Context, conf string, args ...string) runOut {
	t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"-c", conf, "--out", "json"}, args...)
	code := runcli.Main(ctx, "mastersalt-run", full, console.IO{Stdout: &out, Stderr: &errb})
	r := runOut{code: code, raw: out.String(), err: errb.String()}
	_ = json.Unmarshal(out.Bytes(), &r.ret)
	t.Logf("mastersalt-run %s -> exit %d\n%s\n%s", strings.Join(args, " "), code, out.String(), errb.String())
	return r
}

func changesOf(r runOut) map[string]any {
	m, _ := r.ret["changes"].(map[string]any)
	return m
}

func TestE2EInstallVTAndProvision(t *testing.T) {
	lxctest.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	exe, err := filepath.Abs(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ns := lxctest.NewNetns(t, "lxcbr1", "10.5.0.1", 16)
	// Containers live in a throw-away directory, purged (even on failure)
	// by lxctest.
	lc := lxctest.Client(t, ns)

	// The state tree of the VMs' initial highstate.
	tree := filepath.Join(dir, "tree")
	mustWrite(t, filepath.Join(tree, "top.sls"), "base:\n  '*':\n    - vm\n")
	mustWrite(t, filepath.Join(tree, "vm.sls"), "e2e-highstate:\n  file.managed:\n    - name: /etc/e2e-highstate\n    - contents: {{ grains['id'] }}\n")

	pillarText := e2ePillar()
	pillarOf := func(id string, _ *data.Map) *data.Map {
		v, _ := saltyaml.Load([]byte(pillarText))
		p, _ := v.(*data.Map)
		if p == nil {
			p = data.NewMap()
		}
		return p
	}
	// Two masters play the controller's: m its mastersalt master (the
	// runner runs on it as mastersalt-run; the compute node and
	// mastersalt-mode VMs are its minions), sm its salt master (salt-mode
	// VMs). m serves the image archives the runner prepares from this
	// environment of its file_roots. Both are reached from the namespace
	// at 10.5.0.1 on their own ports.
	imgRoot := filepath.Join(dir, "image-archives")
	m, err := mastertest.StartServer(mastertest.ServerConfig{Dir: filepath.Join(dir, "master"), FileRoots: map[string][]string{"base": {tree}, "mc_cloud_lxc_images": {imgRoot}}, Pillar: pillarOf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	sm, err := mastertest.StartServer(mastertest.ServerConfig{Dir: filepath.Join(dir, "salt-master"), FileRoots: map[string][]string{"base": {tree}}, Pillar: pillarOf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sm.Close)
	// The VM minions use the ports of the master configs (the runner's
	// default master_port by mode is the config's ret_port).
	for _, srv := range []*mastertest.Server{m, sm} {
		if err := srv.ForwardConfPortsFromNetns(ns.Name, "10.5.0.1"); err != nil {
			t.Fatal(err)
		}
	}

	// The controller's pillar (the master's pillar_roots).
	proot := filepath.Join(dir, "pillar")
	mustWrite(t, filepath.Join(proot, "top.sls"), "base:\n  '*':\n    - cloud\n")
	// post_deploy_controller writes the salt-cloud files where salt-cloud
	// -c <master conf dir> reads them.
	mustWrite(t, filepath.Join(proot, "cloud.sls"), fmt.Sprintf("%smakina-states.cloud.prefix: %s\nmakina-states.cloud.master: 10.5.0.1\n", pillarText, m.ConfDir))
	// mc_cloud_lxc.salt_master_config: where the runner finds the salt
	// master (its pki_dir, ret_port, key) for salt-mode VMs.
	appendConf(t, filepath.Join(m.ConfDir, "master"), fmt.Sprintf(
		"pillar_roots:\n  base:\n    - %s\nfile_roots:\n  base:\n    - %s\n  mc_cloud_lxc_images:\n    - %s\nmc_cloud_lxc.controller_id: ctl.e2e.test\nmc_cloud_lxc.alloc_root: %s\nmc_cloud_lxc.ping_tries: 5\nmc_cloud_lxc.ping_timeout: 2\nmc_cloud_lxc.images_source: %s\nmc_cloud_lxc.image_template: busybox\nmc_cloud_lxc.cron_dir: %s\nmc_cloud_lxc.salt_master_config: %s\n",
		proot, tree, imgRoot, filepath.Join(dir, "alloc"), filepath.Join(dir, "images"), filepath.Join(dir, "cron.d"), filepath.Join(sm.ConfDir, "master")))

	// The controller has no image yet: install_vt creates the default one
	// from the busybox template, and it exists only on the controller
	// until the compute node fetches it through the master.
	const image = "makina-states-trusty"
	ctlImage := filepath.Join(dir, "images", image)

	// The compute node: a saltgo minion whose LXC containers and bridge
	// live in the namespace; its key is accepted on the master.
	cn := filepath.Join(dir, "cn1")
	_, pub, err := crypt.LoadOrGenerateMinionKeys(filepath.Join(cn, "pki"), 2048)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.M.AcceptKey("cn1", pub); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(cn, "conf", "minion"), fmt.Sprintf(`id: cn1
master: 127.0.0.1
master_port: %d
pki_dir: %s
cachedir: %s
sock_dir: %s
log_file: %s
log_level_logfile: debug
lxc.lxcpath: %s
lxc.netns: %s
mc_cloud_lxc.alloc_root: %s
mc_cloud_lxc.grains_file: %s
mc_cloud_lxc.minion_binary: %s
`, m.M.RetPort(), filepath.Join(cn, "pki"), filepath.Join(cn, "cache"), filepath.Join(cn, "sock"), filepath.Join(cn, "minion.log"),
		lc.Path(), ns.Name, filepath.Join(cn, "alloc"), filepath.Join(cn, "grains"), exe))
	mctx, stopMinion := context.WithCancel(context.Background())
	minionDone := make(chan int, 1)
	var minionErr bytes.Buffer
	go func() {
		minionDone <- minioncli.Main(mctx, "salt-minion", []string{"-c", filepath.Join(cn, "conf")}, io.Discard, &minionErr)
	}()
	t.Cleanup(func() {
		stopMinion()
		select {
		case <-minionDone:
		case <-time.After(10 * time.Second):
			t.Error("compute node minion did not stop")
		}
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(cn, "minion.log"))
			if len(b) > 8000 {
				b = b[len(b)-8000:]
			}
			t.Logf("compute node minion log:\n%s\n%s", b, minionErr.String())
		}
	})
	if err := m.M.WaitSubscribers(ctx, 1); err != nil {
		t.Fatalf("compute node minion did not connect: %v", err)
	}

	conf := m.ConfDir
	nodeImage := filepath.Join(lc.Path(), image)
	for _, p := range []string{ctlImage, nodeImage} {
		if _, err := os.Stat(p); err == nil {
			t.Fatalf("%s exists before install_vt", p)
		}
	}
	// 1. install_vt cn1.
	r := saltRun(t, ctx, conf, "mc_cloud_lxc.install_vt", "cn1")
	if r.code != 0 || r.ret["result"] != true {
		t.Fatalf("install_vt: exit %d %v", r.code, r.ret)
	}
	if len(changesOf(r)) == 0 {
		t.Errorf("first install_vt reported no changes")
	}
	if c := fmt.Sprint(r.ret["comment"]); !strings.Contains(c, "the controller had no image "+image+": created it in "+filepath.Join(dir, "images")+" from the LXC template busybox") {
		t.Errorf("install_vt does not say it created the image: %s", c)
	}
	for _, want := range []string{"[ctl.e2e.test] pack " + image + ": ok", "[cn1] image " + image + ": received (version "} {
		if !strings.Contains(r.err, want) {
			t.Errorf("no progress line %q on stderr: %s", want, r.err)
		}
	}
	// The node's image is the controller's: same tree, owners, modes,
	// devices and links (busybox's applets).
	if want, got := treeOf(t, filepath.Join(ctlImage, "rootfs")), treeOf(t, filepath.Join(nodeImage, "rootfs")); want != got || !strings.Contains(got, "bin/sh l") {
		t.Errorf("node image differs from the controller's:\n%s\n---\n%s", want, got)
	}
	if info, err := lc.Info(ctx, image); err != nil || info.State != "stopped" {
		t.Errorf("node image is not a stopped container: %v %+v", err, info)
	}
	// 2. provision both VMs.
	r = saltRun(t, ctx, conf, "mc_cloud_lxc.provision_vms", "cn1")
	if r.code != 0 || r.ret["result"] != true {
		for _, vm := range []string{"vm1.e2e.test", "vm2.e2e.test"} {
			out, err := lc.Run(ctx, vm, []string{"/bin/sh", "-c", "tail -n 30 /var/log/salt/minion /var/log/mastersalt/minion; ps; cat /etc/inittab; ls -lR /usr/local/bin /etc/salt /etc/mastersalt; cat /etc/*salt/minion.d/*"}, nil, nil)
			if err == nil {
				t.Logf("%s:\n%s%s", vm, out.Stdout, out.Stderr)
			}
		}
		t.Fatalf("provision_vms: exit %d %v", r.code, r.ret)
	}
	vms := []struct {
		name, ip, conf string
		master, other  *mastertest.Server
		procs          []string
	}{
		{"vm1.e2e.test", "10.5.0.11", "/etc/mastersalt/minion.d/saltgo-lxc.conf", m, sm, []string{"mastersalt-minion", "minion"}},
		{"vm2.e2e.test", "10.5.0.12", "/etc/salt/minion.d/saltgo-lxc.conf", sm, m, []string{"minion"}},
	}
	for _, vm := range vms {
		in, err := lc.Info(ctx, vm.name)
		if err != nil || in.State != "running" {
			t.Fatalf("%s: %v %+v", vm.name, err, in)
		}
		if out, err := lc.Run(ctx, vm.name, []string{"ip", "addr", "show", "eth0"}, nil, nil); err != nil || !strings.Contains(string(out.Stdout), vm.ip+"/16") {
			t.Errorf("%s eth0: %v %s", vm.name, err, out.Stdout)
		}
		// TCP inside the namespace, to the allocated IP.
		if out, err := lc.Run(ctx, vm.name, []string{"httpd", "-p", "8080", "-h", "/etc"}, nil, nil); err != nil || out.Status != 0 {
			t.Fatalf("httpd in %s: %v %+v", vm.name, err, out)
		}
		body := ns.Get(vm.ip+":8080", "/hostname")
		if !strings.HasPrefix(string(body), "HTTP/1.") {
			t.Errorf("TCP to %s in the namespace: %q", vm.name, body)
		}
		// The VM minion's key is accepted on the master of its mode only.
		if _, err := os.Stat(filepath.Join(vm.master.PKIDir, "minions", vm.name)); err != nil {
			t.Errorf("%s key not accepted: %v", vm.name, err)
		}
		if _, err := os.Stat(filepath.Join(vm.other.PKIDir, "minions", vm.name)); err == nil {
			t.Errorf("%s key accepted on the master of the other mode", vm.name)
		}
		// Its first highstate ran through the master, in its mode's
		// stack (vm1: mastersalt, the default; vm2: salt).
		if hs, err := lc.ReadFile(ctx, vm.name, "/etc/e2e-highstate"); err != nil || string(hs) != vm.name+"\n" {
			t.Errorf("%s initial highstate file: %q %v", vm.name, hs, err)
		}
		if _, err := lc.ReadFile(ctx, vm.name, vm.conf); err != nil {
			t.Errorf("%s minion config: %v", vm.name, err)
		}
		// Its minions run as services of busybox's init, and it answers
		// test.ping through the master of its mode, not the other one.
		checkServices(t, ctx, lc, vm.name, vm.procs)
		if !pingThrough(t, ctx, vm.master, vm.name, 1) {
			t.Errorf("%s does not answer through the master of its mode", vm.name)
		}
		if pingThrough(t, ctx, vm.other, vm.name, 1) {
			t.Errorf("%s answers through the master of the other mode", vm.name)
		}
	}
	// The mastersalt VM's salt-minion joins the VM's local master.
	if b, err := lc.ReadFile(ctx, "vm1.e2e.test", "/etc/salt/minion.d/saltgo-lxc.conf"); err != nil || !strings.Contains(string(b), "master: 127.0.0.1\nmaster_port: 4506\n") {
		t.Errorf("vm1 salt-minion config: %q %v", b, err)
	}
	// get_settings_for_vm: master_port is the port of the master of the
	// VM's mode.
	for _, vm := range vms {
		r := saltRun(t, ctx, conf, "mc_cloud_lxc.get_settings_for_vm", "cn1", vm.name)
		if want := confPort(t, vm.master); fmt.Sprint(r.ret["master_port"]) != want {
			t.Errorf("%s master_port %v, want %s (the ret_port of the master of its mode)", vm.name, r.ret["master_port"], want)
		}
	}
	// A restarted container gets its minion back: it answers again.
	if _, err := lc.Stop(ctx, "vm1.e2e.test", 10, false); err != nil {
		t.Fatal(err)
	}
	if _, err := lc.Start(ctx, "vm1.e2e.test"); err != nil {
		t.Fatal(err)
	}
	if !pingThrough(t, ctx, m, "vm1.e2e.test", 15) {
		t.Error("vm1 does not answer after a container restart")
	}
	checkServices(t, ctx, lc, "vm1.e2e.test", vms[0].procs)
	// 3. A second install_vt and provision change nothing (no image is
	// packed or sent: the node's .ms_version is the controller's).
	imgVersion := readTrim(t, filepath.Join(nodeImage, ".ms_version"))
	r = saltRun(t, ctx, conf, "mc_cloud_lxc.install_vt", "cn1")
	if r.code != 0 || r.ret["result"] != true || len(changesOf(r)) != 0 {
		t.Errorf("second install_vt: exit %d changes %v", r.code, changesOf(r))
	}
	if strings.Contains(r.err, "pack "+image) || strings.Contains(r.err, ": received") || !strings.Contains(r.raw, "already up to date (version "+imgVersion+")") {
		t.Errorf("second install_vt packed or sent the image again: %s %s", r.err, r.raw)
	}
	imagesChecks(t, ctx, conf, nodeImage, ctlImage, imgRoot, imgVersion, lc.Path())
	r = saltRun(t, ctx, conf, "mc_cloud_lxc.provision_vms", "cn1")
	if r.code != 0 || r.ret["result"] != true || len(changesOf(r)) != 0 {
		t.Errorf("second provision_vms: exit %d changes %v", r.code, changesOf(r))
	}
	// 3b. A VM minion key the master of its mode rejected: the ping step
	// says so instead of waiting for an answer.
	rej := filepath.Join(m.PKIDir, "minions_rejected", "vm1.e2e.test")
	mustWrite(t, rej, "rejected\n")
	r = saltRun(t, ctx, conf, "mc_cloud_lxc.provision", "vm1.e2e.test", "steps=ping")
	if r.code == 0 || !strings.Contains(fmt.Sprint(r.ret["comment"]), "the mastersalt master rejected the key of vm1.e2e.test (it is in "+rej+")") {
		t.Errorf("rejected key: exit %d %v", r.code, r.ret)
	}
	if err := os.Remove(rej); err != nil {
		t.Fatal(err)
	}
	// 4. Bad input: unknown compute node.
	r = saltRun(t, ctx, conf, "mc_cloud_lxc.install_vt", "cn9")
	if r.code == 0 || !strings.Contains(fmt.Sprint(r.ret["comment"]), "cn9 is not a compute node declared") {
		t.Errorf("unknown compute node: exit %d %v", r.code, r.ret)
	}
	// 5. destroy vm2: container and key gone.
	r = saltRun(t, ctx, conf, "mc_cloud_lxc.destroy_vm", "vm2.e2e.test")
	if r.code != 0 || r.ret["result"] != true {
		t.Errorf("destroy_vm: exit %d %v", r.code, r.ret)
	}
	if ok, _ := lc.Exists(ctx, "vm2.e2e.test"); ok {
		t.Error("vm2 container still exists")
	}
	if _, err := os.Stat(filepath.Join(sm.PKIDir, "minions", "vm2.e2e.test")); err == nil {
		t.Error("vm2 key still accepted on the salt master")
	}
	// 5b. salt-cloud on the files post_deploy_controller wrote: -p makes a
	// VM from a profile, -d -y removes it.
	e2eSaltCloud(t, ctx, m, lc, ns, nodeImage)
	// 6. A highstate that fails stops the provisioning: the runner's
	// comment names the failed state, and says what is left behind.
	mustWrite(t, filepath.Join(tree, "vm.sls"), "e2e-broken:\n  file.managed:\n    - name: /etc/e2e-broken\n    - source: salt://no-such-file\n")
	r = saltRun(t, ctx, conf, "mc_cloud_lxc.provision", "vm2.e2e.test")
	for _, want := range []string{
		"failed: 1 of 1 states failed: e2e-broken (file.managed /etc/e2e-broken): Source file salt://no-such-file not found in saltenv 'base'",
		"vm2.e2e.test on cn1 is spawned but NOT fully provisioned (stopped at step initial_highstate)",
	} {
		if r.code == 0 || r.ret["result"] != false || !strings.Contains(fmt.Sprint(r.ret["comment"]), want) {
			t.Errorf("failed highstate: exit %d, comment lacks %q: %v", r.code, want, r.ret["comment"])
		}
	}
	// 7. Node down mid-run: stop the compute node minion, provision again.
	stopMinion()
	<-minionDone
	minionDone <- 0
	r = saltRun(t, ctx, conf, "mc_cloud_lxc.provision", "vm2.e2e.test")
	if r.code == 0 || !strings.Contains(fmt.Sprint(r.ret["comment"]), "Target cn1 unreachable") {
		t.Errorf("node down: exit %d %v", r.code, r.ret)
	}
}

// e2eSaltCloud runs salt-cloud against the e2e master: the providers
// and profiles come from post_deploy_controller, plus a profile extending
// the generated dir-scratch one for a busybox VM. -p creates web.e2e.test
// on cn1, running with the IP get_settings_for_vm gives it afterwards;
// -d -y removes the container and the minion key, and the VM is no longer
// known to get_settings_for_vm; then e2eCloudMap. The minions of the
// generated profiles sign in to makina-states.cloud.master (the bridge
// address, from the controller's pillar).
func e2eSaltCloud(t *testing.T, ctx context.Context, m *mastertest.Server, lc *liblxc.Client, ns *lxctest.Netns, nodeImage string) {
	t.Helper()
	conf := m.ConfDir
	r := saltRun(t, ctx, conf, "mc_cloud_lxc.post_deploy_controller")
	if r.code != 0 || r.ret["result"] != true {
		t.Fatalf("post_deploy_controller: exit %d %v", r.code, r.ret)
	}
	// The generated scratch profile names the ubuntu template; the
	// test's only template is busybox.
	mustWrite(t, filepath.Join(conf, "cloud.profiles.d", "e2e.conf"), "e2e-busybox:\n  extends: ms-cn1-dir-scratch\n  image: busybox\n")
	cloud := func(stdin string, args ...string) (string, int) {
		var out, errb bytes.Buffer
		code := cloudcli.Main(ctx, "mastersalt-cloud", append([]string{"-c", conf}, args...), strings.NewReader(stdin), console.IO{Stdout: &out, Stderr: &errb})
		t.Logf("mastersalt-cloud %s -> exit %d\n%s\n%s", strings.Join(args, " "), code, out.String(), errb.String())
		return out.String(), code
	}
	if out, code := cloud("", "--list-profiles", "cn1-lxc"); code != 0 || !strings.Contains(out, "e2e-busybox:\n    ----------\n    cn1-lxc:") || !strings.Contains(out, "ms-cn1-dir-scratch:") {
		t.Fatalf("--list-profiles: %d %s", code, out)
	}
	const vm = "web.e2e.test"
	if out, code := cloud("", "-p", "e2e-busybox", vm); code != 0 || !strings.Contains(out, "created:\n            created") {
		t.Fatalf("salt-cloud -p: exit %d", code)
	}
	r = saltRun(t, ctx, conf, "mc_cloud_lxc.get_settings_for_vm", "cn1", vm)
	ip, _ := r.ret["ip"].(string)
	if r.code != 0 || ip == "" || r.ret["profile_type"] != "dir-scratch" {
		t.Fatalf("get_settings_for_vm %s after -p: %d %v", vm, r.code, r.ret)
	}
	if in, err := lc.Info(ctx, vm); err != nil || in.State != "running" {
		t.Fatalf("%s: %v %+v", vm, err, in)
	}
	if out, err := lc.Run(ctx, vm, []string{"ip", "addr", "show", "eth0"}, nil, nil); err != nil || !strings.Contains(string(out.Stdout), ip+"/16") {
		t.Errorf("%s eth0 lacks %s: %v %s", vm, ip, err, out.Stdout)
	}
	if _, err := os.Stat(filepath.Join(m.PKIDir, "minions", vm)); err != nil {
		t.Errorf("%s key not accepted: %v", vm, err)
	}
	if out, code := cloud("", "-Q"); code != 0 || !strings.Contains(out, vm+":") || !strings.Contains(out, ip) {
		t.Errorf("-Q: %d %s", code, out)
	}
	// Declined: nothing happens.
	if _, code := cloud("n\n", "-d", vm); code != 0 {
		t.Errorf("declined -d: exit %d", code)
	}
	if ok, _ := lc.Exists(ctx, vm); !ok {
		t.Fatal("a declined salt-cloud -d removed the container")
	}
	if out, code := cloud("", "-d", "-y", vm); code != 0 || !strings.Contains(out, vm+" was destroyed") {
		t.Errorf("salt-cloud -d -y: exit %d", code)
	}
	if ok, _ := lc.Exists(ctx, vm); ok {
		t.Error("container still exists after salt-cloud -d")
	}
	if _, err := os.Stat(filepath.Join(m.PKIDir, "minions", vm)); err == nil {
		t.Error("minion key still accepted after salt-cloud -d")
	}
	if r = saltRun(t, ctx, conf, "mc_cloud_lxc.get_settings_for_vm", "cn1", vm); r.code == 0 && !strings.Contains(r.raw, "is not declared") {
		t.Errorf("get_settings_for_vm after -d: %d %s", r.code, r.raw)
	}
	if out, code := cloud("", "-d", "-y", vm); code != 0 || out != "No machines were found to be destroyed\n" {
		t.Errorf("second -d: %d %q", code, out)
	}
	// -m -P: a map of the three kinds of VM in parallel, then -d -m
	// removes them.
	e2eCloudMap(t, ctx, m, lc, ns, cloud, nodeImage)
}

// e2eCloudMap is salt-cloud -m -P of a map with one VM of each kind, made
// from the profiles post_deploy_controller wrote (their minion's master is
// the pillar's makina-states.cloud.master): m1 from scratch (busybox),
// m2 an overlayfs clone of the image install_vt brought to the node, m3 a
// dir clone of it. Each runs with the IP get_settings_for_vm gives it
// (lxc-info and eth0 agree, and TCP from the bridge side of the namespace
// reaches it); m2's rootfs is an overlay whose lower layer is the image's
// rootfs and whose upper layer holds only what the VM changed, m3's a
// full copy (its own files, not links to the image's); the clones carry
// the image's content (its /etc/motd, which the busybox template lacks).
// -d -m removes the three: containers and keys gone, the image kept.
func e2eCloudMap(t *testing.T, ctx context.Context, m *mastertest.Server, lc *liblxc.Client, ns *lxctest.Netns, cloud func(string, ...string) (string, int), nodeImage string) {
	t.Helper()
	conf := m.ConfDir
	imageRootfs := filepath.Join(nodeImage, "rootfs")
	vms := []struct{ name, profile, ptype string }{
		{"m1.e2e.test", "e2e-busybox", "dir-scratch"},
		{"m2.e2e.test", "ms-cn1-overlayfs", "overlayfs"},
		{"m3.e2e.test", "ms-cn1-dir", "dir"},
	}
	var mp strings.Builder
	for _, vm := range vms {
		fmt.Fprintf(&mp, "%s:\n  - %s\n", vm.profile, vm.name)
	}
	mapFile := filepath.Join(filepath.Dir(conf), "e2e.map")
	mustWrite(t, mapFile, mp.String())
	if out, code := cloud("", "-m", mapFile, "-P", "-y"); code != 0 || strings.Count(out, "created:\n            created") != len(vms) {
		t.Fatalf("salt-cloud -m -P: exit %d", code)
	}
	for i, vm := range vms {
		r := saltRun(t, ctx, conf, "mc_cloud_lxc.get_settings_for_vm", "cn1", vm.name)
		ip, _ := r.ret["ip"].(string)
		if r.code != 0 || ip == "" || r.ret["profile_type"] != vm.ptype {
			t.Errorf("get_settings_for_vm %s: %d %v", vm.name, r.code, r.ret)
			continue
		}
		in, err := lc.Info(ctx, vm.name)
		if err != nil || in.State != "running" || !slices.Contains(in.IPs, ip) {
			t.Errorf("%s is not running with %s: %v %+v", vm.name, ip, err, in)
			continue
		}
		if out, err := lc.Run(ctx, vm.name, []string{"ip", "addr", "show", "eth0"}, nil, nil); err != nil || !strings.Contains(string(out.Stdout), ip+"/16") {
			t.Errorf("%s eth0 lacks %s: %v %s", vm.name, ip, err, out.Stdout)
		}
		port := fmt.Sprint(8081 + i)
		if out, err := lc.Run(ctx, vm.name, []string{"httpd", "-p", port, "-h", "/etc"}, nil, nil); err != nil || out.Status != 0 {
			t.Errorf("httpd in %s: %v %+v", vm.name, err, out)
		} else if body := ns.Get(ip+":"+port, "/e2e-highstate"); !strings.HasPrefix(string(body), "HTTP/1.1 200 ") || !strings.HasSuffix(string(body), "\n"+vm.name+"\n") {
			t.Errorf("TCP from the bridge to %s (%s): %q", vm.name, ip, body)
		}
		if _, err := os.Stat(filepath.Join(m.PKIDir, "minions", vm.name)); err != nil {
			t.Errorf("%s key not accepted: %v", vm.name, err)
		}
		motd, err := lc.ReadFile(ctx, vm.name, "/etc/motd")
		if fromImage := err == nil && string(motd) == "version 2\n"; fromImage != (vm.ptype != "dir-scratch") {
			t.Errorf("%s /etc/motd %q (%v): made from the image: %v, want %v", vm.name, motd, err, fromImage, !fromImage)
		}
		t.Logf("%s (%s): running with %s, rootfs %s", vm.name, vm.ptype, ip, in.RootfsPath)
		// What the running VM's / is mounted as.
		rootType := ""
		if out, err := lc.Run(ctx, vm.name, []string{"cat", "/proc/mounts"}, nil, nil); err == nil {
			for _, l := range strings.Split(string(out.Stdout), "\n") {
				if f := strings.Fields(l); len(f) > 2 && f[1] == "/" {
					rootType = f[2]
				}
			}
		}
		if (rootType == "overlay") != (vm.ptype == "overlayfs") {
			t.Errorf("%s: / is mounted as %q", vm.name, rootType)
		}
		layers := strings.Split(strings.TrimPrefix(strings.TrimPrefix(in.RootfsPath, "overlayfs:"), "dir:"), ":")
		switch vm.ptype {
		case "overlayfs":
			if len(layers) != 2 || layers[0] != imageRootfs || !strings.HasPrefix(layers[1], filepath.Join(lc.Path(), vm.name)+"/") {
				t.Errorf("%s rootfs %q is not an overlay on %s", vm.name, in.RootfsPath, imageRootfs)
				continue
			}
			// The upper layer has what provisioning wrote, not the
			// image's files.
			if _, err := os.Stat(filepath.Join(layers[1], "etc", "e2e-highstate")); err != nil {
				t.Errorf("%s upper layer lacks the highstate's file: %v", vm.name, err)
			}
			if _, err := os.Lstat(filepath.Join(layers[1], "bin", "busybox")); err == nil {
				t.Errorf("%s upper layer has a copy of the image's /bin/busybox", vm.name)
			}
			if _, err := os.Stat(filepath.Join(imageRootfs, "etc", "e2e-highstate")); err == nil {
				t.Errorf("%s wrote into the image's rootfs", vm.name)
			}
		case "dir":
			if len(layers) != 1 || layers[0] != filepath.Join(lc.Path(), vm.name, "rootfs") {
				t.Errorf("%s rootfs %q is not its own directory", vm.name, in.RootfsPath)
				continue
			}
			img, err1 := os.Stat(filepath.Join(imageRootfs, "bin", "busybox"))
			own, err2 := os.Stat(filepath.Join(layers[0], "bin", "busybox"))
			if err1 != nil || err2 != nil || !own.Mode().IsRegular() || own.Size() != img.Size() || os.SameFile(img, own) {
				t.Errorf("%s /bin/busybox is not a copy of the image's: %v %v", vm.name, err1, err2)
			}
			if want, got := treeOf(t, filepath.Join(imageRootfs, "bin")), treeOf(t, filepath.Join(layers[0], "bin")); want != got {
				t.Errorf("%s /bin differs from the image's:\n%s\n---\n%s", vm.name, want, got)
			}
		}
	}
	if out, code := cloud("", "-d", "-m", mapFile, "-y"); code != 0 || strings.Count(out, "was destroyed") != len(vms) {
		t.Errorf("salt-cloud -d -m: exit %d", code)
	}
	for _, vm := range vms {
		if ok, _ := lc.Exists(ctx, vm.name); ok {
			t.Errorf("%s still exists", vm.name)
		}
		if _, err := os.Stat(filepath.Join(m.PKIDir, "minions", vm.name)); err == nil {
			t.Errorf("%s key still accepted", vm.name)
		}
	}
	if in, err := lc.Info(ctx, "makina-states-trusty"); err != nil || in.State != "stopped" {
		t.Errorf("node image after -d -m: %v %+v", err, in)
	}
	if _, err := os.Stat(filepath.Join(imageRootfs, "bin", "busybox")); err != nil {
		t.Errorf("node image rootfs after -d -m: %v", err)
	}
}

// checkServices asserts that the VM's saltgo minions (saltgo <cmd>) run
// as respawn entries of busybox's init, once each.
func checkServices(t *testing.T, ctx context.Context, lc *liblxc.Client, vm string, cmds []string) {
	t.Helper()
	tab, err := lc.ReadFile(ctx, vm, "/etc/inittab")
	if err != nil {
		t.Errorf("%s inittab: %v", vm, err)
	}
	out, err := lc.Run(ctx, vm, []string{"/bin/sh", "-c", `for d in /proc/[0-9]*; do tr '\000' ' ' < $d/cmdline; echo; done`}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cmds {
		line := provision.VMMinionBinary + " " + c
		if n := strings.Count(string(tab), "::respawn:"+line+"\n"); n != 1 {
			t.Errorf("%s inittab has %d respawn lines for %s:\n%s", vm, n, line, tab)
		}
		if n := strings.Count(string(out.Stdout), line+" \n"); n != 1 {
			t.Errorf("%s runs %d processes %q:\n%s", vm, n, line, out.Stdout)
		}
	}
}

// confPort is the ret_port of a test master's config file.
func confPort(t *testing.T, srv *mastertest.Server) string {
	t.Helper()
	_, p, err := net.SplitHostPort(srv.Rep.Addr())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// pingThrough runs salt <id> test.ping on the test master srv, up to
// tries times; it tells whether the minion answered.
func pingThrough(t *testing.T, ctx context.Context, srv *mastertest.Server, id string, tries int) bool {
	t.Helper()
	for i := 0; i < tries; i++ {
		var out, errb bytes.Buffer
		code := saltcli.Main(ctx, "salt", []string{"-c", srv.ConfDir, "--out", "json", "-t", "3", id, "test.ping"}, console.IO{Stdout: &out, Stderr: &errb})
		var ret map[string]any
		if code == 0 && json.Unmarshal(out.Bytes(), &ret) == nil && ret[id] == true {
			return true
		}
		if i == tries-1 {
			t.Logf("salt -c %s %s test.ping -> exit %d %s %s", srv.ConfDir, id, code, out.String(), errb.String())
		}
	}
	return false
}

func mustWrite(t *testing.T, p, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendConf(t *testing.T, p, s string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// imagesChecks are the image sync's failure cases against the running
// e2e rig: a sync while another holds the image is refused, a corrupted
// archive leaves the node's image as it was, and a changed image is sent
// once.
func imagesChecks(t *testing.T, ctx context.Context, conf, nodeImage, ctlImage, imgRoot, version, lxcpath string) {
	t.Helper()
	const image = "makina-states-trusty"
	before := treeOf(t, nodeImage)
	// A transfer of the image is running on the node (its lock is held).
	lock, err := os.OpenFile(filepath.Join(lxcpath, ".saltgo-sync-"+image+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	r := saltRun(t, ctx, conf, "mc_cloud_lxc.sync_images", "cn1")
	lock.Close()
	if r.code == 0 || r.ret["result"] != false || !strings.Contains(r.raw, "Transfer already in progress") {
		t.Errorf("sync during a transfer: exit %d %s", r.code, r.raw)
	}
	if after := treeOf(t, nodeImage); after != before {
		t.Errorf("refused sync changed the node image")
	}
	// A new version whose archive is corrupted on the master: packed
	// here as the runner would, then one byte flipped (the runner reuses
	// the archive of an unchanged version).
	mustWrite(t, filepath.Join(ctlImage, "rootfs", "etc", "motd"), "version 2\n")
	a, err := provision.PrepareImageArchive(ctx, image, ctlImage, filepath.Join(imgRoot, image), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(a.Path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/3] ^= 0xff
	mustWrite(t, a.Path, string(b))
	r = saltRun(t, ctx, conf, "mc_cloud_lxc.sync_images", "cn1")
	if r.code == 0 || r.ret["result"] != false || !strings.Contains(r.raw, "archive verification failed") || !strings.Contains(r.raw, "previous image kept") {
		t.Errorf("corrupted archive: exit %d %s", r.code, r.raw)
	}
	if after := treeOf(t, nodeImage); after != before || readTrim(t, filepath.Join(nodeImage, ".ms_version")) != version {
		t.Errorf("corrupted archive changed the node image")
	}
	if ents, _ := filepath.Glob(filepath.Join(lxcpath, ".saltgo-sync-*")); len(ents) != 1 {
		t.Errorf("left behind on the node: %v", ents)
	}
	// Once the archive is gone, the next sync packs and sends version 2.
	if err := os.Remove(a.Path); err != nil {
		t.Fatal(err)
	}
	r = saltRun(t, ctx, conf, "mc_cloud_lxc.sync_images", "cn1")
	if r.code != 0 || r.ret["result"] != true || readTrim(t, filepath.Join(nodeImage, "rootfs", "etc", "motd")) != "version 2" {
		t.Errorf("sync of version 2: exit %d %s", r.code, r.raw)
	}
	if v := readTrim(t, filepath.Join(nodeImage, ".ms_version")); v != a.Version {
		t.Errorf("node version %s, want %s", v, a.Version)
	}
}

func readTrim(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// treeOf lists a tree with find: path, type, mode, owner, size (not of
// directories), link target.
func treeOf(t *testing.T, root string) string {
	t.Helper()
	out, err := exec.Command("find", root, "-mindepth", "1", "-printf", "%P %y %m %U:%G %l\n").Output()
	if err != nil {
		t.Fatalf("find %s: %v", root, err)
	}
	l := strings.Split(strings.TrimSpace(string(out)), "\n")
	sort.Strings(l)
	return strings.Join(l, "\n")
}
