// Package acctest builds a private account root for the user and group
// tests: <dir>/etc/passwd, group, shadow, gshadow and login.defs with a few
// system entries, for the shadow tools' -R/--root. It also checks that the
// host's own account files did not change.
package acctest

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
)

var files = map[string]string{
	"passwd":  "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nbin:x:2:2:bin:/bin:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
	"group":   "root:x:0:\ndaemon:x:1:\nbin:x:2:\nusers:x:100:\nstaff:x:50:\nnogroup:x:65534:\n",
	"shadow":  "root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\nbin:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n",
	"gshadow": "root:*::\ndaemon:*::\nbin:*::\nusers:*::\nstaff:*::\nnogroup:*::\n",
	"login.defs": "MAIL_DIR /var/mail\nUID_MIN 1000\nUID_MAX 60000\nSYS_UID_MIN 100\nSYS_UID_MAX 999\nGID_MIN 1000\nGID_MAX 60000\n" +
		"SYS_GID_MIN 100\nSYS_GID_MAX 999\nUSERGROUPS_ENAB yes\nENCRYPT_METHOD SHA512\n",
}

var hostFiles = []string{"/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow"}

// New returns a fresh account root and registers a cleanup that fails the
// test if any of the host's account files changed meanwhile.
func New(t testing.TB) string {
	t.Helper()
	before := hashes(t)
	t.Cleanup(func() {
		after := hashes(t)
		for _, f := range hostFiles {
			if before[f] != after[f] {
				t.Errorf("host file %s changed during the test", f)
			}
		}
	})
	root := t.TempDir()
	for _, d := range []string{"etc", "home", "var/mail", "etc/skel"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, text := range files {
		mode := os.FileMode(0o644)
		if name == "shadow" || name == "gshadow" {
			mode = 0o640
		}
		if err := os.WriteFile(filepath.Join(root, "etc", name), []byte(text), mode); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func hashes(t testing.TB) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	for _, f := range hostFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			// unreadable or missing: compare the error instead
			b = []byte("error: " + err.Error())
		}
		out[f] = sha256.Sum256(b)
	}
	return out
}
