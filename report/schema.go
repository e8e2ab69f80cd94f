package report

import "time"

// The types of groupimport.report/v1. Their JSON names and meanings are
// the contract: add fields, never rename or repurpose one (that is a new
// schema). cmd/groupimport/testdata/report-*.json show the whole document
// for fixed runs.

// SchemaID names the report format; it changes only with incompatible edits.
const SchemaID = "groupimport.report/v1"

// Report is the JSON run report.
type Report struct {
	Schema     string `json:"schema"`
	Tool       Tool   `json:"tool"`
	Command    string `json:"command"`
	DryRun     bool   `json:"dry_run"`
	Status     string `json:"status"`
	ExitCode   int    `json:"exit_code"`
	StartedAt  string `json:"started_at"`
	FinishedAt string `json:"finished_at"`
	DurationMS int64  `json:"duration_ms"`
	// Timestamp is the event time given to rows without their own.
	DefaultTimestamp string             `json:"default_timestamp"`
	Totals           Counts             `json:"totals"`
	Kinds            map[string]*Counts `json:"kinds"`
	Files            []File             `json:"files"`
	// IgnoredFiles are the files of input folders left out as not data by
	// convention (hidden, _SUCCESS, checksums), with why.
	IgnoredFiles    []Ignored               `json:"ignored_files,omitempty"`
	Mapping         map[string]*MappingInfo `json:"mapping"`
	Output          Output                  `json:"output"`
	RejectsFile     string                  `json:"rejects_file,omitempty"`
	RejectReasons   []ReasonCount           `json:"reject_reasons"`
	FirstRejections []Rejection             `json:"first_rejections"`
	Warnings        []Warning               `json:"warnings"`
	Errors          []string                `json:"errors"`
	RowsPerSecond   float64                 `json:"rows_per_second"`
	// Plan is what an incremental run (--state) found to do.
	Plan *Plan `json:"plan,omitempty"`
	// HTTP is what delivery to the API did: requests, bytes, retries by
	// cause, refusals, time waiting on the rate limit.
	HTTP *HTTP `json:"http,omitempty"`
	// Review describes the payloads field by field (dry runs and --review).
	Review      *Review  `json:"review,omitempty"`
	ReviewFiles []string `json:"review_files,omitempty"`
}

// Tool names the program.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Counts are row counts. Always: Read = Emitted + Rejected + Skipped, and
// Skipped = SkippedUnchanged + Superseded. Deleted counts the emitted rows
// that were delete events.
//
// Delivered counts the emitted rows the destination acknowledged (a file
// part complete, standard output written, an API 2xx), Undelivered the
// emitted rows it did not: Emitted = Delivered + Undelivered. A dry run or
// validate delivers nothing. Refused counts the rows the API refused (a
// 400 narrowed down to the row): they are among the rejected rows, not the
// emitted. Delivered and Undelivered are left out of a kind or file for
// which they cannot be known (files that failed half-way); the totals
// always have them.
type Counts struct {
	Read             int64  `json:"read"`
	Emitted          int64  `json:"emitted"`
	Delivered        *int64 `json:"delivered,omitempty"`
	Undelivered      *int64 `json:"undelivered,omitempty"`
	Refused          int64  `json:"refused"`
	Rejected         int64  `json:"rejected"`
	Skipped          int64  `json:"skipped"`
	SkippedUnchanged int64  `json:"skipped_unchanged"`
	Superseded       int64  `json:"superseded"`
	Deleted          int64  `json:"deleted"`
}

// DeliveredOr is Delivered, or def when it is not known.
func (c *Counts) DeliveredOr(def int64) int64 {
	if c.Delivered == nil {
		return def
	}
	return *c.Delivered
}

// File is what happened to one input file.
type File struct {
	Path        string `json:"path"`
	Kind        string `json:"kind"`
	Format      string `json:"format"`
	Compression string `json:"compression,omitempty"`
	Read        int64  `json:"read"`
	Emitted     int64  `json:"emitted"`
	// Delivered and Undelivered as in Counts (left out when not known).
	Delivered   *int64 `json:"delivered,omitempty"`
	Undelivered *int64 `json:"undelivered,omitempty"`
	Refused     int64  `json:"refused"`
	Rejected    int64  `json:"rejected"`
	// SkippedUnchanged counts the rows an incremental run found unchanged.
	SkippedUnchanged int64  `json:"skipped_unchanged"`
	Superseded       int64  `json:"superseded"`
	Deleted          int64  `json:"deleted"`
	DurationMS       int64  `json:"duration_ms"`
	Error            string `json:"error,omitempty"`
}

// Ignored is a file of an input folder left out as not data by convention.
type Ignored struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// MappingInfo says how one kind was mapped.
type MappingInfo struct {
	Source string   `json:"source"` // the mapping file, or "inferred from column names"
	Notes  []string `json:"notes,omitempty"`
	Fields []string `json:"fields"`
	// Shapes, when the files of a kind were mapped differently (no
	// mapping file, and files with different columns, each mapped by its
	// own), lists each mapping with the files it applies to; Notes and
	// Fields above are then those of the first.
	Shapes []MappingShape `json:"shapes,omitempty"`
}

// MappingShape is the mapping of some of the files of a kind.
type MappingShape struct {
	Files  []string `json:"files"`
	Notes  []string `json:"notes,omitempty"`
	Fields []string `json:"fields"`
}

// Output is where the payloads went.
type Output struct {
	// Destination is the output directory, "-" (standard output), the
	// API's batch URL, or "none".
	Destination string   `json:"destination"`
	Files       []string `json:"files,omitempty"`
	// Messages counts the payloads written (for the API: acknowledged),
	// Bytes their size as written or sent.
	Messages int64 `json:"messages"`
	Bytes    int64 `json:"bytes"`
}

// HTTP is what delivery to the API did.
type HTTP struct {
	// Endpoint is the batch URL (it never holds credentials).
	Endpoint string `json:"endpoint"`
	// Requests is every request attempt made, Batches the requests that
	// the API acknowledged.
	Requests int64 `json:"requests"`
	Batches  int64 `json:"batches"`
	// BytesSent is request bodies as sent (compressed when gzip is on),
	// BytesRaw the same bodies as JSON.
	BytesSent int64 `json:"bytes_sent"`
	BytesRaw  int64 `json:"bytes_raw"`
	// Messages is messages acknowledged by the API; a message sent twice
	// (after a lost acknowledgement) counts once.
	Messages int64 `json:"messages"`
	// Refused is messages the API refused or the sink would not send.
	Refused int64 `json:"refused"`
	// Splits is how many times a refused batch was bisected.
	Splits  int64   `json:"splits"`
	Retries Retries `json:"retries"`
	// RateLimitWait is time spent waiting on the client-side rate limiter,
	// RetryAfterWait on the API's Retry-After / X-RateLimit-Reset, and
	// BackoffWait in backoff after failures (summed over requests); in
	// nanoseconds.
	RateLimitWait  time.Duration `json:"rate_limit_wait_ns"`
	RetryAfterWait time.Duration `json:"retry_after_wait_ns"`
	BackoffWait    time.Duration `json:"backoff_wait_ns"`
	// Concurrency is the limit on requests in flight at the end, and
	// MinConcurrency the lowest it went to under 429s.
	Concurrency    int `json:"concurrency"`
	MinConcurrency int `json:"min_concurrency"`
}

// Retries counts retried requests by cause.
type Retries struct {
	TooManyRequests int64 `json:"429"`
	ServerError     int64 `json:"5xx"`
	Timeout         int64 `json:"timeout"`
	Connection      int64 `json:"connection"`
	// Unexpected counts 2xx answers that were not the API's
	// acknowledgement (an HTML page, garbage, an empty body).
	Unexpected int64 `json:"unexpected_answer"`
}

// ReasonCount is how many rejected rows share a reason: the same code
// (the stable name of the problem) about the same column.
type ReasonCount struct {
	// Code names the problem, stable across versions (lower_snake_case;
	// README lists them).
	Code string `json:"code"`
	// Column is the column the problem is about, "" when it is about the
	// whole row.
	Column string `json:"column,omitempty"`
	Count  int64  `json:"count"`
	// Example is the full reason of the first rejected row of this code
	// and column, as in the rejects file (values and numbers intact).
	Example string `json:"example"`
	// Reason is a readable summary: the column and the example. Kept for
	// readers of the first reports, whose only field it was (then with
	// values and numbers elided).
	Reason string `json:"reason"`
}

// Rejection is one rejected row, as in the rejects file but without the raw
// data (the report may travel further than the data should).
type Rejection struct {
	Kind   string `json:"kind"`
	File   string `json:"file"`
	Line   int64  `json:"line,omitempty"`
	Row    int64  `json:"row"`
	Code   string `json:"code,omitempty"`
	Column string `json:"column,omitempty"`
	Col    int    `json:"col,omitempty"`
	Reason string `json:"reason"`
}

// Warning is a non-fatal finding and how often it occurred.
type Warning struct {
	Message string `json:"message"`
	Count   int64  `json:"count"`
}
