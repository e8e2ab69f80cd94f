// Package runner carries out the commands (run, validate, inspect, init)
// from plain options: it expands inputs, settles the mapping, builds the
// sinks, runs the pipeline, writes the report and picks the exit code. The
// command line (cmd/groupimport) only turns flags into Options.
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/groupimport/groupimport/dedup"
	"github.com/groupimport/groupimport/importer"
	"github.com/groupimport/groupimport/importer/objstore"
	"github.com/groupimport/groupimport/internal/atomicfile"
	"github.com/groupimport/groupimport/internal/shard"
	"github.com/groupimport/groupimport/objtraits"
	"github.com/groupimport/groupimport/pipeline"
	"github.com/groupimport/groupimport/record"
	"github.com/groupimport/groupimport/report"
	"github.com/groupimport/groupimport/sink"
	"github.com/groupimport/groupimport/state"
	"github.com/groupimport/groupimport/transform"
)

// Exit codes (a contract with users' scripts).
const (
	ExitOK       = 0 // every row delivered
	ExitFailure  = 1 // nothing or not everything delivered
	ExitUsage    = 2 // bad usage or configuration
	ExitRejected = 3 // finished, but some rows were rejected
	ExitLocked   = 4 // nothing done: another run holds a lock (the state's, or --out's)
)

// Options are the settings of run and validate.
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

	// Shard is this run's share of the objects, "K/N" ("" for all).
	Shard string

	Version string
	Stdin   io.Reader // read for the input "-" (default os.Stdin)
	Stdout  io.Writer
	Stderr  io.Writer
	// Now is the clock (tests fix it).
	Now func() time.Time
	// Getenv reads the environment (tests replace it).
	Getenv func(string) string

	join *joinHolder
	// objectTypes is the run's groupId → objectTypeId view of its companies
	objectTypes *transform.ObjectTypes
	// streams are the inputs read once from the system (named pipes,
	// standard input), replayed to every pass that needs them
	streams *importer.Streams
	// rowBytes is the average size of a row in each kind's first file.
	rowBytes map[transform.Kind]float64
	// skippedInputs lists the input files the expansion of the inputs
	// skipped unread: the export is then not known to be whole
	// (exportComplete), so no key is deleted as missing.
	skippedInputs []string
	// remote opens the object storage inputs (nil without any); shard is
	// Shard parsed
	remote *objstore.Store
	shard  shard.Spec
}

// joinHolder points the membership transformers at the object-traits table
// of the pass being run (each pass over the inputs builds its own).
type joinHolder struct {
	l atomic.Pointer[objtraits.Table]
}

func (h *joinHolder) get(dst []byte, key [16]byte) ([]byte, bool) {
	if l := h.l.Load(); l != nil {
		return l.Get(dst, key)
	}
	return dst, false
}

// runPass runs the pipeline once, with a fresh object-traits table when a
// membership mapping joins them in.
func (o *Options) runPass(ctx context.Context, cfg pipeline.Config) (*pipeline.Result, error) {
	for _, in := range cfg.Inputs {
		if in.Kind == transform.Memberships && in.Transformer.JoinsObjectTraits() {
			l := objtraits.New("")
			defer l.Close()
			o.join.l.Store(l)
			cfg.Join = l
			break
		}
	}
	cfg.Shard = o.shard
	return pipeline.Run(ctx, cfg)
}

// UsageError is a mistake in the command line.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error { return &UsageError{fmt.Sprintf(format, args...)} }

// ExitCode maps an error to the exit status.
func ExitCode(err error) int {
	var ue *UsageError
	var ce *transform.ConfigError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue), errors.As(err, &ce), errors.Is(err, sink.ErrOutputInUse):
		return ExitUsage
	case isLocked(err):
		return ExitLocked
	}
	return ExitFailure
}

func (o *Options) defaults() {
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
	if o.join == nil {
		o.join = &joinHolder{}
	}
	if o.streams == nil {
		o.streams = importer.NewStreams("")
	}
	if o.LogFormat == "" {
		o.LogFormat = "text"
	}
}

func (o *Options) logger() *slog.Logger {
	w := o.Stderr
	if o.Quiet {
		w = io.Discard
	}
	if o.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			return slog.Attr{}
		}
		return a
	}}))
}

func (o *Options) readOptions(km *transform.KindMapping) (importer.Options, error) {
	ro := importer.Options{Format: importer.Format(o.Format), Encoding: o.Encoding, MaxRecordBytes: o.MaxRecordBytes, MaxRatio: o.MaxRatio,
		Streams: o.streams, Remote: o.remoteInputs()}
	delim := o.Delimiter
	if km != nil {
		if ro.Format == "" {
			ro.Format = importer.Format(km.Format)
		}
		if ro.Encoding == "" {
			ro.Encoding = km.Encoding
		}
		if delim == "" {
			delim = km.Delimiter
		}
		ro.BinaryAsString = km.BinaryAsString
	}
	switch ro.Format {
	case "", importer.CSV, importer.NDJSON, importer.Parquet:
	case "jsonl", "json":
		ro.Format = importer.NDJSON
	default:
		return ro, usagef("unknown format %q (csv, ndjson or parquet)", ro.Format)
	}
	switch strings.ToLower(delim) {
	case "":
	case "tab", `\t`, "\t":
		ro.Comma = '\t'
	case "comma":
		ro.Comma = ','
	case "semicolon":
		ro.Comma = ';'
	case "pipe":
		ro.Comma = '|'
	default:
		if len(delim) != 1 || delim == `"` || delim == "\n" || delim == "\r" {
			return ro, usagef("the delimiter must be one character (or tab), not %q", delim)
		}
		ro.Comma = delim[0]
	}
	return ro, nil
}

// prepared is one kind of input, ready to run.
type prepared struct {
	input   pipeline.Input
	mapping *report.MappingInfo
	ignored []importer.Ignored
}

// prepare expands a kind's inputs, settles its mapping (inferring what the
// mapping file leaves open from the first readable file), and checks it
// against every file's columns before any row is read.
func (o *Options) prepare(kind transform.Kind, patterns []string, m *transform.Mapping, defTS time.Time, log *slog.Logger) (*prepared, error) {
	expanded, err := o.expand("--"+string(kind)+": ", patterns)
	if err != nil {
		return nil, err
	}
	files := expanded.Files
	km := m.For(kind)
	ro, err := o.readOptions(km)
	if err != nil {
		return nil, err
	}
	var cols []string
	var sample []record.Row
	var firstErr error
	for _, f := range files {
		c, s, err := readSample(f, ro, 1000)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		cols, sample = c, s
		// the rows' size in the file, for sizing the duplicate filter
		var raw int
		for i := range s {
			raw += len(s[i].Raw) + 1
		}
		if len(s) > 0 && raw > len(s) {
			if o.rowBytes == nil {
				o.rowBytes = map[transform.Kind]float64{}
			}
			o.rowBytes[kind] = float64(raw) / float64(len(s))
		}
		break
	}
	if cols == nil && firstErr != nil {
		return nil, fmt.Errorf("no %s input could be read: %w", kind, firstErr)
	}
	full, err := transform.Infer(kind, km, cols, sample)
	if err != nil {
		return nil, err
	}
	if o.Timezone != "" && full.Timezone == "" {
		full.Timezone = o.Timezone
	}
	tc := transform.Config{
		Kind: kind, Mapping: full, Timestamp: defTS, ClockTimestamp: o.Timestamp == "", Version: o.Version,
		SentAt: o.sentAt(defTS), CollectStats: o.reviewing(), ContentHash: o.StateFile != "",
		ObjectTypes: o.objectTypesFor(kind), Shard: o.shard,
	}
	if full.IncludeObjectTraits && kind == transform.Memberships {
		if len(o.Companies) == 0 {
			return nil, &transform.ConfigError{Msg: "memberships: include_object_traits needs the companies input in the same run (--companies)"}
		}
		tc.ObjectTraits = o.join.get
	}
	t, err := transform.New(tc)
	if err != nil {
		return nil, err
	}
	// Every file with a fixed set of columns must fit the mapping; the
	// columns the mapping reads in any of them are all a reader decodes.
	var need projection
	for _, f := range files {
		r, src, err := importer.Open(f, ro)
		if err != nil {
			continue // reported as a file error when the run reaches it
		}
		if src.Format != importer.NDJSON {
			cols, err := t.Columns(r.Columns())
			if err != nil {
				r.Close()
				var ce *transform.ConfigError
				if errors.As(err, &ce) {
					return nil, &transform.ConfigError{File: ce.File, Line: ce.Line, Msg: f + ": " + ce.Msg}
				}
				return nil, err
			}
			need.add(cols)
		}
		r.Close()
	}
	ro.Columns = need.cols
	fields, err := transform.Describe(kind, full, cols)
	if err != nil {
		return nil, err
	}
	info := &report.MappingInfo{Source: o.MappingFile, Notes: full.Notes, Fields: fields}
	if km == nil {
		info.Source = "inferred from column names"
	}
	if km == nil && !o.Quiet {
		if o.LogFormat == "json" {
			log.Info("mapped by column names", "kind", kind, "fields", fields)
		} else {
			fmt.Fprintf(o.Stderr, "groupimport: no mapping for %s; mapped by column names (groupimport init writes it as a file to edit):\n", kind)
			for _, f := range fields {
				fmt.Fprintf(o.Stderr, "  %s\n", f)
			}
			for _, n := range full.Notes {
				if !strings.HasSuffix(n, "(by name)") {
					fmt.Fprintf(o.Stderr, "  note: %s\n", n)
				}
			}
		}
	}
	return &prepared{input: pipeline.Input{Kind: kind, Files: files, Read: ro, Transformer: t}, mapping: info, ignored: expanded.Ignored}, nil
}

// dropSuperseded finds the payloads of this run that a later row of the
// same key superseded, removes them from the output files (when there are
// files) and moves them from emitted to superseded in the counts.
func dropSuperseded(keys *dedup.Detector, res *pipeline.Result, files *sink.FileSink) error {
	dups, err := keys.Resolve()
	if err != nil {
		return err
	}
	if dups.Superseded == 0 {
		return nil
	}
	if files != nil {
		if err := files.RemoveMessages(dups.Msgs); err != nil {
			return err
		}
	}
	deletes := dups.Deletes.Len()
	res.Emitted -= dups.Superseded
	res.Superseded += dups.Superseded
	res.Deleted -= int64(deletes)
	for i, f := range res.Files {
		if first, end, ok := res.Ordinals(i); ok {
			n, d := dups.Rows.CountRange(first, end), dups.Deletes.CountRange(first, end)
			f.Emitted -= n
			f.Superseded += n
			f.Deleted -= d
		}
	}
	return nil
}

// expectedRows guesses the rows of the inputs from their size and the
// size of the rows sampled (100 bytes when unknown; compressed files are
// taken to hold five times their size), to size the duplicate filter.
func (o *Options) expectedRows(inputs []pipeline.Input) int64 {
	var n float64
	for _, in := range inputs {
		per := o.rowBytes[in.Kind]
		if per <= 0 {
			per = 100
		}
		for _, f := range in.Files {
			bytes, ok := o.inputSize(f)
			if !ok {
				continue
			}
			size := float64(bytes)
			if strings.HasSuffix(f, ".gz") || strings.HasSuffix(f, ".zst") || strings.HasSuffix(f, ".parquet") {
				size *= 5
			}
			n += size / per
		}
	}
	return int64(n)
}

// reviewing says whether payload statistics are collected for the review.
func (o *Options) reviewing() bool {
	return o.DryRun || o.Review || (o.Command == "validate" && (o.Out != "" || o.ReportPath != ""))
}

func (o *Options) sentAt(defTS time.Time) time.Time {
	if o.SentAt {
		return o.Now()
	}
	return time.Time{}
}

// readSample opens a file and reads its columns and up to n rows.
func readSample(path string, ro importer.Options, n int) (cols []string, rows []record.Row, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &importer.FileError{File: path, Err: fmt.Errorf("the reader failed on this file: %v", p)}
		}
	}()
	r, _, err := importer.Open(path, ro)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	b := record.NewBatch(n, 1<<20)
	for len(b.Rows) < n {
		before := len(b.Rows)
		err := r.Next(b, n)
		if err != nil || len(b.Rows) == before {
			break
		}
	}
	cols = r.Columns()
	if cols == nil {
		cols = []string{}
	}
	return cols, b.Rows, nil
}

// defaultTimestamp is --timestamp, or the run's start to the millisecond.
func (o *Options) defaultTimestamp(start time.Time) (time.Time, error) {
	if o.Timestamp == "" {
		return start.UTC().Truncate(time.Millisecond), nil
	}
	t, err := transform.ParseTime(o.Timestamp, o.Timezone)
	if err != nil {
		return time.Time{}, usagef("--timestamp %q: %v", o.Timestamp, err)
	}
	return t, nil
}

// Run carries out run or validate and returns the exit code.
func Run(ctx context.Context, o Options) int {
	o.defaults()
	defer o.streams.Close()
	defer o.closeInputs()
	log := o.logger()
	f := &failure{start: o.Now()}
	code, err := o.run(ctx, log, f)
	if err != nil {
		fmt.Fprintf(o.Stderr, "groupimport: %v\n", err)
		o.reportFailure(f, code, err)
	}
	return code
}

func (o *Options) run(ctx context.Context, log *slog.Logger, fail *failure) (int, error) {
	start := fail.start
	if len(o.Companies)+len(o.Memberships)+len(o.DeleteObjects)+len(o.DeleteRelationships) == 0 {
		return ExitUsage, usagef("no input: give --companies and/or --memberships (or --delete-objects / --delete-relationships)")
	}
	if err := o.setupInputs(ctx); err != nil {
		return ExitUsage, err
	}
	switch o.Duplicates {
	case "":
		o.Duplicates = "last"
	case "last", "keep":
	default:
		return ExitUsage, usagef("--duplicates must be last or keep, not %q", o.Duplicates)
	}
	isRun := o.Command != "validate"
	httpDest := o.Endpoint != "" || o.Region != ""
	if isRun {
		switch {
		case o.Out == "" && !httpDest:
			return ExitUsage, usagef("no destination: give --out DIR, --out - (standard output), --endpoint URL or --region us|eu")
		case o.Out != "" && httpDest && !o.DryRun:
			return ExitUsage, usagef("--out and --endpoint/--region together only with --dry-run (the payloads that would be sent go to --out)")
		}
	}
	if o.StateFile == "" && (o.DeleteMissing || o.Full) {
		return ExitUsage, usagef("--delete-missing and --full need --state FILE")
	}
	if err := o.checkNumbers(); err != nil {
		return ExitUsage, err
	}
	switch o.Compress {
	case "", "none":
		o.Compress = ""
	case "gzip", "gz":
		o.Compress = sink.CompressGzip
	case "zstd", "zst":
		o.Compress = sink.CompressZstd
	default:
		return ExitUsage, usagef("--compress must be gzip, zstd or none, not %q", o.Compress)
	}
	if o.Out == "-" && o.Compress != "" {
		return ExitUsage, usagef("--compress needs --out DIR; pipe standard output through a compressor instead")
	}
	defTS, err := o.defaultTimestamp(start)
	if err != nil {
		return ExitUsage, err
	}
	// Nothing is written before the files are known to be distinct.
	reportPath, rejectsPath := o.outputPaths()
	if err := o.distinctFiles(reportPath, rejectsPath); err != nil {
		return ExitUsage, err
	}
	var store *state.Store
	if o.StateFile != "" && isRun {
		if store, err = o.openState(); err != nil {
			return ExitCode(err), err
		}
		defer store.Close()
		if err := o.checkStateShard(store); err != nil {
			return ExitUsage, err
		}
		// Fold in what a killed run acknowledged (a dry run's read-only
		// store did on a copy), and resume its event time.
		if !o.DryRun {
			if err := store.Consolidate("", nil); err != nil {
				return ExitFailure, err
			}
		}
		if last, err := store.LastRun(); err == nil && last != nil && last.Status != "finished" &&
			last.Fingerprint == o.fingerprint() && o.Timestamp == "" {
			if t, err := transform.ParseTime(last.DefaultTimestamp, ""); err == nil {
				defTS = t
				log.Info("resuming an unfinished run: its event time is kept", "timestamp", last.DefaultTimestamp, "started_at", last.StartedAt)
			}
		}
	}
	var m *transform.Mapping
	if o.MappingFile != "" {
		if m, err = readMapping(o.MappingFile); err != nil {
			return ExitUsage, err
		}
	}

	rep := &report.Report{
		Tool: report.Tool{Name: "groupimport", Version: o.Version}, Command: o.Command, DryRun: o.DryRun,
		DefaultTimestamp: transform.FormatTime(defTS), Mapping: map[string]*report.MappingInfo{}, Shard: o.shard.String(),
	}
	fail.rep = rep
	var inputs []pipeline.Input
	for _, k := range []struct {
		kind     transform.Kind
		patterns []string
	}{{transform.Companies, o.Companies}, {transform.Memberships, o.Memberships},
		{transform.RelationshipDeletes, o.DeleteRelationships}, {transform.ObjectDeletes, o.DeleteObjects}} {
		if len(k.patterns) == 0 {
			if m.For(k.kind) != nil && o.MappingFile != "" {
				log.Debug("mapping section without input", "kind", k.kind)
			}
			continue
		}
		p, err := o.prepare(k.kind, k.patterns, m, defTS, log)
		if err != nil {
			return ExitCode(err), err
		}
		inputs = append(inputs, p.input)
		rep.Mapping[string(k.kind)] = p.mapping
		rep.IgnoredFiles = append(rep.IgnoredFiles, reportIgnored(p.ignored)...)
		o.noteIgnored(k.kind, p.ignored, log)
	}

	// Destinations.
	var out sink.Sink
	outDir := ""
	if o.Out != "" && o.Out != "-" {
		outDir = o.Out
	}
	var refused *refusals
	var httpSink *sink.HTTPSink
	var acks *ackJournal
	switch {
	case !isRun:
		out = &sink.Discard{}
	case httpDest && !o.DryRun:
		url, err := o.endpoint()
		if err != nil {
			return ExitUsage, err
		}
		key, err := o.apiKey(log)
		if err != nil {
			return ExitUsage, err
		}
		refused = &refusals{kinds: map[string]string{}}
		for _, in := range inputs {
			for _, f := range in.Files {
				refused.kinds[f] = string(in.Kind)
			}
		}
		h := o.HTTP
		hs, err := sink.NewHTTPSink(sink.HTTPOptions{Endpoint: url, APIKey: key, AllowInsecure: h.AllowInsecure,
			DisableStrictMode: h.NoStrictMode, DisableGzip: h.NoGzip, Concurrency: h.Concurrency, RateLimit: h.RateLimit,
			MaxBatchBytes: h.BatchBytes, MaxBatchMessages: h.BatchMessages, MaxAttempts: h.MaxAttempts,
			MaxElapsed: h.MaxElapsed, RequestTimeout: h.RequestTimeout, BackoffBase: h.RetryBase, UserAgent: "groupimport/" + o.Version,
			AllRefusedLimit: allRefusedLimit,
			OnRefused:       refused.add,
			OnDelivered: func(a []sink.MessageAck) {
				if acks != nil {
					acks.delivered(a)
				}
			},
			OnAck: func(seq int64) {
				if acks != nil {
					acks.ack(seq)
				}
			}})
		if err != nil {
			return ExitUsage, err
		}
		httpSink, out = hs, hs
		if o.BatchRows <= 0 {
			// acknowledgements come per batch of rows: smaller ones bound
			// what a killed run sends again (the network is the bottleneck)
			o.BatchRows = 512
		}
	case o.Out == "-":
		out = sink.NewWriterSink(o.Stdout, "standard output")
	case outDir != "":
		fs, err := sink.NewFileSink(sink.FileOptions{Dir: outDir, Compression: o.Compress, PartBytes: o.PartBytes,
			Overwrite: o.Overwrite, Replaces: o.filesWritten(outDir)})
		if err != nil {
			return ExitCode(err), err
		}
		defer fs.Release() // after the report: the directory is this run's until then
		out = fs
	case o.DryRun:
		out = &sink.Sample{W: o.Stdout, N: 5}
	default:
		out = &sink.Discard{}
	}
	fail.out = out
	rejects, err := sink.NewRejectsWriter(rejectsPath)
	if err != nil {
		return ExitFailure, err
	}
	fail.rejects = rejects
	rep.RejectsFile = rejectsPath
	if refused != nil {
		refused.rejects = rejects
	}

	ctx, stop := signalContext(ctx)
	defer stop()

	fileOut, _ := out.(*sink.FileSink)
	cfg := pipeline.Config{Inputs: inputs, Sink: out, Rejects: rejects, Workers: o.Workers, BatchRows: o.BatchRows,
		MaxRejects: -1}
	if o.LimitRejects {
		cfg.MaxRejects = o.MaxRejects
	}
	var keys *dedup.Detector
	var tracker *stateTracker
	var withheld error // deletes of missing keys not sent: the run fails
	switch {
	case store != nil:
		// An incremental run reads everything once first, to compare with
		// the state: what is unchanged, new, changed, superseded, gone.
		pl, err := o.planIncremental(ctx, store, &cfg, m, defTS, log)
		if pl != nil {
			rep.Plan = &pl.Plan
		}
		if err != nil {
			return ExitCode(err), err
		}
		defer pl.close()
		withheld = pl.withheld
		cfg.Superseded, cfg.Unchanged = pl.superseded, pl.unchanged
		if !o.Quiet {
			pl.Plan.Write(o.Stderr)
		}
		if o.DryRun {
			if fileOut == nil {
				// nothing to write: the plan is the output
				out = &sink.Discard{}
				cfg.Sink = out
			}
		} else if httpSink != nil {
			acks = newAckJournal(store)
			cfg.Tracker = acks
		} else {
			tracker = &stateTracker{sorter: state.NewSorter("")}
			defer tracker.sorter.Close()
			cfg.Tracker = tracker
		}
		if !o.DryRun {
			if err := store.SaveRun(&state.RunInfo{Fingerprint: o.fingerprint(), DefaultTimestamp: transform.FormatTime(defTS),
				StartedAt: start.UTC().Format(time.RFC3339), Status: "running", Shard: o.shard.String()}); err != nil {
				return ExitFailure, err
			}
		}
	case o.Duplicates == "last" && (!isRun || fileOut != nil):
		// Duplicate keys: the last row of a key wins. Files in --out are
		// written in one pass and the superseded payloads removed
		// afterwards (nothing has left the machine yet); validate only
		// counts them.
		keys = dedup.NewDetector("", o.expectedRows(inputs))
		defer keys.Close()
		cfg.Keys = keyLog{keys}
	case o.Duplicates == "last":
		// Any other destination: read everything once to learn which rows
		// lose, so that they are never sent.
		keys := dedup.NewDetector("", o.expectedRows(inputs))
		defer keys.Close()
		if _, err := o.runPass(ctx, pipeline.Config{Inputs: inputs, Sink: &sink.Discard{}, Workers: o.Workers,
			BatchRows: o.BatchRows, MaxRejects: -1, Keys: keyLog{keys}}); err != nil {
			return ExitFailure, fmt.Errorf("looking for duplicate keys: %w", err)
		}
		dups, err := keys.Resolve()
		if err != nil {
			return ExitFailure, err
		}
		cfg.Superseded = dups.Rows
	}

	prog := newProgress(o, log)
	if httpSink != nil {
		prog.extra = func() string {
			st := httpSink.HTTPStats()
			return fmt.Sprintf("%d delivered, %d requests, %d retries, %d refused", st.Messages, st.Requests, st.Retries.Total(), st.Refused)
		}
	}
	cfg.Progress, cfg.ProgressInterval = prog.update, prog.interval
	o.streams.LastPass() // a stream read by an earlier pass is not kept past this one
	res, runErr := o.runPass(ctx, cfg)
	prog.done()
	if runErr == nil {
		runErr = out.Close(ctx)
	}
	if runErr == nil && keys != nil {
		runErr = dropSuperseded(keys, res, fileOut)
	}
	if runErr != nil {
		out.Abort()
	}
	if httpSink != nil {
		hst := httpSink.HTTPStats()
		rep.HTTP = reportHTTP(hst)
		refused.apply(res, hst)
		if refused.err != nil && runErr == nil {
			runErr = refused.err
		}
	}
	if err := rejects.Close(); err != nil && runErr == nil {
		runErr = err
	}
	if acks != nil {
		// what the API acknowledged is in the journal, whatever happened
		if err := acks.close(); err != nil && runErr == nil {
			runErr = err
		}
		if err := store.Consolidate("", nil); err != nil && runErr == nil {
			runErr = err
		}
	}
	if store != nil && (tracker != nil || acks != nil) {
		// Remember what was delivered: for files everything once they are
		// complete (a failed file run remembers nothing); for the API what
		// it acknowledged.
		status := "finished"
		if runErr == nil && tracker != nil {
			if err := store.Consolidate("", tracker.sorter); err != nil {
				runErr = err
			}
		}
		if runErr != nil || res.FileErrors > 0 {
			status = "failed"
		}
		if err := store.SaveRun(&state.RunInfo{Fingerprint: o.fingerprint(), DefaultTimestamp: transform.FormatTime(defTS),
			StartedAt: start.UTC().Format(time.RFC3339), FinishedAt: o.Now().UTC().Format(time.RFC3339), Status: status,
			Shard: o.shard.String()}); err != nil && runErr == nil {
			runErr = err
		}
	}
	rep.Output = reportOutput(out.Stats())

	code := ExitOK
	switch {
	case runErr != nil, res.FileErrors > 0, withheld != nil:
		code = ExitFailure
	case res.Rejected > 0:
		code = ExitRejected
	}
	if withheld != nil {
		rep.Errors = append(rep.Errors, withheld.Error())
	}
	rep.ExitCode = code
	rep.Status = statusOf(code)
	if res.Stopped == "interrupted" {
		rep.Status = "interrupted"
	}
	if runErr != nil && res.Stopped == "" {
		rep.Errors = append(rep.Errors, runErr.Error())
	}
	report.Build(rep, reportResult(res), start, o.Now())
	if res.Stats != nil {
		rep.Review = report.BuildReview(rep, reportStats(res.Stats))
	}
	// The report last: its presence says the run is over.
	if rep.Review != nil {
		base := reviewBase(reportPath)
		for ext, data := range map[string][]byte{".md": rep.Markdown(), ".html": rep.HTML()} {
			if err := atomicfile.WriteFile(base+ext, data); err != nil {
				fmt.Fprintf(o.Stderr, "groupimport: writing the review: %v\n", err)
				code = ExitFailure
			}
		}
		rep.ReviewFiles = []string{base + ".md", base + ".html"}
	}
	if o.MetricsFile != "" {
		if err := atomicfile.WriteFile(o.MetricsFile, rep.Prometheus()); err != nil {
			fmt.Fprintf(o.Stderr, "groupimport: writing the metrics file: %v\n", err)
			code = ExitFailure
		}
	}
	if reportPath != "" {
		if err := atomicfile.WriteFile(reportPath, rep.JSON()); err != nil {
			fmt.Fprintf(o.Stderr, "groupimport: writing the report: %v\n", err)
			code = ExitFailure
		}
	}
	if !o.Quiet {
		if o.LogFormat == "json" {
			log.Info("finished", "status", rep.Status, "exit_code", code, "read", rep.Totals.Read,
				"emitted", rep.Totals.Emitted, "rejected", rep.Totals.Rejected, "report", reportPath)
		} else {
			rep.Summary(o.Stderr)
			if reportPath != "" {
				fmt.Fprintf(o.Stderr, "  report: %s\n", reportPath)
			}
		}
	}
	return code, nil
}
