package fileclient

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"sort"

	"github.com/saltgo/saltgo/data"
)

// maxGunzip bounds one gunzipped chunk (a hostile master could send a gzip
// bomb); the master's chunks are at most file_buffer_size (1 MiB) before
// compression.
const maxGunzip = 64 << 20

// ParseHash reads a _file_hash reply: "" (or an empty map) is the missing
// file, else a map with the strings hsum and hash_type.
func ParseHash(v any) (Hash, error) {
	switch r := v.(type) {
	case string:
		if r == "" {
			return Hash{}, nil
		}
	case []byte:
		if len(r) == 0 {
			return Hash{}, nil
		}
	case *data.Map:
		if r.Len() == 0 {
			return Hash{}, nil
		}
		sum, ok1 := data.AsString(mapGet(r, "hsum"))
		ht, ok2 := data.AsString(mapGet(r, "hash_type"))
		if !ok1 || !ok2 || sum == "" || ht == "" {
			return Hash{}, fmt.Errorf("want {hsum, hash_type} strings, got %s", clip(data.Repr(r)))
		}
		return Hash{Type: ht, Sum: sum}, nil
	}
	return Hash{}, fmt.Errorf("want a hash map or \"\", got %s", clip(data.Repr(v)))
}

// Chunk is one _serve_file reply.
type Chunk struct {
	Data []byte // the (maybe compressed) bytes; empty at the end
	Dest string // the served rel path ("" when not found)
	Gzip bool   // Data is a gzip stream
}

// ParseChunk reads a _serve_file reply; a reply that is not a map with
// data (bytes or str) and dest (str) is an error (Salt's "data transport
// is broken", which it retries).
func ParseChunk(v any) (Chunk, error) {
	m, ok := v.(*data.Map)
	if !ok {
		return Chunk{}, fmt.Errorf("want a map with data and dest, got %s", clip(data.Repr(v)))
	}
	dv, ok1 := m.Get("data")
	destV, ok2 := m.Get("dest")
	if !ok1 || !ok2 {
		return Chunk{}, fmt.Errorf("reply without data or dest: %s", clip(data.Repr(m)))
	}
	var c Chunk
	switch d := dv.(type) {
	case []byte:
		c.Data = d
	case string:
		c.Data = []byte(d)
	case nil, bool:
		if data.Truthy(d) {
			return Chunk{}, fmt.Errorf("data is %s", data.Repr(d))
		}
	default:
		return Chunk{}, fmt.Errorf("data is a %s", data.TypeStr(dv))
	}
	switch d := destV.(type) {
	case string:
		c.Dest = d
	case []byte:
		c.Dest = string(d)
	case nil:
	default:
		return Chunk{}, fmt.Errorf("dest is a %s", data.TypeStr(destV))
	}
	if g, ok := m.Get("gzip"); ok && data.Truthy(g) {
		c.Gzip = true
	}
	return c, nil
}

// ParseStrings reads a list of strings (_file_list, _dir_list,
// _file_envs); {} (what a master answers a command it does not know) is
// read as an empty list.
func ParseStrings(v any) ([]string, error) {
	switch l := v.(type) {
	case []any:
		out := make([]string, 0, len(l))
		for _, e := range l {
			s, ok := data.AsString(e)
			if !ok {
				return nil, fmt.Errorf("want a list of strings, got an element %s", clip(data.Repr(e)))
			}
			out = append(out, s)
		}
		return out, nil
	case *data.Map:
		if l.Len() == 0 {
			return []string{}, nil
		}
	case nil:
		return []string{}, nil
	}
	return nil, fmt.Errorf("want a list of strings, got %s", clip(data.Repr(v)))
}

// ParseSymlinks reads a _symlink_list reply (a map of string to string).
func ParseSymlinks(v any) (map[string]string, error) {
	m, ok := v.(*data.Map)
	if !ok {
		if l, ok := v.([]any); ok && len(l) == 0 {
			return map[string]string{}, nil
		}
		return nil, fmt.Errorf("want a map of link to target, got %s", clip(data.Repr(v)))
	}
	out := make(map[string]string, m.Len())
	var err error
	m.Range(func(k, val any) bool {
		ks, ok1 := data.AsString(k)
		vs, ok2 := data.AsString(val)
		if !ok1 || !ok2 {
			err = fmt.Errorf("want string to string, got %s: %s", clip(data.Repr(k)), clip(data.Repr(val)))
			return false
		}
		out[ks] = vs
		return true
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SortedLinks returns the link paths of m, sorted.
func SortedLinks(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func gunzip(b []byte) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, maxGunzip+1))
	if err != nil {
		return nil, fmt.Errorf("gunzip: %w", err)
	}
	if len(out) > maxGunzip {
		return nil, fmt.Errorf("gunzip: chunk larger than %d bytes", maxGunzip)
	}
	return out, nil
}

func mapGet(m *data.Map, k string) any { v, _ := m.Get(k); return v }

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}
