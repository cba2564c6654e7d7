package pkg

import "testing"

func TestFulfills(t *testing.T) {
	for _, tc := range []struct {
		installed    []string
		conds        string
		allowUpdates bool
		want         bool
	}{
		{[]string{"1.0"}, "1.0", false, true},
		{[]string{"1.0"}, "=1.0", false, true},
		{[]string{"1.1"}, "1.0", false, false},
		{[]string{"1.1"}, "1.0", true, true},
		{[]string{"1:1.0"}, "1.0", false, true},
		{[]string{"1:1.0"}, "2:1.0", false, false},
		{[]string{"1.0-3"}, "1.0*", false, true},
		{[]string{"1.5"}, ">=1.0,<2.0", false, true},
		{[]string{"2.5"}, ">=1.0,<2.0", false, false},
		{[]string{"0.9", "1.2"}, ">1.0", false, true},
		{[]string{"1.0"}, "!=1.0", false, false},
	} {
		if got := fulfills(tc.installed, tc.conds, tc.allowUpdates); got != tc.want {
			t.Errorf("fulfills(%v, %q, %v) = %v, want %v", tc.installed, tc.conds, tc.allowUpdates, got, tc.want)
		}
	}
}
