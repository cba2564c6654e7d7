package settings

import (
	"fmt"
	"sort"
	"strings"

	"github.com/saltgo/saltgo/data"
)

// Source is the lookup chain of makina-states' mc_utils.get: a key is looked
// up as one flat key (dots are part of the key) in the minion opts, the
// pillar, the local registry, the grains and finally pillar['master'].
// Nil layers are skipped.
type Source struct {
	Opts     *data.Map
	Pillar   *data.Map
	Registry *data.Map
	Grains   *data.Map
}

// Get returns the value of the flat key key and whether some layer has it.
func (s *Source) Get(key string) (any, bool) {
	for _, m := range []*data.Map{s.Opts, s.Pillar, s.Registry, s.Grains} {
		if v, ok := m.Get(key); ok {
			return v, true
		}
	}
	if pm, ok := mapGet(s.Pillar, "master").(*data.Map); ok {
		if v, ok := pm.Get(key); ok {
			return v, true
		}
	}
	return nil, false
}

// keysWithPrefix returns the flat pillar and grain keys that start with
// prefix, pillar keys first, each group sorted (mc_utils.get_uniq_keys_for).
func (s *Source) keysWithPrefix(prefix string) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range []*data.Map{s.Pillar, s.Grains} {
		var group []string
		m.Range(func(k, _ any) bool {
			if ks, ok := k.(string); ok && strings.HasPrefix(ks, prefix) && !seen[ks] {
				seen[ks] = true
				group = append(group, ks)
			}
			return true
		})
		sort.Strings(group)
		out = append(out, group...)
	}
	return out
}

// Defaults implements mc_utils.defaults(prefix, defaults) (spec section 3.1)
// and returns a new mapping; defs is not modified:
//
//  1. a mapping found under the flat key prefix is deep-merged over defs
//     (lists replaced);
//  2. every flat key prefix.<key> is injected: mappings are deep-merged,
//     lists are appended (at the top level the configured items end up
//     twice, as in the original), anything else is replaced;
//  3. prefix.<key>-overrides replaces <key> wholesale; mappings recurse into
//     Defaults(prefix.<key>, ...), where flat lists replace;
//  4. "{name}" in strings is replaced by the top-level value of name.
//
// Injected keys that contain a dot (the original's junk keys such as
// "defaults.profile") are not kept at the top level: the recursion of step
// 3 applies them where they belong.
func (s *Source) Defaults(prefix string, defs *data.Map) *data.Map {
	return s.defaults(prefix, deepCopy(defs).(*data.Map), true)
}

func (s *Source) defaults(prefix string, d *data.Map, top bool) *data.Map {
	if v, ok := s.Get(prefix); ok {
		if m, ok := v.(*data.Map); ok {
			d = mergeMaps(d, m)
		}
	}
	appended := map[string][]any{}
	for _, fk := range s.keysWithPrefix(prefix + ".") {
		key := fk[len(prefix)+1:]
		if key == "" || strings.Contains(key, ".") || strings.HasSuffix(key, "-overrides") {
			continue
		}
		val, _ := s.Get(fk)
		cur, _ := d.Get(key)
		switch c := cur.(type) {
		case *data.Map:
			if vm, ok := val.(*data.Map); ok {
				d.Set(key, mergeMaps(c, vm))
				continue
			}
		case []any:
			if vl, ok := val.([]any); ok && top {
				d.Set(key, append(append([]any{}, c...), deepCopy(vl).([]any)...))
				appended[key] = vl
				continue
			}
		}
		d.Set(key, deepCopy(val))
	}
	for _, k := range d.Keys() {
		key := fmt.Sprint(k)
		if ov, ok := s.Get(prefix + "." + key + "-overrides"); ok {
			d.Set(k, deepCopy(ov))
			continue
		}
		cur, _ := d.Get(k)
		switch c := cur.(type) {
		case *data.Map:
			d.Set(k, s.defaults(prefix+"."+key, c, false))
		case []any:
			if vl, ok := appended[key]; ok && len(vl) > 0 {
				// The original extends the already extended default list
				// a second time (spec 3.1 table, quirk 12).
				d.Set(k, append(c, deepCopy(vl).([]any)...))
			}
		}
	}
	resolve(d)
	return d
}

// mergeMaps returns a deep copy of a with b deep-merged over it (salt's
// dictupdate: mappings merge recursively, everything else is replaced).
func mergeMaps(a, b *data.Map) *data.Map {
	out := deepCopy(a).(*data.Map)
	b.Range(func(k, v any) bool {
		if bm, ok := v.(*data.Map); ok {
			if am, ok := mapGet(out, k).(*data.Map); ok {
				out.Set(k, mergeMaps(am, bm))
				return true
			}
		}
		out.Set(k, deepCopy(v))
		return true
	})
	return out
}

// deepCopy copies mappings and lists recursively.
func deepCopy(v any) any {
	return data.MapTree(v, func(x *data.Map, rec func(any) any) any {
		out := data.NewMap()
		out.Ordered = x.Ordered
		x.Range(func(k, e any) bool { out.Set(k, rec(e)); return true })
		return out
	})
}

// resolve replaces "{name}" in the strings of d with the top-level value of
// name (mc_utils.format_resolve): a string that is exactly "{name}" takes
// the value itself, otherwise its Python str() form is spliced in. It
// iterates until nothing changes, at most 50 times.
func resolve(d *data.Map) {
	for i := 0; i < 50; i++ {
		changed := false
		for _, k := range d.Keys() {
			v, _ := d.Get(k)
			nv, c := resolveValue(v, d)
			if c {
				d.Set(k, nv)
				changed = true
			}
		}
		if !changed {
			return
		}
	}
}

func resolveValue(v any, top *data.Map) (any, bool) {
	switch x := v.(type) {
	case string:
		if !strings.Contains(x, "{") {
			return x, false
		}
		out, changed := any(x), false
		top.Range(func(k, tv any) bool {
			s, ok := out.(string)
			if !ok {
				return false
			}
			pat := "{" + fmt.Sprint(k) + "}"
			if !strings.Contains(s, pat) {
				return true
			}
			if ts, ok := tv.(string); ok && strings.Contains(ts, pat) {
				return true // self reference: leave as is
			}
			if s == pat {
				out, changed = deepCopy(tv), true
				return true
			}
			out, changed = strings.ReplaceAll(s, pat, data.Str(tv)), true
			return true
		})
		return out, changed
	case []any:
		changed := false
		for i, e := range x {
			if ne, c := resolveValue(e, top); c {
				x[i], changed = ne, true
			}
		}
		return x, changed
	case *data.Map:
		changed := false
		for _, k := range x.Keys() {
			e, _ := x.Get(k)
			if ne, c := resolveValue(e, top); c {
				x.Set(k, ne)
				changed = true
			}
		}
		return x, changed
	}
	return v, false
}

func mapGet(m *data.Map, k any) any {
	v, _ := m.Get(k)
	return v
}
