//go:build !linux || !cgo || nolxc

package helper

import (
	"errors"

	"github.com/saltgo/saltgo/lxc/liblxc"
)

const noCgo = "saltgo-lxc-helper was built without cgo: liblxc (go-lxc) is not linked in"

// serve answers every request with an "unavailable" error: this build does
// not link liblxc.
func serve(*liblxc.Request) *liblxc.Response {
	return liblxc.Fail(liblxc.CodeUnavailable, errors.New(noCgo))
}

func systemPath(cur string) string { return cur }
