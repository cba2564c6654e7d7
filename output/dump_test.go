package output

import (
	"testing"

	"github.com/saltgo/saltgo/data"
)

// TestDumpJSON checks json.dumps' options (values from Python 3's json).
func TestDumpJSON(t *testing.T) {
	for _, tc := range []struct {
		v    any
		o    JSONOptions
		want string
	}{
		{data.M("b", "é\x7f😀", "a", data.Tuple{1.5, nil}), JSONOptions{Indent: -1}, `{"b": "é` + "\x7f" + `😀", "a": [1.5, null]}`},
		{data.M("b", "é\x7f😀", "a", data.Tuple{1.5, nil}), JSONOptions{Indent: -1, SortKeys: true, EnsureASCII: true}, `{"a": [1.5, null], "b": "\u00e9\u007f\ud83d\ude00"}`},
		{data.M("a", []any{}), JSONOptions{Indent: 0}, "{\n\"a\": []\n}"},
	} {
		got, err := DumpJSON(tc.v, tc.o)
		if err != nil || got != tc.want {
			t.Errorf("DumpJSON(%v, %+v) = %q, %v; want %q", tc.v, tc.o, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		v    any
		o    JSONOptions
		want string
	}{
		{data.M(int64(1), "a", "b", 2), JSONOptions{Indent: -1, SortKeys: true}, "'<' not supported between instances of 'str' and 'int'"},
		{[]any{struct{}{}}, JSONOptions{Indent: -1}, "Object of type struct {} is not JSON serializable"},
	} {
		if _, err := DumpJSON(tc.v, tc.o); err == nil || err.Error() != tc.want {
			t.Errorf("DumpJSON(%v) error %v, want %q", tc.v, err, tc.want)
		}
	}
}

// TestYAMLQuoting checks salt.utils.yamlencoding's yaml_dquote, yaml_squote
// and yaml_encode (values from PyYAML 6.0.3).
func TestYAMLQuoting(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{YAMLDoubleQuote("é\u2028x\"y"), `"\xE9\Lx\"y"`},
		{YAMLSingleQuote("a\nb it's"), "'a\n\nb it''s'"},
		{must(YAMLEncode("x y")), `"x y"`},
		{must(YAMLEncode(1e16)), "1.0e+16"},
		{must(YAMLEncode(nil)), "null"},
		{must(YAMLEncode([]byte{0xff})), "/w==\n"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	if _, err := YAMLEncode([]any{1}); err == nil {
		t.Error("YAMLEncode of a list: no error")
	}
}

func must(s string, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	return s
}
