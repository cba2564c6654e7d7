package mccloudlxc

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/lxc/liblxc"
)

// Without the LXC helper, the steps that drive containers are "not
// available" with the reason.
func TestContainerStepsNotAvailableWithoutHelper(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "saltgo-lxc-helper")
	t.Setenv(liblxc.HelperEnv, missing)
	cases := []struct {
		fun  string
		args []any
	}{
		{"mc_cloud_lxc.destroy_vm", []any{"vm1.test"}},
		{"mc_cloud_lxc.configure_images", []any{"source=" + t.TempDir(), "images=img1"}},
	}
	for _, tc := range cases {
		fun := tc.fun
		env := &host.Env{ID: "cn1", Opts: data.NewMap()}
		r := host.Execute(context.Background(), env, host.Exec, fun, tc.args, nil)
		s, _ := r.Return.(string)
		want := "'" + fun + "' is not available. Possible reasons: '"
		if r.Retcode == 0 || !strings.HasPrefix(s, want) || !strings.Contains(s, "SALTGO_LXC_HELPER "+missing) {
			t.Errorf("%s: retcode %d, return %q; want %q... with the reason", fun, r.Retcode, s, want)
		}
	}
}
