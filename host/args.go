package host

import (
	"math/big"
	"regexp"
	"slices"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/jid"
	"github.com/saltgo/saltgo/saltyaml"
)

// YamlifyArg types one command-line argument as Salt's yamlify_arg does.
func YamlifyArg(arg string) any {
	trimmed := strings.TrimSpace(arg)
	switch {
	case trimmed == "" || trimmed == "---" || trimmed == "...":
		return arg
	case strings.Contains(arg, "_") && strings.Trim(trimmed, "0123456789_") == "":
		return arg
	case strings.ContainsAny(arg, "\t\r\n"):
		return arg
	}
	parsed, err := saltyaml.Load([]byte(arg))
	if err != nil {
		return arg
	}
	if strings.Contains(arg, "#") {
		if _, isStr := parsed.(string); isStr || parsed == nil {
			return arg
		}
		return parsed
	}
	if arg == "None" {
		return nil
	}
	switch v := parsed.(type) {
	case *data.Map:
		if !strings.HasPrefix(arg, "{") {
			return arg
		}
		return v
	case []any:
		if !strings.HasPrefix(arg, "[") {
			return arg
		}
		return v
	case nil:
		if strings.HasPrefix(trimmed, "#") || arg == "!" {
			return arg
		}
		return nil
	case string:
		if v == "" && (arg == "|" || arg == "!") {
			return arg
		}
		return v
	case bool, int64, float64, *big.Int:
		return v
	}
	return arg
}

// kwargRe is Salt's KWARG_REGEX: ^([^\d\W][\w.-]*)=(?!=)(.*)$ with Python's
// "$" (end, or before a final newline) and "." (no newline).
var kwargRe = regexp.MustCompile(`^([\p{L}_][\p{L}\p{N}_.\-]*)=([^=\n][^\n]*|)\n?$`)

// ParseKwarg splits "name=value" as salt.utils.args.parse_kwarg does; ok is
// false when arg is not a keyword argument.
func ParseKwarg(arg string) (name, value string, ok bool) {
	m := kwargRe.FindStringSubmatch(arg)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// ParseInput turns command-line words into Salt's argument list, as
// salt.utils.args.parse_input(condition=True) does: "k=v" words become a
// trailing {"__kwarg__": True, ...} map, other words are YAML-typed, and
// integers that look like job ids stay strings. Keyword names listed in
// noParse keep their value as a string.
func ParseInput(words []string, noParse []string) []any {
	var args []any
	kw := data.NewMap()
	for _, w := range words {
		if name, val, ok := ParseKwarg(w); ok {
			if slices.Contains(noParse, name) {
				kw.Set(name, val)
			} else {
				kw.Set(name, YamlifyArg(val))
			}
			continue
		}
		args = append(args, YamlifyArg(w))
	}
	for i, a := range args {
		switch n := a.(type) {
		case int64:
			if s := big.NewInt(n).String(); jid.Is(s) {
				args[i] = s
			}
		case *big.Int:
			if s := n.String(); jid.Is(s) {
				args[i] = s
			}
		}
	}
	if kw.Len() > 0 {
		k := data.NewMap()
		k.Set("__kwarg__", true)
		kw.Range(func(key, v any) bool { k.Set(key, v); return true })
		args = append(args, k)
	}
	if args == nil {
		args = []any{}
	}
	return args
}

// LoadArgs splits a published or parsed argument list into positional and
// keyword arguments for f, as salt.minion.load_args_and_kwargs does: maps
// flagged __kwarg__ and "name=value" strings become keyword arguments when f
// takes them (or takes **kwargs), otherwise they are reported as invalid;
// when f takes **kwargs, the publish data arrives as __pub_<key> arguments.
func LoadArgs(f *Func, args []any, pub *data.Map) ([]any, *data.Map, error) {
	pos := []any{}
	kwargs := data.NewMap()
	var invalid []string
	accept := func(name string) bool { return f.VarKwargs || f.hasParam(name) }
	for _, a := range args {
		if m, ok := a.(*data.Map); ok {
			if flag, _ := m.Get("__kwarg__"); flag == true {
				m.Range(func(k, v any) bool {
					ks, _ := k.(string)
					if k == "__kwarg__" {
						return true
					}
					if accept(ks) {
						kwargs.Set(ks, v)
					} else {
						invalid = append(invalid, ks+"="+data.Str(v))
					}
					return true
				})
				continue
			}
		}
		if s, ok := a.(string); ok {
			if name, val, ok := ParseKwarg(s); ok {
				v := YamlifyArg(val)
				if accept(name) {
					kwargs.Set(name, v)
				} else {
					invalid = append(invalid, name+"="+data.Str(v))
				}
				continue
			}
		}
		pos = append(pos, a)
	}
	if len(invalid) > 0 {
		return nil, nil, &InvalidKwargsError{Pairs: invalid}
	}
	if f.VarKwargs && pub != nil {
		pub.Range(func(k, v any) bool {
			if ks, ok := k.(string); ok {
				kwargs.Set("__pub_"+ks, v)
			}
			return true
		})
	}
	return pos, kwargs, nil
}

func (f *Func) hasParam(name string) bool {
	for _, p := range f.Params {
		if p.Name == name {
			return true
		}
	}
	return false
}
