#!/usr/bin/env bash
# The SARIF multitool (Microsoft's SARIF SDK), which the scanner's tests use to validate its SARIF output against the
# SARIF 2.1.0 schema (tests/Governance.Tests/Scan).
#
# Source it and call `ensure_sarif_multitool`: installs the pinned npm package into the git-ignored .tools/ folder when
# it is missing (npm from Debian's nodejs package, installed with apt-get if needed). Only the Linux build is installed,
# without running package scripts; the tests find it there (or at $GOVERNANCE_SARIF_MULTITOOL).

SARIF_MULTITOOL_VERSION=5.7.0
SARIF_MULTITOOL_DIR="${SARIF_MULTITOOL_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)/.tools/sarif-multitool}"

_sarif_log() { printf 'sarif.sh: %s\n' "$*" >&2; }
_sarif_die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

sarif_multitool_path() {
  printf '%s\n' "${GOVERNANCE_SARIF_MULTITOOL:-$SARIF_MULTITOOL_DIR/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool}"
}

ensure_sarif_multitool() {
  local bin
  bin="$(sarif_multitool_path)"
  if [[ -x "$bin" ]]; then
    return 0
  fi
  [[ -n "${GOVERNANCE_SARIF_MULTITOOL:-}" ]] &&
    _sarif_die "GOVERNANCE_SARIF_MULTITOOL=$GOVERNANCE_SARIF_MULTITOOL is not an executable file"
  if ! command -v npm >/dev/null 2>&1; then
    [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1 ||
      _sarif_die "npm is needed to install the SARIF multitool for the scanner's tests; install Node.js and npm"
    _sarif_log "npm not found; installing Debian's nodejs and npm packages with apt-get ..."
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null ||
      _sarif_die "could not install npm (apt-get failed)"
  fi
  _sarif_log "installing @microsoft/sarif-multitool-linux@$SARIF_MULTITOOL_VERSION into $SARIF_MULTITOOL_DIR ..."
  mkdir -p "$SARIF_MULTITOOL_DIR"
  # The package's only install script marks the binary executable; it is done below instead of running package scripts.
  npm install --prefix "$SARIF_MULTITOOL_DIR" --no-save --no-audit --no-fund --ignore-scripts --loglevel=error \
    "@microsoft/sarif-multitool-linux@$SARIF_MULTITOOL_VERSION" >&2 ||
    _sarif_die "npm could not install @microsoft/sarif-multitool-linux@$SARIF_MULTITOOL_VERSION"
  [[ -f "$bin" ]] || _sarif_die "npm installed the SARIF multitool but $bin is missing"
  chmod u+x "$bin"
  _sarif_log "SARIF multitool $SARIF_MULTITOOL_VERSION installed: $bin"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  ensure_sarif_multitool
fi
