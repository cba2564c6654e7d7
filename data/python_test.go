package data

import (
	"math"
	"math/big"
	"testing"
)

// The expected values below are CPython 3.11's answers (str(), repr(), bool(),
// ==, sorted(), str(type())) for the same values written in Python.

func bigInt(s string) *big.Int {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic("bad big int " + s)
	}
	return n
}

func ordered(kv ...any) *Map {
	m := M(kv...)
	m.Ordered = true
	return m
}

func TestReprAndStr(t *testing.T) {
	for _, tc := range []struct {
		v         any
		repr, str string
	}{
		{nil, "None", "None"},
		{true, "True", "True"},
		{false, "False", "False"},
		{int64(0), "0", "0"},
		{int64(-3), "-3", "-3"},
		{int64(math.MaxInt64), "9223372036854775807", "9223372036854775807"},
		{int64(math.MinInt64), "-9223372036854775808", "-9223372036854775808"},
		{uint64(1 << 63), "9223372036854775808", "9223372036854775808"},
		{uint64(math.MaxUint64), "18446744073709551615", "18446744073709551615"},
		{bigInt("18446744073709551616"), "18446744073709551616", "18446744073709551616"},
		{bigInt("-1180591620717411303424"), "-1180591620717411303424", "-1180591620717411303424"},
		{bigInt("1000000000000000000000000000000"), "1000000000000000000000000000000", "1000000000000000000000000000000"},
		{7, "7", "7"},
		{uint8(200), "200", "200"},
		{1.0, "1.0", "1.0"},
		{0.0, "0.0", "0.0"},
		{math.Copysign(0, -1), "-0.0", "-0.0"},
		{0.1, "0.1", "0.1"},
		{-2.5, "-2.5", "-2.5"},
		{3.0, "3.0", "3.0"},
		{100.0, "100.0", "100.0"},
		{1e15, "1000000000000000.0", "1000000000000000.0"},
		{1e16, "1e+16", "1e+16"},
		{1e22, "1e+22", "1e+22"},
		{12345678901234567.0, "1.2345678901234568e+16", "1.2345678901234568e+16"},
		{9007199254740993.0, "9007199254740992.0", "9007199254740992.0"},
		{1e-4, "0.0001", "0.0001"},
		{1e-5, "1e-05", "1e-05"},
		{2.5e-5, "2.5e-05", "2.5e-05"},
		{1.0 / 3, "0.3333333333333333", "0.3333333333333333"},
		{2.0 / 3, "0.6666666666666666", "0.6666666666666666"},
		{1234567.5, "1234567.5", "1234567.5"},
		{123456789.123, "123456789.123", "123456789.123"},
		{1.5e300, "1.5e+300", "1.5e+300"},
		{5e-324, "5e-324", "5e-324"},
		{math.MaxFloat64, "1.7976931348623157e+308", "1.7976931348623157e+308"},
		{-1e-7, "-1e-07", "-1e-07"},
		{float32(0.1), "0.10000000149011612", "0.10000000149011612"},
		{math.Inf(1), "inf", "inf"},
		{math.Inf(-1), "-inf", "-inf"},
		{math.NaN(), "nan", "nan"},
		{"", "''", ""},
		{"plain", "'plain'", "plain"},
		{"it's", "\"it's\"", "it's"},
		{`a'b"c`, "'a\\'b\"c'", "a'b\"c"},
		{`say "hi"`, "'say \"hi\"'", "say \"hi\""},
		{"tab\there\n\r", "'tab\\there\\n\\r'", "tab\there\n\u000d"},
		{"\x00\x1b\x7f\u00a0é\u200b", "'\\x00\\x1b\\x7f\\xa0\u00e9\\u200b'", "\u0000\u001b\u007f\u00a0\u00e9\u200b"},
		{"\\", "'\\\\'", "\\"},
		{"日本語", "'\u65e5\u672c\u8a9e'", "\u65e5\u672c\u8a9e"},
		{"emoji \U0001F389", "'emoji \U0001f389'", "emoji \U0001f389"},
		{"\u0085\u2028\U000E0001", "'\\x85\\u2028\\U000e0001'", "\u0085\u2028\U000e0001"},
		{"\xff", "'\\udcff'", "\xff"},
		{[]byte(nil), "b''", "b''"},
		{[]byte("abc"), "b'abc'", "b'abc'"},
		{[]byte("a'\xff"), "b\"a'\\xff\"", "b\"a'\\xff\""},
		{[]byte(`x"y`), "b'x\"y'", "b'x\"y'"},
		{[]byte("'\"\x00\n\t\\"), "b'\\'\"\\x00\\n\\t\\\\'", "b'\\'\"\\x00\\n\\t\\\\'"},
		{[]any{}, "[]", "[]"},
		{[]any{int64(1), "a", nil, []any{2.0}}, "[1, 'a', None, [2.0]]", "[1, 'a', None, [2.0]]"},
		{[]string{"a", "b'"}, "['a', \"b'\"]", "['a', \"b'\"]"},
		{Tuple{}, "()", "()"},
		{Tuple{int64(1)}, "(1,)", "(1,)"},
		{Tuple{int64(1), "a", Tuple{}}, "(1, 'a', ())", "(1, 'a', ())"},
		{NewMap(), "{}", "{}"},
		{M(int64(1), "x", "k", []any{nil}), "{1: 'x', 'k': [None]}", "{1: 'x', 'k': [None]}"},
		{M("b", M("z", int64(1), "a", 2.0), "a", []any{true, 1e16}), "{'b': {'z': 1, 'a': 2.0}, 'a': [True, 1e+16]}", "{'b': {'z': 1, 'a': 2.0}, 'a': [True, 1e+16]}"},
		{M(nil, false, 1.5, "f", true, nil), "{None: False, 1.5: 'f', True: None}", "{None: False, 1.5: 'f', True: None}"},
		{ordered("b", int64(1), "a", nil), "OrderedDict([('b', 1), ('a', None)])", "OrderedDict([('b', 1), ('a', None)])"},
		{ordered(), "OrderedDict()", "OrderedDict()"},
		{M("o", ordered("k", []any{"v"})), "{'o': OrderedDict([('k', ['v'])])}", "{'o': OrderedDict([('k', ['v'])])}"},
		{map[string]any{"b": 1, "a": []int{2}}, "{'a': [2], 'b': 1}", "{'a': [2], 'b': 1}"},
		{struct{ A int }{1}, "{'A': 1}", "{'A': 1}"},
	} {
		if got := Repr(tc.v); got != tc.repr {
			t.Errorf("Repr(%#v) = %s, want %s", tc.v, got, tc.repr)
		}
		if got := Str(tc.v); got != tc.str {
			t.Errorf("Str(%#v) = %s, want %s", tc.v, got, tc.str)
		}
	}
}

func TestTruthy(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want bool
	}{
		{nil, false},
		{false, false},
		{true, true},
		{int64(0), false},
		{int64(-1), true},
		{uint64(0), false},
		{uint64(1 << 63), true},
		{bigInt("-18446744073709551616"), true},
		{0.0, false},
		{math.Copysign(0, -1), false},
		{0.5, true},
		{math.NaN(), true},
		{math.Inf(-1), true},
		{"", false},
		{"0", true},
		{"False", true},
		{[]byte{}, false},
		{[]byte{0}, true},
		{[]any{}, false},
		{[]any{nil}, true},
		{Tuple{}, false},
		{Tuple{false}, true},
		{NewMap(), false},
		{M("a", nil), true},
		{ordered(), false},
		{0, false},
		{[]string{}, false},
		{map[string]any{}, false},
		{struct{}{}, false},
	} {
		if got := Truthy(tc.v); got != tc.want {
			t.Errorf("Truthy(%#v) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

func TestEqual(t *testing.T) {
	for _, tc := range []struct {
		a, b any
		want bool
	}{
		{int64(1), 1.0, true},
		{int64(1), true, true},
		{int64(0), false, true},
		{2.0, true, false},
		{int64(1<<53 + 1), float64(1 << 53), false},
		{int64(1 << 53), float64(1 << 53), true},
		{bigInt("18446744073709551616"), float64(1 << 64), true},
		{uint64(1 << 63), float64(1 << 63), true},
		{uint64(math.MaxUint64), float64(math.MaxUint64), false},
		{int64(3), 3.5, false},
		{math.NaN(), math.NaN(), false},
		{math.Inf(1), math.Inf(1), true},
		{math.Inf(1), int64(math.MaxInt64), false},
		{0.30000000000000004, 0.3, false}, // 0.1 + 0.2 at run time,
		{math.Copysign(0, -1), int64(0), true},
		{"a", []byte("a"), false},
		{[]byte("a"), []byte("a"), true},
		{"1", int64(1), false},
		{nil, nil, true},
		{nil, false, false},
		{"", nil, false},
		{[]any{int64(1), int64(2)}, []any{1.0, int64(2)}, true},
		{[]any{int64(1)}, Tuple{int64(1)}, false},
		{Tuple{int64(1), "a"}, Tuple{1.0, "a"}, true},
		{[]any{int64(1)}, []any{int64(1), int64(2)}, false},
		{M("a", int64(1), "b", int64(2)), M("b", int64(2), "a", int64(1)), true},
		{ordered("a", int64(1), "b", int64(2)), ordered("b", int64(2), "a", int64(1)), false},
		{ordered("a", int64(1), "b", int64(2)), ordered("a", 1.0, "b", int64(2)), true},
		{ordered("a", int64(1), "b", int64(2)), M("b", int64(2), "a", int64(1)), true},
		{M(int64(1), "x"), M(1.0, "x"), true},
		{M(true, "x"), M(int64(1), "x"), true},
		{M(int64(1), "x"), M(int64(2), "x"), false},
		{M("a", []any{M("b", nil)}), M("a", []any{M("b", nil)}), true},
		{M("a", []any{M("b", nil)}), M("a", []any{M("b", false)}), false},
		{M("a", int64(1)), M("a", int64(1), "b", nil), false},
		{NewMap(), []any{}, false},
		{7, int64(7), true},
		{map[string]any{"a": 1}, M("a", 1.0), true},
	} {
		if got := Equal(tc.a, tc.b); got != tc.want {
			t.Errorf("Equal(%s, %s) = %v, want %v", Repr(tc.a), Repr(tc.b), got, tc.want)
		}
		if got := Equal(tc.b, tc.a); got != tc.want {
			t.Errorf("Equal(%s, %s) = %v, want %v", Repr(tc.b), Repr(tc.a), got, tc.want)
		}
	}
}

func TestSort(t *testing.T) {
	for _, tc := range []struct {
		in   []any
		want string // repr of sorted(in); "" when Python raises TypeError
		ok   bool
	}{
		{[]any{int64(3), 1.5, true, int64(-2)}, "[-2, True, 1.5, 3]", true},
		{[]any{"b", "a", "B", "é", "z"}, "['B', 'a', 'b', 'z', '\u00e9']", true},
		{[]any{int64(1), "a"}, "", false}, // '<' not supported between instances of 'str' and 'int'
		{[]any{nil}, "[None]", true},
		{[]any{nil, nil}, "", false}, // '<' not supported between instances of 'NoneType' and 'NoneType'
		{[]any{[]any{int64(1), int64(2)}, []any{int64(1)}, []any{int64(0), int64(5)}}, "[[0, 5], [1], [1, 2]]", true},
		{[]any{[]byte("b"), []byte("a")}, "[b'a', b'b']", true},
		{[]any{"a", []byte("a")}, "", false}, // '<' not supported between instances of 'bytes' and 'str'
		{[]any{bigInt("18446744073709551616"), uint64(1 << 63), float64(1 << 64), math.Inf(-1)}, "[-inf, 9223372036854775808, 18446744073709551616, 1.8446744073709552e+19]", true},
		{[]any{M(), M()}, "", false}, // '<' not supported between instances of 'dict' and 'dict'
		{[]any{}, "[]", true},
		{[]any{Tuple{int64(2)}, Tuple{int64(1), "x"}}, "[(1, 'x'), (2,)]", true},
		{[]any{Tuple{int64(1)}, []any{int64(1)}}, "", false}, // '<' not supported between instances of 'list' and 'tuple'
	} {
		got := append([]any(nil), tc.in...)
		ok := Sort(got)
		if ok != tc.ok {
			t.Errorf("Sort(%s) ok = %v, want %v", Repr(tc.in), ok, tc.ok)
			continue
		}
		if r := Repr(got); ok && r != tc.want {
			t.Errorf("Sort(%s) = %s, want %s", Repr(tc.in), r, tc.want)
		}
	}
}

func TestTypeStr(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{nil, "<class 'NoneType'>"},
		{true, "<class 'bool'>"},
		{int64(1), "<class 'int'>"},
		{bigInt("18446744073709551616"), "<class 'int'>"},
		{uint64(1 << 63), "<class 'int'>"},
		{1.0, "<class 'float'>"},
		{"x", "<class 'str'>"},
		{[]byte("x"), "<class 'bytes'>"},
		{[]any{}, "<class 'list'>"},
		{Tuple{}, "<class 'tuple'>"},
		{NewMap(), "<class 'dict'>"},
		{ordered(), "<class 'collections.OrderedDict'>"},
		{int16(1), "<class 'int'>"},
		{[]string{}, "<class 'list'>"},
	} {
		if got := TypeStr(tc.v); got != tc.want {
			t.Errorf("TypeStr(%#v) = %s, want %s", tc.v, got, tc.want)
		}
	}
}

func TestReprOutsideTheModel(t *testing.T) {
	if got := Repr(make(chan int)); got == "" || got == "None" {
		t.Errorf("Repr(chan) = %q, want fmt's %%v form", got)
	}
	if got := Str(errString("boom")); got != "boom" {
		t.Errorf("Str(error) = %q, want its text", got)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestSortedKeysFallsBackToStr(t *testing.T) {
	m := M("b", 1, nil, 2, true, 3, int64(2), 4)
	got := Repr(m.SortedKeys())
	if want := "[2, None, True, 'b']"; got != want {
		t.Errorf("SortedKeys = %s, want %s", got, want)
	}
	if got := Repr(M(2.5, 0, false, 0, int64(-1), 0).SortedKeys()); got != "[-1, False, 2.5]" {
		t.Errorf("numeric SortedKeys = %s", got)
	}
}

// TestReprTable is output's former repr table (its Repr moved here).
func TestReprTable(t *testing.T) {
	om := M("b", int64(1), "a", nil)
	om.Ordered = true
	for _, tc := range []struct {
		v    any
		want string
	}{
		{nil, "None"}, {true, "True"}, {false, "False"},
		{int64(-3), "-3"}, {uint64(1 << 63), "9223372036854775808"},
		{1.5, "1.5"}, {3.0, "3.0"}, {1e16, "1e+16"}, {1e15, "1000000000000000.0"},
		{1e-5, "1e-05"}, {0.0001, "0.0001"}, {math.Copysign(0, -1), "-0.0"}, {1.0 / 3, "0.3333333333333333"},
		{"it's", `"it's"`}, {`a'b"c`, `'a\'b"c'`}, {"tab\there\n", `'tab\there\n'`},
		{"\x00\x1b\x7f\u00a0é\u200b", `'\x00\x1b\x7f\xa0é\u200b'`}, {"\\", `'\\'`},
		{[]byte("a'\xff"), `b"a'\xff"`}, {[]any{}, "[]"}, {NewMap(), "{}"},
		{M(int64(1), "x", "k", []any{nil}), "{1: 'x', 'k': [None]}"},
		{om, "OrderedDict([('b', 1), ('a', None)])"},
		{int(7), "7"}, {[]string{"a"}, "['a']"}, {struct{ A int }{1}, "{'A': 1}"},
		{make(chan int), "<chan>"},
	} {
		got := Repr(tc.v)
		if tc.want == "<chan>" {
			if got == "" {
				t.Errorf("Repr(chan) empty")
			}
			continue
		}
		if got != tc.want {
			t.Errorf("Repr(%#v) = %s, want %s", tc.v, got, tc.want)
		}
	}
}
