// Package fstest builds the file tree the live file-server recordings of
// the spec used (spec salt-states.md §1), for tests of the file server,
// the file client and the test master.
package fstest

import (
	"os"
	"path/filepath"
	"testing"
)

// F is the content of specprobe/f.txt.
const F = "hello probe\n"

// BigSize is the size of specprobe/big.txt in the recording.
const BigSize = 405264

// Tree writes, under a new temporary directory, the recorded tree:
// hello.txt lab.sls top.sls specprobe/{f.txt, big.txt, link.txt -> f.txt,
// sub/empty/} and returns its root.
func Tree(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	Write(t, root, map[string]string{
		"hello.txt":          "hello\n",
		"lab.sls":            "lab:\n  test.succeed_without_changes\n",
		"top.sls":            "base:\n  '*':\n    - lab\n",
		"specprobe/f.txt":    F,
		"specprobe/big.txt":  string(Big(BigSize)),
		"specprobe/sub/.tmp": "",
	})
	if err := os.Remove(filepath.Join(root, "specprobe/sub/.tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "specprobe/sub/empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("f.txt", filepath.Join(root, "specprobe/link.txt")); err != nil {
		t.Fatal(err)
	}
	return root
}

// Write creates files (relative path -> content) under root.
func Write(t testing.TB, root string, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Big returns n bytes of deterministic, poorly compressible content.
func Big(n int) []byte {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}
