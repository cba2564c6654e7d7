package fileclient

import (
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileserver"
	"github.com/saltgo/saltgo/transport/payload"
)

// FuzzReplies decodes arbitrary bytes as a file-server reply, as the
// minion gets it from the master once decrypted, and reads it with every
// reply parser (and gunzips a gzip chunk): an error, never a panic. The
// seeds are the replies recorded from a 3007.14 master (spec §1).
func FuzzReplies(f *testing.F) {
	gz, err := fileserver.Gzip([]byte("hello probe\n"), 5)
	if err != nil {
		f.Fatal(err)
	}
	for _, v := range []any{
		"",
		data.M("hash_type", "sha256", "hsum", "cbbdbb59c624f12b58fcb63612b5e923b2fed5f42e8827f2d291c760f8fac18f"),
		data.M("data", []byte("hello probe\n"), "dest", "specprobe/f.txt"),
		data.M("data", []byte{}, "dest", "specprobe/f.txt"),
		data.M("data", gz, "dest", "specprobe/f.txt", "gzip", int64(5)),
		data.M("data", "", "dest", ""),
		data.M("path", "", "rel", ""),
		[]any{"specprobe/big.txt", "specprobe/f.txt", "specprobe/link.txt"},
		data.M("specprobe/link.txt", "f.txt"),
		data.NewMap(),
		[]any{"base"},
	} {
		b, err := payload.Encode(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := payload.Decode(b)
		if err != nil {
			return
		}
		if h, err := ParseHash(v); err == nil && !h.IsZero() && (h.Type == "" || h.Sum == "") {
			t.Fatalf("hash without type or sum: %+v", h)
		}
		if c, err := ParseChunk(v); err == nil && c.Gzip {
			_, _ = gunzip(c.Data)
		}
		_, _ = ParseStrings(v)
		_, _ = ParseSymlinks(v)
	})
}
