package mccloudlxc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/saltgo/saltgo/client"
	"github.com/saltgo/saltgo/cloud/alloc"
	"github.com/saltgo/saltgo/cloud/settings"
	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/minion/match"
	"github.com/saltgo/saltgo/pillar"
	"github.com/saltgo/saltgo/saltyaml"
)

// Master options read by the runner (all optional).
const (
	// OptControllerID is the controller minion's id (default: the id of
	// the minion config next to the master config, else the host name).
	OptControllerID = "mc_cloud_lxc.controller_id"
	// OptAllocRoot moves the allocation store, like the execution
	// module's option of the same name.
	OptAllocRoot = "mc_cloud_lxc.alloc_root"
	// OptConcurrency bounds how many compute nodes and VMs are worked on
	// at once (default 4).
	OptConcurrency = "mc_cloud_lxc.concurrency"
	// OptPingTries and OptPingTimeout are the liveness check before a
	// compute node is used (mc_api.cli pinged 7 times, 10 s each; saltgo
	// defaults to 3 tries of the master's timeout).
	OptPingTries   = "mc_cloud_lxc.ping_tries"
	OptPingTimeout = "mc_cloud_lxc.ping_timeout"
	// OptStepTimeout is how long a node step's return is awaited before
	// the minion is asked whether it still runs it (default 60 s).
	OptStepTimeout = "mc_cloud_lxc.step_timeout"
	// OptCronDir is where the image-sync schedule is written (/etc/cron.d).
	OptCronDir = "mc_cloud_lxc.cron_dir"
	// OptSaltRun is the salt-run the schedule runs (default
	// /usr/bin/mastersalt-run or /usr/bin/salt-run by flavour).
	OptSaltRun = "mc_cloud_lxc.salt_run"
	// OptImagesSource is the directory holding the image templates that
	// the compute nodes receive (default images_root, /var/lib/lxc).
	OptImagesSource = "mc_cloud_lxc.images_source"
	// OptMinionBinary is the saltgo binary installed in new VMs (default:
	// the compute node's own binary).
	OptMinionBinary = "mc_cloud_lxc.minion_binary"
	// OptColor turns on makina-states' ANSI colours in comment lines.
	OptColor = "mc_cloud_lxc.color"
	// AllocRootEnv is the environment override of the allocation store.
	AllocRootEnv = "SALTGO_MC_CLOUD_LXC_ALLOC_ROOT"
)

// Controller is everything a runner function needs: the controller's
// settings (as its own minion computes them), the way to reach minions
// through the master, and the run's switches.
type Controller struct {
	// ID is the controller minion's id.
	ID string
	// Opts are the master options; ConfigDir the master config directory.
	Opts      *data.Map
	ConfigDir string
	Flavour   config.Flavour
	// Pillar is the controller minion's pillar (compiled from the master's
	// pillar_roots); Settings the LXC registries built from it.
	Pillar   *data.Map
	Settings *settings.Settings
	// Node reaches the minions.
	Node Node
	// Paint colours comment lines.
	Paint Painter
	// Progress prints one line per finished step.
	Progress *Progress
	// Test is the dry-run switch: nothing is changed.
	Test bool
	// Concurrency bounds parallel work.
	Concurrency int
	// PingTries / PingTimeout / StepTimeout: see the options.
	PingTries   int
	PingTimeout time.Duration
	StepTimeout time.Duration

	settingsOpts settings.Options
	settingsErr  error
	images       imageSet
	// masters holds the other mode's master (masterFor); otherNode, when
	// set, replaces the client built from its options (tests).
	masters   masters
	otherNode func(opts *data.Map) Node
	log       *slog.Logger
}

// envError is a problem with the environment the runner runs in (no
// master config, no client...), reported as a failed result.
type envError struct{ msg string }

func (e *envError) Error() string { return e.msg }

// newController builds the Controller of a runner call. node may be nil
// (the front door's shared client is used, or one built from the master
// options). The returned release func closes what was opened.
func newController(ctx context.Context, c *host.Call, node Node) (*Controller, func(), error) {
	conc := 0
	if c.Given("concurrency") {
		n, err := c.Int("concurrency")
		if err != nil || n < 1 {
			return nil, func() {}, host.Invalidf("concurrency must be a positive integer")
		}
		conc = int(n)
	}
	return newControllerEnv(ctx, c.Env, node, c.Given("test") && c.Bool("test"), conc)
}

// OpenController builds the Controller of a front door other than
// salt-run (salt-cloud): env carries the master options and config (and,
// optionally, the shared client); concurrency 0 keeps the master option
// or the default. release closes what was opened.
func OpenController(ctx context.Context, env *host.Env, test bool, concurrency int) (*Controller, func(), error) {
	return newControllerEnv(ctx, env, nil, test, concurrency)
}

func newControllerEnv(ctx context.Context, env *host.Env, node Node, test bool, concurrency int) (*Controller, func(), error) {
	if env == nil || env.Opts == nil {
		return nil, func() {}, &envError{"mc_cloud_lxc: no master configuration (run through salt-run / mastersalt-run on the master host)"}
	}
	ctl := &Controller{Opts: env.Opts, Concurrency: 4, PingTries: 3, StepTimeout: 60 * time.Second}
	if cfg := env.Config; cfg != nil {
		ctl.ConfigDir, ctl.Flavour = cfg.ConfigDir, cfg.Flavour
	}
	ctl.Paint = Painter{On: colourOn(env.Opts)}
	ctl.Test = test
	if n, ok := optInt(env.Opts, OptConcurrency); ok && n > 0 {
		ctl.Concurrency = int(n)
	}
	if concurrency > 0 {
		ctl.Concurrency = concurrency
	}
	if n, ok := optInt(env.Opts, OptPingTries); ok && n > 0 {
		ctl.PingTries = int(n)
	}
	ctl.PingTimeout = optDuration(env.Opts, OptPingTimeout, optDuration(env.Opts, "timeout", 5*time.Second))
	ctl.StepTimeout = optDuration(env.Opts, OptStepTimeout, ctl.StepTimeout)
	ctl.Progress = newProgress(env)
	ctl.log = env.Logger()

	release := func() {}
	if node == nil {
		node, _ = nodeService.Get(env)
	}
	if node != nil {
		// An injected Node (tests, an embedding program) also reaches
		// the minions of the other mode's master.
		injected := node
		ctl.otherNode = func(*data.Map) Node { return injected }
	}
	if node == nil {
		cl, owned, err := client.FromEnv(env, env.Opts)
		if err != nil {
			return nil, release, &envError{fmt.Sprintf("mc_cloud_lxc: cannot drive minions through the master: %v", err)}
		}
		cl.Log = env.Logger()
		if owned {
			release = func() { _ = cl.Close() }
		}
		node = &ClientNode{C: cl}
	}
	ctl.Node = node

	ctl.ID = controllerID(env.Opts, ctl.ConfigDir)
	p, err := compilePillar(env.Opts, ctl.ID, env.Logger())
	if err != nil {
		release()
		return nil, func() {}, &envError{fmt.Sprintf("mc_cloud_lxc: pillar of the controller %s: %v", ctl.ID, err)}
	}
	ctl.Pillar = p
	ctl.settingsOpts = settingsOptions(env.Opts, ctl.ID)
	ctl.settingsOpts.ModeMasterPorts = ctl.modePorts()
	ctl.Settings, ctl.settingsErr = settings.Load(p, ctl.settingsOpts)
	if ctl.settingsErr != nil {
		release()
		return nil, func() {}, &envError{ctl.settingsErr.Error()}
	}
	return ctl, func() { ctl.masters.close(); release() }, nil
}

// nodeService is the host.Env slot a test (or an embedding program) may
// set to replace the master-driven Node.
var nodeService = host.NewKey[Node]("mc_cloud_lxc.node")

// colourOn tells whether comment lines carry makina-states' ANSI colours:
// only with the master option mc_cloud_lxc.color: True (and no NO_COLOR in
// the environment). It is off by default because Salt 3007's outputters
// print ESC inside strings as "?", which garbles coloured comments.
func colourOn(opts *data.Map) bool {
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	v, _ := opts.Get(OptColor)
	return data.Truthy(v)
}

func optInt(opts *data.Map, key string) (int64, bool) {
	v, ok := opts.Get(key)
	if !ok {
		return 0, false
	}
	if n, ok := data.AsInt(v); ok {
		return n, true
	}
	if s, ok := v.(string); ok {
		var n int64
		if _, err := fmt.Sscan(s, &n); err == nil {
			return n, true
		}
	}
	return 0, false
}

func optDuration(opts *data.Map, key string, def time.Duration) time.Duration {
	v, ok := opts.Get(key)
	if !ok {
		return def
	}
	switch n := data.Normalize(v).(type) {
	case int64:
		if n > 0 {
			return time.Duration(n) * time.Second
		}
	case float64:
		if n > 0 {
			return time.Duration(n * float64(time.Second))
		}
	}
	return def
}

func optString(opts *data.Map, key, def string) string {
	if s, ok := opts.String(key); ok && s != "" {
		return s
	}
	return def
}

// controllerID finds the controller minion's id: the option, the minion
// config (or minion_id file) next to the master config, the host name.
func controllerID(opts *data.Map, confDir string) string {
	if s := optString(opts, OptControllerID, ""); s != "" {
		return s
	}
	if confDir != "" {
		if b, err := os.ReadFile(filepath.Join(confDir, "minion")); err == nil {
			if v, err := saltyaml.Load(b); err == nil {
				if m, ok := v.(*data.Map); ok {
					if id, ok := m.String("id"); ok && id != "" {
						return id
					}
				}
			}
		}
		if b, err := os.ReadFile(filepath.Join(confDir, "minion_id")); err == nil {
			if id := strings.TrimSpace(string(b)); id != "" {
				return id
			}
		}
	}
	h, _ := os.Hostname()
	return h
}

// pillarRoots reads the master's pillar_roots option.
func pillarRoots(opts *data.Map) map[string][]string {
	out := map[string][]string{}
	v, _ := opts.Get("pillar_roots")
	m, ok := v.(*data.Map)
	if !ok {
		return out
	}
	m.Range(func(k, v any) bool {
		env := fmt.Sprint(k)
		l, _ := v.([]any)
		for _, e := range l {
			if s, ok := data.AsString(e); ok {
				out[env] = append(out[env], s)
			}
		}
		return true
	})
	return out
}

// compilePillar renders the controller minion's pillar from the master's
// pillar_roots (the data the controller's own minion would get). The top
// file's targets are matched as the master matches them for that minion:
// with its grains (the master's cache of them, else just its id), the
// master's nodegroups and no pillar (the master's options hold none, so
// pillar targets select nothing there either).
func compilePillar(opts *data.Map, id string, log *slog.Logger) (*data.Map, error) {
	roots := pillarRoots(opts)
	if len(roots) == 0 {
		return data.NewMap(), nil
	}
	g, err := client.CachedGrains(opts, id)
	if err != nil {
		log.Warn(fmt.Sprintf("mc_cloud_lxc: grains of the controller %s: %v; its pillar top is matched with its id only", id, err))
	}
	if g == nil {
		g = data.M("id", id)
	}
	ng, _ := opts.Get("nodegroups")
	ngm, _ := ng.(*data.Map)
	p, err := pillar.Compile(pillar.Options{Roots: roots, Minion: match.Minion{ID: id, Grains: g, Nodegroups: ngm}})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func settingsOptions(opts *data.Map, id string) settings.Options {
	o := settings.Options{MinionID: id, Grains: data.M("id", id), MinionOpts: opts}
	if n, ok := optInt(opts, "ret_port"); ok {
		o.MasterPort = int(n)
	}
	if base := pillarRoots(opts)["base"]; len(base) > 0 {
		o.PillarRoot = base[0]
	}
	o.AllocRoot = optString(opts, OptAllocRoot, os.Getenv(AllocRootEnv))
	// The salt-cloud files go where this master's salt-cloud reads them
	// (makina's {prefix}, /etc/mastersalt, when the config dir is unknown).
	o.ConfPrefix = confDir(opts)
	return o
}

// VMSettings returns get_settings_for_vm(target, vm, full) as the
// controller computes it. In test mode the allocations are made in a
// throw-away copy of the store: what would be allocated is shown, nothing
// is persisted.
func (ctl *Controller) VMSettings(ctx context.Context, target, vm string, full bool) (*settings.VM, error) {
	s := ctl.Settings
	if ctl.Test {
		tmp, err := os.MkdirTemp("", "mc_cloud_lxc-dryrun-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		src := filepath.Join(s.Store().Root, alloc.StripDots(target))
		if err := copyTree(src, filepath.Join(tmp, alloc.StripDots(target))); err != nil {
			return nil, fmt.Errorf("dry run: copy the allocation store: %w", err)
		}
		o := ctl.settingsOpts
		o.AllocRoot, o.Alloc = tmp, nil
		if s, err = settings.Load(ctl.Pillar, o); err != nil {
			return nil, err
		}
	}
	return s.GetSettingsForVM(ctx, target, vm, full)
}

// copyTree copies regular files and directories (a missing src is fine).
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == src {
			return filepath.SkipDir
		}
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		t := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(t, 0o700)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(t, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

// ComputeNodes returns the declared compute nodes, sorted.
func (ctl *Controller) ComputeNodes() []string { return ctl.Settings.ComputeNodes() }

// VMsOf returns the VMs declared for cn (sorted); ok is false for an
// undeclared compute node.
func (ctl *Controller) VMsOf(cn string) ([]string, bool) {
	l, ok := ctl.Settings.VMs()[cn]
	out := append([]string(nil), l...)
	sort.Strings(out)
	return out, ok
}

// ComputeNodeOf finds the compute node declaring vm.
func (ctl *Controller) ComputeNodeOf(vm string) (string, error) {
	var found []string
	for cn, vms := range ctl.Settings.VMs() {
		for _, v := range vms {
			if v == vm {
				found = append(found, cn)
			}
		}
	}
	sort.Strings(found)
	switch len(found) {
	case 0:
		return "", fmt.Errorf("vm %s is not declared in the pillar of the controller %s (makina-states.cloud.lxc.vms.<compute node>)", vm, ctl.ID)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("vm %s is declared for several compute nodes (%s): pass compute_node=", vm, strings.Join(found, ", "))
}

// Reachable pings a minion up to PingTries times; the error says why it
// is not usable (unknown to the master, not answering, master problem).
func (ctl *Controller) Reachable(ctx context.Context, id string) error {
	return reachable(ctx, ctl.Node, id, ctl.PingTries, ctl.PingTimeout)
}

// reachable pings id through node up to tries times.
func reachable(ctx context.Context, node Node, id string, tries int, timeout time.Duration) error {
	tries = max(tries, 1)
	var last error
	for i := 0; i < tries; i++ {
		ok, err := node.Ping(ctx, id, timeout)
		if ok {
			return nil
		}
		var unk *UnknownMinionError
		if errors.As(err, &unk) || ctx.Err() != nil {
			return errors.Join(err, ctx.Err())
		}
		if err != nil && !errors.Is(err, ErrUnreachable) {
			return err // the master itself is the problem
		}
		last = &UnreachableError{ID: id, Why: fmt.Sprintf("no answer to test.ping after %d tries", i+1)}
	}
	return last
}

// fail marks ret failed and adds msg to its comment, in red.
func (ctl *Controller) fail(ret *Result, msg string) {
	ret.Fail()
	ret.Comment(ctl.Paint.Red(msg) + "\n")
}
