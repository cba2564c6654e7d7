package output

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/saltgo/saltgo/data"
)

// PPrint renders data as Salt's pprint outputter: Python's pprint.pformat
// with width 80 (and indent=Options.Indent when it is >= 0).
func PPrint(d any, opts Options) string {
	p := pprinter{width: 80, ipl: 1}
	if opts.Indent != nil && *opts.Indent >= 0 {
		p.ipl = *opts.Indent
	}
	p.format(d, 0, 0, 0)
	return p.b.String()
}

// PFormat is Python's pprint.pformat(v) (width 80, indent 1, dicts
// sorted); repr, when set, writes the repr of a value outside package
// data's types (a Jinja macro, say) instead of making it canonical.
func PFormat(v any, repr func(b *strings.Builder, v any)) string {
	p := pprinter{width: 80, ipl: 1, repr: repr}
	p.format(v, 0, 0, 0)
	return p.b.String()
}

type pprinter struct {
	b     strings.Builder
	width int
	ipl   int                             // indent per level
	repr  func(b *strings.Builder, v any) // for values outside the model; nil: made canonical
}

// foreign reports whether v is left to p.repr.
func (p *pprinter) foreign(v any) bool {
	if p.repr == nil {
		return false
	}
	if _, ok := v.(data.Tuple); ok {
		return false
	}
	return !data.IsCanonical(v)
}

func runeLen(s string) int { return utf8.RuneCountInString(s) }

// safeRepr is pprint's _safe_repr with sort_dicts=True.
func (p *pprinter) safeRepr(v any) string {
	var b strings.Builder
	p.writeSafeRepr(&b, v)
	return b.String()
}

func (p *pprinter) writeSafeRepr(b *strings.Builder, v any) {
	if p.foreign(v) {
		p.repr(b, v)
		return
	}
	if t, ok := v.(data.Tuple); ok {
		b.WriteByte('(')
		p.writeSafeItems(b, t)
		if len(t) == 1 {
			b.WriteByte(',')
		}
		b.WriteByte(')')
		return
	}
	switch x := data.Canonical(v).(type) {
	case *data.Map:
		if x.Ordered {
			data.WriteRepr(b, x)
			return
		}
		b.WriteByte('{')
		for i, k := range pprintSortedKeys(x) {
			if i > 0 {
				b.WriteString(", ")
			}
			p.writeSafeRepr(b, k)
			b.WriteString(": ")
			val, _ := x.Get(k)
			p.writeSafeRepr(b, val)
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		p.writeSafeItems(b, x)
		b.WriteByte(']')
	default:
		data.WriteRepr(b, x)
	}
}

func (p *pprinter) writeSafeItems(b *strings.Builder, items []any) {
	for i, e := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		p.writeSafeRepr(b, e)
	}
}

// pprintSortedKeys orders keys as sorted(items, key=_safe_tuple): natural
// order within numbers and within strings, otherwise by type name
// ("<class 'NoneType'>" < numbers < "<class 'str'>").
func pprintSortedKeys(m *data.Map) []any {
	keys := m.Keys()
	rank := func(k any) int {
		switch k.(type) {
		case nil:
			return 0
		case bool, int64, float64:
			return 1
		}
		return 2
	}
	sort.SliceStable(keys, func(i, j int) bool {
		ri, rj := rank(keys[i]), rank(keys[j])
		if ri != rj {
			return ri < rj
		}
		switch ri {
		case 1:
			c, _ := data.Compare(keys[i], keys[j])
			return c < 0
		case 2:
			si, _ := keys[i].(string)
			sj, _ := keys[j].(string)
			return si < sj
		}
		return false
	})
	return keys
}

func (p *pprinter) spaces(n int) {
	for i := 0; i < n; i++ {
		p.b.WriteByte(' ')
	}
}

func (p *pprinter) format(v any, indent, allowance, level int) {
	if _, ok := v.(data.Tuple); !ok && !p.foreign(v) {
		v = data.Canonical(v)
	}
	rep := p.safeRepr(v)
	if runeLen(rep) > p.width-indent-allowance {
		switch x := v.(type) {
		case *data.Map:
			if x.Ordered {
				p.orderedDict(x, indent, allowance, level+1)
			} else {
				p.dict(x, indent, allowance, level+1)
			}
			return
		case []any:
			p.b.WriteByte('[')
			p.items(x, indent, allowance+1, level+1)
			p.b.WriteByte(']')
			return
		case data.Tuple:
			end := ")"
			if len(x) == 1 {
				end = ",)"
			}
			p.b.WriteByte('(')
			p.items(x, indent, allowance+len(end), level+1)
			p.b.WriteString(end)
			return
		case string:
			p.str(x, indent, allowance, level+1)
			return
		case []byte:
			p.bytes(x, indent, allowance, level+1)
			return
		}
	}
	p.b.WriteString(rep)
}

func (p *pprinter) dict(m *data.Map, indent, allowance, level int) {
	p.b.WriteByte('{')
	if p.ipl > 1 {
		p.spaces(p.ipl - 1)
	}
	if m.Len() > 0 {
		keys := pprintSortedKeys(m)
		allowance++
		indent += p.ipl
		last := len(keys) - 1
		for i, k := range keys {
			rep := p.safeRepr(k)
			p.b.WriteString(rep)
			p.b.WriteString(": ")
			a := 1
			if i == last {
				a = allowance
			}
			val, _ := m.Get(k)
			p.format(val, indent+runeLen(rep)+2, a, level)
			if i != last {
				p.b.WriteString(",\n")
				p.spaces(indent)
			}
		}
	}
	p.b.WriteByte('}')
}

func (p *pprinter) orderedDict(m *data.Map, indent, allowance, level int) {
	if m.Len() == 0 {
		p.b.WriteString("OrderedDict()")
		return
	}
	items := make([]any, 0, m.Len())
	m.Range(func(k, v any) bool {
		items = append(items, data.Tuple{k, v})
		return true
	})
	p.b.WriteString("OrderedDict(")
	p.format(items, indent+len("OrderedDict")+1, allowance+1, level)
	p.b.WriteByte(')')
}

func (p *pprinter) items(items []any, indent, allowance, level int) {
	indent += p.ipl
	if p.ipl > 1 {
		p.spaces(p.ipl - 1)
	}
	last := len(items) - 1
	for i, e := range items {
		if i > 0 {
			p.b.WriteString(",\n")
			p.spaces(indent)
		}
		a := 1
		if i == last {
			a = allowance
		}
		p.format(e, indent, a, level)
	}
}

// pprintParts is re.findall(r'\S*\s*', line) without the final empty
// match: runs of non-space characters each followed by its spaces.
func pprintParts(line string) []string {
	var parts []string
	i := 0
	for i < len(line) {
		start := i
		for i < len(line) {
			r, w := utf8.DecodeRuneInString(line[i:])
			if isPySpace(r) {
				break
			}
			i += w
		}
		for i < len(line) {
			r, w := utf8.DecodeRuneInString(line[i:])
			if !isPySpace(r) {
				break
			}
			i += w
		}
		parts = append(parts, line[start:i])
	}
	return parts
}

func (p *pprinter) str(s string, indent, allowance, level int) {
	if s == "" {
		p.b.WriteString(data.Repr(s))
		return
	}
	var chunks []string
	lines := data.SplitLines(s, true)
	if level == 1 {
		indent++
		allowance++
	}
	maxWidth1 := p.width - indent
	maxWidth := maxWidth1
	var rep string
	for i, line := range lines {
		rep = data.Repr(line)
		if i == len(lines)-1 {
			maxWidth1 -= allowance
		}
		if runeLen(rep) <= maxWidth1 {
			chunks = append(chunks, rep)
			continue
		}
		parts := pprintParts(line)
		maxWidth2 := maxWidth
		current := ""
		for j, part := range parts {
			candidate := current + part
			if j == len(parts)-1 && i == len(lines)-1 {
				maxWidth2 -= allowance
			}
			if runeLen(data.Repr(candidate)) > maxWidth2 {
				if current != "" {
					chunks = append(chunks, data.Repr(current))
				}
				current = part
			} else {
				current = candidate
			}
		}
		if current != "" {
			chunks = append(chunks, data.Repr(current))
		}
	}
	if len(chunks) == 1 {
		p.b.WriteString(rep)
		return
	}
	if level == 1 {
		p.b.WriteByte('(')
	}
	for i, c := range chunks {
		if i > 0 {
			p.b.WriteByte('\n')
			p.spaces(indent)
		}
		p.b.WriteString(c)
	}
	if level == 1 {
		p.b.WriteByte(')')
	}
}

func (p *pprinter) bytes(x []byte, indent, allowance, level int) {
	if len(x) <= 4 {
		p.b.WriteString(data.Repr(x))
		return
	}
	parens := level == 1
	if parens {
		indent++
		allowance++
		p.b.WriteByte('(')
	}
	width := p.width - indent
	var reps []string
	var current []byte
	last := len(x) / 4 * 4
	for i := 0; i < len(x); i += 4 {
		end := i + 4
		if end > len(x) {
			end = len(x)
		}
		candidate := append(append([]byte(nil), current...), x[i:end]...)
		if i == last {
			width -= allowance
		}
		if len(data.Repr(candidate)) > width {
			if len(current) > 0 {
				reps = append(reps, data.Repr(current))
			}
			current = append([]byte(nil), x[i:end]...)
		} else {
			current = candidate
		}
	}
	if len(current) > 0 {
		reps = append(reps, data.Repr(current))
	}
	for i, r := range reps {
		if i > 0 {
			p.b.WriteByte('\n')
			p.spaces(indent)
		}
		p.b.WriteString(r)
	}
	if parens {
		p.b.WriteByte(')')
	}
}
