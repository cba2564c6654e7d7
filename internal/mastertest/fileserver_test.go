package mastertest

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/fileserver/fstest"
	"github.com/saltgo/saltgo/transport/crypt"
	"github.com/saltgo/saltgo/transport/payload"
)

// recordedRoot is where the recording's master had its file_roots.
const recordedRoot = "/tmp/fileserver-roots"

// TestRecordedFileServerReplay feeds every recorded file-server request
// (3007.14 fileserver.json, encrypted with the recorded session key) to
// the test master serving the same tree, and compares its decrypted reply
// with the real master's: equal values, types and key order, except what
// the recording's README says varies (the stat fields other than mode and
// size, the master's absolute path, the gzip header's time: gzip chunks
// are compared decompressed).
func TestRecordedFileServerReplay(t *testing.T) {
	const release = "3007.14"
	root := fstest.RecordedTree(t)
	m, conv := recordedMasterOf(t, release, "fileserver.json", Config{Gen: 3,
		FileRoots: fstest.RecordedRoots(root)})
	c, err := crypt.NewCrypticle(conv.Keys.SessionKey)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	n := 0
	for _, msg := range conv.Messages {
		if msg.Kind() != "aes_request" {
			continue
		}
		req := msg.Body(t)
		blob, _ := payload.GetBytes(decodeMap(t, req), "load")
		lv, err := c.Loads(blob, "")
		if err != nil {
			t.Fatal(err)
		}
		load := lv.(*data.Map)
		nonce, _ := load.String("nonce")
		cmd, _ := load.String("cmd")
		ours, ok := m.handle(ctx, req)
		if !ok {
			t.Fatalf("#%d %s: no reply", msg.Index, cmd)
		}
		var got [2]any
		for i, b := range [][]byte{ours, conv.ReplyTo(msg.Index).Body(t)} {
			v, err := payload.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			if got[i], err = crypt.OpenReply(c, v, nonce); err != nil {
				t.Fatalf("#%d %s reply %d: %v", msg.Index, cmd, i, err)
			}
			got[i] = comparable(t, got[i], root)
		}
		if !payload.Equal(got[0], got[1]) {
			t.Errorf("#%d %s %s:\n ours     %s\n recorded %s", msg.Index, cmd, data.Repr(load),
				clip(data.Repr(got[0])), clip(data.Repr(got[1])))
		}
		n++
	}
	if n != 32 {
		t.Errorf("%d requests replayed, want the recording's 32", n)
	}
}

func clip(s string) string {
	if len(s) > 400 {
		return s[:400] + "..."
	}
	return s
}

// comparable removes from a reply what varies between machines.
func comparable(t *testing.T, v any, root string) any {
	t.Helper()
	switch r := v.(type) {
	case *data.Map:
		out := data.NewMap()
		gz := r.Has("gzip")
		r.Range(func(k, val any) bool {
			switch k {
			case "path":
				if s, ok := data.AsString(val); ok {
					val = strings.Replace(strings.Replace(s, recordedRoot, "@ROOT@", 1), root, "@ROOT@", 1)
				}
			case "stat":
				val = stat(val)
			case "data":
				if b, ok := data.AsBytes(val); ok && gz && len(b) > 0 {
					zr, err := gzip.NewReader(bytes.NewReader(b))
					if err != nil {
						t.Fatalf("gzip chunk: %v", err)
					}
					plain, err := io.ReadAll(zr)
					if err != nil {
						t.Fatalf("gzip chunk: %v", err)
					}
					val = data.M("gunzipped", plain)
				}
			}
			out.Set(k, val)
			return true
		})
		return out
	case []any:
		if len(r) == 2 { // _file_hash_and_stat
			return []any{comparable(t, r[0], root), stat(r[1])}
		}
	}
	return v
}

// stat keeps mode and size of an os.stat list.
func stat(v any) any {
	l, ok := v.([]any)
	if !ok || len(l) != 10 {
		return v
	}
	return []any{l[0], l[6]}
}
