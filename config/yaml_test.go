package config

import (
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
)

func TestUnmarshalYAMLScalars(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{"yes", true}, {"No", false}, {"on", true}, {"OFF", false}, {"True", true}, {"y", "y"},
		{"~", nil}, {"null", nil}, {"", nil},
		{"42", int64(42)}, {"-7", int64(-7)}, {"010", int64(10)}, {"-010", int64(-8)}, {"0x1F", int64(31)},
		{"0b101", int64(5)}, {"1_000", int64(1000)}, {"1:20", int64(80)},
		{"1.5", 1.5}, {"1e3", "1e3"}, {"1.0e+3", 1000.0}, {".5", 0.5},
		{"2024-01-01", "2024-01-01"}, {"'yes'", "yes"}, {`"010"`, "010"}, {"!!str 12", "12"},
		{"!!int '7'", int64(7)}, {"18446744073709551615", new(big.Int).SetUint64(math.MaxUint64)},
	}
	for _, tc := range tests {
		got, err := UnmarshalYAML([]byte("v: "+tc.in+"\n"), "t")
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		v, _ := got.(*data.Map).Get("v")
		if !data.Equal(v, tc.want) || (v != nil && tc.want != nil && typeName(v) != typeName(tc.want)) {
			t.Errorf("%q = %#v, want %#v", tc.in, v, tc.want)
		}
	}
}

func typeName(v any) string { return strings.Split(data.TypeStr(v), "'")[1] }

func TestUnmarshalYAMLStructure(t *testing.T) {
	src := "base: &b {a: 1, b: [x, y]}\nderived:\n  <<: *b\n  a: 2\n1: int-key\n"
	v, err := UnmarshalYAML([]byte(src), "t")
	if err != nil {
		t.Fatal(err)
	}
	m := v.(*data.Map)
	d, _ := m.Get("derived")
	if a, _ := d.(*data.Map).Get("a"); a != int64(2) {
		t.Errorf("merge: a = %v", a)
	}
	if b, _ := d.(*data.Map).Get("b"); !data.Equal(b, []any{"x", "y"}) {
		t.Errorf("merge: b = %v", b)
	}
	if s, _ := m.Get(int64(1)); s != "int-key" {
		t.Errorf("int key: %v", s)
	}
	if d.(*data.Map).Keys()[0] != "b" && d.(*data.Map).Keys()[0] != "a" {
		t.Errorf("keys %v", d.(*data.Map).Keys())
	}
}

func TestUnmarshalYAMLErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a: 1\na: 2\n", "t:2: "},
		{"a: [1\n", "t:"},
		{"a: !!python/object:os.system x\n", "could not determine a constructor"},
		{"a: 1\n---\nb: 2\n", "expected a single document"},
		{"? [1, 2]\n: x\n", "unacceptable key"},
	}
	for _, tc := range tests {
		_, err := UnmarshalYAML([]byte(tc.in), "t")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.in, err, tc.want)
		}
	}
	if v, err := UnmarshalYAML(nil, "t"); v != nil || err != nil {
		t.Errorf("empty = %v, %v", v, err)
	}
}

func TestYAMLBillionLaughs(t *testing.T) {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	if _, err := UnmarshalYAML([]byte(b.String()), "t"); err == nil {
		t.Error("expected a size error")
	}
}
