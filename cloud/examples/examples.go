// Package examples embeds the example pillar used by `make run` and the
// golden tests: the pillar example of makina-states' LXC documentation (the
// compute node devhost10.local, which is also the controller and a devhost).
package examples

import (
	_ "embed"
	"fmt"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/saltyaml"
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

// ParseYAML parses a YAML mapping document with Salt's loader rules
// (package saltyaml) into an ordered *data.Map (mappings keep their order,
// like Salt's OrderedDict pillar).
func ParseYAML(b []byte) (*data.Map, error) {
	v, err := saltyaml.Load(b)
	if err != nil {
		return nil, fmt.Errorf("examples: %w", err)
	}
	if v == nil {
		return data.NewMap(), nil
	}
	m, ok := v.(*data.Map)
	if !ok {
		return nil, fmt.Errorf("examples: the document is not a mapping")
	}
	data.MarkOrdered(m)
	return m, nil
}
