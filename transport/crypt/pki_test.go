package crypt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenKeyPairGeneratesOnlyWhenAbsent(t *testing.T) {
	dir := t.TempDir()
	kp, err := OpenMinionKeys(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !kp.Generated {
		t.Fatal("first open: Generated = false")
	}
	again, err := OpenMinionKeys(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	if again.Generated || !again.Priv.Equal(kp.Priv) {
		t.Fatalf("second open: Generated = %v, same key = %v", again.Generated, again.Priv.Equal(kp.Priv))
	}
}

func TestOpenKeyPairRefusesBrokenPrivateKey(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, pem string)
		want  string
	}{
		{
			name: "dangling symlink",
			setup: func(t *testing.T, pem string) {
				if err := os.Symlink(filepath.Join(filepath.Dir(pem), "gone.pem"), pem); err != nil {
					t.Fatal(err)
				}
			},
			want: "dangling symlink",
		},
		{
			name: "directory",
			setup: func(t *testing.T, pem string) {
				if err := os.Mkdir(pem, 0o700); err != nil {
					t.Fatal(err)
				}
			},
			want: "minion.pem",
		},
		{
			name: "garbage",
			setup: func(t *testing.T, pem string) {
				if err := os.WriteFile(pem, []byte("not a key"), 0o400); err != nil {
					t.Fatal(err)
				}
			},
			want: "minion.pem",
		},
		{
			name: "symlink loop",
			setup: func(t *testing.T, pem string) {
				if err := os.Symlink(pem, pem); err != nil {
					t.Fatal(err)
				}
			},
			want: "minion.pem",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			pem := filepath.Join(dir, MinionPrivFile)
			tc.setup(t, pem)
			kp, err := OpenMinionKeys(dir, 0)
			if err == nil {
				t.Fatalf("no error; Generated = %v", kp.Generated)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, MinionPubFile)); err == nil {
				t.Error("a minion.pub was written")
			}
			if fi, err := os.Lstat(pem); err != nil {
				t.Errorf("minion.pem was removed: %v", err)
			} else if tc.name == "dangling symlink" && fi.Mode()&os.ModeSymlink == 0 {
				t.Error("the dangling symlink was replaced")
			}
		})
	}
}
