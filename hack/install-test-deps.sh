#!/usr/bin/env bash
# Installs what the tests need besides Go: dnsmasq (Debian's dnsmasq-base), which
# internal/testdns runs on loopback as a real DNS server.
#
# Idempotent and quiet when there is nothing to do: it exits at once when dnsmasq is
# already on PATH or at /usr/sbin/dnsmasq. Runs apt-get update only when the package
# cannot be installed from the lists the machine already has.
#
# Usage: hack/install-test-deps.sh
set -euo pipefail

PKG=dnsmasq-base

have_dnsmasq() { command -v dnsmasq >/dev/null 2>&1 || [[ -x /usr/sbin/dnsmasq ]]; }

if have_dnsmasq; then exit 0; fi

log() { echo "install-test-deps: $*" >&2; }

if [[ $(id -u) -eq 0 ]]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
elif command -v sudo >/dev/null 2>&1 && [[ -t 0 ]]; then
  log "dnsmasq is missing; installing $PKG with sudo (it may ask for your password)"
  SUDO=(sudo)
else
  log "dnsmasq is missing and this script is not root (and sudo cannot be used without a terminal or password)."
  log "Install it yourself, e.g.: sudo apt-get install -y $PKG   (Debian/Ubuntu; provides /usr/sbin/dnsmasq)"
  log "or your distribution's dnsmasq package, then re-run the tests."
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  log "apt-get not found: install dnsmasq with your system's package manager (Debian: $PKG)."
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_install() {
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "$PKG" >/dev/null
}

# Candidate version known from the current lists? If not, the lists are missing or
# stale: refresh them once.
candidate=$(apt-cache policy "$PKG" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
if [[ -z $candidate || $candidate == "(none)" ]]; then
  log "refreshing apt lists (apt-get update)"
  "${SUDO[@]}" apt-get update -q >/dev/null
fi

log "installing $PKG"
if ! apt_install; then
  # The lists may name a version the mirror no longer serves: refresh and retry once.
  log "install failed; refreshing apt lists and retrying"
  "${SUDO[@]}" apt-get update -q >/dev/null
  apt_install
fi

if ! have_dnsmasq; then
  log "installed $PKG but no dnsmasq binary was found on PATH or at /usr/sbin/dnsmasq"
  exit 1
fi
log "dnsmasq installed: $(command -v dnsmasq || echo /usr/sbin/dnsmasq)"
