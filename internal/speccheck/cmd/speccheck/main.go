// Command speccheck checks groupimport payload files against SPEC and the
// vendor's OpenAPI schema (package internal/speccheck).
//
// Usage:
//
//	speccheck [flags] PATH...
//
// A PATH is an NDJSON file (plain, .gz or .zst), "-" for standard input,
// or a directory, whose files matching -glob (default "payloads-*.ndjson*",
// the file sink's part names) are checked in name order. All inputs are
// checked as one stream, so messageIds must be unique across them and
// -order spans them; -separate checks each input on its own.
//
// Every problem is printed as file:line: problem. Exit status: 0 when
// every message is valid, 1 when a rule is broken, 2 for bad usage or a
// file that cannot be read.
package main

import (
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/groupimport/groupimport/internal/speccheck"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("speccheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		opts      speccheck.Options
		intTraits string
		tsTraits  string
		glob      string
		separate  bool
		quiet     bool
	)
	fs.BoolVar(&opts.ExpectSentAt, "sent-at", false, "messages are on their way to the HTTP API: every one must carry sentAt (default: sentAt must be absent)")
	fs.BoolVar(&opts.AllowEmptyStrings, "allow-empty", false, `accept "" as a trait value`)
	fs.BoolVar(&opts.AllowNull, "allow-null", false, "accept null trait values (a mapping that clears traits)")
	fs.BoolVar(&opts.JourneysLimits, "journeys", false, "check Journeys' limits: ≤ 300 attributes, names ≤ 150 bytes, values ≤ 1,000 bytes")
	fs.BoolVar(&opts.RejectUnsafeIntegers, "safe-integers", false, "flag integers beyond ±(2^53−1), which JavaScript rounds")
	fs.BoolVar(&opts.AllowUserAndAnonymousID, "allow-both-ids", false, "accept a membership call with both userId and anonymousId")
	fs.IntVar(&opts.MaxMessageBytes, "max-bytes", speccheck.DefaultMaxMessageBytes, "per-message size limit in bytes")
	fs.StringVar(&opts.LibraryName, "library", "", "required context.library.name (e.g. groupimport)")
	fs.StringVar(&opts.ObjectDeletedEvent, "object-deleted", speccheck.EventObjectDeleted, "event name of object deletes")
	fs.StringVar(&opts.RelationshipDeletedEvent, "relationship-deleted", speccheck.EventRelationshipDeleted, "event name of relationship deletes")
	fs.StringVar(&intTraits, "integer-traits", "", "comma-separated trait paths typed integer (e.g. seats,relationshipAttributes.rank)")
	fs.StringVar(&tsTraits, "timestamp-traits", "", "comma-separated trait paths typed timestamp")
	fs.BoolVar(&opts.CheckOrder, "order", false, "require object calls, then relationship calls, then deletes")
	fs.IntVar(&opts.MaxProblems, "max-problems", 1000, "print at most this many problems (0: all)")
	fs.StringVar(&glob, "glob", "payloads-*.ndjson*", "files of a directory to check")
	fs.BoolVar(&separate, "separate", false, "check each input as a stream of its own")
	fs.BoolVar(&quiet, "q", false, "print problems only, no summary")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: speccheck [flags] PATH...   (files, directories, or - for stdin)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	opts.IntegerTraits = splitList(intTraits)
	opts.TimestampTraits = splitList(tsTraits)

	var files []string
	for _, arg := range fs.Args() {
		expanded, err := expand(arg, glob)
		if err != nil {
			fmt.Fprintf(stderr, "speccheck: %v\n", err)
			return 2
		}
		files = append(files, expanded...)
	}

	var (
		reports []speccheck.Report
		stream  = speccheck.NewStream(opts)
		failed  bool
	)
	for _, name := range files {
		if separate {
			stream = speccheck.NewStream(opts)
		}
		if opened, err := addFile(stream, name, stdin); err != nil {
			if !opened { // a read error after opening is among the problems
				fmt.Fprintf(stderr, "speccheck: %s: %v\n", name, err)
			}
			failed = true
		}
		if separate {
			reports = append(reports, stream.Report())
		}
	}
	if !separate {
		reports = append(reports, stream.Report())
	}

	var messages, problems, shown int
	for _, rep := range reports {
		messages += rep.Messages
		problems += rep.Count
		for _, p := range rep.Problems {
			fmt.Fprintln(stdout, p.Error())
			shown++
		}
	}
	if !quiet {
		if shown < problems {
			fmt.Fprintf(stderr, "speccheck: %d more problem(s) not shown (-max-problems)\n", problems-shown)
		}
		fmt.Fprintf(stderr, "speccheck: %d message(s) in %d file(s), %d problem(s)\n", messages, len(files), problems)
	}
	switch {
	case failed:
		return 2
	case problems > 0:
		return 1
	}
	return 0
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// expand turns a directory into its files matching glob, in name order
// (the file sink's part numbers are zero-padded, so name order is part
// order).
func expand(arg, glob string) ([]string, error) {
	if arg == "-" {
		return []string{arg}, nil
	}
	fi, err := os.Stat(arg)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return []string{arg}, nil
	}
	matches, err := filepath.Glob(filepath.Join(arg, glob))
	if err != nil {
		return nil, fmt.Errorf("-glob %q: %w", glob, err)
	}
	var files []string
	for _, m := range matches {
		if st, err := os.Stat(m); err == nil && st.Mode().IsRegular() {
			files = append(files, m)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no files matching %q", arg, glob)
	}
	sort.Strings(files)
	return files, nil
}

// addFile checks one input, decompressing .gz and .zst by name. opened
// reports whether reading began: an error after that (a truncated gzip
// stream, say) is recorded in the stream's report as a problem too.
func addFile(s *speccheck.Stream, name string, stdin io.Reader) (opened bool, err error) {
	var r io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return false, err
		}
		defer f.Close()
		r = f
	}
	switch {
	case strings.HasSuffix(name, ".gz"):
		zr, err := gzip.NewReader(r)
		if err != nil {
			return false, err
		}
		defer zr.Close()
		r = zr
	case strings.HasSuffix(name, ".zst"):
		zr, err := zstd.NewReader(r)
		if err != nil {
			return false, err
		}
		defer zr.Close()
		r = zr
	}
	return true, s.Add(name, r)
}
