// Package minion is saltgo's salt-minion / mastersalt-minion front door: it
// loads the minion configuration, signs in to the master and serves
// published jobs with the compiled-in modules until it is stopped.
package minion

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/saltgo/saltgo/atomicfile"
	"github.com/saltgo/saltgo/cli/common"
	"github.com/saltgo/saltgo/cli/optparse"
	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/minion"
)

func parser(prog string) *optparse.Parser {
	opts := append(common.StdOptions(), []*optparse.Option{
		{Short: "d", Long: "daemon", Kind: optparse.Flag, Help: "Not supported: saltgo runs in the foreground under a service manager (see dist/systemd)."},
		{Long: "pid-file", Kind: optparse.String, Dest: "pidfile", Meta: "PIDFILE", Help: "Specify the location of the pidfile."},
		{Short: "u", Long: "user", Kind: optparse.String, Meta: "USER", Help: "Specify user to run salt-minion (saltgo runs as the invoking user)."},
		{Long: "disable-keepalive", Kind: optparse.Flag, Dest: "disable_keepalive", Help: "Accepted for compatibility."},
		{Long: "id", Kind: optparse.String, Meta: "ID", Help: "Specify the minion id to use (saltgo extension)."},
	}...)
	opts = append(opts, common.LogOptions()...)
	return &optparse.Parser{Prog: prog, Usage: prog + " [options]", Options: opts}
}

// Main runs the minion until ctx ends; it returns the process exit code (77
// when the master rejected the key, as Salt's minion does).
func Main(ctx context.Context, prog string, args []string, stdout, stderr io.Writer) int {
	p := parser(prog)
	r, err := p.Parse(args)
	if err != nil {
		fmt.Fprint(stderr, p.UsageError(err))
		return 64
	}
	if common.StdActions(p, r, "The Salt minion, implemented by saltgo: signs in to a Salt master and runs the jobs it publishes.", stdout) {
		return 0
	}
	switch {
	case r.Bool("daemon"):
		fmt.Fprint(stderr, p.UsageError(errors.New("-d/--daemon is not supported: run saltgo in the foreground under systemd (dist/systemd)")))
		return 64
	}
	flav := config.FlavourFromArgv0(prog)
	bootLog := slog.New(common.NewConsoleHandler(stderr, slog.LevelWarn))
	cfg, err := config.Load(ctx, config.Options{Flavour: flav, Role: config.Minion, ConfigDir: r.Str("config_dir"), MinionID: r.Str("id"), CacheMinionID: true, Logger: bootLog})
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 78 // EX_CONFIG
	}
	if id := r.Str("id"); id != "" {
		cfg.ID = id
		cfg.Raw.Set("id", id)
	}
	log, closeLog, err := logger(cfg, r, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", prog, err)
		return 78
	}
	defer closeLog()
	if pf := r.Str("pidfile"); pf != "" {
		if err := atomicfile.WriteMkdir(pf, []byte(fmt.Sprintf("%d\n", os.Getpid())), 0o644, 0o755); err != nil {
			log.Error(fmt.Sprintf("cannot write the pid file: %v", err))
		} else {
			defer os.Remove(pf)
		}
	}
	ex := &Executor{Config: cfg, Log: log}
	err = minion.Run(ctx, cfg, minion.Options{
		Executor: ex,
		Logger:   log,
		Grains: func(ctx context.Context) (*data.Map, error) {
			return common.CollectGrains(ctx, cfg, log)
		},
	})
	var exit *minion.ExitError
	switch {
	case errors.As(err, &exit):
		log.Error(exit.Error())
		return exit.Code
	case err != nil:
		log.Error(err.Error())
		return 1
	}
	return 0
}

func logger(cfg *config.Config, r *optparse.Result, stderr io.Writer) (*slog.Logger, func(), error) {
	lvlName := r.Str("log_level")
	if lvlName == "" {
		lvlName = cfg.LogLevel
	}
	lvl, err := common.ParseLevel(lvlName)
	if err != nil {
		return nil, nil, err
	}
	handlers := []slog.Handler{common.NewConsoleHandler(stderr, lvl)}
	closer := func() {}
	logFile := r.Str("log_file")
	if logFile == "" {
		logFile = cfg.LogFile
	}
	if logFile != "" {
		fileLvlName := r.Str("log_level_logfile")
		if fileLvlName == "" {
			fileLvlName = cfg.LogLevelLogfile
		}
		if fileLvlName == "" {
			fileLvlName = lvlName
		}
		flvl, err := common.ParseLevel(fileLvlName)
		if err != nil {
			return nil, nil, err
		}
		if err := os.MkdirAll(filepath.Dir(logFile), 0o700); err == nil {
			f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
			if err == nil {
				handlers = append(handlers, common.NewFileHandler(f, flvl))
				closer = func() { f.Close() }
			} else {
				fmt.Fprintf(stderr, "[WARNING ] cannot open the log file %s: %v\n", logFile, err)
			}
		}
	}
	return slog.New(common.Fanout(handlers...)), closer, nil
}

// Executor runs published jobs with the module host: one Go function
// behind the minion and salt-call alike.
type Executor struct {
	Config *config.Config
	Log    *slog.Logger
}

// Run implements minion.Executor.
func (e *Executor) Run(ctx context.Context, fun string, args []any, pub *data.Map) (any, int, string, error) {
	env := &host.Env{ID: e.Config.ID, Opts: e.Config.Raw, Log: e.Log, Services: map[string]any{"config": e.Config}}
	if m, ok := minion.FromContext(ctx); ok {
		env.Grains, env.Pillar = m.Grains(), m.Pillar()
		env.Services["minion"] = m
	}
	if env.Grains == nil {
		env.Grains = data.M("id", e.Config.ID)
	}
	if env.Pillar == nil {
		env.Pillar = data.NewMap()
	}
	res := host.Execute(ctx, env, host.Exec, fun, args, pub)
	return res.Return, res.Retcode, res.Out, nil
}
