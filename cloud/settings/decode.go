package settings

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/saltgo/saltgo/data"
)

// fieldError is a type error on one key of a merged registry or VM entry.
type fieldError struct {
	Key  string
	Want string
	Got  any
}

func (e *fieldError) Error() string {
	return fmt.Sprintf("key %q: want %s, got %s", e.Key, e.Want, describe(e.Got))
}

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return fmt.Sprintf("bool %v", x)
	case int64, uint64, float64:
		return fmt.Sprintf("number %v", x)
	case string:
		return fmt.Sprintf("string %q", x)
	case []byte:
		return fmt.Sprintf("bytes %q", x)
	case []any:
		return "a list"
	case *data.Map:
		return "a mapping"
	}
	return fmt.Sprintf("%T", v)
}

// getter reads typed values out of a mapping and remembers the first error.
type getter struct {
	m      *data.Map
	prefix string // prepended to key names in errors
	err    error
}

func (g *getter) fail(key, want string, got any) {
	if g.err == nil {
		g.err = &fieldError{Key: g.prefix + key, Want: want, Got: got}
	}
}

func (g *getter) has(key string) bool { return g.m.Has(key) }

// str returns a text value; numbers are accepted and formatted as Python
// str() would (a YAML netmask of 16 reads as "16").
func (g *getter) str(key, def string) string {
	v, ok := g.m.Get(key)
	if !ok {
		return def
	}
	if s, ok := scalarString(v); ok {
		return s
	}
	g.fail(key, "a string", v)
	return def
}

// optStr returns a text value or nil (None).
func (g *getter) optStr(key string, def *string) *string {
	v, ok := g.m.Get(key)
	if !ok {
		return def
	}
	if v == nil {
		return nil
	}
	if s, ok := scalarString(v); ok {
		return &s
	}
	g.fail(key, "a string or null", v)
	return def
}

func (g *getter) boolean(key string, def bool) bool {
	v, ok := g.m.Get(key)
	if !ok {
		return def
	}
	if b, ok := v.(bool); ok {
		return b
	}
	if s, ok := v.(string); ok {
		switch strings.ToLower(s) {
		case "true", "yes", "on":
			return true
		case "false", "no", "off":
			return false
		}
	}
	g.fail(key, "a bool", v)
	return def
}

func (g *getter) integer(key string, def int) int {
	v, ok := g.m.Get(key)
	if !ok {
		return def
	}
	if n, ok := data.AsInt(v); ok {
		return int(n)
	}
	if s, ok := v.(string); ok {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
			return n
		}
	}
	g.fail(key, "an integer", v)
	return def
}

func (g *getter) strList(key string, def []string) []string {
	v, ok := g.m.Get(key)
	if !ok {
		return def
	}
	l, ok := v.([]any)
	if !ok {
		g.fail(key, "a list of strings", v)
		return def
	}
	out := make([]string, 0, len(l))
	for _, e := range l {
		s, ok := scalarString(e)
		if !ok {
			g.fail(key, "a list of strings", v)
			return def
		}
		out = append(out, s)
	}
	return out
}

// optStrList returns a list of strings or nil (None).
func (g *getter) optStrList(key string, def []string) []string {
	if v, ok := g.m.Get(key); ok && v == nil {
		return nil
	}
	return g.strList(key, def)
}

func (g *getter) list(key string, def []any) []any {
	v, ok := g.m.Get(key)
	if !ok {
		return def
	}
	if l, ok := v.([]any); ok {
		return deepCopy(l).([]any)
	}
	g.fail(key, "a list", v)
	return def
}

func (g *getter) mapping(key string) *data.Map {
	v, ok := g.m.Get(key)
	if !ok || v == nil {
		return data.NewMap()
	}
	if m, ok := v.(*data.Map); ok {
		return m
	}
	g.fail(key, "a mapping", v)
	return data.NewMap()
}

// scalarString is the text form of a string or number value.
func scalarString(v any) (string, bool) {
	switch v.(type) {
	case int64, uint64, float64:
		return data.Str(v), true
	}
	return data.AsString(v)
}

func sp(s string) *string { return &s }
