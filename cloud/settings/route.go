package settings

import (
	"fmt"
	"strconv"

	"github.com/saltgo/saltgo/cloud/alloc"
	"github.com/saltgo/saltgo/data"
)

// RouteKey is the key of get_settings_for_vm's output (after makina's
// keys, with the reverse ports) and of salt-cloud -Q's VM entries that
// says how to reach the VM by ssh.
const RouteKey = "ssh_route"

// Route is the ssh command reaching a VM: through the compute node's
// reverse port (`ssh -p <port> root@<node>`, the node forwards it to the
// VM's port 22) when the VM's ssh gateway is the node itself (makina's
// default) or unset, else with a ProxyJump through the gateway
// (`ssh -J <user>@<gw>:<port> root@<ip>`). It is "" when neither is known
// (no reverse port, no gateway).
func Route(node, ip string, sshPort int, gw *string, gwUser string, gwPort int) string {
	if gw == nil || *gw == "" || *gw == node {
		if sshPort == 0 || node == "" {
			return ""
		}
		return fmt.Sprintf("ssh -p %d root@%s", sshPort, node)
	}
	if ip == "" {
		return ""
	}
	if gwUser == "" {
		gwUser = "root"
	}
	if gwPort == 0 {
		gwPort = 22
	}
	return fmt.Sprintf("ssh -J %s@%s:%d root@%s", gwUser, *gw, gwPort, ip)
}

// SSHRoute is the VM's Route; "" without reverse ports (full=False).
func (v *VM) SSHRoute() string {
	if v.Ports == nil {
		return ""
	}
	return Route(v.Target, v.IP, v.Ports.SSH, v.SSHGateway, v.SSHGatewayUser, v.SSHGatewayPort)
}

// QueryRoute is the Route of a VM of compute node target found running
// with address ip (salt-cloud -Q): its gateway settings from the pillar,
// its ssh reverse port from the stored allocations. It allocates nothing
// and persists nothing; a VM that is not declared, or whose port was never
// allocated and whose gateway is the node, has no route ("").
func (s *Settings) QueryRoute(target, vm, ip string) (string, error) {
	entries, err := s.forTarget(target)
	if err != nil {
		return "", err
	}
	raw, source := data.NewMap(), ""
	for _, e := range entries {
		if e.VM != vm {
			continue
		}
		source = e.Key
		if m, ok := e.Value.(*data.Map); ok {
			raw = deepCopy(m).(*data.Map)
			resolve(raw)
		}
	}
	if source == "" {
		return "", nil
	}
	v, _, err := s.build(target, vm, raw, source, entries)
	if err != nil {
		return "", err
	}
	port := 0
	path := s.store.CNSettingPath(target, alloc.SettingSSHMap)
	stored, ok, err := alloc.ReadValue(path)
	if err != nil {
		return "", err
	}
	if m, isMap := stored.(*data.Map); ok && isMap {
		if pv, ok := m.Get(vm); ok {
			if n, ok := data.AsInt(pv); ok {
				port = int(n)
			} else if str, ok := data.AsString(pv); ok {
				port, _ = strconv.Atoi(str)
			}
		}
	}
	return Route(target, ip, port, v.SSHGateway, v.SSHGatewayUser, v.SSHGatewayPort), nil
}
