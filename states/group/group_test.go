package group_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/saltgo/saltgo/state/statetest"

	"github.com/saltgo/saltgo/data"
	_ "github.com/saltgo/saltgo/modules/cmd"
	_ "github.com/saltgo/saltgo/modules/group"
	_ "github.com/saltgo/saltgo/modules/user"
	"github.com/saltgo/saltgo/modules/user/acctest"
	"github.com/saltgo/saltgo/state"
	"github.com/saltgo/saltgo/states/group"
)

func apply(t *testing.T, fun string, test bool, kw *data.Map) *data.Map {
	return statetest.Apply(t, nil, fun, state.Chunk{Test: test}, kw)
}

// TestGroupStates runs group.present/absent in sequence against a private
// account root: each return equals Salt's, test=True changes nothing, and
// the host's account files never change (acctest).
func TestGroupStates(t *testing.T) {
	root := acctest.New(t)
	defer group.SetRoot(root)()
	steps := []struct {
		fun  string
		test bool
		kw   *data.Map
		want string
	}{
		{"group.present", true, data.M("name", "devs", "gid", 2000),
			`{'name': 'devs', 'changes': {}, 'result': None, 'comment': 'Group devs set to be added'}`},
		{"group.present", false, data.M("name", "devs", "gid", 50),
			`{'name': 'devs', 'changes': {}, 'result': False, 'comment': 'Group devs is not present but gid 50 is already taken by group staff'}`},
		{"group.present", false, data.M("name", "devs", "gid", 2000, "members", []any{"root", "bin"}),
			`{'name': 'devs', 'changes': {'name': 'devs', 'passwd': 'x', 'gid': 2000, 'members': ['root', 'bin']}, 'result': True, 'comment': 'New group devs created'}`},
		{"group.present", false, data.M("name", "devs", "gid", 2000, "members", []any{"root", "bin"}),
			`{'name': 'devs', 'changes': {}, 'result': True, 'comment': 'Group devs is present and up to date'}`},
		{"group.present", true, data.M("name", "devs", "addusers", []any{"daemon"}, "delusers", []any{"bin"}),
			"{'name': 'devs', 'changes': {}, 'result': None, 'comment': \"The following group attributes are set to be changed:\\naddusers: ['daemon']\\ndelusers: ['bin']\\n\"}"},
		{"group.present", false, data.M("name", "devs", "gid", 2001, "addusers", []any{"daemon"}, "delusers", []any{"bin"}),
			"{'name': 'devs', 'changes': {'Final': 'All changes applied successfully'}, 'result': True, 'comment': \"The following group attributes are set to be changed:\\ngid: 2001\\naddusers: ['daemon']\\ndelusers: ['bin']\\n\"}"},
		{"group.present", false, data.M("name", "devs", "members", []any{"root"}, "addusers", []any{"bin"}),
			`{'name': 'devs', 'changes': {}, 'result': None, 'comment': 'Error: Conflicting options "members" with "addusers" and/or "delusers" can not be used together. '}`},
		// Salt's _changes returns its error dict as the changes: reported as not applied
		{"group.present", false, data.M("name", "devs", "gid", "abc"),
			"{'name': 'devs', 'changes': {'Failed': {'result': False, 'comment': 'Invalid gid'}}, 'result': False, 'comment': 'The following group attributes are set to be changed:\\nresult: False\\ncomment: Invalid gid\\nSome changes could not be applied'}"},
		{"group.absent", true, data.M("name", "devs"),
			`{'name': 'devs', 'changes': {}, 'result': None, 'comment': 'Group devs is set for removal'}`},
		{"group.absent", false, data.M("name", "devs"),
			`{'name': 'devs', 'changes': {'devs': ''}, 'result': True, 'comment': 'Removed group devs'}`},
		{"group.absent", false, data.M("name", "devs"),
			`{'name': 'devs', 'changes': {}, 'result': True, 'comment': 'Group not present'}`},
	}
	for i, s := range steps {
		before := readGroup(t, root)
		got := data.Repr(apply(t, s.fun, s.test, s.kw))
		if got != s.want {
			t.Fatalf("step %d %s test=%v:\n got %s\nwant %s", i, s.fun, s.test, got, s.want)
		}
		if s.test && readGroup(t, root) != before {
			t.Fatalf("step %d: test=True changed the root's group file", i)
		}
	}
}

func readGroup(t *testing.T, root string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "etc/group"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
