#!/usr/bin/env bash
# Build and test the solution against a private PostgreSQL cluster ("test", port 5434,
# fsync off: test data only). Extra arguments are passed to `dotnet test`, e.g.
#   ./test.sh --filter "FullyQualifiedName~Budget"
#
# The test cluster is left running so that re-runs are fast; stop it with
#   scripts/pg.sh stop test
#
# Installs what the tests need when missing (as root, with apt-get): PostgreSQL and Chromium; and, with npm, the SARIF
# multitool that validates the scanner's SARIF output (pinned, into the git-ignored .tools/).
#
# Environment:
#   GOVERNANCE_PG_PORT  PostgreSQL port (default 5434)
#   GOVERNANCE_CHROMIUM Chromium binary for the browser test (default /usr/bin/chromium)
#   GOVERNANCE_SARIF_MULTITOOL  SARIF multitool binary for the scanner's tests (default: installed into .tools/)
# Exports to the tests:
#   GOVERNANCE_TEST_DB  Npgsql connection string (database governance_test)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
cd "$REPO_ROOT"
# shellcheck source=scripts/pg.sh
source "$REPO_ROOT/scripts/pg.sh"
# shellcheck source=scripts/chromium.sh
source "$REPO_ROOT/scripts/chromium.sh"
# shellcheck source=scripts/sarif.sh
source "$REPO_ROOT/scripts/sarif.sh"

die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

command -v dotnet >/dev/null 2>&1 || die "dotnet is not on PATH; install the .NET 10 SDK"
if [[ -f Governance.sln ]]; then
  SOLUTION=Governance.sln
elif [[ -f Governance.slnx ]]; then
  SOLUTION=Governance.slnx
else
  die "Governance.sln not found in $REPO_ROOT"
fi

ensure_postgres test
export GOVERNANCE_TEST_DB="$GOVERNANCE_DB"
# The dashboard's browser test drives headless Chromium (Debian's package).
ensure_chromium
# The scanner's SARIF test validates its output with Microsoft's SARIF multitool (npm package, pinned).
ensure_sarif_multitool

mkdir -p -m 0755 .data
LOG=.data/test-last.log
set +e
dotnet test "$SOLUTION" -c Release --logger "console;verbosity=normal" "$@" 2>&1 | tee "$LOG"
code=${PIPESTATUS[0]}
set -e

echo
echo "==== test.sh summary (full output: $LOG) ===="
# With verbosity=normal VSTest ends each test assembly with a block
#   "Test Run Successful|Failed." / "Total tests: n" / "Passed: n" / ... / "Total time: ..."
# (minimal verbosity prints one "Passed!|Failed!  - Failed: n, Passed: n, ..." line instead).
awk '/^(Test Run (Successful|Failed|Aborted))/ { inblock = 1 }
     inblock { print }
     /^[[:space:]]*Total time:/ { inblock = 0 }
     /^[[:space:]]*(Passed!|Failed!)/ { print }' "$LOG" || true
# One plain closing line, the same whatever the runner's verbosity: "tests: N passed, N failed, N skipped".
awk '/^Total tests:/ { inblock = 1 }
     inblock && /^[[:space:]]*Passed:/  { p += $2 }
     inblock && /^[[:space:]]*Failed:/  { f += $2 }
     inblock && /^[[:space:]]*Skipped:/ { s += $2 }
     /^[[:space:]]*Total time:/ { inblock = 0 }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$LOG" || true
if (( code == 0 )); then
  echo "test.sh: dotnet test succeeded"
else
  echo "test.sh: dotnet test FAILED (exit code $code)"
fi
echo "test.sh: PostgreSQL 'test' cluster left running on 127.0.0.1:$GOVERNANCE_PG_PORT_ACTIVE (stop it with: scripts/pg.sh stop test)"
exit "$code"
