package user_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/state/statetest"

	"github.com/saltgo/saltgo/data"
	_ "github.com/saltgo/saltgo/modules/cmd"
	_ "github.com/saltgo/saltgo/modules/group"
	_ "github.com/saltgo/saltgo/modules/user"
	"github.com/saltgo/saltgo/modules/user/acctest"
	"github.com/saltgo/saltgo/state"
	"github.com/saltgo/saltgo/states/user"
)

func apply(t *testing.T, fun string, test bool, kw *data.Map) *data.Map {
	return statetest.Apply(t, nil, fun, state.Chunk{Test: test}, kw)
}

// TestUserStates runs user.present/absent in sequence against a private
// account root (the states' root hook, root= on every execution call):
// each return equals Salt's; test=True steps leave the root's passwd and
// group files byte-identical; the host's account files never change.
func TestUserStates(t *testing.T) {
	root := acctest.New(t)
	defer user.SetRoot(root)()
	const hash1 = "$6$abc$QgYx0aN2cm3zlvX8.eAsyPw3rD0nNtTPv1M5Uq2oGb8Tf6KcTqE7m9u2dR0cY8hV3dP1sA6jL9wQ4eR7tY0uI1"
	const hash2 = "$6$def$Zk7Lp0aN2cm3zlvX8.eAsyPw3rD0nNtTPv1M5Uq2oGb8Tf6KcTqE7m9u2dR0cY8hV3dP1sA6jL9wQ4eR7tY0uI1"
	const info = `{'gid': 1500, 'groups': ['alice', 'staff'], 'home': '/home/alice', 'name': 'alice', 'passwd': 'x', 'shell': '/bin/sh', 'uid': 1500, 'fullname': 'Alice', 'roomnumber': '', 'workphone': '', 'homephone': '', 'other': ''}`
	steps := []struct {
		fun  string
		test bool
		kw   *data.Map
		want string
	}{
		{"user.present", true, data.M("name", "alice", "uid", 1500, "shell", "/bin/sh", "groups", []any{"staff"}),
			`{'name': 'alice', 'changes': {}, 'result': None, 'comment': 'User alice set to be added'}`},
		{"user.present", false, data.M("name", "bob", "groups", []any{"staff", "wheel", "ops"}),
			`{'name': 'bob', 'changes': {}, 'result': False, 'comment': 'The following group(s) are not present: wheel,ops'}`},
		{"user.present", false, data.M("name", "alice", "uid", 1500, "shell", "/bin/sh", "home", "/home/alice", "fullname", "Alice", "groups", []any{"staff"}, "password", hash1),
			`{'name': 'alice', 'changes': ` + info[:len(info)-1] + `, 'password': 'XXX-REDACTED-XXX'}, 'result': True, 'comment': 'New user alice created'}`},
		{"user.present", false, data.M("name", "alice", "uid", 1500, "shell", "/bin/sh", "home", "/home/alice", "fullname", "Alice", "groups", []any{"staff"}),
			`{'name': 'alice', 'changes': {}, 'result': True, 'comment': 'User alice is present and up to date'}`},
		{"user.present", true, data.M("name", "alice", "password", hash2),
			"{'name': 'alice', 'changes': {}, 'result': None, 'comment': 'The following user attributes are set to be changed:\\npasswd: XXX-REDACTED-XXX\\n'}"},
		{"user.present", false, data.M("name", "alice", "password", hash2),
			`{'name': 'alice', 'changes': {'passwd': 'XXX-REDACTED-XXX'}, 'result': True, 'comment': 'Updated user alice'}`},
		{"user.present", false, data.M("name", "alice", "password", hash2),
			`{'name': 'alice', 'changes': {}, 'result': True, 'comment': 'User alice is present and up to date'}`},
		{"user.present", false, data.M("name", "carol", "gid", "nosuchgroup", "createhome", false),
			`{'name': 'carol', 'changes': {}, 'result': False, 'comment': 'Failed to create new user carol'}`},
		{"user.present", false, data.M("name", "dave", "gid", "staff", "createhome", false, "system", true, "shell", "/bin/sh"),
			`{'name': 'dave', 'changes': {'gid': 50, 'groups': ['staff'], 'home': '', 'name': 'dave', 'passwd': 'x', 'shell': '/bin/sh', 'uid': 999, 'fullname': '', 'roomnumber': '', 'workphone': '', 'homephone': '', 'other': ''}, 'result': True, 'comment': 'New user dave created'}`},
		{"user.present", false, data.M("name", "dave", "gid", "staff", "createhome", false),
			`{'name': 'dave', 'changes': {}, 'result': True, 'comment': 'User dave is present and up to date'}`},
		{"user.present", false, data.M("name", "dave", "gid", 2000),
			"{'name': 'dave', 'changes': {}, 'result': False, 'comment': 'Encountered error checking for needed changes. Additional info follows:\\n\\n- Changing gid (50 -> 2000) not permitted, set allow_gid_change to True to force this change. Note that this will not change file ownership.'}"},
		{"user.present", true, data.M("name", "alice", "shell", "/bin/bash", "groups", []any{"staff", "users"}),
			"{'name': 'alice', 'changes': {}, 'result': None, 'comment': \"The following user attributes are set to be changed:\\ngroups: ['staff', 'users']\\nshell: /bin/bash\\n\"}"},
		{"user.present", false, data.M("name", "alice", "shell", "/bin/bash", "home", "/home/al", "groups", []any{"staff", "users"}),
			`{'name': 'alice', 'changes': {'groups': ['alice', 'staff', 'users'], 'home': '/home/al', 'shell': '/bin/bash'}, 'result': True, 'comment': 'Updated user alice'}`},
		{"user.present", false, data.M("name", "alice", "uid", 1501),
			"{'name': 'alice', 'changes': {}, 'result': False, 'comment': 'Encountered error checking for needed changes. Additional info follows:\\n\\n- Changing uid (1500 -> 1501) not permitted, set allow_uid_change to True to force this change. Note that this will not change file ownership.'}"},
		{"user.present", false, data.M("name", "alice", "uid", 1501, "allow_uid_change", true),
			`{'name': 'alice', 'changes': {'uid': 1501}, 'result': True, 'comment': 'Updated user alice'}`},
		// a missing optional group is skipped; remove_groups=False keeps the others
		{"user.present", false, data.M("name", "alice", "optional_groups", []any{"bin", "nosuch"}, "remove_groups", false),
			`{'name': 'alice', 'changes': {'groups': ['alice', 'bin', 'staff', 'users']}, 'result': True, 'comment': 'Updated user alice'}`},
		{"user.present", false, data.M("name", "alice", "groups", []any{"users"}),
			`{'name': 'alice', 'changes': {'groups': ['alice', 'users']}, 'result': True, 'comment': 'Updated user alice'}`},
		{"user.present", false, data.M("name", "alice", "roomnumber", "12", "other", "x y"),
			`{'name': 'alice', 'changes': {'roomnumber': '12', 'other': 'x y'}, 'result': True, 'comment': 'Updated user alice'}`},
		{"user.present", false, data.M("name", "alice", "fullname", "A, B"),
			`{'name': 'alice', 'changes': {}, 'result': False, 'comment': "Unsupported char ',' in A, B"}`},
		{"user.absent", true, data.M("name", "alice"),
			`{'name': 'alice', 'changes': {}, 'result': None, 'comment': 'User alice set for removal'}`},
		{"user.absent", false, data.M("name", "alice", "purge", true),
			`{'name': 'alice', 'changes': {'alice group': 'removed', 'alice': 'removed'}, 'result': True, 'comment': 'Removed user alice'}`},
		{"user.absent", false, data.M("name", "alice"),
			`{'name': 'alice', 'changes': {}, 'result': True, 'comment': 'User alice is not present'}`},
	}
	for i, s := range steps {
		before := snapshot(t, root)
		got := data.Repr(apply(t, s.fun, s.test, s.kw))
		if got != s.want {
			t.Fatalf("step %d %s test=%v:\n got %s\nwant %s", i, s.fun, s.test, got, s.want)
		}
		if s.test && snapshot(t, root) != before {
			t.Fatalf("step %d: test=True changed the root's account files", i)
		}
		if i == 2 && !strings.Contains(snapshot(t, root), "alice:"+hash1+":") {
			t.Fatalf("the root's shadow file does not hold alice's hash")
		}
	}
}

func snapshot(t *testing.T, root string) string {
	t.Helper()
	var s string
	for _, f := range []string{"passwd", "group", "shadow", "gshadow"} {
		b, err := os.ReadFile(filepath.Join(root, "etc", f))
		if err != nil {
			t.Fatal(err)
		}
		s += string(b)
	}
	return s
}
