// Package cloud is saltgo's salt-cloud / mastersalt-cloud for the LXC
// provider that mc_cloud_lxc.post_deploy_controller configures: it reads
// salt-cloud's providers and profiles as Salt 3007 does and runs the
// mc_cloud_lxc runner's code (jobs published through the master to the
// compute node's minion) to create (-p, -m), destroy (-d) and list (-Q,
// -F, -S) containers, with Python salt-cloud's output shapes.
package cloud

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/saltgo/saltgo/cli/console"
	"github.com/saltgo/saltgo/cli/display"
	"github.com/saltgo/saltgo/cli/logging"
	"github.com/saltgo/saltgo/cli/optparse"
	"github.com/saltgo/saltgo/cli/stdopts"
	"github.com/saltgo/saltgo/client"
	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/runners/mccloudlxc"
	"github.com/saltgo/saltgo/saltyaml"
)

// Exit codes of Python salt-cloud.
const (
	exitOK      = 0
	exitGeneric = 1
)

const description = "Salt Cloud is the system used to provision virtual machines on various public\nclouds via a cleanly controlled profile and mapping system"

// queryOptions are salt-cloud's mutually exclusive query group.
var queryOptions = []string{"query", "full_query", "select_query", "list_providers", "list_profiles"}

func parser(prog string) *optparse.Parser {
	opts := append(stdopts.StdOptions(), []*optparse.Option{
		{Short: "p", Long: "profile", Kind: optparse.String, Meta: "PROFILE", Help: "Create an instance using the specified profile."},
		{Short: "m", Long: "map", Kind: optparse.String, Meta: "MAP", Help: "Specify a cloud map file to use for deployment. This option may be used alone, or in conjunction with -Q, -F, -S or -d. The map can also be filtered by a list of VM names."},
		{Short: "d", Long: "destroy", Kind: optparse.Flag, Help: "Destroy the specified instance(s)."},
		{Short: "P", Long: "parallel", Kind: optparse.Flag, Help: "Build all of the specified instances in parallel."},
		{Short: "y", Long: "assume-yes", Kind: optparse.Flag, Dest: "assume_yes", Help: "Default \"yes\" in answer to all confirmation questions."},
		{Short: "H", Long: "hard", Kind: optparse.Flag, Help: "Delete all VMs that are not defined in the map file. (not supported by saltgo)"},
		{Long: "no-deploy", Kind: optparse.Flag, Dest: "no_deploy", Help: "Don't run a deploy script after instance creation. (ignored: the LXC provider provisions through the compute node)"},
		{Short: "Q", Long: "query", Kind: optparse.Flag, Help: "Execute a query and return some information about the nodes running on configured cloud providers."},
		{Short: "F", Long: "full-query", Kind: optparse.Flag, Dest: "full_query", Help: "Execute a query and return all information about the nodes running on configured cloud providers."},
		{Short: "S", Long: "select-query", Kind: optparse.Flag, Dest: "select_query", Help: "Execute a query and return select information about the nodes running on configured cloud providers."},
		{Long: "list-providers", Kind: optparse.Flag, Dest: "list_providers", Help: "Display a list of configured providers."},
		{Long: "list-profiles", Kind: optparse.String, Dest: "list_profiles", Meta: "LIST_PROFILES", Help: "Display a list of configured profiles. Pass in a cloud provider to view the provider's associated profiles, such as digitalocean, or pass in \"all\" to list all the configured profiles."},
		{Short: "t", Long: "timeout", Kind: optparse.Int, Meta: "TIMEOUT", Help: "Seconds to wait for a compute node's answer to test.ping (default: the master's timeout)."},
	}...)
	opts = append(opts, logging.LogOptions()...)
	opts = append(opts, display.OutputOptions()...)
	return &optparse.Parser{Prog: prog, Usage: prog + " [options] <-m MAP | -p PROFILE> <NAME> [NAME2 ...]", Options: opts}
}

// Main runs salt-cloud with the program name prog ("salt-cloud" or
// "mastersalt-cloud", which selects the flavour) and arguments args; stdin
// answers the confirmation prompt of -d and -m. It returns the exit code.
func Main(ctx context.Context, prog string, args []string, stdin io.Reader, stdio console.IO) int {
	p := parser(prog)
	r, code, done := stdopts.Parse(p, args, description, stdio.Stdout, stdio.Stderr)
	if done {
		return code
	}
	var selected []string
	for _, q := range queryOptions {
		if r.Bool(q) || (q == "list_profiles" && r.Str(q) != "") {
			selected = append(selected, "--"+strings.ReplaceAll(q, "_", "-"))
		}
	}
	if len(selected) > 1 {
		return stdopts.Usage(p, stdio.Stderr, fmt.Errorf("The options %s are mutually exclusive. Please only choose one of them", strings.Join(selected, "/")))
	}
	if r.Bool("list_providers") && len(r.Args) > 0 {
		return stdopts.Usage(p, stdio.Stderr, errors.New("'--list-providers' does not accept any arguments"))
	}
	if r.Bool("hard") {
		return stdopts.Usage(p, stdio.Stderr, errors.New("-H/--hard is not supported by saltgo's salt-cloud"))
	}
	log, usage := logging.ConsoleLogger(p, r, stdio.Stderr)
	if usage != "" {
		fmt.Fprint(stdio.Stderr, usage)
		return stdopts.ExitUsage
	}
	flavour := config.FlavourFromArgv0(prog)
	mcfg, err := config.Load(ctx, config.Options{Flavour: flavour, Role: config.Master, ConfigDir: r.Str("config_dir"), Logger: log})
	if err != nil {
		fmt.Fprintf(stdio.Stderr, "%s\n", err)
		return exitGeneric
	}
	if n, ok := r.IntVal("timeout"); ok {
		mcfg.Raw.Set("timeout", int64(n))
	}
	ccfg, err := LoadConfig(mcfg.ConfigDir, log)
	if err != nil {
		return stdopts.Usage(p, stdio.Stderr, err)
	}
	printer, err := display.NewPrinter(r, stdio.Stdout, stdio.StdoutTTY, log)
	if err != nil {
		fmt.Fprintf(stdio.Stderr, "%s\n", err)
		return stdopts.ExitUsage
	}
	c := &run{prog: prog, r: r, log: log, mcfg: mcfg, cfg: ccfg, stdio: stdio, stdin: bufio.NewReader(orEmpty(stdin)), printer: printer}
	defer c.close()
	return c.dispatch(ctx)
}

func orEmpty(r io.Reader) io.Reader {
	if r == nil {
		return strings.NewReader("")
	}
	return r
}

// run is one salt-cloud invocation.
type run struct {
	prog    string
	r       *optparse.Result
	log     *slog.Logger
	mcfg    *config.Config
	cfg     *Config
	stdio   console.IO
	stdin   *bufio.Reader
	printer *display.Printer

	ctl     *mccloudlxc.Controller
	release func()
}

func (c *run) close() {
	if c.release != nil {
		c.release()
	}
}

// fail prints salt-cloud's handle_exception line ("Error: <msg>") on
// stderr and returns its exit code.
func (c *run) fail(msg string) int {
	fmt.Fprintf(c.stdio.Stderr, "Error: %s\n", strings.TrimRight(msg, "\n"))
	return exitGeneric
}

func (c *run) print(v any) int {
	if err := c.printer.Print(v, "nested"); err != nil {
		fmt.Fprintf(c.stdio.Stderr, "%s\n", err)
		return exitGeneric
	}
	return exitOK
}

func (c *run) dispatch(ctx context.Context) int {
	r := c.r
	names := r.Args
	switch {
	case r.Bool("list_providers"):
		return c.listProviders()
	case r.Str("list_profiles") != "":
		return c.listProfiles(r.Str("list_profiles"))
	case r.Bool("query"), r.Bool("full_query"), r.Bool("select_query"):
		return c.query(ctx)
	case r.Bool("destroy") && r.Str("map") != "" && len(names) > 0:
		return c.fail(fmt.Sprintf("Supplying a mapfile, '%s', in addition to instance names %s with the '--destroy' or '-d' function is not supported. Please choose to delete either the entire map file or individual instances.", r.Str("map"), data.Repr(anyList(names))))
	case r.Bool("destroy") && (len(names) > 0 || r.Str("map") != ""):
		if r.Str("map") != "" {
			m, code := c.readMap(r.Str("map"))
			if m == nil {
				return code
			}
			names = m.names()
		}
		return c.destroy(ctx, names)
	case r.Str("profile") != "" && len(names) > 0:
		return c.profile(ctx, r.Str("profile"), names)
	case r.Str("map") != "":
		return c.runMap(ctx, r.Str("map"))
	}
	fmt.Fprint(c.stdio.Stderr, parser(c.prog).UsageError(errors.New("Nothing was done. Using the proper arguments?")))
	return stdopts.ExitUsage
}

func anyList(l []string) []any {
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}

// listProviders is --list-providers: {alias: {driver: {}}}.
func (c *run) listProviders() int {
	if len(c.cfg.Aliases) == 0 {
		return c.fail("There was an error listing providers: There are no cloud providers configured.")
	}
	out := data.NewMap()
	for _, a := range c.cfg.Aliases {
		m := data.NewMap()
		for _, d := range sortedKeys(c.cfg.Providers[a]) {
			m.Set(d, data.NewMap())
		}
		out.Set(a, m)
	}
	return c.print(out)
}

// listProfiles is --list-profiles <provider|driver|all>: {profile:
// {alias or driver: {}}} (lookup_profiles).
func (c *run) listProfiles(which string) int {
	if len(c.cfg.Names) == 0 {
		return c.fail("There was an error listing profiles: There are no cloud profiles configured.")
	}
	out := data.NewMap()
	for _, n := range c.cfg.Names {
		alias, driver, _ := strings.Cut(mustString(c.cfg.Profiles[n], "provider"), ":")
		switch which {
		case "all":
			out.Set(n, data.M(alias, data.NewMap()))
		case alias:
			out.Set(n, data.M(alias, data.NewMap()))
		case driver:
			out.Set(n, data.M(driver, data.NewMap()))
		}
	}
	return c.print(out)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// controller opens the mc_cloud_lxc runner's controller once.
func (c *run) controller(ctx context.Context) (*mccloudlxc.Controller, error) {
	if c.ctl != nil {
		return c.ctl, nil
	}
	env := &host.Env{ID: c.mcfg.ID, Opts: c.mcfg.Raw, Config: c.mcfg, Log: c.log, Stdout: c.stdio.Stdout, Stderr: c.stdio.Stderr}
	var closers []func()
	if cl, err := client.New(c.mcfg); err == nil {
		cl.Log = c.log
		client.Shared.Set(env, cl)
		closers = append(closers, func() { _ = cl.Close() })
	}
	ctl, release, err := mccloudlxc.OpenController(ctx, env, false, 0)
	closers = append(closers, release)
	c.release = func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	if err != nil {
		return nil, err
	}
	c.ctl = ctl
	return ctl, nil
}

// provider is one configured provider of the lxc driver.
type provider struct {
	alias, driver, target string
}

// lxcProviders lists the configured providers; a driver other than lxc
// gets Salt's "not available" error line and is skipped.
func (c *run) lxcProviders() []provider {
	var out []provider
	for _, a := range c.cfg.Aliases {
		for _, d := range sortedKeys(c.cfg.Providers[a]) {
			if d != "lxc" {
				c.log.Error(fmt.Sprintf("Public cloud provider %s is not available", d))
				continue
			}
			t, _ := c.cfg.Providers[a][d].String("target")
			out = append(out, provider{alias: a, driver: d, target: t})
		}
	}
	return out
}

// nodes maps every lxc provider to its compute node's containers
// (map_providers_parallel): a provider whose compute node cannot be asked
// is left out, with the reason on the log (as salt-cloud leaves out a
// provider that failed to answer).
func (c *run) nodes(ctx context.Context) (*data.Map, []provider, error) {
	ctl, err := c.controller(ctx)
	if err != nil {
		return nil, nil, err
	}
	provs := c.lxcProviders()
	out := data.NewMap()
	results := make([]*data.Map, len(provs))
	errs := make([]error, len(provs))
	var wg sync.WaitGroup
	for i, pv := range provs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if pv.target == "" {
				c.log.Error(fmt.Sprintf("The cloud provider %s:%s has no target (compute node)", pv.alias, pv.driver))
				return
			}
			m, err := ctl.ListNodes(ctx, pv.target)
			if err != nil {
				errs[i] = err
				return
			}
			results[i] = m
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err == nil {
			continue
		}
		var unk *mccloudlxc.UnknownMinionError
		if !errors.Is(err, mccloudlxc.ErrUnreachable) && !errors.As(err, &unk) {
			// The master itself cannot be used: no provider can answer.
			return nil, nil, err
		}
		pv := provs[i]
		c.log.Error(fmt.Sprintf("Failed to query the nodes of %s:%s (compute node %s): %v", pv.alias, pv.driver, pv.target, err))
	}
	for i, pv := range provs {
		if results[i] == nil || results[i].Len() == 0 {
			continue
		}
		out.Set(pv.alias, data.M(pv.driver, results[i]))
	}
	return out, provs, nil
}

// query is -Q, -F and -S: {alias: {driver: {vm: {...}}}}.
func (c *run) query(ctx context.Context) int {
	m, _, err := c.nodes(ctx)
	if err != nil {
		return c.fail(fmt.Sprintf("There was an error with a map: %v", err))
	}
	return c.print(m)
}

// confirm is salt-cloud's print_confirm.
func (c *run) confirm(msg string) bool {
	if c.r.Bool("assume_yes") {
		return true
	}
	fmt.Fprintln(c.stdio.Stdout, msg)
	fmt.Fprint(c.stdio.Stdout, "Proceed? [N/y] ")
	line, _ := c.stdin.ReadString('\n')
	if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(line)), "y") {
		return false
	}
	fmt.Fprintln(c.stdio.Stdout, "... proceeding")
	return true
}

// destroy is -d NAME...: the running VMs with those names are listed, the
// operator confirms (or -y), each is destroyed through the runner
// (container on its compute node, then its minion key).
func (c *run) destroy(ctx context.Context, names []string) int {
	running, provs, err := c.nodes(ctx)
	if err != nil {
		return c.fail(fmt.Sprintf("There was an error destroying machines: %v", err))
	}
	type match struct {
		pv   provider
		name string
	}
	var matches []match
	found := map[string]bool{}
	msg := "The following virtual machines are set to be destroyed:\n"
	for _, pv := range provs {
		dv, _ := running.Get(pv.alias)
		dm, _ := dv.(*data.Map)
		if dm == nil {
			continue
		}
		vv, _ := dm.Get(pv.driver)
		vms, _ := vv.(*data.Map)
		var here []string
		for _, n := range names {
			if vms != nil && vms.Has(n) && !found[n] {
				here = append(here, n)
				found[n] = true
				matches = append(matches, match{pv, n})
			}
		}
		if len(here) > 0 {
			msg += fmt.Sprintf("  %s:\n    %s:\n", pv.alias, pv.driver)
			for _, n := range here {
				msg += fmt.Sprintf("      %s\n", n)
			}
		}
	}
	if len(matches) == 0 {
		fmt.Fprintln(c.stdio.Stdout, "No machines were found to be destroyed")
		return exitOK
	}
	if !c.confirm(msg) {
		return c.print(data.NewMap())
	}
	ctl, _ := c.controller(ctx)
	out := data.NewMap()
	code := exitOK
	for _, m := range matches {
		res := ctl.DestroyVM(ctx, m.pv.target, m.name)
		ret := data.M("comment", m.name+" was destroyed", "result", true)
		if !res.OK() {
			code = exitGeneric
			ret = data.M("comment", strings.TrimSpace(res.CommentText()), "result", false)
		}
		am, _ := out.Get(m.pv.alias)
		amm, ok := am.(*data.Map)
		if !ok {
			amm = data.M(m.pv.driver, data.NewMap())
			out.Set(m.pv.alias, amm)
		}
		dm, _ := amm.Get(m.pv.driver)
		dm.(*data.Map).Set(m.name, ret)
	}
	var missing []any
	for _, n := range names {
		if !found[n] {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		out.Set("Not Found", missing)
	}
	if p := c.print(out); p != exitOK {
		return p
	}
	return code
}

// profile is -p PROFILE NAME...: each VM is created from the profile on
// the profile's compute node (in parallel with -P).
func (c *run) profile(ctx context.Context, profile string, names []string) int {
	if _, ok := c.cfg.Profiles[profile]; !ok {
		msg := fmt.Sprintf("Profile %s is not defined", profile)
		c.log.Error(msg)
		return c.print(data.M("Error", msg))
	}
	jobs := make([]job, len(names))
	for i, n := range names {
		jobs[i] = job{n, profile}
	}
	ret, code := c.create(ctx, jobs, map[string]*data.Map{})
	if p := c.print(ret); p != exitOK {
		return p
	}
	return code
}

// job is one VM to create from a profile.
type job struct{ name, profile string }

// create makes the VMs of jobs (with per-VM map overrides), in parallel
// with -P, and returns salt-cloud's {name: create return} and the exit
// code.
func (c *run) create(ctx context.Context, jobs []job, overrides map[string]*data.Map) (*data.Map, int) {
	ret := data.NewMap()
	ctl, err := c.controller(ctx)
	if err != nil {
		for _, j := range jobs {
			ret.Set(j.name, data.M("Error", err.Error()))
		}
		return ret, exitGeneric
	}
	// A compute node is asked whether a name exists only when it answers;
	// otherwise the runner's check says why it cannot be used.
	var mu sync.Mutex
	reachable := map[string]bool{}
	isReachable := func(cn string) bool {
		mu.Lock()
		defer mu.Unlock()
		ok, seen := reachable[cn]
		if !seen {
			ok = ctl.Reachable(ctx, cn) == nil
			reachable[cn] = ok
		}
		return ok
	}
	results := make([]*data.Map, len(jobs))
	failed := make([]bool, len(jobs))
	one := func(i int, j job) {
		alias, driver, _ := strings.Cut(mustString(c.cfg.Profiles[j.profile], "provider"), ":")
		if driver != "lxc" {
			results[i], failed[i] = data.M("Error", fmt.Sprintf("the driver of profile %s is %s: saltgo's salt-cloud creates only with the lxc driver", j.profile, driver)), true
			return
		}
		cn, _ := c.cfg.Providers[alias][driver].String("target")
		if isReachable(cn) {
			if ok, err := ctl.Exists(ctx, cn, j.name); err == nil && ok {
				// run_profile: an existing VM is an error entry, not a failure.
				msg := fmt.Sprintf("%s already exists under %s:%s", j.name, alias, driver)
				c.log.Error(msg)
				results[i] = data.M("Error", msg)
				return
			}
		}
		vm := c.cfg.VMConfig(j.name, j.profile, overrides[j.name])
		entry, err := ctl.VMEntryFromProfile(j.profile, vm)
		if err != nil {
			results[i], failed[i] = data.M("Error", err.Error()), true
			return
		}
		res := ctl.ProvisionFromProfile(ctx, cn, j.name, entry)
		out := data.M("name", j.name, "changes", data.NewMap(), "result", res.OK(), "comment", "", "runner_return", res.Map())
		if res.OK() {
			out.Set("changes", data.M("created", "created"))
		} else {
			out.Set("Error", fmt.Sprintf("Error while creating %s,", j.name))
			failed[i] = true
		}
		results[i] = out
	}
	if c.r.Bool("parallel") && len(jobs) > 1 {
		sem := make(chan struct{}, max(ctl.Concurrency, 1))
		var wg sync.WaitGroup
		for i, j := range jobs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sem <- struct{}{}
				defer func() { <-sem }()
				one(i, j)
			}()
		}
		wg.Wait()
	} else {
		for i, j := range jobs {
			one(i, j)
		}
	}
	code := exitOK
	for i, j := range jobs {
		ret.Set(j.name, results[i])
		if failed[i] {
			code = exitGeneric
		}
	}
	return ret, code
}

// cloudMap is a parsed map file: profile -> VMs (with overrides).
type cloudMap struct {
	order    []string // profiles
	vms      map[string][]string
	override map[string]*data.Map
}

func (m *cloudMap) names() []string {
	var out []string
	for _, p := range m.order {
		out = append(out, m.vms[p]...)
	}
	return out
}

// readMap reads a map file: {profile: [name | {name: {overrides}}]}.
func (c *run) readMap(path string) (*cloudMap, int) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, c.fail(fmt.Sprintf("There was an error generating the mapper. %v", err))
	}
	v, err := saltyaml.Load(b)
	if err != nil {
		return nil, c.fail(fmt.Sprintf("There was an error with a custom map: the map file %s is not valid YAML: %v", filepath.Clean(path), err))
	}
	top, ok := v.(*data.Map)
	if !ok {
		return nil, c.fail(fmt.Sprintf("There was an error with a custom map: the map file %s must be a mapping of profile to VM names", path))
	}
	m := &cloudMap{vms: map[string][]string{}, override: map[string]*data.Map{}}
	var perr error
	top.Range(func(k, e any) bool {
		prof := fmt.Sprint(k)
		m.order = append(m.order, prof)
		var list []any
		switch x := e.(type) {
		case []any:
			list = x
		case *data.Map:
			x.Range(func(n, o any) bool { list = append(list, data.M(n, o)); return true })
		case string:
			list = []any{x}
		default:
			perr = fmt.Errorf("profile %s: want a list of VM names, got %s", prof, data.TypeStr(e))
			return false
		}
		for _, it := range list {
			switch x := it.(type) {
			case string:
				m.vms[prof] = append(m.vms[prof], x)
			case *data.Map:
				x.Range(func(n, o any) bool {
					name := fmt.Sprint(n)
					m.vms[prof] = append(m.vms[prof], name)
					if om, ok := o.(*data.Map); ok {
						m.override[name] = om
					}
					return true
				})
			default:
				perr = fmt.Errorf("profile %s: bad VM entry %s", prof, data.Repr(it))
				return false
			}
		}
		return perr == nil
	})
	if perr != nil {
		return nil, c.fail("There was an error with a custom map: " + perr.Error())
	}
	return m, exitOK
}

// runMap is -m MAPFILE: the map's VMs that do not exist are created
// (after the confirmation prompt, or -y), in parallel with -P; the
// existing ones are reported "Already running.".
func (c *run) runMap(ctx context.Context, path string) int {
	m, code := c.readMap(path)
	if m == nil {
		return code
	}
	if only := c.r.Args; len(only) > 0 {
		keep := map[string]bool{}
		for _, n := range only {
			keep[n] = true
		}
		for p, l := range m.vms {
			var f []string
			for _, n := range l {
				if keep[n] {
					f = append(f, n)
				}
			}
			m.vms[p] = f
		}
	}
	if len(m.names()) == 0 {
		fmt.Fprint(c.stdio.Stderr, "No nodes defined in this map")
		return exitGeneric
	}
	var errs []string
	for _, p := range m.order {
		if _, ok := c.cfg.Profiles[p]; !ok && len(m.vms[p]) > 0 {
			errs = append(errs, fmt.Sprintf("  %s: Requested profile '%s' is not defined\n", p, p))
		}
	}
	if len(errs) > 0 {
		fmt.Fprint(c.stdio.Stderr, "Found the following errors:\n"+strings.Join(errs, ""))
	}
	running, _, err := c.nodes(ctx)
	if err != nil {
		return c.fail(fmt.Sprintf("There was a query error: %v", err))
	}
	exists := map[string]bool{}
	running.Range(func(_, dv any) bool {
		dv.(*data.Map).Range(func(_, vv any) bool {
			vv.(*data.Map).Range(func(n, _ any) bool { exists[fmt.Sprint(n)] = true; return true })
			return true
		})
		return true
	})
	var existing, create []string
	for _, p := range m.order {
		if _, ok := c.cfg.Profiles[p]; !ok {
			continue
		}
		for _, n := range m.vms[p] {
			if exists[n] {
				existing = append(existing, n)
			} else {
				create = append(create, n)
			}
		}
	}
	msg := ""
	if len(existing) > 0 {
		msg += "The following virtual machines already exist:\n"
		for _, n := range existing {
			msg += "  " + n + "\n"
		}
	}
	if len(create) > 0 {
		msg += "The following virtual machines are set to be created:\n"
		for _, n := range create {
			msg += "  " + n + "\n"
		}
	}
	ret := data.NewMap()
	code = exitOK
	switch {
	case len(create) == 0 && len(existing) == 0:
		fmt.Fprintln(c.stdio.Stdout, msg)
		return exitGeneric
	case len(create) > 0 && c.confirm(msg):
		want := map[string]bool{}
		for _, n := range create {
			want[n] = true
		}
		// All the map's VMs at once with -P (run_map's parallel mode).
		var jobs []job
		for _, p := range m.order {
			for _, n := range m.vms[p] {
				if want[n] {
					jobs = append(jobs, job{n, p})
				}
			}
		}
		ret, code = c.create(ctx, jobs, m.override)
	}
	for _, n := range existing {
		ret.Set(n, data.M("Message", "Already running."))
	}
	if p := c.print(ret); p != exitOK {
		return p
	}
	return code
}
