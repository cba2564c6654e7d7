package mccloudlxc

import (
	"path/filepath"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/lxc/liblxc"
	"github.com/saltgo/saltgo/lxc/lxctest"
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
		env := &host.Env{ID: "cn1", Opts: data.NewMap()}
		lxctest.NotAvailable(t, env, tc.fun, tc.args, "SALTGO_LXC_HELPER "+missing)
	}
}
