package pylit

import (
	"math"
	"testing"

	"github.com/saltgo/saltgo/data"
)

func TestParse(t *testing.T) {
	v, err := Parse(`{10: 'ten', 'b': [None, True, 1.5, 2.0, -1, 9223372036854775808, "it's", b'\xff', (1,)], 'o': OrderedDict([('z', 1e+20)])}`)
	if err != nil {
		t.Fatal(err)
	}
	m := v.(*data.Map)
	if s, _ := m.Get(int64(10)); s != "ten" {
		t.Fatalf("int key: %v", s)
	}
	l, _ := m.Get("b")
	list := l.([]any)
	if list[0] != nil || list[1] != true || list[2] != 1.5 || list[3] != 2.0 || list[4] != int64(-1) ||
		list[5] != uint64(1<<63) || list[6] != "it's" || string(list[7].([]byte)) != "\xff" {
		t.Fatalf("list: %#v", list)
	}
	o, _ := m.Get("o")
	om := o.(*data.Map)
	if !om.Ordered {
		t.Fatal("OrderedDict not ordered")
	}
	if z, _ := om.Get("z"); z != 1e20 {
		t.Fatalf("z = %v", z)
	}
	if v, _ := Parse("-inf"); v != math.Inf(-1) {
		t.Fatalf("-inf = %v", v)
	}
	for _, bad := range []string{"", "[1,", "{1 2}", "'abc", "@", "1 2", "OrderedDict([1])"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}
