// Package run is saltgo's salt-run / mastersalt-run: it runs one runner
// function in-process on the master host, with the master's configuration,
// and prints its return value the way Salt's salt-run does. Runner functions
// are host.Runner modules; a function saltgo does not host is handed to the
// Python salt-run named by the master option saltgo_python_salt_run.
package run

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path"
	"sort"
	"strings"
	"syscall"

	"github.com/saltgo/saltgo/cli/console"
	"github.com/saltgo/saltgo/cli/display"
	"github.com/saltgo/saltgo/cli/logging"
	"github.com/saltgo/saltgo/cli/optparse"
	"github.com/saltgo/saltgo/cli/stdopts"
	"github.com/saltgo/saltgo/client"
	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/jid"

	// The runners saltgo hosts.
	_ "github.com/saltgo/saltgo/runners/all"
)

// Exit codes of Salt's salt-run.
const (
	exitOK      = host.ExitOK
	exitGeneric = host.ExitGeneric
	exitUsage   = host.ExitUsage
)

// saltRunners are the runner modules of Salt 3007: a call to one that
// saltgo does not host gets a clear error (or goes to the Python salt-run),
// while a name Salt does not know either gets Salt's own answer.
var saltRunners = map[string]bool{}

func init() {
	for _, m := range strings.Fields("asam auth bgp cache cloud config ddns digicertapi doc drac error event f5 fileserver git_pillar http jobs launchd lxc manage match mattermost mine nacl net network pagerduty pillar pkg queue reactor salt saltutil sdb smartos_vmadm spacewalk ssh state survey test thin vault venafiapi virt vistara winrepo") {
		saltRunners[m] = true
	}
}

// PythonSaltRunKey is the master option naming the Python salt-run that
// runs the runner functions saltgo does not host.
const PythonSaltRunKey = "saltgo_python_salt_run"

const description = "salt-run is the frontend command for executing Salt Runners.\nSalt Runners are modules used to execute convenience functions on the Salt Master"

func parser(prog string) *optparse.Parser {
	opts := append(stdopts.StdOptions(), []*optparse.Option{
		{Short: "t", Long: "timeout", Kind: optparse.Int, Meta: "TIMEOUT", Help: "Change the timeout, if applicable, for the running command (in seconds). Default: the master's timeout option."},
		{Long: "hard-crash", Kind: optparse.Flag, Dest: "hard_crash", Help: "Raise any original exception rather than exiting gracefully."},
		{Long: "saltfile", Kind: optparse.String, Meta: "SALTFILE", Help: "Specify the path to a Saltfile (ignored by saltgo)."},
		{Long: "args-stdin", Kind: optparse.Flag, Dest: "args_stdin", Help: "Read additional options and/or arguments from stdin (ignored by saltgo)."},
		{Long: "no-parse", Kind: optparse.String, Dest: "no_parse", Meta: "ARGNAMES", Help: "Parse no arguments named here (comma-separated); pass them as strings."},
		{Long: "jid", Kind: optparse.String, Meta: "JID", Help: "Pass a JID to be used instead of generating one."},
		{Short: "d", Long: "doc", Kind: optparse.Flag, Help: "Display documentation for runners, pass a runner or runner.function to see documentation on only that runner or function."},
		{Long: "documentation", Kind: optparse.Flag, Dest: "doc", Help: "Same as --doc."},
		{Long: "async", Kind: optparse.Flag, Help: "Start the runner operation and immediately return control."},
		{Long: "skip-grains", Kind: optparse.Flag, Dest: "skip_grains", Help: "Do not load grains."},
		{Long: "quiet", Kind: optparse.Flag, Help: "Do not display the results of the run."},
	}...)
	opts = append(opts, logging.LogOptions()...)
	opts = append(opts, display.OutputOptions()...)
	return &optparse.Parser{Prog: prog, Usage: prog + " [options] <function> [arguments]", Options: opts}
}

// Main runs salt-run with the program name prog ("salt-run" or
// "mastersalt-run", which selects the flavour) and arguments args (without
// the program name), and returns the exit code.
func Main(ctx context.Context, prog string, args []string, stdio console.IO) int {
	p := parser(prog)
	r, code, done := stdopts.Parse(p, args, description, stdio.Stdout, stdio.Stderr)
	if done {
		return code
	}
	if r.Bool("doc") && len(r.Args) > 1 {
		return stdopts.Usage(p, stdio.Stderr, errors.New("You can only get documentation for one method at one time"))
	}
	log, usage := logging.ConsoleLogger(p, r, stdio.Stderr)
	if usage != "" {
		fmt.Fprint(stdio.Stderr, usage)
		return exitUsage
	}

	cfg, err := config.Load(ctx, config.Options{Flavour: config.FlavourFromArgv0(prog), Role: config.Master, ConfigDir: r.Str("config_dir"), Logger: log})
	if err != nil {
		fmt.Fprintf(stdio.Stderr, "%s\n", err)
		return exitGeneric
	}
	if n, ok := r.IntVal("timeout"); ok {
		cfg.Raw.Set("timeout", int64(n))
	}
	printer, err := display.NewPrinter(r, stdio.Stdout, stdio.StdoutTTY, log)
	if err != nil {
		fmt.Fprintf(stdio.Stderr, "%s\n", err)
		return exitUsage
	}
	if r.Bool("quiet") {
		printer.Out = "quiet"
	}

	fun := ""
	var words []string
	if len(r.Args) > 0 {
		fun, words = r.Args[0], r.Args[1:]
	}
	if r.Bool("doc") {
		printDocs(stdio, fun)
		return exitOK
	}

	// Routing first: a function saltgo does not host goes to Python's
	// salt-run, or gets a clear answer.
	if _, _, lerr := host.Lookup(host.Runner, fun); lerr != nil {
		if py, ok := cfg.Raw.String(PythonSaltRunKey); ok && py != "" && fun != "" {
			return execPython(ctx, py, prog, args, stdio, log)
		}
		hosted := strings.Join(host.FunctionNames(host.Runner), ", ")
		if mod, _, _ := strings.Cut(fun, "."); saltRunners[mod] {
			// A runner of Salt's own that saltgo does not host: say so
			// instead of pretending it does not exist.
			fmt.Fprintf(stdio.Stderr, "%s: %s is a Salt runner that saltgo does not host.\nsaltgo hosts: %s.\nSet %s: /path/to/python/salt-run in the master config to hand such calls to Python's salt-run.\n", prog, fun, hosted, PythonSaltRunKey)
			return exitGeneric
		}
		log.Info(fmt.Sprintf("saltgo hosts these runner functions: %s; set %s in the master config to run others with Python's salt-run", hosted, PythonSaltRunKey))
		return printNotAvailable(printer, fun, lerr)
	}

	if r.Bool("async") {
		return runAsync(ctx, prog, args, stdio, log)
	}

	var noParse []string
	if s := r.Str("no_parse"); s != "" {
		noParse = strings.Split(s, ",")
	}
	arglist := host.ParseInput(words, noParse)
	env := &host.Env{ID: cfg.ID, Opts: cfg.Raw, Config: cfg, Log: log, Stdout: stdio.Stdout, Stderr: stdio.Stderr}
	if cl, err := client.New(cfg); err == nil {
		cl.Log = log
		client.Shared.Set(env, cl)
		defer cl.Close()
	}

	ret, out, code := host.Run(ctx, env, host.Request{Kind: host.Runner, Fun: fun, Args: arglist}).SaltRunReturn()
	if m, ok := ret.(*data.Map); ok && m.Len() == 2 && m.Has("data") && m.Has("outputter") {
		o, _ := m.String("outputter")
		ret, _ = m.Get("data")
		out = o
	}
	if err := printer.Print(ret, out); err != nil {
		fmt.Fprintf(stdio.Stderr, "%s\n", err)
		return exitGeneric
	}
	if code != exitOK {
		return code
	}
	return retcodeOf(ret)
}

// retcodeOf is salt-run's exit code for a successful run: a returned dict's
// "retcode" (or "data"."retcode"), else 0.
func retcodeOf(ret any) int {
	m, ok := ret.(*data.Map)
	if !ok {
		return exitOK
	}
	if v, ok := m.Get("retcode"); ok {
		if n, ok := data.AsInt(v); ok {
			return int(n)
		}
		return exitGeneric
	}
	if d, ok := m.Get("data"); ok {
		if dm, ok := d.(*data.Map); ok {
			if v, ok := dm.Get("retcode"); ok {
				if n, ok := data.AsInt(v); ok {
					return int(n)
				}
				return exitGeneric
			}
		}
	}
	return exitOK
}

// printNotAvailable prints what salt-run prints when a function cannot be
// run (host.RunnerNotAvailable); salt-run exits 0 then.
func printNotAvailable(printer *display.Printer, fun string, err error) int {
	if perr := printer.Print(host.RunnerNotAvailable(fun, err), "nested"); perr != nil {
		return exitGeneric
	}
	return exitOK
}

// printDocs prints the docs of the runner functions selected by arg as
// salt-run -d does: all of them, a glob, a module or one function.
func printDocs(stdio console.IO, arg string) {
	var names []string
	for _, n := range host.FunctionNames(host.Runner) {
		switch {
		case arg == "":
		case strings.Contains(arg, "*"):
			if ok, _ := path.Match(arg, n); !ok {
				continue
			}
		default:
			prefix := arg
			if !strings.HasSuffix(prefix, ".") {
				prefix += "."
			}
			if n != arg && !strings.HasPrefix(n, prefix) {
				continue
			}
		}
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		f, _, _ := host.Lookup(host.Runner, n)
		if f == nil {
			continue
		}
		fmt.Fprintf(stdio.Stdout, "%s:\n%s\n", n, host.StripRST(f.Doc))
	}
}

// execPython runs the configured Python salt-run with the same arguments.
func execPython(ctx context.Context, py, prog string, args []string, stdio console.IO, log *slog.Logger) int {
	cmd := exec.CommandContext(ctx, py, args...)
	cmd.Stdin = os.Stdin
	cmd.Stdout = stdio.Stdout
	cmd.Stderr = stdio.Stderr
	log.Debug(fmt.Sprintf("%s: handing over to %s", prog, py))
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	fmt.Fprintf(stdio.Stderr, "%s: cannot run %s (%s): %v\n", prog, py, PythonSaltRunKey, err)
	return exitGeneric
}

// Spawn starts a detached copy of this program for --async runs; tests
// replace it.
var Spawn = func(prog string, args []string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(exe, args...)
	cmd.Args[0] = prog
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	return cmd.Start()
}

// runAsync starts the runner in a detached process and returns at once, as
// salt-run --async does.
func runAsync(ctx context.Context, prog string, args []string, stdio console.IO, log *slog.Logger) int {
	var rest []string
	for _, a := range args {
		if a != "--async" {
			rest = append(rest, a)
		}
	}
	id := jid.New()
	rest = append([]string{"--jid", id}, rest...)
	if err := Spawn(prog, rest); err != nil {
		fmt.Fprintf(stdio.Stderr, "%s: cannot start the runner in the background: %v\n", prog, err)
		return exitGeneric
	}
	log.Warn("Running in asynchronous mode. Results of this execution may be collected by attaching to the master event bus or by examining the master job cache, if configured. This execution is running under tag salt/run/" + id)
	return exitOK
}
