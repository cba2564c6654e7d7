// Package optparse parses command lines the way Python's optparse does for
// Salt's CLIs: long options with "=value" or a separate value, unique prefixes
// of long options, clustered short options, options anywhere among the
// positional arguments, "--" ending the options, and optparse's error texts
// (the caller prints them after the usage line and exits 64, as Salt does).
package optparse

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Kind is what an option does with its value.
type Kind int

// Option kinds.
const (
	Flag   Kind = iota // store_true: no value
	String             // takes one value
	Int                // takes one integer value
	Count              // counts occurrences (-v -v)
	Append             // takes one value, may repeat
)

// Option describes one option.
type Option struct {
	Short string // "c" (without dash), or ""
	Long  string // "config-dir" (without dashes), or ""
	Kind  Kind
	Dest  string // key in Result.Values; defaults to Long with "-" as "_"
	Help  string
	Meta  string // metavar shown in help
}

// Parser holds the options of one program.
type Parser struct {
	Prog    string
	Usage   string
	Options []*Option
}

// Result is a parsed command line.
type Result struct {
	Values map[string]any
	Args   []string
	Seen   map[string]bool
}

// Str returns a string option's value ("" when absent).
func (r *Result) Str(dest string) string { s, _ := r.Values[dest].(string); return s }

// Bool returns a flag's value.
func (r *Result) Bool(dest string) bool { b, _ := r.Values[dest].(bool); return b }

// IntVal returns an integer option's value and whether it was given.
func (r *Result) IntVal(dest string) (int, bool) { n, ok := r.Values[dest].(int); return n, ok }

// List returns an appended option's values.
func (r *Result) List(dest string) []string { l, _ := r.Values[dest].([]string); return l }

// Error is a usage error; its text is optparse's.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func (o *Option) dest() string {
	if o.Dest != "" {
		return o.Dest
	}
	if o.Long != "" {
		return strings.ReplaceAll(o.Long, "-", "_")
	}
	return o.Short
}

func (o *Option) takesValue() bool { return o.Kind == String || o.Kind == Int || o.Kind == Append }

// Parse parses args (without the program name).
func (p *Parser) Parse(args []string) (*Result, error) {
	r := &Result{Values: map[string]any{}, Seen: map[string]bool{}}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			r.Args = append(r.Args, args[i+1:]...)
			return r, nil
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			o, err := p.matchLong(name)
			if err != nil {
				return nil, err
			}
			if o.takesValue() {
				if !hasVal {
					if i+1 >= len(args) {
						return nil, &Error{fmt.Sprintf("--%s option requires 1 argument", o.Long)}
					}
					i++
					val = args[i]
				}
				if err := p.store(r, o, "--"+o.Long, val); err != nil {
					return nil, err
				}
			} else {
				if hasVal {
					return nil, &Error{fmt.Sprintf("--%s option does not take a value", o.Long)}
				}
				p.store(r, o, "--"+o.Long, "")
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			rest := a[1:]
			for len(rest) > 0 {
				// One character; an invalid UTF-8 byte counts as one (the
				// bytes are kept as they are, as Python's surrogateescape does).
				_, size := utf8.DecodeRuneInString(rest)
				ch := rest[:size]
				rest = rest[size:]
				o := p.findShort(ch)
				if o == nil {
					return nil, &Error{fmt.Sprintf("no such option: -%s", ch)}
				}
				if o.takesValue() {
					val := rest
					if val == "" {
						if i+1 >= len(args) {
							return nil, &Error{fmt.Sprintf("-%s option requires 1 argument", ch)}
						}
						i++
						val = args[i]
					}
					if err := p.store(r, o, "-"+ch, val); err != nil {
						return nil, err
					}
					rest = ""
				} else {
					p.store(r, o, "-"+ch, "")
				}
			}
		default:
			r.Args = append(r.Args, a)
		}
	}
	return r, nil
}

func (p *Parser) store(r *Result, o *Option, flag, val string) error {
	d := o.dest()
	r.Seen[d] = true
	switch o.Kind {
	case Flag:
		r.Values[d] = true
	case Count:
		n, _ := r.Values[d].(int)
		r.Values[d] = n + 1
	case String:
		r.Values[d] = val
	case Append:
		l, _ := r.Values[d].([]string)
		r.Values[d] = append(l, val)
	case Int:
		n, err := strconv.ParseInt(strings.TrimSpace(val), 0, 64)
		if err != nil {
			return &Error{fmt.Sprintf("option %s: invalid integer value: '%s'", flag, val)}
		}
		r.Values[d] = int(n)
	}
	return nil
}

func (p *Parser) findShort(ch string) *Option {
	for _, o := range p.Options {
		if o.Short == ch {
			return o
		}
	}
	return nil
}

func (p *Parser) matchLong(name string) (*Option, error) {
	var cands []*Option
	for _, o := range p.Options {
		if o.Long == "" {
			continue
		}
		if o.Long == name {
			return o, nil
		}
		if strings.HasPrefix(o.Long, name) {
			cands = append(cands, o)
		}
	}
	switch len(cands) {
	case 0:
		return nil, &Error{fmt.Sprintf("no such option: --%s", name)}
	case 1:
		return cands[0], nil
	}
	names := make([]string, len(cands))
	for i, o := range cands {
		names[i] = "--" + o.Long
	}
	sort.Strings(names)
	return nil, &Error{fmt.Sprintf("ambiguous option: --%s (%s?)", name, strings.Join(names, ", "))}
}

// UsageError formats a usage error as optparse prints it to stderr.
func (p *Parser) UsageError(err error) string {
	return fmt.Sprintf("Usage: %s\n\n%s: error: %s\n", p.Usage, p.Prog, err.Error())
}

// Help renders the option list.
func (p *Parser) Help(description string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s\n\n", p.Usage)
	if description != "" {
		b.WriteString(description + "\n\n")
	}
	b.WriteString("Options:\n")
	for _, o := range p.Options {
		var names []string
		meta := ""
		if o.takesValue() {
			meta = o.Meta
			if meta == "" {
				meta = strings.ToUpper(o.dest())
			}
		}
		if o.Short != "" {
			s := "-" + o.Short
			if meta != "" {
				s += " " + meta
			}
			names = append(names, s)
		}
		if o.Long != "" {
			s := "--" + o.Long
			if meta != "" {
				s += "=" + meta
			}
			names = append(names, s)
		}
		head := "  " + strings.Join(names, ", ")
		if len(head) > 24 {
			fmt.Fprintf(&b, "%s\n%26s%s\n", head, "", o.Help)
		} else {
			fmt.Fprintf(&b, "%-26s%s\n", head, o.Help)
		}
	}
	return b.String()
}
