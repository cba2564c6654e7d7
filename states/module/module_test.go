package module_test

import (
	"testing"

	"github.com/saltgo/saltgo/state/statetest"

	"github.com/saltgo/saltgo/data"
	_ "github.com/saltgo/saltgo/modules/test"
	"github.com/saltgo/saltgo/state"
	_ "github.com/saltgo/saltgo/states/module"
)

func apply(t *testing.T, fun string, test bool, kw *data.Map) *data.Map {
	return statetest.Apply(t, nil, fun, state.Chunk{Test: test}, kw)
}

// TestModuleRun checks module.run's returns, in both syntaxes, against
// what salt/states/module.py (3007) gives for the same arguments: the
// syntax chosen from the keywords, test=True calling nothing, the result
// from the function's return, argument errors as failed states.
func TestModuleRun(t *testing.T) {
	cases := []struct {
		what string
		test bool
		kw   *data.Map
		want string
	}{
		{"new, test=True", true, data.M("name", "run1", "test.echo", []any{"hi"}),
			`{'name': ['test.echo'], 'changes': {}, 'comment': 'Function test.echo to be executed.', 'result': None}`},
		{"new", false, data.M("name", "run1", "test.echo", []any{"hi"}),
			`{'name': ['test.echo'], 'changes': {'test.echo': 'hi'}, 'comment': 'test.echo: hi', 'result': True}`},
		{"new, keyword in the list", false, data.M("name", "run1", "test.echo", []any{data.M("text", "hey")}),
			`{'name': ['test.echo'], 'changes': {'test.echo': 'hey'}, 'comment': 'test.echo: hey', 'result': True}`},
		{"new, no arguments", false, data.M("name", "run1", "test.ping", nil),
			`{'name': ['test.ping'], 'changes': {'test.ping': True}, 'comment': 'test.ping: True', 'result': True}`},
		{"new, a false return fails", false, data.M("name", "run1", "test.echo", []any{"hi"}, "test.false", nil),
			`{'name': ['test.echo', 'test.false'], 'changes': {'test.echo': 'hi'}, 'comment': "'test.false': False, test.echo: hi", 'result': False}`},
		{"new, two unavailable", false, data.M("name", "run1", "nope.a", nil, "test.ping", nil, "nope.b", nil),
			`{'name': ['nope.a', 'test.ping', 'nope.b'], 'changes': {}, 'comment': 'Unavailable functionTrue: nope.a, nope.b.', 'result': False}`},
		{"new, unavailable with test=True", true, data.M("name", "run1", "nope.a", nil, "test.ping", nil),
			`{'name': ['nope.a', 'test.ping'], 'changes': {}, 'comment': 'Unavailable function: nope.a. Function test.ping to be executed.', 'result': False}`},
		{"new, missing argument", false, data.M("name", "run1", "test.echo", []any{}),
			`{'name': ['test.echo'], 'changes': {}, 'comment': "'test.echo' failed: Missing arguments: text", 'result': False}`},
		{"new, a suffix to call twice", false, data.M("name", "run1", "test.echo:one", []any{"a"}, "test.echo:two", []any{"b"}),
			`{'name': ['test.echo:one', 'test.echo:two'], 'changes': {'test.echo:one': 'a', 'test.echo:two': 'b'}, 'comment': 'test.echo:one: a, test.echo:two: b', 'result': True}`},
		{"new, a key=value string stays positional", false, data.M("name", "run1", "test.echo", []any{"a=b"}),
			`{'name': ['test.echo'], 'changes': {'test.echo': 'a=b'}, 'comment': 'test.echo: a=b', 'result': True}`},
		{"legacy, test=True", true, data.M("name", "test.echo", "text", "hi"),
			`{'name': 'test.echo', 'changes': {}, 'comment': 'Module function test.echo is set to execute', 'result': None}`},
		{"legacy", false, data.M("name", "test.echo", "text", "hi"),
			`{'name': 'test.echo', 'changes': {'ret': 'hi'}, 'comment': 'Module function test.echo executed', 'result': True}`},
		{"legacy, name only", false, data.M("name", "test.ping"),
			`{'name': 'test.ping', 'changes': {'ret': True}, 'comment': 'Module function test.ping executed', 'result': True}`},
		{"legacy, false return", false, data.M("name", "test.false"),
			`{'name': 'test.false', 'changes': {'ret': False}, 'comment': 'Module function test.false executed', 'result': False}`},
		{"legacy, m_name and args", false, data.M("name", "test.raise_exception", "m_name", "CommandExecutionError", "args", []any{"boom"}),
			`{'name': 'test.raise_exception', 'changes': {}, 'comment': 'Module function test.raise_exception threw an exception. Exception: boom', 'result': False}`},
		{"legacy, missing", false, data.M("name", "test.echo", "txt", "hi"),
			`{'name': 'test.echo', 'changes': {}, 'comment': 'The following arguments are missing: text', 'result': False}`},
		{"legacy, unavailable", false, data.M("name", "nope.fun", "x", 1),
			`{'name': 'nope.fun', 'changes': {}, 'comment': 'Module function nope.fun is not available', 'result': False}`},
		{"legacy, args not a list", false, data.M("name", "test.arg", "args", "a"),
			`{'name': 'test.arg', 'changes': {}, 'comment': "'args' must be a list.", 'result': False}`},
		{"legacy, kwargs not a dict", false, data.M("name", "test.arg", "kwargs", "a"),
			`{'name': 'test.arg', 'changes': {}, 'comment': "'kwargs' must be a dict.", 'result': False}`},
		{"legacy, kwargs", false, data.M("name", "test.kwarg", "kwargs", data.M("k", "v")),
			`{'name': 'test.kwarg', 'changes': {'ret': {'k': 'v'}}, 'comment': 'Module function test.kwarg executed', 'result': True}`},
	}
	for _, tc := range cases {
		got := data.Repr(apply(t, "module.run", tc.test, tc.kw))
		if got != tc.want {
			t.Errorf("%s: %v\n got %s\nwant %s", tc.what, tc.kw, got, tc.want)
		}
	}
}

// module.wait does nothing by itself; the engine calls mod_watch (run).
func TestModuleWait(t *testing.T) {
	got := data.Repr(apply(t, "module.wait", false, data.M("name", "test.echo", "text", "hi")))
	if want := `{'name': 'test.echo', 'changes': {}, 'result': True, 'comment': ''}`; got != want {
		t.Errorf("module.wait = %s, want %s", got, want)
	}
	got = data.Repr(apply(t, "module.mod_watch", false, data.M("name", "test.echo", "text", "hi", "sfun", "wait")))
	if want := `{'name': 'test.echo', 'changes': {'ret': 'hi'}, 'comment': 'Module function test.echo executed', 'result': True}`; got != want {
		t.Errorf("module.mod_watch = %s, want %s", got, want)
	}
}
