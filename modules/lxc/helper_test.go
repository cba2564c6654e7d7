package lxc

import (
	"path/filepath"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/lxc/liblxc"
	"github.com/saltgo/saltgo/lxc/lxctest"
)

// Without the helper binary, the lxc functions are "not available" with
// the reason, the way a minion job reports them; the option lxc.helper
// points at it.
func TestNotAvailableWithoutHelper(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "saltgo-lxc-helper")
	cases := []struct {
		name   string
		env    string // SALTGO_LXC_HELPER
		opt    string // lxc.helper
		fun    string
		args   []any
		reason string
	}{
		{name: "beside saltgo", fun: "lxc.ls", reason: "beside saltgo"},
		{name: "configured", opt: missing, fun: "lxc.exists", args: []any{"c1"}, reason: "lxc.helper " + missing},
		{name: "environment", env: missing, fun: "lxc.list", reason: "SALTGO_LXC_HELPER " + missing},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(liblxc.HelperEnv, tc.env)
			opts := data.NewMap()
			if tc.opt != "" {
				opts.Set(OptHelper, tc.opt)
			}
			env := &host.Env{ID: "m1", Opts: opts}
			lxctest.NotAvailable(t, env, tc.fun, tc.args, tc.reason, "saltgo-lxc-helper is not installed")
		})
	}
}
