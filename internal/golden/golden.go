// Package golden holds saltgo's one -update flag and the comparison of a
// test's output with its golden file under testdata/. Test support only.
//
//	go test ./grains -update   # rewrites the golden files the tests check
package golden

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
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
