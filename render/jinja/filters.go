package jinja

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"math"
	"math/big"
	"math/rand/v2"
	"net/netip"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/output"
)

// filterFunc is a filter: the value, the positional and keyword arguments.
type filterFunc func(ev *evaluator, v any, args []any, kw *data.Map) (any, error)

var filters map[string]filterFunc

// arg returns positional argument i or keyword name, or def.
func arg(args []any, kw *data.Map, i int, name string, def any) any {
	if i < len(args) {
		return args[i]
	}
	if v, ok := kw.Get(name); ok {
		return v
	}
	return def
}

func (ev *evaluator) applyFilter(f *filterExpr, v any, s *scope) (any, error) {
	fn, ok := filters[f.name]
	if !ok {
		return nil, ev.errf(KindSyntax, "No filter named '%s'.", f.name)
	}
	args, kw, err := ev.evalArgs(f.args, f.kwNames, f.kwVals, nil, nil, s)
	if err != nil {
		return nil, err
	}
	for _, a := range args {
		if err := ev.need(a); err != nil {
			return nil, err
		}
	}
	if f.name != "default" && f.name != "d" {
		if err := ev.need(v); err != nil {
			return nil, err
		}
	}
	return fn(ev, v, args, kw)
}

func (ev *evaluator) evalTest(x *testExpr, s *scope) (any, error) {
	fn, ok := tests[x.name]
	if !ok {
		return nil, ev.errf(KindSyntax, "No test named '%s'.", x.name)
	}
	v, err := ev.eval(x.obj, s)
	if err != nil {
		return nil, err
	}
	args, kw, err := ev.evalArgs(x.args, x.kwNames, x.kwVals, nil, nil, s)
	if err != nil {
		return nil, err
	}
	for _, a := range args {
		if err := ev.need(a); err != nil {
			return nil, err
		}
	}
	if x.name != "defined" && x.name != "undefined" {
		if err := ev.need(v); err != nil {
			return nil, err
		}
	}
	r, err := fn(ev, v, args, kw)
	if err != nil {
		return nil, err
	}
	return r != x.neg, nil
}

type testFunc func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error)

var tests map[string]testFunc

func strArg(ev *evaluator, v any, what string) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", ev.errf(KindOther, "%s: expected string, got %s", what, typeName(v))
	}
	return s, nil
}

func listOf(ev *evaluator, v any) ([]any, error) {
	return ev.iterate(v)
}

func init() {
	filters = map[string]filterFunc{
		"default": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			def := arg(args, kw, 0, "default_value", "")
			boolean := data.Truthy(arg(args, kw, 1, "boolean", false))
			if _, ok := v.(*undefined); ok {
				return def, nil
			}
			if boolean && !data.Truthy(v) {
				return def, nil
			}
			return v, nil
		},
		"length": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			switch x := v.(type) {
			case string:
				return int64(len([]rune(x))), nil
			case *data.Map:
				return int64(x.Len()), nil
			case *namespace:
				return int64(x.m.Len()), nil
			}
			items, err := ev.iterate(v)
			if err != nil {
				return nil, ev.errf(KindOther, "object of type '%s' has no len()", typeName(v))
			}
			return int64(len(items)), nil
		},
		"join": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			sep := pyStr(arg(args, kw, 0, "d", ""))
			attr := arg(args, kw, 1, "attribute", nil)
			items, err := listOf(ev, v)
			if err != nil {
				return nil, err
			}
			parts := make([]string, len(items))
			for i, it := range items {
				if attr != nil {
					if it, err = ev.attrPath(it, attr); err != nil {
						return nil, err
					}
				}
				if parts[i], err = ev.toStr(it); err != nil {
					return nil, err
				}
			}
			return strings.Join(parts, sep), nil
		},
		"lower":      strFilter(strings.ToLower),
		"upper":      strFilter(strings.ToUpper),
		"title":      strFilter(jinjaTitle),
		"capitalize": strFilter(pyCapitalize),
		"trim": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			s := pyStr(v)
			if c := arg(args, kw, 0, "chars", nil); c != nil {
				return strings.Trim(s, pyStr(c)), nil
			}
			return strings.TrimFunc(s, unicode.IsSpace), nil
		},
		"replace": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			if len(args) < 2 {
				return nil, ev.errf(KindOther, "replace() expected at least 2 arguments")
			}
			n := -1
			if len(args) > 2 {
				c, _ := toInt(args[2])
				n = int(c)
			}
			return strings.Replace(pyStr(v), pyStr(args[0]), pyStr(args[1]), n), nil
		},
		"string": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) { return ev.toStr(v) },
		"int": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			def := arg(args, kw, 0, "default", int64(0))
			base, _ := toInt(arg(args, kw, 1, "base", int64(10)))
			switch x := v.(type) {
			case int64, *big.Int:
				return x, nil
			case bool:
				n, _ := toInt(x)
				return n, nil
			case float64:
				if math.IsNaN(x) || math.IsInf(x, 0) {
					return def, nil
				}
				return int64(x), nil
			case string:
				s := strings.TrimSpace(strings.ReplaceAll(x, "_", ""))
				if n, err := strconv.ParseInt(s, int(base), 64); err == nil {
					return n, nil
				}
				if base == 10 {
					if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
						return int64(f), nil
					}
				}
				if base == 16 || base == 8 || base == 2 {
					if n, err := strconv.ParseInt(s, 0, 64); err == nil {
						return n, nil
					}
				}
			}
			return def, nil
		},
		"float": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			def := arg(args, kw, 0, "default", 0.0)
			switch x := v.(type) {
			case string:
				if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil {
					return f, nil
				}
				return def, nil
			}
			if f, ok := toFloat(v); ok {
				return f, nil
			}
			return def, nil
		},
		"abs": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			switch x := v.(type) {
			case int64:
				if x < 0 {
					return -x, nil
				}
				return x, nil
			case float64:
				return math.Abs(x), nil
			case bool:
				n, _ := toInt(x)
				return n, nil
			}
			return nil, ev.errf(KindOther, "bad operand type for abs(): '%s'", typeName(v))
		},
		"round": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			prec, _ := toInt(arg(args, kw, 0, "precision", int64(0)))
			method := pyStr(arg(args, kw, 1, "method", "common"))
			f, ok := toFloat(v)
			if !ok {
				return nil, ev.errf(KindOther, "must be real number, not %s", typeName(v))
			}
			p := math.Pow(10, float64(prec))
			switch method {
			case "ceil":
				return math.Ceil(f*p) / p, nil
			case "floor":
				return math.Floor(f*p) / p, nil
			case "common":
			default:
				return nil, ev.errf(KindOther, "method must be common, ceil or floor")
			}
			if _, isFloat := v.(float64); !isFloat {
				return v, nil // round() of an int is the int
			}
			return math.RoundToEven(f*p) / p, nil
		},
		"first": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			items, err := listOf(ev, v)
			if err != nil {
				return nil, err
			}
			if len(items) == 0 {
				return &undefined{hint: "No first item, sequence was empty."}, nil
			}
			return items[0], nil
		},
		"last": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			items, err := listOf(ev, v)
			if err != nil {
				return nil, err
			}
			if len(items) == 0 {
				return &undefined{hint: "No last item, sequence was empty."}, nil
			}
			return items[len(items)-1], nil
		},
		"list": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			items, err := listOf(ev, v)
			if err != nil {
				return nil, err
			}
			return append([]any{}, items...), nil
		},
		"reverse": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			if s, ok := v.(string); ok {
				r := []rune(s)
				for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
					r[i], r[j] = r[j], r[i]
				}
				return string(r), nil
			}
			items, err := listOf(ev, v)
			if err != nil {
				return nil, err
			}
			out := make([]any, len(items))
			for i, it := range items {
				out[len(items)-1-i] = it
			}
			return out, nil
		},
		"sort": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			rev := data.Truthy(arg(args, kw, 0, "reverse", false))
			cs := data.Truthy(arg(args, kw, 1, "case_sensitive", false))
			attr := arg(args, kw, 2, "attribute", nil)
			items, err := listOf(ev, v)
			if err != nil {
				return nil, err
			}
			return ev.sortItems(items, rev, cs, attr)
		},
		"dictsort": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			m, ok := v.(*data.Map)
			if !ok {
				return nil, ev.errf(KindOther, "You can only sort by either \"key\" or \"value\"")
			}
			cs := data.Truthy(arg(args, kw, 0, "case_sensitive", false))
			by := pyStr(arg(args, kw, 1, "by", "key"))
			rev := data.Truthy(arg(args, kw, 2, "reverse", false))
			var items []any
			m.Range(func(k, v any) bool { items = append(items, data.Tuple{k, v}); return true })
			idx := int64(0)
			if by == "value" {
				idx = 1
			}
			return ev.sortItems(items, rev, cs, idx)
		},
		"unique": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			items, err := listOf(ev, v)
			if err != nil {
				return nil, err
			}
			var out []any
			for _, it := range items {
				dup := false
				for _, o := range out {
					if data.Equal(o, it) {
						dup = true
						break
					}
				}
				if !dup {
					out = append(out, it)
				}
			}
			if out == nil {
				out = []any{}
			}
			return out, nil
		},
		"map":        mapFilter,
		"select":     selectFilter(false, false),
		"reject":     selectFilter(true, false),
		"selectattr": selectFilter(false, true),
		"rejectattr": selectFilter(true, true),
		"sum": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			attr := arg(args, kw, 0, "attribute", nil)
			total := arg(args, kw, 1, "start", int64(0))
			items, err := listOf(ev, v)
			if err != nil {
				return nil, err
			}
			for _, it := range items {
				if attr != nil {
					if it, err = ev.attrPath(it, attr); err != nil {
						return nil, err
					}
				}
				if total, err = ev.binop("+", total, it); err != nil {
					return nil, err
				}
			}
			return total, nil
		},
		"min": pyMinMax("min"),
		"max": pyMinMax("max"),
		"batch": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			n, _ := toInt(arg(args, kw, 0, "linecount", int64(1)))
			if n <= 0 {
				return nil, ev.errf(KindOther, "batch size must be positive")
			}
			fill := arg(args, kw, 1, "fill_with", nil)
			items, err := listOf(ev, v)
			if err != nil {
				return nil, err
			}
			var out []any
			for i := 0; i < len(items); i += int(n) {
				end := min(i+int(n), len(items))
				row := append([]any{}, items[i:end]...)
				for fill != nil && len(row) < int(n) {
					row = append(row, fill)
				}
				out = append(out, row)
			}
			return orEmpty(out), nil
		},
		"indent": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			width := arg(args, kw, 0, "width", int64(4))
			first := data.Truthy(arg(args, kw, 1, "first", false))
			blank := data.Truthy(arg(args, kw, 2, "blank", false))
			pad := ""
			if w, ok := toInt(width); ok {
				pad = strings.Repeat(" ", int(max(w, 0)))
			} else {
				pad = pyStr(width)
			}
			lines := data.SplitLines(pyStr(v)+"\n", false)
			var out string
			if blank {
				out = strings.Join(lines, "\n"+pad)
			} else {
				out = lines[0]
				if len(lines) > 1 {
					rest := make([]string, len(lines)-1)
					for i, l := range lines[1:] {
						if l != "" {
							l = pad + l
						}
						rest[i] = l
					}
					out += "\n" + strings.Join(rest, "\n")
				}
			}
			if first {
				out = pad + out
			}
			return out, nil
		},
		"center": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			w, _ := toInt(arg(args, kw, 0, "width", int64(80)))
			s, err := formatSpec(pyStr(v), "^"+strconv.FormatInt(w, 10))
			if err != nil {
				return nil, ev.wrap(KindOther, err)
			}
			return s, nil
		},
		"wordcount": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			return int64(len(regexp.MustCompile(`\w+`).FindAllString(pyStr(v), -1))), nil
		},
		"format": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			var a any = data.Tuple(args)
			if kw.Len() > 0 {
				a = kw
			}
			s, err := pyPercent(pyStr(v), a)
			if err != nil {
				return nil, ev.wrap(KindOther, err)
			}
			return s, nil
		},
		"attr": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			return ev.getattr(v, pyStr(arg(args, kw, 0, "name", "")))
		},
		"items": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			m, ok := v.(*data.Map)
			if !ok {
				return nil, ev.errf(KindOther, "Can only get item pairs from a mapping.")
			}
			return dictMethods["items"](ev, &method{recv: m}, nil, nil)
		},
		"filesizeformat": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			f, ok := toFloat(v)
			if !ok {
				return nil, ev.errf(KindOther, "could not convert %s to float", typeName(v))
			}
			binary := data.Truthy(arg(args, kw, 0, "binary", false))
			base, prefixes := 1000.0, []string{"kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"}
			if binary {
				base, prefixes = 1024.0, []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"}
			}
			if f == 1 {
				return "1 Byte", nil
			}
			if f < base {
				return strconv.FormatInt(int64(f), 10) + " Bytes", nil
			}
			unit := base
			for i, p := range prefixes {
				unit = math.Pow(base, float64(i+2))
				if f < unit || i == len(prefixes)-1 {
					return strconv.FormatFloat(base*f/unit, 'f', 1, 64) + " " + p, nil
				}
			}
			return "", nil
		},
		"safe":   func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) { return v, nil },
		"e":      escapeFilter,
		"escape": escapeFilter,
		"striptags": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			s := regexp.MustCompile(`(?s)<!--.*?-->|<[^>]*>`).ReplaceAllString(pyStr(v), "")
			return strings.Join(strings.Fields(s), " "), nil
		},
		"truncate": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			n, _ := toInt(arg(args, kw, 0, "length", int64(255)))
			killwords := data.Truthy(arg(args, kw, 1, "killwords", false))
			end := pyStr(arg(args, kw, 2, "end", "..."))
			leeway, _ := toInt(arg(args, kw, 3, "leeway", int64(5)))
			r := []rune(pyStr(v))
			if int64(len(r)) <= n+leeway {
				return string(r), nil
			}
			cut := max(n-int64(len([]rune(end))), 0)
			s := string(r[:cut])
			if killwords {
				return s + end, nil
			}
			if i := strings.LastIndex(s, " "); i >= 0 {
				s = s[:i]
			}
			return s + end, nil
		},
		"urlencode": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			return urlQuote(pyStr(v), "/"), nil
		},
		"tojson": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			// Salt's tojson passes its options to json.dumps, whose
			// sort_keys is False: a dict keeps its insertion order.
			sortKeys := data.Truthy(arg(nil, kw, 0, "sort_keys", false))
			s, err := output.DumpJSON(v, jsonOptions(sortKeys, indentArg(arg(args, kw, 0, "indent", nil))))
			if err != nil {
				return nil, ev.wrap(KindOther, err)
			}
			r := strings.NewReplacer("<", `\u003c`, ">", `\u003e`, "&", `\u0026`, "'", `\u0027`)
			return r.Replace(s), nil
		},
		"json": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			sortKeys := data.Truthy(arg(args, kw, 0, "sort_keys", true))
			s, err := output.DumpJSON(v, jsonOptions(sortKeys, indentArg(arg(args, kw, 1, "indent", nil))))
			if err != nil {
				return nil, ev.wrap(KindOther, err)
			}
			return strings.TrimSpace(s), nil
		},
		"yaml": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			flow := data.Truthy(arg(args, kw, 0, "flow_style", true))
			s, err := output.DumpYAML(v, output.YAMLOptions{Flow: flow, Default: yamlDefault})
			if err != nil {
				return nil, ev.wrap(KindOther, err)
			}
			s = strings.TrimSpace(s)
			s = strings.TrimSuffix(s, "\n...")
			return s, nil
		},
		"dict_to_sls_yaml_params": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			m, ok := v.(*data.Map)
			if !ok {
				return nil, ev.errf(KindOther, "'%s' object has no attribute 'items'", typeName(v))
			}
			var l []any
			m.Range(func(k, e any) bool { l = append(l, data.M(k, e)); return true })
			flow := data.Truthy(arg(args, kw, 0, "flow_style", false))
			s, err := output.DumpYAML(orEmpty(l), output.YAMLOptions{Flow: flow, Default: yamlDefault})
			if err != nil {
				return nil, ev.wrap(KindOther, err)
			}
			return strings.TrimSuffix(strings.TrimSpace(s), "\n..."), nil
		},
		"python": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			return strings.TrimSpace(pformat(v)), nil
		},
		"load_yaml": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			s, ok := v.(string)
			if !ok {
				return nil, ev.errf(KindSyntax, "Unable to load yaml from %s", pyStr(v))
			}
			return ev.loadYAML(s)
		},
		"load_json": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			s, ok := v.(string)
			if !ok {
				return nil, ev.errf(KindSyntax, "Unable to load json from %s", pyStr(v))
			}
			return ev.loadJSON(s)
		},
		"load_text": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			return v, nil
		},
		"yaml_encode": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			// salt.utils.yaml_encode: a scalar as YAML would write it
			switch v.(type) {
			case []any, data.Tuple, *data.Map:
				return nil, ev.errf(KindOther, "yaml_encode only supports scalars")
			}
			s, err := output.YAMLEncode(v)
			if err != nil {
				return nil, ev.wrap(KindOther, err)
			}
			return s, nil
		},
		"yaml_dquote": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			s, err := strArg(ev, v, "yaml_dquote")
			if err != nil {
				return nil, err
			}
			return output.YAMLDoubleQuote(s), nil
		},
		"yaml_squote": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			s, err := strArg(ev, v, "yaml_squote")
			if err != nil {
				return nil, err
			}
			return output.YAMLSingleQuote(s), nil
		},
		"to_bool": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			return toBool(v), nil
		},
		"sequence": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			switch v.(type) {
			case []any, data.Tuple, *data.Map:
				return v, nil
			}
			return []any{v}, nil
		},
		"regex_match":   regexFilter("match"),
		"regex_search":  regexFilter("search"),
		"regex_replace": regexReplace,
		"regex_escape": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			return pyReEscape(pyStr(v)), nil
		},
		"md5":    hashFilter(md5.New),
		"sha1":   hashFilter(sha1.New),
		"sha256": hashFilter(sha256.New),
		"sha512": hashFilter(sha512.New),
		"base64_encode": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			return base64.StdEncoding.EncodeToString([]byte(pyStr(v))), nil
		},
		"base64_decode": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			b, err := base64.StdEncoding.DecodeString(pyStr(v))
			if err != nil {
				return nil, ev.errf(KindOther, "Incorrect padding")
			}
			return string(b), nil
		},
		"quote": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			return shQuote(pyStr(v)), nil
		},
		"strftime": strftimeFilter,
		"avg": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			items, err := listOf(ev, v)
			if err != nil {
				return nil, err
			}
			if len(items) == 0 {
				return nil, ev.errf(KindOther, "division by zero")
			}
			var t float64
			for _, it := range items {
				f, ok := toFloat(it)
				if !ok {
					return nil, ev.errf(KindOther, "unsupported operand type(s) for +: 'float' and '%s'", typeName(it))
				}
				t += f
			}
			return t / float64(len(items)), nil
		},
		"union":                setOp("union"),
		"intersect":            setOp("intersect"),
		"difference":           setOp("difference"),
		"symmetric_difference": setOp("symmetric_difference"),
		"flatten": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			levels := int64(-1)
			if l := arg(args, kw, 0, "levels", nil); l != nil {
				levels, _ = toInt(l)
			}
			preserve := data.Truthy(arg(args, kw, 1, "preserve_nulls", false))
			items, err := listOf(ev, v)
			if err != nil {
				return nil, err
			}
			return orEmpty(flatten(items, levels, preserve)), nil
		},
		"to_num": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			// int(text), else float(text), else the text
			switch x := v.(type) {
			case int64, *big.Int:
				return x, nil
			case bool:
				n, _ := toInt(x)
				return n, nil
			case float64:
				if math.IsInf(x, 0) || math.IsNaN(x) {
					return nil, ev.errf(KindOther, "cannot convert float %s to integer", data.Repr(x))
				}
				return int64(x), nil
			case string:
				t := strings.TrimSpace(x)
				if n, err := strconv.ParseInt(strings.ReplaceAll(t, "_", ""), 10, 64); err == nil && !strings.HasPrefix(t, "_") && !strings.HasSuffix(t, "_") && !strings.Contains(t, "__") {
					return n, nil
				}
				if f, err := strconv.ParseFloat(t, 64); err == nil && !strings.HasPrefix(strings.ToLower(strings.TrimLeft(t, "+-")), "0x") {
					return f, nil
				}
				return x, nil
			}
			return nil, ev.errf(KindOther, "int() argument must be a string, a bytes-like object or a real number, not '%s'", typeName(v))
		},
		"is_list": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			_, ok := v.([]any)
			return ok, nil
		},
		"is_ip": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			return ipCheck(v, 0), nil
		},
		"is_ipv4": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			return ipCheck(v, 4), nil
		},
		"is_ipv6": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			return ipCheck(v, 6), nil
		},
		"path_join": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			// salt.utils.path.join: later parts lose their leading "/"
			root := path.Clean(pyStr(v))
			parts := []string{root}
			for _, a := range args {
				parts = append(parts, strings.TrimLeft(path.Clean(pyStr(a)), "/"))
			}
			return path.Clean(path.Join(parts...)), nil
		},
		"traverse": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			key := pyStr(arg(args, kw, 0, "key", ""))
			def := arg(args, kw, 1, "default", nil)
			delim := pyStr(arg(args, kw, 2, "delimiter", ":"))
			if r, ok := data.Traverse(v, key, delim); ok {
				return r, nil
			}
			return def, nil
		},
		"to_entries": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			m, ok := v.(*data.Map)
			if !ok {
				return nil, ev.errf(KindOther, "to_entries: expected a dict")
			}
			var out []any
			m.Range(func(k, v any) bool { out = append(out, data.M("key", k, "value", v)); return true })
			return orEmpty(out), nil
		},
		"from_entries": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			items, err := listOf(ev, v)
			if err != nil {
				return nil, err
			}
			m := data.NewMap()
			for _, it := range items {
				e, ok := it.(*data.Map)
				if !ok {
					continue
				}
				k, _ := e.Get("key")
				val, _ := e.Get("value")
				m.Set(k, val)
			}
			return m, nil
		},
		"skip": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) { return nil, nil },
		"dictsort_ignorecase": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			return nil, nil
		},
		"sorted_ignorecase": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			items, err := listOf(ev, v)
			if err != nil {
				return nil, err
			}
			return ev.sortItems(items, false, false, nil)
		},
		"str_to_num": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			return filters["to_num"](ev, v, args, kw)
		},
		"contains_whitespace": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			return strings.IndexFunc(pyStr(v), unicode.IsSpace) >= 0, nil
		},
		"is_hex": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			s, ok := v.(string)
			if !ok {
				return false, nil
			}
			_, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X"), 16, 64)
			return err == nil, nil
		},
		"is_empty": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			return !data.Truthy(v), nil
		},
		"to_snake_case": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			// salt.utils.stringutils.camel_to_snake_case
			r := []rune(pyStr(v))
			if len(r) == 0 {
				return nil, ev.errf(KindOther, "string index out of range")
			}
			var b strings.Builder
			b.WriteRune(unicode.ToLower(r[0]))
			for i := 1; i < len(r); i++ {
				if unicode.IsUpper(r[i]) && (unicode.IsLower(r[i-1]) || i != len(r)-1 && unicode.IsLower(r[i+1])) {
					b.WriteByte('_')
				}
				b.WriteRune(unicode.ToLower(r[i]))
			}
			return b.String(), nil
		},
		"to_camelcase": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			words := strings.Split(pyStr(v), "_")
			if data.Truthy(arg(args, kw, 0, "uppercamel", false)) {
				words[0] = pyCapitalize(words[0])
			}
			out := words[0]
			for _, w := range words[1:] {
				out += pyCapitalize(w)
			}
			return out, nil
		},
		"substring_in_list": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			items, err := listOf(ev, arg(args, kw, 0, "list_to_search", nil))
			if err != nil {
				return nil, err
			}
			for _, it := range items {
				ok, err := ev.contains(it, v)
				if err != nil {
					return nil, err
				}
				if ok {
					return true, nil
				}
			}
			return false, nil
		},
		"exactly_n_true": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			n, _ := toInt(arg(args, kw, 0, "amount", int64(1)))
			items, err := listOf(ev, v)
			if err != nil {
				return nil, err
			}
			t := int64(0)
			for _, it := range items {
				if truth(it) {
					t++
				}
			}
			return t == n, nil
		},
		"uuid": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			return uuid5(pyStr(v)), nil
		},
		"set_dict_key_value":    dictKeyValue("set"),
		"update_dict_key_value": dictKeyValue("update"),
		"append_dict_key_value": dictKeyValue("append"),
		"extend_dict_key_value": dictKeyValue("extend"),
		"exactly_one_true": func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
			items, err := listOf(ev, v)
			if err != nil {
				return nil, err
			}
			n := 0
			for _, it := range items {
				if data.Truthy(it) {
					n++
				}
			}
			return n == 1, nil
		},
	}
	filters["d"] = filters["default"]
	filters["date_format"] = filters["strftime"]
	filters["count"] = filters["length"]
	filters["is_iter"] = func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
		switch v.(type) {
		case []any, data.Tuple, *data.Map, []byte:
			return true, nil
		}
		return false, nil
	}
	// SerializerExtension's itertools filters; Python returns iterators
	// (printed as "<zip object ...>"), these return the list of tuples
	filters["zip"] = func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
		seqs, err := ev.seqArgs(v, args)
		if err != nil {
			return nil, err
		}
		var out []any
		for i := 0; ; i++ {
			t := make(data.Tuple, len(seqs))
			for j, s := range seqs {
				if i >= len(s) {
					return orEmpty(out), nil
				}
				t[j] = s[i]
			}
			out = append(out, t)
		}
	}
	filters["zip_longest"] = func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
		seqs, err := ev.seqArgs(v, args)
		if err != nil {
			return nil, err
		}
		fill, _ := kw.Get("fillvalue")
		n := 0
		for _, s := range seqs {
			n = max(n, len(s))
		}
		out := make([]any, n)
		for i := range n {
			t := make(data.Tuple, len(seqs))
			for j, s := range seqs {
				if i < len(s) {
					t[j] = s[i]
				} else {
					t[j] = fill
				}
			}
			out[i] = t
		}
		return out, nil
	}
	filters["product"] = func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
		seqs, err := ev.seqArgs(v, args)
		if err != nil {
			return nil, err
		}
		out := []any{data.Tuple{}}
		for _, s := range seqs {
			var next []any
			for _, p := range out {
				for _, e := range s {
					if len(next) >= 1_000_000 {
						return nil, ev.errf(KindOther, "product too large")
					}
					next = append(next, append(append(data.Tuple{}, p.(data.Tuple)...), e))
				}
			}
			out = next
		}
		return orEmpty(out), nil
	}
	filters["combinations"] = combFilter(false, false)
	filters["combinations_with_replacement"] = combFilter(false, true)
	filters["permutations"] = combFilter(true, false)
	filters["compress"] = func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
		seqs, err := ev.seqArgs(v, args)
		if err != nil {
			return nil, err
		}
		if len(seqs) != 2 {
			return nil, ev.errf(KindOther, "compress() takes 2 arguments")
		}
		var out []any
		for i := 0; i < len(seqs[0]) && i < len(seqs[1]); i++ {
			if truth(seqs[1][i]) {
				out = append(out, seqs[0][i])
			}
		}
		return orEmpty(out), nil
	}
	filters["pprint"] = func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
		return pformat(v), nil
	}
	filters["random"] = func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
		items, err := listOf(ev, v)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return &undefined{hint: "No random item, sequence was empty."}, nil
		}
		return items[rand.IntN(len(items))], nil
	}
	filters["method_call"] = func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
		// getattr(obj, name, lambda *a, **k: None)(*args, **kwargs)
		if len(args) == 0 {
			return nil, ev.errf(KindOther, "method_call() missing 1 required positional argument: 'f_name'")
		}
		m, err := ev.getattr(v, pyStr(args[0]))
		if err != nil {
			return nil, err
		}
		c, ok := m.(callable)
		if !ok {
			return nil, nil
		}
		return c.call(ev, args[1:], kw)
	}
	filters["groupby"] = func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
		attr := arg(args, kw, 0, "attribute", nil)
		def := arg(args, kw, 1, "default", nil)
		items, err := listOf(ev, v)
		if err != nil {
			return nil, err
		}
		keys := make([]any, len(items))
		for i, it := range items {
			k, err := ev.attrPath(it, attr)
			if err != nil {
				return nil, err
			}
			if _, u := k.(*undefined); u && def != nil {
				k = def
			}
			if err := ev.need(k); err != nil {
				return nil, err
			}
			keys[i] = k
		}
		idx := make([]int, len(items))
		for i := range idx {
			idx[i] = i
		}
		var bad bool
		sort.SliceStable(idx, func(a, b int) bool {
			c, ok := data.Compare(keys[idx[a]], keys[idx[b]])
			bad = bad || !ok
			return c < 0
		})
		if bad {
			return nil, ev.errf(KindOther, "'<' not supported between the group keys")
		}
		var out []any
		for _, i := range idx {
			if n := len(out); n > 0 && data.Equal(out[n-1].(data.Tuple)[0], keys[i]) {
				g := out[n-1].(data.Tuple)
				g[1] = append(g[1].([]any), items[i])
				continue
			}
			out = append(out, data.Tuple{keys[i], []any{items[i]}})
		}
		return orEmpty(out), nil
	}
	filters["slice"] = func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
		n, _ := toInt(arg(args, kw, 0, "slices", int64(1)))
		fill := arg(args, kw, 1, "fill_with", nil)
		if n <= 0 {
			return nil, ev.errf(KindOther, "slices must be positive")
		}
		items, err := listOf(ev, v)
		if err != nil {
			return nil, err
		}
		per, extra := len(items)/int(n), len(items)%int(n)
		var out []any
		off := 0
		for i := 0; i < int(n); i++ {
			size := per
			if i < extra {
				size++
			}
			part := append([]any{}, items[off:off+size]...)
			off += size
			if fill != nil && i >= extra {
				part = append(part, fill)
			}
			out = append(out, part)
		}
		return out, nil
	}

	tests = map[string]testFunc{
		"defined": func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) {
			_, u := v.(*undefined)
			return !u, nil
		},
		"undefined": func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) {
			_, u := v.(*undefined)
			return u, nil
		},
		"none": func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) { return v == nil, nil },
		"string": func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) {
			_, ok := v.(string)
			return ok, nil
		},
		"number": func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) { return isNum(v), nil },
		"integer": func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) {
			switch v.(type) {
			case int64, *big.Int:
				return true, nil
			}
			return false, nil
		},
		"float": func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) {
			_, ok := v.(float64)
			return ok, nil
		},
		"boolean": func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) { _, ok := v.(bool); return ok, nil },
		"true":    func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) { return v == true, nil },
		"false":   func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) { return v == false, nil },
		"mapping": func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) {
			_, ok := v.(*data.Map)
			return ok, nil
		},
		"sequence": func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) {
			switch v.(type) {
			case []any, data.Tuple, string, *data.Map:
				return true, nil
			}
			return false, nil
		},
		"iterable": func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) {
			switch v.(type) {
			case []any, data.Tuple, string, *data.Map, []byte:
				return true, nil
			}
			return false, nil
		},
		"callable": func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) {
			_, ok := v.(callable)
			return ok, nil
		},
		"odd": func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) {
			n, ok := toInt(v)
			return ok && n%2 != 0, nil
		},
		"even": func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) {
			n, ok := toInt(v)
			return ok && n%2 == 0, nil
		},
		"divisibleby": func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) {
			n, _ := toInt(v)
			d, _ := toInt(arg(args, kw, 0, "num", int64(1)))
			if d == 0 {
				return false, ev.errf(KindOther, "integer division or modulo by zero")
			}
			return n%d == 0, nil
		},
		"equalto": func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) {
			return data.Equal(v, arg(args, kw, 0, "other", nil)), nil
		},
		"sameas": func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) {
			o := arg(args, kw, 0, "other", nil)
			switch v.(type) {
			case nil, bool:
				return v == o, nil
			}
			return data.Equal(v, o), nil
		},
		"in": func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) {
			return ev.contains(arg(args, kw, 0, "seq", nil), v)
		},
		"lower": func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) {
			s := pyStr(v)
			return strings.ToLower(s) == s, nil
		},
		"upper": func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) {
			s := pyStr(v)
			return strings.ToUpper(s) == s, nil
		},
		"match": func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) {
			re, err := ev.compileRe(pyStr(arg(args, kw, 0, "regex", "")), args, kw, 1)
			if err != nil {
				return false, err
			}
			loc := re.FindStringIndex(pyStr(v))
			return loc != nil && loc[0] == 0, nil
		},
		"list": func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) {
			switch v.(type) {
			case []any, data.Tuple:
				return true, nil
			}
			return false, nil
		},
	}
	for op, name := range map[string]string{"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"} {
		f := func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) {
			return ev.compare(op, v, arg(args, kw, 0, "other", nil))
		}
		tests[name] = f
		tests[op] = f
	}
	tests["escaped"] = func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) { return false, nil }
	tests["filter"] = func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) {
		_, ok := filters[pyStr(v)]
		return ok, nil
	}
	tests["test"] = func(ev *evaluator, v any, args []any, kw *data.Map) (bool, error) {
		_, ok := tests[pyStr(v)]
		return ok, nil
	}
	tests["equalto"] = tests["eq"]
}

var wordBeginning = regexp.MustCompile(`([-\s({\[<]+)`)

// jinjaTitle is Jinja's title filter: words begin after whitespace, "-",
// or an opening bracket.
func jinjaTitle(s string) string {
	var b strings.Builder
	last := 0
	cap := func(w string) {
		if w == "" {
			return
		}
		r := []rune(w)
		b.WriteString(strings.ToUpper(string(r[0])) + strings.ToLower(string(r[1:])))
	}
	for _, loc := range wordBeginning.FindAllStringIndex(s, -1) {
		cap(s[last:loc[0]])
		b.WriteString(s[loc[0]:loc[1]])
		last = loc[1]
	}
	cap(s[last:])
	return b.String()
}

// pformat is pprint.pformat: package output's pprinter, with Jinja's
// repr for Jinja's own objects.
func pformat(v any) string { return output.PFormat(v, writeRepr) }

func orEmpty(l []any) []any {
	if l == nil {
		return []any{}
	}
	return l
}

func strFilter(f func(string) string) filterFunc {
	return func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
		s, err := ev.toStr(v)
		if err != nil {
			return nil, err
		}
		return f(s), nil
	}
}

func escapeFilter(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;")
	return r.Replace(pyStr(v)), nil
}

func indentArg(v any) int {
	if v == nil {
		return -1
	}
	n, ok := toInt(v)
	if !ok {
		return -1
	}
	return int(n)
}

// attrPath follows "a.b.0" (Jinja's make_attrgetter).
func (ev *evaluator) attrPath(v any, attr any) (any, error) {
	if n, ok := attr.(int64); ok {
		return ev.getitem(v, n)
	}
	for _, part := range strings.Split(pyStr(attr), ".") {
		var key any = part
		if n, err := strconv.ParseInt(part, 10, 64); err == nil {
			key = n
		}
		nv, err := ev.getitem(v, key)
		if err != nil {
			return nil, err
		}
		v = nv
	}
	return v, nil
}

func (ev *evaluator) sortItems(items []any, rev, cs bool, attr any) ([]any, error) {
	out := append([]any{}, items...)
	keys := make([]any, len(out))
	for i, it := range out {
		k := it
		if attr != nil {
			var err error
			if k, err = ev.attrPath(it, attr); err != nil {
				return nil, err
			}
			if err := ev.need(k); err != nil {
				return nil, err
			}
		}
		if s, ok := k.(string); ok && !cs {
			k = strings.ToLower(s)
		}
		keys[i] = k
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	var bad bool
	sort.SliceStable(idx, func(a, b int) bool {
		c, ok := data.Compare(keys[idx[a]], keys[idx[b]])
		if !ok {
			bad = true
		}
		if rev {
			return c > 0
		}
		return c < 0
	})
	if bad {
		return nil, ev.errf(KindOther, "'<' not supported between instances of '%s' and '%s'", typeName(keys[0]), typeName(keys[len(keys)-1]))
	}
	sorted := make([]any, len(out))
	for i, j := range idx {
		sorted[i] = out[j]
	}
	return sorted, nil
}

func mapFilter(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
	items, err := listOf(ev, v)
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(items))
	if a, ok := kw.Get("attribute"); ok {
		def, hasDef := kw.Get("default")
		for _, it := range items {
			r, err := ev.attrPath(it, a)
			if err != nil {
				return nil, err
			}
			if _, u := r.(*undefined); u && hasDef {
				r = def
			}
			out = append(out, r)
		}
		return out, nil
	}
	if len(args) == 0 {
		return out, nil
	}
	name := pyStr(args[0])
	f, ok := filters[name]
	if !ok {
		return nil, ev.errf(KindSyntax, "No filter named '%s'.", name)
	}
	for _, it := range items {
		if err := ev.need(it); err != nil {
			return nil, err
		}
		r, err := f(ev, it, args[1:], kw)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func selectFilter(reject, byAttr bool) filterFunc {
	return func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
		items, err := listOf(ev, v)
		if err != nil {
			return nil, err
		}
		var attr any
		if byAttr {
			if len(args) == 0 {
				return nil, ev.errf(KindOther, "Missing parameter for attribute name")
			}
			attr, args = args[0], args[1:]
		}
		var test testFunc
		if len(args) > 0 {
			name := pyStr(args[0])
			t, ok := tests[name]
			if !ok {
				return nil, ev.errf(KindSyntax, "No test named '%s'.", name)
			}
			test, args = t, args[1:]
		}
		var out []any
		for _, it := range items {
			x := it
			if attr != nil {
				if x, err = ev.attrPath(it, attr); err != nil {
					return nil, err
				}
			}
			var ok bool
			if test == nil {
				if err := ev.need(x); err != nil {
					return nil, err
				}
				ok = data.Truthy(x)
			} else {
				if _, u := x.(*undefined); u {
					ok = false
					if t, _ := test(ev, x, args, nil); t {
						ok = true
					}
				} else if ok, err = test(ev, x, args, nil); err != nil {
					return nil, err
				}
			}
			if ok != reject {
				out = append(out, it)
			}
		}
		return orEmpty(out), nil
	}
}

// pyMinMax is Python's min()/max(), which Salt's min and max filters are
// (they replace Jinja's, so no attribute or case_sensitive arguments).
func pyMinMax(name string) filterFunc {
	return func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
		if len(args) > 0 || kw.Len() > 0 {
			return nil, ev.errf(KindOther, "lst_%s() takes 1 positional argument but %d were given", name, 1+len(args)+kw.Len())
		}
		items, err := listOf(ev, v)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return nil, ev.errf(KindOther, "%s() arg is an empty sequence", name)
		}
		best := items[0]
		for _, it := range items[1:] {
			c, ok := data.Compare(it, best)
			if !ok {
				return nil, ev.errf(KindOther, "'<' not supported between instances of '%s' and '%s'", typeName(it), typeName(best))
			}
			if name == "min" && c < 0 || name == "max" && c > 0 {
				best = it
			}
		}
		return best, nil
	}
}

// globalUUID is salt.utils.jinja.GLOBAL_UUID, the uuid filter's namespace.
var globalUUID = [16]byte{0x91, 0x63, 0x3e, 0xbf, 0x1c, 0x86, 0x5e, 0x33, 0x93, 0x5a, 0x28, 0x06, 0x1f, 0x4b, 0x48, 0x0e}

// uuid5 is str(uuid.uuid5(GLOBAL_UUID, name)).
func uuid5(name string) string {
	h := sha1.New()
	h.Write(globalUUID[:])
	h.Write([]byte(name))
	u := h.Sum(nil)[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	x := hex.EncodeToString(u)
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

// dictKeyValue is salt.utils.dictupdate's set/update/append/extend
// _dict_key_value: the dict is changed in place (missing or non-dict
// keys along the path become dicts) and returned.
func dictKeyValue(op string) filterFunc {
	return func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
		in, ok := v.(*data.Map)
		if !ok {
			return nil, ev.errf(KindOther, "%s_dict_key_value needs a dict, not %s", op, typeName(v))
		}
		keys := pyStr(arg(args, kw, 0, "keys", ""))
		val := arg(args, kw, 1, "value", nil)
		delim := pyStr(arg(args, kw, 2, "delimiter", ":"))
		if reaches(val, in) {
			return nil, ev.errf(KindOther, "cannot store a dict inside itself")
		}
		ptr, last := in, keys
		if delim != "" && strings.Contains(keys, delim) {
			parts := strings.Split(keys, delim)
			last = parts[len(parts)-1]
			for _, k := range parts[:len(parts)-1] {
				next, ok := ptr.Get(k)
				m, isMap := next.(*data.Map)
				if !ok || !isMap {
					m = data.NewMap()
					ptr.Set(k, m)
				}
				ptr = m
			}
		}
		cur, has := ptr.Get(last)
		switch op {
		case "set":
			ptr.Set(last, val)
		case "update":
			if !has || cur == nil {
				cur = data.NewMap()
				ptr.Set(last, cur)
			}
			m, ok := cur.(*data.Map)
			if !ok {
				return nil, ev.errf(KindSalt, "The last key contains a <class '%s'>, which cannot update.", typeName(cur))
			}
			src, ok := val.(*data.Map)
			if !ok {
				return nil, ev.errf(KindSalt, "Cannot update <class 'dict'> with a <class '%s'>.", typeName(val))
			}
			src.Range(func(k, e any) bool { m.Set(k, e); return true })
		case "append", "extend":
			if !has || cur == nil {
				cur = []any{}
			}
			l, ok := cur.([]any)
			if !ok {
				return nil, ev.errf(KindSalt, "The last key contains a <class '%s'>, which cannot %s.", typeName(cur), op)
			}
			if op == "append" {
				l = append(l, val)
			} else {
				items, err := ev.iterate(val)
				if err != nil {
					return nil, ev.errf(KindSalt, "Cannot extend <class 'list'> with a <class '%s'>.", typeName(val))
				}
				l = append(l, items...)
			}
			ptr.Set(last, l)
		}
		return in, nil
	}
}

// seqArgs lists the items of v and of each argument.
func (ev *evaluator) seqArgs(v any, args []any) ([][]any, error) {
	out := make([][]any, 0, 1+len(args))
	for _, a := range append([]any{v}, args...) {
		items, err := ev.iterate(a)
		if err != nil {
			return nil, err
		}
		out = append(out, items)
	}
	return out, nil
}

// combFilter is itertools.combinations, combinations_with_replacement or
// permutations (r defaults to the length for permutations).
func combFilter(perm, repl bool) filterFunc {
	return func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
		items, err := ev.iterate(v)
		if err != nil {
			return nil, err
		}
		rv := arg(args, kw, 0, "r", nil)
		r := int64(len(items))
		if rv != nil {
			var ok bool
			if r, ok = toInt(rv); !ok || r < 0 {
				return nil, ev.errf(KindOther, "r must be non-negative")
			}
		} else if !perm {
			return nil, ev.errf(KindOther, "missing required argument 'r' (pos 2)")
		}
		var out []any
		var cur data.Tuple
		used := make([]bool, len(items))
		var rec func(start int) bool
		rec = func(start int) bool {
			if int64(len(cur)) == r {
				out = append(out, append(data.Tuple{}, cur...))
				return len(out) < 1_000_000
			}
			for i := range items {
				if perm {
					if used[i] {
						continue
					}
				} else if i < start {
					continue
				}
				used[i] = true
				cur = append(cur, items[i])
				next := i + 1
				if repl {
					next = i
				}
				ok := rec(next)
				cur = cur[:len(cur)-1]
				used[i] = false
				if !ok {
					return false
				}
			}
			return true
		}
		if r <= int64(len(items)) || repl {
			if !rec(0) {
				return nil, ev.errf(KindOther, "too many combinations")
			}
		}
		return orEmpty(out), nil
	}
}

func toBool(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case int64:
		return x > 0
	case float64:
		return x > 0
	case string:
		switch strings.ToLower(x) {
		case "yes", "1", "true":
			return true
		}
		return false
	case []any:
		return len(x) > 0
	case data.Tuple:
		return len(x) > 0
	case *data.Map:
		return x.Len() > 0
	}
	return false
}

func hashFilter(h func() hash.Hash) filterFunc {
	return func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
		d := h()
		d.Write([]byte(pyStr(v)))
		return hex.EncodeToString(d.Sum(nil)), nil
	}
}

func shQuote(s string) string {
	if s == "" {
		return "''"
	}
	if regexp.MustCompile(`^[\w@%+=:,./-]+$`).MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'"'"'`) + "'"
}

func setOp(op string) filterFunc {
	return func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
		a, err := listOf(ev, v)
		if err != nil {
			return nil, err
		}
		if len(args) == 0 {
			return nil, ev.errf(KindOther, "%s() missing 1 required positional argument", op)
		}
		b, err := listOf(ev, args[0])
		if err != nil {
			return nil, err
		}
		in := func(l []any, x any) bool {
			for _, y := range l {
				if data.Equal(x, y) {
					return true
				}
			}
			return false
		}
		var out []any
		add := func(x any) {
			if !in(out, x) {
				out = append(out, x)
			}
		}
		switch op {
		case "union":
			for _, x := range a {
				add(x)
			}
			for _, x := range b {
				add(x)
			}
		case "intersect":
			for _, x := range a {
				if in(b, x) {
					add(x)
				}
			}
		case "difference":
			for _, x := range a {
				if !in(b, x) {
					add(x)
				}
			}
		default:
			for _, x := range a {
				if !in(b, x) {
					add(x)
				}
			}
			for _, x := range b {
				if !in(a, x) {
					add(x)
				}
			}
		}
		return orEmpty(out), nil
	}
}

func flatten(items []any, levels int64, preserve bool) []any {
	var out []any
	for _, it := range items {
		if it == nil && !preserve {
			continue
		}
		if l, ok := it.([]any); ok && levels != 0 {
			out = append(out, flatten(l, levels-1, preserve)...)
			continue
		}
		out = append(out, it)
	}
	return out
}

func ipCheck(v any, family int) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	switch family {
	case 4:
		return addr.Is4()
	case 6:
		return addr.Is6()
	}
	return true
}

func urlQuote(s, safe string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_.-~", c) >= 0 || strings.IndexByte(safe, c) >= 0 {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(hex.EncodeToString([]byte{c})))
		}
	}
	return b.String()
}

// strftimeFilter is salt.utils.dateutils.strftime (also date_format):
// an epoch number (or a string of one) in local time, as
// datetime.fromtimestamp; date strings need timelib, which Salt's
// wording asks for.
func strftimeFilter(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
	format := pyStr(arg(args, kw, 0, "format", "%Y-%m-%d"))
	var t time.Time
	fromFloat := func(f float64) time.Time {
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).Local()
	}
	switch x := v.(type) {
	case nil:
		t = time.Now()
	case int64:
		t = time.Unix(x, 0).Local()
	case float64:
		t = fromFloat(x)
	case bool:
		n, _ := toInt(x)
		t = time.Unix(n, 0).Local()
	case string:
		if n, err := strconv.ParseInt(x, 10, 64); err == nil && x != "" && strings.Trim(x, "0123456789") == "" {
			t = time.Unix(n, 0).Local()
			break
		}
		if f, err := strconv.ParseFloat(strings.TrimSpace(x), 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			t = fromFloat(f)
			break
		}
		return nil, ev.errf(KindOther, "Unable to parse %s. Consider installing timelib", x)
	default:
		return nil, ev.errf(KindOther, "Unable to parse %s. Consider installing timelib", pyStr(v))
	}
	return pyStrftime(t, format), nil
}

// pyStrftime implements the common strftime directives.
func pyStrftime(t time.Time, f string) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 >= len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		switch f[i] {
		case 'Y':
			b.WriteString(strconv.Itoa(t.Year()))
		case 'y':
			b.WriteString(t.Format("06"))
		case 'm':
			b.WriteString(t.Format("01"))
		case 'd':
			b.WriteString(t.Format("02"))
		case 'H':
			b.WriteString(t.Format("15"))
		case 'I':
			b.WriteString(t.Format("03"))
		case 'M':
			b.WriteString(t.Format("04"))
		case 'S':
			b.WriteString(t.Format("05"))
		case 'p':
			b.WriteString(t.Format("PM"))
		case 'b':
			b.WriteString(t.Format("Jan"))
		case 'B':
			b.WriteString(t.Format("January"))
		case 'a':
			b.WriteString(t.Format("Mon"))
		case 'A':
			b.WriteString(t.Format("Monday"))
		case 'j':
			b.WriteString(t.Format("002"))
		case 'f':
			b.WriteString(t.Format(".000000")[1:])
		case 'z':
			b.WriteString(t.Format("-0700"))
		case 'Z':
			b.WriteString(t.Format("MST"))
		case 's':
			b.WriteString(strconv.FormatInt(t.Unix(), 10))
		case 'e':
			b.WriteString(t.Format("_2"))
		case 'F':
			b.WriteString(t.Format("2006-01-02"))
		case 'T':
			b.WriteString(t.Format("15:04:05"))
		case '%':
			b.WriteByte('%')
		default:
			b.WriteByte('%')
			b.WriteByte(f[i])
		}
	}
	return b.String()
}
