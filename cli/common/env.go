package common

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/grains"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/pillar"
	"github.com/saltgo/saltgo/version"
)

// CallerRequest is what salt-call's command line says about its environment.
type CallerRequest struct {
	Prog       string
	ConfigDir  string
	Local      bool
	ID         string
	Master     string
	PillarRoot string
	FileRoot   string
	CacheDir   string
	LogFile    string
	SkipGrains bool
	Log        *slog.Logger
}

// MasterSession is a signed-in connection to a master used by salt-call in
// its default (non --local) mode: pillar comes from the master and the
// result goes back to it as a return event.
type MasterSession interface {
	Pillar(ctx context.Context, grains *data.Map) (*data.Map, error)
	Return(ctx context.Context, load *data.Map) error
	Close() error
}

// Connect signs in to the master named by the configuration; the minion
// package installs it. While it is nil, salt-call needs --local.
var Connect func(ctx context.Context, cfg *config.Config, log *slog.Logger) (MasterSession, error)

// CollectGrains gathers this host's grains as a minion with cfg would.
func CollectGrains(ctx context.Context, cfg *config.Config, log *slog.Logger) (*data.Map, error) {
	o := grains.OptionsFromConfig(cfg, version.Version)
	o.Logger = log
	r, err := grains.Collect(ctx, o)
	if r == nil {
		return nil, err
	}
	return r.Grains, err
}

// LoadConfig loads the minion configuration for a front door and applies
// the command-line overrides.
func LoadConfig(ctx context.Context, req CallerRequest) (*config.Config, error) {
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

// CallerEnv builds the environment of a salt-call: configuration, grains
// and pillar (compiled locally with --local, else fetched from the master).
// The returned func releases the master connection.
func CallerEnv(ctx context.Context, req CallerRequest) (*host.Env, func(), error) {
	cfg, err := LoadConfig(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	env := &host.Env{ID: cfg.ID, Opts: cfg.Raw, Log: req.Log, Services: map[string]any{"config": cfg}}
	env.Local = cfg.FileClient == "local" || cfg.MasterType == "disable"
	env.Grains = data.M("id", cfg.ID)
	if !req.SkipGrains {
		g, err := CollectGrains(ctx, cfg, req.Log)
		if err != nil {
			req.Log.Warn(fmt.Sprintf("grains: %v", err))
		}
		if g != nil {
			env.Grains = g
		}
	}
	if env.Local {
		p, err := pillar.Compile(pillar.Options{Roots: cfg.PillarRoots, Env: cfg.Pillarenv, ID: cfg.ID})
		if err != nil {
			req.Log.Error(fmt.Sprintf("Pillar render error: %v", err))
		}
		env.Pillar = p
		return env, func() {}, nil
	}
	if Connect == nil {
		return nil, nil, fmt.Errorf("%s: this build cannot reach a master; use --local", req.Prog)
	}
	sess, err := Connect(ctx, cfg, req.Log)
	if err != nil {
		return nil, nil, err
	}
	p, err := sess.Pillar(ctx, env.Grains)
	if err != nil {
		sess.Close()
		return nil, nil, err
	}
	env.Pillar = p
	env.Services["master"] = sess
	return env, func() { sess.Close() }, nil
}

// ReturnEvent sends a salt-call result to the master (jid "req"), as
// salt-call does unless --no-return-event; failures are logged only.
func ReturnEvent(ctx context.Context, env *host.Env, load *data.Map, log *slog.Logger) {
	s, ok := env.Service("master")
	if !ok {
		return
	}
	sess, ok := s.(MasterSession)
	if !ok {
		return
	}
	if err := sess.Return(ctx, load); err != nil {
		log.Debug(fmt.Sprintf("return event not sent: %v", err))
	}
}
