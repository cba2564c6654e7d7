package saltyaml

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode feeds arbitrary documents to the YAML loader that reads
// config files, pillar SLS and CLI arguments: an error or a value, never a
// panic, a hang or an alias bomb's memory. Seeds: the repository's own
// config and pillar files, and shapes that once broke YAML loaders.
func FuzzDecode(f *testing.F) {
	for _, glob := range []string{"../config/testdata/*/*", "../config/testdata/*/*/*", "../cloud/examples/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil && len(b) < 64<<10 {
				f.Add(b)
			}
		}
	}
	for _, s := range []string{
		"a: &a [*a]",
		"a: &a [1,2]\nb: &b [*a,*a]\nc: &c [*b,*b]\nd: [*c,*c]",
		"<<: {a: 1}\nb: 2",
		"? [a, b]\n: c",
		"x: !!binary aGVsbG8=",
		"x: 0x1F\ny: 1_000\nz: 0o17\nw: 1e3\nv: .inf\nu: ~",
		"--- a\n--- b",
		"{a: 1, a: 2}",
		"x: 12345678901234567890123",
		"\t- bad indent",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, lines, err := Decode(b, "fuzz.sls")
		if err != nil {
			if v != nil || lines != nil {
				t.Fatalf("error %v with a value", err)
			}
			if err.Error() == "" {
				t.Fatal("empty error text")
			}
		}
	})
}
