package lxctest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/saltgo/saltgo/internal/golden"
)

// CompareWithPython is the check of a scenario against Python Salt: with
// -update, record() runs it with Python Salt and its result is written to
// the golden file at path; then run() runs it with saltgo and each step
// must equal the recorded one (as JSON, keys sorted).
func CompareWithPython(t *testing.T, path string, record, run func(t *testing.T) []any) {
	t.Helper()
	if *golden.Update {
		b := marshal(t, record(t))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("golden %s is missing: record it from Python Salt with go test -update", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	var want []any
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatalf("golden %s: %v", path, err)
	}
	got := run(t)
	if len(got) != len(want) {
		t.Fatalf("%d steps, golden %s has %d", len(got), path, len(want))
	}
	for i := range got {
		g, w := marshal(t, got[i]), marshal(t, want[i])
		if !bytes.Equal(g, w) {
			t.Errorf("step %d differs from Python Salt's (%s):\n--- saltgo\n%s--- python\n%s", i, path, g, w)
		}
	}
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	// Through JSON and back: Go values and decoded golden values compare alike.
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		t.Fatal(err)
	}
	b, err = json.MarshalIndent(x, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}
