// Package wiretest loads the recorded Salt master <-> minion conversations
// under testdata/salt-wire (see its README) for tests of any package.
//
// It depends only on the standard library and package data, so that the
// packages it helps test (payload, crypt, channels, minion) can all use it.
package wiretest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/saltgo/saltgo/data"
)

// Releases lists the recorded Salt releases (folder names under
// testdata/salt-wire), newest first.
var Releases = []string{"3007.14", "3006.11"}

// Files lists the conversation files recorded for every release.
var Files = []string{"conversation.json", "conversation-zmq-filtering.json"}

// Conversation is one recorded conversation file.
type Conversation struct {
	Release            string `json:"-"` // folder name, e.g. "3007.14"
	File               string `json:"-"` // file name, e.g. "conversation.json"
	SaltVersion        string `json:"salt_version"`
	ProtocolGeneration int    `json:"protocol_generation"`
	MinionID           string `json:"minion_id"`
	Ports              struct {
		Publish int `json:"publish"`
		Ret     int `json:"ret"`
	} `json:"ports"`
	Keys struct {
		AESKeys    []string `json:"aes_keys"`
		SessionKey string   `json:"session_key"` // "" for generation 2
	} `json:"keys"`
	Connections []json.RawMessage `json:"connections"`
	Messages    []*Message        `json:"messages"`
}

// Message is one recorded ZeroMQ message.
type Message struct {
	Index     int             `json:"index"`
	T         float64         `json:"t"`
	Direction string          `json:"direction"` // "minion->master req", "master->minion pub", ...
	Socket    string          `json:"socket"`    // "req" or "pub"
	Conn      int             `json:"conn"`
	ReplyTo   *int            `json:"reply_to"`
	Summary   string          `json:"summary"`
	FramesHex []string        `json:"frames_hex"`
	Decoded   json.RawMessage `json:"decoded"`
}

// Root returns the repository root (the directory holding go.mod).
func Root() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		panic("wiretest: cannot locate source file")
	}
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Dir returns the folder of one release's recordings.
func Dir(release string) string {
	return filepath.Join(Root(), "testdata", "salt-wire", release)
}

// ReadFile returns a file of a release folder (master.pem, minion.pub, ...),
// failing the test when it cannot be read.
func ReadFile(t testing.TB, release, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(release), name))
	if err != nil {
		t.Fatalf("wiretest: %v", err)
	}
	return b
}

// Load parses a conversation file, failing the test on error.
func Load(t testing.TB, release, file string) *Conversation {
	t.Helper()
	c, err := LoadFile(release, file)
	if err != nil {
		t.Fatalf("wiretest: %v", err)
	}
	return c
}

// LoadFile parses a conversation file.
func LoadFile(release, file string) (*Conversation, error) {
	b, err := os.ReadFile(filepath.Join(Dir(release), file))
	if err != nil {
		return nil, err
	}
	c := &Conversation{Release: release, File: file}
	if err := json.Unmarshal(b, c); err != nil {
		return nil, fmt.Errorf("%s/%s: %w", release, file, err)
	}
	for i, m := range c.Messages {
		if m.Index != i {
			return nil, fmt.Errorf("%s/%s: message %d has index %d", release, file, i, m.Index)
		}
	}
	return c, nil
}

// Name is "release/file", for test names.
func (c *Conversation) Name() string { return c.Release + "/" + c.File }

// ReplyTo returns the message answering message i, or nil.
func (c *Conversation) ReplyTo(i int) *Message {
	for _, m := range c.Messages {
		if m.ReplyTo != nil && *m.ReplyTo == i {
			return m
		}
	}
	return nil
}

// Kind returns decoded.kind: auth_request, auth_reply, aes_request,
// aes_reply, pillar_reply, publish, clear_request or clear_reply.
func (m *Message) Kind() string {
	var k struct {
		Kind string `json:"kind"`
	}
	_ = json.Unmarshal(m.Decoded, &k)
	return k.Kind
}

// Frames returns the decoded ZeroMQ frames.
func (m *Message) Frames() ([][]byte, error) {
	out := make([][]byte, len(m.FramesHex))
	for i, h := range m.FramesHex {
		b, err := hex.DecodeString(h)
		if err != nil {
			return nil, fmt.Errorf("message %d frame %d: %w", m.Index, i, err)
		}
		out[i] = b
	}
	return out, nil
}

// Body returns the last frame (the msgpack body), failing the test on error.
func (m *Message) Body(t testing.TB) []byte {
	t.Helper()
	f, err := m.Frames()
	if err != nil || len(f) == 0 {
		t.Fatalf("message %d: no frames (%v)", m.Index, err)
	}
	return f[len(f)-1]
}

// Field returns the raw JSON at a path inside decoded (e.g. "plaintext",
// "load"), or nil when absent.
func (m *Message) Field(path ...string) json.RawMessage {
	cur := m.Decoded
	for _, p := range path {
		var obj map[string]json.RawMessage
		if json.Unmarshal(cur, &obj) != nil {
			return nil
		}
		var ok bool
		if cur, ok = obj[p]; !ok {
			return nil
		}
	}
	return cur
}

// PlaintextHex returns decoded.plaintext.plaintext_hex as bytes (nil when
// the message has none).
func (m *Message) PlaintextHex() []byte {
	raw := m.Field("plaintext", "plaintext_hex")
	var s string
	if raw == nil || json.Unmarshal(raw, &s) != nil {
		return nil
	}
	b, _ := hex.DecodeString(s)
	return b
}

// View converts a value in the recordings' JSON view of msgpack (see
// view_conventions) into the Go values the payload codec decodes to:
// strings, {"$raw": hex} -> []byte, {"$bin": hex} -> string or []byte,
// {"$map": [[k, v]...]} and objects -> *data.Map in order, integers ->
// int64, other numbers -> float64.
func View(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := viewValue(dec)
	if err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("wiretest: trailing JSON")
	}
	return v, nil
}

func viewValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch x := tok.(type) {
	case nil, bool, string:
		return x, nil
	case json.Number:
		s := x.String()
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return i, nil
			}
			if u, err := strconv.ParseUint(s, 10, 64); err == nil {
				return u, nil
			}
		}
		return x.Float64()
	case json.Delim:
		switch x {
		case '[':
			out := []any{}
			for dec.More() {
				v, err := viewValue(dec)
				if err != nil {
					return nil, err
				}
				out = append(out, v)
			}
			_, err := dec.Token()
			return out, err
		case '{':
			m := data.NewMap()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := viewValue(dec)
				if err != nil {
					return nil, err
				}
				m.Set(k, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return special(m)
		}
	}
	return nil, fmt.Errorf("wiretest: unexpected JSON token %v", tok)
}

func special(m *data.Map) (any, error) {
	if m.Len() == 1 {
		k := m.Keys()[0]
		v, _ := m.Get(k)
		switch k {
		case "$raw", "$bin":
			s, _ := v.(string)
			b, err := hex.DecodeString(s)
			if err != nil {
				return nil, fmt.Errorf("wiretest: %s: %w", k, err)
			}
			if k == "$bin" && utf8.Valid(b) {
				return string(b), nil
			}
			return b, nil
		case "$map":
			pairs, ok := v.([]any)
			if !ok {
				return nil, fmt.Errorf("wiretest: $map is not a list")
			}
			out := data.NewMap()
			for _, p := range pairs {
				kv, ok := p.([]any)
				if !ok || len(kv) != 2 {
					return nil, fmt.Errorf("wiretest: bad $map pair")
				}
				out.Set(kv[0], kv[1])
			}
			return out, nil
		}
	}
	if m.Has("$ext") {
		return nil, fmt.Errorf("wiretest: $ext values are not supported")
	}
	return m, nil
}
