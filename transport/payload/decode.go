package payload

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/saltgo/saltgo/data"
)

// ExtDatetime is the extension type Salt uses for datetime/date values; its
// data is the UTF-8 text "%Y%m%dT%H:%M:%S.%f", which Decode returns as a
// string.
const ExtDatetime = 78

// ExtConstant is the extension type of Salt's _Constant values; Decode
// returns it as an Ext.
const ExtConstant = 79

// maxPrealloc caps the capacity reserved up front for an array or map; a
// larger container grows as its elements actually decode.
const maxPrealloc = 1024

// Errors that Decode wraps (test with errors.Is).
var (
	// ErrTruncated: the input ends inside a value.
	ErrTruncated = errors.New("payload: truncated msgpack data")
	// ErrTrailing: bytes remain after the first complete value.
	ErrTrailing = errors.New("payload: trailing bytes after msgpack value")
	// ErrInvalid: a byte that is not a msgpack type (0xc1) or an unusable
	// map key.
	ErrInvalid = errors.New("payload: invalid msgpack data")
)

// DecodeError tells where in the input decoding failed.
type DecodeError struct {
	Offset int   // byte offset of the value that failed
	Err    error // ErrTruncated, ErrInvalid, ErrTooDeep or ErrTrailing
	Detail string
}

func (e *DecodeError) Error() string {
	if e.Detail != "" {
		return fmt.Sprintf("%v at offset %d: %s", e.Err, e.Offset, e.Detail)
	}
	return fmt.Sprintf("%v at offset %d", e.Err, e.Offset)
}

// Unwrap returns the sentinel error.
func (e *DecodeError) Unwrap() error { return e.Err }

// Decode decodes exactly one msgpack value from b, the way salt.payload.loads
// does (see the package documentation for the resulting Go types). Any
// bytes after the value are an error. Decode never panics.
func Decode(b []byte) (any, error) {
	d := decoder{b: b}
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	if d.off != len(b) {
		return nil, &DecodeError{Offset: d.off, Err: ErrTrailing, Detail: fmt.Sprintf("%d bytes left", len(b)-d.off)}
	}
	return v, nil
}

type decoder struct {
	b   []byte
	off int
	// keys interns short map-key strings: Salt documents repeat the same
	// keys many times (grains, state returns), so each is allocated once.
	keys  map[string]string
	nkeys int // map keys seen; interning starts after internAfter
}

// internAfter: small documents (requests, publishes) skip interning, whose
// table would cost more than it saves.
const internAfter = 64

func (d *decoder) fail(off int, err error, detail string, args ...any) error {
	return &DecodeError{Offset: off, Err: err, Detail: fmt.Sprintf(detail, args...)}
}

// take returns the next n bytes, or an error when fewer remain.
func (d *decoder) take(n uint64, what string) ([]byte, error) {
	if n > uint64(len(d.b)-d.off) {
		return nil, d.fail(d.off, ErrTruncated, "%s needs %d bytes, %d left", what, n, len(d.b)-d.off)
	}
	p := d.b[d.off : d.off+int(n)]
	d.off += int(n)
	return p, nil
}

func (d *decoder) uint(n int, what string) (uint64, error) {
	p, err := d.take(uint64(n), what)
	if err != nil {
		return 0, err
	}
	return BigEndianUint(p), nil
}

// BigEndianUint decodes p, an unsigned integer of 1, 2, 4 or 8 bytes in
// network byte order as msgpack stores it.
func BigEndianUint(p []byte) uint64 {
	switch len(p) {
	case 1:
		return uint64(p[0])
	case 2:
		return uint64(binary.BigEndian.Uint16(p))
	case 4:
		return uint64(binary.BigEndian.Uint32(p))
	}
	return binary.BigEndian.Uint64(p)
}

func (d *decoder) value(depth int) (any, error) {
	start := d.off
	if d.off >= len(d.b) {
		return nil, d.fail(start, ErrTruncated, "value expected, input ended")
	}
	c := d.b[d.off]
	d.off++
	switch {
	case c <= 0x7f:
		return int64(c), nil
	case c >= 0xe0:
		return int64(int8(c)), nil
	case c&0xf0 == 0x80:
		return d.mapOf(uint64(c&0x0f), depth, start)
	case c&0xf0 == 0x90:
		return d.array(uint64(c&0x0f), depth, start)
	case c&0xe0 == 0xa0:
		return d.str(uint64(c & 0x1f))
	}
	switch c {
	case 0xc0:
		return nil, nil
	case 0xc2:
		return false, nil
	case 0xc3:
		return true, nil
	case 0xc4, 0xd9: // bin8, str8
		n, err := d.uint(1, "length")
		if err != nil {
			return nil, err
		}
		return d.str(n)
	case 0xc5, 0xda: // bin16, str16
		n, err := d.uint(2, "length")
		if err != nil {
			return nil, err
		}
		return d.str(n)
	case 0xc6, 0xdb: // bin32, str32
		n, err := d.uint(4, "length")
		if err != nil {
			return nil, err
		}
		return d.str(n)
	case 0xc7, 0xc8, 0xc9: // ext8/16/32
		n, err := d.uint(1<<(c-0xc7), "ext length")
		if err != nil {
			return nil, err
		}
		return d.ext(n)
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext 1/2/4/8/16
		return d.ext(1 << (c - 0xd4))
	case 0xca:
		u, err := d.uint(4, "float32")
		if err != nil {
			return nil, err
		}
		return float64(math.Float32frombits(uint32(u))), nil
	case 0xcb:
		u, err := d.uint(8, "float64")
		if err != nil {
			return nil, err
		}
		return math.Float64frombits(u), nil
	case 0xcc, 0xcd, 0xce, 0xcf:
		u, err := d.uint(1<<(c-0xcc), "uint")
		if err != nil {
			return nil, err
		}
		if u > math.MaxInt64 {
			return u, nil
		}
		return int64(u), nil
	case 0xd0:
		u, err := d.uint(1, "int8")
		return int64(int8(u)), err
	case 0xd1:
		u, err := d.uint(2, "int16")
		return int64(int16(u)), err
	case 0xd2:
		u, err := d.uint(4, "int32")
		return int64(int32(u)), err
	case 0xd3:
		u, err := d.uint(8, "int64")
		return int64(u), err
	case 0xdc, 0xdd:
		n, err := d.uint(2<<(c-0xdc), "array length")
		if err != nil {
			return nil, err
		}
		return d.array(n, depth, start)
	case 0xde, 0xdf:
		n, err := d.uint(2<<(c-0xde), "map length")
		if err != nil {
			return nil, err
		}
		return d.mapOf(n, depth, start)
	}
	return nil, d.fail(start, ErrInvalid, "byte 0x%02x is not a msgpack type", c)
}

func (d *decoder) str(n uint64) (any, error) {
	p, err := d.take(n, "string")
	if err != nil {
		return nil, err
	}
	if utf8.Valid(p) {
		return string(p), nil
	}
	return append([]byte(nil), p...), nil
}

func (d *decoder) ext(n uint64) (any, error) {
	t, err := d.uint(1, "ext type")
	if err != nil {
		return nil, err
	}
	p, err := d.take(n, "ext data")
	if err != nil {
		return nil, err
	}
	if int8(t) == ExtDatetime && utf8.Valid(p) {
		return string(p), nil
	}
	return Ext{Type: int8(t), Data: append([]byte(nil), p...)}, nil
}

func (d *decoder) array(n uint64, depth, start int) (any, error) {
	if depth >= MaxDepth {
		return nil, d.fail(start, ErrTooDeep, "array at depth %d", depth)
	}
	// Every element takes at least one byte.
	if left := uint64(len(d.b) - d.off); n > left {
		return nil, d.fail(start, ErrTruncated, "array of %d elements, %d bytes left", n, left)
	}
	out := make([]any, 0, min(n, maxPrealloc))
	for i := uint64(0); i < n; i++ {
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (d *decoder) mapOf(n uint64, depth, start int) (any, error) {
	if depth >= MaxDepth {
		return nil, d.fail(start, ErrTooDeep, "map at depth %d", depth)
	}
	// Every entry takes at least two bytes.
	if left := uint64(len(d.b) - d.off); n > left/2 {
		return nil, d.fail(start, ErrTruncated, "map of %d entries, %d bytes left", n, left)
	}
	kv := make([]any, 0, 2*min(n, maxPrealloc))
	for i := uint64(0); i < n; i++ {
		koff := d.off
		k, err := d.key(depth + 1)
		if err != nil {
			return nil, err
		}
		switch kk := k.(type) {
		case []any, *data.Map, Ext:
			return nil, d.fail(koff, ErrInvalid, "map key of type %s is not hashable", typeName(k))
		case float64:
			if kk != kk {
				return nil, d.fail(koff, ErrInvalid, "NaN map key")
			}
		}
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		kv = append(kv, k, v)
	}
	return data.M(kv...), nil
}

// key decodes a map key, interning fixstr (< 32 bytes) UTF-8 keys.
func (d *decoder) key(depth int) (any, error) {
	d.nkeys++
	if d.nkeys > internAfter && d.off < len(d.b) {
		if c := d.b[d.off]; c&0xe0 == 0xa0 {
			n := int(c & 0x1f)
			if d.off+1+n <= len(d.b) {
				p := d.b[d.off+1 : d.off+1+n]
				if s, ok := d.keys[string(p)]; ok {
					d.off += 1 + n
					return s, nil
				}
				if utf8.Valid(p) {
					s := string(p)
					if d.keys == nil {
						d.keys = make(map[string]string)
					}
					d.keys[s] = s
					d.off += 1 + n
					return s, nil
				}
			}
		}
	}
	return d.value(depth)
}

func typeName(v any) string {
	switch v.(type) {
	case []any:
		return "array"
	case *data.Map:
		return "map"
	case Ext:
		return "ext"
	}
	return fmt.Sprintf("%T", v)
}
