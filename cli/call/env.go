package call

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/grains"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/minion/match"
	"github.com/saltgo/saltgo/pillar"
)

// request is what salt-call's command line says about its environment.
type request struct {
	Prog       string
	ConfigDir  string
	Local      bool
	ID         string
	Master     string
	PillarRoot string
	FileRoot   string
	CacheDir   string
	SkipGrains bool
	Log        *slog.Logger
}

// MasterSession is a signed-in connection to a master used by salt-call in
// its default (non --local) mode: pillar comes from the master, events go
// to its bus and the result goes back to it as a return event.
type MasterSession interface {
	Pillar(ctx context.Context, grains *data.Map) (*data.Map, error)
	Return(ctx context.Context, load *data.Map) error
	FireMaster(ctx context.Context, tag string, data any) error
	// Request sends one load on the encrypted request channel (the file
	// server's requests).
	Request(ctx context.Context, load *data.Map) (any, error)
	Close() error
}

// ConnectFunc signs in to the master named by the configuration.
type ConnectFunc func(ctx context.Context, cfg *config.Config, log *slog.Logger) (MasterSession, error)

// loadConfig loads the minion configuration for salt-call and applies the
// command-line overrides.
func loadConfig(ctx context.Context, req request) (*config.Config, error) {
	flav := config.FlavourFromArgv0(req.Prog)
	cfg, err := config.Load(ctx, config.Options{Flavour: flav, Role: config.Minion, ConfigDir: req.ConfigDir, MinionID: req.ID, Logger: req.Log})
	if err != nil {
		return nil, err
	}
	set := func(k string, v any) { cfg.Raw.Set(k, v) }
	if req.ID != "" {
		cfg.ID = req.ID
		set("id", req.ID)
	}
	if req.Local {
		cfg.FileClient = "local"
		set("file_client", "local")
		set("local", true)
	}
	if req.Master != "" {
		cfg.Master = []string{req.Master}
		set("master", req.Master)
	}
	if req.PillarRoot != "" {
		abs, _ := filepath.Abs(req.PillarRoot)
		cfg.PillarRoots = map[string][]string{"base": {abs}}
		set("pillar_roots", data.M("base", []any{abs}))
	}
	if req.FileRoot != "" {
		abs, _ := filepath.Abs(req.FileRoot)
		cfg.FileRoots = map[string][]string{"base": {abs}}
		set("file_roots", data.M("base", []any{abs}))
	}
	if req.CacheDir != "" {
		cfg.CacheDir = req.CacheDir
		set("cachedir", req.CacheDir)
	}
	return cfg, nil
}

// frontDoor is salt-call's side of one call: the configuration, the grains
// and pillar it hands to the function, and the master session of the
// default mode (nil with --local). It lends the function its grains and
// pillar refresh and, with a master, the master's event bus.
type frontDoor struct {
	cfg  *config.Config
	env  *host.Env
	sess MasterSession
	log  *slog.Logger
}

var (
	_ host.GrainsRefresher = (*frontDoor)(nil)
	_ host.PillarRefresher = (*frontDoor)(nil)
	_ host.EventSender     = MasterSession(nil)
	_ host.MasterRequester = MasterSession(nil)
)

// open builds the environment of a salt-call: configuration, grains and
// pillar (compiled locally with --local, else fetched from the master
// through connect). Close releases the master session.
func open(ctx context.Context, req request, connect ConnectFunc) (*frontDoor, error) {
	cfg, err := loadConfig(ctx, req)
	if err != nil {
		return nil, err
	}
	d := &frontDoor{cfg: cfg, log: req.Log}
	env := &host.Env{ID: cfg.ID, Opts: cfg.Raw, Config: cfg, Log: req.Log}
	d.env = env
	env.Services.Grains, env.Services.Pillar = d, d
	env.Local = cfg.FileClient == "local" || cfg.MasterType == "disable"
	env.Grains = data.M("id", cfg.ID)
	if !req.SkipGrains {
		g, err := grains.CollectFromConfig(ctx, cfg, req.Log)
		if err != nil {
			req.Log.Warn(fmt.Sprintf("grains: %v", err))
		}
		if g != nil {
			env.Grains = g
		}
	}
	if env.Local {
		p, err := d.compilePillar()
		if err != nil {
			req.Log.Error(fmt.Sprintf("Pillar render error: %v", err))
		}
		env.Pillar = p
		return d, nil
	}
	if connect == nil {
		return nil, fmt.Errorf("%s: this build cannot reach a master; use --local", req.Prog)
	}
	sess, err := connect(ctx, cfg, req.Log)
	if err != nil {
		return nil, err
	}
	p, err := sess.Pillar(ctx, env.Grains)
	if err != nil {
		sess.Close()
		return nil, err
	}
	env.Pillar = p
	d.sess = sess
	env.Services.Events = sess
	env.Services.Master = sess
	return d, nil
}

// Close releases the master session.
func (d *frontDoor) Close() {
	if d.sess != nil {
		d.sess.Close()
	}
}

// compilePillar compiles the pillar masterless. The top file's targets are
// matched by the minion's matchers with its id, grains, nodegroups and the
// pillar it holds so far (none on the first compile), as salt-call --local
// does with its opts.
func (d *frontDoor) compilePillar() (*data.Map, error) {
	ng, _ := d.cfg.Raw.Get("nodegroups")
	ngm, _ := ng.(*data.Map)
	return pillar.Compile(pillar.Options{Roots: d.cfg.PillarRoots, Env: d.cfg.Pillarenv,
		Minion: match.Minion{ID: d.cfg.ID, Grains: d.env.Grains, Pillar: d.env.Pillar, Nodegroups: ngm}})
}

// RefreshGrains collects the grains anew for the rest of the call.
func (d *frontDoor) RefreshGrains(ctx context.Context) (*data.Map, error) {
	g, err := grains.CollectFromConfig(ctx, d.cfg, d.log)
	if g == nil {
		return nil, err
	}
	if err != nil {
		d.log.Warn(fmt.Sprintf("grains: %v", err))
	}
	d.env.Grains = g
	return g, nil
}

// RefreshPillar compiles the pillar anew (on the master in the default
// mode) for the rest of the call.
func (d *frontDoor) RefreshPillar(ctx context.Context) (*data.Map, error) {
	var (
		p   *data.Map
		err error
	)
	if d.sess != nil {
		p, err = d.sess.Pillar(ctx, d.env.Grains)
	} else {
		p, err = d.compilePillar()
	}
	if err != nil {
		return nil, err
	}
	d.env.Pillar = p
	return p, nil
}

// returnEvent sends a salt-call result to the master (jid "req"), as
// salt-call does unless --no-return-event; failures are logged only.
func (d *frontDoor) returnEvent(ctx context.Context, load *data.Map) {
	if d.sess == nil {
		return
	}
	if err := d.sess.Return(ctx, load); err != nil {
		d.log.Debug(fmt.Sprintf("return event not sent: %v", err))
	}
}
