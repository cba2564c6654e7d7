// Command saltgo is one binary that stands in for Salt's Python CLIs and
// daemons. It picks its role from the name it is run under (argv[0]) --
// salt-call, salt-minion, salt-run, salt, salt-cloud and their mastersalt*
// twins -- or from its first argument: saltgo
// call|minion|run|salt|cloud|shims|version.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/saltgo/saltgo/cli/call"
	cloudcli "github.com/saltgo/saltgo/cli/cloud"
	"github.com/saltgo/saltgo/cli/console"
	minioncli "github.com/saltgo/saltgo/cli/minion"
	runcli "github.com/saltgo/saltgo/cli/run"
	saltcli "github.com/saltgo/saltgo/cli/salt"
	"github.com/saltgo/saltgo/cli/shims"
	"github.com/saltgo/saltgo/config"
	"github.com/saltgo/saltgo/minion"
	"github.com/saltgo/saltgo/version"

	// Compiled-in modules register themselves with the host.
	_ "github.com/saltgo/saltgo/modules/all"
)

const usage = `Usage: saltgo <command> [options]

saltgo replaces Python pieces of a SaltStack deployment with one Go binary.
It picks its role from the name it is run under (install it as, or symlink
it to, salt-call, salt-minion, salt-run, salt, salt-cloud, mastersalt-call,
mastersalt-minion, mastersalt-run, mastersalt, mastersalt-cloud), or from the
command:

  call      run an execution function locally (salt-call); "saltgo call --help"
  minion    run a minion daemon that signs in to a Salt master (salt-minion)
  run       run a runner function (salt-run)
  salt      publish a job through the master and print the returns (salt)
  cloud     create, list and destroy LXC VMs from salt-cloud profiles (salt-cloud)
  shims     write Python loader modules that forward mc_cloud_lxc calls to saltgo
            (for a Python salt-run or minion kept during a migration: docs/migration.md)
  version   print saltgo's version and the Salt version it speaks

Prefix the command with "mastersalt-" (e.g. "saltgo mastersalt-call") for the
mastersalt flavour: config in /etc/mastersalt, master ports 4605/4606.
`

func main() {
	os.Exit(run(os.Args))
}

func isTTY(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// role maps a program or command name to a role and its Salt program name.
func role(name string) (string, string) {
	base := filepath.Base(name)
	flavour := "salt"
	rest := base
	if strings.HasPrefix(base, "mastersalt") {
		flavour, rest = "mastersalt", strings.TrimPrefix(base, "mastersalt")
	} else if strings.HasPrefix(base, "salt") {
		rest = strings.TrimPrefix(base, "salt")
	}
	switch rest {
	case "-call", "call":
		return "call", flavour + "-call"
	case "-minion", "minion":
		return "minion", flavour + "-minion"
	case "-run", "run":
		return "run", flavour + "-run"
	case "-cloud", "cloud":
		return "cloud", flavour + "-cloud"
	case "":
		if base == "salt" || base == "mastersalt" {
			return "salt", base
		}
	}
	return "", base
}

func run(argv []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	stdio := console.IO{Stdout: os.Stdout, Stderr: os.Stderr, StdoutTTY: isTTY(os.Stdout)}

	r, prog := role(argv[0])
	args := argv[1:]
	if r == "" {
		if len(args) == 0 {
			fmt.Fprint(os.Stderr, usage)
			return 64
		}
		switch args[0] {
		case "version", "--version":
			fmt.Printf("saltgo %s (speaks Salt %s)\n", version.Version, version.Salt)
			return 0
		case "help", "-h", "--help":
			fmt.Print(usage)
			return 0
		case "shims":
			return shims.Main(args[1:], os.Stdout, os.Stderr)
		}
		r, prog = role(args[0])
		args = args[1:]
		if r == "" {
			fmt.Fprintf(os.Stderr, "saltgo: unknown command %q\n\n%s", argv[1], usage)
			return 64
		}
	}
	switch r {
	case "call":
		// salt-call's default mode signs in with the minion's keys.
		return call.Caller{Connect: connectMinion}.Main(ctx, prog, args, stdio)
	case "minion":
		return minioncli.Main(ctx, prog, args, stdio.Stdout, stdio.Stderr)
	case "run":
		return runcli.Main(ctx, prog, args, stdio)
	case "salt":
		return saltcli.Main(ctx, prog, args, stdio)
	case "cloud":
		return cloudcli.Main(ctx, prog, args, os.Stdin, stdio)
	}
	return 64
}

// connectMinion signs in to the master as the configured minion, for
// salt-call.
func connectMinion(ctx context.Context, cfg *config.Config, log *slog.Logger) (call.MasterSession, error) {
	return minion.Connect(ctx, cfg, minion.Options{Logger: log})
}
