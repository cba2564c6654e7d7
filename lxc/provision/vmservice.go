package provision

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/lxc/liblxc"
	"github.com/saltgo/saltgo/revert"
	"github.com/saltgo/saltgo/version"
)

// InitSystem is the init of a VM's guest, as detected from its files.
type InitSystem string

// The guest inits the minion_services step knows.
const (
	InitSystemd InitSystem = "systemd"
	InitSysV    InitSystem = "sysvinit"
	InitBusybox InitSystem = "busybox"
)

// InitFacts are what the guest's files say about its init (gathered in
// the VM by a probe, classified by ClassifyInit).
type InitFacts struct {
	// Exists: /sbin/init exists; Link is its symlink target ("" when it
	// is not a symlink).
	Exists bool
	Link   string
	// Busybox: /sbin/init is the same file as /bin/busybox.
	Busybox bool
	// Inittab, InitD: /etc/inittab and /etc/init.d exist.
	Inittab, InitD bool
	// PID1 is the command name of the container's PID 1 (/proc/1/comm).
	PID1 string
}

// ClassifyInit names the guest's init from its facts: /sbin/init a link
// to systemd is systemd, to (or the same file as) busybox is busybox's
// init, a regular /sbin/init with /etc/inittab and /etc/init.d is
// sysvinit. Anything else is an error saying what /sbin/init is.
func ClassifyInit(f InitFacts) (InitSystem, error) {
	if !f.Exists {
		return "", errors.New("the guest has no /sbin/init")
	}
	base := path.Base(f.Link)
	switch {
	case f.Link != "" && strings.Contains(base, "systemd"):
		return InitSystemd, nil
	case f.Busybox || f.Link != "" && base == "busybox":
		return InitBusybox, nil
	case f.Link != "":
		return "", fmt.Errorf("/sbin/init is a link to %s, an init saltgo does not know (systemd, sysvinit or busybox)", f.Link)
	case f.Inittab && f.InitD:
		return InitSysV, nil
	}
	return "", errors.New("/sbin/init is neither systemd, busybox, nor sysvinit (no /etc/inittab and /etc/init.d beside it)")
}

// initProbe prints the InitFacts of the guest, one "key=value" a line.
const initProbe = `i=/sbin/init
[ -e $i ] && echo exists=1
[ -L $i ] && echo "link=$(readlink $i)"
[ -e /bin/busybox ] && [ $i -ef /bin/busybox ] && echo busybox=1
[ -f /etc/inittab ] && echo inittab=1
[ -d /etc/init.d ] && echo initd=1
echo "pid1=$(cat /proc/1/comm 2>/dev/null)"
exit 0`

// parseInitFacts reads initProbe's output.
func parseInitFacts(out string) InitFacts {
	var f InitFacts
	for _, l := range strings.Split(out, "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(l), "=")
		switch k {
		case "exists":
			f.Exists = true
		case "link":
			f.Link = v
		case "busybox":
			f.Busybox = true
		case "inittab":
			f.Inittab = true
		case "initd":
			f.InitD = true
		case "pid1":
			f.PID1 = v
		}
	}
	return f
}

// DetectInit probes the VM's files and names its init; an unknown init
// is an error naming the VM and what its /sbin/init is.
func DetectInit(ctx context.Context, c *liblxc.Client, name string) (InitSystem, InitFacts, error) {
	r, err := c.Run(ctx, name, []string{"/bin/sh", "-c", initProbe}, nil, vmRunEnv)
	if err != nil {
		return "", InitFacts{}, fmt.Errorf("lxc: probe the init of %s: %w", name, err)
	}
	f := parseInitFacts(string(r.Stdout))
	k, err := ClassifyInit(f)
	if err != nil {
		return "", f, fmt.Errorf("lxc: %s has no init saltgo can run its minion under: %w", name, err)
	}
	return k, f, nil
}

// VMService is one saltgo minion daemon of a VM, run by the guest's init.
type VMService struct {
	// Name is the unit / init script name (saltgo-salt-minion,
	// saltgo-mastersalt-minion).
	Name string
	// Description says what it is, for the unit and the LSB header.
	Description string
	// Args is the command line: VMMinionBinary and its saltgo command.
	Args []string
}

// Command is the service's command line.
func (v VMService) Command() string { return strings.Join(v.Args, " ") }

// VMServices are the minion daemons of a VM by its mode: salt mode runs
// one saltgo salt-minion (/etc/salt, joined to the controller's salt
// master); mastersalt mode runs a saltgo mastersalt-minion (/etc/mastersalt,
// joined to the controller's mastersalt master) and a saltgo salt-minion
// (/etc/salt) pointed at the VM's local master (LocalMinionConfig).
func VMServices(s *Settings) []VMService {
	salt := VMService{Name: "saltgo-salt-minion", Args: []string{VMMinionBinary, "minion"},
		Description: "saltgo salt-minion of the VM (config /etc/salt)"}
	if config.FlavourForMode(s.Mode).Name == config.Salt.Name {
		return []VMService{salt}
	}
	salt.Description = "saltgo salt-minion of the VM's local salt master (config /etc/salt)"
	return []VMService{
		{Name: "saltgo-mastersalt-minion", Args: []string{VMMinionBinary, "mastersalt-minion"},
			Description: "saltgo mastersalt-minion of the VM (config /etc/mastersalt)"},
		salt,
	}
}

// Local master of a mastersalt-mode VM: its salt-minion's master.
const (
	VMLocalMaster     = "127.0.0.1"
	VMLocalMasterPort = 4506
)

// LocalMinionConfig is the /etc/salt minion config of a mastersalt-mode
// VM (VMMinionConfig): its salt-minion joins the VM's local master.
func LocalMinionConfig(s *Settings) string {
	return fmt.Sprintf("# managed by saltgo (lxc minion_services)\nid: %s\nmaster: %s\nmaster_port: %d\n", s.Name, VMLocalMaster, VMLocalMasterPort)
}

const managedBy = "# managed by saltgo (lxc minion_services)"

// SystemdUnit is the unit of svc (/etc/systemd/system/<name>.service).
func SystemdUnit(svc VMService) string {
	return managedBy + `
[Unit]
Description=` + svc.Description + `
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
ExecStart=` + svc.Command() + `
Restart=always
RestartSec=3
KillMode=process

[Install]
WantedBy=multi-user.target
`
}

// InitScript is the LSB init script of svc (/etc/init.d/<name>), in
// POSIX sh: start backgrounds the daemon in its own session and records
// its pid, stop waits until it is gone.
func InitScript(svc VMService) string {
	return `#!/bin/sh
### BEGIN INIT INFO
# Provides:          ` + svc.Name + `
# Required-Start:    $remote_fs $network
# Required-Stop:     $remote_fs $network
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: ` + svc.Description + `
### END INIT INFO
` + managedBy + `
NAME=` + svc.Name + `
DAEMON=` + svc.Args[0] + `
ARGS="` + strings.Join(svc.Args[1:], " ") + `"
PIDFILE=/var/run/$NAME.pid
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }
case "$1" in
start)
	running && exit 0
	[ -x "$DAEMON" ] || { echo "$DAEMON is missing" >&2; exit 5; }
	setsid "$DAEMON" $ARGS </dev/null >/dev/null 2>&1 &
	echo $! > "$PIDFILE"
	;;
stop)
	if running; then
		kill "$(cat "$PIDFILE")"
		n=0
		while running && [ $n -lt 50 ]; do sleep 0.2; n=$((n+1)); done
		running && kill -9 "$(cat "$PIDFILE")"
	fi
	rm -f "$PIDFILE"
	;;
restart|force-reload)
	"$0" stop
	"$0" start
	;;
status)
	if running; then echo "$NAME is running"; else echo "$NAME is not running"; exit 3; fi
	;;
*)
	echo "Usage: $0 {start|stop|restart|force-reload|status}" >&2
	exit 2
	;;
esac
exit 0
`
}

// Markers of the managed block of a busybox guest's /etc/inittab.
const (
	inittabBegin = "# saltgo minion services begin (managed, do not edit)"
	inittabEnd   = "# saltgo minion services end"
)

// InittabLines are the respawn lines busybox's init runs svcs with.
func InittabLines(svcs []VMService) []string {
	var out []string
	for _, s := range svcs {
		out = append(out, "::respawn:"+s.Command())
	}
	return out
}

// withInittabBlock puts lines in text's managed block (replacing it, or
// appending one).
func withInittabBlock(text string, lines []string) string {
	return managedBlock(text, inittabBegin, inittabEnd, lines)
}

// Where the units, scripts and links go.
const (
	systemdDir   = "/etc/systemd/system"
	systemdWants = "/etc/systemd/system/multi-user.target.wants"
	initDDir     = "/etc/init.d"
	// VMMinionVersionFile records the sha256 and saltgo version of the
	// installed VMMinionBinary.
	VMMinionVersionFile = "/usr/local/bin/.saltgo.version"
	// VMServicesVersionFile records, per service, the stamp (binary
	// version marker and minion config: serviceStamps) the running
	// minion services were (re)started with: when it changes they are
	// restarted.
	VMServicesVersionFile = "/etc/makina-states/saltgo-services.version"
)

// SysVLinks are the rc links of an init script (Debian's rcN.d, as
// update-rc.d makes them from the LSB header): link path -> target.
func SysVLinks(name string) [][2]string {
	var out [][2]string
	for _, lv := range []string{"0", "1", "2", "3", "4", "5", "6"} {
		p := "S20"
		if lv == "0" || lv == "1" || lv == "6" {
			p = "K01"
		}
		out = append(out, [2]string{"/etc/rc" + lv + ".d/" + p + name, "../init.d/" + name})
	}
	return out
}

// vmFiles writes files and links in a VM, each once, recording how to
// undo each write on rev.
type vmFiles struct {
	ctx  context.Context
	c    *liblxc.Client
	name string
	res  *StepResult
	rev  *revert.Reverter
}

func (w *vmFiles) run(argv ...string) error {
	r, err := w.c.Run(w.ctx, w.name, argv, nil, vmRunEnv)
	if err != nil {
		return fmt.Errorf("lxc: %s in %s: %w", strings.Join(argv, " "), w.name, err)
	}
	if r.Status != 0 {
		return fmt.Errorf("lxc: %s in %s: exit %d: %s", strings.Join(argv, " "), w.name, r.Status, strings.TrimSpace(string(r.Stderr)))
	}
	return nil
}

// file writes content at p unless it is there; a new file is removed on
// revert, a changed one gets its old content back.
func (w *vmFiles) file(p, content string, mode os.FileMode) (bool, error) {
	cur, err := w.c.ReadFile(w.ctx, w.name, p)
	existed := err == nil
	if err != nil && !errors.Is(err, liblxc.ErrNoFile) {
		return false, err
	}
	if existed && string(cur) == content {
		return false, nil
	}
	if err := w.c.WriteFile(w.ctx, w.name, p, []byte(content), mode); err != nil {
		return false, err
	}
	undo := context.WithoutCancel(w.ctx)
	if existed {
		w.rev.Add("restore "+p, func() error { return w.c.WriteFile(undo, w.name, p, cur, 0) })
	} else {
		w.rev.Add("remove "+p, func() error { _, err := w.c.Run(undo, w.name, []string{"rm", "-f", p}, nil, nil); return err })
	}
	w.res.Changes.Set(p, "updated")
	return true, nil
}

// link makes p a symlink to target unless it is one.
func (w *vmFiles) link(p, target string) (bool, error) {
	r, err := w.c.Run(w.ctx, w.name, []string{"/bin/sh", "-c", `[ -L "$1" ] && readlink "$1"; exit 0`, "sh", p}, nil, vmRunEnv)
	if err != nil {
		return false, err
	}
	if strings.TrimSpace(string(r.Stdout)) == target {
		return false, nil
	}
	if err := w.run("/bin/sh", "-c", `mkdir -p "$(dirname "$1")" && ln -sfn "$2" "$1"`, "sh", p, target); err != nil {
		return false, err
	}
	undo := context.WithoutCancel(w.ctx)
	w.rev.Add("remove "+p, func() error { _, err := w.c.Run(undo, w.name, []string{"rm", "-f", p}, nil, nil); return err })
	w.res.Changes.Set(p, "-> "+target)
	return true, nil
}

// procProbe lists the processes running $WANT (a command line, matched
// at the end of theirs: "sh <script> <args>" for a script): "pid exe".
const procProbe = `for d in /proc/[0-9]*; do
c=$(tr '\000' ' ' < $d/cmdline 2>/dev/null) || continue
case "$c" in "$WANT "|*" $WANT ") echo "${d#/proc/} $(readlink $d/exe 2>/dev/null)";; esac
done; exit 0`

// minionProc is a running process of a service.
type minionProc struct {
	pid   string
	stale bool // runs a binary since replaced (its exe is "(deleted)")
}

func procsOf(ctx context.Context, c *liblxc.Client, name string, svc VMService) ([]minionProc, error) {
	r, err := c.Run(ctx, name, []string{"/bin/sh", "-c", procProbe}, nil, append([]string{"WANT=" + svc.Command()}, vmRunEnv...))
	if err != nil {
		return nil, fmt.Errorf("lxc: look for %s in %s: %w", svc.Name, name, err)
	}
	var out []minionProc
	for _, l := range strings.Split(strings.TrimSpace(string(r.Stdout)), "\n") {
		pid, exe, _ := strings.Cut(l, " ")
		if pid == "" {
			continue
		}
		out = append(out, minionProc{pid: pid, stale: strings.HasSuffix(exe, " (deleted)")})
	}
	return out, nil
}

// DefaultServiceWait is how long MinionServices waits for a started
// service's process to show (VMEnv.ServiceWait overrides it).
const DefaultServiceWait = 15 * time.Second

// MinionServices runs the VM's saltgo minions (VMServices) as services of
// the guest's init (DetectInit): systemd units enabled by their wants
// link (started with systemctl when systemd is PID 1), LSB init scripts
// with rc links on sysvinit, respawn lines in /etc/inittab on busybox
// (init re-reads it on SIGHUP). In mastersalt mode it also writes the
// local salt-minion's config (LocalMinionConfig). Files are written only
// when they differ; a service whose process runs a replaced binary, or
// whose unit/script changed, is restarted; one that is not running is
// started. The step fails when a service does not come up, and then
// removes what it wrote.
func MinionServices(ctx context.Context, env *VMEnv, s *Settings) (*StepResult, error) {
	res := newResult(s.Name)
	c := env.Client
	has, err := hasMinion(ctx, c, s.Name)
	if err != nil {
		return res.fail(err)
	}
	if !has {
		res.Comment = "no saltgo minion in the VM (" + VMMinionBinary + "): no minion service"
		return res, nil
	}
	kind, facts, err := DetectInit(ctx, c, s.Name)
	if err != nil {
		return res.fail(err)
	}
	rev := revert.New()
	defer func() { _ = rev.Fail() }()
	w := &vmFiles{ctx: ctx, c: c, name: s.Name, res: res, rev: rev}
	svcs := VMServices(s)
	if len(svcs) > 1 {
		if _, err = w.file(VMMinionConfig, LocalMinionConfig(s), 0o644); err != nil {
			return res.fail(err)
		}
	}
	if kind != InitBusybox {
		if err := retireServices(w, kind, facts, svcs); err != nil {
			return res.fail(err)
		}
	}
	changed := map[string]bool{}
	inittabChanged := false
	for _, svc := range svcs {
		ch := false
		switch kind {
		case InitSystemd:
			unit := svc.Name + ".service"
			var fch bool
			fch, err = w.file(path.Join(systemdDir, unit), SystemdUnit(svc), 0o644)
			ch = ch || fch
			if err == nil {
				_, err = w.link(path.Join(systemdWants, unit), path.Join(systemdDir, unit))
			}
		case InitSysV:
			var fch bool
			fch, err = w.file(path.Join(initDDir, svc.Name), InitScript(svc), 0o755)
			ch = ch || fch
			for _, l := range SysVLinks(svc.Name) {
				if err == nil {
					_, err = w.link(l[0], l[1])
				}
			}
		}
		if err != nil {
			return res.fail(fmt.Errorf("lxc: install the %s service of %s: %w", svc.Name, s.Name, err))
		}
		changed[svc.Name] = ch
	}
	if kind == InitBusybox {
		cur, err := readOpt(ctx, c, s.Name, "/etc/inittab")
		if err != nil {
			return res.fail(err)
		}
		// Undone last (after /etc/inittab is restored): init re-reads
		// it, and the processes of its no longer listed entries end
		// (those still listed are respawned).
		undo := context.WithoutCancel(ctx)
		rev.Add("reload /etc/inittab", func() error {
			if _, err := c.Run(undo, s.Name, []string{"kill", "-HUP", "1"}, nil, nil); err != nil {
				return err
			}
			for _, svc := range svcs {
				if procs, err := procsOf(undo, c, s.Name, svc); err == nil && len(procs) > 0 {
					args := []string{"/bin/sh", "-c", `kill "$@" 2>/dev/null; exit 0`, "sh"}
					for _, p := range procs {
						args = append(args, p.pid)
					}
					_, _ = c.Run(undo, s.Name, args, nil, nil)
				}
			}
			return nil
		})
		inittabChanged, err = w.file("/etc/inittab", withInittabBlock(cur, InittabLines(svcs)), 0o644)
		if err != nil {
			return res.fail(fmt.Errorf("lxc: install the minion services of %s in /etc/inittab: %w", s.Name, err))
		}
	}
	stamps, err := serviceStamps(ctx, c, s.Name, svcs)
	if err != nil {
		return res.fail(err)
	}
	runMark, err := readOpt(ctx, c, s.Name, VMServicesVersionFile)
	if err != nil {
		return res.fail(err)
	}
	ran := map[string]string{}
	for _, l := range strings.Split(runMark, "\n") {
		if k, v, ok := strings.Cut(l, " "); ok {
			ran[k] = v
		}
	}
	var notes []string
	if kind == InitSystemd && facts.PID1 != "systemd" {
		notes = append(notes, fmt.Sprintf("systemd units enabled, not started (PID 1 is %q, not systemd): they start with the container", facts.PID1))
		rev.Success()
		res.Comment = strings.Join(notes, "; ")
		return res, nil
	}
	if kind == InitSystemd && anyTrue(changed) {
		if err := w.run("systemctl", "daemon-reload"); err != nil {
			return res.fail(err)
		}
	}
	if inittabChanged {
		if err := w.run("kill", "-HUP", "1"); err != nil {
			return res.fail(fmt.Errorf("lxc: make init of %s re-read /etc/inittab: %w", s.Name, err))
		}
	}
	if kind == InitBusybox {
		// After init re-read its inittab: it no longer respawns them.
		if err := retireServices(w, kind, facts, svcs); err != nil {
			return res.fail(err)
		}
	}
	for _, svc := range svcs {
		procs, err := procsOf(ctx, c, s.Name, svc)
		if err != nil {
			return res.fail(err)
		}
		stale := ran[svc.Name] != stamps[svc.Name]
		for _, p := range procs {
			stale = stale || p.stale
		}
		action := ""
		switch {
		case len(procs) > 0 && (stale || changed[svc.Name]):
			action = "restarted"
		case len(procs) == 0 && !(kind == InitBusybox && inittabChanged):
			action = "started"
		case len(procs) == 0:
			action = "started by init"
		}
		if action != "" {
			if action == "started" && kind != InitBusybox {
				// A service this run started is stopped again when a
				// later part fails (before its unit/script is removed).
				undo := context.WithoutCancel(ctx)
				argv := []string{path.Join(initDDir, svc.Name), "stop"}
				if kind == InitSystemd {
					argv = []string{"systemctl", "stop", svc.Name + ".service"}
				}
				rev.Add("stop "+svc.Name, func() error { _, err := c.Run(undo, s.Name, argv, nil, vmRunEnv); return err })
			}
			if err := activate(w, kind, svc, action, procs); err != nil {
				return res.fail(fmt.Errorf("lxc: %s service of %s not %s: %w", svc.Name, s.Name, action, err))
			}
		}
		wait := env.ServiceWait
		if wait <= 0 {
			wait = DefaultServiceWait
		}
		if err := waitRunning(ctx, c, s.Name, svc, procs, action == "restarted", wait); err != nil {
			return res.fail(err)
		}
		if action != "" {
			res.Changes.Set(svc.Name, action)
		}
	}
	var mark strings.Builder
	for _, svc := range svcs {
		fmt.Fprintf(&mark, "%s %s\n", svc.Name, stamps[svc.Name])
	}
	if mark.String() != runMark {
		if err := c.WriteFile(ctx, s.Name, VMServicesVersionFile, []byte(mark.String()), 0o644); err != nil {
			return res.fail(err)
		}
	}
	rev.Success()
	comment(res, fmt.Sprintf("minion services (%s) running under %s", strings.Join(serviceNames(svcs), ", "), kind),
		fmt.Sprintf("minion services (%s) already running under %s", strings.Join(serviceNames(svcs), ", "), kind))
	return res, nil
}

// serviceConfig is the minion config saltgo writes for svc's stack.
func serviceConfig(svc VMService) string {
	f := config.FlavourFromArgv0(svc.Args[len(svc.Args)-1])
	return path.Join(f.ConfigDir, "minion.d", "saltgo-lxc.conf")
}

// serviceStamps are what each service must run with: a hash of the
// binary's version marker (VMMinionVersionFile) and of its stack's minion
// config. A running service whose stamp differs from the one recorded in
// VMServicesVersionFile when it was (re)started is restarted.
func serviceStamps(ctx context.Context, c *liblxc.Client, name string, svcs []VMService) (map[string]string, error) {
	bin, err := readOpt(ctx, c, name, VMMinionVersionFile)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, svc := range svcs {
		conf, err := readOpt(ctx, c, name, serviceConfig(svc))
		if err != nil {
			return nil, err
		}
		h := sha256.Sum256([]byte(bin + "\x00" + conf))
		out[svc.Name] = hex.EncodeToString(h[:8])
	}
	return out, nil
}

// allVMServices are the services of every mode (retireServices removes
// those a VM's mode no longer runs).
func allVMServices() []VMService {
	return VMServices(&Settings{Mode: "mastersalt"})
}

// retireServices stops the saltgo minion services the VM's mode no longer
// runs (its mode changed) and removes their unit or script and links
// (only files saltgo wrote: they carry its marker). On busybox the
// inittab block is rewritten by the caller; the processes are killed
// here. Removals are not undone by the revert stack.
func retireServices(w *vmFiles, kind InitSystem, facts InitFacts, keep []VMService) error {
	kept := map[string]bool{}
	for _, s := range keep {
		kept[s.Name] = true
	}
	for _, svc := range allVMServices() {
		if kept[svc.Name] {
			continue
		}
		var file string
		var links []string
		switch kind {
		case InitSystemd:
			file = path.Join(systemdDir, svc.Name+".service")
			links = []string{path.Join(systemdWants, svc.Name+".service")}
		case InitSysV:
			file = path.Join(initDDir, svc.Name)
			for _, l := range SysVLinks(svc.Name) {
				links = append(links, l[0])
			}
		}
		if file != "" {
			cur, err := readOpt(w.ctx, w.c, w.name, file)
			if err != nil {
				return err
			}
			if !strings.Contains(cur, managedBy) {
				continue
			}
			switch {
			case kind == InitSystemd && facts.PID1 == "systemd":
				_ = w.run("systemctl", "stop", svc.Name+".service")
			case kind == InitSysV:
				_ = w.run(file, "stop")
			}
			if err := w.run(append([]string{"rm", "-f", file}, links...)...); err != nil {
				return err
			}
			w.res.Changes.Set(svc.Name, "removed (not run in mode "+modeName(keep)+")")
			continue
		}
		procs, err := procsOf(w.ctx, w.c, w.name, svc)
		if err != nil {
			return err
		}
		if len(procs) == 0 {
			continue
		}
		// init may have ended them already on the reload.
		args := []string{"/bin/sh", "-c", `kill "$@" 2>/dev/null; exit 0`, "sh"}
		for _, p := range procs {
			args = append(args, p.pid)
		}
		if err := w.run(args...); err != nil {
			return err
		}
		w.res.Changes.Set(svc.Name, "stopped (not run in mode "+modeName(keep)+")")
	}
	return nil
}

// modeName names the mode a service set is of.
func modeName(svcs []VMService) string {
	if len(svcs) > 1 {
		return "mastersalt"
	}
	return "salt"
}

func anyTrue(m map[string]bool) bool {
	for _, v := range m {
		if v {
			return true
		}
	}
	return false
}

func serviceNames(svcs []VMService) []string {
	var out []string
	for _, s := range svcs {
		out = append(out, s.Name)
	}
	return out
}

// activate starts or restarts svc the way its init does; on busybox a
// restart kills the processes and init respawns them.
func activate(w *vmFiles, kind InitSystem, svc VMService, action string, procs []minionProc) error {
	verb := "start"
	if action == "restarted" {
		verb = "restart"
	}
	switch kind {
	case InitSystemd:
		return w.run("systemctl", verb, svc.Name+".service")
	case InitSysV:
		return w.run(path.Join(initDDir, svc.Name), verb)
	}
	if action == "restarted" {
		args := []string{"kill"}
		for _, p := range procs {
			args = append(args, p.pid)
		}
		return w.run(args...)
	}
	if action == "started" {
		// A respawn line init already knows whose process exited for
		// good: init respawns it itself; make it re-read inittab.
		return w.run("kill", "-HUP", "1")
	}
	return nil
}

// waitRunning waits until svc has a process (other than the old ones
// when restarted) running the current binary.
func waitRunning(ctx context.Context, c *liblxc.Client, name string, svc VMService, old []minionProc, restarted bool, wait time.Duration) error {
	gone := map[string]bool{}
	if restarted {
		for _, p := range old {
			gone[p.pid] = true
		}
	}
	// A process counts once it is seen in two probes in a row, so that a
	// daemon init respawns as it keeps crashing is not taken as up.
	deadline := time.Now().Add(wait)
	prev := map[string]bool{}
	for {
		procs, err := procsOf(ctx, c, name, svc)
		if err != nil {
			return err
		}
		cur := map[string]bool{}
		for _, p := range procs {
			if gone[p.pid] || p.stale {
				continue
			}
			if prev[p.pid] {
				return nil
			}
			cur[p.pid] = true
		}
		prev = cur
		if time.Now().After(deadline) {
			return fmt.Errorf("lxc: the %s service of %s (%s) is not running %s after it was started", svc.Name, name, svc.Command(), wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// binaryVersion is the content of VMMinionVersionFile for a binary.
func binaryVersion(sum string) string {
	return "sha256=" + sum + "\nversion=" + version.Version + "\n"
}

// fileSHA256 hashes a host file.
func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// vmSHA256 hashes a file in the VM (sha256sum there, else read back);
// "" when it does not exist.
func vmSHA256(ctx context.Context, c *liblxc.Client, name, p string) (string, error) {
	r, err := c.Run(ctx, name, []string{"/bin/sh", "-c", `[ -f "$1" ] || { echo missing; exit 0; }; command -v sha256sum >/dev/null || { echo nosum; exit 0; }; sha256sum "$1"`, "sh", p}, nil, vmRunEnv)
	if err != nil {
		return "", err
	}
	out := strings.TrimSpace(string(r.Stdout))
	switch {
	case out == "missing":
		return "", nil
	case out == "nosum" || r.Status != 0:
		b, err := c.ReadFile(ctx, name, p)
		if err != nil {
			return "", err
		}
		h := sha256.Sum256(b)
		return hex.EncodeToString(h[:]), nil
	}
	sum, _, _ := strings.Cut(out, " ")
	return sum, nil
}

// installBinary puts env.MinionBinary in the VM as VMMinionBinary when its
// content (sha256) or the version marker (VMMinionVersionFile) differs:
// copied beside and renamed over (liblxc's WriteFile), so a running
// minion keeps its old binary until it is restarted (MinionServices sees
// its "(deleted)" exe and restarts it).
func installBinary(ctx context.Context, env *VMEnv, s *Settings, res *StepResult) error {
	c := env.Client
	sum, err := fileSHA256(env.MinionBinary)
	if err != nil {
		return fmt.Errorf("lxc: minion binary: %w", err)
	}
	want := binaryVersion(sum)
	mark, err := readOpt(ctx, c, s.Name, VMMinionVersionFile)
	if err != nil {
		return err
	}
	have, err := vmSHA256(ctx, c, s.Name, VMMinionBinary)
	if err != nil {
		return fmt.Errorf("lxc: hash %s in %s: %w", VMMinionBinary, s.Name, err)
	}
	if have == sum && mark == want {
		return nil
	}
	if have != sum {
		if err := c.CopyFile(ctx, s.Name, env.MinionBinary, VMMinionBinary, 0o755); err != nil {
			return fmt.Errorf("lxc: install %s in %s: %w", VMMinionBinary, s.Name, err)
		}
		what := "installed"
		if have != "" {
			what = "replaced (sha256 " + have[:12] + " -> " + sum[:12] + ")"
		}
		res.Changes.Set(VMMinionBinary, what)
	}
	if err := c.WriteFile(ctx, s.Name, VMMinionVersionFile, []byte(want), 0o644); err != nil {
		return err
	}
	if mark != want {
		res.Changes.Set(VMMinionVersionFile, "version "+version.Version+", sha256 "+sum[:12])
	}
	return nil
}
