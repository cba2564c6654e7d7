package jinja

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/output"
	"github.com/saltgo/saltgo/saltyaml"
)

func (ev *evaluator) loadYAML(s string) (any, error) {
	v, err := saltyaml.Load([]byte(s))
	if err != nil {
		var ye *saltyaml.Error
		msg := err.Error()
		if errors.As(err, &ye) {
			msg = ye.Err.Error()
		}
		return nil, ev.errf(KindSyntax, "Encountered error loading yaml: %s", msg)
	}
	return v, nil
}

func (ev *evaluator) loadJSON(s string) (any, error) {
	v, err := DecodeJSON([]byte(s))
	if err != nil {
		return nil, ev.errf(KindSyntax, "Unable to load json from %s", s)
	}
	return v, nil
}

// DecodeJSON parses one JSON document keeping object key order
// (*data.Map); integers are int64 (or *big.Int), other numbers float64.
func DecodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := decodeJSONValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("Extra data")
	}
	return v, nil
}

func decodeJSONValue(dec *json.Decoder, depth int) (any, error) {
	if depth > 1000 {
		return nil, errors.New("maximum nesting depth exceeded")
	}
	t, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("Expecting value: line 1 column 1 (char 0)")
		}
		return nil, err
	}
	switch x := t.(type) {
	case json.Delim:
		switch x {
		case '{':
			m := data.NewMap()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, errors.New("Expecting property name enclosed in double quotes")
				}
				v, err := decodeJSONValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				m.Set(k, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return m, nil
		case '[':
			out := []any{}
			for dec.More() {
				v, err := decodeJSONValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return out, nil
		}
		return nil, fmt.Errorf("unexpected %v", x)
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i, nil
		}
		if b, ok := new(big.Int).SetString(string(x), 10); ok {
			return b, nil
		}
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return nil, err
		}
		return f, nil
	}
	return t, nil
}

// jsonOptions are json.dumps' options as the json and tojson filters pass
// them (ensure_ascii, as salt.utils.json.dumps and Jinja's
// htmlsafe_json_dumps leave it).
func jsonOptions(sortKeys bool, indent int) output.JSONOptions {
	return output.JSONOptions{Indent: indent, SortKeys: sortKeys, EnsureASCII: true, Default: jsonDefault}
}

// jsonDefault refuses what json.dumps cannot encode (a byte string is
// taken as its text).
func jsonDefault(v any) (any, error) {
	if b, ok := v.([]byte); ok {
		return string(b), nil
	}
	return nil, fmt.Errorf("Object of type %s is not JSON serializable", typeName(v))
}

// yamlDefault refuses what PyYAML's SafeRepresenter cannot represent.
func yamlDefault(v any) (any, error) {
	return nil, fmt.Errorf("cannot represent an object: %s", pyStr(v))
}

// ---- regular expressions (Python re, through Go's RE2 syntax) ----

func (ev *evaluator) compileRe(pattern string, args []any, kw *data.Map, flagPos int) (*regexp.Regexp, error) {
	flags := ""
	if data.Truthy(arg(args, kw, flagPos, "ignorecase", false)) {
		flags += "i"
	}
	if data.Truthy(arg(args, kw, flagPos+1, "multiline", false)) {
		flags += "m"
	}
	p := pattern
	if flags != "" {
		p = "(?" + flags + ")" + p
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, ev.errf(KindOther, "regular expression not supported: %s", err)
	}
	return re, nil
}

func regexFilter(mode string) filterFunc {
	return func(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
		re, err := ev.compileRe(pyStr(arg(args, kw, 0, "regex", "")), args, kw, 1)
		if err != nil {
			return nil, err
		}
		s := pyStr(v)
		m := re.FindStringSubmatchIndex(s)
		if m == nil || mode == "match" && m[0] != 0 {
			return nil, nil
		}
		out := data.Tuple{}
		for i := 2; i < len(m); i += 2 {
			if m[i] < 0 {
				out = append(out, nil)
			} else {
				out = append(out, s[m[i]:m[i+1]])
			}
		}
		return out, nil
	}
}

var pyBackref = regexp.MustCompile(`\\(\d+)|\\g<(\w+)>`)

func regexReplace(ev *evaluator, v any, args []any, kw *data.Map) (any, error) {
	re, err := ev.compileRe(pyStr(arg(args, kw, 0, "regex", "")), args, kw, 2)
	if err != nil {
		return nil, err
	}
	repl := pyStr(arg(args, kw, 1, "replace", ""))
	repl = strings.ReplaceAll(repl, "$", "$$")
	repl = pyBackref.ReplaceAllStringFunc(repl, func(m string) string {
		sm := pyBackref.FindStringSubmatch(m)
		if sm[1] != "" {
			return "${" + sm[1] + "}"
		}
		return "${" + sm[2] + "}"
	})
	return re.ReplaceAllString(pyStr(v), repl), nil
}

// pyReEscape is Python 3.7+'s re.escape.
func pyReEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 128 && !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') && strings.ContainsRune("()[]{}?*+-|^$\\.&~# \t\n\r\v\f", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
