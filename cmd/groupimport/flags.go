package main

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/groupimport/groupimport/runner"
)

// option is one flag of a command and how it sets the command's settings
// T. Every flag is declared once, in the tables below, together with what
// it sets: a flag cannot be declared and then forgotten (the every-flag
// test proves each one changes the settings).
type option[T any] struct {
	flag  cli.Flag
	apply func(c *cli.Context, v *T) error
}

func str[T any](f *cli.StringFlag, set func(*T, string)) option[T] {
	return option[T]{f, func(c *cli.Context, v *T) error { set(v, c.String(f.Name)); return nil }}
}

func strs[T any](f *cli.StringSliceFlag, set func(*T, []string)) option[T] {
	return option[T]{f, func(c *cli.Context, v *T) error { set(v, c.StringSlice(f.Name)); return nil }}
}

func boolean[T any](f *cli.BoolFlag, set func(*T, bool)) option[T] {
	return option[T]{f, func(c *cli.Context, v *T) error { set(v, c.Bool(f.Name)); return nil }}
}

func integer[T any](f *cli.IntFlag, set func(*T, int)) option[T] {
	return option[T]{f, func(c *cli.Context, v *T) error { set(v, c.Int(f.Name)); return nil }}
}

func float[T any](f *cli.Float64Flag, set func(*T, float64)) option[T] {
	return option[T]{f, func(c *cli.Context, v *T) error { set(v, c.Float64(f.Name)); return nil }}
}

func duration[T any](f *cli.DurationFlag, set func(*T, time.Duration)) option[T] {
	return option[T]{f, func(c *cli.Context, v *T) error { set(v, c.Duration(f.Name)); return nil }}
}

// size is a flag holding a size such as 64MiB (see parseSize).
func size[T any](f *cli.StringFlag, set func(*T, int64)) option[T] {
	return option[T]{f, func(c *cli.Context, v *T) error {
		n, err := parseSize(c.String(f.Name))
		if err != nil {
			return fmt.Errorf("--%s: %w", f.Name, err)
		}
		set(v, n)
		return nil
	}}
}

// flagsOf lists the flags of a table, for cli.Command, each settable by
// its environment variable too (envVar).
func flagsOf[T any](opts []option[T]) []cli.Flag {
	flags := make([]cli.Flag, len(opts))
	for i, o := range opts {
		setField(o.flag, "EnvVars", []string{envVar(o.flag.Names()[0])})
		flags[i] = o.flag
	}
	return flags
}

// apply sets v from every flag of opts, in order (a flag not given sets its
// default).
func apply[T any](c *cli.Context, opts []option[T], v *T) error {
	for _, o := range opts {
		if err := o.apply(c, v); err != nil {
			return err
		}
	}
	return nil
}

// invocation is what run and validate carry out: the runner's options,
// and what the command line itself does around the run.
type invocation struct {
	runner.Options
	cpuProfile string // --cpuprofile: profile the process
}

// inputOptions are the flags run and validate share, by category: the
// inputs, how they are read and mapped (then the command's own, then
// reportOptions and perfOptions).
func inputOptions() []option[invocation] {
	type o = invocation
	inputs := category("Inputs",
		strs(&cli.StringSliceFlag{Name: "companies", Aliases: []string{"objects"}, Usage: "company (object) exports: files, globs or directories (repeat the flag for more)"},
			func(v *o, s []string) { v.Companies = s }),
		strs(&cli.StringSliceFlag{Name: "memberships", Aliases: []string{"relationships"}, Usage: "membership (person–object) exports: files, globs or directories"},
			func(v *o, s []string) { v.Memberships = s }),
		strs(&cli.StringSliceFlag{Name: "delete-objects", Usage: "exports naming objects to delete (an Object Deleted event each, sent after the upserts)"},
			func(v *o, s []string) { v.DeleteObjects = s }),
		strs(&cli.StringSliceFlag{Name: "delete-relationships", Usage: "exports naming person–object relationships to delete (a Relationship Deleted event each)"},
			func(v *o, s []string) { v.DeleteRelationships = s }),
	)
	reading := category("Reading", readOptions(func(v *o, s string) { v.Format = s }, func(v *o, s string) { v.Encoding = s },
		func(v *o, s string) { v.Delimiter = s })...)
	reading = append(reading, category("Reading",
		size(&cli.StringFlag{Name: "max-record-bytes", Value: "64MiB", Usage: "longest record (CSV record or NDJSON line) accepted, a `SIZE` such as 64MiB"},
			func(v *o, n int64) { v.MaxRecordBytes = int(n) }),
		integer(&cli.IntFlag{Name: "max-ratio", Value: 1000, Usage: "refuse compressed input that decompresses to more than this many times its size (-1: no limit)"},
			func(v *o, n int) { v.MaxRatio = n }),
	)...)
	mapping := category("Mapping",
		str(&cli.StringFlag{Name: "mapping", Aliases: []string{"m"}, Usage: "YAML mapping `FILE` (without it, columns are mapped by name; see: groupimport help mapping)"},
			func(v *o, s string) { v.MappingFile = s }),
		str(&cli.StringFlag{Name: "timezone", Usage: "`ZONE` of dates written without one, an IANA name (default UTC)"},
			func(v *o, s string) { v.Timezone = s }),
		str(&cli.StringFlag{Name: "timestamp", Usage: "event `TIME` for rows without their own (default: the run's start)"},
			func(v *o, s string) { v.Timestamp = s }),
		str(&cli.StringFlag{Name: "duplicates", Value: "last", Usage: "rows of one run with the same key, `last|keep`: the last row wins (the others are counted as superseded), or keep all"},
			func(v *o, s string) { v.Duplicates = s }),
	)
	return append(append(inputs, reading...), mapping...)
}

// reportOptions are the flags of what run and validate report, and how.
func reportOptions() []option[invocation] {
	type o = invocation
	return category("Reports and logs",
		str(&cli.StringFlag{Name: "report", Usage: "where to write the JSON report, a `FILE` (default: DIR/report.json with --out DIR, else $XDG_STATE_HOME/groupimport/report.json)"},
			func(v *o, s string) { v.ReportPath = s }),
		str(&cli.StringFlag{Name: "rejects", Usage: "where to write rejected rows as NDJSON, a `FILE` (default: beside the report)"},
			func(v *o, s string) { v.RejectsPath = s }),
		boolean(&cli.BoolFlag{Name: "review", Usage: "write the review report (review.md, review.html) beside the report (dry runs always do)"},
			func(v *o, b bool) { v.Review = b }),
		str(&cli.StringFlag{Name: "metrics-file", Usage: "write Prometheus metrics of the run to `FILE` (node_exporter textfile collector)"},
			func(v *o, s string) { v.MetricsFile = s }),
		option[invocation]{&cli.Int64Flag{Name: "max-rejects", Value: -1, Usage: "stop with exit 1 once more rows than this are rejected (-1: no limit)"},
			func(c *cli.Context, v *o) error {
				v.MaxRejects = c.Int64("max-rejects")
				v.LimitRejects = v.MaxRejects >= 0
				return nil
			}},
		boolean(&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only warnings and errors (a failed run always prints its error)"},
			func(v *o, b bool) { v.Quiet = b }),
		str(&cli.StringFlag{Name: "log-format", Value: "text", Usage: "`FORMAT` of standard error: text, or json (one JSON object per line, every line)"},
			func(v *o, s string) { v.LogFormat = s }),
		str(&cli.StringFlag{Name: "progress", Value: "auto", Usage: "progress display `MODE`: auto (a bar on a terminal, log lines otherwise), bar, log, none"},
			func(v *o, s string) { v.Progress = s }),
		duration(&cli.DurationFlag{Name: "progress-interval", Usage: "time between progress log lines (default 10s)", Hidden: true},
			func(v *o, d time.Duration) { v.ProgressInterval = d }),
	)
}

// perfOptions are the flags of how hard a run works.
func perfOptions() []option[invocation] {
	type o = invocation
	return category("Performance",
		integer(&cli.IntFlag{Name: "workers", Usage: "parallel workers, 1…256 (default: the number of CPUs)"},
			func(v *o, n int) { v.Workers = n }),
		str(&cli.StringFlag{Name: "cpuprofile", Usage: "write a CPU profile to `FILE` (for performance reports)", Hidden: true},
			func(v *o, s string) { v.cpuProfile = s }),
		integer(&cli.IntFlag{Name: "batch-rows", Usage: "rows per batch (default 4096; 512 when sending to the API)", Hidden: true},
			func(v *o, n int) { v.BatchRows = n }),
	)
}

// runOptions are the flags of run: the inputs, where the payloads go,
// incremental runs, delivery to the API, output files, reports.
func runOptions() []option[invocation] {
	type o = invocation
	opts := inputOptions()
	opts = append(opts, category("Destination",
		str(&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "write payloads as NDJSON parts into `DIR`, or - for standard output"},
			func(v *o, s string) { v.Out = s }),
		str(&cli.StringFlag{Name: "endpoint", Usage: "a Segment-compatible batch API: its base `URL` (https://cdp.customer.io/v1) or batch URL"},
			func(v *o, s string) { v.Endpoint = s }),
		str(&cli.StringFlag{Name: "region", Usage: "Customer.io `REGION`: us or eu"},
			func(v *o, s string) { v.Region = s }),
		boolean(&cli.BoolFlag{Name: "dry-run", Usage: "do everything except delivery and state changes"},
			func(v *o, b bool) { v.DryRun = b }),
	)...)
	opts = append(opts, category("Incremental runs",
		str(&cli.StringFlag{Name: "state", Usage: "state `FILE` for resumable, incremental runs: only new and changed rows are sent"},
			func(v *o, s string) { v.StateFile = s }),
		boolean(&cli.BoolFlag{Name: "delete-missing", Usage: "with --state: delete the objects and relationships delivered before but absent from this export"},
			func(v *o, b bool) { v.DeleteMissing = b }),
		boolean(&cli.BoolFlag{Name: "allow-mass-delete", Usage: "with --delete-missing: allow deleting more than --mass-delete-percent of the known keys"},
			func(v *o, b bool) { v.AllowMassDelete = b }),
		float(&cli.Float64Flag{Name: "mass-delete-percent", Value: 10, Usage: "the share of known keys (0…100) --delete-missing may delete without --allow-mass-delete; 0: none"},
			func(v *o, f float64) { v.MassDeletePercent = f }),
		boolean(&cli.BoolFlag{Name: "full", Usage: "with --state: send everything again (and refresh the state)"},
			func(v *o, b bool) { v.Full = b }),
	)...)
	opts = append(opts, category("Delivery to the API (--endpoint, --region)", apiOptions()...)...)
	opts = append(opts, category("Output files (--out DIR)",
		str(&cli.StringFlag{Name: "compress", Usage: "compress output parts with `ALGORITHM`: gzip or zstd"},
			func(v *o, s string) { v.Compress = s }),
		size(&cli.StringFlag{Name: "part-size", Value: "256MiB", Usage: "largest output part on disk, a `SIZE`"},
			func(v *o, n int64) { v.PartBytes = n }),
		boolean(&cli.BoolFlag{Name: "overwrite", Usage: "replace the parts of an earlier run in --out"},
			func(v *o, b bool) { v.Overwrite = b }),
		boolean(&cli.BoolFlag{Name: "sent-at", Usage: "write sentAt (the time of writing) into output files"},
			func(v *o, b bool) { v.SentAt = b }),
	)...)
	return append(append(opts, reportOptions()...), perfOptions()...)
}

// apiOptions are the flags of delivery to the API (--endpoint, --region);
// other destinations ignore them.
func apiOptions() []option[invocation] {
	type o = invocation
	return []option[invocation]{
		str(&cli.StringFlag{Name: "api-key-file", Usage: "read the API key from `FILE` (default: the CIO_API_KEY environment variable; never a flag value, which ps shows)"},
			func(v *o, s string) { v.HTTP.APIKeyFile = s }),
		integer(&cli.IntFlag{Name: "concurrency", Value: 8, Usage: "API requests in flight (lowered automatically under 429s)"},
			func(v *o, n int) { v.HTTP.Concurrency = n }),
		float(&cli.Float64Flag{Name: "rate-limit", Value: 1000, Usage: "API requests per second (the API documents 3000 per 3 s)"},
			func(v *o, f float64) { v.HTTP.RateLimit = f }),
		size(&cli.StringFlag{Name: "batch-bytes", Value: "500000", Usage: "largest API request body in `BYTES` (JSON, before gzip); at most 500000"},
			func(v *o, n int64) { v.HTTP.BatchBytes = int(n) }),
		integer(&cli.IntFlag{Name: "batch-messages", Value: 2500, Usage: "most messages per API request"},
			func(v *o, n int) { v.HTTP.BatchMessages = n }),
		integer(&cli.IntFlag{Name: "max-attempts", Value: 10, Usage: "failed attempts at one API request before giving up (429s do not count)"},
			func(v *o, n int) { v.HTTP.MaxAttempts = n }),
		duration(&cli.DurationFlag{Name: "max-retry-time", Value: 5 * time.Minute, Usage: "time spent retrying one API request before giving up"},
			func(v *o, d time.Duration) { v.HTTP.MaxElapsed = d }),
		duration(&cli.DurationFlag{Name: "request-timeout", Value: 30 * time.Second, Usage: "time allowed for one API request"},
			func(v *o, d time.Duration) { v.HTTP.RequestTimeout = d }),
		duration(&cli.DurationFlag{Name: "retry-base", Usage: "first backoff of a failed API request, doubling after each (default 500ms; tests)", Hidden: true},
			func(v *o, d time.Duration) { v.HTTP.RetryBase = d }),
		boolean(&cli.BoolFlag{Name: "no-gzip", Usage: "send uncompressed API request bodies"},
			func(v *o, b bool) { v.HTTP.NoGzip = b }),
		boolean(&cli.BoolFlag{Name: "no-strict-mode", Usage: "leave out X-Strict-Mode: 1 (the API then drops invalid calls silently): not recommended"},
			func(v *o, b bool) { v.HTTP.NoStrictMode = b }),
		boolean(&cli.BoolFlag{Name: "allow-insecure-http", Usage: "allow plain http to an --endpoint that is not on this machine"},
			func(v *o, b bool) { v.HTTP.AllowInsecure = b }),
	}
}

// validateOptions are the flags of validate: the input flags, --out
// (where the report and rejects go), then the reports.
func validateOptions() []option[invocation] {
	opts := append(inputOptions(), category("Reports and logs",
		str(&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "write the report and rejects into `DIR`"},
			func(v *invocation, s string) { v.Out = s }))...)
	return append(append(opts, reportOptions()...), perfOptions()...)
}

// readOptions are the flags that say how files are read.
func readOptions[T any](format, encoding, delimiter func(*T, string)) []option[T] {
	return category("Reading",
		str(&cli.StringFlag{Name: "format", Usage: "input `FORMAT`: csv, ndjson or parquet (default: by name and content)"}, format),
		str(&cli.StringFlag{Name: "encoding", Usage: "text `ENCODING`, e.g. latin1, windows-1252, utf-16 (default utf-8)"}, encoding),
		str(&cli.StringFlag{Name: "delimiter", Usage: "CSV delimiter `CHAR`: , ; tab | (default: detected from the header line)"}, delimiter),
	)
}

// inspectOptions are the flags of inspect.
func inspectOptions() []option[runner.InspectOptions] {
	type o = runner.InspectOptions
	opts := category("Inputs", str(&cli.StringFlag{Name: "kind", Usage: "`KIND` of the files: companies or memberships (default: guessed from the columns)"},
		func(v *o, s string) { v.Kind = s }))
	opts = append(opts, readOptions(func(v *o, s string) { v.Format = s }, func(v *o, s string) { v.Encoding = s }, func(v *o, s string) { v.Delim = s })...)
	return append(opts, category("Output", integer(&cli.IntFlag{Name: "rows", Value: 3, Usage: "sample rows to show"},
		func(v *o, n int) { v.Sample = n }))...)
}

// initOptions are the flags of init.
func initOptions() []option[runner.InitOptions] {
	type o = runner.InitOptions
	opts := category("Inputs",
		strs(&cli.StringSliceFlag{Name: "companies", Usage: "company exports (default: each PATH's kind is guessed from its columns)"},
			func(v *o, s []string) { v.Companies = s }),
		strs(&cli.StringSliceFlag{Name: "memberships", Usage: "membership exports"},
			func(v *o, s []string) { v.Memberships = s }))
	opts = append(opts, readOptions(func(v *o, s string) { v.Format = s }, func(v *o, s string) { v.Encoding = s }, func(v *o, s string) { v.Delim = s })...)
	return append(opts, category("Output",
		str(&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write to `FILE` instead of standard output"},
			func(v *o, s string) { v.Output = s }),
		boolean(&cli.BoolFlag{Name: "force", Usage: "replace --output if it exists"},
			func(v *o, b bool) { v.Force = b }))...)
}

// category puts the flags of opts under a heading of the help (urfave's
// Category), in the order the table gives them.
func category[T any](name string, opts ...option[T]) []option[T] {
	for _, o := range opts {
		setField(o.flag, "Category", name)
	}
	return opts
}

// EnvPrefix begins the environment variable of every flag:
// GROUPIMPORT_STATE for --state. A flag on the command line wins over its
// variable. (The API key has no flag: it is CIO_API_KEY or a file.)
const EnvPrefix = "GROUPIMPORT_"

// envVar is the environment variable of flag name.
func envVar(name string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// setField sets a field of a flag of any of urfave's types (they all have
// Category and EnvVars).
func setField(f cli.Flag, field string, value any) {
	v := reflect.ValueOf(f).Elem().FieldByName(field)
	if !v.IsValid() || !v.CanSet() {
		panic(fmt.Sprintf("flag %s has no field %s", f.Names()[0], field))
	}
	v.Set(reflect.ValueOf(value))
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
