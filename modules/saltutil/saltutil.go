// Package saltutil is Salt's saltutil execution module, as far as it makes
// sense for compiled-in Go modules: the job table functions the master's
// gather logic relies on (find_job, running, kill_job...), pillar and grains
// refresh, and the sync_* family, which answers honestly that compiled-in
// modules need no sync.
package saltutil

import (
	"context"
	"fmt"
	"path"
	"syscall"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
)

// jobs returns the job table of the front door running the call (the
// minion's; salt-call has none).
func jobs(c *host.Call) (host.JobTable, bool) {
	j := c.Env.Services.Jobs
	return j, j != nil
}

var syncNames = []string{"all", "beacons", "clouds", "engines", "executors", "grains", "log_handlers", "matchers", "modules", "output", "pillar", "proxymodules", "renderers", "returners", "sdb", "serializers", "states", "thorium", "utils", "wrapper"}

func init() {
	funcs := []*host.Func{
		{Name: "find_job", Params: []host.Param{host.Req("jid")}, Doc: "\n    Return the data of a running job, or {} when it is not running.\n\n    CLI Example:\n\n        salt '*' saltutil.find_job <job id>\n    ", Fn: findJob},
		{Name: "running", Doc: "\n    Return the data of the jobs running on this minion.\n\n    CLI Example:\n\n        salt '*' saltutil.running\n    ", Fn: running},
		{Name: "is_running", Params: []host.Param{host.Req("fun")}, Doc: "\n    Return the running jobs whose function matches a glob.\n\n    CLI Example:\n\n        salt '*' saltutil.is_running state.highstate\n    ", Fn: isRunning},
		{Name: "kill_job", Params: []host.Param{host.Req("jid")}, Doc: "\n    Stop a running job (its context is cancelled). Returns the jid, or\n    an empty string when no such job runs.\n\n    CLI Example:\n\n        salt '*' saltutil.kill_job <job id>\n    ", Fn: killJob},
		{Name: "term_job", Params: []host.Param{host.Req("jid")}, Doc: "\n    Same as saltutil.kill_job (jobs are goroutines, not processes).\n\n    CLI Example:\n\n        salt '*' saltutil.term_job <job id>\n    ", Fn: killJob},
		{Name: "signal_job", Params: []host.Param{host.Req("jid"), host.Req("sig")}, Doc: "\n    Signal a running job: SIGTERM, SIGKILL and SIGINT stop it (jobs run as\n    goroutines); other signals are refused.\n\n    CLI Example:\n\n        salt '*' saltutil.signal_job <job id> 15\n    ", Fn: signalJob},
		{Name: "refresh_pillar", Params: []host.Param{host.Opt("wait", false), host.Opt("timeout", int64(30))}, VarKwargs: true, Doc: "\n    Fetch pillar anew from the master (or recompile it locally).\n\n    CLI Example:\n\n        salt '*' saltutil.refresh_pillar\n    ", Fn: refreshPillar},
		{Name: "refresh_grains", VarKwargs: true, Doc: "\n    Collect the grains anew, then refresh the pillar unless\n    refresh_pillar=False. Returns True.\n\n    CLI Example:\n\n        salt '*' saltutil.refresh_grains\n    ", Fn: refreshGrains},
		{Name: "refresh_modules", VarKwargs: true, Doc: "\n    Modules are compiled in: nothing to reload. Returns True.\n\n    CLI Example:\n\n        salt '*' saltutil.refresh_modules\n    ", Fn: func(context.Context, *host.Call) (any, error) { return true, nil }},
		{Name: "clear_cache", Params: []host.Param{host.Opt("days", int64(-1))}, Doc: "\n    saltgo keeps no module cache to clear. Returns True.\n\n    CLI Example:\n\n        salt '*' saltutil.clear_cache\n    ", Fn: func(context.Context, *host.Call) (any, error) { return true, nil }},
	}
	for _, n := range syncNames {
		name := "sync_" + n
		funcs = append(funcs, &host.Func{Name: name, Params: []host.Param{host.Opt("saltenv", nil), host.Opt("refresh", true), host.Opt("extmod_whitelist", nil), host.Opt("extmod_blacklist", nil)}, VarKwargs: true,
			Doc: "\n    saltgo's modules are compiled into the binary: there is nothing to\n    sync from the master's file server. Returns what Salt returns when\n    nothing was synced.\n\n    CLI Example:\n\n        salt '*' saltutil." + name + "\n    ",
			Fn:  syncNothing(n)})
	}
	host.Register(&host.Module{Kind: host.Exec, Name: "saltutil", Doc: "Job table, refresh and sync functions.", Funcs: funcs})
}

func findJob(_ context.Context, c *host.Call) (any, error) {
	j, ok := jobs(c)
	if !ok {
		return data.NewMap(), nil
	}
	if d := j.FindJob(c.Str("jid")); d != nil {
		return d, nil
	}
	return data.NewMap(), nil
}

func running(_ context.Context, c *host.Call) (any, error) {
	out := []any{}
	if j, ok := jobs(c); ok {
		for _, d := range j.Running() {
			out = append(out, d)
		}
	}
	return out, nil
}

func isRunning(_ context.Context, c *host.Call) (any, error) {
	out := []any{}
	pat := c.Str("fun")
	if j, ok := jobs(c); ok {
		for _, d := range j.Running() {
			fun, _ := d.String("fun")
			if ok, _ := path.Match(pat, fun); ok {
				out = append(out, d)
			}
		}
	}
	return out, nil
}

func killJob(_ context.Context, c *host.Call) (any, error) {
	jid := c.Str("jid")
	if j, ok := jobs(c); ok && j.KillJob(jid) {
		return jid, nil
	}
	return "", nil
}

func signalJob(ctx context.Context, c *host.Call) (any, error) {
	n, err := c.Int("sig")
	if err != nil {
		return nil, err
	}
	switch syscall.Signal(n) {
	case syscall.SIGTERM, syscall.SIGKILL, syscall.SIGINT:
		return killJob(ctx, c)
	}
	return nil, host.Errorf("signal %d: saltgo jobs are goroutines; only SIGTERM, SIGKILL and SIGINT (stop) are supported", n)
}

func refreshPillar(ctx context.Context, c *host.Call) (any, error) {
	r := c.Env.Services.Pillar
	if r == nil {
		return false, nil
	}
	p, err := r.RefreshPillar(ctx)
	if err != nil {
		return nil, host.Errorf("pillar refresh failed: %v", err)
	}
	c.Env.Pillar = p
	return true, nil
}

// refreshGrains is Salt's saltutil.refresh_grains: the front door collects
// the grains anew (the minion keeps them for targeting and later jobs),
// then, unless refresh_pillar=False, the pillar is refreshed too since it
// may depend on them.
func refreshGrains(ctx context.Context, c *host.Call) (any, error) {
	refreshPillarToo := true
	if v, ok := c.Kwargs().Get("refresh_pillar"); ok {
		refreshPillarToo = data.Truthy(v)
	}
	r := c.Env.Services.Grains
	if r == nil {
		return nil, host.Errorf("grains refresh failed: this front door cannot collect grains")
	}
	g, err := r.RefreshGrains(ctx)
	if err != nil {
		return nil, host.Errorf("grains refresh failed: %v", err)
	}
	c.Env.Grains = g
	if refreshPillarToo {
		if _, err := refreshPillar(ctx, c); err != nil {
			return nil, err
		}
	}
	return true, nil
}

func syncNothing(kind string) func(context.Context, *host.Call) (any, error) {
	return func(_ context.Context, c *host.Call) (any, error) {
		c.Env.Logger().Info(fmt.Sprintf("saltutil.sync_%s: modules are compiled into saltgo, nothing to sync", kind))
		if kind == "all" {
			out := data.NewMap()
			for _, n := range syncNames {
				if n != "all" && n != "wrapper" {
					out.Set(n, []any{})
				}
			}
			return out, nil
		}
		return []any{}, nil
	}
}
