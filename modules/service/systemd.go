package service

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
)

// systemd is salt/modules/systemd_service.py: units driven through
// systemctl, init.d scripts without a unit through update-rc.d.
type systemd struct{ *runner }

func (s *systemd) Provider() string { return "systemd" }

// Where systemd keeps unit files, and Debian its init scripts (Salt's
// SYSTEM_CONFIG_PATHS, LOCAL_CONFIG_PATH, INITSCRIPT_PATH); variables so
// that the parsing tests can point them at a directory of their own.
var (
	systemConfigPaths = []string{"/lib/systemd/system", "/usr/lib/systemd/system"}
	localConfigPath   = "/etc/systemd/system"
	initscriptPath    = "/etc/init.d"
	rcDir             = "/etc"
)

var validUnitTypes = []string{"service", "socket", "device", "mount", "automount", "swap", "target", "path", "timer"}

// canonicalUnitName appends .service unless name ends in a unit type.
func canonicalUnitName(name string) string {
	for _, t := range validUnitTypes {
		if strings.HasSuffix(name, t) {
			return name
		}
	}
	return name + ".service"
}

// version is salt.utils.systemd.version: the number on the first line
// of systemctl --version (0 when unknown).
func (s *systemd) version(ctx context.Context) int {
	out, _ := exec.CommandContext(ctx, "systemctl", "--version").Output()
	first, _, _ := strings.Cut(string(out), "\n")
	m := regexp.MustCompile(`\w+ ([0-9]+)`).FindStringSubmatch(first)
	if m == nil {
		return 0
	}
	v, _ := strconv.Atoi(m[1])
	return v
}

// useScope is has_scope (systemd 205 or later) and the systemd.scope
// option (default True).
func (s *systemd) useScope(ctx context.Context) bool {
	if s.env != nil {
		if v, ok := s.env.Opt("systemd.scope"); ok && v != nil && !data.Truthy(v) {
			return false
		}
	}
	return Booted() && s.version(ctx) >= 205
}

// cmd is _systemctl_cmd.
func (s *systemd) cmd(ctx context.Context, action []string, name string, scope, noBlock bool, extra ...string) ([]string, error) {
	var ret []string
	if scope && s.useScope(ctx) {
		run, err := exec.LookPath("systemd-run")
		if err != nil {
			return nil, host.Errorf("systemd-run is required for running systemctl with --scope, but it was not found on the system. Make sure systemd-run is installed and in the system's PATH or disable it using the 'systemd.scope' config option.")
		}
		ret = append(ret, run, "--scope")
	}
	ctl, err := exec.LookPath("systemctl")
	if err != nil {
		ctl = "systemctl"
	}
	ret = append(ret, ctl)
	if noBlock {
		ret = append(ret, "--no-block")
	}
	ret = append(ret, action...)
	if name != "" {
		ret = append(ret, canonicalUnitName(name))
	}
	if slices.Contains(ret, "status") {
		ret = append(ret, "-n", "0")
	}
	return append(ret, extra...), nil
}

func (s *systemd) status(ctx context.Context, name string) (code int, out string, err error) {
	argv, err := s.cmd(ctx, []string{"status"}, name, false, false)
	if err != nil {
		return 0, "", err
	}
	r, err := s.run(ctx, argv, false, true, true)
	return r.Retcode, r.Stdout, err
}

// checkAvailable is _check_available: systemctl status exits below 4
// (systemd 231 and later) or says the unit is loaded.
func (s *systemd) checkAvailable(ctx context.Context, name string) (bool, error) {
	code, out, err := s.status(ctx, name)
	if err != nil {
		return false, err
	}
	if s.version(ctx) >= 231 {
		return code >= 0 && code < 4, nil
	}
	return loadedFromStatus(name, out)
}

// loadedFromStatus reads the Loaded: line of systemctl status output
// (systemd before 231).
func loadedFromStatus(name, out string) (bool, error) {
	out = strings.ToLower(out)
	if strings.Contains(out, "could not be found") {
		return false, nil
	}
	re := regexp.MustCompile(`^\s+loaded:\s+(\S+)`)
	for _, line := range strings.Split(out, "\n") {
		if m := re.FindStringSubmatch(line); m != nil {
			return m[1] != "not-found", nil
		}
	}
	return false, host.Errorf("Failed to get information on unit '%s'", name)
}

// checkUnitChanges is _check_for_unit_changes: a daemon-reload when a
// unit file is new to systemd or changed on disk.
func (s *systemd) checkUnitChanges(ctx context.Context, name string) error {
	changed := false
	if f, err := os.Open(filepath.Join(localConfigPath, canonicalUnitName(name))); err == nil {
		f.Close()
		ok, err := s.checkAvailable(ctx, name)
		if err != nil {
			return err
		}
		changed = !ok
	}
	if !changed {
		_, out, err := s.status(ctx, name)
		if err != nil {
			return err
		}
		changed = strings.Contains(strings.ToLower(out), "'systemctl daemon-reload'")
	}
	if !changed {
		return nil
	}
	argv, err := s.cmd(ctx, []string{"--system", "daemon-reload"}, "", false, false)
	if err != nil {
		return err
	}
	r, err := s.run(ctx, argv, false, false, true)
	if err != nil {
		return err
	}
	if r.Retcode != 0 {
		return host.Errorf("Problem performing systemctl daemon-reload: %s", strings.TrimRight(r.Stdout, "\n"))
	}
	return nil
}

// masked reports whether the unit's link in /etc (or /run, runtime)
// points at /dev/null.
func masked(name string, runtime bool) bool {
	dir := "/etc"
	if runtime {
		dir = "/run"
	}
	t, err := os.Readlink(filepath.Join(dir, "systemd", "system", canonicalUnitName(name)))
	return err == nil && t == "/dev/null"
}

func (s *systemd) unmask(ctx context.Context, name string, o Opts) error {
	for _, rt := range []bool{false, true} {
		if (!rt && !o.Unmask) || (rt && !o.UnmaskRuntime) || !masked(name, rt) {
			continue
		}
		act := []string{"unmask"}
		if rt {
			act = append(act, "--runtime")
		}
		argv, err := s.cmd(ctx, act, name, true, false)
		if err != nil {
			return err
		}
		r, err := s.run(ctx, argv, false, false, true)
		if err != nil {
			return err
		}
		if r.Retcode != 0 {
			return host.Errorf("Failed to unmask service '%s'", name)
		}
	}
	return nil
}

// stripScope drops the lines systemd-run adds about its scope unit.
func stripScope(msg string) string {
	var out []string
	for _, l := range strings.Split(strings.TrimRight(msg, "\n"), "\n") {
		if !strings.HasSuffix(l, ".scope") {
			out = append(out, l)
		}
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

func noBlock(o Opts, def bool) bool {
	if o.NoBlock != nil {
		return *o.NoBlock
	}
	return def
}

// noBlockDefault is _no_block_default: the minion's own unit is never
// waited for.
func noBlockDefault(name string, o Opts) bool {
	return noBlock(o, canonicalUnitName(name) == "salt-minion.service")
}

// control runs systemctl <verb> on the unit; raise makes a failure
// Salt's CommandExecutionError with systemctl's stderr.
func (s *systemd) control(ctx context.Context, verb, name string, o Opts, nb, unmask, raise bool) (bool, error) {
	if err := s.checkUnitChanges(ctx, name); err != nil {
		return false, err
	}
	if unmask {
		if err := s.unmask(ctx, name, o); err != nil {
			return false, err
		}
	}
	argv, err := s.cmd(ctx, []string{verb}, name, true, nb)
	if err != nil {
		return false, err
	}
	r, err := s.run(ctx, argv, false, false, false)
	if err != nil {
		return false, err
	}
	if r.Retcode != 0 {
		if raise {
			return false, host.Errorf("%s", stripScope(r.Stderr))
		}
		return false, nil
	}
	return true, nil
}

func (s *systemd) Start(ctx context.Context, name string, o Opts) (bool, error) {
	return s.control(ctx, "start", name, o, noBlock(o, false), true, true)
}

func (s *systemd) Stop(ctx context.Context, name string, o Opts) (bool, error) {
	return s.control(ctx, "stop", name, o, noBlockDefault(name, o), false, false)
}

func (s *systemd) Restart(ctx context.Context, name string, o Opts) (bool, error) {
	return s.control(ctx, "restart", name, o, noBlockDefault(name, o), true, true)
}

func (s *systemd) Reload(ctx context.Context, name string, o Opts) (bool, error) {
	return s.control(ctx, "reload", name, o, noBlock(o, false), true, true)
}

func (s *systemd) ForceReload(ctx context.Context, name string, o Opts) (bool, error) {
	return s.control(ctx, "force-reload", name, o, noBlock(o, true), true, true)
}

// Status ignores sig, as Salt's systemd status does.
func (s *systemd) Status(ctx context.Context, name, _ string) (bool, error) {
	if err := s.checkUnitChanges(ctx, name); err != nil {
		return false, err
	}
	argv, err := s.cmd(ctx, []string{"is-active"}, name, false, false)
	if err != nil {
		return false, err
	}
	rc, err := s.retcode(ctx, argv, false, true)
	return err == nil && rc == 0, err
}

// sysvServices is _get_sysv_services: executable init.d scripts that no
// systemd unit shadows.
func sysvServices(units map[string]bool) []string {
	ents, err := os.ReadDir(initscriptPath)
	if err != nil {
		return nil
	}
	if units == nil {
		units = systemdServices()
	}
	var out []string
	for _, e := range ents {
		p := filepath.Join(initscriptPath, e.Name())
		if st, err := os.Stat(p); err != nil || st.Mode()&0o111 == 0 {
			continue
		}
		if units[e.Name()] {
			continue
		}
		out = append(out, e.Name())
	}
	return out
}

// systemdServices is _get_systemd_services: the unit files of the
// system and local unit directories (services without their suffix).
func systemdServices() map[string]bool {
	ret := map[string]bool{}
	for _, dir := range append(slices.Clone(systemConfigPaths), localConfigPath) {
		if st, err := os.Lstat(dir); err != nil || !st.IsDir() {
			continue
		}
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if n, ok := unitName(e.Name()); ok {
				ret[n] = true
			}
		}
	}
	return ret
}

// unitName maps a unit file name to Salt's service name: "foo" for
// foo.service, the full name for other valid unit types.
func unitName(full string) (string, bool) {
	i := strings.LastIndex(full, ".")
	if i < 0 {
		return "", false
	}
	if !slices.Contains(validUnitTypes, full[i+1:]) {
		return "", false
	}
	if full[i+1:] == "service" {
		return full[:i], true
	}
	return full, true
}

// runlevel is _runlevel: the second word of runlevel(8), else the
// default runlevel ("2" when it cannot be read).
func (s *systemd) runlevel(ctx context.Context) string {
	if p, err := exec.LookPath("runlevel"); err == nil {
		if f := strings.Fields(s.output(ctx, []string{p})); len(f) > 1 {
			return f[1]
		}
	}
	return "2"
}

// sysvEnabled is _sysv_enabled: a start link for the script in the
// current runlevel.
func (s *systemd) sysvEnabled(ctx context.Context, name string) bool {
	links, _ := filepath.Glob(filepath.Join(rcDir, "rc"+s.runlevel(ctx)+".d", "S*"+name))
	re := regexp.MustCompile(`^S\d{0,2}` + regexp.QuoteMeta(name))
	for _, l := range links {
		if re.MatchString(filepath.Base(l)) {
			return true
		}
	}
	return false
}

// parseUnitFiles reads systemctl list-unit-files output: the services
// whose state is want.
func parseUnitFiles(out, want string) map[string]bool {
	ret := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[1] != want {
			continue
		}
		if n, ok := unitName(f[0]); ok {
			ret[n] = true
		}
	}
	return ret
}

func (s *systemd) unitFiles(ctx context.Context, want string) (map[string]bool, error) {
	argv, err := s.cmd(ctx, []string{"--full", "--no-legend", "--no-pager", "list-unit-files"}, "", false, false)
	if err != nil {
		return nil, err
	}
	return parseUnitFiles(s.output(ctx, argv), want), nil
}

func (s *systemd) GetEnabled(ctx context.Context) ([]string, error) {
	ret, err := s.unitFiles(ctx, "enabled")
	if err != nil {
		return nil, err
	}
	for _, x := range sysvServices(nil) {
		if s.sysvEnabled(ctx, x) {
			ret[x] = true
		}
	}
	return sortedSet(ret), nil
}

func (s *systemd) GetDisabled(ctx context.Context) ([]string, error) {
	ret, err := s.unitFiles(ctx, "disabled")
	if err != nil {
		return nil, err
	}
	for _, x := range sysvServices(nil) {
		if !s.sysvEnabled(ctx, x) {
			ret[x] = true
		}
	}
	return sortedSet(ret), nil
}

func (s *systemd) GetAll(context.Context) ([]string, error) {
	units := systemdServices()
	for _, x := range sysvServices(units) {
		units[x] = true
	}
	return sortedSet(units), nil
}

func (s *systemd) Available(ctx context.Context, name string) (bool, error) {
	if err := s.checkUnitChanges(ctx, name); err != nil {
		return false, err
	}
	return s.checkAvailable(ctx, name)
}

// sysvTool is _get_service_exec: update-rc.d, else chkconfig.
func sysvTool() (string, error) {
	for _, t := range []string{"update-rc.d", "chkconfig"} {
		if p, err := exec.LookPath(t); err == nil {
			return p, nil
		}
	}
	return "", host.Errorf("Unable to find sysv service manager (tried update-rc.d, chkconfig)")
}

// sysvToggle enables or disables an init.d script that has no unit.
func (s *systemd) sysvToggle(ctx context.Context, name string, on bool) (bool, error) {
	var argv []string
	if s.useScope(ctx) {
		argv = append(argv, "systemd-run", "--scope")
	}
	tool, err := sysvTool()
	if err != nil {
		return false, err
	}
	switch {
	case strings.HasSuffix(tool, "/update-rc.d") && on:
		argv = append(argv, tool, "-f", name, "defaults", "99")
	case strings.HasSuffix(tool, "/update-rc.d"):
		argv = append(argv, tool, "-f", name, "remove")
	case on:
		argv = append(argv, tool, name, "on")
	default:
		argv = append(argv, tool, name, "off")
	}
	rc, err := s.retcode(ctx, argv, false, true)
	return err == nil && rc == 0, err
}

func (s *systemd) Enable(ctx context.Context, name string, o Opts) (bool, error) {
	if err := s.checkUnitChanges(ctx, name); err != nil {
		return false, err
	}
	if err := s.unmask(ctx, name, o); err != nil {
		return false, err
	}
	if slices.Contains(sysvServices(nil), name) {
		return s.sysvToggle(ctx, name, true)
	}
	argv, err := s.cmd(ctx, []string{"enable"}, name, true, noBlock(o, false))
	if err != nil {
		return false, err
	}
	r, err := s.run(ctx, argv, false, true, false)
	if err != nil {
		return false, err
	}
	if r.Retcode != 0 {
		return false, host.Errorf("%s", stripScope(r.Stderr))
	}
	return true, nil
}

func (s *systemd) Disable(ctx context.Context, name string, o Opts) (bool, error) {
	if err := s.checkUnitChanges(ctx, name); err != nil {
		return false, err
	}
	if slices.Contains(sysvServices(nil), name) {
		return s.sysvToggle(ctx, name, false)
	}
	argv, err := s.cmd(ctx, []string{"disable"}, name, true, noBlock(o, false))
	if err != nil {
		return false, err
	}
	r, err := s.run(ctx, argv, false, true, false)
	return err == nil && r.Retcode == 0, err
}

func (s *systemd) Enabled(ctx context.Context, name string) (bool, error) {
	argv, err := s.cmd(ctx, []string{"is-enabled"}, name, false, false)
	if err != nil {
		return false, err
	}
	r, err := s.run(ctx, argv, false, true, false)
	if err != nil {
		return false, err
	}
	out := strings.TrimRight(r.Stdout, "\n")
	switch {
	case r.Retcode == 0 && out != "alias":
		return true, nil
	case out == "alias":
		show, err := s.cmd(ctx, []string{"show"}, name, false, false, "-P", "Id")
		if err != nil {
			return false, err
		}
		alias := s.output(ctx, show)
		argv, err := s.cmd(ctx, []string{"is-enabled"}, alias, false, false)
		if err != nil {
			return false, err
		}
		rc, err := s.retcode(ctx, argv, false, true)
		return err == nil && rc == 0, err
	case strings.Contains(name, "@"):
		out := s.output(ctx, []string{"find", localConfigPath, "-name", name, "-type", "l", "-print", "-quit"})
		return out != "", nil
	case slices.Contains(sysvServices(nil), name):
		return s.sysvEnabled(ctx, name), nil
	}
	return false, nil
}

func (s *systemd) Disabled(ctx context.Context, name string) (bool, error) {
	ok, err := s.Enabled(ctx, name)
	return !ok, err
}

// Masked is service.masked: the unit's link in /etc/systemd/system (or
// /run/systemd/system, runtime) points at /dev/null.
func (s *systemd) Masked(ctx context.Context, name string, runtime bool) (bool, error) {
	if err := s.checkUnitChanges(ctx, name); err != nil {
		return false, err
	}
	return masked(name, runtime), nil
}

// Mask is service.mask: systemctl mask [--runtime].
func (s *systemd) Mask(ctx context.Context, name string, runtime bool) (bool, error) {
	if err := s.checkUnitChanges(ctx, name); err != nil {
		return false, err
	}
	act := []string{"mask"}
	if runtime {
		act = append(act, "--runtime")
	}
	argv, err := s.cmd(ctx, act, name, true, false)
	if err != nil {
		return false, err
	}
	r, err := s.run(ctx, argv, false, false, true)
	if err != nil {
		return false, err
	}
	if r.Retcode != 0 {
		return false, host.Errorf("Failed to mask service '%s'", name)
	}
	return true, nil
}

// Unmask is service.unmask: systemctl unmask [--runtime] when masked.
func (s *systemd) Unmask(ctx context.Context, name string, runtime bool) (bool, error) {
	if err := s.checkUnitChanges(ctx, name); err != nil {
		return false, err
	}
	if err := s.unmask(ctx, name, Opts{Unmask: !runtime, UnmaskRuntime: runtime}); err != nil {
		return false, err
	}
	return true, nil
}
