package data

import (
	"reflect"
	"testing"
)

// TestSplitLines checks str.splitlines against Python 3's results.
func TestSplitLines(t *testing.T) {
	for _, tc := range []struct {
		s          string
		want, keep []string
	}{
		{"", nil, nil},
		{"a", []string{"a"}, []string{"a"}},
		{"a\n", []string{"a"}, []string{"a\n"}},
		{"a\r\nb\rc\n\nd", []string{"a", "b", "c", "", "d"}, []string{"a\r\n", "b\r", "c\n", "\n", "d"}},
		{"a\vb\fc\x1cd\u0085e\u2028f\u2029", []string{"a", "b", "c", "d", "e", "f"}, []string{"a\v", "b\f", "c\x1c", "d\u0085", "e\u2028", "f\u2029"}},
		{"é\n\n", []string{"é", ""}, []string{"é\n", "\n"}},
	} {
		if got := SplitLines(tc.s, false); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SplitLines(%q, false) = %q, want %q", tc.s, got, tc.want)
		}
		if got := SplitLines(tc.s, true); !reflect.DeepEqual(got, tc.keep) {
			t.Errorf("SplitLines(%q, true) = %q, want %q", tc.s, got, tc.keep)
		}
	}
}
