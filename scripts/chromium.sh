#!/usr/bin/env bash
# Headless Chromium for the dashboard's browser test (tests/Governance.Tests/Browser).
#
# Source it and call `ensure_chromium`: installs Debian's chromium package with apt-get when
# /usr/bin/chromium (or $GOVERNANCE_CHROMIUM) is missing. Playwright drives it through the driver
# shipped in its NuGet package; nothing is downloaded by Playwright itself (no `playwright install`).

_chromium_log() { printf 'chromium.sh: %s\n' "$*" >&2; }
_chromium_die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

ensure_chromium() {
  local bin="${GOVERNANCE_CHROMIUM:-/usr/bin/chromium}"
  if [[ -x "$bin" ]]; then
    return 0
  fi
  [[ -n "${GOVERNANCE_CHROMIUM:-}" ]] &&
    _chromium_die "GOVERNANCE_CHROMIUM=$GOVERNANCE_CHROMIUM is not an executable file"
  [[ "$(id -u)" -eq 0 ]] ||
    _chromium_die "Chromium is needed for the dashboard's browser test and is not installed.
  Install it first:  sudo apt-get install -y --no-install-recommends chromium"
  command -v apt-get >/dev/null 2>&1 ||
    _chromium_die "Chromium is not installed and apt-get is not available; install Chromium and set GOVERNANCE_CHROMIUM to its binary"

  _chromium_log "Chromium not found; installing Debian's chromium package with apt-get ..."
  local aptlog
  aptlog="$(mktemp /tmp/governance-apt.XXXXXX.log)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$aptlog" 2>&1 ||
     ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >>"$aptlog" 2>&1; then
    tail -n 30 "$aptlog" >&2 || true
    _chromium_die "could not install Chromium (apt-get failed); full output in $aptlog.
  Install it manually: apt-get install -y --no-install-recommends chromium"
  fi
  rm -f "$aptlog"
  [[ -x /usr/bin/chromium ]] || _chromium_die "apt-get installed chromium but /usr/bin/chromium is missing"
  _chromium_log "Chromium installed: $(/usr/bin/chromium --version 2>/dev/null || echo '?')"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  ensure_chromium
fi
