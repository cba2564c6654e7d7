// Package service is Salt's service state module (salt/states/service.py):
// running, dead, enabled, disabled and mod_watch (restart, reload,
// force-reload or start on a watch), through the provider Salt would load
// (modules/service: systemd where it booted the host, else init.d).
package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	svc "github.com/saltgo/saltgo/modules/service"
	"github.com/saltgo/saltgo/state"
)

func init() {
	common := func(extra ...host.Param) []host.Param {
		return append([]host.Param{host.Req("name"), host.Opt("enable", nil), host.Opt("sig", nil), host.Opt("init_delay", nil)}, extra...)
	}
	host.Register(&host.Module{Kind: host.State, Name: "service", Doc: "Starting or restarting of services and daemons",
		Virtual: func() error {
			if _, _, err := host.Lookup(host.Exec, "service.start"); err != nil {
				return errors.New("No service execution module loaded: check support for service management on this host")
			}
			return nil
		},
		Funcs: []*host.Func{
			{Name: "running", Params: common(), VarKwargs: true, Fn: running, Doc: "Ensure that the service is running"},
			{Name: "dead", Params: common(), VarKwargs: true, Fn: dead, Doc: "Ensure that the named service is dead by stopping the service if it is running"},
			{Name: "enabled", Params: []host.Param{host.Req("name")}, VarKwargs: true, Fn: enabled, Doc: "Ensure that the service is enabled on boot"},
			{Name: "disabled", Params: []host.Param{host.Req("name")}, VarKwargs: true, Fn: disabled, Doc: "Ensure that the service is disabled on boot"},
			{Name: "masked", Params: []host.Param{host.Req("name"), host.Opt("runtime", false)}, Fn: maskedFn, Doc: "Ensures that the named service is masked (i.e. prevented from being started)."},
			{Name: "unmasked", Params: []host.Param{host.Req("name"), host.Opt("runtime", false)}, Fn: unmaskedFn, Doc: "Ensures that the named service is unmasked"},
			{Name: "mod_watch", Params: []host.Param{host.Req("name"), host.Opt("sfun", nil), host.Opt("sig", nil), host.Opt("reload", false),
				host.Opt("full_restart", false), host.Opt("init_delay", nil), host.Opt("force", false)}, VarKwargs: true, Fn: modWatch,
				Doc: "The service watcher, called to invoke the watch command."},
		}})
}

// tri is Python's True / None / False for "started".
type tri int

const (
	triNone tri = iota
	triTrue
	triFalse
)

func triOf(b bool) tri {
	if b {
		return triTrue
	}
	return triFalse
}

func newRet(name string) *data.Map {
	return data.M("name", name, "changes", data.NewMap(), "result", true, "comment", "")
}

// update is Python's dict.update.
func update(ret, part *data.Map) {
	part.Range(func(k, v any) bool {
		ret.Set(k, v)
		return true
	})
}

// errText is a CommandExecutionError's strerror (any error's text).
func errText(err error) string {
	var ce *host.CommandExecutionError
	if errors.As(err, &ce) {
		return ce.Msg
	}
	return err.Error()
}

// opts are the systemd-only arguments passed on where systemd manages
// services (_get_systemd_only; the init.d functions take none of them).
func opts(m svc.Manager, c *host.Call) svc.Opts {
	if m.Provider() != "systemd" {
		return svc.Opts{}
	}
	return svc.OptsOf(c.Kwargs())
}

// enableArg is the enable argument: None, or a bool (strings through
// is_true).
func enableArg(c *host.Call) tri {
	v := c.Get("enable")
	switch x := v.(type) {
	case nil:
		return triNone
	case string:
		return triOf(data.IsTrue(x))
	case bool:
		return triOf(x)
	}
	// Salt compares with "is True": only a real bool counts.
	return triNone
}

func sig(c *host.Call) string {
	if v := c.Get("sig"); v != nil {
		return data.Str(v)
	}
	return ""
}

// sleep is time.sleep(init_delay), cut short by ctx.
func sleep(ctx context.Context, v any) (float64, bool) {
	secs, ok := 0.0, false
	switch x := v.(type) {
	case float64:
		secs, ok = x, true
	default:
		if n, isInt := data.AsInt(v); isInt {
			secs, ok = float64(n), true
		}
	}
	if !ok || secs <= 0 {
		return 0, false
	}
	t := time.NewTimer(time.Duration(secs * float64(time.Second)))
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
	return secs, true
}

// available is _available: false with Salt's comment in part.
func available(ctx context.Context, m svc.Manager, name string, part *data.Map) (bool, error) {
	ok, err := m.Available(ctx, name)
	if err != nil {
		return false, err
	}
	if !ok {
		part.Set("result", false)
		part.Set("comment", fmt.Sprintf("The named service %s is not available", name))
	}
	return ok, nil
}

func pick(started tri, yes, none, no string) string {
	switch started {
	case triTrue:
		return yes
	case triNone:
		return none
	}
	return no
}

// enable is _enable: set the service to start at boot.
func enable(ctx context.Context, c *host.Call, m svc.Manager, name string, started tri, result any) (*data.Map, error) {
	ret := data.NewMap()
	ok, err := available(ctx, m, name, ret)
	if err != nil {
		return data.M("result", false, "comment", errText(err)), nil
	}
	if !ok {
		return ret, nil
	}
	ret.Set("result", result)
	before, err := m.Enabled(ctx, name)
	if err != nil {
		return nil, err
	}
	if before {
		if started == triNone {
			ret.Set("changes", data.NewMap())
		}
		ret.Set("comment", pick(started,
			fmt.Sprintf("Service %s is already enabled, and is running", name),
			fmt.Sprintf("Service %s is already enabled, and is in the desired state", name),
			fmt.Sprintf("Service %s is already enabled, and is dead", name)))
		return ret, nil
	}
	if state.IsTest(c) {
		ret.Set("result", nil)
		ret.Set("comment", fmt.Sprintf("Service %s set to be enabled", name))
		return ret, nil
	}
	done, err := m.Enable(ctx, name, opts(m, c))
	enableError := ""
	if err != nil {
		enableError = errText(err)
	} else if done {
		changes := data.NewMap()
		ret.Set("changes", changes)
		after, err := m.Enabled(ctx, name)
		if err != nil {
			return nil, err
		}
		if before != after {
			changes.Set(name, true)
		}
		ret.Set("comment", pick(started,
			fmt.Sprintf("Service %s has been enabled, and is running", name),
			fmt.Sprintf("Service %s has been enabled, and is in the desired state", name),
			fmt.Sprintf("Service %s has been enabled, and is dead", name)))
		return ret, nil
	}
	ret.Set("result", false)
	msg := pick(started,
		fmt.Sprintf("Failed when setting service %s to start at boot, but the service is running", name),
		fmt.Sprintf("Failed when setting service %s to start at boot, but the service was already running", name),
		fmt.Sprintf("Failed when setting service %s to start at boot, and the service is dead", name))
	if enableError != "" {
		msg += ". Additional information follows:\n\n" + enableError
	}
	ret.Set("comment", msg)
	return ret, nil
}

// disable is _disable: set the service not to start at boot.
func disable(ctx context.Context, c *host.Call, m svc.Manager, name string, started tri, result any) (*data.Map, error) {
	ret := data.NewMap()
	ok, err := available(ctx, m, name, ret)
	if err != nil {
		return data.M("result", false, "comment", errText(err)), nil
	}
	if !ok {
		ret.Set("result", true)
		return ret, nil
	}
	ret.Set("result", result)
	before, err := m.Disabled(ctx, name)
	if err != nil {
		return nil, err
	}
	if before {
		if started == triNone {
			ret.Set("changes", data.NewMap())
		}
		ret.Set("comment", pick(started,
			fmt.Sprintf("Service %s is already disabled, and is running", name),
			fmt.Sprintf("Service %s is already disabled, and is in the desired state", name),
			fmt.Sprintf("Service %s is already disabled, and is dead", name)))
		return ret, nil
	}
	if state.IsTest(c) {
		ret.Set("result", nil)
		ret.Set("comment", fmt.Sprintf("Service %s set to be disabled", name))
		return ret, nil
	}
	done, err := m.Disable(ctx, name, opts(m, c))
	if err != nil {
		return nil, err
	}
	if done {
		changes := data.NewMap()
		ret.Set("changes", changes)
		after, err := m.Disabled(ctx, name)
		if err != nil {
			return nil, err
		}
		if before != after {
			changes.Set(name, true)
		}
		ret.Set("comment", pick(started,
			fmt.Sprintf("Service %s has been disabled, and is running", name),
			fmt.Sprintf("Service %s has been disabled, and is in the desired state", name),
			fmt.Sprintf("Service %s has been disabled, and is dead", name)))
		return ret, nil
	}
	ret.Set("result", false)
	ret.Set("comment", pick(started,
		fmt.Sprintf("Failed when setting service %s to not start at boot, and is running", name),
		fmt.Sprintf("Failed when setting service %s to not start at boot, but the service was already running", name),
		fmt.Sprintf("Failed when setting service %s to not start at boot, and the service is dead", name)))
	return ret, nil
}

// toggle applies enable: True or False (started and result as given).
func toggle(ctx context.Context, c *host.Call, m svc.Manager, ret *data.Map, name string, want, started tri, result any) error {
	var part *data.Map
	var err error
	switch want {
	case triTrue:
		part, err = enable(ctx, c, m, name, started, result)
	case triFalse:
		part, err = disable(ctx, c, m, name, started, result)
	default:
		return nil
	}
	if err != nil {
		return err
	}
	update(ret, part)
	return nil
}

// precheck is the start of running and dead: the enabled typo, then the
// service's availability (what a test run says when it is missing).
func precheck(ctx context.Context, c *host.Call, m svc.Manager, ret *data.Map, verb string) bool {
	name := c.Str("name")
	if c.Kwargs().Has("enabled") {
		ret.Set("result", false)
		ret.Set("comment", fmt.Sprintf(`Service %s uses non-existent option "enabled".  Perhaps "enable" option was intended?`, name))
		return false
	}
	if svc.Offline() {
		ret.Set("result", true)
		ret.Set("comment", "Running in OFFLINE mode. Nothing to do")
		return false
	}
	ok, err := available(ctx, m, name, ret)
	if err != nil {
		ret.Set("result", false)
		ret.Set("comment", errText(err))
		return false
	}
	if ok {
		return true
	}
	if state.IsTest(c) {
		ret.Set("result", nil)
		ret.Set("comment", fmt.Sprintf("Service %s not present; if created in this state run, it would have been %s", name, verb))
	} else if verb == "stopped" {
		// A non-available service is OK for dead.
		ret.Set("result", true)
	}
	return false
}

func running(ctx context.Context, c *host.Call) (any, error) {
	name := c.Str("name")
	ret := newRet(name)
	m := svc.Get(c.Env)
	want := enableArg(c)
	if !precheck(ctx, c, m, ret, "started") {
		return ret, nil
	}
	before, err := m.Status(ctx, name, sig(c))
	if err != nil {
		return nil, err
	}
	beforeEn, err := m.Enabled(ctx, name)
	if err != nil {
		return nil, err
	}
	// unmask: the unmasked state first, its comment joined to ours.
	unmaskComment := ""
	if data.Truthy(kwarg(c, "unmask")) {
		unmaskComment = comment(mask(ctx, c, name, data.Truthy(kwarg(c, "unmask_runtime")), false))
	}
	join := func(parts ...string) string {
		var out []string
		for _, p := range parts {
			if p != "" {
				out = append(out, p)
			}
		}
		return strings.Join(out, "\n")
	}
	if before {
		ret.Set("comment", join(fmt.Sprintf("The service %s is already running", name), unmaskComment))
		if (want == triTrue && !beforeEn) || (want == triFalse && beforeEn) {
			return ret, toggle(ctx, c, m, ret, name, want, triNone, true)
		}
		return ret, nil
	}
	if state.IsTest(c) {
		ret.Set("result", nil)
		ret.Set("comment", join(fmt.Sprintf("Service %s is set to start", name), unmaskComment))
		return ret, nil
	}
	ok, err := m.Start(ctx, name, opts(m, c))
	if err != nil {
		ret.Set("result", false)
		ret.Set("comment", errText(err))
		return ret, nil
	}
	if !ok {
		ret.Set("result", false)
		ret.Set("comment", fmt.Sprintf("Service %s failed to start", name))
		return ret, toggle(ctx, c, m, ret, name, want, triFalse, false)
	}
	_, delayed := sleep(ctx, c.Get("init_delay"))
	after, err := m.Status(ctx, name, sig(c))
	if err != nil {
		return nil, err
	}
	afterEn, err := m.Enabled(ctx, name)
	if err != nil {
		return nil, err
	}
	if changes, _ := ret.Get("changes"); (beforeEn != afterEn || before != after) && changes.(*data.Map).Len() == 0 {
		changes.(*data.Map).Set(name, after)
	}
	if after {
		ret.Set("comment", fmt.Sprintf("Started service %s", name))
	} else {
		ret.Set("comment", fmt.Sprintf("Service %s failed to start", name))
		ret.Set("result", false)
	}
	if err := toggle(ctx, c, m, ret, name, want, triOf(after), after); err != nil {
		return nil, err
	}
	if delayed {
		ret.Set("comment", fmt.Sprintf("%s\nDelayed return for %s seconds", comment(ret), data.Repr(c.Get("init_delay"))))
	}
	if data.Truthy(kwarg(c, "unmask")) {
		ret.Set("comment", comment(ret)+"\n"+unmaskComment)
	}
	return ret, nil
}

func dead(ctx context.Context, c *host.Call) (any, error) {
	name := c.Str("name")
	ret := newRet(name)
	m := svc.Get(c.Env)
	want := enableArg(c)
	if !precheck(ctx, c, m, ret, "stopped") {
		return ret, nil
	}
	before, err := m.Status(ctx, name, sig(c))
	if err != nil {
		return nil, err
	}
	beforeEn, err := m.Enabled(ctx, name)
	if err != nil {
		return nil, err
	}
	if !before {
		ret.Set("comment", fmt.Sprintf("The service %s is already dead", name))
		if (want == triTrue && !beforeEn) || (want == triFalse && beforeEn) {
			return ret, toggle(ctx, c, m, ret, name, want, triNone, true)
		}
		return ret, nil
	}
	if state.IsTest(c) {
		ret.Set("result", nil)
		ret.Set("comment", fmt.Sprintf("Service %s is set to be killed", name))
		return ret, nil
	}
	ok, err := m.Stop(ctx, name, opts(m, c))
	if err != nil {
		return nil, err
	}
	if !ok {
		ret.Set("result", false)
		ret.Set("comment", fmt.Sprintf("Service %s failed to die", name))
		return ret, toggle(ctx, c, m, ret, name, want, triTrue, false)
	}
	sleep(ctx, c.Get("init_delay"))
	after, err := m.Status(ctx, name, "")
	if err != nil {
		return nil, err
	}
	afterEn, err := m.Enabled(ctx, name)
	if err != nil {
		return nil, err
	}
	if changes, _ := ret.Get("changes"); (beforeEn != afterEn || before != after) && changes.(*data.Map).Len() == 0 {
		changes.(*data.Map).Set(name, after)
	}
	if after {
		ret.Set("result", false)
		ret.Set("comment", fmt.Sprintf("Service %s failed to die", name))
	} else {
		ret.Set("comment", fmt.Sprintf("Service %s was killed", name))
	}
	if err := toggle(ctx, c, m, ret, name, want, triOf(after), !after); err != nil {
		return nil, err
	}
	return ret, nil
}

func enabled(ctx context.Context, c *host.Call) (any, error) {
	name := c.Str("name")
	ret := newRet(name)
	m := svc.Get(c.Env)
	part, err := enable(ctx, c, m, name, triNone, true)
	if err != nil {
		return nil, err
	}
	update(ret, part)
	if state.IsTest(c) && comment(ret) == fmt.Sprintf("The named service %s is not available", name) {
		ret.Set("result", nil)
		ret.Set("comment", fmt.Sprintf("Service %s not present; if created in this state run, it would have been enabled", name))
	}
	return ret, nil
}

func disabled(ctx context.Context, c *host.Call) (any, error) {
	name := c.Str("name")
	ret := newRet(name)
	part, err := disable(ctx, c, svc.Get(c.Env), name, triNone, true)
	if err != nil {
		return nil, err
	}
	update(ret, part)
	return ret, nil
}

// modWatch is mod_watch: restart (reload, force-reload with reload and
// force) a running service, start a stopped one, stop one whose state is
// dead.
func modWatch(ctx context.Context, c *host.Call) (any, error) {
	name := c.Str("name")
	ret := newRet(name)
	m := svc.Get(c.Env)
	sfun := ""
	if v := c.Get("sfun"); v != nil {
		sfun = data.Str(v)
	}
	var verb, past string
	var fn func(context.Context, string, svc.Opts) (bool, error)
	switch sfun {
	case "dead":
		verb, past = "stop", "stopped"
		up, err := m.Status(ctx, name, sig(c))
		if err != nil {
			return nil, err
		}
		if !up {
			ret.Set("comment", "Service is already "+past)
			return ret, nil
		}
		fn = m.Stop
	case "running":
		up, err := m.Status(ctx, name, sig(c))
		if err != nil {
			return nil, err
		}
		switch {
		case up && c.Bool("reload") && c.Bool("force"):
			fn, verb = m.ForceReload, "forcefully reload"
		case up && c.Bool("reload"):
			fn, verb = m.Reload, "reload"
		case up:
			// No provider here has full_restart: full_restart restarts.
			fn, verb = m.Restart, "restart"
		default:
			fn, verb = m.Start, "start"
		}
		past = verb + "ed"
	default:
		ret.Set("comment", fmt.Sprintf("Unable to trigger watch for service.%s", data.Str(c.Get("sfun"))))
		ret.Set("result", false)
		return ret, nil
	}
	if state.IsTest(c) {
		ret.Set("result", nil)
		ret.Set("comment", "Service is set to be "+past)
		return ret, nil
	}
	o := opts(m, c)
	if verb == "start" {
		// stop the service before starting it
		if _, err := m.Stop(ctx, name, o); err != nil {
			return nil, err
		}
	}
	result, err := fn(ctx, name, o)
	if err != nil {
		ret.Set("result", false)
		ret.Set("comment", errText(err))
		return ret, nil
	}
	sleep(ctx, c.Get("init_delay"))
	ret.Set("changes", data.M(name, result))
	ret.Set("result", result)
	if result {
		ret.Set("comment", "Service "+past)
	} else {
		ret.Set("comment", "Failed to "+verb+" the service")
	}
	return ret, nil
}

func comment(ret *data.Map) string {
	v, _ := ret.Get("comment")
	return data.Str(v)
}

// maskedFn is masked: the unit masked (runtime: under /run).
func maskedFn(ctx context.Context, c *host.Call) (any, error) {
	name, runtime := c.Str("name"), c.Bool("runtime")
	return mask(ctx, c, name, runtime, true), nil
}

// unmaskedFn is unmasked.
func unmaskedFn(ctx context.Context, c *host.Call) (any, error) {
	name, runtime := c.Str("name"), c.Bool("runtime")
	return mask(ctx, c, name, runtime, false), nil
}

// mask is Salt's masked (on) and unmasked (!on) states.
func mask(ctx context.Context, c *host.Call, name string, runtime, on bool) *data.Map {
	ret := newRet(name)
	m, ok := svc.GetMasker(c.Env)
	if !ok {
		ret.Set("result", false)
		ret.Set("comment", "Service masking not available on this minion")
		return ret
	}
	maskType, action := "masked", "unmasked"
	if runtime {
		maskType, action = "runtime masked", "runtime unmasked"
	}
	fail := func(err error) *data.Map {
		ret.Set("result", false)
		ret.Set("comment", errText(err))
		return ret
	}
	expected := data.M(maskType, data.M("old", !on, "new", on))
	is, err := m.Masked(ctx, name, runtime)
	if err != nil {
		return fail(err)
	}
	if is == on {
		if on {
			ret.Set("comment", fmt.Sprintf("Service %s is already %s", name, maskType))
		} else {
			ret.Set("comment", fmt.Sprintf("Service %s was already %s", name, action))
		}
		return ret
	}
	if state.IsTest(c) {
		ret.Set("result", nil)
		ret.Set("changes", expected)
		if on {
			ret.Set("comment", fmt.Sprintf("Service %s would be %s", name, maskType))
		} else {
			ret.Set("comment", fmt.Sprintf("Service %s would be %s", name, action))
		}
		return ret
	}
	if on {
		_, err = m.Mask(ctx, name, runtime)
	} else {
		_, err = m.Unmask(ctx, name, runtime)
	}
	if err != nil {
		return fail(err)
	}
	if is, err = m.Masked(ctx, name, runtime); err != nil {
		return fail(err)
	}
	switch {
	case is == on && on:
		ret.Set("changes", expected)
		ret.Set("comment", fmt.Sprintf("Service %s was %s", name, maskType))
	case is == on:
		ret.Set("changes", expected)
		ret.Set("comment", fmt.Sprintf("Service %s was %s", name, action))
	case on:
		ret.Set("comment", fmt.Sprintf("Failed to mask service %s", name))
	default:
		ret.Set("comment", fmt.Sprintf("Failed to unmask service %s", name))
	}
	return ret
}

// kwarg is kwargs.get(key): nil when not given.
func kwarg(c *host.Call, key string) any {
	v, _ := c.Kwargs().Get(key)
	return v
}
