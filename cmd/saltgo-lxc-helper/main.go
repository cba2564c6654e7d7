// Command saltgo-lxc-helper runs one liblxc operation for saltgo and
// exits: saltgo (built without cgo) starts it once per LXC operation,
// `saltgo-lxc-helper <response-file>` with a JSON request on stdin. It is
// the only saltgo binary that links liblxc (go-lxc, cgo); install it beside
// saltgo or set the minion option lxc.helper (docs/lxc.md).
package main

import (
	"os"

	"github.com/saltgo/saltgo/lxc/liblxc/helper"
	"github.com/saltgo/saltgo/lxc/provision"
)

func main() {
	os.Exit(helper.Main(os.Args[1:], &helper.Server{Compound: map[string]helper.Compound{
		provision.SpawnOp: provision.ServeSpawn,
	}}))
}
