#!/usr/bin/env bash
# Peak memory of duplicate resolution when every row has the same key: a
# gzip of N rows of one company (issue 11: 8.9 GB RSS on an 8.7 MB gzip).
# The payloads go to disk before the superseded ones are removed, so the
# data directory needs room for N payloads (about 230 bytes each).
#
#   bench/hotkey.sh [rows] [data-dir]     (default 50,000,000 rows, $TMPDIR/groupimport-hotkey)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-50000000}
data=${2:-${TMPDIR:-/tmp}/groupimport-hotkey}
mkdir -p "$data"
bin="$data/groupimport"
go build -o "$bin" ./cmd/groupimport
in="$data/hot-$rows.csv.gz"
if [ ! -s "$in" ]; then
  { echo "company_id,name"; yes "hot,Hot Company" | head -n "$rows" || true; } | gzip -1 > "$in.tmp"
  mv "$in.tmp" "$in"
fi
rm -rf "$data/out"
/usr/bin/time -v -o "$data/time" "$bin" run --companies "$in" --out "$data/out" -q || echo "exit status $?"
rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$data/time")
wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$data/time")
read -r read emitted superseded < <(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["totals"]; print(t["read"], t["emitted"], t["superseded"])' "$data/out/report.json")
printf "rows %s (gzip %s bytes): read %s, emitted %s, superseded %s; wall %s, peak RSS %.0f MB\n" \
  "$rows" "$(stat -c %s "$in")" "$read" "$emitted" "$superseded" "$wall" "$((rss / 1024))"
rm -rf "$data/out"
