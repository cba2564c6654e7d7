// Package saltyaml loads YAML the way Salt does (PyYAML's YAML 1.1 safe
// loader with SaltYamlSafeLoader's changes) into saltgo's value model:
// yes/no/on/off are booleans, an unsigned 010 is ten, 1:30 is ninety
// (sexagesimal), 0b101 is five, 1e3 stays a string (YAML 1.1 floats need a
// dot), timestamps stay strings, duplicate keys are an error, "<<" merges
// work, integers of any size are kept (big ones as *big.Int) and alias
// bombs are refused. Configuration files, pillar files and command-line
// argument typing all go through it.
package saltyaml

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/saltgo/saltgo/data"
)

// maxYAMLNodes bounds alias expansion ("billion laughs") while converting a
// document to data values.
const maxYAMLNodes = 1_000_000

// Error is a YAML error tied to a file name and, when known, a 1-based line.
type Error struct {
	File string
	Line int
	Err  error
	// Column (1-based) of the problem, and the context PyYAML names for
	// constructor errors ("while constructing a mapping" at
	// ContextLine:ContextColumn), when known.
	Column                     int
	Context                    string
	ContextLine, ContextColumn int
}

// Error renders "file:line: message".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

var yamlLineRe = regexp.MustCompile(`line (\d+)`)

// Load parses one YAML document and returns it as data values: *data.Map
// for mappings, []any, int64 or *big.Int, float64, bool, string, []byte
// (!!binary) or nil. An empty document returns nil.
func Load(b []byte) (any, error) {
	v, _, err := Decode(b, "")
	return v, err
}

// Decode is Load for a named file: errors are *Error with the name and
// line, and it also returns the line of each top-level key when the
// document is a mapping.
func Decode(b []byte, name string) (any, map[string]int, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, nil
		}
		return nil, nil, yamlError(name, b, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, nil, &Error{File: name, Line: extra.Line, Err: errors.New("expected a single document in the stream")}
	} else if !errors.Is(err, io.EOF) {
		return nil, nil, yamlError(name, b, err)
	}
	if hasAlias(&doc) && expandedSize(&doc, map[*yaml.Node]int{}, 0) > maxYAMLNodes {
		return nil, nil, &Error{File: name, Line: 1, Err: errors.New("document too large once aliases are expanded")}
	}
	c := &yamlConv{name: name}
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return nil, nil, nil
		}
		root = root.Content[0]
	}
	v, err := c.value(root, 0)
	if err != nil {
		return nil, nil, err
	}
	var lines map[string]int
	if m := resolveAlias(root); m.Kind == yaml.MappingNode {
		lines = map[string]int{}
		for i := 0; i+1 < len(m.Content); i += 2 {
			lines[m.Content[i].Value] = m.Content[i].Line
		}
	}
	return v, lines, nil
}

// hasAlias reports whether the document uses an alias; without one its
// size is the input's and needs no measuring.
func hasAlias(n *yaml.Node) bool {
	stack := []*yaml.Node{n}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.Kind == yaml.AliasNode {
			return true
		}
		stack = append(stack, n.Content...)
	}
	return false
}

// expandedSize counts the nodes of n with aliases expanded, memoised per
// node so that alias bombs are measured in linear time.
func expandedSize(n *yaml.Node, memo map[*yaml.Node]int, depth int) int {
	if n == nil {
		return 0
	}
	if v, ok := memo[n]; ok {
		return v
	}
	if depth > 10000 {
		return maxYAMLNodes + 1
	}
	memo[n] = maxYAMLNodes + 1 // a cycle counts as too large
	size := 1
	if n.Kind == yaml.AliasNode {
		size += expandedSize(n.Alias, memo, depth+1)
	}
	for _, c := range n.Content {
		size += expandedSize(c, memo, depth+1)
		if size > maxYAMLNodes {
			break
		}
	}
	memo[n] = size
	return size
}

func yamlError(name string, src []byte, err error) error {
	line := 0
	if m := yamlLineRe.FindStringSubmatch(err.Error()); m != nil {
		line, _ = strconv.Atoi(m[1])
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if line > 0 {
		msg = strings.TrimPrefix(msg, "line "+strconv.Itoa(line)+": ")
	}
	e := &Error{File: name, Line: line, Err: fmt.Errorf("YAML syntax error: %s", msg)}
	var m Error
	ok := false
	switch msg {
	case "did not find expected ',' or ']'", "did not find expected ',' or '}'":
		m, ok = flowMarks(src)
	case "did not find expected key", "did not find expected '-' indicator":
		m, ok = blockMarks(src, msg)
	}
	// go.yaml.in/yaml/v3 names the context line (0-based) or, when that
	// is 0, the problem line: the marks found must agree with it.
	if ok && ((m.ContextLine > 1 && line == m.ContextLine-1) || (m.ContextLine <= 1 && line == m.Line-1)) {
		e.Line, e.Column = m.Line, m.Column
		e.Context, e.ContextLine, e.ContextColumn = m.Context, m.ContextLine, m.ContextColumn
	}
	return e
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

type yamlConv struct {
	name  string
	nodes int
}

func (c *yamlConv) errf(n *yaml.Node, format string, args ...any) error {
	return &Error{File: c.name, Line: n.Line, Err: fmt.Errorf(format, args...)}
}

func (c *yamlConv) value(n *yaml.Node, depth int) (any, error) {
	c.nodes++
	if c.nodes > maxYAMLNodes || depth > 10000 {
		return nil, c.errf(n, "document too large or too deeply nested")
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, c.errf(n, "unknown alias %q", n.Value)
		}
		return c.value(n.Alias, depth+1)
	case yaml.ScalarNode:
		return c.scalar(n)
	case yaml.SequenceNode:
		if n.Tag != "" && n.Tag != "!!seq" && n.Tag != "!!omap" && n.Tag != "!!pairs" && n.Tag != "!!set" {
			return nil, c.errf(n, "could not determine a constructor for the tag %q", n.Tag)
		}
		out := make([]any, 0, len(n.Content))
		for _, e := range n.Content {
			v, err := c.value(e, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		if n.Tag != "" && n.Tag != "!!map" && n.Tag != "!!omap" && n.Tag != "!!set" {
			return nil, c.errf(n, "could not determine a constructor for the tag %q", n.Tag)
		}
		return c.mapping(n, depth)
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return c.value(n.Content[0], depth+1)
	}
	return nil, c.errf(n, "unexpected YAML node kind %d", n.Kind)
}

// mergePairs flattens "<<" merge keys the way PyYAML does: explicit keys of
// the mapping win over merged ones, earlier merged mappings win over later.
func (c *yamlConv) mergePairs(n *yaml.Node) ([][2]*yaml.Node, error) {
	var own, merged [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "!!merge" || k.Style == 0) {
			v = resolveAlias(v)
			switch v.Kind {
			case yaml.MappingNode:
				p, err := c.mergePairs(v)
				if err != nil {
					return nil, err
				}
				merged = append(merged, p...)
			case yaml.SequenceNode:
				for j := len(v.Content) - 1; j >= 0; j-- {
					s := resolveAlias(v.Content[j])
					if s.Kind != yaml.MappingNode {
						return nil, c.errf(s, "expected a mapping for merging")
					}
					p, err := c.mergePairs(s)
					if err != nil {
						return nil, err
					}
					merged = append(merged, p...)
				}
			default:
				return nil, c.errf(v, "expected a mapping or list of mappings for merging")
			}
			continue
		}
		own = append(own, [2]*yaml.Node{k, v})
	}
	if len(merged) == 0 {
		return own, nil
	}
	seen := map[string]bool{}
	for _, p := range own {
		seen[p[0].Value] = true
	}
	var out [][2]*yaml.Node
	for _, p := range merged {
		if !seen[p[0].Value] {
			out = append(out, p)
		}
	}
	return append(out, own...), nil
}

func (c *yamlConv) mapping(n *yaml.Node, depth int) (any, error) {
	pairs, err := c.mergePairs(n)
	if err != nil {
		return nil, err
	}
	m := data.NewMap()
	for _, p := range pairs {
		k, err := c.value(p[0], depth+1)
		if err != nil {
			return nil, err
		}
		switch kk := k.(type) {
		case *data.Map, []any:
			return nil, c.errf(p[0], "found unacceptable key")
		case []byte:
			k = string(kk)
		}
		if m.Has(k) {
			e := c.errf(p[0], "found conflicting ID '%v'", k).(*Error)
			e.Column, e.Context, e.ContextLine, e.ContextColumn = p[0].Column, "while constructing a mapping", n.Line, n.Column
			return nil, e
		}
		v, err := c.value(p[1], depth+1)
		if err != nil {
			return nil, err
		}
		m.Set(k, v)
	}
	return m, nil
}

var (
	reInt   = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	reFloat = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
)

func (c *yamlConv) scalar(n *yaml.Node) (any, error) {
	s := n.Value
	tag := n.Tag
	explicit := n.Style&yaml.TaggedStyle != 0
	quoted := n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0
	if !explicit {
		if quoted {
			return s, nil
		}
		// yaml.v3 resolves plain scalars with YAML 1.2 rules; redo the
		// resolution with PyYAML's YAML 1.1 rules.
		tag = resolve11(s)
	}
	switch tag {
	case "!!str", "!", "!!timestamp", "!!python/unicode", "!!python/str",
		"tag:yaml.org,2002:python/unicode", "tag:yaml.org,2002:python/str":
		return s, nil
	case "!!null", "!!bool", "!!int", "!!float":
	case "!!binary":
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
		if err != nil {
			return nil, c.errf(n, "failed to decode base64 data: %v", err)
		}
		return b, nil
	default:
		return nil, c.errf(n, "could not determine a constructor for the tag %q", tag)
	}
	switch tag {
	case "!!null":
		return nil, nil
	case "!!bool":
		switch strings.ToLower(s) {
		case "yes", "true", "on":
			return true, nil
		case "no", "false", "off":
			return false, nil
		}
		return nil, c.errf(n, "invalid boolean %q", s)
	case "!!int":
		v, ok := parseInt11(s)
		if !ok {
			return nil, c.errf(n, "invalid integer %q", s)
		}
		return v, nil
	case "!!float":
		v, ok := parseFloat11(s)
		if !ok {
			return nil, c.errf(n, "invalid float %q", s)
		}
		return v, nil
	}
	return s, nil
}

// bool11 are the YAML 1.1 booleans PyYAML resolves.
var bool11 = map[string]bool{
	"yes": true, "Yes": true, "YES": true, "no": true, "No": true, "NO": true,
	"true": true, "True": true, "TRUE": true, "false": true, "False": true, "FALSE": true,
	"on": true, "On": true, "ON": true, "off": true, "Off": true, "OFF": true,
}

func resolve11(s string) string {
	// PyYAML keys its implicit resolvers by the first character; only
	// numbers need the regexps
	switch {
	case s == "" || s == "~" || s == "null" || s == "Null" || s == "NULL":
		return "!!null"
	case bool11[s]:
		return "!!bool"
	case !strings.ContainsRune("0123456789+-.", rune(s[0])):
		return "!!str"
	case reInt.MatchString(s):
		return "!!int"
	case reFloat.MatchString(s):
		return "!!float"
	}
	return "!!str"
}

func parseInt11(s string) (any, bool) {
	s = strings.ReplaceAll(s, "_", "")
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	} else if strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	n := new(big.Int)
	switch {
	case s == "0":
	case strings.HasPrefix(s, "0b"):
		if _, ok := n.SetString(s[2:], 2); !ok {
			return nil, false
		}
	case strings.HasPrefix(s, "0x"):
		if _, ok := n.SetString(s[2:], 16); !ok {
			return nil, false
		}
	case strings.Contains(s, ":"):
		for _, part := range strings.Split(s, ":") {
			d, err := strconv.ParseInt(part, 10, 64)
			if err != nil {
				return nil, false
			}
			n.Mul(n, big.NewInt(60))
			n.Add(n, big.NewInt(d))
		}
	case strings.HasPrefix(s, "0"):
		// Salt's loader strips the leading zeros of unsigned "octal"
		// integers and reads them as decimal; a signed one stays octal.
		base := 10
		if neg {
			base = 8
		}
		if _, ok := n.SetString(strings.TrimLeft(s, "0"), base); !ok {
			return nil, false
		}
	default:
		if _, ok := n.SetString(s, 10); !ok {
			return nil, false
		}
	}
	if neg {
		n.Neg(n)
	}
	if n.IsInt64() {
		return n.Int64(), true
	}
	// Python integers have no size limit: keep big ones exact.
	return n, true
}

func parseFloat11(s string) (float64, bool) {
	s = strings.ReplaceAll(s, "_", "")
	sign := 1.0
	if strings.HasPrefix(s, "-") {
		sign, s = -1, s[1:]
	} else if strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	switch strings.ToLower(s) {
	case ".inf":
		return sign * math.Inf(1), true
	case ".nan":
		return math.NaN(), true
	}
	if strings.Contains(s, ":") {
		parts := strings.Split(s, ":")
		v := 0.0
		for i, p := range parts {
			var d float64
			var err error
			if i == len(parts)-1 {
				d, err = strconv.ParseFloat(p, 64)
			} else {
				var x int64
				x, err = strconv.ParseInt(p, 10, 64)
				d = float64(x)
			}
			if err != nil {
				return 0, false
			}
			v = v*60 + d
		}
		return sign * v, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return sign * f, true
}
