//go:build !linux || !cgo || nolxc

package lxc

import (
	"encoding/json"
	"fmt"
	"os"
)

const noCgo = "saltgo was built without cgo: liblxc (go-lxc) is not linked in"

// Supported reports why liblxc cannot be used: this build does not link it.
func Supported() (string, error) { return "", fmt.Errorf("%w: %s", ErrUnavailable, noCgo) }

func serveLocal(req *Request) *Response { return &Response{Code: codeUnavailable, Error: noCgo} }

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
	b, _ := json.Marshal(Response{Code: codeUnavailable, Error: noCgo})
	if err := os.WriteFile(args[0], b, 0o600); err != nil {
		return 1
	}
	return 0
}
