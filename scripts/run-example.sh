#!/usr/bin/env bash
# make run: the main job, for real, on this machine. The seed document's
# example pillar (cloud/examples/pillar.yaml: compute node devhost10.local
# and its six VMs) is provisioned as real LXC containers by saltgo's own
# node-side functions, called as a masterless mastersalt minion would:
#
#   mastersalt-call --local mc_cloud_lxc.configure_grains / configure_install_lxc
#                           / configure_images   (install_vt's node side)
#   mastersalt-call --local mc_cloud_lxc.provision_vm <vm> steps=...
#   mastersalt-call --local mc_cloud_lxc.destroy_vm <vm>   (tear-down)
#
# Stand-ins, because this machine is not a makina compute node: the image
# (makina-states-precise, and the "ubuntu" template of scratch VMs) is a
# busybox container made by LXC's busybox template (no network), and LVM
# profiles use the dir backing (no device-mapper here).
#
# Nothing lands in the host's /etc, /var/lib/lxc or /srv, and its network is
# untouched: configuration, pillar, allocations, containers (a private LXC
# path) and the grains file live in RUN_DIR, and the containers' bridge
# lxcbr1 with the seed's gateway 10.5.0.1/16 lives in a network namespace
# this script creates and deletes. Needs root and LXC (scripts/setup.sh).
#
# Usage: run-example.sh BIN RUN_DIR          provision, show, tear down
#        KEEP=1 run-example.sh BIN RUN_DIR   ... and leave it running
#        run-example.sh --down BIN RUN_DIR   tear down a kept run
# The tear-down also runs when the script is interrupted or fails. The
# allocation store stays in RUN_DIR, so the next run gets the same IPs,
# MACs and ports.
set -euo pipefail
down_only=""
if [ "${1:-}" = --down ]; then down_only=1; shift; fi
[ $# -eq 2 ] || { echo "usage: $0 [--down] BIN RUN_DIR" >&2; exit 2; }
bin=$(realpath "$1")
run=$(realpath -m "$2")
repo=$(cd "$(dirname "$0")/.." && pwd)
cn=devhost10.local
image=makina-states-precise
# Every VM step but initial_highstate, which needs a master (the runner's
# end-to-end test covers it: runners/mccloudlxc TestE2EInstallVTAndProvision).
steps=spawn,hostsfile,sshkeys,grains,initial_setup
t0=${EPOCHREALTIME/./}

# say prints a progress line with the seconds since the start.
say() {
  local us=$(( ${EPOCHREALTIME/./} - t0 ))
  printf '[%3d.%ds] %s\n' $((us / 1000000)) $((us / 100000 % 10)) "$*"
}
# call runs mastersalt-call; one call never takes more than a minute
# (SIGTERM cancels it: what it made is undone). --foreground keeps it in
# the terminal's process group, so that Ctrl-C reaches it.
call() { timeout --foreground -k 10 60 "$bin" mastersalt-call -c "$run/conf" --local "$@"; }
# quiet runs a call, showing its output only when it fails (a non-zero
# exit, or a state-like return whose result is false).
quiet() {
  local out
  if ! out=$(call --retcode-passthrough --out json "$@" 2>&1) || [ "$(echo "$out" | value result)" = false ]; then
    printf '%s\n' "$out" >&2
    echo "FAILED: mastersalt-call --local $*" >&2
    return 1
  fi
}
# value KEY prints the top-level value KEY of a --out json mapping read on
# stdin (saltgo's json outputter: four spaces of indent per level).
value() { sed -n "s/^        \"$1\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" | head -n 1; }

[ "$(id -u)" -eq 0 ] || { echo "make run needs root (LXC containers, a network namespace)" >&2; exit 1; }
for t in ip lxc-start lxc-destroy busybox column; do
  command -v "$t" >/dev/null || { echo "make run needs $t (scripts/setup.sh installs it)" >&2; exit 1; }
done
for p in lxc lxc-templates; do
  # configure_install_lxc would apt-get install a missing one: refuse
  # instead, this script never changes the host's packages.
  dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed \
    || { echo "make run needs the Debian package $p (scripts/setup.sh installs it)" >&2; exit 1; }
done

# teardown destroys the VMs and the image through saltgo, then (in case a
# call failed half-way) anything left in the private LXC path with LXC's
# own tools, and deletes the namespace, which takes the bridge and the
# veths with it.
teardown() {
  [ -f "$run/netns" ] || [ -d "$run/lxc" ] || return 0
  say "tear-down: destroying the VMs, the image and the network namespace"
  if [ -d "$run/lxc" ] && [ -f "$run/conf/minion" ]; then
    for d in "$run"/lxc/*/; do
      [ -d "$d" ] || continue
      n=$(basename "$d")
      [ "$n" = "$image" ] && continue
      quiet mc_cloud_lxc.destroy_vm "$n" || true
    done
    [ ! -d "$run/lxc/$image" ] || quiet lxc.destroy "$image" stop=True || true
    for d in "$run"/lxc/*/; do
      [ -d "$d" ] || continue
      n=$(basename "$d")
      echo "  $n left behind by a failed call: lxc-destroy -f" >&2
      lxc-destroy -P "$run/lxc" -n "$n" -f >/dev/null 2>&1 || true
    done
    # saltgo's image sync/clone lock files (flock files, no containers)
    rm -f "$run"/lxc/.saltgo-*.lock
    rmdir "$run/lxc" 2>/dev/null || true
    # liblxc's lock files for the private paths (LXC's runtime directory)
    rm -rf "/run/lxc/lock$run"
    d=$(dirname "/run/lxc/lock$run")
    while [ "$d" != /run/lxc/lock ] && rmdir "$d" 2>/dev/null; do d=$(dirname "$d"); done
  fi
  if [ -f "$run/netns" ]; then
    ns=$(cat "$run/netns")
    ! ip netns list | grep -qw -- "$ns" || ip netns del "$ns"
    rm -f "$run/netns"
  fi
  rm -rf "$run/images"
  say "removed (allocations kept in $run/alloc)"
}

if [ -n "$down_only" ]; then
  teardown
  exit 0
fi

if [ -f "$run/netns" ]; then
  say "a previous run was kept in $run: removing it first"
  teardown
fi

keep=${KEEP:-}
case "$keep" in 0|no|false) keep="";; esac
done_ok=""
on_exit() {
  rc=$?
  trap - EXIT
  # A second Ctrl-C does not stop the tear-down (at most the call running
  # then is cancelled, and lxc-destroy removes what it leaves).
  trap '' INT TERM
  if [ -n "$keep" ] && [ -n "$done_ok" ]; then
    echo
    echo "kept: ${#vms[@]} VMs running in network namespace $(cat "$run/netns") (list them: ip netns exec $(cat "$run/netns") lxc-ls -f -P $run/lxc)"
    echo "enter one: ip netns exec $(cat "$run/netns") lxc-attach -P $run/lxc -n ${vms[0]}"
    echo "remove it: make run-down RUN_DIR=$run  (or: bash scripts/run-example.sh --down $bin $run)"
    exit "$rc"
  fi
  [ -n "$done_ok" ] || echo "interrupted or failed (exit $rc): tearing down" >&2
  teardown || rc=1
  exit "$rc"
}
vms=()
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 1. A masterless mastersalt minion for the compute node, all in RUN_DIR.
mkdir -p "$run/conf" "$run/pillar" "$run/root" "$run/alloc" "$run/lxc" "$run/images" "$run/master-pki"
ns=saltgo-run-$(head -c 4 /dev/urandom | od -An -tx1 | tr -d ' \n')
cat > "$run/conf/minion" <<CONF
# generated by scripts/run-example.sh
id: $cn
file_client: local
root_dir: $run/root
pillar_roots:
  base:
    - $run/pillar
# containers in a private LXC path, their bridge in the namespace $ns
lxc.lxcpath: $run/lxc
lxc.netns: $ns
mc_cloud_lxc.alloc_root: $run/alloc
mc_cloud_lxc.grains_file: $run/grains
mc_cloud_lxc.images_source: $run/images
mc_cloud_lxc.minion_binary: $bin
mc_cloud_lxc.master_pki_dir: $run/master-pki
CONF
printf "base:\n  '%s':\n    - cloud\n    - stand-ins\n" "$cn" > "$run/pillar/top.sls"
cp "$repo/cloud/examples/pillar.yaml" "$run/pillar/cloud.sls"
# Merged over the seed's pillar (Salt's recursive pillar merge); the table
# shows them (standin).
cat > "$run/pillar/stand-ins.sls" <<'SLS'
# generated by scripts/run-example.sh: what this machine cannot do
makina-states.services.cloud.lxc.targets.devhost10.local:
  gfoobar.test.com:
    profile_type: dir        # lvm: no device-mapper here
  gfoobar4.test.com:
    profile_type: dir        # lvm
  gfoobar2.test.com:
    image: busybox           # ubuntu: its template downloads
SLS
declare -A standin=([gfoobar.test.com]="lvm->dir" [gfoobar4.test.com]="lvm->dir"
                    [gfoobar2.test.com]="ubuntu->busybox")
mapfile -t vms < <(call pillar.keys "makina-states.services.cloud.lxc.targets.$cn" --out newline_values_only)
[ "${#vms[@]}" -gt 0 ] || { echo "no VM for $cn in the pillar ($run/pillar)" >&2; exit 1; }
say "compute node $cn: ${#vms[@]} VMs in the seed's pillar ($run/pillar)"

ip netns add "$ns"
echo "$ns" > "$run/netns"
ip -n "$ns" link set lo up

# 2. install_vt's node side: grains, the bridge (with the gateway of the
# settings, inside the namespace), the image.
quiet mc_cloud_lxc.configure_grains
quiet mc_cloud_lxc.configure_install_lxc
say "bridge lxcbr1 $(ip -n "$ns" -4 -o addr show dev lxcbr1 | awk '{print $4}') up in network namespace $ns"
quiet lxc.create "$image" template=busybox path="$run/images"
# The image list of the settings is era C's (makina-states-trusty); the
# seed's pillar pins the VMs' default container to makina-states-precise.
quiet mc_cloud_lxc.configure_images images="$image"
say "image $image (busybox stand-in) synced into $run/lxc"

# 3. The VMs: provision_vm computes each one's settings from the pillar
# (get_settings_for_vm: allocations in RUN_DIR), then runs the VM steps.
for vm in "${vms[@]}"; do
  quiet mc_cloud_lxc.provision_vm "$vm" steps="$steps"
  say "provisioned $vm ($steps)"
done

# 4. What is running.
echo
{
  echo "VM STATE IP(eth0) MAC SSH-REVERSE-PORT PROFILE STAND-IN PING IS.VM"
  for vm in "${vms[@]}"; do
    s=$(call mc_cloud_lxc.get_settings_for_vm "$cn" "$vm" --out json)
    state=$(call lxc.state "$vm" --out newline_values_only)
    addr=$(call lxc.run "$vm" "ip -4 -o addr show dev eth0" --out newline_values_only | awk '{print $4}')
    ipv=$(echo "$s" | value ip)
    ping=no
    # from the bridge's side, inside the namespace
    ! ip netns exec "$ns" busybox ping -c 1 -W 2 "$ipv" >/dev/null 2>&1 || ping=ok
    # the VM's grain, read by the saltgo minion initial_setup installed in it
    isvm=$(call lxc.run "$vm" "/usr/local/bin/saltgo mastersalt-call --local grains.get makina-states.cloud.is.vm --out newline_values_only" \
           --out newline_values_only)
    echo "$vm $state ${addr:--} $(echo "$s" | value mac) $(echo "$s" | value ssh_reverse_proxy_port)" \
         "$(echo "$s" | value profile) ${standin[$vm]:--} $ping ${isvm:--}"
  done
} | column -t
echo
one=${vms[0]}
echo "\$ mastersalt-call --local mc_cloud_lxc.get_settings_for_vm $cn $one"
call mc_cloud_lxc.get_settings_for_vm "$cn" "$one"
echo
say "done: ${#vms[@]} VMs provisioned"
done_ok=1
