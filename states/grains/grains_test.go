package grains_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/saltgo/saltgo/state/statetest"

	"github.com/saltgo/saltgo/data"
	grainspkg "github.com/saltgo/saltgo/grains"
	"github.com/saltgo/saltgo/host"
	_ "github.com/saltgo/saltgo/modules/grains"
	"github.com/saltgo/saltgo/state"
	_ "github.com/saltgo/saltgo/states/grains"
)

func apply(t *testing.T, env *host.Env, fun string, test bool, kw *data.Map) *data.Map {
	return statetest.Apply(t, env, fun, state.Chunk{Test: test}, kw)
}

// TestGrainsStates runs the grains states in sequence against a grains
// file in a temp dir (conf_file's sibling "grains", as Salt finds it):
// each return equals Salt's (salt/states/grains.py), the file holds what
// grains.setval would write, and test=True steps leave it byte-identical.
func TestGrainsStates(t *testing.T) {
	dir := t.TempDir()
	gfile := filepath.Join(dir, "grains")
	if err := os.WriteFile(gfile, []byte("roles:\n- web\nold: 1\nnested:\n  a: b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := &host.Env{ID: "minion1", Opts: data.M("conf_file", filepath.Join(dir, "minion")),
		Grains: data.M("roles", []any{"web"}, "old", int64(1), "nested", data.M("a", "b"), "os", "Debian"), Pillar: data.NewMap()}
	steps := []struct {
		fun  string
		test bool
		kw   *data.Map
		want string
		file string // the grains file read back, keys sorted ("" = byte-identical)
	}{
		{"grains.present", true, data.M("name", "cheese", "value", "edam"),
			`{'name': 'cheese', 'changes': {'new': 'cheese'}, 'result': None, 'comment': 'Grain cheese is set to be added'}`, ""},
		{"grains.present", false, data.M("name", "cheese", "value", "edam"),
			`{'name': 'cheese', 'changes': {'cheese': 'edam'}, 'result': True, 'comment': 'Set grain cheese to edam'}`,
			`{'cheese': 'edam', 'nested': {'a': 'b'}, 'old': 1, 'roles': ['web']}`},
		{"grains.present", false, data.M("name", "cheese", "value", "edam"),
			`{'name': 'cheese', 'changes': {}, 'result': True, 'comment': 'Grain is already set'}`, ""},
		{"grains.present", true, data.M("name", "cheese", "value", "brie"),
			`{'name': 'cheese', 'changes': {'changed': {'cheese': 'brie'}}, 'result': None, 'comment': 'Grain cheese is set to be changed'}`, ""},
		{"grains.present", false, data.M("name", "nested,c", "value", "d", "delimiter", ","),
			`{'name': 'nested:c', 'changes': {'nested': {'a': 'b', 'c': 'd'}}, 'result': True, 'comment': 'Set grain nested:c to d'}`,
			`{'cheese': 'edam', 'nested': {'a': 'b', 'c': 'd'}, 'old': 1, 'roles': ['web']}`},
		{"grains.present", false, data.M("name", "roles", "value", "db"),
			`{'name': 'roles', 'changes': {}, 'result': False, 'comment': "The key 'roles' exists but is a dict or a list. Use 'force=True' to overwrite."}`, ""},
		{"grains.list_present", true, data.M("name", "roles", "value", []any{"web", "db"}),
			`{'name': 'roles', 'changes': {'new': ['web']}, 'result': None, 'comment': "Value ['db'] is set to be appended to grain roles"}`, ""},
		{"grains.list_present", false, data.M("name", "roles", "value", []any{"web", "db"}),
			`{'name': 'roles', 'changes': {'new': {'roles': ['web', 'db']}}, 'result': True, 'comment': 'Removed value [\'web\'] from update due to value found in "roles".\nAppend value [\'db\'] to grain roles'}`,
			`{'cheese': 'edam', 'nested': {'a': 'b', 'c': 'd'}, 'old': 1, 'roles': ['web', 'db']}`},
		{"grains.list_present", false, data.M("name", "roles", "value", "db"),
			`{'name': 'roles', 'changes': {}, 'result': True, 'comment': 'Value db is already in grain roles'}`, ""},
		{"grains.list_present", false, data.M("name", "cheese", "value", "x"),
			`{'name': 'cheese', 'changes': {}, 'result': False, 'comment': 'Grain cheese is not a valid list'}`, ""},
		{"grains.list_present", true, data.M("name", "apps", "value", "x"),
			`{'name': 'apps', 'changes': {'new': ''}, 'result': None, 'comment': 'Grain apps is set to be added'}`, ""},
		{"grains.list_absent", true, data.M("name", "roles", "value", []any{"db", "mail"}),
			`{'name': 'roles', 'changes': {'deleted': ['db']}, 'result': None, 'comment': 'Value db in grain roles is set to be deleted\nValue mail is absent from grain roles'}`, ""},
		{"grains.list_absent", false, data.M("name", "roles", "value", "db"),
			`{'name': 'roles', 'changes': {'deleted': ['db']}, 'result': True, 'comment': 'Value db was deleted from grain roles'}`,
			`{'cheese': 'edam', 'nested': {'a': 'b', 'c': 'd'}, 'old': 1, 'roles': ['web']}`},
		{"grains.list_absent", false, data.M("name", "nope", "value", "db"),
			`{'name': 'nope', 'changes': {}, 'result': True, 'comment': 'Grain nope does not exist'}`, ""},
		{"grains.absent", true, data.M("name", "old"),
			`{'name': 'old', 'changes': {'grain': 'old', 'value': None}, 'result': None, 'comment': 'Value for grain old is set to be deleted (None)'}`, ""},
		{"grains.absent", false, data.M("name", "old"),
			`{'name': 'old', 'changes': {'grain': 'old', 'value': None}, 'result': True, 'comment': 'Value for grain old was set to None'}`,
			`{'cheese': 'edam', 'nested': {'a': 'b', 'c': 'd'}, 'old': None, 'roles': ['web']}`},
		{"grains.absent", false, data.M("name", "old"),
			`{'name': 'old', 'changes': {}, 'result': True, 'comment': 'Grain is already set'}`, ""},
		{"grains.absent", true, data.M("name", "cheese", "destructive", true),
			`{'name': 'cheese', 'changes': {'deleted': 'cheese'}, 'result': None, 'comment': 'Grain cheese is set to be deleted'}`, ""},
		{"grains.absent", false, data.M("name", "cheese", "destructive", true),
			`{'name': 'cheese', 'changes': {'deleted': 'cheese'}, 'result': True, 'comment': 'Grain cheese was deleted'}`,
			`{'nested': {'a': 'b', 'c': 'd'}, 'old': None, 'roles': ['web']}`},
		{"grains.absent", false, data.M("name", "cheese"),
			`{'name': 'cheese', 'changes': {}, 'result': True, 'comment': 'Grain cheese does not exist'}`, ""},
	}
	for i, s := range steps {
		before, err := os.ReadFile(gfile)
		if err != nil {
			t.Fatal(err)
		}
		got := data.Repr(apply(t, env, s.fun, s.test, s.kw))
		if got != s.want {
			t.Errorf("step %d %s %v test=%v:\n got %s\nwant %s", i, s.fun, s.kw, s.test, got, s.want)
		}
		after, err := os.ReadFile(gfile)
		if err != nil {
			t.Fatal(err)
		}
		if s.file == "" {
			if string(after) != string(before) {
				t.Errorf("step %d %s: grains file changed:\n%s\nwas\n%s", i, s.fun, after, before)
			}
			continue
		}
		g, err := grainspkg.ReadGrainsFile(gfile)
		if err != nil {
			t.Fatal(err)
		}
		if got := data.Repr(sorted(g)); got != s.file {
			t.Errorf("step %d %s: grains file = %s, want %s", i, s.fun, got, s.file)
		}
	}
}

func sorted(m *data.Map) *data.Map {
	out := data.NewMap()
	for _, k := range m.SortedKeys() {
		v, _ := m.Get(k)
		if sub, ok := v.(*data.Map); ok {
			v = sorted(sub)
		}
		out.Set(k, v)
	}
	return out
}
