package saltyaml

import (
	"errors"
	"testing"
)

// TestMarkedParserErrors checks libyaml's flow and block collection
// errors in PyYAML's marked form (Salt's C loader: the messages and marks
// are libyaml's); the first case is the one a 3007.14 minion gave (errors
// tree golden).
func TestMarkedParserErrors(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"unclosed sequence at the end", "broken:\n  test.nop:\n    - name: [unclosed\n",
			"while parsing a flow sequence\n  in \"<unicode string>\", line 3, column 13\ndid not find expected ',' or ']'\n  in \"<unicode string>\", line 4, column 1"},
		{"no final newline", "a: [1, 2",
			"while parsing a flow sequence\n  in \"<unicode string>\", line 1, column 4\ndid not find expected ',' or ']'\n  in \"<unicode string>\", line 2, column 1"},
		{"unclosed mapping", "a: {b: 1\n",
			"while parsing a flow mapping\n  in \"<unicode string>\", line 1, column 4\ndid not find expected ',' or '}'\n  in \"<unicode string>\", line 2, column 1"},
		{"wrong closer", "a: [1, 2}\n",
			"while parsing a flow sequence\n  in \"<unicode string>\", line 1, column 4\ndid not find expected ',' or ']'\n  in \"<unicode string>\", line 1, column 9"},
		{"two scalars", "a: [1, 'x' y]\n",
			"while parsing a flow sequence\n  in \"<unicode string>\", line 1, column 4\ndid not find expected ',' or ']'\n  in \"<unicode string>\", line 1, column 12"},
		{"inner one", "a: [[1], {b: [2, 3}]\n",
			"while parsing a flow sequence\n  in \"<unicode string>\", line 1, column 14\ndid not find expected ',' or ']'\n  in \"<unicode string>\", line 1, column 19"},
		{"brackets in block scalars and comments", "a: x[1\nb: 'it''s [' # [ no\nc: [1\n",
			"while parsing a flow sequence\n  in \"<unicode string>\", line 3, column 4\ndid not find expected ',' or ']'\n  in \"<unicode string>\", line 4, column 1"},
		{"block sequence meets a key", "a:\n  - b\n  c: d\n",
			"while parsing a block collection\n  in \"<unicode string>\", line 2, column 3\ndid not find expected '-' indicator\n  in \"<unicode string>\", line 3, column 3"},
		{"key dedented into nothing", "a:\n  b: 1\n c: 2\n",
			"while parsing a block mapping\n  in \"<unicode string>\", line 1, column 1\ndid not find expected key\n  in \"<unicode string>\", line 3, column 2"},
		{"top sequence then a key", "- a\nb: 1\n",
			"while parsing a block collection\n  in \"<unicode string>\", line 1, column 1\ndid not find expected '-' indicator\n  in \"<unicode string>\", line 2, column 1"},
		{"top mapping then an entry", "a: 1\n- b\n",
			"while parsing a block mapping\n  in \"<unicode string>\", line 1, column 1\ndid not find expected key\n  in \"<unicode string>\", line 2, column 1"},
		{"deeper key after a scalar value", "a: &x 1\nb: *x\n  c: 2\n",
			"while parsing a block mapping\n  in \"<unicode string>\", line 1, column 1\ndid not find expected key\n  in \"<unicode string>\", line 3, column 3"},
		{"sls entry dedented", "top:\n  test.nop:\n    - name: x\n   - bad\n",
			"while parsing a block mapping\n  in \"<unicode string>\", line 2, column 3\ndid not find expected key\n  in \"<unicode string>\", line 4, column 4"},
		{"after an indentless sequence and a block scalar", "a:\n- b\n- c\nd: 1\ne:\n  f: |\n    text\n     more: x\n  g: 2\n h: 3\n",
			"while parsing a block mapping\n  in \"<unicode string>\", line 1, column 1\ndid not find expected key\n  in \"<unicode string>\", line 10, column 2"},
		{"quotes and comments on the way", "s:\n  cmd.run:\n    - name: \"echo: x\"\n    - unless: 'a # b'\n    - cwd: /tmp\n  - bad\n",
			"while parsing a block mapping\n  in \"<unicode string>\", line 2, column 3\ndid not find expected key\n  in \"<unicode string>\", line 6, column 3"},
		{"nested sequences", "- - a\n  - b\n - c\n",
			"while parsing a block collection\n  in \"<unicode string>\", line 1, column 1\ndid not find expected '-' indicator\n  in \"<unicode string>\", line 3, column 2"},
		{"other errors keep the problem alone", "a: 1\n b: 2\n", "mapping values are not allowed in this context"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load([]byte(tc.src))
			var ye *Error
			if !errors.As(err, &ye) {
				t.Fatalf("error %v (%T), want *Error", err, err)
			}
			if got := ye.Marked("<unicode string>"); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
