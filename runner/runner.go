// Package runner carries out the commands (run, validate, inspect, init)
// from plain options. Its one job is the sequence of a run: settle the
// options into a config, open the inputs (the state, the mapping, the
// files), open the destination, run the pre-passes (duplicate keys, the
// incremental plan), deliver, and finish: decide the exit code (in one
// place, outcome.exitCode), then write the review, the metrics and the
// report, which carry that code. The work of each step is done by the
// packages it calls (importer, transform, pipeline, sink, state, dedup,
// report); the command line (cmd/groupimport) only turns flags into
// Options.
package runner

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"
)

// Exit codes (a contract with users' scripts).
const (
	ExitOK       = 0 // every row delivered
	ExitFailure  = 1 // nothing or not everything delivered
	ExitUsage    = 2 // bad usage or configuration
	ExitRejected = 3 // finished, but some rows were rejected
	ExitLocked   = 4 // nothing done: another run holds a lock (the state's, or --out's)
)

// Options are the settings of run and validate, as the caller gives them.
// Run never changes them: it settles them into a config first (defaults
// filled in, names normalised, derived values computed).
type Options struct {
	Command     string // "run" or "validate"
	Companies   []string
	Memberships []string
	// Deletion inputs: files naming objects / relationships to delete.
	DeleteObjects       []string
	DeleteRelationships []string
	MappingFile         string
	// Incremental runs (with StateFile): send only new and changed keys;
	// DeleteMissing deletes remembered keys absent from this run, refused
	// above MassDeletePercent (0…100; 0: none) of the known keys unless
	// AllowMassDelete; Full re-sends everything.
	DeleteMissing     bool
	AllowMassDelete   bool
	MassDeletePercent float64
	Full              bool
	// Review writes the review report (review.md, review.html) beside the
	// JSON report; dry runs and validate --out always do.
	Review bool
	// MetricsFile, when set, receives Prometheus text-format metrics of the
	// run (for node_exporter's textfile collector).
	MetricsFile string
	// Duplicates is what happens to rows of one run with the same key:
	// "last" (default: the last row wins, the others are superseded) or
	// "keep" (all are sent, in input order).
	Duplicates string

	Out       string // a directory, or "-" for standard output
	Endpoint  string
	Region    string
	HTTP      HTTPSettings
	DryRun    bool
	StateFile string

	Workers   int
	BatchRows int
	Timestamp string // default event time
	Timezone  string // zone of dates without one
	Delimiter string
	Encoding  string
	Format    string
	Compress  string // gzip | zstd | "" (none)
	PartBytes int64
	Overwrite bool
	SentAt    bool // write sentAt into files

	ReportPath  string
	RejectsPath string
	// With LimitRejects, the run stops (exit 1) once more than MaxRejects
	// rows are rejected; the zero value sets no limit.
	LimitRejects bool
	MaxRejects   int64

	MaxRecordBytes int
	MaxRatio       int
	Quiet          bool
	LogFormat      string // text | json
	Progress       string // auto | bar | log | none
	// ProgressInterval is the time between progress log lines (0: 10 s).
	ProgressInterval time.Duration

	Version string
	Stdout  io.Writer
	Stderr  io.Writer
	// Now is the clock (tests fix it).
	Now func() time.Time
	// Getenv reads the environment (tests replace it).
	Getenv func(string) string
}

// withDefaults fills in the process's writers, clock and environment.
func (o Options) withDefaults() Options {
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.LogFormat == "" {
		o.LogFormat = "text"
	}
	return o
}

// Run carries out run or validate and returns the exit code: the options
// are settled, the job runs its phases, and finish decides the code and
// writes what the run leaves behind.
func Run(ctx context.Context, o Options) int {
	o = o.withDefaults()
	con := newConsole(o.Stderr, o.LogFormat, o.Quiet)
	c, err := settle(o, con)
	if err != nil {
		// a usage error: nothing is written (the paths may be the mistake)
		code := outcome{err: err}.exitCode()
		con.fail(err, code)
		return code
	}
	j := newJob(c)
	defer j.close()
	return j.finish(j.run(ctx))
}

// UsageError is a mistake in the command line.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error { return &UsageError{fmt.Sprintf(format, args...)} }
