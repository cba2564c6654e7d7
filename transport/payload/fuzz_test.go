package payload

import (
	"encoding/hex"
	"testing"
)

// FuzzDecode checks that Decode never panics and that whatever it accepts
// survives an Encode/Decode round trip unchanged.
func FuzzDecode(f *testing.F) {
	for _, h := range []string{
		specPHex, "c0", "9201a161", "da0028" + "6161616161616161616161616161616161616161616161616161616161616161616161616161616161",
		"8201a178ff02", "c7184e3230323430313031543130", "cf8000000000000000", "ca3fc00000", "dc0001c0", "de0001a16101",
		"c50002ff00", "d4050a", "81cb7ff8000000000001c0",
	} {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := Decode(b)
		if err != nil {
			return
		}
		enc, err := Encode(v)
		if err != nil {
			t.Fatalf("Encode of a decoded value: %v", err)
		}
		v2, err := Decode(enc)
		if err != nil {
			t.Fatalf("Decode of re-encoded value: %v", err)
		}
		if !Equal(v, v2) {
			t.Fatalf("round trip changed the value: %#v -> %#v", v, v2)
		}
	})
}
