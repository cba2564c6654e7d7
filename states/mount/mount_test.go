package mount_test

import (
	"path/filepath"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/state"
	"github.com/saltgo/saltgo/state/statetest"
	_ "github.com/saltgo/saltgo/states/mount"
)

// TestArguments covers the checks mount.mounted and mount.unmounted make
// before touching anything, and test=True runs, which only read the
// host's mount table.
func TestArguments(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing")
	tests := []struct {
		fun     string
		test    bool
		kw      *data.Map
		result  any
		comment string
	}{
		{"mount.mounted", false, data.M("name", "", "device", "tmpfs", "fstype", "tmpfs"), false, "Must provide name to mount.mounted"},
		{"mount.mounted", false, data.M("name", "/mnt/x", "device", "", "fstype", "tmpfs"), false, "Must provide device to mount.mounted"},
		{"mount.mounted", false, data.M("name", "/mnt/x", "device", "tmpfs", "fstype", ""), false, "Must provide fstype to mount.mounted"},
		{"mount.mounted", false, data.M("name", missing, "device", "tmpfs", "fstype", "tmpfs", "persist", false), false, "Mount directory is not present"},
		{"mount.mounted", true, data.M("name", missing, "device", "tmpfs", "fstype", "tmpfs"), nil, missing + " does not exist and would not be created"},
		{"mount.mounted", true, data.M("name", missing, "device", "tmpfs", "fstype", "tmpfs", "mkmnt", true), nil, missing + " would be created and mounted"},
		{"mount.mounted", true, data.M("name", dir, "device", "tmpfs", "fstype", "tmpfs"), nil, dir + " would be mounted"},
		{"mount.mounted", true, data.M("name", missing, "device", "tmpfs", "fstype", "tmpfs", "mount", false, "persist", false), nil,
			missing + " does not exist and would neither be created nor mounted"},
		{"mount.mounted", true, data.M("name", dir, "device", "tmpfs", "fstype", "tmpfs", "mount", false, "persist", false), true, dir + " would not be mounted"},
		{"mount.unmounted", false, data.M("name", ""), false, "Must provide name to mount.unmounted"},
		{"mount.unmounted", false, data.M("name", missing), true, "Target was already unmounted"},
		{"mount.unmounted", false, data.M("name", missing, "persist", true, "config", filepath.Join(dir, "fstab")), true, "Target was already unmounted. fstab entry not found"},
		{"mount.unmounted", true, data.M("name", "/"), nil, "Mount point / is mounted but should not be"},
	}
	for _, tc := range tests {
		ret := statetest.Apply(t, nil, tc.fun, state.Chunk{Test: tc.test}, tc.kw)
		r, _ := ret.Get("result")
		c, _ := ret.Get("comment")
		if r != tc.result || c != tc.comment {
			t.Errorf("%s %v: result %v comment %q; want %v %q", tc.fun, tc.kw, r, c, tc.result, tc.comment)
		}
	}
}
