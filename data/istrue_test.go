package data_test

import (
	"testing"

	"github.com/saltgo/saltgo/data"
)

func TestIsTrue(t *testing.T) {
	tests := []struct {
		in   any
		want bool
	}{
		{"True", true}, {"true", true}, {"yes", false}, {"1", true}, {"0", false}, {"0.5", true},
		{"False", false}, {"", false}, {true, true}, {false, false}, {int64(2), true}, {int64(0), false}, {int64(-1), false}, {-0.5, false}, {" 5 ", true}, {"nan", false}, {nil, false},
		{[]any{}, false}, {[]any{"x"}, true}, {"TRUE", true},
	}
	for _, tc := range tests {
		if got := data.IsTrue(tc.in); got != tc.want {
			t.Errorf("IsTrue(%#v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
