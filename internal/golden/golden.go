// Package golden holds saltgo's one -update flag and the comparison of a
// test's output with its golden file under testdata/. Test support only.
//
//	go test ./grains -update   # rewrites the golden files the tests check
package golden

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
)

// Update is the -update flag: golden files are rewritten from what the
// tests produce instead of being compared with it.
var Update = flag.Bool("update", false, "rewrite golden files from the tests' output")

// Check compares got with the golden file at path (with -update, it
// writes got there first, creating the directories). A missing or
// differing file fails the test.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if err := check(path, got, *Update); err != nil {
		t.Error(err)
	}
}

func check(path string, got []byte, update bool) error {
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("golden: %w", err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			return fmt.Errorf("golden: %w", err)
		}
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("golden file %s is missing (go test -update writes it): %w", path, err)
	}
	if err != nil {
		return fmt.Errorf("golden: %w", err)
	}
	if !bytes.Equal(want, got) {
		return fmt.Errorf("%s differs from the golden file (go test -update rewrites it):\n--- got\n%s--- want\n%s", path, got, want)
	}
	return nil
}

// Text is Check for text output and a golden file named relative to the
// testdata directory of the package under test.
func Text(t testing.TB, name, got string) {
	t.Helper()
	if err := check(filepath.Join("testdata", name), []byte(got), *Update); err != nil {
		t.Error(err)
	}
}

// JSON is Check for a value of the data model rendered as indented JSON
// (one space, a final newline), map keys in their order.
func JSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(ordered(v), "", " ")
	if err != nil {
		t.Fatal(err)
	}
	Check(t, path, append(b, '\n'))
}

// ordered renders *data.Map values as JSON objects in their key order.
func ordered(v any) any {
	return data.MapTree(v, func(x *data.Map, rec func(any) any) any {
		var parts []string
		x.Range(func(k, e any) bool {
			kb, _ := json.Marshal(fmt.Sprint(k))
			vb, _ := json.Marshal(rec(e))
			parts = append(parts, string(kb)+":"+string(vb))
			return true
		})
		return json.RawMessage("{" + strings.Join(parts, ",") + "}")
	})
}

// CopyTree copies the state tree src (directories, files, symlinks) to
// dst without its golden/ folder: the recordings were made with a master
// or minion serving such a copy, so cp.list_master does not list goldens.
func CopyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if rel == "golden" {
			return filepath.SkipDir
		}
		to := filepath.Join(dst, rel)
		switch {
		case d.Type()&os.ModeSymlink != 0:
			l, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(l, to)
		case d.IsDir():
			return os.MkdirAll(to, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o644)
	})
	if err != nil {
		t.Fatalf("copy state tree %s: %v", src, err)
	}
}
