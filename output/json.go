package output

import (
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/saltgo/saltgo/data"
)

// JSON renders data as Salt's json outputter: Python's json.dumps with
// default=repr and ensure_ascii=False, indent 4 unless Options.Indent is
// set (negative: one line), insertion order of keys (sorted for
// IndentPretty).
func JSON(d any, opts Options) string {
	indent, sortKeys := 4, false
	if opts.IndentPretty {
		indent, sortKeys = 4, true
	} else if opts.Indent != nil {
		indent = *opts.Indent
	}
	e := jsonEnc{indent: indent, sortKeys: sortKeys}
	e.b.Grow(4096)
	if !e.value(d, 0) {
		return "{}"
	}
	return e.b.String()
}

type jsonEnc struct {
	b        strings.Builder
	indent   int // < 0: no newlines
	sortKeys bool
}

func (e *jsonEnc) newline(level int) {
	if e.indent < 0 {
		return
	}
	e.b.WriteByte('\n')
	writeSpaces(&e.b, level*e.indent)
}

func (e *jsonEnc) sep() {
	if e.indent < 0 {
		e.b.WriteString(", ")
	} else {
		e.b.WriteByte(',')
	}
}

// value writes v; false means Python would raise TypeError (Salt then
// prints {}).
func (e *jsonEnc) value(v any, level int) bool {
	switch x := v.(type) {
	case nil:
		e.b.WriteString("null")
	case bool:
		if x {
			e.b.WriteString("true")
		} else {
			e.b.WriteString("false")
		}
	case int64:
		e.b.WriteString(strconv.FormatInt(x, 10))
	case uint64:
		e.b.WriteString(strconv.FormatUint(x, 10))
	case *big.Int:
		e.b.WriteString(x.String())
	case float64:
		e.b.WriteString(jsonFloat(x))
	case string:
		jsonString(&e.b, x)
	case []byte:
		if utf8.Valid(x) {
			jsonString(&e.b, string(x))
		} else {
			jsonString(&e.b, data.Repr(x))
		}
	case []any:
		if len(x) == 0 {
			e.b.WriteString("[]")
			return true
		}
		e.b.WriteByte('[')
		for i, el := range x {
			if i > 0 {
				e.sep()
			}
			e.newline(level + 1)
			if !e.value(el, level+1) {
				return false
			}
		}
		e.newline(level)
		e.b.WriteByte(']')
	case *data.Map:
		if x.Len() == 0 {
			e.b.WriteString("{}")
			return true
		}
		keys := x.Keys()
		if e.sortKeys {
			if !data.Sort(keys) {
				return false // Python: TypeError
			}
		}
		e.b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				e.sep()
			}
			e.newline(level + 1)
			jsonString(&e.b, jsonKey(k))
			e.b.WriteString(": ")
			val, _ := x.Get(k)
			if !e.value(val, level+1) {
				return false
			}
		}
		e.newline(level)
		e.b.WriteByte('}')
	default:
		nv := data.Canonical(v)
		if data.IsCanonical(nv) {
			return e.value(nv, level)
		}
		jsonString(&e.b, data.Repr(v))
	}
	return true
}

func jsonKey(k any) string {
	switch x := k.(type) {
	case string:
		return x
	case nil:
		return "null"
	case bool:
		if x {
			return "true"
		}
		return "false"
	case float64:
		return jsonFloat(x)
	}
	return data.Str(k)
}

// jsonFloat is Python's float repr, with json's names for the
// non-finite values.
func jsonFloat(f float64) string {
	switch s := data.FloatRepr(f); s {
	case "inf":
		return "Infinity"
	case "-inf":
		return "-Infinity"
	case "nan":
		return "NaN"
	default:
		return s
	}
}

const hexDigits = "0123456789abcdef"

// jsonString writes s as Python's json does with ensure_ascii=False.
func jsonString(b *strings.Builder, s string) {
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b.WriteString(s[start:i])
				b.WriteString("\ufffd")
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		b.WriteString(s[start:i])
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			b.WriteString(`\u00`)
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
		}
		i++
		start = i
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}
