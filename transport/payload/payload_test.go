package payload

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// P is the map of spec §9.1 (52 bytes once encoded).
func specP() *data.Map {
	return data.M("cmd", "_return", "id", "m1", "jid", "20240101000000000000", "return", true)
}

const specPHex = "84a3636d64a75f72657475726ea26964a26d31a36a6964b43230323430313031303030303030303030303030a672657475726ec3"

// TestSpecVectors checks every msgpack vector of spec §9.1, both ways.
func TestSpecVectors(t *testing.T) {
	tests := []struct {
		name string
		v    any
		hex  string
		back any // decoded form when it differs from v
	}{
		{"str40", strings.Repeat("a", 40), "da0028" + strings.Repeat("61", 40), nil},
		{"str300", strings.Repeat("b", 300), "da012c" + strings.Repeat("62", 300), nil},
		{"bytes", []byte{0xff, 0x00}, "a2ff00", nil},
		{"true", true, "c3", nil},
		{"none", nil, "c0", nil},
		{"300", 300, "cd012c", int64(300)},
		{"-1", -1, "ff", int64(-1)},
		{"1.5", 1.5, "cb3ff8000000000000", nil},
		{"list", []any{1, "a"}, "9201a161", []any{int64(1), "a"}},
		{"P", specP(), specPHex, nil},
		{"bad load", "bad load", "a8626164206c6f6164", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Encode(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(got) != tt.hex {
				t.Fatalf("Encode = %x, want %s", got, tt.hex)
			}
			dec, err := Decode(got)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.v
			if tt.back != nil {
				want = tt.back
			}
			if !Equal(dec, want) {
				t.Fatalf("Decode = %#v, want %#v", dec, want)
			}
		})
	}
	if b, _ := Encode(specP()); len(b) != 52 {
		t.Fatalf("P is %d bytes, want 52", len(b))
	}
}

func TestEncodeForms(t *testing.T) {
	tests := []struct {
		v   any
		hex string
	}{
		{0, "00"}, {127, "7f"}, {128, "cc80"}, {255, "ccff"}, {256, "cd0100"}, {65535, "cdffff"},
		{65536, "ce00010000"}, {int64(math.MaxUint32), "ceffffffff"}, {int64(math.MaxUint32) + 1, "cf0000000100000000"},
		{uint64(math.MaxUint64), "cfffffffffffffffff"},
		{-32, "e0"}, {-33, "d0df"}, {-128, "d080"}, {-129, "d1ff7f"}, {-32768, "d18000"},
		{-32769, "d2ffff7fff"}, {int64(math.MinInt32) - 1, "d3ffffffff7fffffff"},
		{int8(-5), "fb"}, {uint16(300), "cd012c"}, {float32(1.5), "cb3ff8000000000000"},
		{false, "c2"}, {"", "a0"}, {[]byte{}, "a0"}, {strings.Repeat("x", 31), "bf" + strings.Repeat("78", 31)},
		{[]string{"a"}, "91a161"}, {map[string]any{"b": 1, "a": 2}, "82a16102a16201"},
		{data.M(1, "x", "k", nil), "8201a178a16bc0"},
		{Ext{Type: 5, Data: []byte{1, 2, 3}}, "c7030501020" + "3"},
		{Ext{Type: -1, Data: []byte{1, 2, 3, 4}}, "d6ff01020304"},
		{struct {
			A int    `salt:"a"`
			B string `salt:"b,omitempty"`
		}{A: 1}, "81a16101"},
	}
	for _, tt := range tests {
		got, err := Encode(tt.v)
		if err != nil {
			t.Fatalf("Encode(%#v): %v", tt.v, err)
		}
		if hex.EncodeToString(got) != tt.hex {
			t.Errorf("Encode(%#v) = %x, want %s", tt.v, got, tt.hex)
		}
	}
	// Large containers and strings use the 16/32-bit forms (never str8).
	big := make([]any, 70000)
	for i := range big {
		big[i] = nil
	}
	b, _ := Encode(big)
	if !bytes.HasPrefix(b, []byte{0xdd, 0, 1, 0x11, 0x70}) {
		t.Errorf("array32 prefix %x", b[:5])
	}
	b, _ = Encode(strings.Repeat("z", 70000))
	if !bytes.HasPrefix(b, []byte{0xdb, 0, 1, 0x11, 0x70}) {
		t.Errorf("str32 prefix %x", b[:5])
	}
	m := data.NewMap()
	for i := 0; i < 20; i++ {
		m.Set(i, i)
	}
	b, _ = Encode(m)
	if !bytes.HasPrefix(b, []byte{0xde, 0, 20}) {
		t.Errorf("map16 prefix %x", b[:3])
	}
}

func TestEncodeErrors(t *testing.T) {
	for _, v := range []any{func() {}, make(chan int), complex(1, 2)} {
		if _, err := Encode(v); err == nil {
			t.Errorf("Encode(%T) succeeded", v)
		}
	}
	// A map that contains itself must fail, not recurse forever.
	m := data.NewMap()
	m.Set("self", m)
	if _, err := Encode(m); !errors.Is(err, ErrTooDeep) {
		t.Errorf("self-referencing map: %v", err)
	}
}

func TestDecodeForms(t *testing.T) {
	tests := []struct {
		hex  string
		want any
	}{
		{"d903616263", "abc"},           // str8
		{"c403616263", "abc"},           // bin8
		{"c50002ff00", []byte{0xff, 0}}, // bin16
		{"c600000001ff", []byte{0xff}},  // bin32
		{"db00000001ff", []byte{0xff}},  // str32
		{"ca3fc00000", 1.5},             // float32
		{"d0ff", int64(-1)}, {"d1fffe", int64(-2)}, {"d2fffffffd", int64(-3)},
		{"d3fffffffffffffffc", int64(-4)},
		{"cf8000000000000000", uint64(1 << 63)}, // above MaxInt64
		{"cf7fffffffffffffff", int64(math.MaxInt64)},
		{"dc0001c0", []any{nil}}, {"dd00000001c3", []any{true}},
		{"de0001a16101", data.M("a", int64(1))}, {"df00000001a16101", data.M("a", int64(1))},
		{"8201a178ff02", data.M(int64(1), "x", int64(-1), int64(2))}, // int keys
		{"81c401ffc0", data.M(string([]byte{0xff}), nil)},            // bytes key
		{"c7184e" + hex.EncodeToString([]byte("20240101T10:11:12.000013")), "20240101T10:11:12.000013"},
		{"d4050a", Ext{Type: 5, Data: []byte{10}}},
		{"d54f0102", Ext{Type: 79, Data: []byte{1, 2}}},
		{"c800010503", Ext{Type: 5, Data: []byte{3}}},
		{"c9000000010503", Ext{Type: 5, Data: []byte{3}}},
		{"d7ff0000000000000000", Ext{Type: -1, Data: make([]byte, 8)}},
		{"d805" + strings.Repeat("00", 16), Ext{Type: 5, Data: make([]byte, 16)}},
		{"a668c3a96c6c6f", "h\u00e9llo"},
	}
	for _, tt := range tests {
		got, err := Decode(unhex(t, tt.hex))
		if err != nil {
			t.Errorf("Decode(%s): %v", tt.hex, err)
			continue
		}
		if !Equal(got, tt.want) {
			t.Errorf("Decode(%s) = %#v, want %#v", tt.hex, got, tt.want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		hex  string
		want error
	}{
		{"", ErrTruncated},
		{"c1", ErrInvalid},
		{"c0c0", ErrTrailing},
		{"da00", ErrTruncated},
		{"da0005616263", ErrTruncated},
		{"dbffffffff61", ErrTruncated},
		{"ddffffffff", ErrTruncated},     // huge array, no data: no huge allocation
		{"dfffffffffc0c0", ErrTruncated}, // huge map
		{"92c0", ErrTruncated},
		{"81c0", ErrTruncated},
		{"8191c0c0", ErrInvalid}, // array as map key
		{"8180c0", ErrInvalid},   // map as map key
		{"81d40500c0", ErrInvalid},
		{"cb3ff8", ErrTruncated},
		{"c9ffffffff05", ErrTruncated},
		{"d4", ErrTruncated},
		{"cd01", ErrTruncated},
		{strings.Repeat("91", MaxDepth+1) + "c0", ErrTooDeep},
		{strings.Repeat("81c0", MaxDepth+1) + "c0", ErrTooDeep},
	}
	for _, tt := range tests {
		_, err := Decode(unhex(t, tt.hex))
		if !errors.Is(err, tt.want) {
			t.Errorf("Decode(%.40s): %v, want %v", tt.hex, err, tt.want)
			continue
		}
		var de *DecodeError
		if !errors.As(err, &de) || !strings.Contains(err.Error(), "offset") {
			t.Errorf("Decode(%.40s): error %q lacks offset", tt.hex, err)
		}
	}
	// Exactly MaxDepth levels is fine.
	if _, err := Decode(unhex(t, strings.Repeat("91", MaxDepth)+"c0")); err != nil {
		t.Errorf("depth MaxDepth: %v", err)
	}
}

func TestRoundTripOrder(t *testing.T) {
	m := data.M("z", 1, "a", []any{1.25, nil, []byte{0xfe}}, "m", data.M("k", "v"))
	b, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	v, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	got := v.(*data.Map).Keys()
	if !reflect.DeepEqual(got, []any{"z", "a", "m"}) {
		t.Fatalf("keys %v", got)
	}
	b2, _ := Encode(v)
	if !bytes.Equal(b, b2) {
		t.Fatalf("re-encode differs:\n%x\n%x", b, b2)
	}
}

func TestFields(t *testing.T) {
	m := data.M("b", []byte{0xff}, "s", "txt", "i", int64(4505), "p", "4505", "m", data.M(), "n", nil)
	if b, err := GetBytes(m, "b"); err != nil || !bytes.Equal(b, []byte{0xff}) {
		t.Errorf("GetBytes b: %v %v", b, err)
	}
	if b, err := GetBytes(m, "s"); err != nil || string(b) != "txt" {
		t.Errorf("GetBytes s: %v %v", b, err)
	}
	if _, err := GetBytes(m, "i"); err == nil || !strings.Contains(err.Error(), `"i"`) {
		t.Errorf("GetBytes i: %v", err)
	}
	if _, err := GetBytes(m, "x"); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("GetBytes x: %v", err)
	}
	if s, err := GetString(m, "s"); err != nil || s != "txt" {
		t.Errorf("GetString: %v %v", s, err)
	}
	for _, k := range []string{"i", "p"} {
		if i, err := GetInt(m, k); err != nil || i != 4505 {
			t.Errorf("GetInt %s: %v %v", k, i, err)
		}
	}
	if _, err := GetInt(m, "s"); err == nil {
		t.Error("GetInt s succeeded")
	}
	if _, err := GetMap(m, "m"); err != nil {
		t.Error(err)
	}
	if _, err := GetMap(m, "n"); err == nil {
		t.Error("GetMap n succeeded")
	}
	if _, err := AsMap("bad load"); err == nil || !strings.Contains(err.Error(), `"bad load"`) {
		t.Errorf("AsMap: %v", err)
	}
	if _, err := AsMap(m); err != nil {
		t.Error(err)
	}
}
