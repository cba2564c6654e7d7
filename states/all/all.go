// Package all links every compiled-in state module into the binary (each
// registers itself with the host in its init function).
package all

import (
	_ "github.com/saltgo/saltgo/states/cmd"
	_ "github.com/saltgo/saltgo/states/file"
)
