#!/usr/bin/env bash
# Scan benchmark (issue #20; not part of ./test.sh): governance-scan's throughput on a generated repository.
#
#   tests/Benchmarks/scan.sh
#
# 1. builds src/Governance.Scan in Release,
# 2. generates, in a temporary directory, a git repository of BENCH_COMMITS commits (default 10,000) with git
#    fast-import: a first commit of BENCH_FILES source-like text files (default 2,000 of about 3 KB, words from a small
#    vocabulary, so it packs like code), then one commit per step that rewrites a few lines of one file; a handful of
#    provider-shaped keys and virtual keys are planted on the way, some in files later deleted. `git repack -adf`
#    packs it with deltas as a real clone would be (a few MB on disk, tens of MB of blob content),
# 3. runs the scanner BENCH_RUNS times (default 3) in each mode: the checked-out directory tree, and --git (every blob
#    of the history, read through git cat-file); throughput = bytes the scanner read and scanned (its JSON report's
#    bytesScanned) / wall time of the whole process, start-up included; the report shows the median run,
# 4. measures the start-up cost alone (an empty directory) and a pre-commit check (--staged, one staged file),
# 5. writes the figures into docs/benchmarks.md between the scan-benchmark markers and removes the repository.
#
# Environment (all optional):
#   BENCH_COMMITS     commits to generate (default 10000)
#   BENCH_FILES       files in the first commit (default 2000)
#   BENCH_RUNS        runs per mode (default 3)
#   BENCH_OUT         report file (default docs/benchmarks.md; "-" for none)
#   BENCH_SKIP_BUILD  1: use the existing Release build
#   BENCH_KEEP_REPO   1: keep the generated repository (its path is printed)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$REPO_ROOT"
die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }
say() { printf 'scan.sh: %s\n' "$*" >&2; }

COMMITS="${BENCH_COMMITS:-10000}"
FILES="${BENCH_FILES:-2000}"
RUNS="${BENCH_RUNS:-3}"
OUT="${BENCH_OUT:-docs/benchmarks.md}"
for n in "$COMMITS" "$FILES" "$RUNS"; do
  [[ "$n" =~ ^[1-9][0-9]{0,6}$ ]] || die "BENCH_COMMITS, BENCH_FILES and BENCH_RUNS take whole numbers from 1 to 9999999"
done
(( COMMITS <= 200000 && FILES <= 100000 )) || die "at most 200,000 commits and 100,000 files"
command -v git >/dev/null 2>&1 || die "git is not on PATH"
command -v python3 >/dev/null 2>&1 || die "python3 is not on PATH (it generates the repository)"
SCAN_DLL="src/Governance.Scan/bin/Release/net10.0/governance-scan.dll"
# shellcheck source=report-section.sh
source "$REPO_ROOT/tests/Benchmarks/report-section.sh"

WORK="$(mktemp -d /tmp/governance-scan-bench.XXXXXX)"
cleanup() {
  if [[ "${BENCH_KEEP_REPO:-0}" == 1 ]]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
  say "building src/Governance.Scan (Release) ..."
  dotnet build src/Governance.Scan -c Release -v quiet -nologo >/dev/null || die "build failed"
fi
[[ -f "$SCAN_DLL" ]] || die "$SCAN_DLL not found (build it, or unset BENCH_SKIP_BUILD)"

REPO="$WORK/repo"
say "generating $COMMITS commits over $FILES files in $REPO ..."
GEN_START=$(date +%s.%N)
git init -q -b main "$REPO"
python3 - "$COMMITS" "$FILES" <<'PY' | git -C "$REPO" -c gc.auto=0 fast-import --quiet
import random, string, sys, zlib

commits, files = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(20)
words = ["alpha", "beta", "gamma", "delta", "value", "result", "config", "client", "request", "response", "budget",
         "model", "token", "price", "usage", "stream", "retry", "lease", "feed", "key", "app", "team", "window", "limit"]
out = sys.stdout.buffer

def line():
    w = [rng.choice(words) for _ in range(rng.randint(3, 9))]
    return f"    {w[0]}_{rng.randint(0, 999)} = {w[1]}({', '.join(w[2:])})  # {rng.choice(words)}\n"

def alnum(n, alphabet=string.ascii_letters + string.digits):
    return "".join(rng.choice(alphabet) for _ in range(n))

def virtual_key():
    base62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
    body = "gk_" + alnum(16, string.ascii_lowercase + string.digits) + "_" + alnum(32)
    crc = int.from_bytes(zlib.crc32(body.encode()).to_bytes(4, "little"), "big")
    checksum = ""
    for _ in range(6):
        checksum = base62[crc % 62] + checksum
        crc //= 62
    return body + checksum

secrets = [lambda: "sk-proj-" + alnum(40) + "T3BlbkFJ" + alnum(40), lambda: "AKIA" + alnum(16, string.ascii_uppercase + "234567"),
           lambda: "AIza" + alnum(35), lambda: "r8_" + alnum(37), virtual_key]

content = {f"src/module{i // 100:03d}/file{i:05d}.py": [line() for _ in range(rng.randint(30, 70))] for i in range(files)}
paths = sorted(content)

def data(text):
    raw = text.encode()
    out.write(b"data %d\n" % len(raw) + raw + b"\n")

def commit(n, message, changes):
    stamp = 1700000000 + n * 600
    out.write(b"commit refs/heads/main\n")
    out.write(b"mark :%d\n" % n)
    out.write(b"author Bench <bench@example.test> %d +0000\n" % stamp)
    out.write(b"committer Bench <bench@example.test> %d +0000\n" % stamp)
    data(message)
    if n > 1:
        out.write(b"from :%d\n" % (n - 1))
    for path, text in changes:
        if text is None:
            out.write(b"D " + path.encode() + b"\n")
        else:
            out.write(b"M 100644 inline " + path.encode() + b"\n")
            data(text)

commit(1, "initial import", [(p, "".join(content[p])) for p in paths])
plant_every = max(1, commits // 20)
for n in range(2, commits + 1):
    path = rng.choice(paths)
    lines = content[path]
    for _ in range(3):
        lines[rng.randrange(len(lines))] = line()
    if n % plant_every == 0:
        lines[rng.randrange(len(lines))] = f"    SECRET = '{rng.choice(secrets)()}'\n"
    changes = [(path, "".join(lines))]
    if n % (plant_every * 3) == 0:
        doomed = rng.choice(paths)
        changes.append((doomed, None))
        paths.remove(doomed)
        del content[doomed]
    commit(n, f"change {n}", changes)
PY
git -C "$REPO" repack -a -d -f -q --window=10 --depth=50
git -C "$REPO" checkout -q -f main
GEN_SECONDS=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.0f}')" "$GEN_START" "$(date +%s.%N)")
PACK_BYTES=$(du -sb "$REPO/.git/objects/pack" | cut -f1)
TREE_FILES=$(git -C "$REPO" ls-files | wc -l)
say "generated in ${GEN_SECONDS}s: pack $((PACK_BYTES / 1024)) KiB, $TREE_FILES files checked out"

# One run: wall seconds, CPU seconds (user+sys) and the report's counters, as "wall cpu bytes contents findings".
run_scan() {
  local json="$WORK/run.json" timing="$WORK/time.txt" code=0
  /usr/bin/env time -f "%e %U %S" -o "$timing" dotnet "$SCAN_DLL" "$@" --format json --output "$json" >/dev/null 2>&1 || code=$?
  (( code <= 1 )) || die "governance-scan $* exited $code"
  python3 - "$json" "$timing" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))["summary"]
wall, user, system = (float(x) for x in open(sys.argv[2]).read().split()[-3:])
print(f"{wall} {user + system} {report['bytesScanned']} {report['contentsScanned']} {report['findings']}")
PY
}
command -v /usr/bin/time >/dev/null 2>&1 || [[ -x /usr/bin/time ]] || die "/usr/bin/time is missing (apt-get install time)"

# The median run of a mode, and every run's MB/s: "median_wall median_cpu bytes contents findings mbps runs".
measure() {
  local runs=()
  for ((i = 0; i < RUNS; i++)); do runs+=("$(run_scan "$@")"); done
  printf '%s\n' "${runs[@]}" | python3 -c '
import sys, statistics
runs = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
runs.sort(key=lambda r: r[0])
m = runs[len(runs) // 2]
rates = ", ".join(f"{r[2] / r[0] / 1e6:.1f}" for r in runs)
print(f"{m[0]:.2f} {m[1]:.2f} {int(m[2])} {int(m[3])} {int(m[4])} {m[2] / m[0] / 1e6:.1f} {rates}")'
}

say "scanning the directory tree, $RUNS runs ..."
read -r DIR_WALL DIR_CPU DIR_BYTES DIR_CONTENTS DIR_FOUND DIR_MBPS DIR_RUNS < <(measure "$REPO")
say "scanning the history (--git), $RUNS runs ..."
read -r GIT_WALL GIT_CPU GIT_BYTES GIT_CONTENTS GIT_FOUND GIT_MBPS GIT_RUNS < <(measure "$REPO" --git)
# What git itself costs in --git mode: the same commands the scanner runs, alone, their CPU seconds added up.
git_cpu() {
  local timing="$WORK/git-time.txt" total=0 blobs="$WORK/blobs.txt"
  /usr/bin/env time -f "%U %S" -o "$timing" git -C "$REPO" log --all --raw -c --root --no-abbrev --no-renames --topo-order -z \
    '--format=%x01%H %at' >/dev/null
  total=$(awk -v t="$total" '{print t + $1 + $2}' "$timing")
  /usr/bin/env time -f "%U %S" -o "$timing" git -C "$REPO" rev-list --all --objects --filter=object:type=blob --filter-provided-objects >"$blobs.full"
  total=$(awk -v t="$total" '{print t + $1 + $2}' "$timing")
  cut -d' ' -f1 "$blobs.full" >"$blobs"
  /usr/bin/env time -f "%U %S" -o "$timing" git -C "$REPO" cat-file --batch-check <"$blobs" >/dev/null
  total=$(awk -v t="$total" '{print t + $1 + $2}' "$timing")
  /usr/bin/env time -f "%U %S" -o "$timing" git -C "$REPO" cat-file --batch <"$blobs" >/dev/null
  awk -v t="$total" '{printf "%.2f\n", t + $1 + $2}' "$timing"
}
GIT_ONLY_CPU=$(git_cpu)
mkdir -p "$WORK/empty"
read -r EMPTY_WALL EMPTY_CPU _ _ _ _ _ < <(measure "$WORK/empty")
printf 'print("hello")\n' >"$REPO/staged.py"
git -C "$REPO" add staged.py
read -r STAGED_WALL STAGED_CPU _ _ _ _ _ < <(measure "$REPO" --staged)

DOTNET_VERSION="$(dotnet --list-runtimes | awk '/Microsoft.NETCore.App/ {v = $2} END {print v}')"
REVISION="$(git rev-parse --short HEAD)"
git diff --quiet HEAD -- src/Governance.Scan || REVISION="$REVISION (src/Governance.Scan has uncommitted changes)"
MB() { python3 -c "import sys; print(f'{int(sys.argv[1]) / 1e6:.1f}')" "$1"; }
PER_CPU() { python3 -c "import sys; print(f'{int(sys.argv[1]) / 1e6 / max(float(sys.argv[2]), 0.01):.1f}')" "$1" "$2"; }
REPORT="<!-- scan-benchmark:begin (generated by tests/Benchmarks/scan.sh; edit outside these markers) -->
_Last run: $(date -u '+%Y-%m-%d %H:%M') UTC, revision $REVISION._

### Machine

- $(nproc) cores (\`nproc\`), CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); $(uname -sr); .NET $DOTNET_VERSION; $(git --version)
- Load average when the runs started: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine shares its cores)

### Method

A generated repository: $COMMITS commits (a first one of $FILES files, then each rewriting a few lines of one file; keys planted along the way, some files deleted), packed with \`git repack -adf\` to $((PACK_BYTES / 1024)) KiB. Each mode ran $RUNS times as a separate process (\`dotnet governance-scan.dll … --format json\`); **MB/s = bytes scanned / wall time of the process, start-up included** (MB = 10^6 bytes). The table shows the median run; CPU = user + system seconds of the scanner and the git processes it ran, and **MB per CPU s** is the throughput a core of its own would give, less sensitive than wall time to other work on a shared machine.

### Results (medians of $RUNS)

| mode | content scanned | findings | wall s | CPU s | **MB/s** | MB per CPU s | every run (MB/s) |
|---|---:|---:|---:|---:|---:|---:|---|
| directory tree ($DIR_CONTENTS files) | $(MB "$DIR_BYTES") MB | $DIR_FOUND | $DIR_WALL | $DIR_CPU | **$DIR_MBPS** | $(PER_CPU "$DIR_BYTES" "$DIR_CPU") | $DIR_RUNS |
| \`--git\`, whole history ($GIT_CONTENTS blobs) | $(MB "$GIT_BYTES") MB | $GIT_FOUND | $GIT_WALL | $GIT_CPU | **$GIT_MBPS** | $(PER_CPU "$GIT_BYTES" "$GIT_CPU") | $GIT_RUNS |

Of the \`--git\` run's CPU, git's own commands (\`log --raw\`, \`rev-list --objects\`, \`cat-file --batch-check\` and \`--batch\`, run alone on the same repository) take $GIT_ONLY_CPU s.

Start-up alone (an empty directory): $EMPTY_WALL s wall, $EMPTY_CPU s CPU. A pre-commit check (\`--staged\`, one staged file, in this repository): $STAGED_WALL s wall, $STAGED_CPU s CPU.
<!-- scan-benchmark:end -->"

printf '\n%s\n' "$REPORT"

if [[ "$OUT" != - ]]; then
  write_report_section scan "Scan benchmark: governance-scan on a 10,000-commit repository" "$OUT" "$REPORT"
  say "wrote the results into $OUT"
fi
