// Package settings is makina-states' LXC settings model, the Go side of
// mc_cloud_lxc.get_settings_for_vm: it reads the cloud pillar of a compute
// node (the documented `makina-states.services.cloud.lxc.targets.<cn>` form
// and the code form `makina-states.cloud.lxc.vms.<cn>`), merges the
// defaults, profiles and per-VM keys with makina-states' rules, resolves
// `{key}` substitutions with Python's str.format semantics, and asks
// cloud/alloc for the persisted allocations (IP, MAC, ports, password), so
// that the result is what the Python module returned, era C output included.
//
// Bad pillar is an error naming the compute node, the VM and the key, and
// nothing is persisted then.
package settings
