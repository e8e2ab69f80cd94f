#!/usr/bin/env bash
# End-to-end figures of the built command on synthetic exports: median
# wall time, rows/s and peak RSS over N interleaved runs (interleaving
# spreads the machine's noise over every configuration).
#
#   bench/bench.sh [runs] [data-dir]     (default 5 runs, /dev/shm/groupimport-bench)
#
# state-first is a first run with --state (the state file removed before
# it), state-unchanged the run right after it over the same export (every
# row skipped, nothing written); bench/incremental.sh has a 1%-changed run.
# bench/duckdb.sh compares with DuckDB on the same files.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
data=${2:-/dev/shm/groupimport-bench}
mkdir -p "$data"
bin="$data/groupimport"
go build -o "$bin" ./cmd/groupimport
gen() { [ -s "$data/$1" ] || go run ./bench/gen -rows "$2" -kind "$3" -format "$4" > "$data/$1"; }
gen c1m.csv 1000000 companies csv
gen c1m.ndjson 1000000 companies ndjson
gen m3m.csv 3000000 memberships csv
pq() { [ -s "$data/$1" ] || go run ./bench/parquetgen -out "$data/$1" "${@:2}"; }
pq c1m.parquet -rows 1000000
pq w1m.parquet -rows 1000000 -extra 179
pq m3m.parquet -rows 3000000 -kind memberships
declare -A rows=([c1m.csv]=1000000 [c1m.ndjson]=1000000 [m3m.csv]=3000000 [c1m.parquet]=1000000 [w1m.parquet]=1000000 [m3m.parquet]=3000000)
configs=(
  "csv|c1m.csv|--companies|"
  "csv-zstd|c1m.csv|--companies|--compress zstd"
  "csv-gzip|c1m.csv|--companies|--compress gzip"
  "csv-keep-dups|c1m.csv|--companies|--duplicates keep"
  "ndjson|c1m.ndjson|--companies|"
  "memberships-csv|m3m.csv|--memberships|"
  "parquet|c1m.parquet|--companies|"
  "parquet-20-of-200|w1m.parquet|--companies|--mapping bench/wide20.yaml"
  "memberships-pq|m3m.parquet|--memberships|"
  "state-first|c1m.csv|--companies|--state $data/state.db"
  "state-unchanged|c1m.csv|--companies|--state $data/state.db"
)
for ((i = 0; i < runs; i++)); do
  for c in "${configs[@]}"; do
    IFS='|' read -r name file flag extra <<<"$c"
    rm -rf "$data/out"
    [ "$name" != state-first ] || rm -rf "$data/state.db"
    /usr/bin/time -f "%e %M" -o "$data/time" "$bin" run $flag "$data/$file" --out "$data/out" -q $extra || true
    echo "$name $(cat "$data/time")" >> "$data/results.$$"
  done
done
printf "%-18s %9s %11s %10s\n" config "median s" "rows/s" "peak RSS"
for c in "${configs[@]}"; do
  IFS='|' read -r name file _ _ <<<"$c"
  t=$(awk -v n="$name" '$1 == n {print $2}' "$data/results.$$" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  m=$(awk -v n="$name" '$1 == n {print $3}' "$data/results.$$" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  awk -v n="$name" -v t="$t" -v m="$m" -v rows="${rows[$file]}" 'BEGIN {printf "%-18s %9.2f %11.0f %7.0f MB\n", n, t, rows/t, m/1024}'
done
rm -f "$data/results.$$"

# State runs (issue 18): the stateless run of c1m.csv beside a first run
# with --state (a fresh state), a second run of the same export (nothing
# changed) and a run where 1% of the rows changed (the name of every 100th
# company), each against a copy of the first run's state; interleaved, the
# ratio of rows/s to the stateless run and the peak RSS (the state's mapped
# pages included).
[ -s "$data/c1m-1pct.csv" ] || awk 'NR > 1 && NR % 100 == 0 {sub(/^[^,]*,[^,]*/, "& v2")} {print}' "$data/c1m.csv" > "$data/c1m-1pct.csv"
state_run() { # name file state
  rm -rf "$data/out"
  /usr/bin/time -f "%e %M" -o "$data/time" "$bin" run --companies "$data/$2" --out "$data/out" -q ${3:+--state "$data/$3"} || true
  echo "$1 $(cat "$data/time")" >> "$data/state.$$"
}
for ((i = 0; i < runs; i++)); do
  state_run stateless c1m.csv ""
  rm -f "$data/first.state"
  state_run state-first c1m.csv first.state
  cp "$data/first.state" "$data/again.state"
  state_run state-unchanged c1m.csv again.state
  cp "$data/first.state" "$data/changed.state"
  state_run state-1%-changed c1m-1pct.csv changed.state
done
printf "\n%-16s %9s %11s %10s %8s\n" config "median s" "rows/s" "peak RSS" "ratio"
base=$(awk '$1 == "stateless" {print $2}' "$data/state.$$" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
for name in stateless state-first state-unchanged state-1%-changed; do
  t=$(awk -v n="$name" '$1 == n {print $2}' "$data/state.$$" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  m=$(awk -v n="$name" '$1 == n {print $3}' "$data/state.$$" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  awk -v n="$name" -v t="$t" -v m="$m" -v b="$base" 'BEGIN {printf "%-16s %9.2f %11.0f %7.0f MB %7.2fx\n", n, t, 1000000/t, m/1024, b/t}'
done
rm -f "$data/state.$$" "$data"/*.state
