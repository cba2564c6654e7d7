package data

import "fmt"

// MapTree rebuilds v: a list is copied element by element through the walk,
// each *Map is handed to onMap together with the walk itself (rec) so that
// onMap decides how to rebuild the map and recurses into its values, and any
// other value is returned as it is.
func MapTree(v any, onMap func(m *Map, rec func(any) any) any) any {
	var rec func(any) any
	rec = func(v any) any {
		switch x := v.(type) {
		case *Map:
			return onMap(x, rec)
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = rec(e)
			}
			return out
		}
		return v
	}
	return rec(v)
}

// Plain converts every *Map inside v, through nested lists and maps, into a
// map[string]any keyed by key(k) (fmt.Sprint(k) when key is nil), for
// consumers such as mapstructure that know nothing of *Map. Lists are copied;
// other values are kept as they are.
func Plain(v any, key func(any) string) any {
	if key == nil {
		key = func(k any) string { return fmt.Sprint(k) }
	}
	return MapTree(v, func(m *Map, rec func(any) any) any {
		out := make(map[string]any, m.Len())
		m.Range(func(k, e any) bool {
			out[key(k)] = rec(e)
			return true
		})
		return out
	})
}

// List copies the elements of s into a []any, the list type of the data
// model.
func List[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}
