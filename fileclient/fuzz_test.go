package fileclient

import (
	"bytes"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileserver"
	"github.com/saltgo/saltgo/transport/payload"
	"github.com/saltgo/saltgo/transport/wiretest"
)

// FuzzReplies decodes arbitrary bytes as a file-server reply, as the
// minion gets it from the master once decrypted, and reads it with every
// reply parser (and gunzips a gzip chunk): an error, never a panic. The
// seeds are the replies recorded from a 3007.14 master (fileserver.json,
// and the spec's §1 live values).
func FuzzReplies(f *testing.F) {
	conv, err := wiretest.LoadFile("3007.14", "fileserver.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, m := range conv.Messages {
		// The Crypticle plaintext is "pickle::" + the 32-character nonce +
		// the msgpack reply.
		if p := m.PlaintextHex(); m.Kind() == "aes_reply" && len(p) > 40 && bytes.HasPrefix(p, []byte("pickle::")) {
			f.Add(p[40:])
		}
	}
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

// TestRecordedRepliesParse: every recorded file-server reply decodes and
// the parser of its command accepts it.
func TestRecordedRepliesParse(t *testing.T) {
	conv := wiretest.Load(t, "3007.14", "fileserver.json")
	cmds := map[int]string{}
	n := 0
	for _, m := range conv.Messages {
		switch m.Kind() {
		case "aes_request":
			v, err := wiretest.View(m.Field("plaintext", "load"))
			if err != nil {
				t.Fatal(err)
			}
			cmds[m.Index], _ = v.(*data.Map).String("cmd")
			continue
		case "aes_reply":
		default:
			continue
		}
		// "pickle::" + the 32-character nonce + the msgpack reply.
		p := m.PlaintextHex()
		if len(p) < 40 || !bytes.HasPrefix(p, []byte("pickle::")) {
			t.Fatalf("#%d: plaintext %q", m.Index, p)
		}
		v, err := payload.Decode(p[40:])
		if err != nil {
			t.Fatalf("#%d: %v", m.Index, err)
		}
		var perr error
		switch cmd := cmds[*m.ReplyTo]; cmd {
		case "_file_hash":
			_, perr = ParseHash(v)
		case "_serve_file":
			var c Chunk
			if c, perr = ParseChunk(v); perr == nil && c.Gzip {
				_, perr = gunzip(c.Data)
			}
		case "_file_list", "_file_list_emptydirs", "_dir_list", "_file_envs":
			_, perr = ParseStrings(v)
		case "_symlink_list":
			_, perr = ParseSymlinks(v)
		default:
			continue
		}
		if perr != nil {
			t.Errorf("#%d %s: %v", m.Index, cmds[*m.ReplyTo], perr)
		}
		n++
	}
	if n < 25 {
		t.Errorf("only %d replies parsed", n)
	}
}
