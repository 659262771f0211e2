#!/usr/bin/env bash
# CPU cost of the translation layer (src/ProxyAdapter/Translation), per provider kind (not part of ./test.sh):
#
#   tests/Benchmarks/translation.sh [--iterations N] [--repeats R]
#
# Builds tests/Benchmarks/TranslationBenchmark in Release and prints, for each pair (client API -> provider kind), the
# microseconds one thread spends translating a typical request (parse excluded, serialization included), a whole answer,
# and each unit of a 50-delta stream (an SSE event or an event-stream frame), with the bytes allocated. No network, no
# database; about 30 s. The figures go in docs/providers.md, "Translation cost".
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build tests/Benchmarks/TranslationBenchmark -c Release --nologo -v q 1>&2
exec dotnet tests/Benchmarks/TranslationBenchmark/bin/Release/net10.0/TranslationBenchmark.dll --bench "$@"
