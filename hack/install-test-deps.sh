#!/usr/bin/env bash
# Installs what the tests need besides Go, from Debian's packages: dnsmasq
# (dnsmasq-base), which internal/testdns runs on loopback as a real DNS server, and
# shellcheck, which actionlint runs on the workflows' scripts (test/release).
#
# Idempotent and quiet when there is nothing to do: it exits at once when dnsmasq is
# already on PATH or at /usr/sbin/dnsmasq and shellcheck on PATH. Runs apt-get update
# only when a package cannot be installed from the lists the machine already has.
#
# Usage: hack/install-test-deps.sh
set -euo pipefail

have_dnsmasq() { command -v dnsmasq >/dev/null 2>&1 || [[ -x /usr/sbin/dnsmasq ]]; }
have_shellcheck() { command -v shellcheck >/dev/null 2>&1; }

PKGS=()
have_dnsmasq || PKGS+=(dnsmasq-base)
have_shellcheck || PKGS+=(shellcheck)
if [[ ${#PKGS[@]} -eq 0 ]]; then exit 0; fi
PKG="${PKGS[*]}"

log() { echo "install-test-deps: $*" >&2; }

if [[ $(id -u) -eq 0 ]]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
elif command -v sudo >/dev/null 2>&1 && [[ -t 0 ]]; then
  log "$PKG missing; installing with sudo (it may ask for your password)"
  SUDO=(sudo)
else
  log "$PKG missing and this script is not root (and sudo cannot be used without a terminal or password)."
  log "Install it yourself, e.g.: sudo apt-get install -y $PKG   (Debian/Ubuntu)"
  log "or your distribution's packages, then re-run the tests."
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  log "apt-get not found: install dnsmasq and shellcheck with your system's package manager (Debian: $PKG)."
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt_install() {
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${PKGS[@]}" >/dev/null
}

# Candidate version known from the current lists? If not, the lists are missing or
# stale: refresh them once.
missing_candidate=false
for pkg in "${PKGS[@]}"; do
  candidate=$(apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
  [[ -z $candidate || $candidate == "(none)" ]] && missing_candidate=true
done
if $missing_candidate; then
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
if ! have_shellcheck; then
  log "installed $PKG but no shellcheck was found on PATH"
  exit 1
fi
log "installed: $PKG"
