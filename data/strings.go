package data

import "strings"

// Strings reads a list argument as Salt's modules take one: a list gives
// each item's str(), a single value a one-item list, nil none.
func Strings(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			out = append(out, Str(e))
		}
		return out
	}
	return []string{Str(v)}
}

// SplitStrings is Strings for arguments that may also be a comma-separated
// string (Salt's `if isinstance(x, str): x = x.split(",")`).
func SplitStrings(v any) []string {
	if s, ok := v.(string); ok {
		return strings.Split(s, ",")
	}
	return Strings(v)
}
