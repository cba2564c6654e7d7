//go:build !linux || !cgo || nolxc

package lxc

import (
	"encoding/json"
	"os"
)

// HelperMain is the entry point of the helper child (see HelperCommand).
// Without cgo on Linux, liblxc is not linked in and every request is
// answered with an "unavailable" error.
func HelperMain(args []string) int {
	if len(args) > 0 && args[0] == HelperCommand {
		args = args[1:]
	}
	if len(args) != 1 {
		return 2
	}
	b, _ := json.Marshal(Response{Code: codeUnavailable, Error: "saltgo was built without cgo: liblxc (go-lxc) is not linked in"})
	if err := os.WriteFile(args[0], b, 0o600); err != nil {
		return 1
	}
	return 0
}
