// Command groupimport turns company and membership exports (CSV, NDJSON,
// Parquet) into Customer.io / Segment group calls and delivers them to
// files or to the batch API. See README.md.
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args, os.Stdout, os.Stderr))
}
