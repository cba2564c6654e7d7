package mastertest

import (
	"fmt"
	"testing"

	"github.com/saltgo/saltgo/data"
)

func TestExec(t *testing.T) {
	kw := data.M("__kwarg__", true, "x", int64(1))
	for _, tc := range []struct {
		fun  string
		args []any
		want string
		rc   int
		out  string
	}{
		{"test.ping", nil, "true", 0, ""},
		{"test.arg", nil, "{args: [], kwargs: {}}", 0, ""},
		{"test.arg", []any{"a", kw, int64(2)}, "{args: [a 2], kwargs: {x: 1}}", 0, ""},
		{"test.echo", []any{"hi", "there"}, "hi", 0, ""},
		{"test.echo", nil, "", 0, ""},
		{"nope.fun", []any{"a"}, "'nope.fun' is not available.", 1, "nested"},
	} {
		ret, rc, out := Exec(tc.fun, tc.args)
		got := fmt.Sprint(ret)
		if m, ok := ret.(*data.Map); ok {
			got = show(m)
		}
		if got != tc.want || rc != tc.rc || out != tc.out {
			t.Errorf("%s %v: %s %d %q, want %s %d %q", tc.fun, tc.args, got, rc, out, tc.want, tc.rc, tc.out)
		}
	}
}

func show(m *data.Map) string {
	s := "{"
	m.Range(func(k, v any) bool {
		if len(s) > 1 {
			s += ", "
		}
		if mm, ok := v.(*data.Map); ok {
			s += fmt.Sprintf("%v: %s", k, show(mm))
		} else {
			s += fmt.Sprintf("%v: %v", k, v)
		}
		return true
	})
	return s + "}"
}

func TestSyncBuffer(t *testing.T) {
	var b SyncBuffer
	fmt.Fprint(&b, "ab ab")
	if b.String() != "ab ab" || b.Count("ab") != 2 {
		t.Errorf("%q %d", b.String(), b.Count("ab"))
	}
	b.Reset()
	if b.String() != "" {
		t.Errorf("after Reset: %q", b.String())
	}
}
