package host_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/state/statetest"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	_ "github.com/saltgo/saltgo/modules/hosts"
	"github.com/saltgo/saltgo/state"
	_ "github.com/saltgo/saltgo/states/host"
)

func apply(t *testing.T, env *host.Env, fun string, test bool, kw *data.Map) *data.Map {
	return statetest.Apply(t, env, fun, state.Chunk{Test: test}, kw)
}

// TestHostStates runs host.present/absent/only in sequence on a hosts file
// in a temp dir (the hosts.file option): each return equals Salt's
// (salt/states/host.py), the file is edited as salt/modules/hosts.py
// edits it, and test=True steps leave it byte-identical.
func TestHostStates(t *testing.T) {
	hf := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(hf, []byte("# static table\n127.0.0.1\tlocalhost\n10.0.0.5\told.example  # legacy\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := &host.Env{ID: "minion1", Opts: data.M("hosts.file", hf), Grains: data.NewMap(), Pillar: data.NewMap()}
	steps := []struct {
		fun  string
		test bool
		kw   *data.Map
		want string
		file string // "" = unchanged
	}{
		{"host.present", true, data.M("name", "web.example", "ip", "192.0.2.10"),
			`{'name': 'web.example', 'changes': {'added': {'192.0.2.10': ['web.example']}}, 'result': None, 'comment': 'Host web.example (192.0.2.10) would be added'}`, ""},
		{"host.present", false, data.M("name", "web.example", "ip", "192.0.2.10", "comment", "web"),
			`{'name': 'web.example', 'changes': {'added': {'192.0.2.10': ['web.example']}, 'comment_added': {'192.0.2.10': ['web']}}, 'result': True, 'comment': 'Added host web.example (192.0.2.10)\nSet comment for host 192.0.2.10 (web)'}`,
			"# static table\n127.0.0.1\t\tlocalhost\n10.0.0.5\t\told.example\t\t# legacy\n192.0.2.10\t\tweb.example\t\t# web\n"},
		{"host.present", false, data.M("name", "web.example", "ip", "192.0.2.10", "comment", "web"),
			`{'name': 'web.example', 'changes': {}, 'result': True, 'comment': 'Host web.example (192.0.2.10) already present'}`, ""},
		{"host.present", false, data.M("name", "web.example", "ip", []any{"192.0.2.11"}),
			`{'name': 'web.example', 'changes': {'added': {'192.0.2.11': ['web.example']}}, 'result': True, 'comment': 'Added host web.example (192.0.2.11)', 'warnings': ["Host web.example present for IP address 192.0.2.10. To get rid of this warning, either run this state with 'clean' set to True to remove web.example from 192.0.2.10, or add 192.0.2.10 to the 'ip' argument."]}`,
			"# static table\n127.0.0.1\t\tlocalhost\n10.0.0.5\t\told.example\t\t# legacy\n192.0.2.10\t\tweb.example\t\t# web\n192.0.2.11\t\tweb.example\n"},
		{"host.present", false, data.M("name", "web.example", "ip", "192.0.2.11", "clean", true),
			`{'name': 'web.example', 'changes': {'removed': {'192.0.2.10': ['web.example']}}, 'result': True, 'comment': 'Host web.example (192.0.2.11) already present\nRemoved host web.example (192.0.2.10)'}`,
			"# static table\n127.0.0.1\t\tlocalhost\n10.0.0.5\t\told.example\t\t# legacy\n192.0.2.11\t\tweb.example\n"},
		{"host.absent", true, data.M("name", "old.example", "ip", "10.0.0.5"),
			`{'name': 'old.example', 'changes': {}, 'result': None, 'comment': 'Host old.example (10.0.0.5) needs to be removed'}`, ""},
		{"host.absent", false, data.M("name", "old.example", "ip", []any{"10.0.0.5", "10.0.0.6"}),
			`{'name': 'old.example', 'changes': {'host': 'old.example'}, 'result': True, 'comment': 'Removed host old.example (10.0.0.5)\nHost old.example (10.0.0.6) already absent'}`,
			"# static table\n127.0.0.1\t\tlocalhost\n192.0.2.11\t\tweb.example\n"},
		{"host.only", true, data.M("name", "127.0.0.1", "hostnames", []any{"localhost", "minion1"}),
			`{'name': '127.0.0.1', 'changes': {}, 'result': None, 'comment': 'Would change 127.0.0.1 from "localhost" to "localhost minion1"'}`, ""},
		{"host.only", false, data.M("name", "127.0.0.1", "hostnames", []any{"localhost", "minion1"}),
			`{'name': '127.0.0.1', 'changes': {'127.0.0.1': {'old': 'localhost', 'new': 'localhost minion1'}}, 'result': True, 'comment': 'successfully changed 127.0.0.1 from "localhost" to "localhost minion1"'}`,
			"# static table\n127.0.0.1\t\tlocalhost minion1\n192.0.2.11\t\tweb.example\n"},
		{"host.only", false, data.M("name", "127.0.0.1", "hostnames", "localhost minion1"),
			`{'name': '127.0.0.1', 'changes': {}, 'result': True, 'comment': 'IP address 127.0.0.1 already set to "localhost minion1"'}`, ""},
	}
	for i, s := range steps {
		before, err := os.ReadFile(hf)
		if err != nil {
			t.Fatal(err)
		}
		if got := data.Repr(apply(t, env, s.fun, s.test, s.kw)); got != s.want {
			t.Errorf("step %d %s %v test=%v:\n got %s\nwant %s", i, s.fun, s.kw, s.test, got, s.want)
		}
		after, err := os.ReadFile(hf)
		if err != nil {
			t.Fatal(err)
		}
		want := s.file
		if want == "" {
			want = string(before)
		}
		if string(after) != want {
			t.Errorf("step %d %s: hosts file =\n%q\nwant\n%q", i, s.fun, after, want)
		}
	}
}

// A hosts file that cannot be read fails the states with the reason,
// and an address in the file that is not an IP is reported, not added to.
func TestHostBadInput(t *testing.T) {
	dir := t.TempDir()
	env := &host.Env{ID: "minion1", Opts: data.M("hosts.file", dir), Grains: data.NewMap(), Pillar: data.NewMap()}
	for _, fun := range []string{"host.present", "host.absent"} {
		r := apply(t, env, fun, false, data.M("name", "a.example", "ip", "192.0.2.1"))
		if data.Repr(field(r, "result")) != "False" || !strings.Contains(data.Str(field(r, "comment")), dir) {
			t.Errorf("%s on a directory = %s, want result False naming %s", fun, data.Repr(r), dir)
		}
	}
	hf := filepath.Join(dir, "hosts")
	if err := os.WriteFile(hf, []byte("bogus\tb.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env.Opts.Set("hosts.file", hf)
	got := data.Repr(apply(t, env, "host.present", true, data.M("name", "c.example", "ip", []any{"bogus"})))
	if want := `{'name': 'c.example', 'changes': {}, 'result': False, 'comment': 'Invalid IP Address for c.example (bogus)'}`; got != want {
		t.Errorf("present on a non-IP entry = %s, want %s", got, want)
	}
}

func field(m *data.Map, k string) any {
	v, _ := m.Get(k)
	return v
}
