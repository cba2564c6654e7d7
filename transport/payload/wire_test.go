package payload

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/saltgo/saltgo/transport/wiretest"
)

// TestRecordedConversations decodes every msgpack document recorded from real
// Salt 3007.14 and 3006.11 masters and minions (envelopes and decrypted
// plaintexts), compares the result with the recording's JSON view, and
// re-encodes it: the bytes must equal what Salt sent, which proves the
// encoder matches salt.payload.dumps byte for byte on real traffic.
func TestRecordedConversations(t *testing.T) {
	docs := 0
	for _, rel := range wiretest.Releases {
		for _, file := range wiretest.Files {
			c := wiretest.Load(t, rel, file)
			for _, m := range c.Messages {
				env := checkDoc(t, c.Name(), m.Index, "envelope", m.Body(t), m.Field("envelope"))
				docs++
				if view := m.Field("signed_load"); view != nil { // signed auth reply blob
					checkDoc(t, c.Name(), m.Index, "signed load", field(t, env, "load"), view)
					docs++
				}
				pt := m.PlaintextHex()
				if pt == nil {
					continue
				}
				if !bytes.HasPrefix(pt, []byte("pickle::")) {
					t.Fatalf("%s #%d: plaintext without pickle:: prefix", c.Name(), m.Index)
				}
				pt = pt[len("pickle::"):]
				if m.Field("plaintext", "nonce") != nil {
					pt = pt[32:]
				}
				load := checkDoc(t, c.Name(), m.Index, "plaintext", pt, m.Field("plaintext", "load"))
				docs++
				if view := m.Field("data_decoded"); view != nil { // private pillar data
					checkDoc(t, c.Name(), m.Index, "pillar data", field(t, load, "data"), view)
					docs++
				}
			}
		}
	}
	if docs < 150 {
		t.Fatalf("only %d documents checked", docs)
	}
	t.Logf("%d msgpack documents decoded and re-encoded byte for byte", docs)
}

func field(t *testing.T, v any, key string) []byte {
	t.Helper()
	m, err := AsMap(v)
	if err != nil {
		t.Fatal(err)
	}
	b, err := GetBytes(m, key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkDoc(t *testing.T, name string, idx int, what string, b []byte, view json.RawMessage) any {
	t.Helper()
	v, err := Decode(b)
	if err != nil {
		t.Fatalf("%s #%d %s: %v", name, idx, what, err)
	}
	want, err := wiretest.View(view)
	if err != nil {
		t.Fatalf("%s #%d %s view: %v", name, idx, what, err)
	}
	if !Equal(v, want) {
		t.Errorf("%s #%d %s: decoded value differs from the recorded view", name, idx, what)
	}
	again, err := Encode(v)
	if err != nil {
		t.Fatalf("%s #%d %s: re-encode: %v", name, idx, what, err)
	}
	if !bytes.Equal(again, b) {
		t.Errorf("%s #%d %s: re-encoded bytes differ from Salt's (%d vs %d bytes)", name, idx, what, len(again), len(b))
	}
	return v
}
