#!/usr/bin/env bash
# Object storage input against local disk: 1M company rows as CSV.gz and as
# Parquet, read from disk and from an S3-compatible store on loopback
# (bench/s3serve: gofakes3 in memory, over real HTTP). Median wall time,
# rows/s and peak RSS over N interleaved runs.
#
#   bench/remote.sh [runs] [data-dir]     (default 5 runs, /dev/shm/groupimport-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
data=${2:-/dev/shm/groupimport-bench}
mkdir -p "$data"
bin="$data/groupimport"
go build -o "$bin" ./cmd/groupimport
go build -o "$data/s3serve" ./bench/s3serve
[ -s "$data/c1m.csv.gz" ] || go run ./bench/gen -rows 1000000 -kind companies -format csv | gzip -6 > "$data/c1m.csv.gz"
[ -s "$data/c1m.parquet" ] || go run ./bench/parquetgen -rows 1000000 -out "$data/c1m.parquet"
"$data/s3serve" -bucket bench -addr 127.0.0.1:9310 "$data/c1m.csv.gz" "$data/c1m.parquet" > "$data/s3serve.url" &
srv=$!
trap 'kill $srv 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$data/s3serve.url" ] && break; sleep 0.2; done
export AWS_ENDPOINT_URL_S3=$(cat "$data/s3serve.url") AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 \
  AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
configs=(
  "csv.gz-local|$data/c1m.csv.gz"
  "csv.gz-s3|s3://bench/c1m.csv.gz"
  "parquet-local|$data/c1m.parquet"
  "parquet-s3|s3://bench/c1m.parquet"
)
res="$data/remote-results.$$"
for ((i = 0; i < runs; i++)); do
  for c in "${configs[@]}"; do
    IFS='|' read -r name input <<<"$c"
    rm -rf "$data/out"
    /usr/bin/time -f "%e %M" -o "$data/time" "$bin" run --companies "$input" --out "$data/out" -q --timestamp 2024-05-01T00:00:00Z
    echo "$name $(cat "$data/time")" >> "$res"
  done
done
printf "%-14s %9s %11s %10s\n" config "median s" "rows/s" "peak RSS"
for c in "${configs[@]}"; do
  IFS='|' read -r name _ <<<"$c"
  t=$(awk -v n="$name" '$1 == n {print $2}' "$res" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  m=$(awk -v n="$name" '$1 == n {print $3}' "$res" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  awk -v n="$name" -v t="$t" -v m="$m" 'BEGIN {printf "%-14s %9.2f %11.0f %7.0f MB\n", n, t, 1000000/t, m/1024}'
done
rm -f "$res"
