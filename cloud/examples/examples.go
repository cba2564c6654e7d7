// Package examples embeds the example pillar used by `make run` and the
// golden tests: the pillar example of makina-states' LXC documentation (the
// compute node devhost10.local, which is also the controller and a devhost).
package examples

import (
	_ "embed"
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/saltgo/saltgo/data"
)

//go:embed pillar.yaml
var pillarYAML []byte

// ComputeNode is the example's compute node, also the controller's minion id.
const ComputeNode = "devhost10.local"

// DocVM is the VM of the document's printed get_settings_for_vm example.
const DocVM = "nmdcarto51.test.com"

// VMs are the example VMs, in pillar order.
var VMs = []string{
	"nmdcarto51.test.com", "mysupertest3.foo.com", "gfoobar.test.com",
	"gfoobar4.test.com", "gfoobar3.test.com", "gfoobar2.test.com",
}

// PillarYAML returns the embedded pillar document.
func PillarYAML() []byte { return append([]byte(nil), pillarYAML...) }

// Pillar returns the embedded pillar as an ordered mapping.
func Pillar() (*data.Map, error) { return ParseYAML(pillarYAML) }

// Grains returns minimal grains of the example controller.
func Grains() *data.Map {
	return data.M("id", ComputeNode, "fqdn", ComputeNode)
}

// ParseYAML parses a YAML mapping document into an ordered *data.Map
// (mappings keep their order, like Salt's OrderedDict pillar).
func ParseYAML(b []byte) (*data.Map, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("examples: %w", err)
	}
	if len(doc.Content) == 0 {
		return data.NewMap(), nil
	}
	v, err := convert(doc.Content[0])
	if err != nil {
		return nil, err
	}
	m, ok := v.(*data.Map)
	if !ok {
		return nil, fmt.Errorf("examples: line %d: the document is not a mapping", doc.Content[0].Line)
	}
	return m, nil
}

func convert(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.AliasNode:
		return convert(n.Alias)
	case yaml.MappingNode:
		m := data.NewMap()
		m.Ordered = true
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, err := convert(n.Content[i])
			if err != nil {
				return nil, err
			}
			if _, ok := k.(*data.Map); ok {
				return nil, fmt.Errorf("examples: line %d: mapping used as a key", n.Content[i].Line)
			}
			v, err := convert(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m.Set(k, v)
		}
		return m, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := convert(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("examples: line %d: %w", n.Line, err)
		}
		return data.Normalize(v), nil
	}
	return nil, fmt.Errorf("examples: line %d: unsupported yaml node", n.Line)
}
