package service_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/lxc/lxctest"
	filemod "github.com/saltgo/saltgo/modules/file"
)

func TestMain(m *testing.M) { lxctest.Main(m) }

const sh = lxctest.SharedDir

// pidAlive prints "alive PID" when the pidfile's process runs, "dead"
// otherwise; starts and reloads are the daemon's own records.
const probe = `if [ -f /run/demod.pid ] && kill -0 "$(cat /run/demod.pid)" 2>/dev/null; then echo "alive $(cat /run/demod.pid)"; else echo dead; fi; ` +
	`echo "starts $(wc -l < /var/lib/demod/starts 2>/dev/null || echo 0)"; echo "reloads $(tr '\n' ' ' < /var/lib/demod/reloads 2>/dev/null)"; ls /etc/rc2.d | grep demod || echo "no-links"`

// install puts the init.d script and the daemon in place before the
// scenario; installUnit the unit and the daemon.
const (
	install     = "install -m 755 " + sh + "/demod.init /etc/init.d/demod && install -m 755 " + sh + "/demod.daemon /usr/local/sbin/demod && mkdir -p /var/lib/demod"
	installUnit = "install -m 644 " + sh + "/demod.service /etc/systemd/system/demod.service && install -m 755 " + sh + "/demod.daemon /usr/local/sbin/demod && mkdir -p /var/lib/demod"
)

// steps is the scenario, in order: the same calls run on saltgo (the
// test) and on Python Salt 3007.14 (when the golden returns were
// recorded with -update; see testdata/README).
var steps = []lxctest.Step{
	{Name: "running_test", Fun: "state.apply", Args: []string{"running", "test=True"}, Probe: probe},
	{Name: "running", Fun: "state.apply", Args: []string{"running"}, Probe: probe},
	{Name: "running_again", Fun: "state.apply", Args: []string{"running"}, Probe: probe},
	{Name: "status", Fun: "service.status", Args: []string{"demod"}},
	{Name: "status_missing", Fun: "service.status", Args: []string{"nosuch"}},
	{Name: "available", Fun: "service.available", Args: []string{"demod"}},
	{Name: "missing", Fun: "service.missing", Args: []string{"nosuch"}},
	{Name: "enabled_no_links", Fun: "service.enabled", Args: []string{"demod"}},
	{Name: "watch_restart", Fun: "state.apply", Args: []string{"watch"}, Probe: probe},
	{Name: "watch_reload", Fun: "state.apply", Args: []string{"watch", `pillar={"conf": "v2", "reload": true}`}, Probe: probe},
	{Name: "watch_force_reload", Fun: "state.apply", Args: []string{"watch", `pillar={"conf": "v3", "reload": true, "force": true}`}, Probe: probe},
	{Name: "watch_test", Fun: "state.apply", Args: []string{"watch", `pillar={"conf": "v4"}`, "test=True"}, Probe: probe},
	{Name: "typo", Fun: "state.apply", Args: []string{"typo"}, Probe: probe},
	{Name: "links", Before: "update-rc.d demod defaults", Fun: "service.enabled", Args: []string{"demod"}, Probe: probe},
	{Name: "disabled_test", Fun: "state.apply", Args: []string{"disabled", "test=True"}, Probe: probe},
	{Name: "disabled", Fun: "state.apply", Args: []string{"disabled"}, Probe: probe},
	{Name: "disabled_query", Fun: "service.disabled", Args: []string{"demod"}},
	{Name: "disabled_again", Fun: "state.apply", Args: []string{"disabled"}, Probe: probe},
	// Debian 12 has no insserv unless sysvinit-core brings it: Salt's
	// enable ("insserv X && update-rc.d X enable") fails there.
	{Name: "enabled_no_insserv", Fun: "state.apply", Args: []string{"enabled"}, Probe: probe},
	{Name: "enabled_test", Fun: "state.apply", Args: []string{"enabled", "test=True"}, Probe: probe},
	// A stand-in for insserv (it only checks and orders the scripts),
	// so that update-rc.d does the real enabling.
	{Name: "enabled", Before: "printf '#!/bin/sh\\nexit 0\\n' > /usr/local/sbin/insserv && chmod 755 /usr/local/sbin/insserv", Fun: "state.apply", Args: []string{"enabled"}, Probe: probe},
	{Name: "running_disable", Fun: "state.apply", Args: []string{"running_disable"}, Probe: probe},
	{Name: "dead_test", Fun: "state.apply", Args: []string{"dead", "test=True"}, Probe: probe},
	{Name: "dead", Fun: "state.apply", Args: []string{"dead"}, Probe: probe},
	{Name: "dead_again", Fun: "state.apply", Args: []string{"dead"}, Probe: probe},
	{Name: "dead_watch", Fun: "state.apply", Args: []string{"dead_watch"}, Probe: probe},
	{Name: "start", Fun: "service.start", Args: []string{"demod"}, Probe: probe},
	{Name: "restart", Fun: "service.restart", Args: []string{"demod"}, Probe: probe},
	{Name: "reload", Fun: "service.reload", Args: []string{"demod"}, Probe: probe},
	{Name: "force_reload", Fun: "service.force_reload", Args: []string{"demod"}, Probe: probe},
	{Name: "status_glob", Fun: "service.status", Args: []string{"demo*"}},
	{Name: "stop", Fun: "service.stop", Args: []string{"demod"}, Probe: probe},
	{Name: "start_missing", Fun: "service.start", Args: []string{"nosuch"}},
	// sig is a ps pattern (status.pid) for the daemon; [7] keeps it from matching the
	// salt-call's own command line.
	{Name: "status_sig", Before: "service demod start", Fun: "service.status", Args: []string{"nosuch", "sig=sleep 3153600[7]"}, Probe: probe},
	{Name: "status_sig_none", Before: "service demod stop", Fun: "service.status", Args: []string{"nosuch", "sig=sleep 3153600[7]"}, Probe: probe},
}

// hideSystemctl makes the container a Debian without systemd's
// systemctl (as one installed with sysvinit-core): Salt then loads
// debian_service alone. runlevel, systemctl under another name, stays.
const hideSystemctl = "mv /usr/bin/systemctl /usr/bin/systemctl.hidden && ln -sf /usr/bin/systemctl.hidden /usr/sbin/runlevel"

// slowUnits are the host's units a systemd container does not start
// (tmp.mount would hide the host's /tmp, where a Python Salt may be).
var slowUnits = []string{"lxc.service", "lxc-net.service", "lxc-monitord.service", "postgresql.service", "postgresql@15-main.service", "console-getty.service", "rsync.service", "tmp.mount"}

// systemdProbe is probe for the demod unit: its main pid, its starts and
// reloads, its multi-user.target.wants link.
const systemdProbe = `pid=$(systemctl show -P MainPID demod.service); if [ "$pid" != 0 ] && kill -0 "$pid" 2>/dev/null; then echo "alive $pid"; else echo dead; fi; ` +
	`echo "starts $(wc -l < /var/lib/demod/starts 2>/dev/null || echo 0)"; echo "reloads $(tr '\n' ' ' < /var/lib/demod/reloads 2>/dev/null)"; ls /etc/systemd/system/multi-user.target.wants | grep demod || echo "no-links"`

// systemdSteps is the scenario where systemd booted the container: the
// daemon is a unit that Salt finds before systemd does (daemon-reload).
var systemdSteps = []lxctest.Step{
	{Name: "running_test", Fun: "state.apply", Args: []string{"running", "test=True"}, Probe: systemdProbe},
	{Name: "running", Fun: "state.apply", Args: []string{"running"}, Probe: systemdProbe},
	{Name: "running_again", Fun: "state.apply", Args: []string{"running"}, Probe: systemdProbe},
	{Name: "status", Fun: "service.status", Args: []string{"demod"}},
	{Name: "status_missing", Fun: "service.status", Args: []string{"nosuch"}},
	{Name: "available", Fun: "service.available", Args: []string{"demod"}},
	{Name: "missing", Fun: "service.missing", Args: []string{"nosuch"}},
	{Name: "enabled_query", Fun: "service.enabled", Args: []string{"demod"}},
	{Name: "watch_restart", Fun: "state.apply", Args: []string{"watch"}, Probe: systemdProbe},
	{Name: "watch_reload", Fun: "state.apply", Args: []string{"watch", `pillar={"conf": "v2", "reload": true}`}, Probe: systemdProbe},
	{Name: "watch_force_reload", Fun: "state.apply", Args: []string{"watch", `pillar={"conf": "v3", "reload": true, "force": true}`}, Probe: systemdProbe},
	{Name: "watch_test", Fun: "state.apply", Args: []string{"watch", `pillar={"conf": "v4"}`, "test=True"}, Probe: systemdProbe},
	{Name: "enabled_test", Fun: "state.apply", Args: []string{"enabled", "test=True"}, Probe: systemdProbe},
	{Name: "enabled", Fun: "state.apply", Args: []string{"enabled"}, Probe: systemdProbe},
	{Name: "enabled_again", Fun: "state.apply", Args: []string{"enabled"}, Probe: systemdProbe},
	{Name: "disabled_test", Fun: "state.apply", Args: []string{"disabled", "test=True"}, Probe: systemdProbe},
	{Name: "disabled", Fun: "state.apply", Args: []string{"disabled"}, Probe: systemdProbe},
	{Name: "disabled_query", Fun: "service.disabled", Args: []string{"demod"}},
	{Name: "dead_test", Fun: "state.apply", Args: []string{"dead", "test=True"}, Probe: systemdProbe},
	{Name: "dead", Fun: "state.apply", Args: []string{"dead"}, Probe: systemdProbe},
	{Name: "dead_again", Fun: "state.apply", Args: []string{"dead"}, Probe: systemdProbe},
	{Name: "running_disable", Fun: "state.apply", Args: []string{"running_disable"}, Probe: systemdProbe},
	{Name: "dead_watch", Fun: "state.apply", Args: []string{"dead_watch"}, Probe: systemdProbe},
	{Name: "start", Fun: "service.start", Args: []string{"demod"}, Probe: systemdProbe},
	{Name: "restart", Fun: "service.restart", Args: []string{"demod"}, Probe: systemdProbe},
	{Name: "reload", Fun: "service.reload", Args: []string{"demod"}, Probe: systemdProbe},
	{Name: "status_glob", Fun: "service.status", Args: []string{"demo*"}},
	{Name: "get_enabled_has", Fun: "service.enabled", Args: []string{"cron"}},
	{Name: "stop", Fun: "service.stop", Args: []string{"demod"}, Probe: systemdProbe},
	{Name: "start_missing", Fun: "service.start", Args: []string{"nosuch"}},
	// An init.d script without a unit: unknown to systemd until a
	// daemon-reload runs its sysv generator, then enabled and disabled
	// with update-rc.d.
	{Name: "sysv_unloaded", Before: "install -m 755 " + sh + "/demod.init /etc/init.d/sysvd", Fun: "state.apply", Args: []string{"sysv"}, Probe: sysvProbe},
	{Name: "sysv_enabled", Before: "systemctl daemon-reload", Fun: "state.apply", Args: []string{"sysv"}, Probe: sysvProbe},
	{Name: "sysv_enabled_query", Fun: "service.enabled", Args: []string{"sysvd"}},
	{Name: "sysv_disabled", Fun: "state.apply", Args: []string{"sysv", `pillar={"fun": "disabled"}`}, Probe: sysvProbe},
	// demod2, a unit of /lib/systemd/system (one in /etc cannot be masked).
	{Name: "masked_test", Before: "install -m 644 " + sh + "/demod.service /lib/systemd/system/demod2.service && systemctl daemon-reload", Fun: "state.apply", Args: []string{"masked", "test=True"}, Probe: maskProbe},
	{Name: "masked", Fun: "state.apply", Args: []string{"masked"}, Probe: maskProbe},
	{Name: "masked_again", Fun: "state.apply", Args: []string{"masked"}, Probe: maskProbe},
	{Name: "masked_query", Fun: "service.masked", Args: []string{"demod2"}},
	{Name: "running_masked", Fun: "state.apply", Args: []string{"masked", `pillar={"fun": "running"}`}, Probe: maskProbe},
	{Name: "running_unmask", Fun: "state.apply", Args: []string{"running_unmask"}, Probe: maskProbe},
	{Name: "unmasked_again", Fun: "state.apply", Args: []string{"masked", `pillar={"fun": "unmasked"}`}, Probe: maskProbe},
	{Name: "masked_runtime", Fun: "state.apply", Args: []string{"masked", `pillar={"runtime": true}`}, Probe: maskProbe},
	{Name: "unmasked_runtime_test", Fun: "state.apply", Args: []string{"masked", `pillar={"fun": "unmasked", "runtime": true}`, "test=True"}, Probe: maskProbe},
	{Name: "unmasked_runtime", Fun: "state.apply", Args: []string{"masked", `pillar={"fun": "unmasked", "runtime": true}`}, Probe: maskProbe},
	{Name: "stop_after_mask", Fun: "service.stop", Args: []string{"demod2"}, Probe: maskProbe},
}

// maskProbe shows whether demod2 runs and its mask links.
const maskProbe = "systemctl is-active demod2.service; readlink /etc/systemd/system/demod2.service /run/systemd/system/demod2.service; true"

// sysvProbe shows the sysvd script's start links.
const sysvProbe = "ls /etc/rc2.d /etc/rc5.d | grep sysvd || echo no-links"

// scenario writes the init script, the unit, the daemon and the tree to
// a shared directory, starts a Debian container (mode "initd": without
// systemctl; "offline": systemctl but no systemd running; "systemd":
// booted by systemd), runs every step with saltgo, comparing each return
// with Python Salt's (testdata/golden/<mode>; with -update, Python Salt
// runs and records them), and returns each step's probe output.
func scenario(t *testing.T, mode string) map[string]string {
	t.Helper()
	shared := t.TempDir()
	for src, dst := range map[string]string{"testdata/demod.init": "demod.init", "testdata/demod.daemon": "demod.daemon", "testdata/demod.service": "demod.service"} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(shared, dst), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := filemod.CopyTree("testdata/tree", filepath.Join(shared, "tree")); err != nil {
		t.Fatal(err)
	}
	conf := lxctest.WriteMinion(t, shared, lxctest.MinionConfig{})
	opt := lxctest.DebianOptions{Shared: shared}
	todo, setup := steps, install
	if mode == "systemd" {
		opt.Systemd, opt.MaskUnits, todo, setup = true, slowUnits, systemdSteps, installUnit
	}
	d := lxctest.NewDebian(t, opt)
	if mode == "initd" {
		d.MustRun(t, "sh", "-c", hideSystemctl)
	}
	d.MustRun(t, "sh", "-c", setup)
	probes := map[string]string{}
	for name, c := range lxctest.NewMinion(t, d, shared, conf).Steps(t, filepath.Join("testdata", "golden", mode), todo) {
		probes[name] = c.Probe
	}
	return probes
}

// probeOf reads the probe output of a step: the daemon ("alive PID" or
// "dead"), its start count, its reloads and its rc2.d link.
type probeOf map[string]string

func (p probeOf) line(step string, i int) string {
	l := strings.Split(p[step], "\n")
	if len(l) <= i {
		return ""
	}
	return l[i]
}

func (p probeOf) alive(step string) string { return p.line(step, 0) }
func (p probeOf) starts(step string) string {
	return strings.TrimPrefix(p.line(step, 1), "starts ")
}
func (p probeOf) reloads(step string) string {
	return strings.TrimSpace(strings.TrimPrefix(p.line(step, 2), "reloads "))
}
func (p probeOf) links(step string) string { return p.line(step, 3) }

type check struct{ step, what, got, want string }

func checkAll(t *testing.T, p probeOf, checks []check) {
	t.Helper()
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("after %s: %s = %q, want %q\nprobe:\n%s", c.step, c.what, c.got, c.want, p[c.step])
		}
	}
}

// TestServiceInitD runs the scenario on saltgo in a Debian container
// without systemctl (Salt's debian_service), checks that the daemon
// really starts, restarts, reloads and stops and that its rc links flip,
// and compares every return with Python Salt's.
func TestServiceInitD(t *testing.T) {
	probes := scenario(t, "initd")
	p := probeOf(probes)
	checkAll(t, p, []check{
		{"running_test", "daemon", p.alive("running_test"), "dead"},
		{"running", "starts", p.starts("running"), "1"},
		{"running_again", "pid", p.alive("running_again"), p.alive("running")},
		{"watch_restart", "starts", p.starts("watch_restart"), "2"},
		{"watch_reload", "reloads", p.reloads("watch_reload"), "reload"},
		{"watch_force_reload", "reloads", p.reloads("watch_force_reload"), "reload force-reload"},
		{"watch_test", "starts", p.starts("watch_test"), "2"},
		{"links", "rc2.d", p.links("links"), "S01demod"},
		{"disabled_test", "rc2.d", p.links("disabled_test"), "S01demod"},
		{"disabled", "rc2.d", p.links("disabled"), "K01demod"},
		{"enabled_no_insserv", "rc2.d", p.links("enabled_no_insserv"), "K01demod"},
		{"enabled", "rc2.d", p.links("enabled"), "S01demod"},
		{"running_disable", "rc2.d", p.links("running_disable"), "K01demod"},
		{"dead_test", "daemon", p.alive("dead_test"), p.alive("watch_restart")},
		{"dead", "daemon", p.alive("dead"), "dead"},
		{"dead", "rc2.d", p.links("dead"), "S01demod"},
		{"start", "starts", p.starts("start"), "3"},
		{"restart", "starts", p.starts("restart"), "4"},
		{"stop", "daemon", p.alive("stop"), "dead"},
	})
	if a := p.alive("running"); !strings.HasPrefix(a, "alive ") {
		t.Errorf("after running: the daemon is %q", a)
	}
	if p.alive("watch_restart") == p.alive("running") {
		t.Errorf("watch did not restart the daemon: pid still %s", p.alive("running"))
	}
}

// TestServiceOffline runs the scenario where systemctl is installed but
// systemd is not PID 1: Salt's running and dead do nothing there
// ("Running in OFFLINE mode"), while mod_watch and the execution
// functions drive the init.d script.
func TestServiceOffline(t *testing.T) {
	probes := scenario(t, "offline")
	p := probeOf(probes)
	checkAll(t, p, []check{
		{"running", "daemon", p.alive("running"), "dead"},
		{"watch_restart", "starts", p.starts("watch_restart"), "1"},
		{"dead", "daemon", p.alive("dead"), p.alive("watch_restart")},
		{"dead_watch", "daemon", p.alive("dead_watch"), "dead"},
		{"disabled", "rc2.d", p.links("disabled"), "K01demod"},
		{"stop", "daemon", p.alive("stop"), "dead"},
	})
}

// TestServiceSystemd runs the systemd scenario in a Debian container
// booted by systemd: a unit file Salt finds before systemd does is
// started (daemon-reload first), restarted and reloaded by watches,
// enabled and disabled (its multi-user.target.wants link), stopped; every
// return compared with Python Salt's.
func TestServiceSystemd(t *testing.T) {
	probes := scenario(t, "systemd")
	p := probeOf(probes)
	checkAll(t, p, []check{
		{"running_test", "daemon", p.alive("running_test"), "dead"},
		{"running", "starts", p.starts("running"), "1"},
		{"running_again", "pid", p.alive("running_again"), p.alive("running")},
		{"watch_restart", "starts", p.starts("watch_restart"), "2"},
		{"watch_reload", "reloads", p.reloads("watch_reload"), "reload"},
		{"watch_force_reload", "reloads", p.reloads("watch_force_reload"), "reload reload"},
		{"watch_test", "starts", p.starts("watch_test"), "2"},
		{"enabled_test", "link", p.links("enabled_test"), "no-links"},
		{"enabled", "link", p.links("enabled"), "demod.service"},
		{"disabled", "link", p.links("disabled"), "no-links"},
		{"dead_test", "daemon", p.alive("dead_test"), p.alive("watch_restart")},
		{"dead", "daemon", p.alive("dead"), "dead"},
		{"dead", "link", p.links("dead"), "demod.service"},
		{"running_disable", "starts", p.starts("running_disable"), "3"},
		{"running_disable", "link", p.links("running_disable"), "no-links"},
		{"dead_watch", "daemon", p.alive("dead_watch"), "dead"},
		{"start", "starts", p.starts("start"), "4"},
		{"restart", "starts", p.starts("restart"), "5"},
		{"stop", "daemon", p.alive("stop"), "dead"},
		{"sysv_unloaded", "links", probes["sysv_unloaded"], "no-links\n"},
		{"sysv_enabled", "links", probes["sysv_enabled"], "S01sysvd\nS01sysvd\n"},
		{"sysv_disabled", "links", probes["sysv_disabled"], "no-links\n"},
		{"masked_test", "demod2", probes["masked_test"], "inactive\n"},
		{"masked", "demod2", probes["masked"], "inactive\n/dev/null\n"},
		{"running_masked", "demod2", probes["running_masked"], "inactive\n/dev/null\n"},
		{"running_unmask", "demod2", probes["running_unmask"], "active\n"},
		{"masked_runtime", "demod2", probes["masked_runtime"], "active\n/dev/null\n"},
		{"unmasked_runtime", "demod2", probes["unmasked_runtime"], "active\n"},
		{"stop_after_mask", "demod2", probes["stop_after_mask"], "inactive\n"},
	})
	if a := p.alive("running"); !strings.HasPrefix(a, "alive ") {
		t.Errorf("after running: the daemon is %q", a)
	}
}
