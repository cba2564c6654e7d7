package provision

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/saltgo/saltgo/data"
	"github.com/saltgo/saltgo/lxc/liblxc"
	"github.com/saltgo/saltgo/lxc/portfwd"
)

// ReversePortsChange is the key of the spawn and destroy results' changes
// listing what the reverse-port forwarding changed.
const ReversePortsChange = "reverse_ports"

// Forwarder returns the port forwarder of c's containers: its rules go to
// the network namespace where c runs them (the bridge's).
func Forwarder(c *liblxc.Client) *portfwd.Forwarder {
	return &portfwd.Forwarder{Netns: c.Netns}
}

// vmForwarder is Forwarder for the VM's reverse ports: with the VM's
// network as the subnet whose own connections to a reverse port are
// masqueraded (hairpin), when its netmask is known.
func vmForwarder(c *liblxc.Client, s *Settings, ip string) *portfwd.Forwarder {
	f := Forwarder(c)
	if bits, err := PrefixLen(s.Netmask); err == nil {
		if p, err := netip.ParsePrefix(ip + "/" + strconv.Itoa(bits)); err == nil {
			f.Subnet = p.Masked().String()
		}
	}
	return f
}

// reverseForwards are the VM's reverse ports and its address ("" when it
// has no static IP or no port).
func reverseForwards(s *Settings) (string, []portfwd.Forward) {
	ip, _, _ := strings.Cut(s.IP, "/")
	fw := portfwd.ReverseForwards(s.SSHPort, s.SNMPPort)
	if ip == "" || len(fw) == 0 {
		return "", nil
	}
	return ip, fw
}

// spawnWithPorts runs spawn (the container's steps) between a check and
// the forwarding of the VM's reverse ports: a port already used on the
// node fails the step before anything is made; a forwarding that fails
// after a fresh container was made destroys it again. A VM without
// reverse ports (or without a static IP) is spawned alone.
func spawnWithPorts(ctx context.Context, c *liblxc.Client, s *Settings, spawn func() (*StepResult, error)) (*StepResult, error) {
	ip, fw := reverseForwards(s)
	if fw == nil {
		return spawn()
	}
	f := vmForwarder(c, s, ip)
	if err := f.Check(ctx, s.Name, ip, fw); err != nil {
		return newResult(s.Name).fail(fmt.Errorf("lxc: reverse ports: %w", err))
	}
	res, err := spawn()
	if err != nil || !res.Result {
		return res, err
	}
	ch, err := f.Ensure(ctx, s.Name, ip, fw)
	if err != nil {
		err = fmt.Errorf("lxc: reverse ports: %w", err)
		if res.Changes.Has("created") {
			if derr := c.Destroy(context.WithoutCancel(ctx), s.Name); derr != nil {
				err = fmt.Errorf("%w (undo: destroy %s: %v)", err, s.Name, derr)
			}
			res.Changes = data.NewMap()
		}
		return res.fail(err)
	}
	if len(ch) > 0 {
		res.Changes.Set(ReversePortsChange, data.List(ch))
		res.Comment += "; reverse ports forwarded"
	}
	return res, nil
}

// removePorts deletes the VM's forwarding rules (by name) and records
// them in res.
func removePorts(ctx context.Context, c *liblxc.Client, name string, res *StepResult) error {
	ch, err := Forwarder(c).Remove(ctx, name)
	if err != nil {
		return fmt.Errorf("lxc: reverse ports: %w", err)
	}
	if len(ch) > 0 {
		res.Changes.Set(ReversePortsChange, data.List(ch))
	}
	return nil
}
