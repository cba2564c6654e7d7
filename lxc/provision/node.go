package provision

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"

	"github.com/saltgo/saltgo/revert"

	"github.com/saltgo/saltgo/data"
)

// PackageManager checks and installs operating-system packages; the
// install_lxc step uses Apt, tests inject a fake so that CI never runs
// apt-get.
type PackageManager interface {
	// Missing returns the packages of pkgs that are not installed.
	Missing(ctx context.Context, pkgs []string) ([]string, error)
	// Install installs packages.
	Install(ctx context.Context, pkgs []string) error
}

// LXCPackages are the Debian packages the install_lxc step ensures
// (makina-states also installed lxctl and dnsmasq for its lxc-net job,
// which saltgo does not run).
var LXCPackages = []string{"lxc", "lxc-templates"}

// Apt is the Debian PackageManager: dpkg-query to check, apt-get to install.
type Apt struct{}

// Missing asks dpkg which packages are not installed.
func (Apt) Missing(ctx context.Context, pkgs []string) ([]string, error) {
	var missing []string
	for _, p := range pkgs {
		if err := validPackage(p); err != nil {
			return nil, err
		}
		out, err := exec.CommandContext(ctx, "dpkg-query", "-W", "-f=${db:Status-Status}", p).Output()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if err != nil || strings.TrimSpace(string(out)) != "installed" {
			missing = append(missing, p)
		}
	}
	return missing, nil
}

// Install runs apt-get install non-interactively.
func (Apt) Install(ctx context.Context, pkgs []string) error {
	for _, p := range pkgs {
		if err := validPackage(p); err != nil {
			return err
		}
	}
	cmd := exec.CommandContext(ctx, "apt-get", append([]string{"install", "-y", "-q", "--no-install-recommends"}, pkgs...)...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	out, err := cmd.CombinedOutput()
	if err != nil {
		if len(out) > 2048 {
			out = out[len(out)-2048:]
		}
		return fmt.Errorf("apt-get install %s: %w: %s", strings.Join(pkgs, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func validPackage(p string) error {
	if p == "" || strings.HasPrefix(p, "-") || strings.ContainsAny(p, " \t\n/") {
		return fmt.Errorf("lxc: invalid package name %q", p)
	}
	return nil
}

// Bridge is the containers' bridge on a compute node.
type Bridge struct {
	// Name is the bridge interface (lxcbr1).
	Name string
	// Gateway is the bridge's address (10.5.0.1), Prefix its prefix length.
	Gateway string
	Prefix  int
	// Netns is the network namespace (a name under /run/netns or a path)
	// where the bridge lives; "" is the current one.
	Netns string

	// ip is the ip(8) binary (default "ip"; tests make it fail).
	ip string
}

// ipCmd runs ip(8) in b's namespace.
func (b *Bridge) ipCmd(ctx context.Context, args ...string) ([]byte, error) {
	ip := b.ip
	if ip == "" {
		ip = "ip"
	}
	name, full := ip, args
	switch {
	case b.Netns == "":
	case strings.HasPrefix(b.Netns, "/"):
		name, full = "nsenter", append([]string{"--net=" + b.Netns, "--", ip}, args...)
	default:
		full = append([]string{"-n", b.Netns}, args...)
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, full...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

type ipLink struct {
	IfName   string   `json:"ifname"`
	Flags    []string `json:"flags"`
	LinkInfo *struct {
		InfoKind string `json:"info_kind"`
	} `json:"linkinfo"`
	AddrInfo []struct {
		Family    string `json:"family"`
		Local     string `json:"local"`
		PrefixLen int    `json:"prefixlen"`
	} `json:"addr_info"`
}

func (b *Bridge) show(ctx context.Context) (*ipLink, error) {
	out, err := b.ipCmd(ctx, "-j", "-d", "addr", "show", "dev", b.Name)
	if err != nil {
		if strings.Contains(err.Error(), "does not exist") {
			return nil, nil
		}
		return nil, err
	}
	var links []ipLink
	if err := json.Unmarshal(out, &links); err != nil {
		return nil, fmt.Errorf("lxc: parse ip output for %s: %w", b.Name, err)
	}
	if len(links) == 0 {
		return nil, nil
	}
	return &links[0], nil
}

// EnsureBridge makes sure the bridge exists, holds Gateway/Prefix and is
// up, with ip(8) (netlink). It never starts lxc-net, a DHCP server or any
// NAT rule: the bridge is only a link between the containers and the node.
// It returns what it changed (nothing when all was in place). When a step
// fails, what the earlier steps changed is undone (a bridge it created is
// deleted, an address it added is removed) and nothing is reported changed.
func EnsureBridge(ctx context.Context, b Bridge) (changed []string, err error) {
	if err := validIface(b.Name); err != nil {
		return nil, err
	}
	gw := net.ParseIP(b.Gateway).To4()
	if gw == nil {
		return nil, fmt.Errorf("lxc: invalid bridge gateway %q", b.Gateway)
	}
	if b.Prefix <= 0 || b.Prefix > 32 {
		return nil, fmt.Errorf("lxc: invalid bridge prefix length %d", b.Prefix)
	}
	l, err := b.show(ctx)
	if err != nil {
		return nil, err
	}
	r := revert.New()
	defer func() {
		if rerr := r.Fail(); rerr != nil {
			err = fmt.Errorf("%w (undo: %v)", err, rerr)
		}
		if err != nil {
			changed = nil
		}
	}()
	undoCtx := context.WithoutCancel(ctx)
	if l == nil {
		if _, err := b.ipCmd(ctx, "link", "add", b.Name, "type", "bridge"); err != nil {
			return nil, err
		}
		r.Add("delete bridge "+b.Name, func() error {
			_, err := b.ipCmd(undoCtx, "link", "del", b.Name)
			return err
		})
		changed = append(changed, "created bridge "+b.Name)
		if l, err = b.show(ctx); err != nil {
			return changed, err
		}
		if l == nil {
			return changed, fmt.Errorf("lxc: bridge %s missing right after its creation", b.Name)
		}
	}
	if l.LinkInfo == nil || l.LinkInfo.InfoKind != "bridge" {
		return changed, fmt.Errorf("lxc: %s exists and is not a bridge: remove it or choose another bridge name", b.Name)
	}
	have := false
	for _, a := range l.AddrInfo {
		if a.Family == "inet" && a.Local == gw.String() && a.PrefixLen == b.Prefix {
			have = true
		}
	}
	if !have {
		addr := fmt.Sprintf("%s/%d", gw, b.Prefix)
		if _, err := b.ipCmd(ctx, "addr", "add", addr, "dev", b.Name); err != nil {
			return changed, err
		}
		if l != nil && len(changed) == 0 {
			// An existing bridge keeps its other addresses; one it did
			// not have goes away again.
			r.Add("remove address "+addr, func() error {
				_, err := b.ipCmd(undoCtx, "addr", "del", addr, "dev", b.Name)
				return err
			})
		}
		changed = append(changed, "address "+addr)
	}
	up := false
	for _, f := range l.Flags {
		up = up || f == "UP"
	}
	if !up {
		if _, err := b.ipCmd(ctx, "link", "set", b.Name, "up"); err != nil {
			return changed, err
		}
		changed = append(changed, "up")
	}
	r.Success()
	return changed, nil
}

// InstallLXC is the node side of makina-states' install_lxc step: it
// installs the missing packages of pkgs (LXCPackages when nil) with pm and
// sets up the bridge (EnsureBridge) unless bridge.Name is empty. A second
// run changes nothing.
func InstallLXC(ctx context.Context, pm PackageManager, pkgs []string, bridge Bridge) (*StepResult, error) {
	res := newResult("install_lxc")
	if pkgs == nil {
		pkgs = LXCPackages
	}
	if pm == nil {
		pm = Apt{}
	}
	missing, err := pm.Missing(ctx, pkgs)
	if err != nil {
		return res.fail(err)
	}
	if len(missing) > 0 {
		if err := pm.Install(ctx, missing); err != nil {
			return res.fail(err)
		}
		if still, err := pm.Missing(ctx, missing); err != nil {
			return res.fail(err)
		} else if len(still) > 0 {
			return res.fail(fmt.Errorf("lxc: packages still missing after install: %s", strings.Join(still, ", ")))
		}
		res.Changes.Set("installed", data.List(missing))
	}
	if bridge.Name != "" {
		ch, err := EnsureBridge(ctx, bridge)
		if len(ch) > 0 {
			res.Changes.Set("bridge", data.M("name", bridge.Name, "changes", data.List(ch)))
		}
		if err != nil {
			return res.fail(err)
		}
	}
	switch {
	case res.Changed():
		res.Comment = "lxc installed and configured"
	default:
		res.Comment = "lxc already installed and configured"
	}
	return res, nil
}
