package grains

import (
	"encoding/base64"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/saltgo/saltgo/atomicfile"
	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/saltyaml"
)

// Store edits the static grains file the way salt.modules.grains does
// (setval, setvals, append, remove, set, delval, delkey), keeping the
// in-memory grains in step. Every write replaces the file atomically.
type Store struct {
	// Path is the grains file (Config.GrainsFile()).
	Path string
	// Grains are the minion's current grains (__grains__); they are read
	// by Append/Set/Remove and updated by every write. May be nil.
	Grains *data.Map

	mu sync.Mutex
}

// SetVals merges vals into the grains file and the in-memory grains. With
// destructive, a nil value deletes the key. It returns vals, as Salt does.
func (s *Store) SetVals(vals *data.Map, destructive bool) (*data.Map, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	file := data.NewMap()
	if b, err := os.ReadFile(s.Path); err == nil {
		v, err := config.UnmarshalYAML(b, s.Path)
		if err != nil {
			return nil, fmt.Errorf("unable to read existing grains file: %w", err)
		}
		if m, ok := v.(*data.Map); ok {
			file = m
		}
	} else if !os.IsNotExist(err) {
		return nil, fmt.Errorf("read grains file: %w", err)
	}
	if s.Grains == nil {
		s.Grains = data.NewMap()
	}
	vals.Range(func(k, v any) bool {
		if v == nil && destructive {
			file.Delete(k)
			s.Grains.Delete(k)
		} else {
			file.Set(k, v)
			s.Grains.Set(k, v)
		}
		return true
	})
	out, err := MarshalGrainsYAML(file)
	if err != nil {
		return nil, err
	}
	perm := os.FileMode(0o644)
	if st, err := os.Stat(s.Path); err == nil {
		perm = st.Mode().Perm()
	}
	if err := atomicfile.WriteMkdir(s.Path, out, perm, 0o755); err != nil {
		return nil, fmt.Errorf("unable to write to grains file at %s: %w", s.Path, err)
	}
	return vals, nil
}

// SetVal sets one grain; it returns {key: val}.
func (s *Store) SetVal(key string, val any, destructive bool) (*data.Map, error) {
	return s.SetVals(data.M(key, val), destructive)
}

func (s *Store) get(key, delim string) (any, bool) {
	if s.Grains == nil {
		return nil, false
	}
	return config.Traverse(s.Grains, key, delim)
}

// Append adds val (or each element of a list val) to the list grain key
// (a delim-separated path). It returns the SetVal result, or a message
// string when key is not a list or val is already there (Salt's shapes).
func (s *Store) Append(key string, val any, convert bool, delim string) (any, error) {
	if delim == "" {
		delim = ":"
	}
	cur, ok := s.get(key, delim)
	var lst []any
	switch x := cur.(type) {
	case []any:
		lst = append([]any(nil), x...)
	default:
		if !ok {
			lst = []any{}
		} else if convert {
			if x == nil {
				lst = []any{}
			} else {
				lst = []any{x}
			}
		} else {
			return fmt.Sprintf("The key %s is not a valid list", key), nil
		}
	}
	for _, e := range lst {
		if data.Equal(e, val) {
			return fmt.Sprintf("The val %v was already in the list %s", data.Str(val), key), nil
		}
	}
	if vl, ok := val.([]any); ok {
		lst = append(lst, vl...)
	} else {
		lst = append(lst, val)
	}
	var v any = lst
	for strings.Contains(key, delim) {
		i := strings.LastIndex(key, delim)
		parent, rest := key[:i], key[i+len(delim):]
		pv, _ := s.get(parent, delim)
		pm, isMap := pv.(*data.Map)
		if !isMap {
			pm = data.NewMap()
		} else {
			pm = pm.Copy()
		}
		pm.Set(rest, v)
		v, key = pm, parent
	}
	return s.SetVal(key, v, false)
}

// Remove deletes val from the list grain key; like Append it returns the
// SetVal result or a message string.
func (s *Store) Remove(key string, val any, delim string) (any, error) {
	if delim == "" {
		delim = ":"
	}
	cur, _ := s.get(key, delim)
	lst, ok := cur.([]any)
	if !ok {
		return fmt.Sprintf("The key %s is not a valid list", key), nil
	}
	idx := -1
	for i, e := range lst {
		if data.Equal(e, val) {
			idx = i
			break
		}
	}
	if idx < 0 {
		return fmt.Sprintf("The val %v was not in the list %s", data.Str(val), key), nil
	}
	var v any = append(append([]any(nil), lst[:idx]...), lst[idx+1:]...)
	for strings.Contains(key, delim) {
		i := strings.LastIndex(key, delim)
		parent, rest := key[:i], key[i+len(delim):]
		pv, _ := s.get(parent, delim)
		if pm, ok := pv.(*data.Map); ok {
			pm = pm.Copy()
			pm.Set(rest, v)
			v = pm
		} else {
			v = pv
		}
		key = parent
	}
	return s.SetVal(key, v, false)
}

func isComplex(v any) bool {
	switch v.(type) {
	case *data.Map, []any:
		return true
	}
	return false
}

// Set is grains.set: it sets a (possibly nested) key conservatively and
// returns {comment, changes, result}.
func (s *Store) Set(key string, val any, force, destructive bool, delim string) (*data.Map, error) {
	if delim == "" {
		delim = ":"
	}
	ret := data.M("comment", "", "changes", data.NewMap(), "result", true)
	existing, exists := s.get(key, delim)
	if exists && data.Equal(existing, val) && (val != nil || !destructive) {
		ret.Set("comment", "Grain is already set")
		return ret, nil
	}
	value := val
	if exists && existing != nil && !force {
		if isComplex(existing) {
			ret.Set("comment", fmt.Sprintf("The key '%s' exists but is a dict or a list. Use 'force=True' to overwrite.", key))
			ret.Set("result", false)
			return ret, nil
		}
		if isComplex(val) {
			ret.Set("comment", fmt.Sprintf("The key '%s' exists and the given value is a dict or a list. Use 'force=True' to overwrite.", key))
			ret.Set("result", false)
			return ret, nil
		}
	}
	for strings.Contains(key, delim) {
		i := strings.LastIndex(key, delim)
		parent, rest := key[:i], key[i+len(delim):]
		pv, ok := s.get(parent, delim)
		if !ok {
			pv = data.NewMap()
		}
		switch x := pv.(type) {
		case *data.Map:
			x = x.Copy()
			if value == nil && destructive {
				x.Delete(rest)
			} else {
				x.Set(rest, value)
			}
			pv = x
		case []any:
			l := append([]any(nil), x...)
			updated := false
			for j, item := range l {
				if item == rest {
					l[j] = data.M(rest, value)
					updated = true
				} else if m, ok := item.(*data.Map); ok && m.Has(rest) {
					m = m.Copy()
					m.Set(rest, value)
					l[j] = m
					updated = true
				}
			}
			if !updated {
				l = append(l, data.M(rest, value))
			}
			pv = l
		default:
			if x == rest || force {
				pv = data.M(rest, value)
			} else {
				ret.Set("comment", fmt.Sprintf("The key '%s' value is '%v', which is different from the provided key '%s'. Use 'force=True' to overwrite.", parent, data.Str(x), rest))
				ret.Set("result", false)
				return ret, nil
			}
		}
		value, key = pv, parent
	}
	changes, err := s.SetVal(key, value, destructive)
	if err != nil {
		ret.Set("comment", err.Error())
		ret.Set("result", false)
		return ret, nil
	}
	ret.Set("changes", changes)
	return ret, nil
}

// DelVal is grains.delval: it sets key to None (deletes it with
// destructive) through Set, returning Set's result.
func (s *Store) DelVal(key string, destructive, force bool) (*data.Map, error) {
	return s.Set(key, nil, force, destructive, ":")
}

// DelKey is grains.delkey: DelVal with destructive.
func (s *Store) DelKey(key string, force bool) (*data.Map, error) {
	return s.DelVal(key, true, force)
}

// MarshalGrainsYAML renders grains as block YAML with sorted keys, like
// PyYAML's safe_dump(default_flow_style=False); strings that YAML 1.1 would
// read as another type are quoted, so Salt reads them back unchanged.
func MarshalGrainsYAML(m *data.Map) ([]byte, error) {
	n, err := toNode(m)
	if err != nil {
		return nil, err
	}
	if m.Len() == 0 {
		return []byte("{}\n"), nil
	}
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	enc.CompactSeqIndent() // PyYAML's "key:\n- item", not "key:\n  - item"
	if err := enc.Encode(n); err != nil {
		return nil, fmt.Errorf("encode grains: %w", err)
	}
	enc.Close()
	return []byte(b.String()), nil
}

func scalarNode(tag, v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v}
}

func toNode(v any) (*yaml.Node, error) {
	switch x := data.Normalize(v).(type) {
	case nil:
		return scalarNode("!!null", "null"), nil
	case bool:
		return scalarNode("!!bool", strconv.FormatBool(x)), nil
	case int64:
		return scalarNode("!!int", strconv.FormatInt(x, 10)), nil
	case uint64:
		return scalarNode("!!int", strconv.FormatUint(x, 10)), nil
	case float64:
		return scalarNode("!!float", saltyaml.FormatFloat(x)), nil
	case string:
		n := scalarNode("!!str", x)
		if v, err := config.UnmarshalYAML([]byte(x), ""); err != nil || v != x {
			n.Style = yaml.DoubleQuotedStyle
		}
		return n, nil
	case []byte:
		return scalarNode("!!binary", base64.StdEncoding.EncodeToString(x)), nil
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, e := range x {
			c, err := toNode(e)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, c)
		}
		return n, nil
	case *data.Map:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		keys := x.Keys()
		sort.SliceStable(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		for _, k := range keys {
			kn, err := toNode(k)
			if err != nil {
				return nil, err
			}
			val, _ := x.Get(k)
			vn, err := toNode(val)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, kn, vn)
		}
		return n, nil
	}
	return nil, fmt.Errorf("cannot store %T in the grains file", v)
}
