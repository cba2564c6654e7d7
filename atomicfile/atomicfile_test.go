package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWrite(t *testing.T) {
	tests := []struct {
		name    string
		old     []byte // nil: no file before
		data    []byte
		perm    os.FileMode
		wantErr bool
	}{
		{name: "new file", data: []byte("hello"), perm: 0o600},
		{name: "replace", old: []byte("old content that is longer"), data: []byte("new"), perm: 0o644},
		{name: "empty", old: []byte("x"), data: []byte{}, perm: 0o400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "f")
			if tt.old != nil {
				if err := os.WriteFile(p, tt.old, 0o666); err != nil {
					t.Fatal(err)
				}
			}
			if err := Write(p, tt.data, tt.perm); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(p)
			if err != nil || string(got) != string(tt.data) {
				t.Fatalf("content %q, %v; want %q", got, err, tt.data)
			}
			st, _ := os.Stat(p)
			if st.Mode().Perm() != tt.perm {
				t.Errorf("mode %v, want %v", st.Mode().Perm(), tt.perm)
			}
			ents, _ := os.ReadDir(dir)
			if len(ents) != 1 {
				t.Errorf("leftover temporary files: %v", ents)
			}
		})
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	if err := Write(filepath.Join(dir, "missing", "f"), []byte("x"), 0o644); err == nil {
		t.Fatal("write into a missing directory: no error")
	}
	// The target is a directory: rename fails, the temporary file is removed.
	target := filepath.Join(dir, "d")
	if err := os.MkdirAll(filepath.Join(target, "child"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(target, []byte("x"), 0o644); err == nil {
		t.Fatal("write over a non-empty directory: no error")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("leftover temporary files after a failed write: %v", ents)
	}
}

func TestWriteMkdir(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a", "b", "f")
	if err := WriteMkdir(p, []byte("x"), 0o644, 0o700); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Dir(p))
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("parent %v, %v", st, err)
	}
}
