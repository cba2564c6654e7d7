// Package display prints the return data of saltgo's command-line front
// doors as Salt's display_output does, and declares Salt's output options
// (--out, --out-file, --no-color...).
package display

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/saltgo/saltgo/cli/optparse"
	"github.com/saltgo/saltgo/output"
)

// OutputOptions are the options of Salt's OutputOptionsMixIn.
func OutputOptions() []*optparse.Option {
	return []*optparse.Option{
		{Long: "out", Kind: optparse.String, Dest: "output", Meta: "OUTPUT", Help: "Print the output from the salt-call command using the specified outputter."},
		{Long: "output", Kind: optparse.String, Dest: "output", Meta: "OUTPUT", Help: "Same as --out."},
		{Long: "out-indent", Kind: optparse.Int, Dest: "output_indent", Meta: "OUTPUT_INDENT", Help: "Print the output indented by the provided value in spaces. Negative values disable indentation. Only applicable in outputters that support indentation."},
		{Long: "output-indent", Kind: optparse.Int, Dest: "output_indent", Meta: "OUTPUT_INDENT", Help: "Same as --out-indent."},
		{Long: "out-file", Kind: optparse.String, Dest: "output_file", Meta: "OUTPUT_FILE", Help: "Write the output to the specified file."},
		{Long: "output-file", Kind: optparse.String, Dest: "output_file", Meta: "OUTPUT_FILE", Help: "Same as --out-file."},
		{Long: "out-file-append", Kind: optparse.Flag, Dest: "output_file_append", Help: "Append the output to the specified file."},
		{Long: "output-file-append", Kind: optparse.Flag, Dest: "output_file_append", Help: "Same as --out-file-append."},
		{Long: "no-color", Kind: optparse.Flag, Dest: "no_color", Help: "Disable all colored output."},
		{Long: "no-colour", Kind: optparse.Flag, Dest: "no_color", Help: "Same as --no-color."},
		{Long: "force-color", Kind: optparse.Flag, Dest: "force_color", Help: "Force colored output."},
		{Long: "force-colour", Kind: optparse.Flag, Dest: "force_color", Help: "Same as --force-color."},
		{Long: "state-output", Kind: optparse.String, Dest: "state_output", Meta: "STATE_OUTPUT", Help: "Override the configured state_output value for minion output. One of 'full', 'terse', 'mixed', 'changes' or 'filter'."},
		{Long: "state_output", Kind: optparse.String, Dest: "state_output", Meta: "STATE_OUTPUT", Help: "Same as --state-output."},
		{Long: "state-verbose", Kind: optparse.String, Dest: "state_verbose", Meta: "STATE_VERBOSE", Help: "Override the configured state_verbose value for minion output. Set to True or False."},
		{Long: "state_verbose", Kind: optparse.String, Dest: "state_verbose", Meta: "STATE_VERBOSE", Help: "Same as --state-verbose."},
	}
}

// Printer renders return data to stdout or to --out-file, as Salt's
// display_output does.
type Printer struct {
	Out     string
	Opts    output.Options
	File    string
	Append  bool
	Stdout  io.Writer
	Log     *slog.Logger
	TTYHint bool
}

// NewPrinter builds a printer from parsed output options; isTTY says whether
// stdout is a terminal (colour is on by default only then).
func NewPrinter(r *optparse.Result, stdout io.Writer, isTTY bool, log *slog.Logger) (*Printer, error) {
	p := &Printer{Out: r.Str("output"), File: r.Str("output_file"), Append: r.Bool("output_file_append"), Stdout: stdout, Log: log}
	p.Opts.Color = isTTY && !r.Bool("no_color")
	if r.Bool("force_color") {
		p.Opts.Color = true
	}
	if r.Bool("no_color") && !r.Bool("force_color") {
		p.Opts.Color = false
	}
	if n, ok := r.IntVal("output_indent"); ok {
		p.Opts.Indent = output.Int(n)
	}
	p.Opts.StateOutput = r.Str("state_output")
	if v := r.Str("state_verbose"); v != "" {
		b := !(strings.EqualFold(v, "false") || v == "0" || strings.EqualFold(v, "no"))
		p.Opts.StateVerbose = output.Bool(b)
	}
	return p, nil
}

// Print displays data with the outputter the function asked for (declared)
// unless the command line names another one; "highstate" on the command
// line only applies to functions that declare it, as in Salt.
func (p *Printer) Print(data any, declared string) error {
	name := declared
	if p.Out != "" && !(p.Out == "highstate" && declared != "highstate") {
		name = p.Out
	}
	if name == "" {
		name = "nested"
	}
	if _, ok := output.Resolve(name); !ok {
		p.Log.Error(fmt.Sprintf("Invalid outputter %s specified, fall back to nested", name))
		name = "nested"
	}
	w := p.Stdout
	if p.File != "" {
		flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
		if p.Append {
			flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
		}
		f, err := os.OpenFile(p.File, flags, 0o644)
		if err != nil {
			return fmt.Errorf("open --out-file: %w", err)
		}
		defer f.Close()
		w = f
	}
	return output.Display(w, name, data, p.Opts)
}
