package jinja

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/saltgo/saltgo/data"
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

// pyJSON is Python's json.dumps (ensure_ascii, ", " and ": " separators).
func pyJSON(v any, sortKeys bool, indent int) (string, error) {
	var b strings.Builder
	if err := writeJSON(&b, v, sortKeys, indent, 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

func writeJSON(b *strings.Builder, v any, sortKeys bool, indent, level int) error {
	if level > 1000 {
		return errors.New("maximum recursion depth exceeded while encoding a JSON object")
	}
	nl := func(l int) {
		if indent >= 0 {
			b.WriteByte('\n')
			b.WriteString(strings.Repeat(" ", indent*l))
		}
	}
	sep := ", "
	if indent >= 0 {
		sep = ","
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case int64, *big.Int:
		b.WriteString(pyStr(x))
	case float64:
		switch {
		case math.IsNaN(x):
			b.WriteString("NaN")
		case math.IsInf(x, 1):
			b.WriteString("Infinity")
		case math.IsInf(x, -1):
			b.WriteString("-Infinity")
		default:
			b.WriteString(data.FloatRepr(x))
		}
	case string:
		writeJSONString(b, x)
	case []byte:
		writeJSONString(b, string(x))
	case []any, data.Tuple:
		var items []any
		if l, ok := x.([]any); ok {
			items = l
		} else {
			items = x.(data.Tuple)
		}
		if len(items) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteByte('[')
		for i, it := range items {
			if i > 0 {
				b.WriteString(sep)
			}
			nl(level + 1)
			if err := writeJSON(b, it, sortKeys, indent, level+1); err != nil {
				return err
			}
		}
		nl(level)
		b.WriteByte(']')
	case *data.Map:
		if x.Len() == 0 {
			b.WriteString("{}")
			return nil
		}
		keys := x.Keys()
		if sortKeys {
			keys = x.SortedKeys()
		}
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(sep)
			}
			nl(level + 1)
			switch kk := k.(type) {
			case string:
				writeJSONString(b, kk)
			case nil:
				b.WriteString(`"null"`)
			case bool:
				if kk {
					b.WriteString(`"true"`)
				} else {
					b.WriteString(`"false"`)
				}
			default:
				writeJSONString(b, pyStr(kk))
			}
			b.WriteString(": ")
			val, _ := x.Get(k)
			if err := writeJSON(b, val, sortKeys, indent, level+1); err != nil {
				return err
			}
		}
		nl(level)
		b.WriteByte('}')
	default:
		return fmt.Errorf("Object of type %s is not JSON serializable", typeName(v))
	}
	return nil
}

func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		default:
			switch {
			case r < 0x20 || r > 0x7e && r < 0x10000:
				fmt.Fprintf(b, `\u%04x`, r)
			case r >= 0x10000:
				r -= 0x10000
				fmt.Fprintf(b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
			default:
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
}

// ---- YAML output (PyYAML's SafeDumper, as salt.utils.yaml.safe_dump) ----

var (
	yamlBoolRe  = regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)
	yamlNullRe  = regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)
	yamlIntRe   = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	yamlFloatRe = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
	yamlTimeRe  = regexp.MustCompile(`^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$`)
)

// yamlImplicit reports whether a plain s would read back as something else
// than a string.
func yamlImplicit(s string) bool {
	return yamlBoolRe.MatchString(s) || yamlNullRe.MatchString(s) || yamlIntRe.MatchString(s) ||
		yamlFloatRe.MatchString(s) || yamlTimeRe.MatchString(s) || s == "=" || s == "<<"
}

// yamlPlainOK is a simplified PyYAML analyze_scalar: can s be written
// plain (flow tells whether inside a flow collection)?
func yamlPlainOK(s string, flow bool) bool {
	if s == "" || yamlImplicit(s) {
		return false
	}
	if s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	if strings.ContainsAny(s[:1], "#,[]{}&*!|>'\"%@`") {
		return false
	}
	if strings.ContainsAny(s[:1], "?:-") && (len(s) == 1 || s[1] == ' ') {
		return false
	}
	if flow && strings.ContainsAny(s, ",?[]{}:") {
		return false
	}
	if strings.Contains(s, ": ") || strings.Contains(s, " #") || strings.HasSuffix(s, ":") {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			return false
		}
	}
	return true
}

func yamlSingleOK(s string) bool {
	for _, r := range s {
		if r < 0x20 || r > 0x7e {
			return false
		}
	}
	return true
}

// yamlEscapes are PyYAML's ESCAPE_REPLACEMENTS.
var yamlEscapes = map[rune]string{0: "0", 7: "a", 8: "b", 9: "t", 10: "n", 11: "v", 12: "f", 13: "r", 27: "e", '"': "\"", '\\': "\\", 0x85: "N", 0xa0: "_", 0x2028: "L", 0x2029: "P"}

// yamlDoubleQuote is PyYAML's write_double_quoted (ASCII only, no wrapping).
func yamlDoubleQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if e, ok := yamlEscapes[r]; ok {
			b.WriteString("\\" + e)
			continue
		}
		switch {
		case r >= 0x20 && r <= 0x7e:
			b.WriteRune(r)
		case r <= 0xff:
			fmt.Fprintf(&b, "\\x%02X", r)
		case r <= 0xffff:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			fmt.Fprintf(&b, "\\U%08X", r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func yamlFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return ".nan"
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	}
	s := strings.ToLower(data.FloatRepr(f))
	if !strings.Contains(s, ".") && strings.Contains(s, "e") {
		i := strings.Index(s, "e")
		s = s[:i] + ".0" + s[i:]
	}
	return s
}

// yamlScalar writes a scalar; forceQuote double-quotes strings
// (yaml_encode).
func yamlScalar(v any, forceQuote bool) (string, error) {
	switch x := v.(type) {
	case nil:
		return "null", nil
	case bool:
		if x {
			return "true", nil
		}
		return "false", nil
	case int64, *big.Int:
		return pyStr(x), nil
	case float64:
		return yamlFloat(x), nil
	case string:
		if forceQuote {
			return yamlDoubleQuote(x), nil
		}
		return yamlString(x, false), nil
	case []byte:
		if utf8.Valid(x) {
			return yamlScalar(string(x), forceQuote)
		}
		return "!!binary |\n  " + base64Std(x), nil
	}
	return "", fmt.Errorf("cannot represent an object: %s", data.Repr(v))
}

func yamlString(s string, flow bool) string {
	switch {
	case yamlPlainOK(s, flow):
		return s
	case yamlSingleOK(s):
		return "'" + strings.ReplaceAll(s, "'", "''") + "'"
	}
	return yamlDoubleQuote(s)
}

func yamlKeys(m *data.Map) []any {
	if m.Ordered {
		return m.Keys()
	}
	return m.SortedKeys()
}

// yamlDump is safe_dump(v, default_flow_style=flow).
func yamlDump(v any, flow bool) (string, error) {
	var b strings.Builder
	if flow {
		if err := yamlFlow(&b, v, 0); err != nil {
			return "", err
		}
		switch v.(type) {
		case []any, data.Tuple, *data.Map:
			b.WriteString("\n")
		default:
			b.WriteString("\n...\n")
		}
		return b.String(), nil
	}
	switch x := v.(type) {
	case []any, *data.Map, data.Tuple:
		if err := yamlBlock(&b, x, 0, false); err != nil {
			return "", err
		}
		return b.String(), nil
	}
	if err := yamlFlow(&b, v, 0); err != nil {
		return "", err
	}
	b.WriteString("\n...\n")
	return b.String(), nil
}

func yamlFlow(b *strings.Builder, v any, depth int) error {
	if depth > 500 {
		return errors.New("maximum recursion depth exceeded")
	}
	switch x := v.(type) {
	case []any, data.Tuple:
		items, _ := (&evaluator{}).iterateNoErr(x)
		b.WriteByte('[')
		for i, it := range items {
			if i > 0 {
				b.WriteString(", ")
			}
			if err := yamlFlow(b, it, depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case *data.Map:
		b.WriteByte('{')
		for i, k := range yamlKeys(x) {
			if i > 0 {
				b.WriteString(", ")
			}
			if err := yamlFlow(b, k, depth+1); err != nil {
				return err
			}
			b.WriteString(": ")
			val, _ := x.Get(k)
			if err := yamlFlow(b, val, depth+1); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case string:
		b.WriteString(yamlString(x, depth > 0))
	default:
		s, err := yamlScalar(v, false)
		if err != nil {
			return err
		}
		b.WriteString(s)
	}
	return nil
}

func (ev *evaluator) iterateNoErr(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case data.Tuple:
		return x, true
	}
	return nil, false
}

func isCollection(v any) bool {
	switch x := v.(type) {
	case []any:
		return len(x) > 0
	case data.Tuple:
		return len(x) > 0
	case *data.Map:
		return x.Len() > 0
	}
	return false
}

// yamlBlock writes block style as PyYAML does (lists inside mappings are
// not indented).
func yamlBlock(b *strings.Builder, v any, indent int, inSeq bool) error {
	if indent > 1000 {
		return errors.New("maximum recursion depth exceeded")
	}
	pad := strings.Repeat(" ", indent)
	switch x := v.(type) {
	case []any, data.Tuple:
		items, _ := (&evaluator{}).iterateNoErr(x)
		if len(items) == 0 {
			b.WriteString("[]\n")
			return nil
		}
		for i, it := range items {
			if i > 0 || !inSeq {
				b.WriteString(pad)
			}
			b.WriteString("- ")
			if isCollection(it) {
				if err := yamlBlock(b, it, indent+2, true); err != nil {
					return err
				}
				continue
			}
			if err := yamlFlow(b, it, 0); err != nil {
				return err
			}
			b.WriteByte('\n')
		}
	case *data.Map:
		if x.Len() == 0 {
			b.WriteString("{}\n")
			return nil
		}
		for i, k := range yamlKeys(x) {
			if i > 0 || !inSeq {
				b.WriteString(pad)
			}
			if err := yamlFlow(b, k, 0); err != nil {
				return err
			}
			b.WriteByte(':')
			val, _ := x.Get(k)
			if isCollection(val) {
				b.WriteByte('\n')
				next := indent + 2
				if _, ok := val.(*data.Map); !ok {
					next = indent
				}
				if err := yamlBlock(b, val, next, false); err != nil {
					return err
				}
				continue
			}
			b.WriteByte(' ')
			if err := yamlFlow(b, val, 0); err != nil {
				return err
			}
			b.WriteByte('\n')
		}
	}
	return nil
}

func base64Std(b []byte) string {
	const enc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var s strings.Builder
	for i := 0; i < len(b); i += 3 {
		var n uint32
		rem := len(b) - i
		for j := 0; j < 3; j++ {
			n <<= 8
			if j < rem {
				n |= uint32(b[i+j])
			}
		}
		for j := 0; j < 4; j++ {
			if j <= rem {
				s.WriteByte(enc[(n>>(18-6*j))&63])
			} else {
				s.WriteByte('=')
			}
		}
	}
	return s.String()
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
