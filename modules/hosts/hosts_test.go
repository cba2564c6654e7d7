package hosts_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	_ "github.com/saltgo/saltgo/modules/hosts"
)

// TestHostsFunctions calls the hosts functions on a temp hosts file (the
// hosts.file option) and checks their returns and the file as Salt's
// salt/modules/hosts.py leaves it.
func TestHostsFunctions(t *testing.T) {
	dir := t.TempDir()
	hf := filepath.Join(dir, "hosts")
	if err := os.WriteFile(hf, []byte("# c1\n127.0.0.1 localhost lh # loop\n\n::1 ip6-localhost\n127.0.0.1 again"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := &host.Env{ID: "minion1", Opts: data.M("hosts.file", hf), Pillar: data.NewMap()}
	cases := []struct {
		fun  string
		args []any
		want string
		file string // "" = unchanged
	}{
		{"hosts.list_hosts", nil, `{'comment-0': ['# c1'], '127.0.0.1': {'aliases': ['localhost', 'lh', 'again'], 'comment': 'loop'}, '::1': {'aliases': ['ip6-localhost']}}`, ""},
		{"hosts.get_ip", []any{"lh"}, `'127.0.0.1'`, ""},
		{"hosts.get_ip", []any{"nope"}, `''`, ""},
		{"hosts.get_alias", []any{"10.1.1.1"}, `[]`, ""},
		{"hosts.has_pair", []any{"127.0.0.1", []any{"lh", "again"}}, `True`, ""},
		{"hosts.has_pair", []any{"10.1.1.1", "lh"}, `False`, ""},
		{"hosts.set_comment", []any{"10.1.1.1", "x"}, `False`, ""},
		{"hosts.set_host", []any{"127.0.0.1", "localhost"}, `True`, "# c1\n127.0.0.1\t\tlocalhost\n\n::1 ip6-localhost\n"},
		{"hosts.rm_host", []any{"::1", "ip6-localhost"}, `True`, "# c1\n127.0.0.1\t\tlocalhost\n\n"},
		{"hosts.set_host", []any{"127.0.0.1", " "}, `True`, "# c1\n\n"},
	}
	for _, tc := range cases {
		before, _ := os.ReadFile(hf)
		r := host.Run(context.Background(), env, host.Request{Kind: host.Exec, Fun: tc.fun, Args: tc.args})
		if r.Err != nil {
			t.Fatalf("%s: %v", tc.fun, r.Err)
		}
		if got := data.Repr(r.Return); got != tc.want {
			t.Errorf("%s%v = %s, want %s", tc.fun, tc.args, got, tc.want)
		}
		after, _ := os.ReadFile(hf)
		want := tc.file
		if want == "" {
			want = string(before)
		}
		if string(after) != want {
			t.Errorf("%s%v: file = %q, want %q", tc.fun, tc.args, after, want)
		}
	}
	st, err := os.Stat(hf)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("hosts file mode after edits = %v, want 0600 (kept)", st.Mode().Perm())
	}
	// A missing hosts file lists as empty and is created by add_host.
	env.Opts.Set("hosts.file", filepath.Join(dir, "new"))
	r := host.Run(context.Background(), env, host.Request{Kind: host.Exec, Fun: "hosts.add_host", Args: []any{"192.0.2.1", "a"}})
	if r.Err != nil || r.Return != true {
		t.Fatalf("add_host on a missing file = %v, %v", r.Return, r.Err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "new")); string(b) != "192.0.2.1\t\ta\n" {
		t.Errorf("new hosts file = %q", b)
	}
}
