// Package stdopts holds the options every Salt command line has (-c,
// -h, --version, --versions-report) and their actions.
package stdopts

import (
	"fmt"
	"io"

	"github.com/saltgo/saltgo/cli/optparse"
	"github.com/saltgo/saltgo/version"
)

// StdOptions are the options every Salt CLI has: -c, -h, --version,
// --versions-report.
func StdOptions() []*optparse.Option {
	return []*optparse.Option{
		{Short: "c", Long: "config-dir", Kind: optparse.String, Dest: "config_dir", Meta: "CONFIG_DIR", Help: "Pass in an alternative configuration directory."},
		{Short: "h", Long: "help", Kind: optparse.Flag, Help: "show this help message and exit"},
		{Long: "version", Kind: optparse.Flag, Help: "show program's version number and exit"},
		{Short: "V", Long: "versions-report", Kind: optparse.Flag, Dest: "versions_report", Help: "Show program's dependencies version number and exit."},
	}
}

// StdActions handles --help, --version and --versions-report as Salt's
// CLIs do; done is true when one of them ran (the command then exits 0).
func StdActions(p *optparse.Parser, r *optparse.Result, description string, stdout io.Writer) (done bool) {
	switch {
	case r.Bool("help"):
		fmt.Fprint(stdout, p.Help(description))
	case r.Bool("version"):
		fmt.Fprintf(stdout, "%s %s (%s)\n", p.Prog, version.Salt, version.SaltCodename)
	case r.Bool("versions_report"):
		fmt.Fprintln(stdout, version.Report())
	default:
		return false
	}
	return true
}

// ExitUsage is the exit code of a command line usage error (EX_USAGE).
const ExitUsage = 64

// Usage prints p's usage error for err to w and returns ExitUsage, the
// exit code of a command line usage error.
func Usage(p *optparse.Parser, w io.Writer, err error) int {
	fmt.Fprint(w, p.UsageError(err))
	return ExitUsage
}

// Parse parses args with p and then runs the standard actions
// (StdActions) on stdout; a parse error is printed to stderr as p's usage
// error. done is true when the command ends there, with exit code code
// (ExitUsage after a parse error, 0 after a standard action).
func Parse(p *optparse.Parser, args []string, description string, stdout, stderr io.Writer) (r *optparse.Result, code int, done bool) {
	r, err := p.Parse(args)
	if err != nil {
		return nil, Usage(p, stderr, err), true
	}
	return r, 0, StdActions(p, r, description, stdout)
}
