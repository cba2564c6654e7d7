package golden

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "sub", "out.txt")
	for _, tc := range []struct {
		name    string
		got     string
		update  bool
		wantErr string
	}{
		{"missing", "a\n", false, "is missing"},
		{"update creates", "a\n", true, ""},
		{"same", "a\n", false, ""},
		{"differs", "b\n", false, "differs from the golden file"},
		{"update rewrites", "b\n", true, ""},
		{"same again", "b\n", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := check(p, []byte(tc.got), tc.update)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err %v, want %q", err, tc.wantErr)
			}
		})
	}
	if b, _ := os.ReadFile(p); string(b) != "b\n" {
		t.Errorf("golden file holds %q", b)
	}
}
