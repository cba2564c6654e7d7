package ssh

import (
	"slices"
	"testing"
)

// TestFingerprint: values as Python Salt computes them (recorded in the
// states/sshauth scenario).
func TestFingerprint(t *testing.T) {
	const k1 = "AAAAC3NzaC1lZDI1NTE5AAAAIG7Tr4NYl96YgkMReIWfObKOUN0y22A2+mF42exTvGWa"
	for _, tc := range []struct {
		key  string
		ht   any
		want string
	}{
		{k1, nil, "d8:91:e4:7f:b2:64:09:f5:aa:06:58:d3:4b:72:e6:f2:d2:ba:ef:53:89:4f:8c:b0:74:38:3e:c8:43:13:56:c0"},
		{"AAAAC3NzaC1lZDI1NTE5AAAAIGZ7uu2N2PKnVnS1fsAs8clUzMCsmMO7NGmvuBHGhiIM", "MD5", "bc:59:8b:18:92:cf:10:8f:0e:16:fb:42:d5:d4:59:25"},
		{"not-base64!", nil, ""},
		{"AAAA=", nil, ""},
	} {
		got, err := Fingerprint(tc.key, tc.ht)
		if err != nil || got != tc.want {
			t.Errorf("Fingerprint(%q, %v) = %q, %v; want %q", tc.key, tc.ht, got, err, tc.want)
		}
	}
	if _, err := Fingerprint(k1, "sha3"); err == nil || err.Error() != "The fingerprint_hash_type sha3 is not supported." {
		t.Errorf("sha3: %v", err)
	}
}

func TestRefineEnc(t *testing.T) {
	for in, want := range map[string]string{"rsa": "ssh-rsa", "dsa": "ssh-dss", "e": "ecdsa-sha2-nistp256", "ed25519": "ssh-ed25519",
		"ecdsa-sha2-nistp384": "ecdsa-sha2-nistp384", "sk-ssh-ed25519@openssh.com": "sk-ssh-ed25519@openssh.com"} {
		if got, err := RefineEnc(in); err != nil || got != want {
			t.Errorf("RefineEnc(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := RefineEnc("foo"); err == nil || err.Error() != "Incorrect encryption key type 'foo'." {
		t.Errorf("foo: %v", err)
	}
}

func TestExpandPath(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{".ssh/authorized_keys", ".ssh/authorized_keys", ""},
		{"/etc/ssh/keys/%u", "/etc/ssh/keys/alice", ""},
		{"%h/.ssh/k%%", "/home/alice/.ssh/k%", ""},
		{"%x", "", `AuthorizedKeysFile path: unknown token character "%x"`},
		{"a%", "", "AuthorizedKeysFile path: Last character can't be escape character"},
	} {
		got, err := expandPath(tc.in, "alice", "/home/alice")
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("expandPath(%q) error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("expandPath(%q) = %q, %v", tc.in, got, err)
		}
	}
}

// TestMatchedLines: ssh-keygen -F output pairs, filtered by key type.
func TestMatchedLines(t *testing.T) {
	out := []string{"# Host h found: line 2", "h ssh-ed25519 AAAA", "# Host h found: line 5", "h ssh-rsa BBBB"}
	if got := matchedLines(out, nil); !slices.Equal(got, []int{2, 5}) {
		t.Errorf("all = %v", got)
	}
	if got := matchedLines(out, "ssh-rsa"); !slices.Equal(got, []int{5}) {
		t.Errorf("ssh-rsa = %v", got)
	}
	if got := string(dropLines([]byte("a\nb\nc\n"), []int{2})); got != "a\nc\n" {
		t.Errorf("dropLines = %q", got)
	}
}
