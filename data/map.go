// Package data holds the Go forms of the Python values that Salt passes
// around: the payload codec decodes into them, modules return them and the
// outputters print them.
//
// The canonical value types are:
//
//	nil, bool, int64, uint64 or *big.Int (only beyond int64), float64,
//	string (text), []byte (bytes that are not valid UTF-8),
//	[]any (list or tuple) and *Map (dict, insertion-ordered).
//
// Normalize converts ordinary Go values (int, map[string]any, []string,
// structs with `salt` tags...) into these types.
//
// The package is also the one home of Python's semantics for these values:
// Str and Repr (str() and repr(), FloatRepr for floats), TypeStr
// (str(type(v))), Truthy (bool()), Equal (==), Compare and Sort (< and
// list.sort()). Everything that must answer as Python would (outputters,
// matchers, config, messages) uses them.
package data

import (
	"fmt"
	"sort"
)

// Map is an insertion-ordered mapping, the Go form of a Python dict.
//
// Keys are normalised to string, int64, float64, bool or nil ([]byte keys are
// stored as string). Ordered marks an OrderedDict: Salt's nested outputter
// keeps such a map's order instead of sorting its keys (pillar data is an
// OrderedDict).
type Map struct {
	keys    []any
	vals    map[any]any
	Ordered bool
}

// NewMap returns an empty Map.
func NewMap() *Map { return &Map{vals: map[any]any{}} }

// M builds a Map from alternating keys and values: M("a", 1, "b", 2).
// It panics on an odd number of arguments (a programmer error).
func M(kv ...any) *Map {
	if len(kv)%2 != 0 {
		panic("data.M: odd number of arguments")
	}
	m := &Map{keys: make([]any, 0, len(kv)/2), vals: make(map[any]any, len(kv)/2)}
	for i := 0; i < len(kv); i += 2 {
		m.Set(kv[i], kv[i+1])
	}
	return m
}

// NormalizeKey returns the form under which k is stored as a Map key.
func NormalizeKey(k any) any {
	switch v := k.(type) {
	case nil, string, int64, float64, bool:
		return v
	case []byte:
		return string(v)
	case int:
		return int64(v)
	case int8:
		return int64(v)
	case int16:
		return int64(v)
	case int32:
		return int64(v)
	case uint:
		return int64(v)
	case uint8:
		return int64(v)
	case uint16:
		return int64(v)
	case uint32:
		return int64(v)
	case uint64:
		if v <= 1<<63-1 {
			return int64(v)
		}
		return fmt.Sprint(v)
	case float32:
		return float64(v)
	default:
		return fmt.Sprint(v)
	}
}

// Set stores v under k, keeping k's first insertion position.
func (m *Map) Set(k, v any) {
	if m.vals == nil {
		m.vals = map[any]any{}
	}
	k = NormalizeKey(k)
	if _, ok := m.vals[k]; !ok {
		m.keys = append(m.keys, k)
	}
	m.vals[k] = v
}

// Get returns the value stored under k.
func (m *Map) Get(k any) (any, bool) {
	if m == nil {
		return nil, false
	}
	v, ok := m.vals[NormalizeKey(k)]
	return v, ok
}

// Has reports whether k is a key of m.
func (m *Map) Has(k any) bool { _, ok := m.Get(k); return ok }

// Delete removes k from m.
func (m *Map) Delete(k any) {
	if m == nil {
		return
	}
	k = NormalizeKey(k)
	if _, ok := m.vals[k]; !ok {
		return
	}
	delete(m.vals, k)
	for i, kk := range m.keys {
		if kk == k {
			m.keys = append(m.keys[:i:i], m.keys[i+1:]...)
			break
		}
	}
}

// Len returns the number of keys.
func (m *Map) Len() int {
	if m == nil {
		return 0
	}
	return len(m.keys)
}

// Keys returns the keys in insertion order (a copy).
func (m *Map) Keys() []any {
	if m == nil {
		return nil
	}
	return append([]any(nil), m.keys...)
}

// Range calls f for each key and value in insertion order until f returns false.
func (m *Map) Range(f func(k, v any) bool) {
	if m == nil {
		return
	}
	for _, k := range m.keys {
		if !f(k, m.vals[k]) {
			return
		}
	}
}

// String returns the value under k if it is text (string or []byte).
func (m *Map) String(k any) (string, bool) {
	v, ok := m.Get(k)
	if !ok {
		return "", false
	}
	return AsString(v)
}

// Copy returns a shallow copy of m.
func (m *Map) Copy() *Map {
	c := &Map{keys: m.Keys(), vals: make(map[any]any, m.Len()), Ordered: m != nil && m.Ordered}
	m.Range(func(k, v any) bool { c.vals[k] = v; return true })
	return c
}

// SortedKeys returns the keys as Python's sorted() orders them; when
// Python could not compare them (str with int...), they are sorted by their
// str() form, as Salt's nested outputter does.
func (m *Map) SortedKeys() []any {
	keys := m.Keys()
	if !Sort(keys) {
		keys = m.Keys()
		strs := make([]string, len(keys))
		for i, k := range keys {
			strs[i] = Str(k)
		}
		idx := make([]int, len(keys))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return strs[idx[a]] < strs[idx[b]] })
		sorted := make([]any, len(keys))
		for i, j := range idx {
			sorted[i] = keys[j]
		}
		keys = sorted
	}
	return keys
}

// AsString returns v as text when it is a string or a byte string.
func AsString(v any) (string, bool) {
	switch s := v.(type) {
	case string:
		return s, true
	case []byte:
		return string(s), true
	}
	return "", false
}

// AsBytes returns v as bytes when it is a string or a byte string; Salt sends
// binary fields in the msgpack str family, so both forms must be accepted.
func AsBytes(v any) ([]byte, bool) {
	switch s := v.(type) {
	case string:
		return []byte(s), true
	case []byte:
		return s, true
	}
	return nil, false
}

// AsInt returns v as an int64 when it is an integer (or a float with no
// fractional part).
func AsInt(v any) (int64, bool) {
	switch n := Normalize(v).(type) {
	case int64:
		return n, true
	case uint64:
		return 0, false
	case float64:
		if n == float64(int64(n)) {
			return int64(n), true
		}
	}
	return 0, false
}

// MarkOrdered marks every map inside v as an OrderedDict (Salt's pillar
// data is ordered: the nested outputter keeps its key order).
func MarkOrdered(v any) {
	switch x := v.(type) {
	case *Map:
		x.Ordered = true
		x.Range(func(_, e any) bool { MarkOrdered(e); return true })
	case []any:
		for _, e := range x {
			MarkOrdered(e)
		}
	}
}
