package data

import (
	"fmt"
	"math/big"
	"reflect"
	"sort"
	"strings"
	"unicode/utf8"
)

// Normalize converts an ordinary Go value into the canonical value types
// listed in the package documentation. Maps with non-Map types get their keys
// sorted (Go maps have no order); structs become Maps whose keys come from a
// `salt:"name"` tag (or the field name), in field order; `salt:"-"` skips a
// field and `,omitempty` drops zero values.
func Normalize(v any) any {
	switch x := v.(type) {
	case nil, bool, int64, float64, string, *Map:
		return x
	case *big.Int:
		if x == nil {
			return nil
		}
		if x.IsInt64() {
			return x.Int64()
		}
		return x
	case []any:
		return x
	case Tuple:
		return []any(x)
	case []byte:
		if utf8.Valid(x) {
			return string(x)
		}
		return x
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint:
		return normUint(uint64(x))
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		return normUint(x)
	case float32:
		return float64(x)
	case error:
		return x.Error()
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	case map[string]any:
		m := NewMap()
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			m.Set(k, x[k])
		}
		return m
	}
	return normReflect(reflect.ValueOf(v))
}

func normUint(u uint64) any {
	if u <= 1<<63-1 {
		return int64(u)
	}
	return u
}

func normReflect(rv reflect.Value) any {
	switch rv.Kind() {
	case reflect.Invalid:
		return nil
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil
		}
		return Normalize(rv.Elem().Interface())
	case reflect.Bool:
		return rv.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return normUint(rv.Uint())
	case reflect.Float32, reflect.Float64:
		return rv.Float()
	case reflect.String:
		return rv.String()
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return []any{}
		}
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = rv.Index(i).Interface()
		}
		return out
	case reflect.Map:
		m := NewMap()
		keys := rv.MapKeys()
		sort.Slice(keys, func(i, j int) bool {
			return fmt.Sprint(keys[i].Interface()) < fmt.Sprint(keys[j].Interface())
		})
		for _, k := range keys {
			m.Set(k.Interface(), rv.MapIndex(k).Interface())
		}
		return m
	case reflect.Struct:
		m := NewMap()
		rt := rv.Type()
		for i := 0; i < rt.NumField(); i++ {
			f := rt.Field(i)
			if !f.IsExported() {
				continue
			}
			name, omitempty := f.Name, false
			if tag, ok := f.Tag.Lookup("salt"); ok {
				parts := strings.Split(tag, ",")
				if parts[0] == "-" {
					continue
				}
				if parts[0] != "" {
					name = parts[0]
				}
				for _, p := range parts[1:] {
					if p == "omitempty" {
						omitempty = true
					}
				}
			}
			fv := rv.Field(i)
			if omitempty && fv.IsZero() {
				continue
			}
			m.Set(name, fv.Interface())
		}
		return m
	}
	return fmt.Sprint(rv.Interface())
}

// Deep returns v with every nested value normalised, so that a consumer can
// switch on the canonical types alone.
func Deep(v any) any {
	switch x := Normalize(v).(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = Deep(e)
		}
		return out
	case *Map:
		out := &Map{keys: make([]any, 0, x.Len()), vals: make(map[any]any, x.Len()), Ordered: x.Ordered}
		x.Range(func(k, e any) bool { out.Set(k, Deep(e)); return true })
		return out
	default:
		return x
	}
}
