package output

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/saltgo/saltgo/data"
)

// Repr returns the Python repr() of a value of the data model: str quoting
// as CPython does, floats in shortest round-trip form ('1e+16', '3.0'),
// True/False/None, b'...' for bytes, [..] for lists and {..} for dicts (an
// ordered Map prints as OrderedDict([(k, v), ...]) like Python 3.11).
// Values outside the model are normalised first; anything left falls back
// to fmt's %v form.
func Repr(v any) string {
	var b strings.Builder
	writeRepr(&b, v)
	return b.String()
}

// Str returns Python's str() of a value: the text itself for strings and
// Repr for everything else.
func Str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	}
	return Repr(v)
}

func writeRepr(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
		b.WriteString("None")
	case bool:
		if x {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case uint64:
		b.WriteString(strconv.FormatUint(x, 10))
	case *big.Int:
		b.WriteString(x.String())
	case float64:
		b.WriteString(FloatRepr(x))
	case string:
		writeStrRepr(b, x)
	case []byte:
		writeBytesRepr(b, x)
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeRepr(b, e)
		}
		b.WriteByte(']')
	case *data.Map:
		if x == nil {
			b.WriteString("None")
			return
		}
		if x.Ordered {
			if x.Len() == 0 {
				b.WriteString("OrderedDict()")
				return
			}
			b.WriteString("OrderedDict([")
			first := true
			x.Range(func(k, e any) bool {
				if !first {
					b.WriteString(", ")
				}
				first = false
				b.WriteByte('(')
				writeRepr(b, k)
				b.WriteString(", ")
				writeRepr(b, e)
				b.WriteByte(')')
				return true
			})
			b.WriteString("])")
			return
		}
		b.WriteByte('{')
		first := true
		x.Range(func(k, e any) bool {
			if !first {
				b.WriteString(", ")
			}
			first = false
			writeRepr(b, k)
			b.WriteString(": ")
			writeRepr(b, e)
			return true
		})
		b.WriteByte('}')
	default:
		n := normalize(v)
		if isCanonical(n) {
			writeRepr(b, n)
			return
		}
		fmt.Fprintf(b, "%v", v)
	}
}

// normalize converts a non-canonical value once; canonical values pass through.
func normalize(v any) any {
	switch v.(type) {
	case nil, bool, int64, uint64, *big.Int, float64, string, []byte, []any, *data.Map:
		return v
	}
	return data.Normalize(v)
}

func isCanonical(v any) bool {
	switch v.(type) {
	case nil, bool, int64, uint64, *big.Int, float64, string, []byte, []any, *data.Map:
		return true
	}
	return false
}

// FloatRepr formats f as Python's float.__repr__ does.
func FloatRepr(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // -d.ddde±XX
	neg := false
	if s[0] == '-' {
		neg = true
		s = s[1:]
	}
	epos := strings.IndexByte(s, 'e')
	mant, expStr := s[:epos], s[epos+1:]
	exp, _ := strconv.Atoi(expStr)
	digits := strings.Replace(mant, ".", "", 1)
	var out strings.Builder
	if neg {
		out.WriteByte('-')
	}
	if exp < -4 || exp >= 16 {
		out.WriteByte(digits[0])
		if len(digits) > 1 {
			out.WriteByte('.')
			out.WriteString(digits[1:])
		}
		out.WriteByte('e')
		if exp < 0 {
			out.WriteByte('-')
			exp = -exp
		} else {
			out.WriteByte('+')
		}
		if exp < 10 {
			out.WriteByte('0')
		}
		out.WriteString(strconv.Itoa(exp))
		return out.String()
	}
	if exp < 0 {
		out.WriteString("0.")
		out.WriteString(strings.Repeat("0", -exp-1))
		out.WriteString(digits)
		return out.String()
	}
	if len(digits) <= exp+1 {
		out.WriteString(digits)
		out.WriteString(strings.Repeat("0", exp+1-len(digits)))
		out.WriteString(".0")
		return out.String()
	}
	out.WriteString(digits[:exp+1])
	out.WriteByte('.')
	out.WriteString(digits[exp+1:])
	return out.String()
}

// pyPrintable reports whether Python's str.isprintable() holds for r.
func pyPrintable(r rune) bool {
	if r == ' ' {
		return true
	}
	if r < 0x20 || r == 0x7f {
		return false
	}
	if r < 0x7f {
		return true
	}
	return unicode.IsPrint(r)
}

func writeStrRepr(b *strings.Builder, s string) {
	quote := byte('\'')
	if strings.IndexByte(s, '\'') >= 0 && strings.IndexByte(s, '"') < 0 {
		quote = '"'
	}
	b.WriteByte(quote)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			// Not valid UTF-8: Python would hold a surrogate escape.
			fmt.Fprintf(b, "\\udc%02x", s[i])
			i++
			continue
		}
		i += size
		switch {
		case r == rune(quote) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case pyPrintable(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(b, "\\x%02x", r)
		case r < 0x10000:
			fmt.Fprintf(b, "\\u%04x", r)
		default:
			fmt.Fprintf(b, "\\U%08x", r)
		}
	}
	b.WriteByte(quote)
}

func writeBytesRepr(b *strings.Builder, p []byte) {
	quote := byte('\'')
	hasSingle, hasDouble := false, false
	for _, c := range p {
		if c == '\'' {
			hasSingle = true
		} else if c == '"' {
			hasDouble = true
		}
	}
	if hasSingle && !hasDouble {
		quote = '"'
	}
	b.WriteByte('b')
	b.WriteByte(quote)
	for _, c := range p {
		switch {
		case c == quote || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(b, "\\x%02x", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(quote)
}
