package provision

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/saltgo/saltgo/atomicfile"
	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/lxc/liblxc"
	"github.com/saltgo/saltgo/revert"
)

// netKeys are the network settings of eth0 that a re-run compares with
// the container's config, with the names its messages use.
var netKeys = []struct{ key, what string }{
	{"lxc.net.0.ipv4.address", "ip"},
	{"lxc.net.0.hwaddr", "mac"},
	{"lxc.net.0.ipv4.gateway", "gateway"},
	{"lxc.net.0.link", "bridge"},
}

// netDrift is one network setting whose config value differs from the
// settings.
type netDrift struct{ what, key, old, new string }

func (d netDrift) String() string {
	o, n := d.old, d.new
	if d.what == "ip" {
		// 10.5.0.11 -> 10.5.0.21 when only the address moved.
		oi, op, _ := strings.Cut(o, "/")
		ni, np, _ := strings.Cut(n, "/")
		if op == np {
			o, n = oi, ni
		}
	}
	if o == "" {
		o = "(none)"
	}
	if n == "" {
		n = "(none)"
	}
	return fmt.Sprintf("%s %s -> %s", d.what, o, n)
}

// networkDrift compares an existing container's eth0 config with cfg.
func networkDrift(ctx context.Context, c *liblxc.Client, name string, cfg *liblxc.ConfigChange) ([]netDrift, error) {
	var out []netDrift
	for _, k := range netKeys {
		cur, err := c.GetConfig(ctx, name, k.key)
		if err != nil {
			return nil, fmt.Errorf("lxc: %s: read %s: %w", name, k.key, err)
		}
		old := strings.ToLower(strings.TrimSpace(first(cur)))
		want := strings.ToLower(cfgValue(cfg, k.key))
		if old != want {
			out = append(out, netDrift{what: k.what, key: k.key, old: old, new: want})
		}
	}
	return out, nil
}

func first(v []string) string {
	if len(v) > 0 {
		return v[0]
	}
	return ""
}

// applyNetwork brings an existing container's network config in line with
// its settings (a pillar IP, MAC, gateway or bridge changed after it was
// spawned): the new address is checked (the bridge exists, no other
// running container uses it), the container is stopped, its config
// rewritten, its rootfs prepared again, and it is started. A failure puts
// the old config back and restarts the container as it was. The result
// says so: "restarted to apply ip 10.5.0.11 -> 10.5.0.21".
func applyNetwork(ctx context.Context, c *liblxc.Client, s *Settings, cfg *liblxc.ConfigChange, drift []netDrift, state string, res *StepResult) (*StepResult, error) {
	if ok, err := c.BridgeExists(ctx, cfgValue(cfg, "lxc.net.0.link")); err != nil {
		return res.fail(err)
	} else if !ok {
		return res.fail(fmt.Errorf("lxc: %s: cannot apply %s: bridge %q does not exist on this node", s.Name, joinDrift(drift), cfgValue(cfg, "lxc.net.0.link")))
	}
	if s.IP != "" {
		ip, _, _ := strings.Cut(s.IP, "/")
		used, err := c.UsedIPs(ctx)
		if err != nil {
			return res.fail(err)
		}
		if other, ok := used[ip]; ok && other != s.Name {
			return res.fail(fmt.Errorf("lxc: %s: cannot apply %s: ip %s is already used by running container %q on this node", s.Name, joinDrift(drift), ip, other))
		}
		if s.Gateway == ip {
			return res.fail(fmt.Errorf("lxc: %s: cannot apply %s: ip %s is the gateway (bridge) address", s.Name, joinDrift(drift), ip))
		}
	}
	cfgPath := filepath.Join(c.Path(), s.Name, "config")
	saved, err := os.ReadFile(cfgPath)
	if err != nil {
		return res.fail(fmt.Errorf("lxc: %s: read config: %w", s.Name, err))
	}
	r := revert.New()
	defer func() { _ = r.Fail() }()
	bg := context.WithoutCancel(ctx)
	if state != "stopped" {
		if _, err := c.Stop(ctx, s.Name, 10, false); err != nil {
			return res.fail(fmt.Errorf("lxc: %s: stop to apply %s: %w", s.Name, joinDrift(drift), err))
		}
		r.Add("start "+s.Name+" again", func() error { _, err := c.Start(bg, s.Name); return err })
	}
	r.Add("restore the config of "+s.Name, func() error { return atomicfile.Write(cfgPath, saved, 0o640) })
	if err := c.Configure(ctx, s.Name, cfg); err != nil {
		return res.fail(fmt.Errorf("lxc: %s: apply %s: %w", s.Name, joinDrift(drift), err))
	}
	files, err := prepareRootfs(ctx, c, s)
	if err != nil {
		return res.fail(err)
	}
	if _, err := c.Start(ctx, s.Name); err != nil {
		return res.fail(fmt.Errorf("lxc: %s: start after applying %s: %w", s.Name, joinDrift(drift), err))
	}
	r.Success()
	ch := data.NewMap()
	for _, d := range drift {
		ch.Set(d.what, data.M("old", nilIfEmpty(d.old), "new", nilIfEmpty(d.new)))
	}
	res.Changes.Set("network", ch)
	if len(files) > 0 {
		res.Changes.Set("rootfs", data.List(files))
	}
	verb := "restarted"
	if state == "stopped" {
		verb = "started"
	}
	res.Changes.Set("state", data.M("old", state, "new", "running"))
	res.Comment = fmt.Sprintf("%s already provisioned, %s to apply %s", s.Name, verb, joinDrift(drift))
	return res, nil
}

func joinDrift(d []netDrift) string {
	s := make([]string, len(d))
	for i, x := range d {
		s[i] = x.String()
	}
	return strings.Join(s, ", ")
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
