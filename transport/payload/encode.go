// Package payload is Salt's msgpack codec (salt.payload.dumps / loads),
// written by hand on the standard library.
//
// Encoding follows msgpack-python with use_bin_type=False, which is what
// Salt puts on the ZeroMQ wire: text (string) and bytes ([]byte) both go in
// the str family (fixstr, str16 0xda, str32 0xdb; never str8 0xd9 nor bin),
// integers take the smallest standard form, floats are always float64
// (0xcb), []any and other slices are arrays and maps keep their order
// (*data.Map in insertion order, Go maps with sorted keys).
//
// Decoding accepts every msgpack type. As in Salt's decode_embedded_strs,
// str and bin values that are valid UTF-8 become string and other byte
// strings stay []byte. Maps decode to *data.Map in wire order, integers to
// int64 (uint64 only above math.MaxInt64), floats to float64. The datetime
// extension type 78 decodes to its text ("20240101T00:00:00.000000"); any
// other extension decodes to an Ext value. Decoding is bounded against
// hostile input: nesting depth is limited to MaxDepth, every length is
// checked against the bytes left, nothing is preallocated beyond what the
// input can hold, and bytes after the value are an error.
package payload

import (
	"errors"
	"fmt"
	"math"
	"reflect"

	"github.com/saltgo/saltgo/data"
)

// MaxDepth is the deepest nesting of arrays and maps that Encode and Decode
// accept (Python's own recursion limit is about 1000).
const MaxDepth = 512

// Ext is a msgpack extension value other than Salt's datetime (type 78).
// Salt's _Constant (type 79) arrives as Ext{Type: 79}. Encode writes an Ext
// back as-is, so it survives a round trip.
type Ext struct {
	Type int8
	Data []byte
}

// String describes the extension value.
func (e Ext) String() string { return fmt.Sprintf("msgpack-ext(%d, %x)", e.Type, e.Data) }

// ErrTooDeep is returned when a value nests deeper than MaxDepth.
var ErrTooDeep = errors.New("payload: nesting deeper than MaxDepth")

// Encode returns the msgpack encoding of v exactly as salt.payload.dumps
// would produce it. v may be any canonical data value (see package data) or
// anything data.Normalize understands (ints of any size, map[string]any,
// []string, structs with salt tags, ...) plus Ext.
func Encode(v any) ([]byte, error) {
	return Append(make([]byte, 0, 64), v)
}

// Append appends the msgpack encoding of v to dst.
func Append(dst []byte, v any) ([]byte, error) {
	return appendValue(dst, v, 0)
}

func appendValue(b []byte, v any, depth int) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, 0xc0), nil
	case bool:
		if x {
			return append(b, 0xc3), nil
		}
		return append(b, 0xc2), nil
	case string:
		return appendStr(b, len(x), x, nil)
	case []byte:
		return appendStr(b, len(x), "", x)
	case int64:
		return AppendInt(b, x), nil
	case int:
		return AppendInt(b, int64(x)), nil
	case uint64:
		return appendUint(b, x), nil
	case float64:
		return appendFloat(b, x), nil
	case *data.Map:
		if depth >= MaxDepth {
			return b, ErrTooDeep
		}
		if x == nil {
			return append(b, 0xc0), nil
		}
		b = appendLen(b, x.Len(), 0x80, 0xde, 0xdf)
		var err error
		x.Range(func(k, e any) bool {
			if b, err = appendValue(b, k, depth+1); err != nil {
				return false
			}
			b, err = appendValue(b, e, depth+1)
			return err == nil
		})
		return b, err
	case []any:
		if depth >= MaxDepth {
			return b, ErrTooDeep
		}
		b = appendLen(b, len(x), 0x90, 0xdc, 0xdd)
		var err error
		for _, e := range x {
			if b, err = appendValue(b, e, depth+1); err != nil {
				return b, err
			}
		}
		return b, nil
	case Ext:
		return appendExt(b, x)
	case *Ext:
		if x == nil {
			return append(b, 0xc0), nil
		}
		return appendExt(b, *x)
	}
	if depth >= MaxDepth {
		return b, ErrTooDeep
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Func, reflect.Chan, reflect.UnsafePointer, reflect.Complex64, reflect.Complex128:
		return b, fmt.Errorf("payload: cannot encode %T", v)
	}
	n := data.Normalize(v)
	switch n.(type) {
	case nil, bool, string, []byte, int64, uint64, float64, *data.Map, []any:
		return appendValue(b, n, depth+1)
	}
	return b, fmt.Errorf("payload: cannot encode %T", v)
}

func appendStr(b []byte, n int, s string, bs []byte) ([]byte, error) {
	switch {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n <= math.MaxUint16:
		b = append(b, 0xda, byte(n>>8), byte(n))
	case uint64(n) <= math.MaxUint32:
		b = append(b, 0xdb, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	default:
		return b, fmt.Errorf("payload: string of %d bytes is too long for msgpack", n)
	}
	if bs != nil {
		return append(b, bs...), nil
	}
	return append(b, s...), nil
}

func appendLen(b []byte, n int, fix, c16, c32 byte) []byte {
	switch {
	case n < 16:
		return append(b, fix|byte(n))
	case n <= math.MaxUint16:
		return append(b, c16, byte(n>>8), byte(n))
	default:
		return append(b, c32, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}

// AppendInt appends the smallest standard msgpack form of i, as
// msgpack-python packs a Python int.
func AppendInt(b []byte, i int64) []byte {
	if i >= 0 {
		return appendUint(b, uint64(i))
	}
	switch {
	case i >= -32:
		return append(b, byte(i))
	case i >= math.MinInt8:
		return append(b, 0xd0, byte(i))
	case i >= math.MinInt16:
		return append(b, 0xd1, byte(i>>8), byte(i))
	case i >= math.MinInt32:
		return append(b, 0xd2, byte(i>>24), byte(i>>16), byte(i>>8), byte(i))
	}
	return append(b, 0xd3, byte(i>>56), byte(i>>48), byte(i>>40), byte(i>>32), byte(i>>24), byte(i>>16), byte(i>>8), byte(i))
}

func appendUint(b []byte, u uint64) []byte {
	switch {
	case u <= 0x7f:
		return append(b, byte(u))
	case u <= math.MaxUint8:
		return append(b, 0xcc, byte(u))
	case u <= math.MaxUint16:
		return append(b, 0xcd, byte(u>>8), byte(u))
	case u <= math.MaxUint32:
		return append(b, 0xce, byte(u>>24), byte(u>>16), byte(u>>8), byte(u))
	}
	return append(b, 0xcf, byte(u>>56), byte(u>>48), byte(u>>40), byte(u>>32), byte(u>>24), byte(u>>16), byte(u>>8), byte(u))
}

func appendFloat(b []byte, f float64) []byte {
	u := math.Float64bits(f)
	return append(b, 0xcb, byte(u>>56), byte(u>>48), byte(u>>40), byte(u>>32), byte(u>>24), byte(u>>16), byte(u>>8), byte(u))
}

func appendExt(b []byte, e Ext) ([]byte, error) {
	n := len(e.Data)
	switch n {
	case 1:
		b = append(b, 0xd4)
	case 2:
		b = append(b, 0xd5)
	case 4:
		b = append(b, 0xd6)
	case 8:
		b = append(b, 0xd7)
	case 16:
		b = append(b, 0xd8)
	default:
		switch {
		case n <= math.MaxUint8:
			b = append(b, 0xc7, byte(n))
		case n <= math.MaxUint16:
			b = append(b, 0xc8, byte(n>>8), byte(n))
		case uint64(n) <= math.MaxUint32:
			b = append(b, 0xc9, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
		default:
			return b, fmt.Errorf("payload: ext of %d bytes is too long", n)
		}
	}
	b = append(b, byte(e.Type))
	return append(b, e.Data...), nil
}
