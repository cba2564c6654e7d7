package provision_test

import (
	"strings"
	"testing"

	"github.com/saltgo/saltgo/lxc/provision"
)

func TestParseHighstate(t *testing.T) {
	const two = `{"local": {
 "file_|-b_|-/b_|-managed": {"name": "/b", "result": false, "comment": "Source file salt://b not found in saltenv 'base'", "changes": {}, "__id__": "b", "__run_num__": 1},
 "cmd_|-a_|-echo a_|-run": {"name": "echo a", "result": true, "comment": "Command \"echo a\" run", "changes": {"retcode": 0}, "__id__": "a", "__run_num__": 0},
 "test_|-c_|-c_|-nop": {"name": "c", "result": true, "comment": ["one", "two"], "changes": {}, "__run_num__": 2}
}}`
	for _, tc := range []struct {
		name, out                 string
		keys                      []string
		succeeded, changed        int
		failed, errors, parseFail string
	}{
		{name: "states in run order", out: two,
			keys:      []string{"cmd_|-a_|-echo a_|-run", "file_|-b_|-/b_|-managed", "test_|-c_|-c_|-nop"},
			succeeded: 2, changed: 1, failed: "b (file.managed /b): Source file salt://b not found in saltenv 'base'"},
		{name: "render errors", out: `{"local": ["Rendering SLS 'base:web' failed: mapping values are not allowed here", "second"]}`,
			errors: "Rendering SLS 'base:web' failed: mapping values are not allowed here|second"},
		{name: "error string", out: `{"local": "'state.highstate' is not available."}`, errors: "'state.highstate' is not available."},
		{name: "empty", out: "", parseFail: "empty output"},
		{name: "not json", out: "Minion failed to authenticate with the master\n", parseFail: "not a JSON object"},
		{name: "no local", out: `{"minion1": {}}`, parseFail: `no "local" key`},
		{name: "bad state", out: `{"local": {"x": 3}}`, parseFail: "state x: return is int64, not a mapping"},
		{name: "bad return", out: `{"local": 3}`, parseFail: "neither state returns nor errors"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := provision.ParseHighstate([]byte(tc.out))
			if tc.parseFail != "" {
				if err == nil || !strings.Contains(err.Error(), tc.parseFail) {
					t.Fatalf("err %v, want %q", err, tc.parseFail)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(h.Errors, "|"); got != tc.errors {
				t.Errorf("errors %q, want %q", got, tc.errors)
			}
			var keys []string
			for _, k := range h.States.Keys() {
				keys = append(keys, k.(string))
			}
			if strings.Join(keys, ",") != strings.Join(tc.keys, ",") {
				t.Errorf("keys %q, want %q", keys, tc.keys)
			}
			var failed []string
			for _, f := range h.Failed {
				failed = append(failed, f.String())
			}
			if got := strings.Join(failed, "|"); got != tc.failed || h.Succeeded != tc.succeeded || h.Changed != tc.changed {
				t.Errorf("failed %q succeeded %d changed %d, want %q %d %d", got, h.Succeeded, h.Changed, tc.failed, tc.succeeded, tc.changed)
			}
		})
	}
}
