package data

import (
	"math/big"
	"reflect"
	"testing"
)

func TestMapOrderAndKeys(t *testing.T) {
	m := M("b", 1, 2, "two", "a", nil)
	m.Set("b", 3) // keeps its first position
	m.Set([]byte("c"), true)
	if got := m.Keys(); !reflect.DeepEqual(got, []any{"b", int64(2), "a", "c"}) {
		t.Fatalf("keys = %#v", got)
	}
	if v, _ := m.Get("b"); v != 3 {
		t.Fatalf("b = %v", v)
	}
	m.Delete(int64(2))
	if m.Len() != 3 || m.Has(2) {
		t.Fatalf("delete: %v", m.Keys())
	}
	if got := M(10, "x", 2, "y", -1, "z").SortedKeys(); !reflect.DeepEqual(got, []any{int64(-1), int64(2), int64(10)}) {
		t.Fatalf("numeric sort = %v", got)
	}
	if got := M("b", 1, 2, "x").SortedKeys(); !reflect.DeepEqual(got, []any{int64(2), "b"}) {
		t.Fatalf("mixed sort falls back to text order: %v", got)
	}
}

func TestNormalize(t *testing.T) {
	type st struct {
		Name  string `salt:"name"`
		Skip  int    `salt:"-"`
		Empty string `salt:"empty,omitempty"`
		N     uint8
	}
	tests := []struct {
		in   any
		want any
	}{
		{7, int64(7)}, {uint64(1 << 63), uint64(1 << 63)}, {float32(1.5), 1.5},
		{[]byte("text"), "text"}, {[]byte{0xff}, []byte{0xff}}, {[]string{"a"}, []any{"a"}},
		{big.NewInt(5), int64(5)},
	}
	for _, tc := range tests {
		if got := Normalize(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Normalize(%#v) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
	m, ok := Normalize(st{Name: "x", Skip: 1, N: 3}).(*Map)
	if !ok || !reflect.DeepEqual(m.Keys(), []any{"name", "N"}) {
		t.Fatalf("struct: %#v", m)
	}
	d := Deep(map[string]any{"b": []int{1}, "a": map[string]any{"x": 1}})
	dm := d.(*Map)
	if !reflect.DeepEqual(dm.Keys(), []any{"a", "b"}) {
		t.Fatalf("map[string]any keys are sorted: %v", dm.Keys())
	}
	if l, _ := dm.Get("b"); !reflect.DeepEqual(l, []any{int64(1)}) {
		t.Fatalf("deep list = %#v", l)
	}
}

func TestTraverse(t *testing.T) {
	v := M("a", M("b", []any{"x", M("c", 1)}), 5, "five")
	tests := []struct {
		key  string
		want any
		ok   bool
	}{
		{"a:b:0", "x", true}, {"a:b:c", 1, true}, {"a:b:9", nil, false}, {"a:z", nil, false}, {"5", "five", true},
	}
	for _, tc := range tests {
		got, ok := Traverse(v, tc.key, ":")
		if ok != tc.ok || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Traverse(%q) = %v %v", tc.key, got, ok)
		}
	}
}
