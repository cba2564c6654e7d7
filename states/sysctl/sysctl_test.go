package sysctl_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/state"
	"github.com/saltgo/saltgo/state/statetest"
	_ "github.com/saltgo/saltgo/states/sysctl"
)

// TestPresentTestMode covers sysctl.present with test=True, which only
// reads (the kernel's values and a config file in t.TempDir()).
func TestPresentTestMode(t *testing.T) {
	cur, err := os.ReadFile("/proc/sys/kernel/ostype")
	if err != nil {
		t.Fatal(err)
	}
	ostype := strings.TrimSpace(string(cur))
	dir := t.TempDir()
	conf := filepath.Join(dir, "99.conf")
	if err := os.WriteFile(conf, []byte("kernel.ostype = "+ostype+"\nkernel.saltgo_missing = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, value, config string
		result              any
		comment             string
	}{
		{"kernel.ostype", ostype, conf, true, "Sysctl value kernel.ostype = " + ostype + " is already set"},
		{"kernel.ostype", "Other", conf, nil, "Sysctl option kernel.ostype would be changed to Other"},
		{"kernel.ostype", ostype, filepath.Join(dir, "none.conf"), nil, "Sysctl value is currently set on the running system but not in a config file. Sysctl option kernel.ostype set to be changed to " + ostype + " in config file."},
		{"kernel.ostype", "Other", filepath.Join(dir, "none.conf"), nil, "Sysctl option kernel.ostype set to be changed to Other"},
		{"kernel.saltgo_missing", "1", conf, nil, "Sysctl option kernel.saltgo_missing would be changed to 1"},
		{"kernel.ostype", "x", dir, nil, "Sysctl option kernel.ostype might be changed, we failed to check config file at " + dir + ". The file is either unreadable, or missing."},
	}
	for _, tc := range tests {
		ret := statetest.Apply(t, nil, "sysctl.present", state.Chunk{Test: true}, data.M("name", tc.name, "value", tc.value, "config", tc.config))
		r, _ := ret.Get("result")
		c, _ := ret.Get("comment")
		if r != tc.result || c != tc.comment {
			t.Errorf("%s=%s (%s): result %v comment %q; want %v %q", tc.name, tc.value, tc.config, r, c, tc.result, tc.comment)
		}
	}
}
