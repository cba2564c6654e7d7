// Package output renders return data exactly as Salt 3007's outputters do
// (nested, yaml, json, raw, txt, quiet, newline_values_only, pprint and
// highstate), byte for byte, for the value model of package data.
//
// The data handed to an outputter is what Salt's display_output receives:
// for salt-call it is {"local": ret}. Format returns the outputter's text
// (right-stripped, as Salt's try_printout does); Render and Display add the
// trailing newline that Salt prints, or print nothing for empty output.
package output

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"

	"github.com/saltgo/saltgo/data"
)

// Options are the Salt options that change how outputters render.
type Options struct {
	// Color turns on ANSI colours (nested and highstate only).
	Color bool
	// Indent is --out-indent / output_indent: nil when not given; a negative
	// value means "one line" (json) or flow style (yaml).
	Indent *int
	// IndentPretty is output_indent: pretty (json: indent 4, sorted keys).
	IndentPretty bool
	// NestedIndent is the base indentation of the nested outputter.
	NestedIndent int
	// Retcode is the _retcode given to the nested outputter: non-zero
	// colours lists and dict headers red.
	Retcode int
	// StateOutput is state_output (full, terse, mixed, changes and their
	// _id forms; "" means full).
	StateOutput string
	// StateVerbose is state_verbose; nil means true (Salt's default).
	StateVerbose *bool
	// StateTabular is state_tabular for terse lines (false: Salt's default).
	StateTabular bool
	// StateOutputDiff is state_output_diff: hide successful unchanged states.
	StateOutputDiff bool
	// StateOutputProfile is state_output_profile; nil means true.
	StateOutputProfile *bool
	// StateOutputExclude and StateOutputTerse are the result strings
	// ("True", "False", "None") that state_output: filter hides or prints
	// tersely.
	StateOutputExclude, StateOutputTerse []string
	// NoStripColors disables the replacement of ESC by '?' inside strings
	// (strip_colors: False).
	NoStripColors bool
}

// Int returns a pointer to n, for Options.Indent.
func Int(n int) *int { return &n }

// Bool returns a pointer to b, for the *bool options.
func Bool(b bool) *bool { return &b }

func (o *Options) stateVerbose() bool { return o.StateVerbose == nil || *o.StateVerbose }
func (o *Options) profile() bool      { return o.StateOutputProfile == nil || *o.StateOutputProfile }

// Outputter renders data the way one of Salt's outputters does.
type Outputter interface {
	// Name is the outputter's name as given to --out.
	Name() string
	// Format returns the rendered text without Salt's trailing newline.
	Format(data any, opts Options) (string, error)
}

type outFunc struct {
	name string
	fn   func(data any, opts Options) (string, error)
}

func (o outFunc) Name() string { return o.name }
func (o outFunc) Format(d any, opts Options) (string, error) {
	return o.fn(d, opts)
}

var registry = map[string]Outputter{}

// Register adds (or replaces) an outputter under its name.
func Register(o Outputter) { registry[o.Name()] = o }

func init() {
	for _, o := range []outFunc{
		{"nested", func(d any, o Options) (string, error) { return Nested(d, o), nil }},
		{"yaml", func(d any, o Options) (string, error) { return YAML(d, o), nil }},
		{"json", func(d any, o Options) (string, error) { return JSON(d, o), nil }},
		{"raw", func(d any, o Options) (string, error) { return data.Str(d), nil }},
		{"txt", func(d any, o Options) (string, error) { return Txt(d), nil }},
		{"quiet", func(d any, o Options) (string, error) { return "", nil }},
		{"newline_values_only", func(d any, o Options) (string, error) { return NewlineValuesOnly(d), nil }},
		{"pprint", func(d any, o Options) (string, error) { return PPrint(d, o), nil }},
		{"highstate", func(d any, o Options) (string, error) { return Highstate(d, o), nil }},
	} {
		Register(o)
	}
	Register(noReturn{})
}

// Get returns the outputter registered under name. "text" is an alias of
// txt, as in Salt.
func Get(name string) (Outputter, bool) {
	if name == "text" {
		name = "txt"
	}
	o, ok := registry[name]
	return o, ok
}

// Names returns the registered outputter names, sorted.
func Names() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Resolve returns the outputter for name, falling back to nested for an
// unknown name (ok is then false: the caller logs
// "[ERROR   ] Invalid outputter <name> specified, fall back to nested").
// An empty name means nested.
func Resolve(name string) (o Outputter, ok bool) {
	if name == "" {
		return registry["nested"], true
	}
	if o, ok := Get(name); ok {
		return o, true
	}
	return registry["nested"], false
}

// Format renders data with the named outputter (nested for an unknown
// name) and right-strips the result as Salt's try_printout does.
func Format(name string, d any, opts Options) (string, error) {
	o, _ := Resolve(name)
	s, err := safeFormat(o, d, opts)
	if err != nil {
		return "", fmt.Errorf("output %s: %w", o.Name(), err)
	}
	return rstrip(s), nil
}

func safeFormat(o Outputter, d any, opts Options) (s string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("outputter panicked: %v", r)
		}
	}()
	return o.Format(d, opts)
}

// Render returns exactly what Salt's display_output prints for data: the
// formatted text and a newline, or nothing when the text is empty.
func Render(name string, d any, opts Options) (string, error) {
	s, err := Format(name, d, opts)
	if err != nil || s == "" {
		return "", err
	}
	return s + "\n", nil
}

// Display writes Render's text to w (stdout, or an --out-file opened by the
// caller, in append mode for --out-file-append).
func Display(w io.Writer, name string, d any, opts Options) error {
	s, err := Render(name, d, opts)
	if err != nil || s == "" {
		return err
	}
	if _, err := io.WriteString(w, s); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

func isPySpace(r rune) bool {
	return unicode.IsSpace(r) || (r >= 0x1c && r <= 0x1f)
}

const spaces64 = "                                                                "

// writeSpaces writes n spaces to b.
func writeSpaces(b *strings.Builder, n int) {
	for n > len(spaces64) {
		b.WriteString(spaces64)
		n -= len(spaces64)
	}
	b.WriteString(spaces64[:n])
}

func rstrip(s string) string { return strings.TrimRightFunc(s, isPySpace) }

// colors are Salt's TextFormat codes (salt.utils.color.get_colors).
type colors struct {
	Red, LightRed, Green, Yellow, LightYellow, Cyan, Endc string
}

var (
	onColors = colors{
		Red:         "\x1b[0;31m",
		LightRed:    "\x1b[0;1;31m",
		Green:       "\x1b[0;32m",
		Yellow:      "\x1b[0;33m",
		LightYellow: "\x1b[0;1;33m",
		Cyan:        "\x1b[0;36m",
		Endc:        "\x1b[0;0m",
	}
	offColors colors
)

func getColors(on bool) *colors {
	if on {
		return &onColors
	}
	return &offColors
}

// stripEsc replaces ESC by '?' (salt.output.strip_esc_sequence).
func stripEsc(s string) string {
	if strings.IndexByte(s, 0x1b) < 0 {
		return s
	}
	return strings.ReplaceAll(s, "\x1b", "?")
}
