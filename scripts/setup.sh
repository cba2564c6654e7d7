#!/usr/bin/env bash
# Installs what building and testing saltgo needs on a Debian 12 machine, as
# root: the Debian packages (LXC for the container tests, build tools) and a
# Go toolchain of the version go.mod asks for when none is installed. Safe to
# run again: it only installs what is missing.
set -euo pipefail

need_pkgs=(build-essential pkg-config git ca-certificates curl unzip rsync iproute2 procps python3-minimal
           lxc lxc-dev lxc-templates busybox-static dpkg-dev nftables
           cron openssh-client openssh-server xz-utils bzip2 zip)

missing=()
for p in "${need_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages (${missing[*]}); run as root or install them" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The tests use cron's crontab (and the like) inside containers; no
  # daemon of theirs is started on this machine while installing.
  policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && policy=1
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ -z "$policy" ] || rm -f /usr/sbin/policy-rc.d
fi

# Go: go.mod names the version; use it when present, else fetch that
# toolchain from the Go module proxy (the golang.org/toolchain module).
want=$(awk '/^go /{print $2; exit}' "$(dirname "$0")/../go.mod")
have=""
for g in go /usr/local/go/bin/go /usr/local/go-"$want"/bin/go; do
  if command -v "$g" >/dev/null 2>&1; then
    v=$("$g" env GOVERSION 2>/dev/null | sed 's/^go//')
    if [ -n "$v" ] && [ "$(printf '%s\n%s\n' "$want" "$v" | sort -V | head -1)" = "$want" ]; then
      have=$(command -v "$g"); break
    fi
  fi
done
if [ -z "$have" ]; then
  arch=$(dpkg --print-architecture)
  dest=/usr/local/go-"$want"
  echo "setup: fetching Go $want toolchain for $arch from the module proxy"
  tmp=$(mktemp -d)
  curl -fsSL -o "$tmp/go.zip" "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-go${want}.linux-${arch}.zip"
  unzip -q "$tmp/go.zip" -d "$tmp"
  rm -rf "$dest"
  mv "$tmp/golang.org/toolchain@v0.0.1-go${want}.linux-${arch}" "$dest"
  chmod +x "$dest"/bin/* "$dest"/pkg/tool/*/* 2>/dev/null || true
  rm -rf "$tmp"
  have="$dest/bin/go"
fi
echo "$have"
