package host

import (
	"strings"
	"testing"
)

// FuzzParseInput feeds arbitrary command-line words to Salt's argument
// typing (YAML scalars, k=v keyword words, jid-looking integers): a list of
// values, never a panic.
func FuzzParseInput(f *testing.F) {
	for _, s := range []string{
		"1 two kw=3", "test.arg [1,2] {a: b} x=y=z", "20261203103041123456", "name=web1 pkgs=[a,b]",
		"'quoted' \"double\"", "=value", "a= b=", "{a: [1, {b: c}]}", "0x1f 1e3 .inf ~ null True no",
		"!!binary aGVsbG8=", "k=&a [*a]",
	} {
		f.Add(s, "x")
	}
	f.Fuzz(func(t *testing.T, line, noParse string) {
		words := strings.Fields(line)
		args := ParseInput(words, []string{noParse})
		if len(args) > len(words)+1 {
			t.Fatalf("%d words gave %d arguments", len(words), len(args))
		}
		_ = ParseInput([]string{line}, nil)
	})
}
