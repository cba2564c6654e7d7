package output

import (
	"strings"

	"github.com/saltgo/saltgo/data"
)

// Txt renders data as Salt's txt outputter: for a dict, one "key: line"
// per line of a string value (nothing for an empty string) and
// "key: str(value)" otherwise; other data prints as str(data).
func Txt(d any) string {
	m, ok := d.(*data.Map)
	if !ok {
		return data.Str(d)
	}
	var b strings.Builder
	m.Range(func(k, v any) bool {
		key := data.Str(k)
		switch s := v.(type) {
		case string:
			for _, l := range data.SplitLines(s, false) {
				b.WriteString(key)
				b.WriteString(": ")
				b.WriteString(l)
				b.WriteByte('\n')
			}
		case []byte:
			for _, l := range splitBytesLines(s) {
				b.WriteString(key)
				b.WriteString(": ")
				b.WriteString(data.Repr(l))
				b.WriteByte('\n')
			}
		default:
			b.WriteString(key)
			b.WriteString(": ")
			b.WriteString(data.Str(v))
			b.WriteByte('\n')
		}
		return true
	})
	return b.String()
}

func splitBytesLines(p []byte) [][]byte {
	var out [][]byte
	start := 0
	for i := 0; i < len(p); i++ {
		if p[i] == '\n' || p[i] == '\r' {
			out = append(out, p[start:i])
			if p[i] == '\r' && i+1 < len(p) && p[i+1] == '\n' {
				i++
			}
			start = i + 1
		}
	}
	if start < len(p) {
		out = append(out, p[start:])
	}
	return out
}

// NewlineValuesOnly renders data as Salt's newline_values_only outputter:
// the str() of each top-level value (each item of a list value), one per
// line.
func NewlineValuesOnly(d any) string {
	m, ok := d.(*data.Map)
	if !ok {
		return data.Str(d)
	}
	var vals []string
	m.Range(func(_, v any) bool {
		if l, ok := v.([]any); ok {
			for _, e := range l {
				vals = append(vals, data.Str(e))
			}
		} else {
			vals = append(vals, data.Str(v))
		}
		return true
	})
	return strings.Join(vals, "\n")
}
