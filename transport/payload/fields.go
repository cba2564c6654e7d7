package payload

import (
	"fmt"

	"github.com/saltgo/saltgo/data"
)

// AsMap returns v as a map. When v is a string the master sent an error
// text instead of a map ("bad load", ...); the error then quotes it.
func AsMap(v any) (*data.Map, error) {
	switch x := v.(type) {
	case *data.Map:
		if x == nil {
			return nil, fmt.Errorf("payload: expected a map, got nil")
		}
		return x, nil
	case string:
		return nil, fmt.Errorf("payload: expected a map, master replied %q", x)
	}
	return nil, fmt.Errorf("payload: expected a map, got %s", describe(v))
}

// DecodeMap decodes b (Decode) and returns it as a map (AsMap).
func DecodeMap(b []byte) (*data.Map, error) {
	v, err := Decode(b)
	if err != nil {
		return nil, err
	}
	return AsMap(v)
}

// GetBytes returns field key of m as bytes. Salt sends binary fields (RSA
// ciphertexts, signatures, Crypticle blobs) in the msgpack str family, so a
// field decodes to string when its bytes happen to be valid UTF-8 and to
// []byte otherwise; both are accepted.
func GetBytes(m *data.Map, key string) ([]byte, error) {
	v, ok := m.Get(key)
	if !ok {
		return nil, fmt.Errorf("payload: field %q is missing", key)
	}
	b, ok := data.AsBytes(v)
	if !ok {
		return nil, fmt.Errorf("payload: field %q is %s, want bytes", key, describe(v))
	}
	return b, nil
}

// GetString returns text field key of m (string or []byte).
func GetString(m *data.Map, key string) (string, error) {
	v, ok := m.Get(key)
	if !ok {
		return "", fmt.Errorf("payload: field %q is missing", key)
	}
	s, ok := data.AsString(v)
	if !ok {
		return "", fmt.Errorf("payload: field %q is %s, want text", key, describe(v))
	}
	return s, nil
}

// GetInt returns integer field key of m. A decimal string is accepted too,
// because 2014-era masters send publish_port as a string.
func GetInt(m *data.Map, key string) (int64, error) {
	v, ok := m.Get(key)
	if !ok {
		return 0, fmt.Errorf("payload: field %q is missing", key)
	}
	if i, ok := data.AsInt(v); ok {
		return i, nil
	}
	if s, ok := data.AsString(v); ok {
		var i int64
		if _, err := fmt.Sscan(s, &i); err == nil && fmt.Sprint(i) == s {
			return i, nil
		}
	}
	return 0, fmt.Errorf("payload: field %q is %s, want an integer", key, describe(v))
}

// GetMap returns map field key of m.
func GetMap(m *data.Map, key string) (*data.Map, error) {
	v, ok := m.Get(key)
	if !ok {
		return nil, fmt.Errorf("payload: field %q is missing", key)
	}
	mm, ok := v.(*data.Map)
	if !ok || mm == nil {
		return nil, fmt.Errorf("payload: field %q is %s, want a map", key, describe(v))
	}
	return mm, nil
}

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "nil"
	case string:
		if len(x) > 40 {
			x = x[:40] + "..."
		}
		return fmt.Sprintf("string %q", x)
	case []byte:
		return fmt.Sprintf("%d bytes", len(x))
	case *data.Map:
		return "a map"
	case []any:
		return "an array"
	}
	return fmt.Sprintf("%T", v)
}
