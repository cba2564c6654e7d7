package mccloudlxc

import (
	"testing"

	"github.com/saltgo/saltgo/data"
)

func TestResultMerge(t *testing.T) {
	tests := []struct {
		name string
		prep func(a, b *Result)
		want string
	}{
		// comment and trace lose their blank lines (salt_output's clean-up);
		// output keeps merge_results' newline.
		{"fresh", func(a, b *Result) {}, "{'comment': '', 'changes': {}, 'output': '\\n', 'trace': '', 'result': True}"},
		{"false propagates, texts appended, changes deep-merged", func(a, b *Result) {
			a.Comment("a\n")
			a.SetChange("cn1", data.M("x", int64(1), "l", []any{int64(1)}))
			b.Fail()
			b.Comment("b\n")
			b.Trace("boom\n")
			b.SetChange("cn1", data.M("y", int64(2), "l", []any{int64(2)}))
		}, "{'comment': 'a\\nb\\n', 'changes': {'cn1': {'x': 1, 'l': [2], 'y': 2}}, 'output': '\\n', 'trace': 'boom\\n', 'result': False}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := NewResult(), NewResult()
			tc.prep(a, b)
			a.Merge(b)
			a.Merge(a) // merging into itself is a no-op
			if got := data.Str(a.Map()); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestDropBlankLines(t *testing.T) {
	for in, want := range map[string]string{"": "", "\n\n": "", "a\n\n  \nb\n": "a\nb\n", "a\n\nb": "a\nb"} {
		if got := dropBlankLines(in); got != want {
			t.Errorf("%q -> %q, want %q", in, got, want)
		}
	}
}

func TestParseStepReturn(t *testing.T) {
	tests := []struct {
		ret     any
		rc      int
		ok      bool
		wantErr bool
	}{
		{data.M("result", true, "comment", "c", "changes", data.NewMap()), 0, true, false},
		{data.M("result", false, "comment", "c"), 1, false, false},
		{"'x.y' is not available.", 1, false, true},
		{"The minion function caused an exception: Traceback...", 1, false, true},
		{"ERROR: nope", 1, false, false},
		{[]any{data.M("name", "a", "result", true, "changes", data.M("k", 1)), data.M("name", "b", "result", false)}, 0, false, false},
		{true, 0, true, false},
		{nil, 0, true, false},
	}
	for i, tc := range tests {
		sr, err := parseStepReturn("cn1", "x.y", tc.ret, tc.rc)
		if (err != nil) != tc.wantErr {
			t.Errorf("%d: err %v", i, err)
			continue
		}
		if err == nil && sr.OK != tc.ok {
			t.Errorf("%d: ok %v, want %v", i, sr.OK, tc.ok)
		}
	}
}
