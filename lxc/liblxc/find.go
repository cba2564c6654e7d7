package liblxc

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// HelperName is the file name of the helper binary, installed beside saltgo.
const HelperName = "saltgo-lxc-helper"

// HelperEnv names the environment variable that gives the helper's path
// (tests set it to a freshly built helper). It wins over the configured path.
const HelperEnv = "SALTGO_LXC_HELPER"

// FindHelper returns the helper binary to run: $SALTGO_LXC_HELPER when set,
// else configured (the minion option lxc.helper) when set, else
// saltgo-lxc-helper in the directory of the running executable. The error
// wraps ErrUnavailable and says where the helper was looked for.
func FindHelper(configured string) (string, error) {
	var tried []string
	check := func(what, p string) (string, bool) {
		fi, err := os.Stat(p)
		switch {
		case err != nil:
			tried = append(tried, fmt.Sprintf("%s %s: %v", what, p, errors.Unwrap(err)))
		case fi.IsDir() || fi.Mode().Perm()&0o111 == 0:
			tried = append(tried, fmt.Sprintf("%s %s: not an executable file", what, p))
		default:
			return p, true
		}
		return "", false
	}
	if p := os.Getenv(HelperEnv); p != "" {
		if p, ok := check(HelperEnv, p); ok {
			return p, nil
		}
	} else if configured != "" {
		if p, ok := check("lxc.helper", configured); ok {
			return p, nil
		}
	} else {
		exe, err := os.Executable()
		if err != nil {
			tried = append(tried, fmt.Sprintf("own executable: %v", err))
		} else if p, ok := check("beside saltgo", filepath.Join(filepath.Dir(exe), HelperName)); ok {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: the LXC helper %s is not installed (%s); install it beside saltgo (make install) or set the minion option lxc.helper",
		ErrUnavailable, HelperName, strings.Join(tried, "; "))
}
