package jinja

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/saltgo/saltgo/data"
)

// method is a bound method of a dict, list or str.
type method struct {
	recv    any
	name    string
	changed any // set when a list method produced a new list value
}

type methodFunc func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error)

func (m *method) call(ev *evaluator, args []any, kw *data.Map) (any, error) {
	for _, a := range args {
		if err := ev.need(a); err != nil {
			return nil, err
		}
	}
	var f methodFunc
	switch m.recv.(type) {
	case *data.Map:
		f = dictMethods[m.name]
	case string:
		f = strMethods[m.name]
	case []any:
		f = listMethods[m.name]
	}
	if f == nil {
		return nil, ev.errf(KindOther, "'%s' object has no attribute '%s'", typeName(m.recv), m.name)
	}
	return f(ev, m, args, kw)
}

func argErr(ev *evaluator, name string, min, max, got int) error {
	if min == max {
		return ev.errf(KindOther, "%s() takes exactly %d argument%s (%d given)", name, min, plural(min), got)
	}
	if got < min {
		return ev.errf(KindOther, "%s expected at least %d argument%s, got %d", name, min, plural(min), got)
	}
	return ev.errf(KindOther, "%s expected at most %d argument%s, got %d", name, max, plural(max), got)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func nargs(ev *evaluator, name string, args []any, min, max int) error {
	if len(args) < min || len(args) > max {
		return argErr(ev, name, min, max, len(args))
	}
	return nil
}

var dictMethods map[string]methodFunc

var listMethods map[string]methodFunc

var strMethods map[string]methodFunc

func init() {
	dictMethods = map[string]methodFunc{
		"items": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			d := m.recv.(*data.Map)
			out := make([]any, 0, d.Len())
			d.Range(func(k, v any) bool { out = append(out, data.Tuple{k, v}); return true })
			return out, nil
		},
		"keys": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			return m.recv.(*data.Map).Keys(), nil
		},
		"values": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			d := m.recv.(*data.Map)
			out := make([]any, 0, d.Len())
			d.Range(func(k, v any) bool { out = append(out, v); return true })
			return out, nil
		},
		"get": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			if err := nargs(ev, "get", args, 1, 2); err != nil {
				return nil, err
			}
			if err := ev.hashable(args[0]); err != nil {
				return nil, err
			}
			v, err := ev.getitem(m.recv, args[0])
			if err != nil {
				return nil, err
			}
			if _, ok := v.(*undefined); ok {
				if len(args) == 2 {
					return args[1], nil
				}
				return nil, nil
			}
			return v, nil
		},
		"setdefault": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			if err := nargs(ev, "setdefault", args, 1, 2); err != nil {
				return nil, err
			}
			if err := ev.hashable(args[0]); err != nil {
				return nil, err
			}
			d := m.recv.(*data.Map)
			if v, ok := d.Get(args[0]); ok {
				return v, nil
			}
			var def any
			if len(args) == 2 {
				def = args[1]
			}
			if reaches(def, d) {
				return nil, ev.errf(KindOther, "cannot store a dict inside itself")
			}
			d.Set(args[0], def)
			return def, nil
		},
		"update": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			if err := nargs(ev, "update", args, 0, 1); err != nil {
				return nil, err
			}
			d := m.recv.(*data.Map)
			for _, a := range args {
				bad := false
				if src, ok := a.(*data.Map); ok {
					// the items are copied: only the values matter
					src.Range(func(_, v any) bool { bad = reaches(v, d); return !bad })
				} else {
					bad = reaches(a, d)
				}
				if bad {
					return nil, ev.errf(KindOther, "cannot store a dict inside itself")
				}
			}
			if reaches(kw, d) {
				return nil, ev.errf(KindOther, "cannot store a dict inside itself")
			}
			if len(args) == 1 {
				switch o := args[0].(type) {
				case *data.Map:
					o.Range(func(k, v any) bool { d.Set(k, v); return true })
				case []any, data.Tuple:
					items, _ := ev.iterate(o)
					for _, it := range items {
						kv, err := ev.iterate(it)
						if err != nil || len(kv) != 2 {
							return nil, ev.errf(KindOther, "dictionary update sequence element has wrong length")
						}
						d.Set(kv[0], kv[1])
					}
				default:
					return nil, ev.errf(KindOther, "'%s' object is not iterable", typeName(o))
				}
			}
			kw.Range(func(k, v any) bool { d.Set(k, v); return true })
			return nil, nil
		},
		"pop": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			if err := nargs(ev, "pop", args, 1, 2); err != nil {
				return nil, err
			}
			d := m.recv.(*data.Map)
			if v, ok := d.Get(args[0]); ok {
				d.Delete(args[0])
				return v, nil
			}
			if len(args) == 2 {
				return args[1], nil
			}
			return nil, ev.errf(KindOther, "%s", data.Repr(args[0]))
		},
		"copy": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			return m.recv.(*data.Map).Copy(), nil
		},
		"clear": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			d := m.recv.(*data.Map)
			for _, k := range d.Keys() {
				d.Delete(k)
			}
			return nil, nil
		},
	}
	listMethods = map[string]methodFunc{
		"append": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			if err := nargs(ev, "list.append", args, 1, 1); err != nil {
				return nil, err
			}
			m.changed = append(m.recv.([]any), args[0])
			return nil, nil
		},
		"extend": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			if err := nargs(ev, "list.extend", args, 1, 1); err != nil {
				return nil, err
			}
			items, err := ev.iterate(args[0])
			if err != nil {
				return nil, err
			}
			m.changed = append(m.recv.([]any), items...)
			return nil, nil
		},
		"insert": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			if err := nargs(ev, "list.insert", args, 2, 2); err != nil {
				return nil, err
			}
			l := m.recv.([]any)
			i, ok := toInt(args[0])
			if !ok {
				return nil, ev.errf(KindOther, "'%s' object cannot be interpreted as an integer", typeName(args[0]))
			}
			n := int64(len(l))
			if i < 0 {
				i += n
				if i < 0 {
					i = 0
				}
			}
			if i > n {
				i = n
			}
			out := make([]any, 0, len(l)+1)
			out = append(append(append(out, l[:i]...), args[1]), l[i:]...)
			m.changed = out
			return nil, nil
		},
		"pop": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			if err := nargs(ev, "pop", args, 0, 1); err != nil {
				return nil, err
			}
			l := m.recv.([]any)
			if len(l) == 0 {
				return nil, ev.errf(KindOther, "pop from empty list")
			}
			i := int64(len(l) - 1)
			if len(args) == 1 {
				j, ok := toInt(args[0])
				if !ok {
					return nil, ev.errf(KindOther, "'%s' object cannot be interpreted as an integer", typeName(args[0]))
				}
				if j < 0 {
					j += int64(len(l))
				}
				if j < 0 || j >= int64(len(l)) {
					return nil, ev.errf(KindOther, "pop index out of range")
				}
				i = j
			}
			v := l[i]
			out := make([]any, 0, len(l)-1)
			m.changed = append(append(out, l[:i]...), l[i+1:]...)
			return v, nil
		},
		"remove": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			if err := nargs(ev, "list.remove", args, 1, 1); err != nil {
				return nil, err
			}
			l := m.recv.([]any)
			for i, x := range l {
				if data.Equal(x, args[0]) {
					out := make([]any, 0, len(l)-1)
					m.changed = append(append(out, l[:i]...), l[i+1:]...)
					return nil, nil
				}
			}
			return nil, ev.errf(KindOther, "list.remove(x): x not in list")
		},
		"index": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			if err := nargs(ev, "index", args, 1, 1); err != nil {
				return nil, err
			}
			for i, x := range m.recv.([]any) {
				if data.Equal(x, args[0]) {
					return int64(i), nil
				}
			}
			return nil, ev.errf(KindOther, "%s is not in list", data.Repr(args[0]))
		},
		"count": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			if err := nargs(ev, "count", args, 1, 1); err != nil {
				return nil, err
			}
			n := int64(0)
			for _, x := range m.recv.([]any) {
				if data.Equal(x, args[0]) {
					n++
				}
			}
			return n, nil
		},
		"reverse": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			l := m.recv.([]any)
			for i, j := 0, len(l)-1; i < j; i, j = i+1, j-1 {
				l[i], l[j] = l[j], l[i]
			}
			return nil, nil
		},
		"sort": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			l := m.recv.([]any)
			rev := false
			if v, ok := kw.Get("reverse"); ok {
				rev = data.Truthy(v)
			}
			if !data.Sort(l) {
				return nil, ev.errf(KindOther, "'<' not supported between instances")
			}
			if rev {
				for i, j := 0, len(l)-1; i < j; i, j = i+1, j-1 {
					l[i], l[j] = l[j], l[i]
				}
			}
			return nil, nil
		},
		"copy": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			return append([]any{}, m.recv.([]any)...), nil
		},
	}
	strMethods = map[string]methodFunc{
		"split":      strSplit(false),
		"rsplit":     strSplit(true),
		"startswith": strAffix(strings.HasPrefix),
		"endswith":   strAffix(strings.HasSuffix),
		"strip":      strStrip(strings.Trim, strings.TrimSpace),
		"lstrip":     strStrip(strings.TrimLeft, func(s string) string { return strings.TrimLeftFunc(s, unicode.IsSpace) }),
		"rstrip":     strStrip(strings.TrimRight, func(s string) string { return strings.TrimRightFunc(s, unicode.IsSpace) }),
		"lower":      strConv(strings.ToLower),
		"upper":      strConv(strings.ToUpper),
		"title":      strConv(pyTitle),
		"capitalize": strConv(pyCapitalize),
		"swapcase": strConv(func(s string) string {
			return strings.Map(func(r rune) rune {
				if unicode.IsUpper(r) {
					return unicode.ToLower(r)
				}
				return unicode.ToUpper(r)
			}, s)
		}),
		"replace": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			if err := nargs(ev, "replace", args, 2, 3); err != nil {
				return nil, err
			}
			old, ok1 := args[0].(string)
			nw, ok2 := args[1].(string)
			if !ok1 || !ok2 {
				return nil, ev.errf(KindOther, "replace() argument 1 must be str, not %s", typeName(args[0]))
			}
			n := -1
			if len(args) == 3 {
				c, _ := toInt(args[2])
				n = int(c)
			}
			return strings.Replace(m.recv.(string), old, nw, n), nil
		},
		"format": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			s, err := pyFormat(ev, m.recv.(string), args, kw)
			if err != nil {
				return nil, ev.wrap(KindOther, err)
			}
			return s, nil
		},
		"join": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			if err := nargs(ev, "join", args, 1, 1); err != nil {
				return nil, err
			}
			items, err := ev.iterate(args[0])
			if err != nil {
				return nil, err
			}
			parts := make([]string, len(items))
			for i, it := range items {
				s, ok := it.(string)
				if !ok {
					return nil, ev.errf(KindOther, "sequence item %d: expected str instance, %s found", i, typeName(it))
				}
				parts[i] = s
			}
			return strings.Join(parts, m.recv.(string)), nil
		},
		"find":  strFind(false),
		"rfind": strFind(true),
		"index": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			v, err := strFind(false)(ev, m, args, kw)
			if err == nil && v.(int64) < 0 {
				return nil, ev.errf(KindOther, "substring not found")
			}
			return v, err
		},
		"count": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			if err := nargs(ev, "count", args, 1, 1); err != nil {
				return nil, err
			}
			sub, _ := args[0].(string)
			return int64(strings.Count(m.recv.(string), sub)), nil
		},
		"splitlines": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			keep := len(args) > 0 && data.Truthy(args[0])
			return data.List(data.SplitLines(m.recv.(string), keep)), nil
		},
		"isdigit": strPred(func(r rune) bool { return r >= '0' && r <= '9' }),
		"isalpha": strPred(unicode.IsLetter),
		"isalnum": strPred(func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }),
		"isspace": strPred(unicode.IsSpace),
		"isupper": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			s := m.recv.(string)
			return strings.ToUpper(s) == s && strings.ToLower(s) != s, nil
		},
		"islower": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			s := m.recv.(string)
			return strings.ToLower(s) == s && strings.ToUpper(s) != s, nil
		},
		"zfill": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			if err := nargs(ev, "zfill", args, 1, 1); err != nil {
				return nil, err
			}
			w, _ := toInt(args[0])
			s := m.recv.(string)
			sign := ""
			if s != "" && (s[0] == '-' || s[0] == '+') {
				sign, s = s[:1], s[1:]
			}
			for int64(len(s)+len(sign)) < w {
				s = "0" + s
			}
			return sign + s, nil
		},
		"ljust":  strJust('<'),
		"rjust":  strJust('>'),
		"center": strJust('^'),
		"partition": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			if err := nargs(ev, "partition", args, 1, 1); err != nil {
				return nil, err
			}
			sep, _ := args[0].(string)
			s := m.recv.(string)
			if i := strings.Index(s, sep); i >= 0 && sep != "" {
				return data.Tuple{s[:i], sep, s[i+len(sep):]}, nil
			}
			return data.Tuple{s, "", ""}, nil
		},
		"rpartition": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			if err := nargs(ev, "rpartition", args, 1, 1); err != nil {
				return nil, err
			}
			sep, _ := args[0].(string)
			s := m.recv.(string)
			if i := strings.LastIndex(s, sep); i >= 0 && sep != "" {
				return data.Tuple{s[:i], sep, s[i+len(sep):]}, nil
			}
			return data.Tuple{"", "", s}, nil
		},
		"encode": func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
			return []byte(m.recv.(string)), nil
		},
	}
}

func strConv(f func(string) string) methodFunc {
	return func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
		return f(m.recv.(string)), nil
	}
}

func strPred(f func(rune) bool) methodFunc {
	return func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
		s := m.recv.(string)
		if s == "" {
			return false, nil
		}
		for _, r := range s {
			if !f(r) {
				return false, nil
			}
		}
		return true, nil
	}
}

func strJust(align byte) methodFunc {
	return func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
		if err := nargs(ev, "just", args, 1, 2); err != nil {
			return nil, err
		}
		w, _ := toInt(args[0])
		fill := " "
		if len(args) == 2 {
			fill, _ = args[1].(string)
		}
		s, err := formatSpec(m.recv.(string), fill+string(align)+fmt.Sprint(w))
		if err != nil {
			return nil, ev.wrap(KindOther, err)
		}
		return s, nil
	}
}

func strSplit(right bool) methodFunc {
	return func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
		s := m.recv.(string)
		var sep any
		n := int64(-1)
		if len(args) > 0 {
			sep = args[0]
		}
		if v, ok := kw.Get("sep"); ok {
			sep = v
		}
		if len(args) > 1 {
			n, _ = toInt(args[1])
		}
		if v, ok := kw.Get("maxsplit"); ok {
			n, _ = toInt(v)
		}
		var parts []string
		if sep == nil {
			parts = splitWhitespace(s, int(n), right)
		} else {
			sp, ok := sep.(string)
			if !ok {
				return nil, ev.errf(KindOther, "must be str or None, not %s", typeName(sep))
			}
			if sp == "" {
				return nil, ev.errf(KindOther, "empty separator")
			}
			if right && n >= 0 {
				parts = rsplitN(s, sp, int(n))
			} else if n >= 0 {
				parts = strings.SplitN(s, sp, int(n)+1)
			} else {
				parts = strings.Split(s, sp)
			}
		}
		out := make([]any, len(parts))
		for i, p := range parts {
			out[i] = p
		}
		return out, nil
	}
}

func rsplitN(s, sep string, n int) []string {
	var out []string
	for n != 0 {
		i := strings.LastIndex(s, sep)
		if i < 0 {
			break
		}
		out = append([]string{s[i+len(sep):]}, out...)
		s = s[:i]
		n--
	}
	return append([]string{s}, out...)
}

func splitWhitespace(s string, n int, right bool) []string {
	fields := strings.Fields(s)
	if n < 0 || len(fields) <= n {
		return fields
	}
	if right {
		// keep the head joined as it was written
		t := strings.TrimRightFunc(s, unicode.IsSpace)
		var tail []string
		for i := 0; i < n; i++ {
			j := strings.LastIndexFunc(t, unicode.IsSpace)
			tail = append([]string{t[j+1:]}, tail...)
			t = strings.TrimRightFunc(t[:j+1], unicode.IsSpace)
		}
		return append([]string{t}, tail...)
	}
	t := strings.TrimLeftFunc(s, unicode.IsSpace)
	var out []string
	for i := 0; i < n; i++ {
		j := strings.IndexFunc(t, unicode.IsSpace)
		out = append(out, t[:j])
		t = strings.TrimLeftFunc(t[j:], unicode.IsSpace)
	}
	return append(out, t)
}

func strAffix(f func(s, p string) bool) methodFunc {
	return func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
		if err := nargs(ev, "startswith", args, 1, 1); err != nil {
			return nil, err
		}
		s := m.recv.(string)
		switch p := args[0].(type) {
		case string:
			return f(s, p), nil
		case data.Tuple, []any:
			items, _ := ev.iterate(p)
			for _, it := range items {
				if ps, ok := it.(string); ok && f(s, ps) {
					return true, nil
				}
			}
			return false, nil
		}
		return nil, ev.errf(KindOther, "startswith first arg must be str or a tuple of str, not %s", typeName(args[0]))
	}
}

func strStrip(withChars func(string, string) string, ws func(string) string) methodFunc {
	return func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
		s := m.recv.(string)
		if len(args) > 0 && args[0] != nil {
			cs, ok := args[0].(string)
			if !ok {
				return nil, ev.errf(KindOther, "strip arg must be None or str")
			}
			return withChars(s, cs), nil
		}
		return ws(s), nil
	}
}

func strFind(right bool) methodFunc {
	return func(ev *evaluator, m *method, args []any, kw *data.Map) (any, error) {
		if err := nargs(ev, "find", args, 1, 1); err != nil {
			return nil, err
		}
		sub, _ := args[0].(string)
		s := m.recv.(string)
		var i int
		if right {
			i = strings.LastIndex(s, sub)
		} else {
			i = strings.Index(s, sub)
		}
		if i < 0 {
			return int64(-1), nil
		}
		return int64(len([]rune(s[:i]))), nil
	}
}

func pyTitle(s string) string {
	var b strings.Builder
	prev := false
	for _, r := range s {
		if unicode.IsLetter(r) {
			if prev {
				b.WriteRune(unicode.ToLower(r))
			} else {
				b.WriteRune(unicode.ToUpper(r))
			}
			prev = true
		} else {
			b.WriteRune(r)
			prev = unicode.IsDigit(r)
		}
	}
	return b.String()
}

func pyCapitalize(s string) string {
	if s == "" {
		return s
	}
	r := []rune(strings.ToLower(s))
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}
