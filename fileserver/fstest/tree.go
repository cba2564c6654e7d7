// Package fstest builds the file tree the live file-server recordings of
// the spec used (spec salt-states.md §1), for tests of the file server,
// the file client and the test master.
package fstest

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/saltgo/saltgo/transport/wiretest"
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

// RecordedTree copies the tree the 3007.14 file-server recording was made
// with (testdata/salt-wire/3007.14/fileserver-roots: base and prod,
// symlinks kept) to a new temporary directory, creates the empty
// directory git cannot keep (base/emptydir), and returns the copy's root:
// serve <root>/base as base and <root>/prod as prod.
func RecordedTree(t testing.TB) string {
	t.Helper()
	src := filepath.Join(wiretest.Dir("3007.14"), "fileserver-roots")
	dst := filepath.Join(t.TempDir(), "fileserver-roots")
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, out)
		case d.IsDir():
			return os.MkdirAll(out, 0o755)
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(out, b, 0o644)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dst, "base/emptydir"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dst
}

// RecordedRoots are the file_roots of RecordedTree's copy.
func RecordedRoots(root string) map[string][]string {
	return map[string][]string{"base": {filepath.Join(root, "base")}, "prod": {filepath.Join(root, "prod")}}
}
