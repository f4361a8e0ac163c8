#!/usr/bin/env bash
# Installs what the tests need besides Go, from Debian's packages:
#
#   dnsmasq-base   dnsmasq, which test/framework/testdns runs on loopback as a real DNS server
#   shellcheck     which actionlint runs on the workflows' scripts (test/workflows)
#   zip            the kubectl plugin's Windows archives (hack/plugin-archives.sh; test/install)
#   iptables, ipset, conntrack, nfacct, iproute2, nftables
#                  the dataplane suite (test/dataplane): kube-router and kube-proxy drive
#                  iptables, ipset and nfacct; the suite builds its network namespaces
#                  with ip, and compares iptables-save, nft, ipset, nfacct and conntrack
#                  output before and after the run to prove it left nothing behind
#
# The dataplane suite runs as root only (it creates network namespaces), so its
# packages are installed only where this script can install as root; a developer
# without root gets dnsmasq alone, and the suite skips saying why.
#
# Idempotent and quiet when there is nothing to do: it exits at once when every
# command is already there. Runs apt-get update only when a package cannot be installed
# from the lists the machine already has.
#
# Usage: hack/install-test-deps.sh
set -euo pipefail

log() { echo "install-test-deps: $*" >&2; }

# package:command pairs; a package counts as installed when its command is found.
BASE=(dnsmasq-base:dnsmasq shellcheck:shellcheck zip:zip)
DATAPLANE=(iptables:iptables ipset:ipset conntrack:conntrack nfacct:nfacct iproute2:ip nftables:nft)

# have CMD: on PATH, or in the sbin directories a user's PATH may lack.
have() {
  command -v "$1" >/dev/null 2>&1 || [[ -x /usr/sbin/$1 || -x /sbin/$1 ]]
}

# missing PAIR... prints the packages whose command is not found.
missing() {
  local pair
  for pair in "$@"; do have "${pair#*:}" || echo "${pair%%:*}"; done
}

if [[ $(id -u) -eq 0 ]]; then
  SUDO=() can_root=1
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n) can_root=1
else
  SUDO=() can_root=0
fi

mapfile -t want < <(missing "${BASE[@]}")
if [[ $can_root -eq 1 ]]; then
  mapfile -t more < <(missing "${DATAPLANE[@]}")
  want+=("${more[@]}")
elif [[ -n $(missing "${DATAPLANE[@]}") ]]; then
  log "not root: the dataplane suite (test/dataplane) needs root and will be skipped;"
  log "its packages are not installed: $(missing "${DATAPLANE[@]}" | tr '\n' ' ')"
fi

if [[ ${#want[@]} -eq 0 ]]; then exit 0; fi

if [[ $can_root -eq 0 ]]; then
  if command -v sudo >/dev/null 2>&1 && [[ -t 0 ]]; then
    log "${want[*]} missing; installing with sudo (it may ask for your password)"
    SUDO=(sudo)
  else
    log "${want[*]} missing and this script is not root (and sudo cannot be used without a terminal or password)."
    log "Install it yourself, e.g.: sudo apt-get install -y ${want[*]}   (Debian/Ubuntu; dnsmasq-base provides /usr/sbin/dnsmasq)"
    log "or your distribution's equivalent, then re-run the tests."
    exit 1
  fi
fi

if ! command -v apt-get >/dev/null 2>&1; then
  log "apt-get not found: install ${want[*]} (Debian's names) with your system's package manager."
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_install() {
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${want[@]}" >/dev/null
}

# Candidate versions known from the current lists? If not, the lists are missing or
# stale: refresh them once.
for pkg in "${want[@]}"; do
  candidate=$(apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
  if [[ -z $candidate || $candidate == "(none)" ]]; then
    log "refreshing apt lists (apt-get update)"
    "${SUDO[@]}" apt-get update -q >/dev/null
    break
  fi
done

log "installing ${want[*]}"
if ! apt_install; then
  # The lists may name a version the mirror no longer serves: refresh and retry once.
  log "install failed; refreshing apt lists and retrying"
  "${SUDO[@]}" apt-get update -q >/dev/null
  apt_install
fi

left=$(missing "${BASE[@]}"; [[ $can_root -eq 1 ]] && missing "${DATAPLANE[@]}" || true)
if [[ -n $left ]]; then
  log "installed ${want[*]} but found no command of: $(echo "$left" | tr '\n' ' ')"
  exit 1
fi
log "installed ${want[*]}"
