package host

import (
	"context"
	"errors"
	"math/big"
	"reflect"
	"testing"

	"github.com/saltgo/saltgo/data"
)

func TestYamlifyArg(t *testing.T) {
	big23, _ := new(big.Int).SetString("12345678901234567890123", 10)
	tests := []struct {
		in   string
		want any
	}{
		{"1", int64(1)}, {"two", "two"}, {"3.5", 3.5}, {"yes", true}, {"off", false},
		{"null", nil}, {"None", nil}, {"~", nil}, {"0x10", int64(16)}, {"010", int64(10)},
		{"1e3", "1e3"}, {"1.0e+3", 1000.0}, {"1:30", int64(90)}, {"0b101", int64(5)},
		{"1_000", "1_000"}, {"", ""}, {"---", "---"}, {"#c", "#c"}, {"x #c", "x #c"},
		{"|", "|"}, {"!", "!"}, {"a: b", "a: b"}, {"- a", "- a"}, {"2014-01-01", "2014-01-01"},
		{"y", "y"}, {"tab\there", "tab\there"}, {"!!str 1", "1"}, {"!!python/tuple [1, 2]", "!!python/tuple [1, 2]"},
		{"12345678901234567890123", big23}, {"[1, 2", "[1, 2"}, {`"quoted"`, "quoted"},
	}
	for _, tc := range tests {
		got := YamlifyArg(tc.in)
		if g, ok := got.(*big.Int); ok {
			if w, ok := tc.want.(*big.Int); !ok || g.Cmp(w) != 0 {
				t.Errorf("YamlifyArg(%q) = %v, want %v", tc.in, got, tc.want)
			}
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("YamlifyArg(%q) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
}

func TestParseKwarg(t *testing.T) {
	tests := []struct {
		in        string
		name, val string
		ok        bool
	}{
		{"a=1", "a", "1", true}, {"kw4=a=b", "kw4", "a=b", true}, {"key=", "key", "", true},
		{"=x", "", "", false}, {"a==b", "", "", false}, {"1x=2", "", "", false}, {"a.b=1", "a.b", "1", true},
		{"é=1", "é", "1", true}, {"a =b", "", "", false}, {"multi=l1\nl2", "", "", false},
	}
	for _, tc := range tests {
		n, v, ok := ParseKwarg(tc.in)
		if ok != tc.ok || n != tc.name || v != tc.val {
			t.Errorf("ParseKwarg(%q) = %q %q %v", tc.in, n, v, ok)
		}
	}
}

func TestParseInputJIDStaysString(t *testing.T) {
	args := ParseInput([]string{"20140101000000000000", "k=v"}, nil)
	if args[0] != "20140101000000000000" {
		t.Fatalf("jid-like int must stay a string, got %#v", args[0])
	}
	m, ok := args[1].(*data.Map)
	if !ok || m.Len() != 2 {
		t.Fatalf("want a __kwarg__ map, got %#v", args[1])
	}
}

func TestBindErrors(t *testing.T) {
	two := &Func{Name: "two", Params: []Param{Req("a"), Req("b")}, Fn: func(context.Context, *Call) (any, error) { return nil, nil }}
	opt := &Func{Name: "opt", Params: []Param{Req("a"), Opt("b", 1)}, Fn: two.Fn}
	none := &Func{Name: "none", PyName: "none_", Fn: two.Fn}
	tests := []struct {
		f    *Func
		pos  []any
		kw   *data.Map
		want string
	}{
		{two, []any{1}, nil, "two() missing 1 required positional argument: 'b'"},
		{two, nil, nil, "two() missing 2 required positional arguments: 'a' and 'b'"},
		{two, []any{1, 2, 3}, nil, "two() takes 2 positional arguments but 3 were given"},
		{opt, []any{1, 2, 3}, nil, "opt() takes from 1 to 2 positional arguments but 3 were given"},
		{none, []any{1}, nil, "none_() takes 0 positional arguments but 1 was given"},
		{two, []any{1}, data.M("a", 2), "two() got multiple values for argument 'a'"},
		{two, []any{1, 2}, data.M("c", 2), "two() got an unexpected keyword argument 'c'"},
	}
	for _, tc := range tests {
		kw := tc.kw
		if kw == nil {
			kw = data.NewMap()
		}
		_, err := Bind(tc.f, tc.pos, kw)
		var inv *InvocationError
		if !errors.As(err, &inv) || inv.Msg != tc.want {
			t.Errorf("Bind(%s, %v) = %v, want %q", tc.f.Name, tc.pos, err, tc.want)
		}
	}
	c, err := Bind(opt, []any{"x"}, data.NewMap())
	if err != nil || c.Get("b") != 1 || c.Given("b") {
		t.Fatalf("default not applied: %v %v", c, err)
	}
}

func TestExecuteMinionTexts(t *testing.T) {
	Register(&Module{Kind: Exec, Name: "hosttest", Funcs: []*Func{
		{Name: "boom", Fn: func(context.Context, *Call) (any, error) { panic("kaboom") }},
		{Name: "cee", Fn: func(context.Context, *Call) (any, error) { return nil, Errorf("failed") }},
		{Name: "res", Fn: func(context.Context, *Call) (any, error) { return data.M("result", false), nil }},
	}})
	defer Unregister(Exec, "hosttest")
	ctx := context.Background()
	r := Execute(ctx, nil, Exec, "hosttest.boom", nil, nil)
	var pe *PanicError
	if !errors.As(r.Err, &pe) || r.Retcode != 1 || r.Success {
		t.Fatalf("panic not reported: %+v", r)
	}
	if r := Execute(ctx, nil, Exec, "hosttest.cee", nil, nil); r.Return != "ERROR: failed" || r.Retcode != 1 || r.Out != "nested" {
		t.Fatalf("cee: %+v", r)
	}
	if r := Execute(ctx, nil, Exec, "hosttest.res", nil, nil); r.Retcode != 1 || r.Success {
		t.Fatalf("result False must fail: %+v", r)
	}
	if r := Execute(ctx, nil, Exec, "nosuch.fun", nil, nil); r.Return != "'nosuch.fun' is not available." {
		t.Fatalf("missing: %+v", r)
	}
	if r := Execute(ctx, nil, Exec, "hosttest.cee", []any{data.M("__kwarg__", true, "x", 1)}, nil); r.Return != "ERROR executing 'hosttest.cee': The following keyword arguments are not valid: x=1" {
		t.Fatalf("invalid kwarg: %+v", r)
	}
}

func TestRegisterPanicsOnDuplicate(t *testing.T) {
	m := &Module{Kind: Exec, Name: "duptest", Funcs: []*Func{{Name: "a", Fn: func(context.Context, *Call) (any, error) { return nil, nil }}}}
	Register(m)
	defer Unregister(Exec, "duptest")
	defer func() {
		if recover() == nil {
			t.Fatal("duplicate registration must panic")
		}
	}()
	Register(m)
}

func TestCallDecode(t *testing.T) {
	f := &Func{Name: "f", Params: []Param{Req("name"), Opt("port", 22), Opt("tags", nil)}, Fn: func(context.Context, *Call) (any, error) { return nil, nil }}
	c, err := Bind(f, []any{"web"}, data.M("port", "2222", "tags", []any{"a", "b"}))
	if err != nil {
		t.Fatal(err)
	}
	var dst struct {
		Name string   `salt:"name"`
		Port int      `salt:"port"`
		Tags []string `salt:"tags"`
	}
	if err := c.Decode(&dst); err != nil || dst.Name != "web" || dst.Port != 2222 || len(dst.Tags) != 2 {
		t.Fatalf("decode: %+v %v", dst, err)
	}
	c, _ = Bind(f, []any{"web"}, data.M("port", "not a number"))
	var inv *InvocationError
	if err := c.Decode(&dst); !errors.As(err, &inv) {
		t.Fatalf("bad port must be an InvocationError, got %v", err)
	}
}
