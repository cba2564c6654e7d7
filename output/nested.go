package output

import (
	"math/big"
	"strings"
	"unicode/utf8"

	"github.com/saltgo/saltgo/data"
)

// Nested renders data as Salt's nested outputter (the default one).
func Nested(d any, opts Options) string {
	n := nestDisplay{c: getColors(opts.Color), retcode: opts.Retcode, strip: !opts.NoStripColors}
	n.b.Grow(4096)
	n.display(d, opts.NestedIndent, "")
	return n.b.String()
}

type nestDisplay struct {
	b       strings.Builder
	c       *colors
	retcode int
	strip   bool
	lines   int
}

// line writes one output line: indent, colour, prefix, msg, reset, suffix.
func (n *nestDisplay) line(indent int, color, prefix, msg, suffix string) {
	if n.lines > 0 {
		n.b.WriteByte('\n')
	}
	n.lines++
	writeSpaces(&n.b, indent)
	n.b.WriteString(color)
	n.b.WriteString(prefix)
	n.b.WriteString(msg)
	n.b.WriteString(n.c.Endc)
	n.b.WriteString(suffix)
}

func (n *nestDisplay) display(v any, indent int, prefix string) {
	switch x := v.(type) {
	case nil, bool:
		n.line(indent, n.c.LightYellow, prefix, data.Repr(x), "")
	case int64, uint64, *big.Int, float64:
		n.line(indent, n.c.LightYellow, prefix, data.Repr(x), "")
	case string:
		n.str(x, indent, prefix)
	case []byte:
		// Salt decodes bytes as UTF-8 when it can; undecodable bytes match
		// none of its branches and print nothing.
		if utf8.Valid(x) {
			n.str(string(x), indent, prefix)
		}
	case []any:
		color := n.c.Green
		if n.retcode != 0 {
			color = n.c.Red
		}
		for _, e := range x {
			e = data.Canonical(e)
			switch e.(type) {
			case []any:
				n.line(indent, color, "", "|_", "")
				n.display(e, indent+2, "- ")
			case *data.Map:
				n.line(indent, color, "", "|_", "")
				n.display(e, indent+2, "")
			default:
				n.display(e, indent, "- ")
			}
		}
	case *data.Map:
		color := n.c.Cyan
		if n.retcode != 0 {
			color = n.c.Red
		}
		if indent != 0 {
			n.line(indent, color, "", "----------", "")
		}
		keys := x.Keys()
		if !x.Ordered {
			keys = x.SortedKeys()
		}
		for _, k := range keys {
			val, _ := x.Get(k)
			n.line(indent, color, prefix, data.Str(k), ":")
			n.display(val, indent+4, "")
		}
	default:
		nv := data.Canonical(v)
		if data.IsCanonical(nv) {
			n.display(nv, indent, prefix)
			return
		}
		n.str(data.Repr(v), indent, prefix)
	}
}

func (n *nestDisplay) str(s string, indent int, prefix string) {
	first := true
	pad := strings.Repeat(" ", len(prefix))
	for _, l := range data.SplitLines(s, false) {
		p := prefix
		if !first {
			p = pad
		}
		if n.strip {
			l = stripEsc(l)
		}
		n.line(indent, n.c.Green, p, l, "")
		first = false
	}
}
