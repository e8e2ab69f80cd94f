#!/usr/bin/env bash
# Incremental runs on a 1M-row export: the first run with --state, a
# second run over the unchanged export (everything skipped), a third over
# an export with 1% of rows changed; and the stateless run for comparison.
# Prints wall time, rows/s and peak RSS of each.
#
#   bench/incremental.sh [data-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:-/dev/shm/groupimport-bench}
mkdir -p "$data"
bin="$data/groupimport"
go build -o "$bin" ./cmd/groupimport
[ -s "$data/c1m.csv" ] || go run ./bench/gen -rows 1000000 > "$data/c1m.csv"
# 1% changed: every 100th row gets another plan
awk -F, 'NR > 1 && NR % 100 == 0 {OFS=","; $13 = "changed"} {print}' "$data/c1m.csv" > "$data/c1m-changed.csv"
run() {
  local name=$1; shift
  rm -rf "$data/out"
  /usr/bin/time -f "%e %M" -o "$data/time" "$bin" run "$@" --out "$data/out" -q || true
  read -r t m < "$data/time"
  sent=$( (cat "$data"/out/payloads-* 2>/dev/null || true) | wc -l)
  awk -v n="$name" -v t="$t" -v m="$m" -v s="$sent" 'BEGIN {printf "%-28s %6.2f s %9.0f rows/s %5.0f MB  %8d sent\n", n, t, 1000000/t, m/1024, s}'
}
rm -f "$data/state.db"
run "stateless" --companies "$data/c1m.csv"
run "first run, --state" --companies "$data/c1m.csv" --state "$data/state.db"
run "unchanged, --state" --companies "$data/c1m.csv" --state "$data/state.db"
run "1% changed, --state" --companies "$data/c1m-changed.csv" --state "$data/state.db"
run "unchanged, --delete-missing" --companies "$data/c1m-changed.csv" --state "$data/state.db" --delete-missing
ls -la "$data/state.db" | awk '{printf "state file: %.0f MB\n", $5/1048576}'
