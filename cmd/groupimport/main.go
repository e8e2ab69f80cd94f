// Command groupimport turns company and membership exports (CSV, NDJSON,
// Parquet) into Customer.io / Segment group calls and delivers them to
// files or to the batch API. See README.md.
package main

import (
	"context"
	"os"
	"runtime/debug"
)

func main() {
	// A soft memory limit keeps the heap near what the run holds live (a
	// fixed number of batches in flight) instead of letting the garbage
	// collector double it; GOMEMLIMIT overrides it.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(128 << 20)
	}
	os.Exit(run(context.Background(), os.Args, os.Stdout, os.Stderr))
}
