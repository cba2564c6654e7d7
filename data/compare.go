package data

import (
	"math"
	"math/big"
	"slices"
	"strconv"
	"strings"
)

// IsTrue is Salt's salt.utils.data.is_true: a number (or a string that
// int() or float() reads) is true when above zero, another string when
// it is "true" in any case, anything else as bool(v).
func IsTrue(v any) bool {
	if x, ok := v.(string); ok {
		if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
			return f > 0
		}
		return strings.ToLower(x) == "true"
	}
	switch x := Canonical(v).(type) {
	case bool:
		return x
	case int64:
		return x > 0
	case uint64:
		return x > 0
	case *big.Int:
		return x != nil && x.Sign() > 0
	case float64:
		return x > 0
	}
	return Truthy(v)
}

// Truthy is Python's bool(v): None, False, zero, and empty str, bytes,
// list, tuple and dict are false; everything else is true.
func Truthy(v any) bool {
	if t, ok := v.(Tuple); ok {
		return len(t) > 0
	}
	switch x := Canonical(v).(type) {
	case nil:
		return false
	case bool:
		return x
	case int64:
		return x != 0
	case uint64:
		return x != 0
	case *big.Int:
		return x != nil && x.Sign() != 0
	case float64:
		return x != 0
	case string:
		return x != ""
	case []byte:
		return len(x) > 0
	case []any:
		return len(x) > 0
	case *Map:
		return x.Len() > 0
	}
	return true
}

// Equal is Python's a == b: numbers compare by value across bool, int and
// float (1 == 1.0 == True, exactly: 2**53+1 != 2.0**53; NaN equals
// nothing); str never equals bytes; lists and tuples compare item by item
// (a list never equals a tuple); dicts compare as sets of pairs, in order
// only when both are OrderedDicts (Maps marked Ordered), as Python's
// OrderedDict does. Values outside the model are made canonical first.
func Equal(a, b any) bool {
	if ta, ok := a.(Tuple); ok {
		tb, ok := b.(Tuple)
		return ok && equalItems(ta, tb)
	}
	if _, ok := b.(Tuple); ok {
		return false
	}
	a, b = Canonical(a), Canonical(b)
	if isNumber(a) || isNumber(b) {
		c, ok := Compare(a, b)
		return ok && c == 0 && !isNaN(a) && !isNaN(b)
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case []byte:
		y, ok := b.([]byte)
		return ok && string(x) == string(y)
	case []any:
		y, ok := b.([]any)
		return ok && equalItems(x, y)
	case *Map:
		y, ok := b.(*Map)
		return ok && equalMaps(x, y)
	}
	return false
}

func equalItems(x, y []any) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if !Equal(x[i], y[i]) {
			return false
		}
	}
	return true
}

func equalMaps(x, y *Map) bool {
	if x == nil || y == nil {
		return x == y
	}
	if x.Len() != y.Len() {
		return false
	}
	if x.Ordered && y.Ordered {
		xk, yk := x.keys, y.keys
		for i := range xk {
			if !Equal(xk[i], yk[i]) || !Equal(x.vals[xk[i]], y.vals[yk[i]]) {
				return false
			}
		}
		return true
	}
	for _, k := range x.keys {
		w, ok := y.vals[k]
		if !ok {
			// 1, 1.0 and True are one key to Python.
			for _, yk := range y.keys {
				if Equal(k, yk) {
					w, ok = y.vals[yk], true
					break
				}
			}
		}
		if !ok || !Equal(x.vals[k], w) {
			return false
		}
	}
	return true
}

// Compare orders a and b as Python's < and == do: -1, 0 or +1, with ok
// false where Python raises TypeError ('<' not supported between str and
// int, None and None, dicts...). Numbers compare exactly across bool, int
// and float (NaN compares equal to every number, as a sort sees it); str
// and bytes compare by code point and byte; lists and tuples compare item
// by item.
func Compare(a, b any) (int, bool) {
	ta, aTuple := a.(Tuple)
	tb, bTuple := b.(Tuple)
	if aTuple || bTuple {
		if !aTuple || !bTuple {
			return 0, false
		}
		return compareItems(ta, tb)
	}
	a, b = Canonical(a), Canonical(b)
	if isNumber(a) {
		if !isNumber(b) {
			return 0, false
		}
		return compareNumbers(a, b), true
	}
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return strings.Compare(x, y), ok
	case []byte:
		y, ok := b.([]byte)
		return strings.Compare(string(x), string(y)), ok
	case []any:
		y, ok := b.([]any)
		if !ok {
			return 0, false
		}
		return compareItems(x, y)
	}
	return 0, false
}

func compareItems(x, y []any) (int, bool) {
	for i := 0; i < len(x) && i < len(y); i++ {
		if Equal(x[i], y[i]) {
			continue
		}
		return Compare(x[i], y[i])
	}
	switch {
	case len(x) < len(y):
		return -1, true
	case len(x) > len(y):
		return 1, true
	}
	return 0, true
}

// Sort sorts vs in place as Python's list.sort() does (stable, with the
// order of Compare). It reports false when Python would raise TypeError
// because two items cannot be compared; vs is then in no particular order.
func Sort(vs []any) bool {
	allStr := true
	for _, v := range vs {
		if _, isStr := v.(string); !isStr {
			allStr = false
			break
		}
	}
	if allStr {
		slices.SortStableFunc(vs, func(a, b any) int { return strings.Compare(a.(string), b.(string)) })
		return true
	}
	ok := true
	slices.SortStableFunc(vs, func(a, b any) int {
		c, comparable := Compare(a, b)
		if !comparable {
			ok = false
		}
		return c
	})
	return ok
}

func isNumber(v any) bool {
	switch v.(type) {
	case bool, int64, uint64, *big.Int, float64:
		return true
	}
	return false
}

func isNaN(v any) bool {
	f, ok := v.(float64)
	return ok && math.IsNaN(f)
}

// compareNumbers compares two numbers (bool, int64, uint64, *big.Int or
// float64) exactly, as Python compares int with float.
func compareNumbers(a, b any) int {
	if x, ok := a.(int64); ok {
		if y, ok := b.(int64); ok {
			return cmp3(x < y, x > y)
		}
	}
	if x, ok := a.(float64); ok {
		if y, ok := b.(float64); ok {
			return cmp3(x < y, x > y)
		}
	}
	x, y := bigFloat(a), bigFloat(b)
	if x == nil || y == nil {
		return 0 // NaN
	}
	return x.Cmp(y)
}

func cmp3(less, greater bool) int {
	switch {
	case less:
		return -1
	case greater:
		return 1
	}
	return 0
}

// bigFloat is a number as an exact big.Float (nil for NaN).
func bigFloat(v any) *big.Float {
	switch x := v.(type) {
	case bool:
		if x {
			return big.NewFloat(1)
		}
		return big.NewFloat(0)
	case int64:
		return new(big.Float).SetInt64(x)
	case uint64:
		return new(big.Float).SetUint64(x)
	case *big.Int:
		return new(big.Float).SetInt(x)
	case float64:
		if math.IsNaN(x) {
			return nil
		}
		return big.NewFloat(x)
	}
	return nil
}
