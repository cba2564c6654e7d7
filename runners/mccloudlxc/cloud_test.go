package mccloudlxc

import (
	"context"
	"strings"
	"testing"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/host"
	"github.com/saltgo/saltgo/saltyaml"
)

// TestVMEntryFromProfile: the per-VM settings a salt-cloud profile (as
// post_deploy_controller writes them, or a site profile) gives.
func TestVMEntryFromProfile(t *testing.T) {
	r := newRig(t, healthyNode("cn1"), seedPillar)
	ctl, release, err := newControllerEnv(context.Background(), &host.Env{Opts: r.opts}, r.node, false, 0)
	defer release()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, profile, want string
		err                 string
	}{
		{name: "dir clone", profile: "{backing: dir, from_container: makina-states-trusty, sudo: true, script: x, ssh_gateway: 10.5.0.1}",
			want: "{'backing': 'dir', 'from_container': 'makina-states-trusty', 'sudo': True, 'profile_type': 'dir'}"},
		{name: "dir scratch", profile: "{backing: dir, image: ubuntu}", want: "{'backing': 'dir', 'image': 'ubuntu', 'profile_type': 'dir-scratch'}"},
		{name: "overlayfs clone with snapshot", profile: "{backing: overlayfs, from_container: t, snapshot: true}",
			want: "{'backing': 'overlayfs', 'from_container': 't', 'snapshot': True, 'profile_type': 'overlayfs'}"},
		{name: "lvm with a size", profile: "{backing: lvm, from_container: t, size: 5g}",
			want: "{'backing': 'lvm', 'from_container': 't', 'size': '5g', 'profile_type': 'lvm', 'profile': 'small'}"},
		{name: "lvm from an image (-lvm-sratch)", profile: "{backing: lvm, image: ubuntu, size: 20g}",
			want: "{'backing': 'lvm', 'image': 'ubuntu', 'size': '20g', 'profile_type': 'lvm-scratch', 'profile': 'large'}"},
		{name: "explicit profile_type, minion master", profile: "{profile_type: dir-scratch, image: busybox, minion: {master: 10.5.0.1, master_port: 4606, id: x}}",
			want: "{'profile_type': 'dir-scratch', 'image': 'busybox', 'master': '10.5.0.1', 'master_port': 4606}"},
		{name: "unknown backing", profile: "{backing: zfs}", err: `profile p: cannot tell the LXC profile type from backing "zfs"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := saltyaml.Load([]byte(tc.profile))
			if err != nil {
				t.Fatal(err)
			}
			e, err := ctl.VMEntryFromProfile("p", v.(*data.Map))
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := data.Repr(e); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}
