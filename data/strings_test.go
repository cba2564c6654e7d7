package data_test

import (
	"reflect"
	"testing"

	"github.com/saltgo/saltgo/data"
)

func TestStrings(t *testing.T) {
	tests := []struct {
		in           any
		plain, split []string
	}{
		{nil, nil, nil},
		{"a,b", []string{"a,b"}, []string{"a", "b"}},
		{"", []string{""}, []string{""}},
		{[]any{"x", int64(2), true, nil}, []string{"x", "2", "True", "None"}, []string{"x", "2", "True", "None"}},
		{int64(7), []string{"7"}, []string{"7"}},
	}
	for _, tc := range tests {
		if got := data.Strings(tc.in); !reflect.DeepEqual(got, tc.plain) {
			t.Errorf("Strings(%#v) = %#v, want %#v", tc.in, got, tc.plain)
		}
		if got := data.SplitStrings(tc.in); !reflect.DeepEqual(got, tc.split) {
			t.Errorf("SplitStrings(%#v) = %#v, want %#v", tc.in, got, tc.split)
		}
	}
	if got := data.List([]string{"a", "b"}); !reflect.DeepEqual(got, []any{"a", "b"}) {
		t.Errorf("List = %#v", got)
	}
}
