package payload

import (
	"fmt"
	"testing"

	"github.com/saltgo/saltgo/data"
)

// benchPublish is a typical publish load (test.arg of the recordings).
func benchPublish() *data.Map {
	return data.M("fun", "test.arg", "arg", []any{1, "two", 3.5, data.M("__kwarg__", true, "kw1", true, "kw2", []any{1, 2})},
		"tgt", "cn1.test", "jid", "20261125163701833541", "ret", "", "tgt_type", "glob", "user", "root", "serial", 2)
}

// bench1MB is a ~1 MB return load: 8000 small maps (states-like results).
func bench1MB() *data.Map {
	ret := data.NewMap()
	for i := 0; i < 8000; i++ {
		ret.Set(fmt.Sprintf("file_|-/etc/app/conf%05d_|-/etc/app/conf%05d_|-managed", i, i), data.M(
			"result", true, "comment", "File /etc/app/conf is in the correct state", "changes", data.M(),
			"duration", 1.25, "__run_num__", i))
	}
	return data.M("cmd", "_return", "id", "cn1.test", "success", true, "return", ret, "retcode", 0,
		"jid", "20261125163701833541", "fun", "state.apply")
}

func benchEncode(b *testing.B, v any) {
	enc, _ := Encode(v)
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	buf := make([]byte, 0, len(enc))
	for b.Loop() {
		if _, err := Append(buf[:0], v); err != nil {
			b.Fatal(err)
		}
	}
}

func benchDecode(b *testing.B, v any) {
	enc, _ := Encode(v)
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(enc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodePublish(b *testing.B) { benchEncode(b, benchPublish()) }
func BenchmarkDecodePublish(b *testing.B) { benchDecode(b, benchPublish()) }
func BenchmarkEncode1MB(b *testing.B)     { benchEncode(b, bench1MB()) }
func BenchmarkDecode1MB(b *testing.B)     { benchDecode(b, bench1MB()) }
