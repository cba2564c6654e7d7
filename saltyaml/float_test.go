package saltyaml

import (
	"math"
	"testing"
)

// TestFormatFloat checks FormatFloat against PyYAML's yaml.safe_dump(f).
func TestFormatFloat(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{1.0, "1.0"}, {1e16, "1.0e+16"}, {1234567.5, "1234567.5"}, {0.1, "0.1"},
		{1e-5, "1.0e-05"}, {math.Copysign(0, -1), "-0.0"}, {5e-324, "5.0e-324"},
		{math.Inf(1), ".inf"}, {math.Inf(-1), "-.inf"}, {math.NaN(), ".nan"},
		{1.5e300, "1.5e+300"}, {12345678901234567.0, "1.2345678901234568e+16"},
	} {
		if got := FormatFloat(tc.f); got != tc.want {
			t.Errorf("FormatFloat(%v) = %q, want %q", tc.f, got, tc.want)
		}
	}
}
