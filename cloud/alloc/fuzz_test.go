package alloc

import (
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
)

// FuzzReadValue feeds arbitrary bytes as an allocation .pack file: the
// value, or a *CorruptError naming the file, never a panic. Seeds: the
// files makina-states wrote (testdata/legacy.txt) and our own encodings.
func FuzzReadValue(f *testing.F) {
	legacy, err := os.ReadFile("testdata/legacy.txt")
	if err != nil {
		f.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(string(legacy), "\n") {
		fields := strings.Fields(line)
		if len(fields) != 2 || strings.HasPrefix(line, "#") {
			continue
		}
		b, err := hex.DecodeString(fields[1])
		if err != nil {
			f.Fatalf("legacy.txt: %v", err)
		}
		f.Add(b)
		n++
	}
	if n == 0 {
		f.Fatal("no seed in testdata/legacy.txt")
	}
	for _, v := range []any{"10.5.0.2", int64(40022), "00:16:3e:aa:bb:cc", data.M("a", []any{int64(1)}), nil} {
		b, err := EncodeValue(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0x81, 0xa5, 'v', 'a', 'l', 'u', 'e'})
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "x.pack")
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		v, ok, err := ReadValue(p)
		if err != nil {
			var ce *CorruptError
			if !errors.As(err, &ce) || ce.Path != p || ok || v != nil {
				t.Fatalf("ReadValue error %v (ok %v, v %v) is not a CorruptError naming the file", err, ok, v)
			}
			return
		}
		if !ok {
			t.Fatal("an existing file read as missing")
		}
		if _, err := EncodeValue(v); err != nil {
			t.Fatalf("a value read back does not encode: %v", err)
		}
	})
}
