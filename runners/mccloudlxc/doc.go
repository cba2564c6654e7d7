// Package mccloudlxc is makina-states' mc_cloud_lxc runner module, run by
// `mastersalt-run mc_cloud_lxc.<function>` on the controller: install_vt
// and the configure_* steps of a compute node, provisioning of its VMs
// (provision, provision_vms, orchestrate), destroy_vm, post_deploy_controller
// and get_settings_for_vm. It drives the compute nodes through jobs
// published by the master (the node-side steps live in modules/mccloudlxc)
// and returns makina's result dict (result, comment, output, trace,
// changes), with progress lines on stderr.
package mccloudlxc
