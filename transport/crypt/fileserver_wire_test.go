package crypt

import (
	"bytes"
	"testing"

	"github.com/saltgo/saltgo/transport/payload"
	"github.com/saltgo/saltgo/transport/wiretest"
)

// TestRecordedFileServer opens every request and reply of the recorded
// file-server conversations (3007.14 fileserver*.json) with the session key,
// checks the decoded load against the recording's JSON view, and re-seals
// it with the recorded IV: the blob must come out byte for byte.
func TestRecordedFileServer(t *testing.T) {
	const rel = "3007.14"
	keys := loadRecKeys(t, rel)
	for _, tc := range []struct {
		file string
		cmds []string // commands the recording must contain
	}{
		{"fileserver.json", []string{"_file_envs", "_file_list", "_file_list_emptydirs", "_dir_list", "_symlink_list",
			"_file_hash", "_file_hash_and_stat", "_file_find", "_serve_file", "_master_opts", "_master_tops", "_no_such_cmd"}},
		{"fileserver-highstate.json", []string{"_pillar", "_master_opts", "_file_envs", "_file_hash", "_file_find",
			"_serve_file", "_master_tops", "_file_list", "_return"}},
		{"fileserver-highstate-cached.json", []string{"_pillar", "_master_opts", "_file_hash", "_file_find", "_return"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c := wiretest.Load(t, rel, tc.file)
			cmds := checkFileServerConversation(t, c, keys)
			for _, cmd := range tc.cmds {
				if cmds[cmd] == 0 {
					t.Errorf("no %s request in the recording", cmd)
				}
			}
		})
	}
}

// checkFileServerConversation checks every message of c and counts the
// request commands.
func checkFileServerConversation(t *testing.T, c *wiretest.Conversation, keys *recKeys) map[string]int {
	if c.Keys.SessionKey == "" || c.ProtocolGeneration != 3 {
		t.Fatalf("keys %+v generation %d", c.Keys, c.ProtocolGeneration)
	}
	reqC, err := NewCrypticle(c.Keys.SessionKey)
	if err != nil {
		t.Fatal(err)
	}
	nonces := map[int]string{}
	cmds := map[string]int{}
	for _, m := range c.Messages {
		body := m.Body(t)
		switch m.Kind() {
		case "auth_request", "auth_reply":
			continue
		case "aes_request":
			env := decodeMap(t, body)
			blob := getBytes(t, env, "load")
			lv, err := reqC.Loads(blob, "")
			if err != nil {
				t.Fatalf("#%d: %v", m.Index, err)
			}
			load, err := payload.AsMap(lv)
			if err != nil {
				t.Fatalf("#%d: %v", m.Index, err)
			}
			checkView(t, m, load)
			nonces[m.Index] = getStr(t, load, "nonce")
			cmds[getStr(t, load, "cmd")]++
			if !bytes.Equal(getBytes(t, load, "tok"), keys.tok) {
				t.Errorf("#%d: tok differs from MinionToken(minion.pem)", m.Index)
			}
			if again, _ := withIV(t, c.Keys.SessionKey, blob).Dumps(load, ""); !bytes.Equal(again, blob) {
				t.Errorf("#%d: Dumps does not rebuild the request", m.Index)
			}
		case "aes_reply":
			if m.ReplyTo == nil {
				t.Fatalf("#%d: reply without reply_to", m.Index)
			}
			nonce, ok := nonces[*m.ReplyTo]
			if !ok {
				t.Fatalf("#%d: reply to unknown request %d", m.Index, *m.ReplyTo)
			}
			v, err := payload.Decode(body)
			if err != nil {
				t.Fatal(err)
			}
			ret, err := OpenReply(reqC, v, nonce)
			if err != nil {
				t.Fatalf("#%d: %v", m.Index, err)
			}
			checkView(t, m, ret)
			blob, _ := v.([]byte)
			if again, _ := withIV(t, c.Keys.SessionKey, blob).Dumps(ret, nonce); !bytes.Equal(again, blob) {
				t.Errorf("#%d: Dumps does not rebuild the master's reply", m.Index)
			}
		case "pillar_reply":
			v, err := payload.Decode(body)
			if err != nil {
				t.Fatal(err)
			}
			p, err := OpenPrivateReply(v, keys.minion, keys.masterPub, "", "", nonces[*m.ReplyTo])
			if err != nil {
				t.Fatalf("#%d: %v", m.Index, err)
			}
			want, err := wiretest.View(m.Field("data_decoded", "pillar"))
			if err != nil {
				t.Fatal(err)
			}
			if !payload.Equal(p, want) {
				t.Errorf("#%d: pillar %v differs from the recording's %v", m.Index, p, want)
			}
		default:
			t.Errorf("#%d: unexpected kind %q", m.Index, m.Kind())
		}
	}
	return cmds
}

// checkView compares a decoded load with decoded.plaintext.load.
func checkView(t *testing.T, m *wiretest.Message, got any) {
	t.Helper()
	want, err := wiretest.View(m.Field("plaintext", "load"))
	if err != nil {
		t.Fatalf("#%d: %v", m.Index, err)
	}
	if !payload.Equal(got, want) {
		t.Errorf("#%d: load %v differs from the recording's view %v", m.Index, got, want)
	}
}
