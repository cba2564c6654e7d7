package data

import (
	"fmt"
	"testing"
)

func TestPlain(t *testing.T) {
	in := M("a", []any{M(true, 1), "x"}, 2, M("b", nil))
	if got := fmt.Sprint(Plain(in, nil)); got != "map[2:map[b:<nil>] a:[map[true:1] x]]" {
		t.Fatalf("Plain(nil key) = %s", got)
	}
	if got := fmt.Sprint(Plain(in, Str)); got != "map[2:map[b:<nil>] a:[map[True:1] x]]" {
		t.Fatalf("Plain(Str) = %s", got)
	}
	if got := Plain("s", nil); got != "s" {
		t.Fatalf("Plain(scalar) = %v", got)
	}
}

func TestMapTreeCopiesLists(t *testing.T) {
	in := []any{1, []any{2}}
	out := MapTree(in, func(m *Map, rec func(any) any) any { return m }).([]any)
	out[1].([]any)[0] = 3
	if in[1].([]any)[0] != 2 {
		t.Fatal("MapTree shared a nested list with its input")
	}
}
