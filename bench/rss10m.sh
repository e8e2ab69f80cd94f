#!/usr/bin/env bash
# Peak RSS of the three --state runs at N keys (issue 18: ≤ 200 MB, the
# state's mapped pages included, flat from 1M to 10M keys): a first run
# into a fresh state, an unchanged run and a 1%-changed run (every 100th
# company renamed, as bench.sh does), each against a copy of the first
# run's state. Per run: wall and CPU seconds, peak RSS (time -v), and the
# peaks of RssAnon and of the mapped file (RssFile + RssShmem: a state on
# tmpfs counts as shmem) sampled from /proc every 0.2 s.
#
#   bench/rss10m.sh BIN CSV WORKDIR [OUTDIR]    e.g. a 10M export from
#   go run ./bench/gen -rows 10000000 -kind companies -format csv > c10m.csv
#
# TRACE=1 keeps every sample (run, seconds, RssAnon KB, file KB) in
# WORKDIR/trace.
# WORKDIR holds the states, OUTDIR (default WORKDIR/out) the payloads: a
# 10M run writes about 4 GB of them, better on disk than on tmpfs.
set -euo pipefail
bin=${1:?binary} csv=${2:?companies CSV} work=${3:?work dir} out=${4:-$3/out}
mkdir -p "$work"
changed="${csv%.csv}-1pct.csv"
[ -s "$changed" ] || awk 'NR > 1 && NR % 100 == 0 {sub(/^[^,]*,[^,]*/, "& v2")} {print}' "$csv" > "$changed"

# run NAME CSV STATE: one run, its figures on one line
run() {
  rm -rf "$out"
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$bin" run --companies "$2" --out "$out" -q --state "$3" &
  local tpid=$! anon=0 file=0 pid
  sleep 0.05
  pid=$(pgrep -P "$tpid" | head -1 || true)
  while kill -0 "$tpid" 2>/dev/null; do
    if [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; then
      read -r a f < <(awk '/^RssAnon/ {a=$2} /^RssFile|^RssShmem/ {f+=$2} END {print a+0, f+0}' "/proc/$pid/status" 2>/dev/null || echo "0 0")
      [ -n "${TRACE:-}" ] && echo "$1 $SECONDS $a $f" >> "$work/trace"
      ((a > anon)) && anon=$a
      ((f > file)) && file=$f
    fi
    sleep 0.2
  done
  wait "$tpid" || true
  read -r e u s m < "$work/time"
  awk -v n="$1" -v e="$e" -v u="$u" -v s="$s" -v m="$m" -v a="$anon" -v f="$file" \
    'BEGIN {printf "%-14s %8.2f %8.2f %8.0f MB %8.0f MB %8.0f MB\n", n, e, u+s, m/1024, a/1024, f/1024}'
}
printf "%-14s %8s %8s %11s %11s %11s\n" run "wall s" "CPU s" "peak RSS" "RssAnon" "file+shm"
rm -f "$work/first.state"
run first "$csv" "$work/first.state"
cp "$work/first.state" "$work/again.state"
run unchanged "$csv" "$work/again.state"
cp "$work/first.state" "$work/changed.state"
run 1%-changed "$changed" "$work/changed.state"
ls -l "$work/first.state" "$work/changed.state" | awk '{printf "%s %.0f MB\n", $NF, $5/1048576}'
rm -rf "$out" "$work/time" "$work/again.state" "$work/changed.state"
[ -n "${KEEP:-}" ] || rm -f "$work/first.state" # KEEP=1 keeps the first state
