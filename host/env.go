package host

import (
	"context"
	"io"
	"log/slog"

	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
)

// Env is what a running function sees of the process that hosts it: the
// minion, salt-call or salt-run fill it in before they call Run.
type Env struct {
	// ID is the minion id (or the master id for runners).
	ID string
	// Opts is the merged configuration, every key as loaded.
	Opts *data.Map
	// Config is the loaded configuration the options come from (paths
	// such as the grains file, the flavour); nil when the caller built
	// Opts by hand.
	Config *config.Config
	// Grains and Pillar are this host's grains and pillar, as the front
	// door had them when the call started.
	Grains *data.Map
	Pillar *data.Map
	// Local is true for masterless calls (salt-call --local).
	Local bool
	// Log receives module log lines.
	Log *slog.Logger
	// Stdout is where the front door prints its results (salt-run: Salt's
	// runner client prints some messages there); nil means nowhere.
	Stdout io.Writer
	// Stderr receives progress lines meant for an operator; nil means the
	// process's standard error.
	Stderr io.Writer
	// Services are what the front door lends to the functions it runs.
	Services Services

	values map[any]any
}

// Services are the capabilities a front door lends to the functions it
// runs. Each is optional: nil means that this front door has no such
// thing, and the function does what Salt does without it.
type Services struct {
	// Jobs is the job table of a minion (saltutil.running, find_job,
	// kill_job).
	Jobs JobTable
	// Grains collects the grains anew (saltutil.refresh_grains).
	Grains GrainsRefresher
	// Pillar fetches or compiles the pillar anew (saltutil.refresh_pillar).
	Pillar PillarRefresher
	// Events sends events to the master's event bus (event.send,
	// event.fire_master).
	Events EventSender
	// Master sends requests on the master's encrypted request channel
	// (the file server's _serve_file, _file_hash..., _master_opts); nil
	// when there is no master (masterless, salt-run).
	Master MasterRequester
}

// MasterRequester sends one encrypted request to the master and returns
// its decoded reply (the minion's request channel, salt.channel.client).
type MasterRequester interface {
	Request(ctx context.Context, load *data.Map) (any, error)
}

// JobTable is the table of the jobs a minion runs.
type JobTable interface {
	// Running returns the data of the running jobs, oldest first.
	Running() []*data.Map
	// FindJob returns the data of a running job, or an empty map.
	FindJob(jid string) *data.Map
	// KillJob stops a running job and reports whether it was running.
	KillJob(jid string) bool
}

// GrainsRefresher collects this host's grains anew and keeps them for the
// calls that follow; it returns the new grains.
type GrainsRefresher interface {
	RefreshGrains(ctx context.Context) (*data.Map, error)
}

// PillarRefresher fetches the pillar anew (from the master, or compiles it
// locally when masterless) and keeps it for the calls that follow; it
// returns the new pillar.
type PillarRefresher interface {
	RefreshPillar(ctx context.Context) (*data.Map, error)
}

// EventSender sends an event to the master's event bus.
type EventSender interface {
	FireMaster(ctx context.Context, tag string, data any) error
}

// Clone returns a copy of the environment whose typed slots (Key) can be
// set without touching e's: the state engine gives each state its own.
func (e *Env) Clone() *Env {
	c := *e
	c.values = make(map[any]any, len(e.values))
	for k, v := range e.values {
		c.values[k] = v
	}
	return &c
}

// Logger returns the environment's logger (never nil).
func (e *Env) Logger() *slog.Logger {
	if e == nil || e.Log == nil {
		return slog.Default()
	}
	return e.Log
}

// Opt returns a configuration value.
func (e *Env) Opt(key string) (any, bool) {
	if e == nil {
		return nil, false
	}
	return e.Opts.Get(key)
}

// Key is a typed slot of an Env for a value whose type host cannot name:
// it belongs to the package that declares the key (the master client of
// package client, a module's test double). Only that package's key reads
// or writes the slot, and only with values of type T.
type Key[T any] struct{ name string }

// NewKey returns a new slot; name is for error messages and debugging.
func NewKey[T any](name string) *Key[T] { return &Key[T]{name: name} }

// String returns the key's name.
func (k *Key[T]) String() string { return k.name }

// Set puts v in the slot of env.
func (k *Key[T]) Set(env *Env, v T) {
	if env.values == nil {
		env.values = map[any]any{}
	}
	env.values[k] = v
}

// Get returns the value in the slot of env, if one was set.
func (k *Key[T]) Get(env *Env) (T, bool) {
	var zero T
	if env == nil {
		return zero, false
	}
	v, ok := env.values[k]
	if !ok {
		return zero, false
	}
	return v.(T), true
}
