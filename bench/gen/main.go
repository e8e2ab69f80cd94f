// Command gen writes synthetic company or membership exports for
// benchmarks (see package synth).
//
//	go run ./bench/gen -rows 1000000 -kind companies -format csv > companies.csv
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/groupimport/groupimport/bench/synth"
)

func main() {
	rows := flag.Int("rows", 1000000, "rows to write")
	kind := flag.String("kind", "companies", "companies or memberships")
	format := flag.String("format", "csv", "csv or ndjson")
	flag.Parse()
	if err := synth.Write(os.Stdout, *kind, *format, *rows); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
