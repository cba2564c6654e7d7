package jinja

import "testing"

// TestSerialFiltersAsPyYAML checks what the yaml and json filters get from
// sharing package output's emitters with Salt's outputters: PyYAML 6.0.3's
// safe_dump(allow_unicode=True) folding at 80 columns and writing
// multi-line strings single-quoted, yaml_dquote's escapes without
// allow_unicode, yaml_squote's doubled line breaks, and json.dumps'
// ensure_ascii escapes, pprint.pformat's folding at 80 columns (values
// from PyYAML and Python's json and pprint).
func TestSerialFiltersAsPyYAML(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"{{ {'k': 'line1\\nline2', 'u': 'é', 'long': 'word ' * 25}|yaml }}",
			"{k: 'line1\n\n    line2', long: 'word word word word word word word word word word word word word\n    word word word word word word word word word word word word ', u: é}"},
		{"{{ {'k': 'line1\\nline2', 'u': 'é'}|yaml(False) }}", "k: 'line1\n\n  line2'\nu: é"},
		{"{{ 'é\u2028x'|yaml_dquote }}", `"\xE9\Lx"`},
		{"{{ \"a\\nb it's\"|yaml_squote }}", "'a\n\nb it''s'"},
		{"{{ {'a': '\x7f\U0001F600'}|json }}", `{"a": "\u007f\ud83d\ude00"}`},
		{"{{ {'k': ['word ' * 10, 'x' * 30, {'b': 1, 'a': (1,)}]}|python }}",
			"{'k': ['word word word word word word word word word word ',\n       'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',\n       {'a': (1,), 'b': 1}]}"},
	} {
		got, err := render(t, tc.src, nil)
		if err != nil || got != tc.want {
			t.Errorf("%s = %q, %v; want %q", tc.src, got, err, tc.want)
		}
	}
	for _, src := range []string{"{{ {1: 'a', 'b': 2}|json }}", "{{ {'a': salt}|yaml }}"} {
		if got, err := render(t, src, nil); err == nil {
			t.Errorf("%s = %q, want an error", src, got)
		}
	}
}
