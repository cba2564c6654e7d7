// Package provision is what saltgo does with LXC containers on a compute
// node, on top of the driver (package liblxc): the typed VM settings
// (Settings) and the plan and config built from them, spawning a VM's
// container (Spawn, run as one compound operation inside the helper),
// rootfs edits, image sync (SyncImage), node set-up (InstallLXC,
// EnsureBridge), the VM steps (hostsfile, sshkeys, grains, initial_setup,
// initial_highstate: ProvisionVM; the VM's saltgo minion lives in the
// stack of its mode, MinionLayout, and initial_highstate runs its first
// highstate against the master through it), container destruction and
// SHA-512 password hashing.
//
// Multi-step changes that can fail halfway (spawn, bridge set-up, VM steps,
// image swap) undo their earlier steps with package revert.
package provision
