// Package grains collects Salt's core grains on Linux.
//
// Grains come from collectors, in the style of Prometheus' node_exporter:
// each collector is a function that returns some grains, kept in the file
// of its Salt grain function or family and named in the builtin table
// (more can be added with Register).
// Collect runs the enabled collectors in name order (the names follow
// Salt's grain modules and functions, e.g. "core.os_data", so the
// resulting map has the key order Salt produces), isolates failures and
// panics (a failing collector is logged and skipped), times each collector,
// applies grains_blacklist to each collector's grains, then merges the
// minion's `grains` option. The static grains file is the "extra.config"
// collector, as in Salt.
//
// Every file read goes through Options.Root and every system call through
// Options.System, so tests run against fixtures (testdata/).
package grains

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/saltgo/saltgo/data"
)

// SaltVersion is the Salt release whose protocol and grains saltgo speaks.
const SaltVersion = "3007.14"

// SaltVersionInfo is SaltVersion as the saltversioninfo grain.
var SaltVersionInfo = []any{int64(3007), int64(14)}

// CollectorFunc returns the grains of one collector. It must be cheap (no
// process spawning, no unbounded network waits) and honour ctx.
type CollectorFunc func(ctx context.Context, e *Env) (*data.Map, error)

// CollectorInfo describes a registered collector.
type CollectorInfo struct {
	Name             string
	EnabledByDefault bool
	fn               CollectorFunc
}

// builtin are saltgo's collectors, all enabled by default; each lives in
// the file named after its Salt grain function (core_dns.go), or after the
// family it belongs to (core_ids.go, core_network.go, extra.go).
var builtin = []struct {
	name string
	fn   CollectorFunc
}{
	{"core.default_gateway", collectDefaultGateway},
	{"core.dns", collectDNS},
	{"core.fqdns", collectFQDNs},
	{"core.get_machine_id", collectMachineID},
	{"core.get_master", collectMaster},
	{"core.get_server_id", collectServerID},
	{"core.hostname", collectHostname},
	{"core.hwaddr_interfaces", collectHWAddr},
	{"core.id_", collectID},
	{"core.ip4_interfaces", ifaceCollector("ip4_interfaces", true, false)},
	{"core.ip6_interfaces", ifaceCollector("ip6_interfaces", false, true)},
	{"core.ip_fqdn", collectIPFQDN},
	{"core.ip_interfaces", ifaceCollector("ip_interfaces", true, true)},
	{"core.locale_info", collectLocale},
	{"core.os_data", collectOSData},
	{"core.saltversion", collectSaltVersion},
	{"core.saltversioninfo", collectSaltVersionInfo},
	{"disks.disks", collectDisks},
	{"extra.config", collectGrainsFile},
	{"extra.shell", collectShell},
	{"extra.transactional", collectTransactional},
	{"extra.uefi", collectUEFI},
	{"minion_process", collectProcess},
	{"saltgo", collectSaltgo},
}

var (
	regMu      sync.Mutex
	collectors = map[string]CollectorInfo{}
)

func init() {
	for _, c := range builtin {
		Register(c.name, true, c.fn)
	}
}

// Register adds a collector; it panics on a duplicate name (a programmer
// error caught at init time).
func Register(name string, enabledByDefault bool, fn CollectorFunc) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := collectors[name]; dup {
		panic("grains: duplicate collector " + name)
	}
	collectors[name] = CollectorInfo{Name: name, EnabledByDefault: enabledByDefault, fn: fn}
}

// Collectors lists the registered collectors in run order.
func Collectors() []CollectorInfo {
	regMu.Lock()
	defer regMu.Unlock()
	out := make([]CollectorInfo, 0, len(collectors))
	for _, c := range collectors {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Options configure Collect.
type Options struct {
	// Root prefixes every file read (/proc, /sys, /etc...); "" means "/".
	Root string
	// System answers what files cannot (uname, hostname, interfaces,
	// process ids, environment); nil means the live system.
	System System
	// ID is the minion id (opts id); Master the master option (a string or
	// a list, reported as is).
	ID     string
	Master any
	// SaltgoVersion fills the saltgo grain ({version: ...}).
	SaltgoVersion string
	// Enabled turns collectors on or off by name, over their default.
	Enabled map[string]bool
	// ConfigGrains is the minion's `grains` option, merged last over all
	// other grains (not blacklisted).
	ConfigGrains *data.Map
	// GrainsFile is the static grains file (CONFIG_DIR/grains), read by the
	// extra.config collector; "" means none.
	GrainsFile string
	// Blacklist is grains_blacklist: glob patterns of grains to drop.
	Blacklist []string
	// EnableGPUGrains mirrors enable_gpu_grains.
	EnableGPUGrains bool
	// DNSTimeout bounds the DNS lookups of fqdn/fqdn_ip4/fqdn_ip6; zero
	// means no DNS at all (only /etc/hosts), which keeps Collect fast.
	DNSTimeout time.Duration
	// Logger receives collector failures; nil means slog.Default().
	Logger *slog.Logger
}

// Timing is the run of one collector.
type Timing struct {
	Name     string
	Duration time.Duration
	// Err is the collector's error or recovered panic, nil on success.
	Err error
}

// Result is the outcome of Collect.
type Result struct {
	// Grains are the final grains, in Salt's key order.
	Grains *data.Map
	// Timings has one entry per collector run, in run order.
	Timings []Timing
}

// Env is what collectors see: the options and cached shared facts.
type Env struct {
	Opts Options
	Sys  System

	mu    sync.Mutex
	cache map[string]any
}

// Path returns p (an absolute path) under the options' root.
func (e *Env) Path(p string) string {
	if e.Opts.Root == "" || e.Opts.Root == "/" {
		return p
	}
	return filepath.Join(e.Opts.Root, p)
}

// ReadFile reads p (an absolute path) under the root.
func (e *Env) ReadFile(p string) ([]byte, error) { return os.ReadFile(e.Path(p)) }

// ReadString reads p under the root and trims surrounding white space; a
// missing file gives "".
func (e *Env) ReadString(p string) string {
	b, err := e.ReadFile(p)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// Exists reports whether p exists under the root.
func (e *Env) Exists(p string) bool {
	_, err := os.Stat(e.Path(p))
	return err == nil
}

// IsDir reports whether p is a directory under the root.
func (e *Env) IsDir(p string) bool {
	st, err := os.Stat(e.Path(p))
	return err == nil && st.IsDir()
}

// Once computes a shared fact once per Collect (interfaces, os-release...).
func (e *Env) Once(key string, f func() any) any {
	e.mu.Lock()
	defer e.mu.Unlock()
	if v, ok := e.cache[key]; ok {
		return v
	}
	v := f()
	e.cache[key] = v
	return v
}

// Collect runs the enabled collectors and returns the merged grains. It
// only fails when ctx is done; collector failures are logged and reported
// in the timings.
func Collect(ctx context.Context, opts Options) (*Result, error) {
	if opts.Root == "" {
		opts.Root = "/"
	}
	sys := opts.System
	if sys == nil {
		sys = LiveSystem{}
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	e := &Env{Opts: opts, Sys: sys, cache: map[string]any{}}
	res := &Result{Grains: data.NewMap()}
	for _, c := range Collectors() {
		on := c.EnabledByDefault
		if v, ok := opts.Enabled[c.Name]; ok {
			on = v
		}
		if !on {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("collect grains: %w", err)
		}
		start := time.Now()
		g, err := runCollector(ctx, c, e)
		t := Timing{Name: c.Name, Duration: time.Since(start), Err: err}
		res.Timings = append(res.Timings, t)
		if err != nil {
			log.Warn("grains collector failed", "collector", c.Name, "err", err)
			continue
		}
		ApplyBlacklist(g, opts.Blacklist)
		g.Range(func(k, v any) bool { res.Grains.Set(k, v); return true })
	}
	// The minion's `grains` option comes last and is not blacklisted, as in
	// salt.loader.grains.
	if opts.ConfigGrains != nil {
		opts.ConfigGrains.Range(func(k, v any) bool { res.Grains.Set(k, v); return true })
	}
	return res, nil
}

func runCollector(ctx context.Context, c CollectorInfo, e *Env) (g *data.Map, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
			g = nil
		}
	}()
	g, err = c.fn(ctx, e)
	if err == nil && g == nil {
		g = data.NewMap()
	}
	return g, err
}
