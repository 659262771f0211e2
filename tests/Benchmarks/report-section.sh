#!/usr/bin/env bash
# Shared by the benchmark scripts: writes a generated block into a report file between its markers
# "<!-- NAME-benchmark:begin …" and "<!-- NAME-benchmark:end -->", or, the first time, appends it under a heading.
#
#   write_report_section NAME HEADING FILE BLOCK
write_report_section() {
  local name="$1" heading="$2" file="$3" block="$4"
  [[ -f "$file" ]] || printf '# Benchmarks\n' >"$file"
  python3 - "$file" "$block" "$name" "$heading" <<'PY'
import sys
path, block, name, heading = sys.argv[1:5]
begin_marker, end_marker = f"<!-- {name}-benchmark:begin", f"<!-- {name}-benchmark:end -->"
text = open(path, encoding="utf-8", newline="").read()
begin, end = text.find(begin_marker), text.find(end_marker)
if begin >= 0 and end > begin:
    text = text[:begin] + block + text[end + len(end_marker):]
else:
    text = text.rstrip("\n") + f"\n\n# {heading}\n\n" + block + "\n"
open(path, "w", encoding="utf-8", newline="").write(text)
PY
}
