package data

import (
	"strconv"
	"strings"
)

// Traverse walks nested maps and lists along a delimited key path the way
// salt.utils.data.traverse_dict_and_list does: a map is indexed by key, a
// list by a decimal index, or -- when the part is not a number -- by the
// first map in the list that holds that key.
func Traverse(v any, key, delim string) (any, bool) {
	if delim == "" {
		delim = ":"
	}
	cur := v
	for _, part := range strings.Split(key, delim) {
		switch x := cur.(type) {
		case *Map:
			next, ok := x.Get(part)
			if !ok {
				if n, err := strconv.ParseInt(part, 10, 64); err == nil {
					next, ok = x.Get(n)
				}
			}
			if !ok {
				return nil, false
			}
			cur = next
		case []any:
			if n, err := strconv.Atoi(part); err == nil {
				if n < 0 || n >= len(x) {
					return nil, false
				}
				cur = x[n]
				continue
			}
			found := false
			for _, e := range x {
				if m, ok := e.(*Map); ok {
					if next, ok := m.Get(part); ok {
						cur, found = next, true
						break
					}
				}
			}
			if !found {
				return nil, false
			}
		default:
			return nil, false
		}
	}
	return cur, true
}
