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
	"github.com/saltgo/saltgo/cli/logging"
	"github.com/saltgo/saltgo/cli/optparse"
	"github.com/saltgo/saltgo/cli/stdopts"
	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/grains"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/minion"
)

func parser(prog string) *optparse.Parser {
	opts := append(stdopts.StdOptions(), []*optparse.Option{
		{Short: "d", Long: "daemon", Kind: optparse.Flag, Help: "Not supported: saltgo runs in the foreground under a service manager (see dist/systemd)."},
		{Long: "pid-file", Kind: optparse.String, Dest: "pidfile", Meta: "PIDFILE", Help: "Specify the location of the pidfile."},
		{Short: "u", Long: "user", Kind: optparse.String, Meta: "USER", Help: "Specify user to run salt-minion (saltgo runs as the invoking user)."},
		{Long: "disable-keepalive", Kind: optparse.Flag, Dest: "disable_keepalive", Help: "Accepted for compatibility."},
		{Long: "id", Kind: optparse.String, Meta: "ID", Help: "Specify the minion id to use (saltgo extension)."},
	}...)
	opts = append(opts, logging.LogOptions()...)
	return &optparse.Parser{Prog: prog, Usage: prog + " [options]", Options: opts}
}

// Main runs the minion until ctx ends; it returns the process exit code (77
// when the master rejected the key, as Salt's minion does).
func Main(ctx context.Context, prog string, args []string, stdout, stderr io.Writer) int {
	p := parser(prog)
	r, code, done := stdopts.Parse(p, args, "The Salt minion, implemented by saltgo: signs in to a Salt master and runs the jobs it publishes.", stdout, stderr)
	if done {
		return code
	}
	switch {
	case r.Bool("daemon"):
		return stdopts.Usage(p, stderr, errors.New("-d/--daemon is not supported: run saltgo in the foreground under systemd (dist/systemd)"))
	}
	flav := config.FlavourFromArgv0(prog)
	bootLog := slog.New(logging.NewConsoleHandler(stderr, slog.LevelWarn))
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
			return grains.CollectFromConfig(ctx, cfg, log)
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
	lvl, err := logging.ParseLevel(lvlName)
	if err != nil {
		return nil, nil, err
	}
	handlers := []slog.Handler{logging.NewConsoleHandler(stderr, lvl)}
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
		flvl, err := logging.ParseLevel(fileLvlName)
		if err != nil {
			return nil, nil, err
		}
		if err := os.MkdirAll(filepath.Dir(logFile), 0o700); err == nil {
			f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
			if err == nil {
				handlers = append(handlers, logging.NewFileHandler(f, flvl))
				closer = func() { f.Close() }
			} else {
				fmt.Fprintf(stderr, "[WARNING ] cannot open the log file %s: %v\n", logFile, err)
			}
		}
	}
	return slog.New(logging.Fanout(handlers...)), closer, nil
}

// Executor runs published jobs with the module host: one Go function
// behind the minion and salt-call alike.
type Executor struct {
	Config *config.Config
	Log    *slog.Logger
}

// The minion lends the functions it runs its job table, its event sender
// and its grains and pillar refresh.
var (
	_ minion.Executor      = (*Executor)(nil)
	_ host.JobTable        = (*minion.Minion)(nil)
	_ host.EventSender     = (*minion.Minion)(nil)
	_ host.GrainsRefresher = (*minion.Minion)(nil)
	_ host.MasterRequester = (*minion.Minion)(nil)
	_ host.PillarRefresher = (*minion.Minion)(nil)
)

// Run implements minion.Executor: the job's function runs through
// host.Run with the minion's grains and pillar, and a failure becomes the
// return a Python minion sends.
func (e *Executor) Run(ctx context.Context, c *minion.Call) minion.Return {
	env := &host.Env{ID: e.Config.ID, Opts: e.Config.Raw, Config: e.Config, Log: e.Log, Grains: c.Grains, Pillar: c.Pillar}
	if m := c.Minion; m != nil {
		env.Services = host.Services{Jobs: m, Grains: m, Pillar: m, Events: m, Master: m}
	}
	res := host.Run(ctx, env, host.Request{Kind: host.Exec, Fun: c.Fun, Args: c.Args, Pub: c.Pub})
	ret, rc, out := res.MinionReturn()
	return minion.Return{Return: ret, Retcode: rc, Out: out}
}
