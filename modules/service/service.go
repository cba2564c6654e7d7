// Package service is Salt's service execution module with the two
// providers Salt picks between on Debian: systemd (salt/modules/
// systemd_service.py) when the host was booted with systemd
// (salt.utils.systemd.booted: /run/systemd/system exists), else Debian's
// init.d scripts (salt/modules/debian_service.py). Both register as the
// virtual module "service" with Salt's function names and return shapes;
// the provider is chosen on every call, as a fresh Salt loader would.
//
// The state module (states/service) drives the provider through Get.
package service

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	cmdmod "github.com/saltgo/saltgo/modules/cmd"
)

// Opts are the systemd-only arguments (Salt's SYSTEMD_ONLY: no_block,
// unmask, unmask_runtime); the init.d provider ignores them.
type Opts struct {
	// NoBlock is systemctl --no-block; nil is the function's default.
	NoBlock       *bool
	Unmask        bool
	UnmaskRuntime bool
}

// Manager is one service provider: Salt's service.* functions for a
// single service name.
type Manager interface {
	// Provider is "systemd" or "debian".
	Provider() string
	Start(ctx context.Context, name string, o Opts) (bool, error)
	Stop(ctx context.Context, name string, o Opts) (bool, error)
	Restart(ctx context.Context, name string, o Opts) (bool, error)
	Reload(ctx context.Context, name string, o Opts) (bool, error)
	ForceReload(ctx context.Context, name string, o Opts) (bool, error)
	// Status is true when the service runs (sig, when set, is a ps
	// pattern that decides instead, as status.pid).
	Status(ctx context.Context, name, sig string) (bool, error)
	Enable(ctx context.Context, name string, o Opts) (bool, error)
	Disable(ctx context.Context, name string, o Opts) (bool, error)
	Enabled(ctx context.Context, name string) (bool, error)
	Disabled(ctx context.Context, name string) (bool, error)
	Available(ctx context.Context, name string) (bool, error)
	GetAll(ctx context.Context) ([]string, error)
	GetEnabled(ctx context.Context) ([]string, error)
	GetDisabled(ctx context.Context) ([]string, error)
}

// Masker is what only the systemd provider has: masking units (Salt's
// systemd_service mask, unmask and masked).
type Masker interface {
	Masked(ctx context.Context, name string, runtime bool) (bool, error)
	Mask(ctx context.Context, name string, runtime bool) (bool, error)
	Unmask(ctx context.Context, name string, runtime bool) (bool, error)
}

// GetMasker returns the systemd provider where Salt loads
// systemd_service (systemd booted the host, or systemctl is there
// offline); false elsewhere.
func GetMasker(env *host.Env) (Masker, bool) {
	if !Booted() && !Offline() {
		return nil, false
	}
	return &systemd{runner: &runner{env: env}}, true
}

// SystemdDir is where systemd marks a host it booted
// (salt.utils.systemd.booted).
const SystemdDir = "/run/systemd/system"

// Booted is salt.utils.systemd.booted: the host was booted with systemd.
func Booted() bool {
	st, err := os.Stat(SystemdDir)
	return err == nil && st.IsDir()
}

// Offline is salt.utils.systemd.offline: systemctl is installed but
// systemd did not boot the host (a container whose init is not systemd).
// Salt then loads systemd_service beside debian_service: the functions
// both define are debian_service's, and service.offline is true, which
// makes service.running and service.dead do nothing.
func Offline() bool {
	if Booted() {
		return false
	}
	_, err := exec.LookPath("systemctl")
	return err == nil
}

// Get returns the provider Salt would load for this host: systemd when it
// booted the host, else Debian's init.d scripts.
func Get(env *host.Env) Manager {
	r := &runner{env: env}
	if Booted() {
		return &systemd{runner: r}
	}
	return &debian{runner: r}
}

func init() {
	name := []host.Param{host.Req("name")}
	host.Register(&host.Module{Kind: host.Exec, Name: "service", Doc: "Service support: systemd where it booted the host, else Debian's init.d scripts",
		Virtual: func() error {
			if Booted() || Offline() {
				return nil
			}
			if st, err := os.Stat("/etc/init.d"); err == nil && st.IsDir() {
				return nil
			}
			return errors.New("The debian_service module could not be loaded: unsupported OS family and/or systemd running.")
		},
		Funcs: []*host.Func{
			{Name: "start", Params: name, VarKwargs: true, Fn: action(Manager.Start), Doc: "Start the specified service\n\n    CLI Example:\n\n        salt '*' service.start <service name>\n    "},
			{Name: "stop", Params: name, VarKwargs: true, Fn: action(Manager.Stop), Doc: "Stop the specified service\n\n    CLI Example:\n\n        salt '*' service.stop <service name>\n    "},
			{Name: "restart", Params: name, VarKwargs: true, Fn: action(Manager.Restart), Doc: "Restart the named service\n\n    CLI Example:\n\n        salt '*' service.restart <service name>\n    "},
			{Name: "reload", PyName: "reload_", Params: name, VarKwargs: true, Fn: action(Manager.Reload), Doc: "Reload the named service\n\n    CLI Example:\n\n        salt '*' service.reload <service name>\n    "},
			{Name: "force_reload", Params: name, VarKwargs: true, Fn: action(Manager.ForceReload), Doc: "Force-reload the named service\n\n    CLI Example:\n\n        salt '*' service.force_reload <service name>\n    "},
			{Name: "status", Params: []host.Param{host.Req("name"), host.Opt("sig", nil)}, VarKwargs: true, Fn: statusFn, Doc: "Return the status for a service.\n    If the name contains globbing, a dict mapping service name to True/False\n    values is returned.\n\n    CLI Example:\n\n        salt '*' service.status <service name> [service signature]\n    "},
			{Name: "enable", Params: name, VarKwargs: true, Fn: action(Manager.Enable), Doc: "Enable the named service to start at boot\n\n    CLI Example:\n\n        salt '*' service.enable <service name>\n    "},
			{Name: "disable", Params: name, VarKwargs: true, Fn: action(Manager.Disable), Doc: "Disable the named service to start at boot\n\n    CLI Example:\n\n        salt '*' service.disable <service name>\n    "},
			{Name: "enabled", Params: name, VarKwargs: true, Fn: query(Manager.Enabled), Doc: "Return True if the named service is enabled, false otherwise\n\n    CLI Example:\n\n        salt '*' service.enabled <service name>\n    "},
			{Name: "disabled", Params: name, Fn: query(Manager.Disabled), Doc: "Return True if the named service is disabled, false otherwise\n\n    CLI Example:\n\n        salt '*' service.disabled <service name>\n    "},
			{Name: "available", Params: name, Fn: query(Manager.Available), Doc: "Returns ``True`` if the specified service is available, otherwise returns\n    ``False``.\n\n    CLI Example:\n\n        salt '*' service.available sshd\n    "},
			{Name: "missing", Params: name, Fn: query(func(m Manager, ctx context.Context, n string) (bool, error) {
				ok, err := m.Available(ctx, n)
				return !ok, err
			}), Doc: "The inverse of service.available.\n\n    CLI Example:\n\n        salt '*' service.missing sshd\n    "},
			{Name: "offline", Fn: func(context.Context, *host.Call) (any, error) { return Offline(), nil },
				Doc: "Check if systemd is working in offline mode, where is not possible to talk with PID 1.\n\n    CLI Example:\n\n        salt '*' service.offline\n    "},
			{Name: "masked", Params: []host.Param{host.Req("name"), host.Opt("runtime", false)}, Fn: maskFn(Masker.Masked),
				Doc: "Check whether or not a service is masked\n\n    CLI Example:\n\n        salt '*' service.masked foo\n        salt '*' service.masked foo runtime=True\n    "},
			{Name: "mask", Params: []host.Param{host.Req("name"), host.Opt("runtime", false)}, Fn: maskFn(Masker.Mask),
				Doc: "Mask the specified service with systemd\n\n    CLI Example:\n\n        salt '*' service.mask foo\n        salt '*' service.mask foo runtime=True\n    "},
			{Name: "unmask", PyName: "unmask_", Params: []host.Param{host.Req("name"), host.Opt("runtime", false)}, Fn: maskFn(Masker.Unmask),
				Doc: "Unmask the specified service with systemd\n\n    CLI Example:\n\n        salt '*' service.unmask foo\n        salt '*' service.unmask foo runtime=True\n    "},
			{Name: "get_all", Fn: list(Manager.GetAll), Doc: "Return all available boot services\n\n    CLI Example:\n\n        salt '*' service.get_all\n    "},
			{Name: "get_enabled", Fn: list(Manager.GetEnabled), Doc: "Return a list of service that are enabled on boot\n\n    CLI Example:\n\n        salt '*' service.get_enabled\n    "},
			{Name: "get_disabled", Fn: list(Manager.GetDisabled), Doc: "Return a set of services that are installed but disabled\n\n    CLI Example:\n\n        salt '*' service.get_disabled\n    "},
		}})
}

// OptsOf reads the systemd-only arguments from a call's keyword arguments.
func OptsOf(kw *data.Map) Opts {
	var o Opts
	if kw == nil {
		return o
	}
	if v, ok := kw.Get("no_block"); ok && v != nil {
		b := data.IsTrue(v)
		o.NoBlock = &b
	}
	if v, ok := kw.Get("unmask"); ok {
		o.Unmask = data.IsTrue(v)
	}
	if v, ok := kw.Get("unmask_runtime"); ok {
		o.UnmaskRuntime = data.IsTrue(v)
	}
	return o
}

func action(f func(Manager, context.Context, string, Opts) (bool, error)) func(context.Context, *host.Call) (any, error) {
	return func(ctx context.Context, c *host.Call) (any, error) {
		return f(Get(c.Env), ctx, c.Str("name"), OptsOf(c.Kwargs()))
	}
}

func query(f func(Manager, context.Context, string) (bool, error)) func(context.Context, *host.Call) (any, error) {
	return func(ctx context.Context, c *host.Call) (any, error) {
		return f(Get(c.Env), ctx, c.Str("name"))
	}
}

func list(f func(Manager, context.Context) ([]string, error)) func(context.Context, *host.Call) (any, error) {
	return func(ctx context.Context, c *host.Call) (any, error) {
		l, err := f(Get(c.Env), ctx)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(l))
		for i, s := range l {
			out[i] = s
		}
		return out, nil
	}
}

func maskFn(f func(Masker, context.Context, string, bool) (bool, error)) func(context.Context, *host.Call) (any, error) {
	return func(ctx context.Context, c *host.Call) (any, error) {
		m, ok := GetMasker(c.Env)
		if !ok {
			return nil, host.Errorf("%s", host.MissingFunString(c.Fun))
		}
		return f(m, ctx, c.Str("name"), data.IsTrue(c.Get("runtime")))
	}
}

var globRe = regexp.MustCompile(`\*|\?|\[.+\]`)

// statusFn is service.status: a bool for one name, a dict of name to bool
// when the name is a glob over get_all.
func statusFn(ctx context.Context, c *host.Call) (any, error) {
	m := Get(c.Env)
	name, sig := c.Str("name"), ""
	if v := c.Get("sig"); v != nil {
		sig = data.Str(v)
	}
	if sig != "" || !globRe.MatchString(name) {
		return m.Status(ctx, name, sig)
	}
	all, err := m.GetAll(ctx)
	if err != nil {
		return nil, err
	}
	ret := data.NewMap()
	for _, s := range all {
		if ok, _ := filepath.Match(name, s); !ok {
			continue
		}
		st, err := m.Status(ctx, s, "")
		if err != nil {
			return nil, err
		}
		ret.Set(s, st)
	}
	return ret, nil
}

// runner runs commands the way Salt's cmd.run_all does (modules/cmd),
// logging through the env.
type runner struct{ env *host.Env }

// run runs argv (or, with shell, argv[0] as a /bin/sh command line).
// ignoreRetcode keeps a failing exit status out of the error log;
// redirectStderr merges stderr into stdout.
func (r *runner) run(ctx context.Context, argv []string, shell, ignoreRetcode, redirectStderr bool) (cmdmod.Result, error) {
	f, _, err := host.Lookup(host.Exec, "cmd.run_all")
	if err != nil {
		return cmdmod.Result{}, fmt.Errorf("service: %w", err)
	}
	call, err := host.Bind(f, nil, data.M("cmd", strings.Join(argv, " "), "python_shell", shell, "ignore_retcode", ignoreRetcode))
	if err != nil {
		return cmdmod.Result{}, fmt.Errorf("service: %w", err)
	}
	env := r.env
	if env == nil {
		env = &host.Env{Opts: data.NewMap()}
	}
	call.Env, call.Fun = env, "cmd.run_all"
	if shell {
		return cmdmod.Run(ctx, call, argv[0], nil, redirectStderr, true)
	}
	return cmdmod.Run(ctx, call, argv[0], argv[1:], redirectStderr, false)
}

// retcode is cmd.retcode of argv; a command that cannot run at all is
// Salt's CommandExecutionError.
func (r *runner) retcode(ctx context.Context, argv []string, shell, ignoreRetcode bool) (int, error) {
	res, err := r.run(ctx, argv, shell, ignoreRetcode, false)
	if err != nil {
		return 0, err
	}
	return res.Retcode, nil
}

// output is cmd.run of argv: stdout and stderr together, trailing
// whitespace trimmed.
func (r *runner) output(ctx context.Context, argv []string) string {
	res, err := r.run(ctx, argv, false, true, true)
	if err != nil {
		return ""
	}
	return strings.TrimRight(res.Stdout, " \t\r\n")
}

// cmdRun is cmd.run of argv as a Salt module calls it without
// ignore_retcode: like output, but a failing exit status is logged and
// becomes the job's retcode (__context__['retcode']).
func (r *runner) cmdRun(ctx context.Context, argv []string) string {
	res, err := r.run(ctx, argv, false, false, true)
	if err != nil {
		return ""
	}
	return strings.TrimRight(res.Stdout, " \t\r\n")
}

// pidsBySig is status.pid: the pids of the ps -efHww lines sig (a
// regular expression) matches.
func (r *runner) pidsBySig(ctx context.Context, sig string) ([]string, error) {
	re, err := regexp.Compile(sig)
	if err != nil {
		return nil, host.Errorf("Invalid signature %q: %v", sig, err)
	}
	if _, err := exec.LookPath("ps"); err != nil {
		return nil, host.Errorf("ps is not available: %v", err)
	}
	out := r.output(ctx, []string{"ps", "-efHww"})
	var pids []string
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "status.pid") {
			continue
		}
		if re.MatchString(line) {
			if f := strings.Fields(line); len(f) > 1 {
				pids = append(pids, f[1])
			}
		}
	}
	return pids, nil
}

func sortedSet(s map[string]bool) []string {
	out := make([]string, 0, len(s))
	for k := range s {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// shQuote is Python's shlex.quote.
func shQuote(s string) string {
	if s == "" {
		return "''"
	}
	if regexp.MustCompile(`^[\w@%+=:,./-]+$`).MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}
