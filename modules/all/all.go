// Package all links every compiled-in execution and runner module into the
// binary (each registers itself with the host in its init function), the
// way Caddy's standard distribution imports its modules.
package all

import (
	_ "github.com/saltgo/saltgo/modules/archive"
	_ "github.com/saltgo/saltgo/modules/cmd"
	_ "github.com/saltgo/saltgo/modules/config"
	_ "github.com/saltgo/saltgo/modules/cp"
	_ "github.com/saltgo/saltgo/modules/cron"
	_ "github.com/saltgo/saltgo/modules/defaults"
	_ "github.com/saltgo/saltgo/modules/event"
	_ "github.com/saltgo/saltgo/modules/file"
	_ "github.com/saltgo/saltgo/modules/grains"
	_ "github.com/saltgo/saltgo/modules/group"
	_ "github.com/saltgo/saltgo/modules/hosts"
	_ "github.com/saltgo/saltgo/modules/lxc"
	_ "github.com/saltgo/saltgo/modules/mccloudlxc"
	_ "github.com/saltgo/saltgo/modules/mount"
	_ "github.com/saltgo/saltgo/modules/pillar"
	_ "github.com/saltgo/saltgo/modules/pkg"
	_ "github.com/saltgo/saltgo/modules/saltutil"
	_ "github.com/saltgo/saltgo/modules/service"
	_ "github.com/saltgo/saltgo/modules/ssh"
	_ "github.com/saltgo/saltgo/modules/state"
	_ "github.com/saltgo/saltgo/modules/sys"
	_ "github.com/saltgo/saltgo/modules/sysctl"
	_ "github.com/saltgo/saltgo/modules/test"
	_ "github.com/saltgo/saltgo/modules/user"

	// State modules (file, cmd, test...) come with the state module.
	_ "github.com/saltgo/saltgo/states/all"
)
