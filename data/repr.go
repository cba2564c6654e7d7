package data

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Tuple is a Python tuple. Repr, Str, Truthy and Equal tell it from a list
// (repr "(1,)", never equal to a list); everywhere else, Normalize included,
// it is a list, as msgpack makes it.
type Tuple []any

// Canonical returns v when it already is one of the value types listed in
// the package documentation, and Normalize(v) otherwise. Unlike Normalize it
// leaves []byte alone: a byte string stays Python bytes whatever it holds.
func Canonical(v any) any {
	if IsCanonical(v) {
		return v
	}
	return Normalize(v)
}

// IsCanonical reports whether v is one of the value types listed in the
// package documentation (uint64 and []byte included).
func IsCanonical(v any) bool {
	switch x := v.(type) {
	case nil, bool, int64, uint64, float64, string, []byte, []any, *Map:
		return true
	case *big.Int:
		return x != nil
	}
	return false
}

// Str returns Python's str() of a value: the text itself for a string and
// Repr for everything else (str() of a number, list, dict or bytes is its
// repr). Values outside the model are made canonical first.
func Str(v any) string {
	if _, ok := v.(Tuple); !ok {
		v = Canonical(v)
	}
	if s, ok := v.(string); ok {
		return s
	}
	return Repr(v)
}

// Repr returns Python's repr() of a value: str quoted and escaped as
// CPython does, floats in shortest round-trip form (FloatRepr),
// True/False/None, b'...' for bytes, [...] for lists, (...) for a Tuple and
// {...} for dicts in insertion order; a Map marked Ordered prints as
// OrderedDict([(k, v), ...]) as in Python 3.11. Values outside the model are
// made canonical first; anything left falls back to fmt's %v form.
func Repr(v any) string {
	switch x := v.(type) { // the common scalars without a builder
	case nil:
		return "None"
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return FloatRepr(x)
	}
	var b strings.Builder
	WriteRepr(&b, v)
	return b.String()
}

// WriteRepr writes Repr(v) to b.
func WriteRepr(b *strings.Builder, v any) {
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
		if x == nil {
			b.WriteString("None")
			return
		}
		b.WriteString(x.String())
	case float64:
		b.WriteString(FloatRepr(x))
	case string:
		writeStrRepr(b, x)
	case []byte:
		writeBytesRepr(b, x)
	case []any:
		b.WriteByte('[')
		writeItems(b, x)
		b.WriteByte(']')
	case Tuple:
		b.WriteByte('(')
		writeItems(b, x)
		if len(x) == 1 {
			b.WriteByte(',')
		}
		b.WriteByte(')')
	case *Map:
		writeMapRepr(b, x)
	default:
		if n := Normalize(v); IsCanonical(n) {
			WriteRepr(b, n)
			return
		}
		fmt.Fprintf(b, "%v", v)
	}
}

func writeItems(b *strings.Builder, items []any) {
	for i, e := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		WriteRepr(b, e)
	}
}

func writeMapRepr(b *strings.Builder, m *Map) {
	switch {
	case m == nil:
		b.WriteString("None")
		return
	case m.Ordered && m.Len() == 0:
		b.WriteString("OrderedDict()")
		return
	}
	open, end := "{", "}"
	if m.Ordered {
		open, end = "OrderedDict([", "])"
	}
	b.WriteString(open)
	first := true
	m.Range(func(k, e any) bool {
		if !first {
			b.WriteString(", ")
		}
		first = false
		if m.Ordered {
			WriteRepr(b, Tuple{k, e}) // OrderedDict([(k, v), ...])
		} else {
			WriteRepr(b, k)
			b.WriteString(": ")
			WriteRepr(b, e)
		}
		return true
	})
	b.WriteString(end)
}

// FloatRepr formats f as Python's float.__repr__ (and so str() and
// str.format) does: the shortest digits that read back as f, positional
// between 1e-4 and 1e16 with at least one decimal ("1.0", "0.0001",
// "1000000000000000.0"), scientific outside it ("1e-05", "1e+16",
// "1.5e+300"), and "inf", "-inf", "nan".
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

// TypeStr returns Python's str(type(v)), "<class 'int'>" for instance.
func TypeStr(v any) string {
	name := "str"
	if _, ok := v.(Tuple); ok {
		name = "tuple"
	} else {
		switch x := Canonical(v).(type) {
		case nil:
			name = "NoneType"
		case bool:
			name = "bool"
		case int64, uint64, *big.Int:
			name = "int"
		case float64:
			name = "float"
		case []byte:
			name = "bytes"
		case []any:
			name = "list"
		case *Map:
			name = "dict"
			if x.Ordered {
				name = "collections.OrderedDict"
			}
		}
	}
	return "<class '" + name + "'>"
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

// reprQuote is the quote Python's repr puts around s: ' unless s holds a '
// and no ".
func reprQuote[T ~string | ~[]byte](s T) byte {
	hasSingle, hasDouble := false, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\'':
			hasSingle = true
		case '"':
			hasDouble = true
		}
	}
	if hasSingle && !hasDouble {
		return '"'
	}
	return '\''
}

// writeEscape writes the backslash escape repr gives to the quote, a
// backslash, \n, \r and \t, and reports whether r was one of them.
func writeEscape(b *strings.Builder, r rune, quote byte) bool {
	var c byte // the character after the backslash
	switch r {
	case rune(quote), '\\':
		c = byte(r)
	case '\n':
		c = 'n'
	case '\r':
		c = 'r'
	case '\t':
		c = 't'
	default:
		return false
	}
	b.WriteByte('\\')
	b.WriteByte(c)
	return true
}

func writeStrRepr(b *strings.Builder, s string) {
	quote := reprQuote(s)
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
		if writeEscape(b, r, quote) {
			continue
		}
		switch {
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
	quote := reprQuote(p)
	b.WriteByte('b')
	b.WriteByte(quote)
	for _, c := range p {
		if writeEscape(b, rune(c), quote) {
			continue
		}
		switch {
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(b, "\\x%02x", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(quote)
}
