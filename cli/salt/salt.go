// Package salt is saltgo's salt / mastersalt: the publishing command an
// operator types on the master host (salt '<target>' <function> [args]).
// It reads the master configuration, publishes the job through the master
// with package client, gathers the returns from the master's event bus and
// prints them as Salt's salt CLI does: one outputter display per minion
// (the outputter the minion asks for, --out overriding it), or one
// document for all minions with --static, with Salt's exit codes.
package salt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/saltgo/saltgo/cli/console"
	"github.com/saltgo/saltgo/cli/display"
	"github.com/saltgo/saltgo/cli/logging"
	"github.com/saltgo/saltgo/cli/optparse"
	"github.com/saltgo/saltgo/cli/stdopts"
	"github.com/saltgo/saltgo/client"
	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
)

// Exit codes of Salt's salt CLI.
const (
	exitOK         = 0
	exitGeneric    = 1
	exitNoReturn   = 2  // no minion matched or nothing returned
	exitIncomplete = 42 // no target or no function
	exitUsage      = 64
)

const description = "Salt allows for commands to be executed across a swath of remote systems in\nparallel, so they can be both controlled and queried with ease."

func parser(prog string) *optparse.Parser {
	opts := []*optparse.Option{
		{Short: "c", Long: "config-dir", Kind: optparse.String, Dest: "config_dir", Meta: "CONFIG_DIR", Help: "Pass in an alternative configuration directory."},
		{Short: "h", Long: "help", Kind: optparse.Flag, Help: "show this help message and exit"},
		{Long: "version", Kind: optparse.Flag, Help: "show program's version number and exit"},
		{Short: "V", Long: "versions-report", Kind: optparse.Flag, Dest: "versions_report", Help: "Show program's dependencies version number and exit."},
		{Short: "t", Long: "timeout", Kind: optparse.Int, Meta: "TIMEOUT", Help: "Change the timeout, if applicable, for the running command (in seconds). Default: the master's timeout option (5)."},
		{Short: "s", Long: "static", Kind: optparse.Flag, Help: "Return the data from minions as a group after they all return."},
		{Long: "failhard", Kind: optparse.Flag, Help: "Stop batch execution upon first \"bad\" return."},
		{Long: "async", Kind: optparse.Flag, Help: "Run the salt command but don't wait for a reply."},
		{Short: "v", Long: "verbose", Kind: optparse.Flag, Help: "Turn on command verbosity, display jid and active job queries."},
		{Long: "hide-timeout", Kind: optparse.Flag, Dest: "hide_timeout", Help: "Hide minions that timeout."},
		{Long: "show-jid", Kind: optparse.Flag, Dest: "show_jid", Help: "Display jid without the additional output of --verbose."},
		{Short: "b", Long: "batch", Kind: optparse.String, Dest: "batch", Meta: "BATCH", Help: "Execute the salt job in batch mode, pass either the number of minions to batch at a time, or the percentage of minions to have running."},
		{Long: "batch-size", Kind: optparse.String, Dest: "batch", Meta: "BATCH", Help: "Same as --batch."},
		{Long: "batch-wait", Kind: optparse.Int, Dest: "batch_wait", Meta: "BATCH_WAIT", Help: "Wait the specified time in seconds after each job is done before freeing the slot in the batch for the next one."},
		{Long: "return", Kind: optparse.String, Dest: "return", Meta: "RETURNER", Help: "Set an alternative return method."},
		{Long: "return_config", Kind: optparse.String, Dest: "return_config", Meta: "RETURNER_CONF", Help: "Set an alternative return configuration."},
		{Long: "return_kwargs", Kind: optparse.String, Dest: "return_kwargs", Meta: "RETURNER_KWARGS", Help: "Set any returner options at the command line."},
		{Short: "d", Long: "doc", Kind: optparse.Flag, Help: "Return the documentation for the specified module or for all modules if none are specified."},
		{Long: "documentation", Kind: optparse.Flag, Dest: "doc", Help: "Same as --doc."},
		{Long: "args-separator", Kind: optparse.String, Dest: "args_separator", Meta: "ARGS_SEPARATOR", Help: "Set the special argument used as a delimiter between command arguments of compound commands."},
		{Long: "metadata", Kind: optparse.String, Meta: "METADATA", Help: "Pass metadata into Salt, used to search jobs."},
		{Long: "output-diff", Kind: optparse.Flag, Dest: "state_output_diff", Help: "Report only those states that have changed."},
		{Long: "module-executors", Kind: optparse.String, Dest: "module_executors", Meta: "MODULE_EXECUTORS", Help: "Set an alternative list of executors to override the one set in minion config."},
		{Long: "executor-opts", Kind: optparse.String, Dest: "executor_opts", Meta: "EXECUTOR_OPTS", Help: "Set alternate executor options if supported by executor."},
		{Long: "no-parse", Kind: optparse.String, Dest: "no_parse", Meta: "ARGNAMES", Help: "Parse no arguments named here (comma-separated); pass them as strings."},
		{Long: "hard-crash", Kind: optparse.Flag, Dest: "hard_crash", Help: "Raise any original exception rather than exiting gracefully."},
		{Long: "saltfile", Kind: optparse.String, Meta: "SALTFILE", Help: "Specify the path to a Saltfile (ignored by saltgo)."},
		{Long: "args-stdin", Kind: optparse.Flag, Dest: "args_stdin", Help: "Read additional options and/or arguments from stdin (ignored by saltgo)."},
	}
	for _, t := range targetOptions {
		opts = append(opts, &optparse.Option{Short: t.short, Long: t.long, Kind: optparse.Flag, Dest: t.dest, Help: "Target with a " + t.tgtType + " expression."})
	}
	opts = append(opts, &optparse.Option{Long: "delimiter", Kind: optparse.String, Meta: "DELIMITER", Help: "Change the default delimiter for matching in multi-level data structures. Default: ':'."})
	opts = append(opts, logging.LogOptions()...)
	opts = append(opts, display.OutputOptions()...)
	return &optparse.Parser{Prog: prog, Usage: prog + " [options] '<target>' <function> [arguments]", Options: opts}
}

// job is one parsed salt command line.
type job struct {
	tgt     any
	tgtType string
	fun     string
	args    []any
	extra   *data.Map // the publish kwargs
	ret     string
	static  bool
	showTO  bool
	verbose bool
	showJID bool
}

// Main runs salt with the program name prog ("salt" or "mastersalt", which
// selects the flavour) and arguments args (without the program name), and
// returns the exit code.
func Main(ctx context.Context, prog string, args []string, stdio console.IO) int {
	p := parser(prog)
	r, code, done := stdopts.Parse(p, args, description, stdio.Stdout, stdio.Stderr)
	if done {
		return code
	}
	level, err := logging.ParseLevel(r.Str("log_level"))
	if err != nil {
		return stdopts.Usage(p, stdio.Stderr, fmt.Errorf("option -l: %v", err))
	}
	tgtType := "glob"
	var selected []string
	for _, t := range targetOptions {
		if r.Bool(t.dest) {
			selected = append(selected, "--"+t.long)
			tgtType = t.tgtType
		}
	}
	if len(selected) > 1 {
		return stdopts.Usage(p, stdio.Stderr, fmt.Errorf("The options %s are mutually exclusive. Please only choose one of them", strings.Join(selected, "/")))
	}

	words := append([]string(nil), r.Args...)
	doc := r.Bool("doc")
	if len(words) <= 1 && !doc {
		fmt.Fprint(stdio.Stdout, p.Help(description))
	}
	if doc {
		if len(words) == 0 {
			words = []string{"*"}
		}
		if len(words) < 2 || words[1] != "sys.doc" {
			words = append([]string{words[0], "sys.doc"}, words[1:]...)
		}
		if len(words) > 3 {
			return stdopts.Usage(p, stdio.Stderr, errors.New("You can only get documentation for one method at one time."))
		}
	}
	if len(words) == 0 {
		fmt.Fprint(stdio.Stderr, "\nCannot execute command without defining a target.\n\n")
		return exitIncomplete
	}
	if len(words) == 1 {
		fmt.Fprint(stdio.Stderr, "\nIncomplete options passed.\n\n")
		return exitIncomplete
	}
	j := &job{tgtType: tgtType, fun: words[1], ret: r.Str("return"), static: r.Bool("static"),
		showTO: !r.Bool("hide_timeout"), verbose: r.Bool("verbose"), showJID: r.Bool("show_jid")}
	if tgtType == "list" {
		j.tgt = listTarget(words[0])
	} else {
		j.tgt = words[0]
	}
	if strings.Contains(j.fun, ",") {
		// Salt's compound commands (fun1,fun2 with per-function argument
		// lists) need a list-valued fun, which package client does not
		// publish yet.
		fmt.Fprintf(stdio.Stderr, "%s: compound commands (%s) are not supported by saltgo yet: run the functions one at a time\n", prog, j.fun)
		return exitGeneric
	}
	var noParse []string
	if s := r.Str("no_parse"); s != "" {
		noParse = strings.Split(s, ",")
	}
	j.args = host.ParseInput(words[2:], noParse)

	log := slog.New(logging.NewConsoleHandler(stdio.Stderr, level))
	cfg, err := config.Load(ctx, config.Options{Flavour: config.FlavourFromArgv0(prog), Role: config.Master, ConfigDir: r.Str("config_dir"), Logger: log})
	if err != nil {
		fmt.Fprintf(stdio.Stderr, "%s\n", err)
		return exitGeneric
	}
	cl, err := client.New(cfg)
	if err != nil {
		fmt.Fprintf(stdio.Stderr, "%s\n", err)
		return exitNoReturn
	}
	defer cl.Close()
	cl.Log = log
	if n, ok := r.IntVal("timeout"); ok && n > 0 {
		cl.Timeout = time.Duration(n) * time.Second
	}
	j.extra = data.M("show_timeout", j.showTO, "show_jid", j.showJID, "delimiter", ":")
	if d := r.Str("delimiter"); d != "" {
		j.extra.Set("delimiter", d)
	}
	for _, k := range []string{"return_config", "return_kwargs", "module_executors", "executor_opts", "metadata"} {
		if v := r.Str(k); v != "" {
			name := k
			switch k {
			case "return_config":
				name = "ret_config"
			case "return_kwargs":
				name = "ret_kwargs"
			}
			var val any = v
			if k != "return_config" {
				val = host.YamlifyArg(v)
			}
			j.extra.Set(name, val)
		}
	}

	printer, err := display.NewPrinter(r, stdio.Stdout, stdio.StdoutTTY, log)
	if err != nil {
		fmt.Fprintf(stdio.Stderr, "%s\n", err)
		return exitUsage
	}
	if printer.File != "" && !printer.Append {
		// Salt empties the file once, then appends every display to it.
		if f, err := os.OpenFile(printer.File, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644); err == nil {
			f.Close()
		}
		printer.Append = true
	}
	s := &session{prog: prog, stdio: stdio, log: log, cl: cl, printer: printer, job: j, docOut: r.Str("output") != ""}

	tgt, tt, err := resolveTarget(j.tgt, j.tgtType, cfg.Raw)
	if err != nil {
		// Salt prints the SaltInvocationError as the output and exits 0.
		return s.printError(err)
	}
	j.tgt, j.tgtType = tgt, tt
	switch {
	case r.Bool("async"):
		return s.runAsync(ctx)
	case j.static:
		return s.runStatic(ctx)
	case r.Str("batch") != "":
		return s.runBatch(ctx, r.Str("batch"), r.Bool("failhard"))
	}
	return s.run(ctx)
}

// session is one run of the salt command.
type session struct {
	prog    string
	stdio   console.IO
	log     *slog.Logger
	cl      *client.Client
	printer *display.Printer
	job     *job
	docOut  bool
}

func (s *session) pubOptions() client.PubOptions {
	return client.PubOptions{TgtType: s.job.tgtType, Ret: s.job.ret, Extra: s.job.extra}
}

func (s *session) cmdOptions(tgtType string) []client.CmdOption {
	opts := []client.CmdOption{client.WithTgtType(tgtType)}
	if s.job.ret != "" {
		opts = append(opts, client.WithRet(s.job.ret))
	}
	return opts
}

// runAsync publishes the job and prints its jid, as salt --async does.
func (s *session) runAsync(ctx context.Context) int {
	jid := "0"
	job, err := s.cl.Publish(ctx, s.job.tgt, s.job.fun, s.job.args, s.pubOptions())
	switch {
	case errors.Is(err, client.ErrNoMinions):
		fmt.Fprintln(s.stdio.Stdout, err.Error())
	case err != nil:
		return s.fail(err)
	default:
		jid = job.JID
	}
	fmt.Fprintf(s.stdio.Stdout, "Executed command with job ID: %s\n", jid)
	return exitOK
}

// run publishes the job and prints each minion's return as it arrives.
func (s *session) run(ctx context.Context) int {
	opts := s.cmdOptions(s.job.tgtType)
	if s.job.showTO || s.job.verbose {
		opts = append(opts, client.WithExpectMinions())
	}
	it, err := s.publish(ctx, opts)
	if errors.Is(err, client.ErrNoMinions) {
		fmt.Fprintln(s.stdio.Stdout, err.Error())
		return s.output(data.NewMap(), "", 0)
	}
	if err != nil {
		return s.fail(err)
	}
	defer it.Close()
	if s.job.verbose {
		msg := "Executing job with jid " + it.Job.JID
		fmt.Fprintf(s.stdio.Stdout, "%s\n%s\n\n", msg, strings.Repeat("-", len(msg)))
	} else if s.job.showJID {
		fmt.Fprintf(s.stdio.Stdout, "jid: %s\n", it.Job.JID)
	}
	isDoc := s.job.fun == "sys.doc"
	docs := data.NewMap()
	failed := false
	for {
		ret, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return s.fail(err)
		}
		rc := retcodeOf(ret)
		if isDoc {
			docs.Set(ret.ID, ret.Ret)
			continue
		}
		if rc != 0 {
			failed = true
		}
		if code := s.output(data.M(ret.ID, ret.Ret), ret.Out, rc); code != exitOK {
			return code
		}
	}
	if isDoc {
		return s.printDocs(docs)
	}
	if failed {
		fmt.Fprint(s.stdio.Stderr, "ERROR: Minions returned with non-zero exit code\n")
		return exitGeneric
	}
	return exitOK
}

func (s *session) publish(ctx context.Context, opts []client.CmdOption) (*client.Returns, error) {
	opts = append(opts, withExtra(s.job.extra))
	return s.cl.CmdIter(ctx, s.job.tgt, s.job.fun, s.job.args, opts...)
}

// withExtra sets the publish kwargs.
func withExtra(extra *data.Map) client.CmdOption {
	return func(o *client.CmdOptions) { o.Extra = extra }
}

// output displays one return as Salt's _output_ret does: an empty return
// means that nothing was received (exit 2).
func (s *session) output(ret any, out string, rc int) int {
	s.printer.Opts.Retcode = rc
	if err := s.printer.Print(ret, out); err != nil {
		fmt.Fprintf(s.stdio.Stderr, "%s\n", err)
		return exitGeneric
	}
	if !data.Truthy(ret) {
		fmt.Fprint(s.stdio.Stderr, "ERROR: No return received\n")
		return exitNoReturn
	}
	return exitOK
}

// retcodeOf is the salt CLI's retcode of one return: its retcode, the
// largest one for a multi-function job.
func retcodeOf(ret client.Return) int {
	if ret.Raw == nil {
		return ret.Retcode
	}
	v, ok := ret.Raw.Get("retcode")
	if !ok {
		return 0
	}
	if m, ok := v.(*data.Map); ok {
		best := 0
		first := true
		m.Range(func(_, x any) bool {
			n, _ := data.AsInt(x)
			if first || int(n) > best {
				best, first = int(n), false
			}
			return true
		})
		return best
	}
	if n, ok := data.AsInt(v); ok {
		return int(n)
	}
	return 0
}

// fail reports an error that ended the command. Errors the master answered
// with (authentication, authorization) are printed as the output, as Salt
// prints them (exit 0); the others go to stderr with exit 1.
func (s *session) fail(err error) int {
	var me *client.MasterError
	switch {
	case errors.As(err, &me):
		msg := me.Message
		if msg == "" {
			msg = me.Error()
		}
		return s.printError(errors.New(msg))
	case errors.Is(err, client.ErrAuthFailed):
		return s.printError(err)
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(s.stdio.Stderr, "%s: interrupted\n", s.prog)
		return exitGeneric
	}
	fmt.Fprintf(s.stdio.Stderr, "%s: %v\n", s.prog, err)
	return exitGeneric
}

// printError prints an error text the way Salt's salt CLI prints a
// SaltInvocationError or an authentication error: as the output (exit 0).
func (s *session) printError(err error) int {
	if perr := s.printer.Print(err.Error(), ""); perr != nil {
		fmt.Fprintf(s.stdio.Stderr, "%s\n", perr)
		return exitGeneric
	}
	return exitOK
}

// printDocs prints sys.doc returns as salt -d does: each function's
// docstring once, sorted by function name.
func (s *session) printDocs(rets *data.Map) int {
	if rets.Len() == 0 {
		fmt.Fprint(s.stdio.Stderr, "No minions found to gather docs from\n")
		return exitNoReturn
	}
	docs := data.NewMap()
	rets.Range(func(_, v any) bool {
		m, ok := v.(*data.Map)
		if !ok {
			return true
		}
		m.Range(func(fun, doc any) bool {
			if !docs.Has(fun) && data.Truthy(doc) {
				docs.Set(fun, doc)
			}
			return true
		})
		return true
	})
	names := make([]string, 0, docs.Len())
	docs.Range(func(k, _ any) bool { names = append(names, fmt.Sprint(k)); return true })
	sort.Strings(names)
	for _, n := range names {
		d, _ := docs.Get(n)
		if s.docOut {
			if err := s.printer.Print(data.M(n, d), "nested"); err != nil {
				fmt.Fprintf(s.stdio.Stderr, "%s\n", err)
				return exitGeneric
			}
			continue
		}
		ds, _ := data.AsString(d)
		fmt.Fprintf(s.stdio.Stdout, "%s:\n%s\n\n", n, ds)
	}
	return exitOK
}
