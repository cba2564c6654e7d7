// Package all links every compiled-in state module into the binary (each
// registers itself with the host under the State kind in its init
// function), as modules/all does for execution modules.
package all

import (
	_ "github.com/saltgo/saltgo/states/archive"
	_ "github.com/saltgo/saltgo/states/cmd"
	_ "github.com/saltgo/saltgo/states/cron"
	_ "github.com/saltgo/saltgo/states/file"
	_ "github.com/saltgo/saltgo/states/grains"
	_ "github.com/saltgo/saltgo/states/group"
	_ "github.com/saltgo/saltgo/states/host"
	_ "github.com/saltgo/saltgo/states/module"
	_ "github.com/saltgo/saltgo/states/mount"
	_ "github.com/saltgo/saltgo/states/pkg"
	_ "github.com/saltgo/saltgo/states/service"
	_ "github.com/saltgo/saltgo/states/sshauth"
	_ "github.com/saltgo/saltgo/states/sshknownhosts"
	_ "github.com/saltgo/saltgo/states/sysctl"
	_ "github.com/saltgo/saltgo/states/test"
	_ "github.com/saltgo/saltgo/states/user"
)
