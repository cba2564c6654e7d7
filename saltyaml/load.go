// Package saltyaml loads YAML the way Salt does (PyYAML's YAML 1.1 safe
// loader with Salt's changes) into saltgo's value model: yes/no/on/off are
// booleans, 010 is ten (no octal), 1:30 is ninety (sexagesimal), 0b101 is
// five, 1e3 stays a string (YAML 1.1 floats need a dot), dates stay strings,
// and integers of any size are kept (big ones as *big.Int).
package saltyaml

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"github.com/saltgo/saltgo/data"
	"go.yaml.in/yaml/v3"
)

// Load parses one YAML document. An empty document is nil.
func Load(src []byte) (any, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, nil
	}
	return convert(doc.Content[0], 0)
}

const maxDepth = 200

func convert(n *yaml.Node, depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("yaml: document nested too deeply")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return convert(n.Content[0], depth+1)
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, errors.New("yaml: unknown alias")
		}
		return convert(n.Alias, depth+1)
	case yaml.SequenceNode:
		if explicitTag(n) && n.Tag != "!!seq" {
			return nil, fmt.Errorf("yaml: line %d: could not determine a constructor for the tag %s", n.Line, n.Tag)
		}
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := convert(c, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		if explicitTag(n) && n.Tag != "!!map" {
			return nil, fmt.Errorf("yaml: line %d: could not determine a constructor for the tag %s", n.Line, n.Tag)
		}
		m := data.NewMap()
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn, vn := n.Content[i], n.Content[i+1]
			if kn.Kind == yaml.ScalarNode && kn.Tag == "!!merge" || kn.Value == "<<" && kn.Style == 0 && kn.Kind == yaml.ScalarNode {
				if err := merge(m, vn, depth); err != nil {
					return nil, err
				}
				continue
			}
			k, err := convert(kn, depth+1)
			if err != nil {
				return nil, err
			}
			switch k.(type) {
			case []any, *data.Map:
				return nil, fmt.Errorf("yaml: line %d: unhashable mapping key", kn.Line)
			}
			v, err := convert(vn, depth+1)
			if err != nil {
				return nil, err
			}
			m.Set(k, v)
		}
		return m, nil
	case yaml.ScalarNode:
		return scalar(n)
	}
	return nil, fmt.Errorf("yaml: line %d: unsupported node", n.Line)
}

func merge(m *data.Map, vn *yaml.Node, depth int) error {
	v, err := convert(vn, depth+1)
	if err != nil {
		return err
	}
	var srcs []*data.Map
	switch x := v.(type) {
	case *data.Map:
		srcs = append(srcs, x)
	case []any:
		for _, e := range x {
			if mm, ok := e.(*data.Map); ok {
				srcs = append(srcs, mm)
			}
		}
	default:
		return fmt.Errorf("yaml: line %d: merge value is not a mapping", vn.Line)
	}
	for _, s := range srcs {
		s.Range(func(k, v any) bool {
			if !m.Has(k) {
				m.Set(k, v)
			}
			return true
		})
	}
	return nil
}

var (
	reBool  = regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)
	reNull  = regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)
	reInt   = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	reFloat = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
)

func scalar(n *yaml.Node) (any, error) {
	v := n.Value
	tag := n.Tag
	// Explicit tags win; quoted scalars are strings.
	if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		if tag == "" || tag == "!!str" || tag == "!" {
			return v, nil
		}
	}
	switch {
	case strings.HasPrefix(tag, "!!") && tag != "!!str" && tag != "!!int" && tag != "!!float" && tag != "!!bool" && tag != "!!null" && tag != "!!binary" && tag != "!!timestamp" && tag != "!!merge":
		return nil, fmt.Errorf("yaml: line %d: could not determine a constructor for the tag %s", n.Line, tag)
	case tag == "!!str":
		if n.Style == 0 && !explicitTag(n) {
			break // yaml.v3 resolved it to str; apply YAML 1.1 rules below
		}
		return v, nil
	case tag != "" && !strings.HasPrefix(tag, "!!"):
		return nil, fmt.Errorf("yaml: line %d: could not determine a constructor for the tag %s", n.Line, tag)
	}
	if explicitTag(n) {
		switch tag {
		case "!!int":
			if r, ok := parseInt(v); ok {
				return r, nil
			}
			return nil, fmt.Errorf("yaml: line %d: invalid int %q", n.Line, v)
		case "!!float":
			if f, ok := parseFloat(v); ok {
				return f, nil
			}
			return nil, fmt.Errorf("yaml: line %d: invalid float %q", n.Line, v)
		case "!!bool":
			return parseBool(v), nil
		case "!!null":
			return nil, nil
		}
		return v, nil
	}
	return Resolve(v), nil
}

// explicitTag reports whether the node carried a tag in the source text.
func explicitTag(n *yaml.Node) bool { return n.Style&yaml.TaggedStyle != 0 }

// Resolve applies YAML 1.1 implicit typing (with Salt's rules) to a plain
// scalar.
func Resolve(v string) any {
	switch {
	case reNull.MatchString(v):
		return nil
	case reBool.MatchString(v):
		return parseBool(v)
	case reInt.MatchString(v):
		if r, ok := parseInt(v); ok {
			return r
		}
	case reFloat.MatchString(v):
		if f, ok := parseFloat(v); ok {
			return f
		}
	}
	return v
}

func parseBool(v string) bool {
	switch strings.ToLower(v) {
	case "yes", "true", "on":
		return true
	}
	return false
}

// parseInt follows PyYAML's construct_yaml_int, except that a leading zero
// is decimal (Salt's loader does not read octal).
func parseInt(v string) (any, bool) {
	s := strings.ReplaceAll(v, "_", "")
	sign := 1
	if strings.HasPrefix(s, "-") {
		sign = -1
		s = s[1:]
	} else if strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	b := new(big.Int)
	switch {
	case s == "0":
		return int64(0), true
	case strings.HasPrefix(s, "0b"):
		if _, ok := b.SetString(s[2:], 2); !ok {
			return nil, false
		}
	case strings.HasPrefix(s, "0x"):
		if _, ok := b.SetString(s[2:], 16); !ok {
			return nil, false
		}
	case strings.Contains(s, ":"):
		for _, part := range strings.Split(s, ":") {
			d, err := strconv.ParseInt(part, 10, 64)
			if err != nil {
				return nil, false
			}
			b.Mul(b, big.NewInt(60))
			b.Add(b, big.NewInt(d))
		}
	default:
		if _, ok := b.SetString(s, 10); !ok {
			return nil, false
		}
	}
	if sign < 0 {
		b.Neg(b)
	}
	if b.IsInt64() {
		return b.Int64(), true
	}
	return b, true
}

func parseFloat(v string) (float64, bool) {
	s := strings.ToLower(strings.ReplaceAll(v, "_", ""))
	sign := 1.0
	if strings.HasPrefix(s, "-") {
		sign = -1
		s = s[1:]
	} else if strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	switch s {
	case ".inf":
		return sign * math.Inf(1), true
	case ".nan":
		return math.NaN(), true
	}
	if strings.Contains(s, ":") {
		parts := strings.Split(s, ":")
		var f float64
		for _, p := range parts {
			d, err := strconv.ParseFloat(p, 64)
			if err != nil {
				return 0, false
			}
			f = f*60 + d
		}
		return sign * f, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	return sign * f, true
}
