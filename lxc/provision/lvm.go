package provision

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// VGSCommand is the lvm2 tool CheckVG runs (a variable for tests).
var VGSCommand = "vgs"

// CheckVG checks, before liblxc is asked for a logical volume, that the
// volume group vg of the VM vm exists on this node: `vgs <vg>` (lvm2)
// answers, and /dev/<vg> is there when vgs is missing. The error names the
// VM and the volume group.
func CheckVG(ctx context.Context, vm, vg string) error {
	if vg == "" || strings.ContainsAny(vg, "/ \t\n") || strings.HasPrefix(vg, "-") {
		return fmt.Errorf("lxc: %s: invalid volume group name %q (vgname)", vm, vg)
	}
	path, err := exec.LookPath(VGSCommand)
	if err != nil {
		if _, serr := os.Stat("/dev/" + vg); serr == nil {
			return fmt.Errorf("lxc: %s: volume group %q: lvm2 is not installed on this node (no %s; liblxc needs lvcreate): install lvm2", vm, vg, VGSCommand)
		}
		return fmt.Errorf("lxc: %s: volume group %q does not exist on this node (no /dev/%s), and lvm2 is not installed (no %s): install lvm2 and create the volume group, or set vgname", vm, vg, vg, VGSCommand)
	}
	out, err := exec.CommandContext(ctx, path, "--noheadings", "-o", "vg_name", vg).CombinedOutput()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("lxc: %s: volume group %q does not exist on this node (vgs: %s): create it or set vgname", vm, vg, strings.TrimSpace(string(out)))
		}
		return fmt.Errorf("lxc: %s: check volume group %q: %w", vm, vg, err)
	}
	if strings.TrimSpace(string(out)) != vg {
		return fmt.Errorf("lxc: %s: volume group %q does not exist on this node (vgs answered %q)", vm, vg, strings.TrimSpace(string(out)))
	}
	return nil
}
