package call

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/internal/golden"
)

// TestPillarTopMatchTypesLikeSalt runs salt-call --local pillar.items on
// a pillar tree whose top file uses every match type (grain, compound, the
// default compound, list, pcre, grain_pcre, glob, nodegroup, ipcidr), each
// selecting the minion once and once not, and compares the output with the
// real Salt 3007.14's on the same tree, with the grain role web and db
// (testdata/pillartop/README.md says how they were recorded).
func TestPillarTopMatchTypesLikeSalt(t *testing.T) {
	src := filepath.Join("testdata", "pillartop")
	lab := t.TempDir()
	for _, d := range []string{"conf", "work", "pillar"} {
		if err := os.MkdirAll(filepath.Join(lab, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	golden.CopyTree(t, filepath.Join(src, "pillar"), filepath.Join(lab, "pillar"))
	conf, err := os.ReadFile(filepath.Join(src, "minion"))
	if err != nil {
		t.Fatal(err)
	}
	conf = []byte(strings.ReplaceAll(string(conf), "<LAB_DIR>", lab))
	if err := os.WriteFile(filepath.Join(lab, "conf", "minion"), conf, 0o644); err != nil {
		t.Fatal(err)
	}
	// Salt's run with the config as is, then with the grain role: db.
	for _, tc := range []struct{ role, golden string }{
		{"web", "pillar.items.json"},
		{"db", "pillar.items.role-db.json"},
	} {
		text := strings.Replace(string(conf), "role: web", "role: "+tc.role, 1)
		if err := os.WriteFile(filepath.Join(lab, "conf", "minion"), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(src, "golden", tc.golden))
		if err != nil {
			t.Fatal(err)
		}
		out, errs, code := runCall(t, "-c", filepath.Join(lab, "conf"), "--local", "pillar.items", "--out", "json")
		if code != 0 || errs != "" || out != string(want) {
			t.Errorf("role %s: exit %d, stderr %q, stdout:\n%s\nwant (Salt 3007.14, %s):\n%s", tc.role, code, errs, out, tc.golden, want)
		}
	}
}
