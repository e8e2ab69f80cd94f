// Command groupimport turns company and membership exports (CSV, NDJSON,
// Parquet) into Customer.io / Segment group calls and delivers them to
// files or to the batch API. See README.md.
//
// This package is the command line and nothing else: it reads the flags of
// each command into the runner's settings, every flag declared once with
// what it sets (flags.go), and turns the runner's exit code into the
// process's. The runner (package runner) does the work.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	// A soft memory limit keeps the heap near what the run holds live (a
	// fixed number of batches in flight) instead of letting the garbage
	// collector double it; GOMEMLIMIT overrides it.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(128 << 20)
	}
	// A write to a closed pipe (`--out - | head -1`) must fail with EPIPE
	// and end the run with a message and exit 1, not kill the process
	// with SIGPIPE (Go's default for standard output): asking for the
	// signal is what turns that default off.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	os.Exit(run(context.Background(), os.Args, os.Stdout, os.Stderr))
}
