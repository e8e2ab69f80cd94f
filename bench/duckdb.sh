#!/usr/bin/env bash
# groupimport against DuckDB (bench/duckdb) on the same files, in one run:
# both turn 1M companies (CSV and Parquet) and 3M memberships (Parquet)
# into NDJSON group calls. Runs are interleaved (groupimport, DuckDB, next
# file, …, N rounds) so that a shared machine's noise falls on both; it
# prints medians of wall time, CPU time (user+sys) and peak RSS
# (/usr/bin/time), rows/s, and the ratios against issue 18's target:
# groupimport ≥ 3× DuckDB's rows/s at ≤ ¼ of its peak RSS.
#
#   bench/duckdb.sh [runs] [data-dir]     (default 5 runs, /dev/shm/groupimport-bench)
#
# The first round checks that both wrote every row, and a 10,000-row sample
# of each file that the payloads are alike (bench/duckdb -compare).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
data=${2:-/dev/shm/groupimport-bench}
mkdir -p "$data"
gi="$data/groupimport"
duck="$data/duckbench"
go build -o "$gi" ./cmd/groupimport
(cd bench/duckdb && go build -o "$duck" .)
gen() { [ -s "$data/$1" ] || go run ./bench/gen -rows "$2" -kind "$3" -format "$4" > "$data/$1"; }
pq() { [ -s "$data/$1" ] || go run ./bench/parquetgen -out "$data/$1" "${@:2}"; }
gen c1m.csv 1000000 companies csv
pq c1m.parquet -rows 1000000
pq m3m.parquet -rows 3000000 -kind memberships
declare -A rows=([c1m.csv]=1000000 [c1m.parquet]=1000000 [m3m.parquet]=3000000)
# name|kind|file
files=("csv|companies|c1m.csv" "parquet|companies|c1m.parquet" "memberships-pq|memberships|m3m.parquet")

# one tool on one file: appends "name wall rss cpu" to $res, leaves the
# output in $data/out
measure() {
  local name=$1 tool=$2 kind=$3 file=$4
  rm -rf "$data/out" && mkdir -p "$data/out"
  if [ "$tool" = gi ]; then
    /usr/bin/time -f "%e %M %U %S" -o "$data/time" "$gi" run --"$kind" "$data/$file" --out "$data/out" -q
  else
    /usr/bin/time -f "%e %M %U %S" -o "$data/time" "$duck" -kind "$kind" -in "$data/$file" -out "$data/out/duckdb.ndjson" 2>/dev/null
  fi
  awk -v n="$name" '{print n, $1, $2, $3 + $4}' "$data/time" >> "$res"
}

check() {
  local kind=$1 file=$2 sample="$data/sample.${2##*.}" ts=2026-01-01T00:00:00.000Z
  if [ "${file##*.}" = csv ]; then head -10001 "$data/$file" > "$sample"
  else "$duck" -query "COPY (SELECT * FROM read_parquet('$data/$file') LIMIT 10000) TO '$sample'" > /dev/null; fi
  rm -rf "$data/cmp" && mkdir -p "$data/cmp"
  "$gi" run --"$kind" "$sample" --out "$data/cmp/gi" -q --timestamp "$ts"
  cat "$data"/cmp/gi/payloads-*.ndjson > "$data/cmp/gi.ndjson"
  "$duck" -kind "$kind" -in "$sample" -out "$data/cmp/duck.ndjson" -timestamp "$ts" 2>/dev/null
  echo "$file: $("$duck" -compare "$data/cmp/gi.ndjson" "$data/cmp/duck.ndjson")"
  rm -rf "$data/cmp" "$sample"
}
for f in "${files[@]}"; do IFS='|' read -r _ kind file <<<"$f"; check "$kind" "$file"; done

res="$data/duckdb-results.$$"
: > "$res"
for ((i = 0; i < runs; i++)); do
  for f in "${files[@]}"; do
    IFS='|' read -r name kind file <<<"$f"
    for tool in gi duck; do
      measure "$tool-$name" "$tool" "$kind" "$file"
      if ((i == 0)); then
        n=$(cat "$data"/out/*.ndjson | wc -l)
        [ "$n" -eq "${rows[$file]}" ] || { echo "$tool on $file wrote $n rows, want ${rows[$file]}" >&2; exit 1; }
      fi
    done
  done
done
rm -rf "$data/out"

median() { awk -v n="$1" -v k="$2" '$1 == n {print $k}' "$res" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "median of $runs interleaved runs each"
printf "%-22s %8s %8s %11s %9s\n" run "wall s" "CPU s" "rows/s" "peak RSS"
for f in "${files[@]}"; do
  IFS='|' read -r name _ file <<<"$f"
  for tool in gi duck; do
    awk -v n="$tool-$name" -v t="$(median "$tool-$name" 2)" -v m="$(median "$tool-$name" 3)" -v c="$(median "$tool-$name" 4)" -v r="${rows[$file]}" \
      'BEGIN {printf "%-22s %8.2f %8.2f %11.0f %6.0f MB\n", n, t, c, r/t, m/1024}'
  done
done
# paired: the median over rounds of each round's DuckDB wall / ours (the
# two ran back to back, so a round's load falls on both)
paired() { awk -v g="gi-$1" -v d="duck-$1" '$1 == g {a[++i] = $2} $1 == d {b[++j] = $2} END {for (k = 1; k <= i; k++) print b[k] / a[k]}' "$res" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "groupimport against DuckDB: rows/s (DuckDB's wall / ours: of the medians, and paired by round),"
echo "CPU (DuckDB's / ours), peak RSS (ours / DuckDB's); target: rows/s ≥ 3×, peak RSS ≤ 0.25×"
printf "%-16s %8s %8s %8s %9s\n" file "rows/s" "paired" "CPU" "peak RSS"
for f in "${files[@]}"; do
  IFS='|' read -r name _ _ <<<"$f"
  awk -v n="$name" -v gt="$(median "gi-$name" 2)" -v dt="$(median "duck-$name" 2)" -v p="$(paired "$name")" \
    -v gm="$(median "gi-$name" 3)" -v dm="$(median "duck-$name" 3)" -v gc="$(median "gi-$name" 4)" -v dc="$(median "duck-$name" 4)" \
    'BEGIN {printf "%-16s %7.2f× %7.2f× %7.2f× %8.2f×  %s\n", n, dt/gt, p, dc/gc, gm/dm, (dt/gt >= 3 && gm/dm <= 0.25) ? "target met" : "target missed"}'
done
rm -f "$res"
