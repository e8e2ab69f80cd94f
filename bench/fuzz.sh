#!/bin/sh
# Run every fuzz target (readers incl. Parquet, jsonx, the VARIANT decoder, dates, payload building, the SPEC
# checker's tokenizer) for a while.
#
#   bench/fuzz.sh            # 60s per target
#   bench/fuzz.sh 10s        # a short pass (CI)
#   bench/fuzz.sh 10m FuzzCSV FuzzNDJSON   # only these targets
#   FUZZ_MINIMIZE=60s bench/fuzz.sh        # minimise new inputs longer
#
# go test runs one fuzz target per invocation, so this runs them one after
# another and stops at the first failure. A failing input is written to
# <package>/testdata/fuzz/<Target>/ by go test: keep it there (it becomes a
# regression case run by every plain `go test`) and fix the bug.
# Without -fuzz, `go test ./...` runs all seed corpora as ordinary tests.
set -eu
cd "$(dirname "$0")/.."
time=${1:-60s}
# Minimising each new coverage input may take go test's default of 60s
# (and those runs are not counted); 10s leaves the time to fuzzing.
minimize=${FUZZ_MINIMIZE:-10s}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
[ $# -gt 0 ] && shift
targets="importer/csv:FuzzCSV importer/csv:FuzzCSVRoundTrip importer/ndjson:FuzzNDJSON importer:FuzzDecompress importer:FuzzTextCheck importer/parquet:FuzzParquet
internal/jsonx:FuzzValid internal/jsonx:FuzzString internal/jsonx:FuzzUnquote internal/variant:FuzzDecode
transform:FuzzParseTime transform:FuzzParseTimeFormat transform:FuzzNumbers transform:FuzzBuild transform:FuzzHashRow internal/speccheck:FuzzScanObject"
for t in $targets; do
	pkg=${t%%:*}
	name=${t#*:}
	if [ $# -gt 0 ]; then
		case " $* " in *" $name "*) ;; *) continue ;; esac
	fi
	echo "== $name ($pkg, $time)"
	dir="$pkg/testdata/fuzz/$name"
	before=$(ls "$dir" 2>/dev/null || true)
	if ! go test "./$pkg" -run '^$' -fuzz "^$name\$" -fuzztime "$time" -fuzzminimizetime "$minimize" >"$log" 2>&1; then
		after=$(ls "$dir" 2>/dev/null || true)
		if [ "$before" = "$after" ] && grep -q "context deadline exceeded" "$log"; then
			# Go's fuzz coordinator can report its own -fuzztime deadline as a
			# failure (golang/go#75804, fixed in Go 1.27): no input failed.
			grep "execs:" "$log" | tail -n 1
			echo "warning: $name stopped with Go's fuzztime deadline race (golang/go#75804); no failing input" >&2
			continue
		fi
		tail -n 30 "$log"
		echo "FAIL: $name (the failing input is in $dir/)" >&2
		exit 1
	fi
	grep "execs:" "$log" | tail -n 1
	tail -n 1 "$log"
done
