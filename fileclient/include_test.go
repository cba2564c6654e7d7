package fileclient

import "testing"

// TestCheckIncludeExclude checks salt.utils.stringutils.check_include_exclude:
// E@ patterns are re.search'ed, others fnmatch'ed ("*" crosses "/").
func TestCheckIncludeExclude(t *testing.T) {
	for _, tc := range []struct {
		path, include, exclude string
		want, err              bool
	}{
		{"a/b.txt", "", "", true, false},
		{"a/b.txt", "*.txt", "", true, false},
		{"a/b.txt", "a*", "*.txt", false, false},
		{"a/b.txt", "", "E@b\\.t", false, false}, // searched, not matched at 0
		{"a/b.txt", "E@^b", "", false, false},
		{"a/big.bin", "*", "E@.*big", false, false},
		{"a/b.txt", "E@(", "", false, true},
		{"a/b.txt", "a/[!x].txt", "", true, false},
	} {
		got, err := CheckIncludeExclude(tc.path, tc.include, tc.exclude)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("CheckIncludeExclude(%q, %q, %q) = %v, %v; want %v (error %v)", tc.path, tc.include, tc.exclude, got, err, tc.want, tc.err)
		}
	}
}
