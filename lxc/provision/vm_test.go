package provision_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/saltgo/saltgo/lxc/lxctest"
	"github.com/saltgo/saltgo/lxc/provision"
)

func TestVMStepsInsideContainer(t *testing.T) {
	t.Parallel()
	_, c, ctx := lxctest.Bridged(t)
	pki := t.TempDir()
	bin := filepath.Join(t.TempDir(), "saltgo")
	// A stand-in for the minion (busybox has no room for the real one;
	// TestInitialHighstateThroughMaster runs it): it logs its arguments
	// and answers a one-state highstate.
	standIn := `#!/bin/sh
# saltgo stand-in
case "$1" in *minion) echo "$@" >> /root/saltgo-services.log; while :; do sleep 1; done;; esac
echo "$@" >> /root/saltgo-args.log
echo '{"local": {"cmd_|-boot_|-true_|-run": {"name": "true", "changes": {"retcode": 0}, "result": true, "comment": "Command \"true\" run", "__id__": "boot", "__run_num__": 0}}}'
`
	if err := os.WriteFile(bin, []byte(standIn), 0o755); err != nil {
		t.Fatal(err)
	}
	s := busybox(lxctest.Unique("vm"), "10.5.0.40", "00:16:3e:5a:00:40")
	s.Domains = []string{s.Name, "alias.example.test"}
	s.Master, s.MasterPort = "10.5.0.1", 4606
	s.Password = "s3cr3t-pw"
	s.Users = []string{"root", "sysadmin"}
	env := &provision.VMEnv{
		Client: c, ComputeNode: "cn1.example.test",
		RootKeys:     []string{"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCtest controller@root"},
		MinionBinary: bin, MasterPKIDir: pki,
		BootstrapCommand: "echo boot >> /root/bootstrap.log",
	}
	res, err := provision.ProvisionVM(ctx, env, s, nil)
	if err != nil {
		t.Fatalf("provision: %v", err)
	}
	if len(res) != len(provision.DefaultVMSteps) {
		t.Fatalf("steps: %d", len(res))
	}
	for _, r := range res {
		if !r.Result || !r.Changed() {
			t.Errorf("first run %s: %+v", r.Name, r)
		}
	}
	read := func(p string) string {
		b, err := c.ReadFile(ctx, s.Name, p)
		if err != nil {
			t.Fatalf("read %s: %v", p, err)
		}
		return string(b)
	}
	hosts := read("/etc/hosts")
	for _, want := range []string{"10.5.0.40 " + s.Name + " alias.example.test", "10.5.0.1 cn1.example.test"} {
		if !strings.Contains(hosts, want) {
			t.Errorf("/etc/hosts lacks %q:\n%s", want, hosts)
		}
	}
	if ak := read("/root/.ssh/authorized_keys"); !strings.Contains(ak, "controller@root") {
		t.Errorf("authorized_keys: %q", ak)
	}
	grains := read(provision.VMGrainsFile)
	for _, k := range []string{"makina-states.cloud.is.vm: true", "makina-states.cloud.is.lxcvm: true", "makina-states.nodetypes.lxccontainer: true"} {
		if !strings.Contains(grains, k) {
			t.Errorf("grains lack %q:\n%s", k, grains)
		}
	}
	// The root hash in the container verifies with the container's own
	// crypt implementation (busybox mkpasswd).
	var hash string
	for _, l := range strings.Split(read("/etc/shadow"), "\n") {
		if strings.HasPrefix(l, "root:") {
			hash = strings.Split(l, ":")[1]
		}
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 4 || parts[1] != "6" {
		t.Fatalf("root hash %q", hash)
	}
	out, err := c.Run(ctx, s.Name, []string{"mkpasswd", "-m", "sha512", s.Password, parts[2]}, nil, nil)
	if err != nil || strings.TrimSpace(string(out.Stdout)) != hash {
		t.Fatalf("mkpasswd in container: %v %q != %q", err, out.Stdout, hash)
	}
	if !strings.Contains(res[4].Comment, "no such users: sysadmin") {
		t.Errorf("initial_setup comment: %q", res[4].Comment)
	}
	mc := read(provision.VMMinionConfig)
	for _, want := range []string{"id: " + s.Name, "master: 10.5.0.1", "master_port: 4606"} {
		if !strings.Contains(mc, want) {
			t.Errorf("minion config lacks %q:\n%s", want, mc)
		}
	}
	pub := read(provision.VMMinionPKIDir + "/minion.pub")
	acc, err := os.ReadFile(filepath.Join(pki, "minions", s.Name))
	if err != nil || string(acc) != pub || !strings.Contains(pub, "BEGIN PUBLIC KEY") {
		t.Fatalf("pre-accepted key %q vs minion.pub %q: %v", acc, pub, err)
	}
	if got := read(provision.VMMinionBinary); !strings.Contains(got, "saltgo stand-in") {
		t.Errorf("minion binary: %q", got)
	}
	if got := read("/root/bootstrap.log"); got != "boot\n" {
		t.Errorf("bootstrap ran: %q", got)
	}
	if got := read("/root/saltgo-args.log"); got != "call --out=json --retcode-passthrough --log-level=warning state.highstate\n" {
		t.Errorf("highstate command: %q", got)
	}
	if hs := res[5]; !strings.Contains(hs.Comment, "succeeded 1 (changed=1), failed 0; bootstrap command ran") {
		t.Errorf("initial_highstate: %+v", hs)
	}

	// Idempotence: a second run changes nothing, the bootstrap runs once.
	res2, err := provision.ProvisionVM(ctx, env, s, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res2 {
		if !r.Result || r.Changed() {
			t.Errorf("second run %s changed: %+v", r.Name, r.Changes)
		}
	}
	if got := read("/root/bootstrap.log"); got != "boot\n" {
		t.Errorf("bootstrap ran twice: %q", got)
	}
	if got := read("/root/saltgo-args.log"); strings.Count(got, "\n") != 1 {
		t.Errorf("highstate ran twice: %q", got)
	}
	// The minion runs as a service of busybox's init (a respawn line in
	// /etc/inittab), once.
	if tab := read("/etc/inittab"); strings.Count(tab, "::respawn:/usr/local/bin/saltgo minion\n") != 1 {
		t.Errorf("inittab:\n%s", tab)
	}
	pids := func() string {
		out, err := c.Run(ctx, s.Name, []string{"/bin/sh", "-c", `for d in /proc/[0-9]*; do [ "$(tr '\000' ' ' < $d/cmdline)" = "/bin/sh /usr/local/bin/saltgo minion " ] && echo ${d#/proc/}; done; exit 0`}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out.Stdout))
	}
	first := pids()
	if first == "" || strings.Contains(first, "\n") {
		t.Fatalf("minion service processes: %q", first)
	}
	if r := res[6]; !strings.Contains(r.Comment, "running under busybox") {
		t.Errorf("minion_services: %+v", r)
	}
	// A new binary (other content, same size) replaces the old one and
	// restarts the service.
	if err := os.WriteFile(bin, []byte(strings.Replace(standIn, "saltgo stand-in", "saltgo stand-IN", 1)), 0o755); err != nil {
		t.Fatal(err)
	}
	res3, err := provision.ProvisionVM(ctx, env, s, []string{"initial_setup", "minion_services"})
	if err != nil {
		t.Fatal(err)
	}
	if ch, _ := res3[0].Changes.Get(provision.VMMinionBinary); !strings.HasPrefix(ch.(string), "replaced (sha256 ") {
		t.Errorf("binary not replaced: %+v", res3[0].Changes)
	}
	if ch, _ := res3[1].Changes.Get("saltgo-salt-minion"); ch != "restarted" {
		t.Errorf("service not restarted: %+v", res3[1])
	}
	if got := read(provision.VMMinionBinary); !strings.Contains(got, "saltgo stand-IN") {
		t.Errorf("minion binary: %q", got)
	}
	second := pids()
	if second == "" || second == first {
		t.Errorf("service pid %q after the restart (was %q)", second, first)
	}
	// The service starts with the container.
	if _, err := c.Stop(ctx, s.Name, 10, false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Start(ctx, s.Name); err != nil {
		t.Fatal(err)
	}
	for i := 0; pids() == ""; i++ {
		if i > 50 {
			t.Fatal("minion service not back after a container restart")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// A mode change: mastersalt adds the mastersalt-minion and points the
	// salt-minion at the VM's local master (restarted to read it); back in
	// salt mode the mastersalt-minion is retired and the salt-minion
	// restarted with the controller's master again.
	count := func(cmd string) int {
		out, err := c.Run(ctx, s.Name, []string{"/bin/sh", "-c", `for d in /proc/[0-9]*; do tr '\000' ' ' < $d/cmdline; echo; done`}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Count(string(out.Stdout), "/bin/sh /usr/local/bin/saltgo "+cmd+" \n")
	}
	for _, step := range []struct {
		mode, salt, master string
		mastersalt         int
	}{
		{"mastersalt", "restarted", "127.0.0.1", 1},
		{"salt", "restarted", "10.5.0.1", 0},
	} {
		s.Mode = step.mode
		rs, err := provision.ProvisionVM(ctx, env, s, []string{"initial_setup", "minion_services"})
		if err != nil {
			t.Fatalf("mode %s: %v", step.mode, err)
		}
		if ch, _ := rs[1].Changes.Get("saltgo-salt-minion"); ch != step.salt {
			t.Errorf("mode %s: salt-minion %v: %+v", step.mode, ch, rs[1].Changes)
		}
		for i := 0; count("mastersalt-minion") != step.mastersalt || count("minion") != 1; i++ {
			if i > 50 {
				t.Fatalf("mode %s: %d mastersalt-minion, %d minion processes", step.mode, count("mastersalt-minion"), count("minion"))
			}
			time.Sleep(100 * time.Millisecond)
		}
		if mc := read(provision.VMMinionConfig); !strings.Contains(mc, "master: "+step.master+"\n") {
			t.Errorf("mode %s: salt-minion config:\n%s", step.mode, mc)
		}
	}
	// A daemon that does not stay up under busybox's init: the step fails
	// naming it, /etc/inittab is restored and no respawn is left.
	before := read("/etc/inittab")
	clean := before[:strings.Index(before, "# saltgo minion services begin")]
	if err := c.WriteFile(ctx, s.Name, "/etc/inittab", []byte(clean), 0); err != nil {
		t.Fatal(err)
	}
	if err := c.WriteFile(ctx, s.Name, provision.VMMinionBinary, []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := c.Run(ctx, s.Name, []string{"/bin/sh", "-c", `kill -HUP 1; sleep 0.3; for d in /proc/[0-9]*; do [ "$(tr '\000' ' ' < $d/cmdline)" = "/bin/sh /usr/local/bin/saltgo minion " ] && kill ${d#/proc/}; done; exit 0`}, nil, nil); err != nil || out.Status != 0 {
		t.Fatalf("reset: %v %+v", err, out)
	}
	for i := 0; count("minion") != 0; i++ {
		if i > 50 {
			t.Fatal("minion still running after its inittab line was removed")
		}
		time.Sleep(100 * time.Millisecond)
	}
	env.ServiceWait = 2 * time.Second
	r, err := provision.MinionServices(ctx, env, s)
	if err == nil || r.Result || !strings.Contains(r.Comment, "the saltgo-salt-minion service of "+s.Name+" (/usr/local/bin/saltgo minion) is not running") {
		t.Errorf("crashing daemon: %v %+v", err, r)
	}
	if got := read("/etc/inittab"); got != clean {
		t.Errorf("inittab not restored:\n%s", got)
	}
	time.Sleep(300 * time.Millisecond)
	if n := count("minion"); n != 0 {
		t.Errorf("%d minion processes left", n)
	}
	// A guest whose init is unknown: a clear error, nothing written.
	if out, err := c.Run(ctx, s.Name, []string{"/bin/sh", "-c", "rm /etc/inittab /sbin/init; printf '#!/bin/sh\\nexec sleep 1000\\n' > /sbin/init; chmod 755 /sbin/init"}, nil, nil); err != nil || out.Status != 0 {
		t.Fatalf("break init: %v %+v", err, out)
	}
	r, err = provision.MinionServices(ctx, env, s)
	if err == nil || r.Result || !strings.Contains(r.Comment, s.Name+" has no init saltgo can run its minion under: /sbin/init is neither systemd, busybox, nor sysvinit") {
		t.Errorf("unknown init: %v %+v", err, r)
	}
	if _, err := c.ReadFile(ctx, s.Name, "/etc/inittab"); err == nil {
		t.Error("an inittab was written for an unknown init")
	}
	// Without the marker, a minion or a bootstrap command there is
	// nothing to run.
	env.BootstrapCommand = ""
	if out, err := c.Run(ctx, s.Name, []string{"rm", provision.VMHighstateMarker, provision.VMMinionBinary}, nil, nil); err != nil || out.Status != 0 {
		t.Fatalf("rm: %v %+v", err, out)
	}
	r, err = provision.InitialHighstate(ctx, env, s)
	if err != nil || r.Changed() || !strings.Contains(r.Comment, "skipped") {
		t.Errorf("no minion, no bootstrap command: %v %+v", err, r)
	}
	d, err := provision.Destroy(ctx, c, s.Name, pki)
	if err != nil || !d.Changed() {
		t.Fatalf("destroy: %v %+v", err, d)
	}
	if _, err := os.Stat(filepath.Join(pki, "minions", s.Name)); !os.IsNotExist(err) {
		t.Errorf("accepted key left after destroy: %v", err)
	}
}
