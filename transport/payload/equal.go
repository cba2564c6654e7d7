package payload

import (
	"bytes"
	"math"

	"github.com/saltgo/saltgo/data"
)

// Equal reports whether two decoded values are identical: same types, maps
// with the same keys in the same order, NaN equal to NaN. Values are
// normalised first, so Equal(int(1), int64(1)) is true.
// It is the codec's round-trip identity, not Python's == (that is
// data.Equal, for which 1 == 1.0 and dict order does not count).
func Equal(a, b any) bool {
	return equal(a, b, 0)
}

func equal(a, b any, depth int) bool {
	if depth > MaxDepth {
		return false
	}
	if _, ok := a.(Ext); !ok {
		a = data.Normalize(a)
	}
	if _, ok := b.(Ext); !ok {
		b = data.Normalize(b)
	}
	switch x := a.(type) {
	case nil:
		return b == nil
	case bool, int64, uint64, string:
		return a == b
	case float64:
		y, ok := b.(float64)
		return ok && (x == y || math.IsNaN(x) && math.IsNaN(y))
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case Ext:
		y, ok := b.(Ext)
		return ok && x.Type == y.Type && bytes.Equal(x.Data, y.Data)
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i], depth+1) {
				return false
			}
		}
		return true
	case *data.Map:
		y, ok := b.(*data.Map)
		if !ok || x.Len() != y.Len() {
			return false
		}
		xk, yk := x.Keys(), y.Keys()
		for i := range xk {
			if xk[i] != yk[i] {
				return false
			}
			xv, _ := x.Get(xk[i])
			yv, _ := y.Get(yk[i])
			if !equal(xv, yv, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}
