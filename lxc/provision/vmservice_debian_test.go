package provision_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/saltgo/saltgo/lxc/lxctest"
	"github.com/saltgo/saltgo/lxc/provision"
)

// minionStandIn is a VM saltgo that stays up as a daemon (its command
// line is "/bin/sh /usr/local/bin/saltgo <cmd>").
const minionStandIn = "#!/bin/sh\n# saltgo stand-in\nwhile :; do sleep 1; done\n"

func debianVM(t *testing.T, opt lxctest.DebianOptions, mode string) (*lxctest.Debian, *provision.VMEnv, *provision.Settings, context.Context) {
	t.Helper()
	d := lxctest.NewDebian(t, opt)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	if err := d.Client.WriteFile(ctx, d.Name, provision.VMMinionBinary, []byte(minionStandIn), 0o755); err != nil {
		t.Fatal(err)
	}
	return d, &provision.VMEnv{Client: d.Client}, &provision.Settings{Name: d.Name, Mode: mode}, ctx
}

// A Debian guest booted by systemd: the VM's minions are units enabled by
// their wants link and started with systemctl; a second run changes
// nothing.
func TestMinionServicesSystemdGuest(t *testing.T) {
	d, env, s, ctx := debianVM(t, lxctest.DebianOptions{Systemd: true, MaskUnits: []string{"lxc.service", "cron.service"}}, "mastersalt")
	r, err := provision.MinionServices(ctx, env, s)
	if err != nil || !r.Result {
		t.Fatalf("minion_services: %v %+v", err, r)
	}
	if !strings.Contains(r.Comment, "(saltgo-mastersalt-minion, saltgo-salt-minion) running under systemd") {
		t.Errorf("comment %q", r.Comment)
	}
	for _, svc := range provision.VMServices(s) {
		unit := svc.Name + ".service"
		if got := d.MustRun(t, "cat", "/etc/systemd/system/"+unit); got != provision.SystemdUnit(svc) {
			t.Errorf("%s:\n%s", unit, got)
		}
		if got := strings.TrimSpace(d.MustRun(t, "readlink", "/etc/systemd/system/multi-user.target.wants/"+unit)); got != "/etc/systemd/system/"+unit {
			t.Errorf("wants link of %s -> %q", unit, got)
		}
		for _, q := range []string{"is-enabled", "is-active"} {
			out, err := d.Run(ctx, "systemctl", q, unit)
			if err != nil || out.Status != 0 {
				t.Errorf("systemctl %s %s: %v %s %s", q, unit, err, out.Stdout, out.Stderr)
			}
		}
	}
	if got := d.MustRun(t, "cat", provision.VMMinionConfig); !strings.Contains(got, "master: 127.0.0.1\nmaster_port: 4506\n") {
		t.Errorf("local salt-minion config:\n%s", got)
	}
	r, err = provision.MinionServices(ctx, env, s)
	if err != nil || r.Changed() || !strings.Contains(r.Comment, "already running under systemd") {
		t.Errorf("second run: %v %+v", err, r)
	}
}

// A sysvinit guest (a regular /sbin/init beside /etc/inittab and
// /etc/init.d): LSB init scripts with rc links, started by the script; a
// changed binary restarts the service; a broken daemon fails the step and
// removes what it wrote.
func TestMinionServicesSysVGuest(t *testing.T) {
	d, env, s, ctx := debianVM(t, lxctest.DebianOptions{}, "salt")
	d.MustRun(t, "/bin/sh", "-c", "rm -f /sbin/init && cp /bin/true /sbin/init && printf 'id:2:initdefault:\\n' > /etc/inittab")
	r, err := provision.MinionServices(ctx, env, s)
	if err != nil || !r.Result || !strings.Contains(r.Comment, "(saltgo-salt-minion) running under sysvinit") {
		t.Fatalf("minion_services: %v %+v", err, r)
	}
	svc := provision.VMServices(s)[0]
	if got := d.MustRun(t, "cat", "/etc/init.d/"+svc.Name); got != provision.InitScript(svc) {
		t.Errorf("init script:\n%s", got)
	}
	for _, l := range provision.SysVLinks(svc.Name) {
		if got := strings.TrimSpace(d.MustRun(t, "readlink", l[0])); got != l[1] {
			t.Errorf("%s -> %q, want %q", l[0], got, l[1])
		}
	}
	status := func() string {
		out, err := d.Run(ctx, "/etc/init.d/"+svc.Name, "status")
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out.Stdout))
	}
	pid := func() string { return strings.TrimSpace(d.MustRun(t, "cat", "/var/run/"+svc.Name+".pid")) }
	if got := status(); got != svc.Name+" is running" {
		t.Fatalf("status: %q", got)
	}
	first := pid()
	r, err = provision.MinionServices(ctx, env, s)
	if err != nil || r.Changed() {
		t.Errorf("second run: %v %+v", err, r)
	}
	// A new binary (its version marker changed): the service restarts.
	d.MustRun(t, "/bin/sh", "-c", "echo sha256=new > "+provision.VMMinionVersionFile)
	r, err = provision.MinionServices(ctx, env, s)
	if ch, _ := r.Changes.Get(svc.Name); err != nil || ch != "restarted" {
		t.Errorf("after a binary change: %v %+v", err, r)
	}
	if status() != svc.Name+" is running" || pid() == first {
		t.Errorf("not restarted: pid %s (was %s)", pid(), first)
	}
	d.MustRun(t, "/etc/init.d/"+svc.Name, "stop")
	// A daemon that does not stay up: the step fails naming it, and the
	// script and links it wrote are removed.
	d.MustRun(t, "/bin/sh", "-c", "rm -f /etc/init.d/"+svc.Name+" /etc/rc?.d/*"+svc.Name+" && printf '#!/bin/sh\\nexit 1\\n' > "+provision.VMMinionBinary)
	env.ServiceWait = 2 * time.Second
	r, err = provision.MinionServices(ctx, env, s)
	if err == nil || r.Result || !strings.Contains(r.Comment, "the saltgo-salt-minion service of "+s.Name+" (/usr/local/bin/saltgo minion) is not running") {
		t.Errorf("broken daemon: %v %+v", err, r)
	}
	if out := d.MustRun(t, "/bin/sh", "-c", "ls /etc/init.d/"+svc.Name+" /etc/rc?.d/*"+svc.Name+" 2>/dev/null; true"); strings.TrimSpace(out) != "" {
		t.Errorf("left behind after the failure:\n%s", out)
	}
}
