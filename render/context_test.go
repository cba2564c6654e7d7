package render

import (
	"fmt"
	"testing"
)

// TestSLSContext checks the live values of spec §5.2.
func TestSLSContext(t *testing.T) {
	tests := []struct {
		tplpath, sls string
		want         map[string]any
	}{
		{"/var/cache/salt/minion/files/base/specprobe/sub/jctx2.sls", "specprobe.sub.jctx2", map[string]any{
			"tplpath": "/var/cache/salt/minion/files/base/specprobe/sub/jctx2.sls", "tplfile": "specprobe/sub/jctx2.sls",
			"tpldir": "specprobe/sub", "tpldot": "specprobe.sub", "slspath": "specprobe/sub", "slsdotpath": "specprobe.sub",
			"slscolonpath": "specprobe:sub", "sls_path": "specprobe_sub"}},
		{"/var/cache/salt/minion/files/base/specprobe/sub/init.sls", "specprobe.sub", map[string]any{
			"tplpath": "/var/cache/salt/minion/files/base/specprobe/sub/init.sls", "tplfile": "specprobe/sub/init.sls",
			"tpldir": "specprobe/sub", "tpldot": "specprobe.sub", "slspath": "specprobe/sub", "slsdotpath": "specprobe.sub",
			"slscolonpath": "specprobe:sub", "sls_path": "specprobe_sub"}},
		{"/srv/salt/top1.sls", "top1", map[string]any{
			"tplpath": "/srv/salt/top1.sls", "tplfile": "top1.sls", "tpldir": ".", "tpldot": "",
			"slspath": "", "slsdotpath": "", "slscolonpath": "", "sls_path": ""}},
	}
	for _, tc := range tests {
		got := SLSContext(tc.tplpath, tc.sls)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("SLSContext(%q, %q)\n got %v\nwant %v", tc.tplpath, tc.sls, got, tc.want)
		}
	}
}
