package output

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/saltgo/saltgo/data"
)

// JSON renders data as Salt's json outputter: Python's json.dumps with
// default=repr and ensure_ascii=False, indent 4 unless Options.Indent is
// set (negative: one line), insertion order of keys (sorted for
// IndentPretty).
func JSON(d any, opts Options) string {
	o := JSONOptions{Indent: 4, Default: reprDefault}
	if opts.IndentPretty {
		o.SortKeys = true
	} else if opts.Indent != nil {
		o.Indent = *opts.Indent
	}
	s, err := DumpJSON(d, o)
	if err != nil {
		return "{}" // Salt's json outputter prints {} on TypeError
	}
	return s
}

// reprDefault is the json outputter's default=repr, after making Go values
// canonical; a []byte that is valid UTF-8 is a str.
func reprDefault(v any) (any, error) {
	if b, ok := v.([]byte); ok {
		if utf8.Valid(b) {
			return string(b), nil
		}
		return data.Repr(b), nil
	}
	if nv := data.Canonical(v); data.IsCanonical(nv) {
		return nv, nil
	}
	return data.Repr(v), nil
}

// JSONOptions are the json.dumps arguments DumpJSON understands.
type JSONOptions struct {
	// Indent is json.dumps' indent; negative is None (one line, ", "
	// between items).
	Indent int
	// SortKeys is sort_keys: keys in Python's sorted() order (a TypeError
	// when they cannot be compared).
	SortKeys bool
	// EnsureASCII is ensure_ascii: every character outside printable
	// ASCII written as \uXXXX (surrogate pairs beyond the BMP).
	EnsureASCII bool
	// Default is json.dumps' default: called for a value that is not
	// None, bool, a number, str, list, tuple or dict ([]byte included); it
	// returns a value to encode instead, or an error. Nil raises "Object
	// of type ... is not JSON serializable".
	Default func(v any) (any, error)
}

// DumpJSON is Python's json.dumps(v, ...) with the given options, for the
// value model of package data (a *data.Map keeps its order unless
// SortKeys; a data.Tuple is an array).
func DumpJSON(v any, o JSONOptions) (string, error) {
	e := jsonEnc{o: o}
	e.b.Grow(4096)
	if err := e.value(v, 0); err != nil {
		return "", err
	}
	return e.b.String(), nil
}

type jsonEnc struct {
	b strings.Builder
	o JSONOptions
}

func (e *jsonEnc) newline(level int) {
	if e.o.Indent < 0 {
		return
	}
	e.b.WriteByte('\n')
	writeSpaces(&e.b, level*e.o.Indent)
}

func (e *jsonEnc) sep() {
	if e.o.Indent < 0 {
		e.b.WriteString(", ")
	} else {
		e.b.WriteByte(',')
	}
}

// maxJSONDepth is where Python's encoder gives up (the recursion limit).
const maxJSONDepth = 1000

// value writes v at nesting level; an error is what Python raises.
func (e *jsonEnc) value(v any, level int) error {
	if level > maxJSONDepth {
		return errors.New("maximum recursion depth exceeded while encoding a JSON object")
	}
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
		if x == nil {
			e.b.WriteString("null")
			break
		}
		e.b.WriteString(x.String())
	case float64:
		e.b.WriteString(jsonFloat(x))
	case string:
		e.string(x)
	case []any:
		return e.array(x, level)
	case data.Tuple:
		return e.array(x, level)
	case *data.Map:
		return e.object(x, level)
	default:
		if e.o.Default == nil {
			return notSerializable(v)
		}
		nv, err := e.o.Default(v)
		if err != nil {
			return err
		}
		if !isJSONModel(nv) {
			return notSerializable(nv)
		}
		return e.value(nv, level)
	}
	return nil
}

// isJSONModel reports whether DumpJSON encodes v without Default.
func isJSONModel(v any) bool {
	switch v.(type) {
	case nil, bool, int64, uint64, *big.Int, float64, string, []any, data.Tuple, *data.Map:
		return true
	}
	return false
}

// unorderable is the TypeError sorted() raises for keys (in their order),
// naming the first two types it cannot compare as sorting meets them (a
// later key compared with an earlier one).
func unorderable(keys []any) error {
	for j := 1; j < len(keys); j++ {
		for i := 0; i < j; i++ {
			if _, ok := data.Compare(keys[j], keys[i]); !ok {
				return fmt.Errorf("'<' not supported between instances of '%s' and '%s'", pyTypeName(keys[j]), pyTypeName(keys[i]))
			}
		}
	}
	return errors.New("'<' not supported between the keys")
}

// pyTypeName is type(v).__name__.
func pyTypeName(v any) string {
	s := strings.TrimPrefix(data.TypeStr(v), "<class '")
	return strings.TrimSuffix(s, "'>")
}

func notSerializable(v any) error {
	name := fmt.Sprintf("%T", v)
	if _, ok := v.([]byte); ok {
		name = "bytes"
	}
	return fmt.Errorf("Object of type %s is not JSON serializable", name)
}

func (e *jsonEnc) array(items []any, level int) error {
	if len(items) == 0 {
		e.b.WriteString("[]")
		return nil
	}
	e.b.WriteByte('[')
	for i, el := range items {
		if i > 0 {
			e.sep()
		}
		e.newline(level + 1)
		if err := e.value(el, level+1); err != nil {
			return err
		}
	}
	e.newline(level)
	e.b.WriteByte(']')
	return nil
}

func (e *jsonEnc) object(m *data.Map, level int) error {
	if m.Len() == 0 {
		e.b.WriteString("{}")
		return nil
	}
	keys := m.Keys()
	if e.o.SortKeys && !data.Sort(keys) {
		return unorderable(m.Keys())
	}
	e.b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			e.sep()
		}
		e.newline(level + 1)
		e.string(jsonKey(k))
		e.b.WriteString(": ")
		val, _ := m.Get(k)
		if err := e.value(val, level+1); err != nil {
			return err
		}
	}
	e.newline(level)
	e.b.WriteByte('}')
	return nil
}

func (e *jsonEnc) string(s string) { jsonString(&e.b, s, e.o.EnsureASCII) }

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

// jsonString writes s as Python's json does: with ensureASCII every
// character outside ' '..'~' as \uXXXX (surrogate pairs beyond the BMP),
// otherwise only the control characters, '"' and '\\' escaped (invalid
// UTF-8 is U+FFFD either way).
func jsonString(b *strings.Builder, s string, ensureASCII bool) {
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf && !(ensureASCII && c == 0x7f) {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if !ensureASCII && (r != utf8.RuneError || size > 1) {
				i += size
				continue
			}
			b.WriteString(s[start:i])
			switch {
			case !ensureASCII:
				b.WriteString("\ufffd")
			case r > 0xffff:
				r1, r2 := utf16.EncodeRune(r)
				fmt.Fprintf(b, `\u%04x\u%04x`, r1, r2)
			default:
				fmt.Fprintf(b, `\u%04x`, r)
			}
			i += size
			start = i
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
