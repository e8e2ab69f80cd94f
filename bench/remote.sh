#!/usr/bin/env bash
# Object storage input against local disk: 1M company rows as CSV.gz and as
# Parquet, read from disk and from an S3-compatible store on loopback
# (bench/s3serve: gofakes3 in memory, over real HTTP, on a free port). The
# four configurations run interleaved, round after round, each round
# starting one configuration further (no configuration always follows the
# same one: the store's own work after serving an object falls on all
# alike), so that the load of a shared machine falls on all of them alike.
# The table gives each one's median wall time, rows/s, CPU seconds (user +
# system: less at the mercy of other processes than wall time) and peak
# RSS (/usr/bin/time's maximum resident set size, as time -v reports it),
# and each remote configuration's rows/s as a share of the same file's from
# disk, by wall time and by CPU time. The store's own CPU is not counted.
#
#   bench/remote.sh [runs] [data-dir]     (default 5 runs, /dev/shm/groupimport-remote-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
data=${2:-/dev/shm/groupimport-remote-bench}
mkdir -p "$data"
bin="$data/groupimport"
go build -o "$bin" ./cmd/groupimport
go build -o "$data/s3serve" ./bench/s3serve
[ -s "$data/c1m.csv.gz" ] || go run ./bench/gen -rows 1000000 -kind companies -format csv | gzip -6 > "$data/c1m.csv.gz"
[ -s "$data/c1m.parquet" ] || go run ./bench/parquetgen -rows 1000000 -out "$data/c1m.parquet"
rm -f "$data/s3serve.url"
"$data/s3serve" -bucket bench -addr 127.0.0.1:0 "$data/c1m.csv.gz" "$data/c1m.parquet" > "$data/s3serve.url" &
srv=$!
trap 'kill $srv 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$data/s3serve.url" ] && break; sleep 0.2; done
export AWS_ENDPOINT_URL_S3=$(cat "$data/s3serve.url") AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 \
  AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
configs=(
  "csv.gz-local|$data/c1m.csv.gz"
  "csv.gz-s3|s3://bench/c1m.csv.gz"
  "parquet-local|$data/c1m.parquet"
  "parquet-s3|s3://bench/c1m.parquet"
)
res="$data/remote-results.$$"
: > "$res"
for ((i = 0; i < runs; i++)); do
  for ((j = 0; j < ${#configs[@]}; j++)); do
    IFS='|' read -r name input <<<"${configs[(i + j) % ${#configs[@]}]}"
    rm -rf "$data/out"
    if ! /usr/bin/time -f "%e %M %U %S" -o "$data/time" "$bin" run --companies "$input" --out "$data/out" -q --timestamp 2024-05-01T00:00:00Z; then
      echo "round $((i + 1)): $name failed (left out of the medians): $(tail -1 "$data/time")" >&2
      kill -0 $srv 2>/dev/null || { echo "the store stopped (out of memory?)" >&2; exit 1; }
      continue
    fi
    echo "$name $(cat "$data/time")" >> "$res"
  done
done
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
col() { awk -v n="$1" -v k="$2" '$1 == n {print (k == "cpu") ? $4 + $5 : $k}' "$res" | median; }
printf "%-14s %8s %9s %6s %15s %9s %8s\n" config "median s" "rows/s" "CPU s" "peak RSS" "vs local" "CPU vs"
for c in "${configs[@]}"; do
  IFS='|' read -r name _ <<<"$c"
  t=$(col "$name" 2) cpu=$(col "$name" cpu) m=$(col "$name" 3)
  mx=$(awk -v n="$name" '$1 == n {print $3}' "$res" | sort -n | tail -1)
  lt=$(col "${name%-*}-local" 2) lcpu=$(col "${name%-*}-local" cpu)
  awk -v n="$name" -v t="$t" -v c="$cpu" -v m="$m" -v mx="$mx" -v lt="$lt" -v lc="$lcpu" \
    'BEGIN {printf "%-14s %8.2f %9.0f %6.2f %4.0f MB (max %3.0f) %8.2fx %7.2fx\n", n, t, 1000000/t, c, m/1024, mx/1024, lt/t, lc/c}'
done
echo "every run: $res (config, seconds, peak RSS in KiB)"
