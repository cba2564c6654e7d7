package goldencase

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadRefusesEmptyCaseSets: a recorded file or a directory pattern
// that yields no case is an error, so a golden test cannot pass by
// looping over nothing.
func TestReadRefusesEmptyCaseSets(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"empty.json":    `{"cases": []}`,
		"nocases.json":  `{"function": "golden.none"}`,
		"null.json":     `{"cases": null}`,
		"one.json":      `{"cases": [{"name": "a", "argv": ["salt-call"]}]}`,
		"broken.json":   `{"cases": [`,
		"notjson.json":  `cases`,
		"sub/none.yaml": `x`,
	} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		file, wantErr string
	}{
		{"empty.json", "holds no cases"},
		{"nocases.json", "holds no cases"},
		{"null.json", "holds no cases"},
		{"broken.json", "broken.json"},
		{"notjson.json", "notjson.json"},
		{"missing.json", "no such file"},
		{"one.json", ""},
	} {
		f, err := Read(filepath.Join(dir, tc.file))
		switch {
		case tc.wantErr == "" && (err != nil || len(f.Cases) != 1 || f.Cases[0].Name != "a"):
			t.Errorf("%s: %+v %v", tc.file, f, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: err %v, want %q", tc.file, err, tc.wantErr)
		}
	}
	for _, tc := range []struct {
		pattern, want, wantErr string
	}{
		{"*.json", "broken.json empty.json nocases.json notjson.json null.json one.json", ""},
		{"sub/*.json", "", "no recorded file matches"},
		{"nodir/*", "", "no recorded file matches"},
		{"[", "", "syntax error"},
	} {
		got, err := glob(dir, tc.pattern)
		if tc.wantErr == "" && (err != nil || strings.Join(got, " ") != tc.want) ||
			tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("glob %s: %v %v", tc.pattern, got, err)
		}
	}
}

// TestRecordedFilesHoldCases: every recorded file the golden tests read
// loads with at least one case.
func TestRecordedFilesHoldCases(t *testing.T) {
	files := Glob(t, "*/*.json")
	n := 0
	for _, f := range files {
		if filepath.Dir(f) == "inputs" {
			continue // golden_values.json: the values, not runs
		}
		LoadFile(t, f)
		n++
	}
	if n < 10 {
		t.Errorf("only %d recorded files: %v", n, files)
	}
}
