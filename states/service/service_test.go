package service_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/lxc/lxctest"
)

func TestMain(m *testing.M) { lxctest.Main(m) }

// step is one salt-call in the container (args after "call --local"),
// with shell commands run before it (setup) and after it (check, whose
// output the saltgo test inspects).
type step struct {
	name  string
	setup string
	args  []string
	check string
}

const sh = lxctest.SharedDir

// pidAlive prints "alive PID" when the pidfile's process runs, "dead"
// otherwise; starts and reloads are the daemon's own records.
const probe = `if [ -f /run/demod.pid ] && kill -0 "$(cat /run/demod.pid)" 2>/dev/null; then echo "alive $(cat /run/demod.pid)"; else echo dead; fi; ` +
	`echo "starts $(wc -l < /var/lib/demod/starts 2>/dev/null || echo 0)"; echo "reloads $(tr '\n' ' ' < /var/lib/demod/reloads 2>/dev/null)"; ls /etc/rc2.d | grep demod || echo "no-links"`

func state(sls string, extra ...string) []string {
	return append([]string{"state.apply", sls}, extra...)
}

// steps is the scenario, in order: the same calls run on saltgo (the
// test) and on Python Salt 3007.14 (when the golden returns were
// recorded; see testdata/README).
var steps = []step{
	{name: "install", setup: "install -m 755 " + sh + "/demod.init /etc/init.d/demod && install -m 755 " + sh + "/demod.daemon /usr/local/sbin/demod && mkdir -p /var/lib/demod", check: probe},
	{name: "running_test", args: state("running", "test=True"), check: probe},
	{name: "running", args: state("running"), check: probe},
	{name: "running_again", args: state("running"), check: probe},
	{name: "status", args: []string{"service.status", "demod"}},
	{name: "status_missing", args: []string{"service.status", "nosuch"}},
	{name: "available", args: []string{"service.available", "demod"}},
	{name: "missing", args: []string{"service.missing", "nosuch"}},
	{name: "enabled_no_links", args: []string{"service.enabled", "demod"}},
	{name: "watch_restart", args: state("watch"), check: probe},
	{name: "watch_reload", args: state("watch", `pillar={"conf": "v2", "reload": true}`), check: probe},
	{name: "watch_force_reload", args: state("watch", `pillar={"conf": "v3", "reload": true, "force": true}`), check: probe},
	{name: "watch_test", args: state("watch", `pillar={"conf": "v4"}`, "test=True"), check: probe},
	{name: "typo", args: state("typo"), check: probe},
	{name: "links", setup: "update-rc.d demod defaults", args: []string{"service.enabled", "demod"}, check: probe},
	{name: "disabled_test", args: state("disabled", "test=True"), check: probe},
	{name: "disabled", args: state("disabled"), check: probe},
	{name: "disabled_query", args: []string{"service.disabled", "demod"}},
	{name: "disabled_again", args: state("disabled"), check: probe},
	// Debian 12 has no insserv unless sysvinit-core brings it: Salt's
	// enable ("insserv X && update-rc.d X enable") fails there.
	{name: "enabled_no_insserv", args: state("enabled"), check: probe},
	{name: "enabled_test", args: state("enabled", "test=True"), check: probe},
	// A stand-in for insserv (it only checks and orders the scripts),
	// so that update-rc.d does the real enabling.
	{name: "enabled", setup: "printf '#!/bin/sh\\nexit 0\\n' > /usr/local/sbin/insserv && chmod 755 /usr/local/sbin/insserv", args: state("enabled"), check: probe},
	{name: "running_disable", args: state("running_disable"), check: probe},
	{name: "dead_test", args: state("dead", "test=True"), check: probe},
	{name: "dead", args: state("dead"), check: probe},
	{name: "dead_again", args: state("dead"), check: probe},
	{name: "dead_watch", args: state("dead_watch"), check: probe},
	{name: "start", args: []string{"service.start", "demod"}, check: probe},
	{name: "restart", args: []string{"service.restart", "demod"}, check: probe},
	{name: "reload", args: []string{"service.reload", "demod"}, check: probe},
	{name: "force_reload", args: []string{"service.force_reload", "demod"}, check: probe},
	{name: "status_glob", args: []string{"service.status", "demo*"}},
	{name: "stop", args: []string{"service.stop", "demod"}, check: probe},
	{name: "start_missing", args: []string{"service.start", "nosuch"}},
	// sig is a ps pattern (status.pid) for the daemon; [7] keeps it from matching the
	// salt-call's own command line.
	{name: "status_sig", setup: "service demod start", args: []string{"service.status", "nosuch", "sig=sleep 3153600[7]"}, check: probe},
	{name: "status_sig_none", setup: "service demod stop", args: []string{"service.status", "nosuch", "sig=sleep 3153600[7]"}, check: probe},
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
var systemdSteps = []step{
	{name: "install", setup: "install -m 644 " + sh + "/demod.service /etc/systemd/system/demod.service && install -m 755 " + sh + "/demod.daemon /usr/local/sbin/demod && mkdir -p /var/lib/demod", check: systemdProbe},
	{name: "running_test", args: state("running", "test=True"), check: systemdProbe},
	{name: "running", args: state("running"), check: systemdProbe},
	{name: "running_again", args: state("running"), check: systemdProbe},
	{name: "status", args: []string{"service.status", "demod"}},
	{name: "status_missing", args: []string{"service.status", "nosuch"}},
	{name: "available", args: []string{"service.available", "demod"}},
	{name: "missing", args: []string{"service.missing", "nosuch"}},
	{name: "enabled_query", args: []string{"service.enabled", "demod"}},
	{name: "watch_restart", args: state("watch"), check: systemdProbe},
	{name: "watch_reload", args: state("watch", `pillar={"conf": "v2", "reload": true}`), check: systemdProbe},
	{name: "watch_force_reload", args: state("watch", `pillar={"conf": "v3", "reload": true, "force": true}`), check: systemdProbe},
	{name: "watch_test", args: state("watch", `pillar={"conf": "v4"}`, "test=True"), check: systemdProbe},
	{name: "enabled_test", args: state("enabled", "test=True"), check: systemdProbe},
	{name: "enabled", args: state("enabled"), check: systemdProbe},
	{name: "enabled_again", args: state("enabled"), check: systemdProbe},
	{name: "disabled_test", args: state("disabled", "test=True"), check: systemdProbe},
	{name: "disabled", args: state("disabled"), check: systemdProbe},
	{name: "disabled_query", args: []string{"service.disabled", "demod"}},
	{name: "dead_test", args: state("dead", "test=True"), check: systemdProbe},
	{name: "dead", args: state("dead"), check: systemdProbe},
	{name: "dead_again", args: state("dead"), check: systemdProbe},
	{name: "running_disable", args: state("running_disable"), check: systemdProbe},
	{name: "dead_watch", args: state("dead_watch"), check: systemdProbe},
	{name: "start", args: []string{"service.start", "demod"}, check: systemdProbe},
	{name: "restart", args: []string{"service.restart", "demod"}, check: systemdProbe},
	{name: "reload", args: []string{"service.reload", "demod"}, check: systemdProbe},
	{name: "status_glob", args: []string{"service.status", "demo*"}},
	{name: "get_enabled_has", args: []string{"service.enabled", "cron"}},
	{name: "stop", args: []string{"service.stop", "demod"}, check: systemdProbe},
	{name: "start_missing", args: []string{"service.start", "nosuch"}},
	// An init.d script without a unit: unknown to systemd until a
	// daemon-reload runs its sysv generator, then enabled and disabled
	// with update-rc.d.
	{name: "sysv_unloaded", setup: "install -m 755 " + sh + "/demod.init /etc/init.d/sysvd", args: state("sysv"), check: sysvProbe},
	{name: "sysv_enabled", setup: "systemctl daemon-reload", args: state("sysv"), check: sysvProbe},
	{name: "sysv_enabled_query", args: []string{"service.enabled", "sysvd"}},
	{name: "sysv_disabled", args: state("sysv", `pillar={"fun": "disabled"}`), check: sysvProbe},
	// demod2, a unit of /lib/systemd/system (one in /etc cannot be masked).
	{name: "masked_test", setup: "install -m 644 " + sh + "/demod.service /lib/systemd/system/demod2.service && systemctl daemon-reload", args: state("masked", "test=True"), check: maskProbe},
	{name: "masked", args: state("masked"), check: maskProbe},
	{name: "masked_again", args: state("masked"), check: maskProbe},
	{name: "masked_query", args: []string{"service.masked", "demod2"}},
	{name: "running_masked", args: state("masked", `pillar={"fun": "running"}`), check: maskProbe},
	{name: "running_unmask", args: state("running_unmask"), check: maskProbe},
	{name: "unmasked_again", args: state("masked", `pillar={"fun": "unmasked"}`), check: maskProbe},
	{name: "masked_runtime", args: state("masked", `pillar={"runtime": true}`), check: maskProbe},
	{name: "unmasked_runtime_test", args: state("masked", `pillar={"fun": "unmasked", "runtime": true}`, "test=True"), check: maskProbe},
	{name: "unmasked_runtime", args: state("masked", `pillar={"fun": "unmasked", "runtime": true}`), check: maskProbe},
	{name: "stop_after_mask", args: []string{"service.stop", "demod2"}, check: maskProbe},
}

// maskProbe shows whether demod2 runs and its mask links.
const maskProbe = "systemctl is-active demod2.service; readlink /etc/systemd/system/demod2.service /run/systemd/system/demod2.service; true"

// sysvProbe shows the sysvd script's start links.
const sysvProbe = "ls /etc/rc2.d /etc/rc5.d | grep sysvd || echo no-links"

// minionConf is the masterless minion both run with.
const minionConf = "file_client: local\nfile_roots:\n  base:\n    - " + sh + "/tree\n"

// scenario writes the init script and the tree to shared, starts a
// Debian container, runs every step with callArgv (salt-call --local
// with its config dir) and returns each step's normalized return and
// probe output.
func scenario(t *testing.T, shared string, callArgv []string, mode string) (rets map[string]any, probes map[string]string) {
	t.Helper()
	for src, dst := range map[string]string{"testdata/demod.init": "demod.init", "testdata/demod.daemon": "demod.daemon", "testdata/demod.service": "demod.service"} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(shared, dst), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("cp", "-r", "testdata/tree", shared).CombinedOutput(); err != nil {
		t.Fatalf("copy tree: %v %s", err, out)
	}
	if err := os.MkdirAll(filepath.Join(shared, "conf"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(shared, "conf", "minion"), []byte(minionConf), 0o644); err != nil {
		t.Fatal(err)
	}
	opt := lxctest.DebianOptions{Shared: shared}
	todo := steps
	if mode == "systemd" {
		opt.Systemd, opt.MaskUnits, todo = true, slowUnits, systemdSteps
	}
	d := lxctest.NewDebian(t, opt)
	ctx := lxctest.Context(t)
	if mode == "initd" {
		d.MustRun(t, "sh", "-c", hideSystemctl)
	}
	rets, probes = map[string]any{}, map[string]string{}
	for _, s := range todo {
		if s.setup != "" {
			d.MustRun(t, "sh", "-c", s.setup)
		}
		if s.args != nil {
			argv := append(append([]string{}, callArgv...), "--out", "json")
			argv = append(argv, s.args...)
			r, err := d.Run(ctx, argv...)
			if err != nil {
				t.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(r.Stdout, &v); err != nil {
				// An error salt-call prints instead of a return: its
				// exit status and last line (the lines before are logs).
				v = map[string]any{"exit": r.Status, "stdout": string(r.Stdout), "error": lastLine(string(r.Stderr))}
			}
			rets[s.name] = normalize(v)
		}
		if s.check != "" {
			probes[s.name] = d.MustRun(t, "sh", "-c", s.check)
		}
	}
	return rets, probes
}

func lastLine(s string) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return l[len(l)-1]
}

// normalize drops the volatile fields of state returns (start_time,
// duration) and the file.managed diff header lines' timestamps.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if k == "start_time" || k == "duration" {
				continue
			}
			out[k] = normalize(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	}
	return v
}

func marshal(t *testing.T, v any) []byte {
	b, err := json.MarshalIndent(v, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// Python Salt 3007.14's returns for the steps, on a Debian without
// systemctl (init.d) and on this Debian with systemd installed but not
// running (offline); testdata/README says how they were recorded.
const (
	goldenInitD   = "testdata/salt3007-initd.json"
	goldenOffline = "testdata/salt3007-offline.json"
	goldenSystemd = "testdata/salt3007-systemd.json"
)

// runSaltgo builds saltgo into shared and runs the scenario with it.
func runSaltgo(t *testing.T, mode string) (map[string]any, map[string]string) {
	shared := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(shared, "saltgo"), "github.com/saltgo/saltgo/cmd/saltgo")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build saltgo: %v\n%s", err, out)
	}
	return scenario(t, shared, []string{sh + "/saltgo", "call", "--local", "-c", sh + "/conf"}, mode)
}

// compare fails the test for every step whose return differs from
// Python Salt's.
func compare(t *testing.T, rets map[string]any, path string) {
	t.Helper()
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("Python Salt's returns (%s, see testdata/README): %v", path, err)
	}
	var golden map[string]any
	if err := json.Unmarshal(want, &golden); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(rets))
	for k := range rets {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, n := range names {
		g, w := marshal(t, rets[n]), marshal(t, golden[n])
		if !bytes.Equal(g, w) {
			t.Errorf("step %s: saltgo's return differs from Python Salt's\n--- saltgo\n%s--- salt 3007.14\n%s", n, g, w)
		}
	}
	if len(golden) != len(rets) {
		t.Errorf("%s has %d steps, saltgo ran %d", path, len(golden), len(rets))
	}
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
	rets, probes := runSaltgo(t, "initd")
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
	compare(t, rets, goldenInitD)
}

// TestServiceOffline runs the scenario where systemctl is installed but
// systemd is not PID 1: Salt's running and dead do nothing there
// ("Running in OFFLINE mode"), while mod_watch and the execution
// functions drive the init.d script.
func TestServiceOffline(t *testing.T) {
	rets, probes := runSaltgo(t, "offline")
	p := probeOf(probes)
	checkAll(t, p, []check{
		{"running", "daemon", p.alive("running"), "dead"},
		{"watch_restart", "starts", p.starts("watch_restart"), "1"},
		{"dead", "daemon", p.alive("dead"), p.alive("watch_restart")},
		{"dead_watch", "daemon", p.alive("dead_watch"), "dead"},
		{"disabled", "rc2.d", p.links("disabled"), "K01demod"},
		{"stop", "daemon", p.alive("stop"), "dead"},
	})
	compare(t, rets, goldenOffline)
}

// TestServiceSystemd runs the systemd scenario in a Debian container
// booted by systemd: a unit file Salt finds before systemd does is
// started (daemon-reload first), restarted and reloaded by watches,
// enabled and disabled (its multi-user.target.wants link), stopped; every
// return compared with Python Salt's.
func TestServiceSystemd(t *testing.T) {
	rets, probes := runSaltgo(t, "systemd")
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
	compare(t, rets, goldenSystemd)
}
