package file

import (
	"path/filepath"
	"slices"
	"sort"
	"testing"
)

// TestRecurseOrder checks the order file.recurse handles (and comments)
// its directories and files in: a directory's entries before its
// subdirectories', then by name (the files tree's apply_test golden).
func TestRecurseOrder(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in, want []string
	}{
		{"golden files", []string{"/r/recursed/sub/inner.txt", "/r/recursed/top.txt"}, []string{"/r/recursed/top.txt", "/r/recursed/sub/inner.txt"}},
		{"golden dirs", []string{"/r/recursed/sub", "/r/recursed"}, []string{"/r/recursed", "/r/recursed/sub"}},
		{"by name within a depth", []string{"/r/b/x", "/r/a/z", "/r/c", "/r/a/y"}, []string{"/r/c", "/r/a/y", "/r/a/z", "/r/b/x"}},
		{"empty", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := make([]string, len(tc.in))
			for i, p := range tc.in {
				got[i] = filepath.FromSlash(p)
			}
			sort.Slice(got, func(i, j int) bool { return shallowerFirst(got[i], got[j]) })
			want := make([]string, len(tc.want))
			for i, p := range tc.want {
				want[i] = filepath.FromSlash(p)
			}
			if !slices.Equal(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}
