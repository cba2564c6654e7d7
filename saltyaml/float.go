package saltyaml

import (
	"math"
	"strings"

	"github.com/saltgo/saltgo/data"
)

// FormatFloat writes f as PyYAML's SafeRepresenter.represent_float does:
// Python's repr in lower case, with ".0" put before the exponent when the
// repr has no dot (1e+16 is "1.0e+16": YAML 1.1 floats need a dot), and
// ".inf", "-.inf", ".nan".
func FormatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return ".nan"
	case math.IsInf(f, 1):
		return ".inf"
	case math.IsInf(f, -1):
		return "-.inf"
	}
	v := strings.ToLower(data.FloatRepr(f))
	if !strings.Contains(v, ".") && strings.Contains(v, "e") {
		v = strings.Replace(v, "e", ".0e", 1)
	}
	return v
}
