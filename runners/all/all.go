// Package all links every compiled-in runner module into the binary (each
// registers itself with the host in its init function).
package all

import (
	_ "github.com/saltgo/saltgo/runners/manage"
	_ "github.com/saltgo/saltgo/runners/mccloudlxc"
)
