package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/groupimport/groupimport/runner"
)

// Version is the program's version, written into context.library.version.
var Version = "0.1.0"

const exitHelp = `EXIT STATUS:
   0  every row was delivered
   1  failure: nothing, or not everything, was delivered (a file could not be read,
      the destination failed, the run was interrupted or hit --max-rejects, the
      state file is damaged, deletes of missing keys were refused or withheld)
   2  bad usage or configuration (flags, mapping file, a mapped column missing)
   3  finished, but some rows were rejected (see the rejects file)
   4  nothing done: another run holds the state's lock (skip, do not alert)
`

// exitError carries an exit code out of an action.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func exitWith(code int, err error) error {
	if code == 0 && err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// App returns the command-line application. Tests run it in-process with
// their own writers.
func App(stdout, stderr io.Writer) *cli.App {
	inputFlags := []cli.Flag{
		&cli.StringSliceFlag{Name: "companies", Aliases: []string{"objects"}, Usage: "company (object) exports: files, globs, directories, s3:// gs:// azblob:// URLs (a prefix is a folder) or - for standard input (repeat the flag for more)"},
		&cli.StringSliceFlag{Name: "memberships", Aliases: []string{"relationships"}, Usage: "membership (person–object) exports: files, globs or directories"},
		&cli.StringSliceFlag{Name: "delete-objects", Usage: "exports naming objects to delete (an Object Deleted event each, sent after the upserts)"},
		&cli.StringSliceFlag{Name: "delete-relationships", Usage: "exports naming person–object relationships to delete (a Relationship Deleted event each)"},
		&cli.StringFlag{Name: "shard", Usage: "handle only the objects (and their memberships and deletes) whose key hashes into shard `K/N` (1-based; each shard keeps its own --state, and takes 1/N of --rate-limit)"},
		&cli.StringFlag{Name: "duplicates", Value: "last", Usage: "rows of one run with the same key: last (the last row wins, the others are counted as superseded) or keep (send all)"},
		&cli.StringFlag{Name: "mapping", Aliases: []string{"m"}, Usage: "YAML mapping `FILE` (without it, columns are mapped by name)"},
		&cli.StringFlag{Name: "format", Usage: "input format: csv, ndjson or parquet (default: by name and content)"},
		&cli.StringFlag{Name: "delimiter", Usage: "CSV delimiter: , ; tab | (default: detected from the header line)"},
		&cli.StringFlag{Name: "encoding", Usage: "text encoding of the inputs, e.g. latin1, windows-1252, utf-16 (default utf-8)"},
		&cli.StringFlag{Name: "timezone", Usage: "zone of dates written without one, an IANA name (default UTC)"},
		&cli.StringFlag{Name: "timestamp", Usage: "event time for rows without their own (default: the run's start)"},
		&cli.IntFlag{Name: "workers", Usage: "parallel workers, 1…256 (default: the number of CPUs)"},
		&cli.Int64Flag{Name: "max-rejects", Value: -1, Usage: "stop with exit 1 once more rows than this are rejected (-1: no limit)"},
		&cli.StringFlag{Name: "max-record-bytes", Value: "64MiB", Usage: "longest record (CSV record or NDJSON line) accepted"},
		&cli.IntFlag{Name: "max-ratio", Value: 1000, Usage: "refuse compressed input that decompresses to more than this many times its size (-1: no limit)"},
		&cli.StringFlag{Name: "report", Usage: "where to write the JSON report (default: DIR/report.json)"},
		&cli.StringFlag{Name: "rejects", Usage: "where to write rejected rows as NDJSON (default: DIR/rejects.ndjson)"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print nothing but errors"},
		&cli.BoolFlag{Name: "review", Usage: "write the review report (review.md, review.html) beside report.json (dry runs always do)"},
		&cli.StringFlag{Name: "metrics-file", Usage: "write Prometheus metrics of the run to `FILE` (node_exporter textfile collector)"},
		&cli.StringFlag{Name: "log-format", Value: "text", Usage: "log lines as text or json"},
		&cli.StringFlag{Name: "progress", Value: "auto", Usage: "progress display: auto (a bar on a terminal, log lines otherwise), bar, log, none"},
		&cli.StringFlag{Name: "cpuprofile", Usage: "write a CPU profile to `FILE` (for performance reports)", Hidden: true},
		&cli.IntFlag{Name: "batch-rows", Usage: "rows per batch (default 4096; 512 when sending to the API)", Hidden: true},
	}
	runFlags := append([]cli.Flag{
		&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "write payloads as NDJSON parts into `DIR`, or - for standard output"},
		&cli.StringFlag{Name: "endpoint", Usage: "a Segment-compatible batch API `URL`"},
		&cli.StringFlag{Name: "region", Usage: "Customer.io region: us or eu"},
		&cli.StringFlag{Name: "api-key-file", Usage: "read the API key from `FILE` (default: the CIO_API_KEY environment variable; never a flag value, which ps shows)"},
		&cli.IntFlag{Name: "concurrency", Value: 8, Usage: "API requests in flight (lowered automatically under 429s)"},
		&cli.Float64Flag{Name: "rate-limit", Value: 1000, Usage: "API requests per second for the workspace (the API documents 3000 per 3 s); with --shard K/N each shard takes 1/N"},
		&cli.StringFlag{Name: "batch-bytes", Value: "500000", Usage: "largest request body (JSON, before gzip); at most 500000"},
		&cli.IntFlag{Name: "batch-messages", Value: 2500, Usage: "most messages per request"},
		&cli.IntFlag{Name: "max-attempts", Value: 10, Usage: "failed attempts at one request before giving up (429s do not count)"},
		&cli.DurationFlag{Name: "max-retry-time", Value: 5 * time.Minute, Usage: "time spent retrying one request before giving up"},
		&cli.DurationFlag{Name: "request-timeout", Value: 30 * time.Second, Usage: "time allowed for one request"},
		&cli.DurationFlag{Name: "retry-base", Usage: "first backoff of a failed request, doubling after each (default 500ms; tests)", Hidden: true},
		&cli.BoolFlag{Name: "no-gzip", Usage: "send uncompressed request bodies"},
		&cli.BoolFlag{Name: "no-strict-mode", Usage: "leave out X-Strict-Mode: 1 (the API then drops invalid calls silently): not recommended"},
		&cli.BoolFlag{Name: "allow-insecure-http", Usage: "allow plain http to an --endpoint that is not on this machine"},
		&cli.BoolFlag{Name: "dry-run", Usage: "do everything except delivery and state changes"},
		&cli.StringFlag{Name: "state", Usage: "state `FILE` for resumable, incremental runs: only new and changed rows are sent"},
		&cli.BoolFlag{Name: "delete-missing", Usage: "with --state: delete the objects and relationships delivered before but absent from this export"},
		&cli.BoolFlag{Name: "allow-mass-delete", Usage: "with --delete-missing: allow deleting more than --mass-delete-percent of the known keys"},
		&cli.Float64Flag{Name: "mass-delete-percent", Value: 10, Usage: "the share of known keys (0…100) --delete-missing may delete without --allow-mass-delete; 0: none"},
		&cli.BoolFlag{Name: "full", Usage: "with --state: send everything again (and refresh the state)"},
		&cli.StringFlag{Name: "compress", Usage: "compress output parts: gzip or zstd"},
		&cli.StringFlag{Name: "part-size", Value: "256MiB", Usage: "largest output part on disk"},
		&cli.BoolFlag{Name: "overwrite", Usage: "replace the parts of an earlier run in --out"},
		&cli.BoolFlag{Name: "sent-at", Usage: "write sentAt (the time of writing) into output files"},
	}, inputFlags...)

	app := &cli.App{
		Name:                      "groupimport",
		Usage:                     "turn company and membership exports into Customer.io / Segment group calls",
		Version:                   Version,
		Writer:                    stdout,
		ErrWriter:                 stderr,
		DisableSliceFlagSeparator: true,
		CustomAppHelpTemplate:     cli.AppHelpTemplate + "\n" + exitHelp,
		ExitErrHandler:            func(*cli.Context, error) {},
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return exitWith(runner.ExitUsage, err)
		},
		Commands: []*cli.Command{
			{
				Name:      "run",
				Usage:     "read, map, validate and deliver",
				ArgsUsage: "[FILE...] (with only one of --companies/--memberships: more files of that kind)",
				Flags:     runFlags,
				Action: func(c *cli.Context) error {
					return runAction(c, "run", stdout, stderr)
				},
				OnUsageError: func(c *cli.Context, err error, _ bool) error { return exitWith(runner.ExitUsage, err) },
			},
			{
				Name:      "validate",
				Usage:     "read, map and validate everything; send and write nothing but the report",
				ArgsUsage: "[FILE...]",
				Flags: append([]cli.Flag{
					&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "write the report and rejects into `DIR`"},
				}, inputFlags...),
				Action: func(c *cli.Context) error {
					return runAction(c, "validate", stdout, stderr)
				},
				OnUsageError: func(c *cli.Context, err error, _ bool) error { return exitWith(runner.ExitUsage, err) },
			},
			{
				Name:      "inspect",
				Usage:     "show a file's format, columns, row count, sample rows and the mapping it would get",
				ArgsUsage: "PATH...",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "kind", Usage: "companies or memberships (default: guessed from the columns)"},
					&cli.StringFlag{Name: "format"}, &cli.StringFlag{Name: "encoding"}, &cli.StringFlag{Name: "delimiter"},
					&cli.IntFlag{Name: "rows", Value: 3, Usage: "sample rows to show"},
				},
				Action: func(c *cli.Context) error {
					if c.NArg() == 0 {
						return exitWith(runner.ExitUsage, errors.New("inspect needs a PATH"))
					}
					code, err := runner.Inspect(runner.InspectOptions{Paths: c.Args().Slice(), Kind: c.String("kind"),
						Format: c.String("format"), Encoding: c.String("encoding"), Delim: c.String("delimiter"),
						Sample: c.Int("rows"), Stdout: stdout})
					return exitWith(code, err)
				},
				OnUsageError: func(c *cli.Context, err error, _ bool) error { return exitWith(runner.ExitUsage, err) },
			},
			{
				Name:      "init",
				Usage:     "write the mapping groupimport would infer, as a YAML file to edit",
				ArgsUsage: "PATH... (the kind of each is guessed; or use --companies/--memberships)",
				Flags: []cli.Flag{
					&cli.StringSliceFlag{Name: "companies"}, &cli.StringSliceFlag{Name: "memberships"},
					&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to `FILE` instead of standard output"},
					&cli.BoolFlag{Name: "force", Usage: "replace --output if it exists"},
					&cli.StringFlag{Name: "format"}, &cli.StringFlag{Name: "encoding"}, &cli.StringFlag{Name: "delimiter"},
				},
				Action: func(c *cli.Context) error {
					code, err := runner.Init(runner.InitOptions{Companies: c.StringSlice("companies"), Memberships: c.StringSlice("memberships"),
						Paths: c.Args().Slice(), Output: c.String("output"), Force: c.Bool("force"),
						Format: c.String("format"), Encoding: c.String("encoding"), Delim: c.String("delimiter"), Stdout: stdout})
					return exitWith(code, err)
				},
				OnUsageError: func(c *cli.Context, err error, _ bool) error { return exitWith(runner.ExitUsage, err) },
			},
		},
	}
	return app
}

func runAction(c *cli.Context, command string, stdout, stderr io.Writer) error {
	o := runner.Options{
		Command:     command,
		Companies:   c.StringSlice("companies"),
		Memberships: c.StringSlice("memberships"),
		MappingFile: c.String("mapping"),
		Duplicates:  c.String("duplicates"),
		Shard:       c.String("shard"),

		DeleteObjects:       c.StringSlice("delete-objects"),
		DeleteRelationships: c.StringSlice("delete-relationships"),
		Out:                 c.String("out"),
		Workers:             c.Int("workers"),
		BatchRows:           c.Int("batch-rows"),
		Timestamp:           c.String("timestamp"),
		Timezone:            c.String("timezone"),
		Delimiter:           c.String("delimiter"),
		Encoding:            c.String("encoding"),
		Format:              c.String("format"),
		ReportPath:          c.String("report"),
		RejectsPath:         c.String("rejects"),
		MetricsFile:         c.String("metrics-file"),
		Review:              c.Bool("review"),
		MaxRejects:          c.Int64("max-rejects"),
		LimitRejects:        c.Int64("max-rejects") >= 0,
		Quiet:               c.Bool("quiet"),
		LogFormat:           c.String("log-format"),
		Progress:            c.String("progress"),
		Version:             Version,
		Stdout:              stdout,
		Stderr:              stderr,
	}
	if command == "run" {
		o.Endpoint = c.String("endpoint")
		o.Region = c.String("region")
		o.DryRun = c.Bool("dry-run")
		o.StateFile = c.String("state")
		bb, err := parseSize(c.String("batch-bytes"))
		if err != nil {
			return exitWith(runner.ExitUsage, fmt.Errorf("--batch-bytes: %w", err))
		}
		o.HTTP = runner.HTTPSettings{APIKeyFile: c.String("api-key-file"), AllowInsecure: c.Bool("allow-insecure-http"),
			NoStrictMode: c.Bool("no-strict-mode"), NoGzip: c.Bool("no-gzip"), Concurrency: c.Int("concurrency"),
			RateLimit: c.Float64("rate-limit"), BatchBytes: int(bb), BatchMessages: c.Int("batch-messages"),
			MaxAttempts: c.Int("max-attempts"), MaxElapsed: c.Duration("max-retry-time"), RequestTimeout: c.Duration("request-timeout"),
			RetryBase: c.Duration("retry-base")}
		o.DeleteMissing = c.Bool("delete-missing")
		o.AllowMassDelete = c.Bool("allow-mass-delete")
		o.MassDeletePercent = c.Float64("mass-delete-percent")
		o.Full = c.Bool("full")
		o.Compress = c.String("compress")
		o.Overwrite = c.Bool("overwrite")
		o.SentAt = c.Bool("sent-at")
		n, err := parseSize(c.String("part-size"))
		if err != nil {
			return exitWith(runner.ExitUsage, fmt.Errorf("--part-size: %w", err))
		}
		o.PartBytes = n
	}
	n, err := parseSize(c.String("max-record-bytes"))
	if err != nil {
		return exitWith(runner.ExitUsage, fmt.Errorf("--max-record-bytes: %w", err))
	}
	o.MaxRecordBytes = int(n)
	o.MaxRatio = c.Int("max-ratio")
	if err := checkRanges(&o, command); err != nil {
		return exitWith(runner.ExitUsage, err)
	}
	switch o.LogFormat {
	case "text", "json":
	default:
		return exitWith(runner.ExitUsage, fmt.Errorf("--log-format must be text or json"))
	}

	// Loose file names: a shell glob (--companies data/*.csv) expands into
	// several words, and all but the first arrive here.
	if args := c.Args().Slice(); len(args) > 0 {
		switch {
		case len(o.Companies) > 0 && len(o.Memberships) == 0:
			o.Companies = append(o.Companies, args...)
		case len(o.Memberships) > 0 && len(o.Companies) == 0:
			o.Memberships = append(o.Memberships, args...)
		default:
			return exitWith(runner.ExitUsage, fmt.Errorf("unexpected arguments %q: name each input with --companies or --memberships (quote globs: --companies 'data/*.csv')", args))
		}
	}
	if p := c.String("cpuprofile"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			return exitWith(runner.ExitUsage, err)
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	code := runner.Run(c.Context, o)
	return exitWith(code, nil)
}

// parseSize reads 1048576, 512KiB, 64MiB, 1GB (powers of 1024 either way).
func parseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"GIB", 1 << 30}, {"KB", 1 << 10}, {"MB", 1 << 20}, {"GB", 1 << 30}, {"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.m
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a size (e.g. 64MiB)", s)
	}
	return n * mult, nil
}

// reorderArgs moves a subcommand's flags before its file arguments, so
// that `init a.csv b.csv --output m.yaml` and `run --companies data/*.csv
// --out DIR` (a glob the shell expanded) mean what they say: urfave/cli,
// like Go's flag package, stops reading flags at the first file name.
func reorderArgs(app *cli.App, args []string) []string {
	if len(args) < 3 {
		return args
	}
	cmd := app.Command(args[1])
	if cmd == nil {
		return args
	}
	takesValue := map[string]bool{}
	for _, f := range cmd.Flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			takesValue[n] = !isBool
		}
	}
	var flags, files []string
	rest := args[2:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			files = append(files, rest[i+1:]...)
			break
		}
		if len(a) > 1 && a[0] == '-' {
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && takesValue[name] && i+1 < len(rest) {
				flags = append(flags, rest[i+1])
				i++
			}
			continue
		}
		files = append(files, a)
	}
	out := append([]string{args[0], args[1]}, flags...)
	if len(files) > 0 {
		out = append(append(out, "--"), files...)
	}
	return out
}

// run runs the app and returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := App(stdout, stderr)
	err := app.RunContext(ctx, reorderArgs(app, args))
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(stderr, "groupimport: %v\n", ee.err)
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "groupimport: %v\n", err)
	return runner.ExitUsage
}
