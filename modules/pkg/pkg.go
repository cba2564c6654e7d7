// Package pkg is Salt's pkg execution module as aptpkg provides it on
// Debian (salt/modules/aptpkg.py, virtual name pkg): version, list_pkgs,
// latest_version, upgrade_available, refresh_db, install, remove, purge,
// hold and unhold, with Salt's return shapes and error texts. Commands run
// through modules/cmd with Salt's apt options and DPKG_ENV_VARS.
//
// apt and dpkg read their own environment (APT_CONFIG, DPKG_ROOT,
// DPKG_ADMINDIR), which the commands inherit: that is how the tests point
// the module at a private root without touching the host's package
// database; the module itself has no test hook.
package pkg

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	cmdmod "github.com/saltgo/saltgo/modules/cmd"
	"github.com/saltgo/saltgo/output"
)

// dpkgEnv is Salt's DPKG_ENV_VARS: apt and dpkg never ask questions.
var dpkgEnv = []string{"APT_LISTBUGS_FRONTEND", "none", "APT_LISTCHANGES_FRONTEND", "none", "DEBIAN_FRONTEND", "noninteractive", "UCF_FORCE_CONFFOLD", "1"}

func init() {
	names := []host.Param{}
	host.Register(&host.Module{Kind: host.Exec, Name: "pkg", Doc: "Support for APT (Advanced Packaging Tool).",
		Virtual: func() error {
			if _, err := exec.LookPath("dpkg-query"); err != nil {
				return fmt.Errorf("The pkg module could not be loaded: unsupported OS family")
			}
			return nil
		},
		Funcs: []*host.Func{
			{Name: "version", Params: names, VarArgs: true, VarKwargs: true, Fn: version,
				Doc: "Returns a string representing the package version or an empty string if not\n    installed. If more than one package name is specified, a dict of\n    name/version pairs is returned.\n\n    CLI Example:\n\n        salt '*' pkg.version <package name>\n    "},
			{Name: "list_pkgs", Params: []host.Param{host.Opt("versions_as_list", false), host.Opt("removed", false), host.Opt("purge_desired", false)}, VarKwargs: true, Fn: listPkgsFn,
				Doc: "List the packages currently installed in a dict::\n\n        {'<package_name>': '<version>'}\n\n    CLI Example:\n\n        salt '*' pkg.list_pkgs\n        salt '*' pkg.list_pkgs versions_as_list=True\n    "},
			{Name: "latest_version", Params: names, VarArgs: true, VarKwargs: true, Fn: latestVersionFn,
				Doc: "Return the latest version of the named package available for upgrade or\n    installation; an empty string when the latest version is installed.\n\n    CLI Example:\n\n        salt '*' pkg.latest_version <package name>\n    "},
			{Name: "available_version", Params: names, VarArgs: true, VarKwargs: true, Fn: latestVersionFn,
				Doc: "This function is an alias of latest_version.\n    "},
			{Name: "upgrade_available", Params: []host.Param{host.Req("name")}, VarKwargs: true, Fn: upgradeAvailable,
				Doc: "Check whether or not an upgrade is available for a given package\n\n    CLI Example:\n\n        salt '*' pkg.upgrade_available <package name>\n    "},
			{Name: "list_upgrades", Params: []host.Param{host.Opt("refresh", true), host.Opt("dist_upgrade", true)}, VarKwargs: true, Fn: listUpgradesFn,
				Doc: "List all available package upgrades.\n\n    CLI Example:\n\n        salt '*' pkg.list_upgrades\n    "},
			{Name: "upgrade", Params: []host.Param{host.Opt("refresh", true), host.Opt("dist_upgrade", false)}, VarKwargs: true, Fn: upgradeFn,
				Doc: "Upgrades all packages via apt-get upgrade or apt-get dist-upgrade\n    if dist_upgrade is True; returns the changes.\n\n    CLI Example:\n\n        salt '*' pkg.upgrade\n    "},
			{Name: "version_cmp", Params: []host.Param{host.Req("pkg1"), host.Req("pkg2"), host.Opt("ignore_epoch", false)}, VarKwargs: true, Fn: versionCmpFn,
				Doc: "Do a cmp-style comparison on two packages. Return -1 if pkg1 < pkg2, 0 if\n    pkg1 == pkg2, and 1 if pkg1 > pkg2.\n\n    CLI Example:\n\n        salt '*' pkg.version_cmp '0.2.4-0ubuntu1' '0.2.4.1-0ubuntu1'\n    "},
			{Name: "list_repo_pkgs", Params: names, VarArgs: true, VarKwargs: true, Fn: listRepoPkgsFn,
				Doc: "Returns all available packages (or those named) with the versions the\n    repositories offer.\n\n    CLI Example:\n\n        salt '*' pkg.list_repo_pkgs foo bar\n    "},
			{Name: "refresh_db", Params: []host.Param{host.Opt("cache_valid_time", int64(0)), host.Opt("failhard", false)}, VarKwargs: true, Fn: refreshDBFn,
				Doc: "Updates the APT database to latest packages based upon repositories\n\n    CLI Example:\n\n        salt '*' pkg.refresh_db\n    "},
			{Name: "install", Params: []host.Param{host.Opt("name", nil), host.Opt("refresh", false), host.Opt("fromrepo", nil), host.Opt("skip_verify", false),
				host.Opt("debconf", nil), host.Opt("pkgs", nil), host.Opt("sources", nil), host.Opt("reinstall", false), host.Opt("downloadonly", false), host.Opt("ignore_epoch", false)},
				VarKwargs: true, Fn: installFn,
				Doc: "Install the passed package, add refresh=True to update the dpkg database.\n\n    CLI Example:\n\n        salt '*' pkg.install <package name>\n        salt '*' pkg.install pkgs='[\"foo\", {\"bar\": \"1.2.3\"}]'\n    "},
			{Name: "remove", Params: []host.Param{host.Opt("name", nil), host.Opt("pkgs", nil)}, VarKwargs: true, Fn: uninstallFn("remove"),
				Doc: "Remove packages using apt-get remove.\n\n    CLI Example:\n\n        salt '*' pkg.remove <package name>\n    "},
			{Name: "purge", Params: []host.Param{host.Opt("name", nil), host.Opt("pkgs", nil)}, VarKwargs: true, Fn: uninstallFn("purge"),
				Doc: "Remove packages via apt-get purge along with all configuration files.\n\n    CLI Example:\n\n        salt '*' pkg.purge <package name>\n    "},
			{Name: "hold", Params: []host.Param{host.Opt("name", nil), host.Opt("pkgs", nil), host.Opt("sources", nil)}, VarKwargs: true, Fn: holdFn(true),
				Doc: "Set package in 'hold' state, meaning it will not be upgraded.\n\n    CLI Example:\n\n        salt '*' pkg.hold <package name>\n    "},
			{Name: "unhold", Params: []host.Param{host.Opt("name", nil), host.Opt("pkgs", nil), host.Opt("sources", nil)}, VarKwargs: true, Fn: holdFn(false),
				Doc: "Set package current in 'hold' state to install state,\n    meaning it will be upgraded.\n\n    CLI Example:\n\n        salt '*' pkg.unhold <package name>\n    "},
		}})
}

// systemdDir is where systemd says it booted the host (salt.utils.systemd.booted).
var systemdDir = "/run/systemd/system"

// hasScope is salt.utils.systemd.has_scope: systemd booted the host, is
// reachable and is at least version 205.
func hasScope(ctx context.Context) bool {
	if _, err := os.Stat(systemdDir); err != nil {
		return false
	}
	out, _ := exec.CommandContext(ctx, "systemctl", "--version").CombinedOutput()
	first, _, _ := strings.Cut(string(out), "\n")
	m := regexp.MustCompile(`\w+ ([0-9]+)`).FindStringSubmatch(first)
	if m == nil {
		return false
	}
	ver, _ := strconv.Atoi(m[1])
	var stderr strings.Builder
	st := exec.CommandContext(ctx, "systemctl", "status")
	st.Stderr = &stderr
	_ = st.Run()
	return !strings.Contains(stderr.String(), "Failed to get D-Bus connection: No such file or directory") && ver >= 205
}

// runScoped is _call_apt with scope=True: on a systemd host (unless the
// option systemd.scope is False) apt runs in its own scope unit, so that a
// package restarting the minion does not kill it.
func runScoped(ctx context.Context, env *host.Env, argv []string) (cmdmod.Result, error) {
	useScope := true
	if env != nil && env.Opts != nil {
		if v, ok := env.Opts.Get("systemd.scope"); ok && v != nil {
			useScope = data.Truthy(v)
		}
	}
	if useScope && hasScope(ctx) {
		argv = append([]string{"systemd-run", "--scope", "--description", `"salt.modules.aptpkg"`}, argv...)
	}
	return run(ctx, env, argv)
}

// run runs argv through cmd.run_all's runner with Salt's _call_apt
// parameters (no shell, DPKG_ENV_VARS, trace logging).
func run(ctx context.Context, env *host.Env, argv []string) (cmdmod.Result, error) {
	f, _, err := host.Lookup(host.Exec, "cmd.run_all")
	if err != nil {
		return cmdmod.Result{}, fmt.Errorf("pkg: %w", err)
	}
	envMap := data.NewMap()
	for i := 0; i < len(dpkgEnv); i += 2 {
		envMap.Set(dpkgEnv[i], dpkgEnv[i+1])
	}
	call, err := host.Bind(f, nil, data.M("cmd", strings.Join(argv, " "), "python_shell", false, "env", envMap, "output_loglevel", "quiet", "ignore_retcode", true))
	if err != nil {
		return cmdmod.Result{}, fmt.Errorf("pkg: %w", err)
	}
	call.Env, call.Fun = env, "cmd.run_all"
	r, err := cmdmod.Run(ctx, call, argv[0], argv[1:], false, false)
	// apt's lock held by another process: retry as _call_apt does
	for n := 1; err == nil && n <= 10 && strings.Contains(r.Stderr, "Could not get lock"); n++ {
		env.Logger().Warn(fmt.Sprintf("Waiting for dpkg lock release: retrying... %d/100", n))
		select {
		case <-ctx.Done():
			return r, fmt.Errorf("pkg: waiting for the dpkg lock: %w", ctx.Err())
		case <-time.After(lockWait(n)):
		}
		r, err = cmdmod.Run(ctx, call, argv[0], argv[1:], false, false)
	}
	return r, err
}

// lockWait is how long _call_apt sleeps before its n-th retry on a held
// dpkg lock (2**n seconds).
var lockWait = func(n int) time.Duration { return time.Duration(1<<n) * time.Second }

// Pkgs maps a package name to its installed versions.
type Pkgs struct {
	Names []string
	Vers  map[string][]string
}

func (p *Pkgs) add(name, ver string) {
	if _, ok := p.Vers[name]; !ok {
		p.Names = append(p.Names, name)
	}
	p.Vers[name] = append(p.Vers[name], ver)
}

// Get returns the versions of name joined with "," as pkg_resource.stringify does.
func (p *Pkgs) Get(name string) string { return strings.Join(p.Vers[name], ",") }

// Map returns Salt's list_pkgs dict.
func (p *Pkgs) Map(asList bool) *data.Map {
	m := data.NewMap()
	for _, n := range p.Names {
		if asList {
			l := make([]any, len(p.Vers[n]))
			for i, v := range p.Vers[n] {
				l[i] = v
			}
			m.Set(n, l)
		} else {
			m.Set(n, p.Get(n))
		}
	}
	return m
}

// ListPkgs is list_pkgs: the installed packages (removed: the ones removed
// with their configuration left; purgeDesired: also the installed ones
// selected for purge).
func ListPkgs(ctx context.Context, env *host.Env, removed, purgeDesired bool) (*Pkgs, error) {
	r, err := run(ctx, env, []string{"dpkg-query", "--showformat", "${Status} ${Package} ${Version} ${Architecture}\n", "-W"})
	if err != nil {
		return nil, err
	}
	inst, rem, purge := &Pkgs{Vers: map[string][]string{}}, &Pkgs{Vers: map[string][]string{}}, &Pkgs{Vers: map[string][]string{}}
	osarch := ""
	if env != nil && env.Grains != nil {
		if v, ok := env.Grains.Get("cpuarch"); ok && data.Str(v) == "x86_64" {
			if a, ok := env.Grains.Get("osarch"); ok {
				osarch = data.Str(a)
			}
		}
	}
	for _, line := range strings.Split(r.Stdout, "\n") {
		cols := strings.Fields(line)
		if len(cols) < 6 {
			continue
		}
		linetype, status, name, ver, arch := cols[0], cols[2], cols[3], cols[4], cols[5]
		if arch != "all" && osarch == "amd64" && osarch != arch {
			name += ":" + arch
		}
		switch {
		case (strings.Contains(linetype, "install") || strings.Contains(linetype, "hold")) && strings.Contains(status, "installed") && !strings.Contains(linetype, "deinstall"):
			inst.add(name, ver)
		case strings.Contains(linetype, "deinstall"):
			rem.add(name, ver)
		case strings.Contains(linetype, "purge") && status == "installed":
			purge.add(name, ver)
		}
	}
	if removed {
		return rem, nil
	}
	if purgeDesired {
		for _, n := range inst.Names {
			for _, v := range inst.Vers[n] {
				purge.add(n, v)
			}
		}
		return purge, nil
	}
	for _, n := range purge.Names {
		for _, v := range purge.Vers[n] {
			inst.add(n, v)
		}
	}
	for _, n := range inst.Names {
		sort.Slice(inst.Vers[n], func(i, j int) bool { return VersionCmp(inst.Vers[n][i], inst.Vers[n][j]) < 0 })
	}
	return inst, nil
}

func listPkgsFn(ctx context.Context, c *host.Call) (any, error) {
	p, err := ListPkgs(ctx, c.Env, c.Bool("removed"), c.Bool("purge_desired"))
	if err != nil {
		return nil, err
	}
	return p.Map(c.Bool("versions_as_list")), nil
}

func strArgs(c *host.Call) []string {
	var out []string
	for _, a := range c.Args() {
		out = append(out, data.Str(a))
	}
	return out
}

func version(ctx context.Context, c *host.Call) (any, error) {
	names := strArgs(c)
	if len(names) == 0 {
		return "", nil
	}
	p, err := ListPkgs(ctx, c.Env, false, false)
	if err != nil {
		return nil, err
	}
	if len(names) == 1 {
		return p.Get(names[0]), nil
	}
	m := data.NewMap()
	for _, n := range names {
		m.Set(n, p.Get(n))
	}
	return m, nil
}

// RefreshDB is refresh_db: apt-get -q update; a map of source to True
// (fetched), None (unchanged) or False (failed or ignored).
func RefreshDB(ctx context.Context, env *host.Env, failhard bool) (*data.Map, error) {
	ClearRtag(env)
	r, err := run(ctx, env, []string{"apt-get", "-q", "update"})
	if err != nil {
		return nil, err
	}
	if r.Retcode != 0 {
		return nil, host.Errorf("%s", r.Stderr)
	}
	ret := data.NewMap()
	var errRepos []string
	size := regexp.MustCompile(` \[.+B\]$`)
	for _, line := range strings.Split(r.Stdout, "\n") {
		cols := strings.Fields(line)
		if len(cols) == 0 {
			continue
		}
		ident := strings.Join(cols[1:], " ")
		switch {
		case strings.Contains(cols[0], "Get"):
			ret.Set(size.ReplaceAllString(ident, ""), true)
		case strings.Contains(cols[0], "Ign"):
			ret.Set(ident, false)
		case strings.Contains(cols[0], "Hit"):
			ret.Set(ident, nil)
		case strings.Contains(cols[0], "Err"):
			ret.Set(ident, false)
			errRepos = append(errRepos, ident)
		}
	}
	if failhard && len(errRepos) > 0 {
		return nil, host.Errorf("Error getting repos: %s", strings.Join(errRepos, ", "))
	}
	return ret, nil
}

func refreshDBFn(ctx context.Context, c *host.Call) (any, error) {
	return RefreshDB(ctx, c.Env, c.Bool("failhard"))
}

// LatestVersion is latest_version for names: the candidate version of
// each, "" when it is installed at that version or unknown.
func LatestVersion(ctx context.Context, env *host.Env, names []string, refresh, showInstalled bool) (map[string]string, error) {
	inst, err := ListPkgs(ctx, env, false, false)
	if err != nil {
		return nil, err
	}
	if refresh {
		if _, err := RefreshDB(ctx, env, false); err != nil {
			return nil, err
		}
	}
	r, err := run(ctx, env, append([]string{"apt-cache", "-q", "policy"}, names...))
	if err != nil {
		return nil, err
	}
	candidates := map[string]string{}
	this := ""
	for _, line := range strings.Split(r.Stdout, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasSuffix(line, ":") && !strings.HasPrefix(line, "Version table") {
			for _, n := range names {
				if line[:len(line)-1] == n {
					this = n
				}
			}
		} else if strings.HasPrefix(line, "Candidate") {
			cand := ""
			if f := strings.Fields(line); len(f) >= 2 {
				cand = f[len(f)-1]
				if strings.ToLower(cand) == "(none)" {
					cand = ""
				}
			}
			candidates[this] = cand
		}
	}
	ret := map[string]string{}
	for _, n := range names {
		installed := inst.Vers[n]
		cand := candidates[n]
		switch {
		case len(installed) == 0 || showInstalled:
			ret[n] = cand
		case cand != "":
			newer := true
			for _, v := range installed {
				if VersionCmp(v, cand) >= 0 {
					newer = false
				}
			}
			if newer {
				ret[n] = cand
			} else {
				ret[n] = ""
			}
		default:
			ret[n] = ""
		}
	}
	return ret, nil
}

func latestVersionFn(ctx context.Context, c *host.Call) (any, error) {
	kw := c.Kwargs()
	if _, ok := kw.Get("repo"); ok {
		return nil, host.Invalidf("The 'repo' argument is invalid, use 'fromrepo' instead")
	}
	names := strArgs(c)
	if len(names) == 0 {
		return "", nil
	}
	refresh := true
	if v, ok := kw.Get("refresh"); ok {
		refresh = data.Truthy(v)
	}
	show, _ := kw.Get("show_installed")
	lv, err := LatestVersion(ctx, c.Env, names, refresh, data.Truthy(show))
	if err != nil {
		return nil, err
	}
	if len(names) == 1 {
		return lv[names[0]], nil
	}
	m := data.NewMap()
	for _, n := range names {
		m.Set(n, lv[n])
	}
	return m, nil
}

func upgradeAvailable(ctx context.Context, c *host.Call) (any, error) {
	lv, err := LatestVersion(ctx, c.Env, []string{c.Str("name")}, true, false)
	if err != nil {
		return nil, err
	}
	return lv[c.Str("name")] != "", nil
}

// VersionCmp compares two Debian versions with dpkg's rules (-1, 0, 1).
func VersionCmp(a, b string) int {
	ea, ua, ra := splitVer(a)
	eb, ub, rb := splitVer(b)
	if ea != eb {
		if ea < eb {
			return -1
		}
		return 1
	}
	if c := verrevcmp(ua, ub); c != 0 {
		return sign(c)
	}
	return sign(verrevcmp(ra, rb))
}

// SplitComparison splits a version spec into its operator ("==" for none
// or "=") and version, as salt.utils.pkg.split_comparison.
func SplitComparison(s string) (string, string) {
	s = strings.TrimSpace(s)
	for _, op := range []string{"<=", ">=", "==", "!=", "<", ">", "="} {
		if strings.HasPrefix(s, op) {
			rest := strings.TrimSpace(s[len(op):])
			if op == "=" {
				op = "=="
			}
			return op, rest
		}
	}
	return "==", s
}

// Compare reports whether have <oper> want holds with dpkg's ordering.
func Compare(have, oper, want string) bool {
	c := VersionCmp(have, want)
	switch oper {
	case "==":
		return c == 0
	case "!=":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	case ">=":
		return c >= 0
	}
	return false
}

// ListRepoPkgs is list_repo_pkgs for names: the versions apt-cache show
// lists for each.
func ListRepoPkgs(ctx context.Context, env *host.Env, names []string) (map[string][]string, error) {
	r, err := run(ctx, env, append([]string{"apt-cache", "show"}, names...))
	if err != nil {
		return nil, err
	}
	ret := map[string][]string{}
	cur := ""
	for _, line := range strings.Split(r.Stdout, "\n") {
		if v, ok := strings.CutPrefix(line, "Package: "); ok {
			cur = strings.TrimSpace(v)
			continue
		}
		if v, ok := strings.CutPrefix(line, "Version: "); ok && cur != "" {
			ret[cur] = append(ret[cur], strings.TrimSpace(v))
		}
	}
	return ret, nil
}

func listRepoPkgsFn(ctx context.Context, c *host.Call) (any, error) {
	names := strArgs(c)
	rp, err := ListRepoPkgs(ctx, c.Env, names)
	if err != nil {
		return nil, err
	}
	m := data.NewMap()
	keys := make([]string, 0, len(rp))
	for k := range rp {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		m.Set(k, data.List(rp[k]))
	}
	return m, nil
}

func versionCmpFn(_ context.Context, c *host.Call) (any, error) {
	a, b := c.Str("pkg1"), c.Str("pkg2")
	if c.Bool("ignore_epoch") {
		strip := func(v string) string {
			if i := strings.IndexByte(v, ':'); i >= 0 {
				return v[i+1:]
			}
			return v
		}
		a, b = strip(a), strip(b)
	}
	return int64(VersionCmp(a, b)), nil
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

func splitVer(v string) (int, string, string) {
	epoch := 0
	if i := strings.IndexByte(v, ':'); i >= 0 {
		fmt.Sscanf(v[:i], "%d", &epoch)
		v = v[i+1:]
	}
	rev := ""
	if i := strings.LastIndexByte(v, '-'); i >= 0 {
		v, rev = v[:i], v[i+1:]
	}
	return epoch, v, rev
}

func order(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return 0
	case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
		return int(c)
	case c == '~':
		return -1
	case c != 0:
		return int(c) + 256
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// verrevcmp is dpkg's comparison of an upstream version or revision.
func verrevcmp(a, b string) int {
	at := func(s string, i int) byte {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		firstDiff := 0
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ac, bc := order(at(a, i)), order(at(b, j))
			if ac != bc {
				return ac - bc
			}
			i++
			j++
		}
		for at(a, i) == '0' {
			i++
		}
		for at(b, j) == '0' {
			j++
		}
		for isDigit(at(a, i)) && isDigit(at(b, j)) {
			if firstDiff == 0 {
				firstDiff = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if isDigit(at(a, i)) {
			return 1
		}
		if isDigit(at(b, j)) {
			return -1
		}
		if firstDiff != 0 {
			return firstDiff
		}
	}
	return 0
}

// Target is one package of an install: a name and an optional version.
type Target struct {
	Name    string
	Version string
}

// ParseTargets is pkg_resource.parse_targets for repository packages: name
// or pkgs (a list of names and one-entry {name: version} dicts).
func ParseTargets(name any, pkgs any, version string) ([]Target, error) {
	if pkgs != nil {
		l, ok := pkgs.([]any)
		if !ok {
			return nil, host.Errorf("Invalidly formatted 'pkgs' parameter. See minion log.")
		}
		var out []Target
		for _, e := range l {
			switch v := e.(type) {
			case *data.Map:
				if v.Len() != 1 {
					return nil, host.Errorf("Invalidly formatted 'pkgs' parameter. See minion log.")
				}
				k := v.Keys()[0]
				val, _ := v.Get(k)
				t := Target{Name: data.Str(k)}
				if val != nil {
					t.Version = data.Str(val)
				}
				out = append(out, t)
			case string:
				out = append(out, Target{Name: v})
			default:
				return nil, host.Errorf("Invalidly formatted 'pkgs' parameter. See minion log.")
			}
		}
		return out, nil
	}
	if name == nil || data.Str(name) == "" {
		return nil, nil
	}
	var out []Target
	names := strings.Split(data.Str(name), ",")
	for _, n := range names {
		t := Target{Name: n}
		if len(names) == 1 {
			t.Version = version
		}
		out = append(out, t)
	}
	return out, nil
}

// InfoError is a CommandExecutionError with Salt's info dict (errors and
// changes), as aptpkg raises from install/remove.
type InfoError struct {
	Msg     string
	Errors  []string
	Result  *data.Map // the failed command's run_all dict (upgrade), instead of Errors
	Changes *data.Map
}

func (e *InfoError) info(withChanges bool) string {
	info := data.NewMap()
	if e.Result != nil {
		info.Set("result", e.Result)
	} else {
		info.Set("errors", data.List(e.Errors))
	}
	if withChanges {
		info.Set("changes", e.Changes)
	}
	msg := e.Msg
	if msg != "" && !strings.ContainsAny(msg[len(msg)-1:], ".?!") {
		msg += "."
	}
	return msg + " Additional info follows:\n\n" + strings.TrimRight(output.Nested(info, output.Options{}), "\n")
}

func (e *InfoError) Error() string { return e.info(true) }

// WithoutChanges is strerror_without_changes: the text a state shows.
func (e *InfoError) WithoutChanges() string { return e.info(false) }

// Unwrap makes the error a host.CommandExecutionError for the run path.
func (e *InfoError) Unwrap() error { return &host.CommandExecutionError{Msg: e.Error()} }

// compareDicts is salt.utils.data.compare_dicts over list_pkgs results.
func compareDicts(old, new *Pkgs) *data.Map {
	ch := data.NewMap()
	seen := map[string]bool{}
	for _, p := range []*Pkgs{old, new} {
		for _, n := range p.Names {
			if seen[n] {
				continue
			}
			seen[n] = true
			_, inOld := old.Vers[n]
			_, inNew := new.Vers[n]
			switch o, nw := old.Get(n), new.Get(n); {
			case !inOld:
				ch.Set(n, data.M("old", "", "new", nw))
			case !inNew:
				ch.Set(n, data.M("new", "", "old", o))
			case o != nw:
				ch.Set(n, data.M("old", o, "new", nw))
			}
		}
	}
	sorted := data.NewMap()
	keys := make([]string, 0, ch.Len())
	for _, k := range ch.Keys() {
		keys = append(keys, k.(string))
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, _ := ch.Get(k)
		sorted.Set(k, v)
	}
	return sorted
}

// Install is pkg.install for repository targets.
func Install(ctx context.Context, env *host.Env, targets []Target, refresh bool, kw *data.Map) (*data.Map, error) {
	if len(targets) == 0 {
		return data.NewMap(), nil
	}
	old, err := ListPkgs(ctx, env, false, false)
	if err != nil {
		return nil, err
	}
	prefix := []string{"apt-get", "-q", "-y"}
	get := func(k string) any { v, _ := kw.Get(k); return v }
	if data.Truthy(get("force_yes")) {
		prefix = append(prefix, "--force-yes")
	}
	if data.Truthy(get("force_conf_new")) {
		prefix = append(prefix, "-o", "DPkg::Options::=--force-confnew")
	} else {
		prefix = append(prefix, "-o", "DPkg::Options::=--force-confold", "-o", "DPkg::Options::=--force-confdef")
	}
	if v, ok := kw.Get("install_recommends"); ok {
		if data.Truthy(v) {
			prefix = append(prefix, "--install-recommends")
		} else {
			prefix = append(prefix, "--no-install-recommends")
		}
	}
	if data.Truthy(get("only_upgrade")) {
		prefix = append(prefix, "--only-upgrade")
	}
	if data.Truthy(get("skip_verify")) {
		prefix = append(prefix, "--allow-unauthenticated")
	}
	if fr := get("fromrepo"); fr != nil {
		prefix = append(prefix, "-t", data.Str(fr))
	}
	prefix = append(prefix, "install")
	var up, down, all, errs []string
	var comparisons []string
	for _, t := range targets {
		if strings.HasPrefix(t.Version, "<") || strings.HasPrefix(t.Version, ">") {
			comparisons = append(comparisons, t.Name)
		}
	}
	available := map[string][]string{}
	if len(comparisons) > 0 {
		if available, err = ListRepoPkgs(ctx, env, comparisons); err != nil {
			return nil, err
		}
	}
	for _, t := range targets {
		if strings.HasPrefix(t.Version, "<") || strings.HasPrefix(t.Version, ">") {
			oper, want := SplitComparison(t.Version)
			match := ""
			for _, cand := range available[t.Name] {
				if Compare(cand, oper, want) {
					match = cand
					break
				}
			}
			if match == "" {
				avail := "None"
				if l := available[t.Name]; len(l) > 0 {
					avail = strings.Join(l, ", ")
				}
				errs = append(errs, fmt.Sprintf("No version matching '%s%s' could be found (available: %s)", t.Name, t.Version, avail))
				continue
			}
			t.Version = match
		}
		if t.Version == "" {
			up = append(up, t.Name)
			all = append(all, t.Name)
			continue
		}
		v := strings.TrimLeft(t.Version, "=")
		s := t.Name + "=" + v
		all = append(all, t.Name)
		if cur := old.Vers[t.Name]; len(cur) == 0 || VersionCmp(v, cur[len(cur)-1]) >= 0 {
			up = append(up, s)
		} else {
			down = append(down, s)
		}
	}
	var cmds [][]string
	if len(up) > 0 {
		cmds = append(cmds, append(append([]string{}, prefix...), up...))
	}
	if len(down) > 0 {
		c := append([]string{}, prefix[:len(prefix)-1]...)
		c = append(c, "--force-yes", "install")
		cmds = append(cmds, append(c, down...))
	}
	if refresh {
		if _, err := RefreshDB(ctx, env, false); err != nil {
			return nil, err
		}
	}
	held, err := selections(ctx, env, "")
	if err != nil {
		return nil, err
	}
	var toUnhold []string
	for _, n := range all {
		if held[n] == "hold" {
			toUnhold = append(toUnhold, n)
		}
	}
	if len(toUnhold) > 0 {
		if err := setSelections(ctx, env, toUnhold, "install"); err != nil {
			return nil, err
		}
	}
	for _, c := range cmds {
		r, err := runScoped(ctx, env, c)
		if err != nil {
			return nil, err
		}
		if r.Retcode != 0 && r.Stderr != "" {
			errs = append(errs, r.Stderr)
		}
	}
	nw, err := ListPkgs(ctx, env, false, false)
	if err != nil {
		return nil, err
	}
	ret := compareDicts(old, nw)
	if len(toUnhold) > 0 {
		if err := setSelections(ctx, env, toUnhold, "hold"); err != nil {
			return nil, err
		}
	}
	if len(errs) > 0 {
		return nil, &InfoError{Msg: "Problem encountered installing package(s)", Errors: errs, Changes: ret}
	}
	return ret, nil
}

func installFn(ctx context.Context, c *host.Call) (any, error) {
	ver := ""
	if v, ok := c.Kwargs().Get("version"); ok && v != nil {
		ver = data.Str(v)
	}
	if c.Get("sources") != nil {
		return nil, host.Errorf("pkg.install: sources (local .deb files) are not supported by saltgo")
	}
	targets, err := ParseTargets(c.Get("name"), c.Get("pkgs"), ver)
	if err != nil {
		return nil, err
	}
	kw := c.Kwargs()
	for _, k := range []string{"fromrepo", "skip_verify"} {
		if c.Get(k) != nil {
			kw.Set(k, c.Get(k))
		}
	}
	// like aptpkg, hold= is not install's business (pkg.installed holds)
	return Install(ctx, c.Env, targets, c.Bool("refresh"), kw)
}

// Uninstall is pkg.remove (action "remove") and pkg.purge ("purge").
func Uninstall(ctx context.Context, env *host.Env, action string, names []string) (*data.Map, error) {
	old, err := ListPkgs(ctx, env, false, false)
	if err != nil {
		return nil, err
	}
	oldRemoved, err := ListPkgs(ctx, env, true, false)
	if err != nil {
		return nil, err
	}
	var targets []string
	for _, n := range names {
		if _, ok := old.Vers[n]; ok {
			targets = append(targets, n)
		}
	}
	if action == "purge" {
		for _, n := range names {
			if _, ok := oldRemoved.Vers[n]; ok {
				targets = append(targets, n)
			}
		}
	}
	if len(targets) == 0 {
		return data.NewMap(), nil
	}
	r, err := runScoped(ctx, env, append([]string{"apt-get", "-q", "-y", action}, targets...))
	if err != nil {
		return nil, err
	}
	nw, err := ListPkgs(ctx, env, false, false)
	if err != nil {
		return nil, err
	}
	ret := compareDicts(old, nw)
	if action == "purge" {
		nwRemoved, err := ListPkgs(ctx, env, true, false)
		if err != nil {
			return nil, err
		}
		ret = data.M("removed", compareDicts(oldRemoved, nwRemoved), "installed", ret)
	}
	if r.Retcode != 0 && r.Stderr != "" {
		return nil, &InfoError{Msg: "Problem encountered removing package(s)", Errors: []string{r.Stderr}, Changes: ret}
	}
	return ret, nil
}

func uninstallFn(action string) func(context.Context, *host.Call) (any, error) {
	return func(ctx context.Context, c *host.Call) (any, error) {
		targets, err := ParseTargets(c.Get("name"), c.Get("pkgs"), "")
		if err != nil {
			return nil, err
		}
		names := make([]string, len(targets))
		for i, t := range targets {
			names[i] = t.Name
		}
		return Uninstall(ctx, c.Env, action, names)
	}
}

// selections is dpkg --get-selections: package to selection state.
func selections(ctx context.Context, env *host.Env, pattern string) (map[string]string, error) {
	if pattern == "" {
		pattern = "*"
	}
	r, err := run(ctx, env, []string{"dpkg", "--get-selections", pattern})
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, line := range strings.Split(r.Stdout, "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			out[f[0]] = f[1]
		}
	}
	return out, nil
}

// Held is pkg.get_selections(state="hold")["hold"]: the held packages,
// sorted as dpkg lists them.
func Held(ctx context.Context, env *host.Env) ([]string, error) {
	sel, err := selections(ctx, env, "")
	if err != nil {
		return nil, err
	}
	var out []string
	for n, st := range sel {
		if st == "hold" {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out, nil
}

// setSelections is dpkg --set-selections with the given state.
func setSelections(ctx context.Context, env *host.Env, names []string, state string) error {
	f, _, err := host.Lookup(host.Exec, "cmd.run_all")
	if err != nil {
		return fmt.Errorf("pkg: %w", err)
	}
	var in strings.Builder
	for _, n := range names {
		fmt.Fprintf(&in, "%s %s\n", n, state)
	}
	call, err := host.Bind(f, nil, data.M("cmd", "dpkg --set-selections", "python_shell", false, "stdin", in.String(), "output_loglevel", "quiet"))
	if err != nil {
		return fmt.Errorf("pkg: %w", err)
	}
	call.Env, call.Fun = env, "cmd.run_all"
	r, err := cmdmod.Run(ctx, call, "dpkg", []string{"--set-selections"}, false, false)
	if err != nil {
		return err
	}
	if r.Retcode != 0 {
		return host.Errorf("%s", r.Stderr)
	}
	return nil
}

// Hold is pkg.hold (hold true) and pkg.unhold: one state-like result per
// package, as aptpkg returns.
func Hold(ctx context.Context, env *host.Env, names []string, hold, test bool) (*data.Map, error) {
	ret := data.NewMap()
	for _, n := range names {
		r := data.M("name", n, "changes", data.NewMap(), "result", false, "comment", "")
		ret.Set(n, r)
		sel, err := selections(ctx, env, n)
		if err != nil {
			return nil, err
		}
		cur, ok := sel[n]
		switch {
		case !hold && !ok:
			r.Set("comment", fmt.Sprintf("Package %s does not have a state.", n))
		case hold && cur == "hold":
			r.Set("result", true)
			r.Set("comment", fmt.Sprintf("Package %s is already set to be held.", n))
		case !hold && cur != "hold":
			r.Set("result", true)
			r.Set("comment", fmt.Sprintf("Package %s is already set not to be held.", n))
		case test:
			r.Set("result", nil)
			if hold {
				r.Set("comment", fmt.Sprintf("Package %s is set to be held.", n))
			} else {
				r.Set("comment", fmt.Sprintf("Package %s is set not to be held.", n))
			}
		default:
			want := "install"
			if hold {
				want = "hold"
			}
			if err := setSelections(ctx, env, []string{n}, want); err != nil {
				return nil, err
			}
			var was any
			if ok {
				was = cur
			}
			r.Set("changes", data.M("old", was, "new", want))
			r.Set("result", true)
			if hold {
				r.Set("comment", fmt.Sprintf("Package %s is now being held.", n))
			} else {
				r.Set("comment", fmt.Sprintf("Package %s is no longer being held.", n))
			}
		}
	}
	return ret, nil
}

func holdFn(hold bool) func(context.Context, *host.Call) (any, error) {
	return func(ctx context.Context, c *host.Call) (any, error) {
		if c.Get("name") == nil && c.Get("pkgs") == nil && c.Get("sources") == nil {
			return nil, host.Invalidf("One of name, pkgs, or sources must be specified.")
		}
		if c.Get("pkgs") != nil && c.Get("sources") != nil {
			return nil, host.Invalidf("Only one of pkgs or sources can be specified.")
		}
		var names []string
		src := c.Get("pkgs")
		if src == nil {
			src = c.Get("sources")
		}
		if l, ok := src.([]any); ok {
			for _, e := range l {
				if m, ok := e.(*data.Map); ok && m.Len() > 0 {
					names = append(names, data.Str(m.Keys()[0]))
				} else {
					names = append(names, data.Str(e))
				}
			}
		} else {
			names = []string{c.Str("name")}
		}
		// Salt reads __opts__["test"]; a test= keyword counts too
		test := false
		if v, ok := c.Env.Opt("test"); ok {
			test = data.Truthy(v)
		}
		if v, ok := c.Kwargs().Get("test"); ok {
			test = data.Truthy(v)
		}
		return Hold(ctx, c.Env, names, hold, test)
	}
}

// ListUpgrades is list_upgrades: apt-get --just-print (dist-)upgrade, the
// packages that would be upgraded and their new versions.
func ListUpgrades(ctx context.Context, env *host.Env, refresh, distUpgrade bool) (*data.Map, error) {
	if refresh {
		if _, err := RefreshDB(ctx, env, false); err != nil {
			return nil, err
		}
	}
	cmd := []string{"apt-get", "--just-print", "upgrade"}
	if distUpgrade {
		cmd[2] = "dist-upgrade"
	}
	r, err := runScoped(ctx, env, cmd)
	if err != nil {
		return nil, err
	}
	if r.Retcode != 0 {
		msg := "Failed to get upgrades"
		if r.Stderr != "" {
			msg += ": " + r.Stderr
		} else if r.Stdout != "" {
			msg += ": " + r.Stdout
		}
		return nil, host.Errorf("%s", msg)
	}
	ret := data.NewMap()
	for _, m := range confRE.FindAllStringSubmatch(r.Stdout, -1) {
		ret.Set(m[1], m[2])
	}
	return ret, nil
}

var confRE = regexp.MustCompile(`(?m)^Conf ([^ ]+) \(([^ ]+)`)

func listUpgradesFn(ctx context.Context, c *host.Call) (any, error) {
	return ListUpgrades(ctx, c.Env, c.Bool("refresh"), c.Bool("dist_upgrade"))
}

// Upgrade is pkg.upgrade: apt-get upgrade (or dist-upgrade), the changes.
func Upgrade(ctx context.Context, env *host.Env, refresh, distUpgrade bool, kw *data.Map) (*data.Map, error) {
	if refresh {
		if _, err := RefreshDB(ctx, env, false); err != nil {
			return nil, err
		}
	}
	old, err := ListPkgs(ctx, env, false, false)
	if err != nil {
		return nil, err
	}
	get := func(k string) bool { v, _ := kw.Get(k); return data.Truthy(v) }
	cmd := []string{"apt-get", "-q", "-y"}
	if get("force_conf_new") {
		cmd = append(cmd, "-o", "DPkg::Options::=--force-confnew")
	} else {
		cmd = append(cmd, "-o", "DPkg::Options::=--force-confold", "-o", "DPkg::Options::=--force-confdef")
	}
	if get("force_yes") {
		cmd = append(cmd, "--force-yes")
	}
	if get("skip_verify") {
		cmd = append(cmd, "--allow-unauthenticated")
	}
	if get("download_only") || get("downloadonly") {
		cmd = append(cmd, "--download-only")
	}
	if get("allow_downgrades") {
		cmd = append(cmd, "--allow-downgrades")
	}
	if distUpgrade {
		cmd = append(cmd, "dist-upgrade")
	} else {
		cmd = append(cmd, "upgrade")
	}
	r, err := runScoped(ctx, env, cmd)
	if err != nil {
		return nil, err
	}
	nw, err := ListPkgs(ctx, env, false, false)
	if err != nil {
		return nil, err
	}
	ret := compareDicts(old, nw)
	if r.Retcode != 0 {
		return nil, &InfoError{Msg: "Problem encountered upgrading packages", Result: r.Map(), Changes: ret}
	}
	return ret, nil
}

func upgradeFn(ctx context.Context, c *host.Call) (any, error) {
	return Upgrade(ctx, c.Env, c.Bool("refresh"), c.Bool("dist_upgrade"), c.Kwargs())
}

// Rtag is Salt's refresh tag file (<cachedir>/pkg_refresh): while it
// exists, pkg states with refresh unset refresh the package database;
// refresh_db removes it. "" when the minion has no cachedir.
func Rtag(env *host.Env) string {
	if env == nil || env.Opts == nil {
		return ""
	}
	v, ok := env.Opts.Get("cachedir")
	if !ok || v == nil || data.Str(v) == "" {
		return ""
	}
	return filepath.Join(data.Str(v), "pkg_refresh")
}

// WriteRtag creates the refresh tag (salt.utils.pkg.write_rtag).
func WriteRtag(env *host.Env) {
	p := Rtag(env)
	if p == "" {
		return
	}
	if _, err := os.Stat(p); err == nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
		err = os.WriteFile(p, nil, 0o644)
		if err == nil {
			return
		}
	}
	env.Logger().Warn("Encountered error writing rtag", slog.String("path", p))
}

// ClearRtag removes the refresh tag (salt.utils.pkg.clear_rtag).
func ClearRtag(env *host.Env) {
	p := Rtag(env)
	if p == "" {
		return
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		env.Logger().Warn(fmt.Sprintf("Encountered error removing rtag: %v", err))
	}
}

// CheckRefresh is salt.utils.pkg.check_refresh: refresh when asked to, or
// when it is not refused and the refresh tag exists.
func CheckRefresh(env *host.Env, refresh any) bool {
	if data.IsTrue(refresh) {
		return true
	}
	if refresh == false {
		return false
	}
	p := Rtag(env)
	if p == "" {
		return false
	}
	_, err := os.Stat(p)
	return err == nil
}
