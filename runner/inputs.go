package runner

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/groupimport/groupimport/importer"
	"github.com/groupimport/groupimport/pipeline"
	"github.com/groupimport/groupimport/record"
	"github.com/groupimport/groupimport/report"
	"github.com/groupimport/groupimport/state"
	"github.com/groupimport/groupimport/transform"
)

// inputFlag is one kind of input and the flag that names its files.
type inputFlag struct {
	flag     string
	kind     transform.Kind
	patterns []string
}

// inputFlags are the inputs in the order the pipeline takes them.
func (o *Options) inputFlags() []inputFlag {
	return []inputFlag{{"--companies", transform.Companies, o.Companies}, {"--memberships", transform.Memberships, o.Memberships},
		{"--delete-relationships", transform.RelationshipDeletes, o.DeleteRelationships},
		{"--delete-objects", transform.ObjectDeletes, o.DeleteObjects}}
}

// openInputs is the phase that opens what the run reads: the state of an
// incremental run, the mapping file, and each kind's files, whose mapping
// is settled and checked against their columns before any row is read.
func (j *job) openInputs() error {
	if j.c.StateFile != "" && j.c.isRun {
		if err := j.openStore(); err != nil {
			return err
		}
	}
	if j.c.MappingFile != "" {
		m, err := readMapping(j.c.MappingFile)
		if err != nil {
			return err
		}
		j.mapping = m
	}
	j.rep = newReport(j.c, j.defTS)
	j.reviewKeys = j.c.newReviewKeys()
	for _, in := range j.c.inputFlags() {
		if len(in.patterns) == 0 {
			if j.mapping.For(in.kind) != nil {
				j.log.Debug("mapping section without input", "kind", in.kind)
			}
			continue
		}
		p, err := j.prepare(in.kind, in.patterns)
		if err != nil {
			return err
		}
		j.inputs = append(j.inputs, p.input)
		j.rep.Mapping[string(in.kind)] = p.mapping
		j.rep.IgnoredFiles = append(j.rep.IgnoredFiles, reportIgnored(p.ignored)...)
		j.c.noteIgnored(in.kind, p.ignored, j.log)
	}
	return nil
}

// openStore opens --state, folds in what a killed run acknowledged (a dry
// run's read-only store did on a copy), and resumes an unfinished run's
// event time.
func (j *job) openStore() error {
	store, err := j.c.openState()
	if err != nil {
		return err
	}
	j.store = store
	j.onClose(func() { store.Close() })
	if !j.c.DryRun {
		if err := store.Consolidate("", nil); err != nil {
			return err
		}
	}
	if last, err := store.LastRun(); err == nil && last != nil && last.Status != "finished" &&
		last.Fingerprint == j.c.fingerprint() && j.c.Timestamp == "" {
		if t, err := transform.ParseTime(last.DefaultTimestamp, ""); err == nil {
			j.defTS = t
			j.log.Info("resuming an unfinished run: its event time is kept", "timestamp", last.DefaultTimestamp, "started_at", last.StartedAt)
		}
	}
	return nil
}

// runInfo is what the state remembers of this run.
func (j *job) runInfo(status, finished string) *state.RunInfo {
	return &state.RunInfo{Fingerprint: j.c.fingerprint(), DefaultTimestamp: transform.FormatTime(j.defTS),
		StartedAt: j.c.start.UTC().Format(time.RFC3339), FinishedAt: finished, Status: status, Mapping: j.mappingFingerprint()}
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
func (j *job) prepare(kind transform.Kind, patterns []string) (*prepared, error) {
	expanded, err := importer.ExpandInputs(patterns)
	if err != nil {
		return nil, &UsageError{Msg: fmt.Sprintf("--%s: %v", kind, err)}
	}
	km := j.mapping.For(kind)
	ro, err := j.c.reading().options(km, j.streams)
	if err != nil {
		return nil, err
	}
	cols, sample, err := j.sample(kind, expanded.Files, ro)
	if err != nil {
		return nil, err
	}
	full, err := transform.Infer(kind, km, cols, sample)
	if err != nil {
		return nil, err
	}
	if j.c.Timezone != "" && full.Timezone == "" {
		full.Timezone = j.c.Timezone
	}
	t, err := j.transformer(kind, full)
	if err != nil {
		return nil, err
	}
	if ro.Columns, err = projectColumns(expanded.Files, ro, t); err != nil {
		return nil, err
	}
	fields, err := transform.Describe(kind, full, cols)
	if err != nil {
		return nil, err
	}
	info := &report.MappingInfo{Source: j.c.MappingFile, Notes: full.Notes, Fields: fields}
	if km == nil {
		info.Source = "inferred from column names"
		j.c.noteInferred(kind, fields, full.Notes, j.log)
	}
	return &prepared{input: pipeline.Input{Kind: kind, Files: expanded.Files, Read: ro, Transformer: t}, mapping: info, ignored: expanded.Ignored}, nil
}

// sample reads the columns and up to 1000 rows of a kind's first readable
// file, and notes the size of its rows. With no file, it returns nothing.
func (j *job) sample(kind transform.Kind, files []string, ro importer.Options) ([]string, []record.Row, error) {
	var firstErr error
	for _, f := range files {
		cols, rows, err := readSample(f, ro, 1000)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		j.noteRowBytes(kind, rows)
		return cols, rows, nil
	}
	if firstErr != nil {
		return nil, nil, fmt.Errorf("no %s input could be read: %w", kind, firstErr)
	}
	return nil, nil, nil
}

// noteRowBytes keeps the size of a kind's rows in the file, for sizing the
// duplicate filter (expectedRows).
func (j *job) noteRowBytes(kind transform.Kind, rows []record.Row) {
	var raw int
	for i := range rows {
		raw += len(rows[i].Raw) + 1
	}
	if len(rows) > 0 && raw > len(rows) {
		if j.rowBytes == nil {
			j.rowBytes = map[transform.Kind]float64{}
		}
		j.rowBytes[kind] = float64(raw) / float64(len(rows))
	}
}

// transformer builds the transformer of a kind mapped by full.
func (j *job) transformer(kind transform.Kind, full *transform.KindMapping) (*transform.Transformer, error) {
	tc := transform.Config{
		Kind: kind, Mapping: full, Timestamp: j.defTS, ClockTimestamp: j.c.Timestamp == "", Version: j.c.Version,
		SentAt: j.c.sentAt(), CollectStats: j.c.reviewing(), ContentHash: j.c.StateFile != "",
		ObjectTypes: j.objectTypesFor(kind), Review: j.reviewKeys,
	}
	if full.IncludeObjectTraits && kind == transform.Memberships {
		if len(j.c.Companies) == 0 {
			return nil, &transform.ConfigError{Msg: "memberships: include_object_traits needs the companies input in the same run (--companies)"}
		}
		tc.ObjectTraits = j.join.get
	}
	return transform.New(tc)
}

// projectColumns checks that every file with a fixed set of columns fits
// the mapping, and returns the columns the mapping reads in any of them:
// all a reader decodes (see projection).
func projectColumns(files []string, ro importer.Options, t *transform.Transformer) ([]string, error) {
	var need projection
	for _, f := range files {
		r, src, err := importer.Open(f, ro)
		if err != nil {
			continue // reported as a file error when the run reaches it
		}
		if src.Format == importer.NDJSON {
			r.Close() // no fixed set of columns
			continue
		}
		cols, err := t.Columns(r.Columns())
		r.Close()
		if err != nil {
			var ce *transform.ConfigError
			if errors.As(err, &ce) {
				return nil, &transform.ConfigError{File: ce.File, Line: ce.Line, Msg: f + ": " + ce.Msg}
			}
			return nil, err
		}
		need.add(cols)
	}
	return need.cols, nil
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

// noteInferred says on stderr how a kind without a mapping section was
// mapped by its column names (unless --quiet).
func (c *config) noteInferred(kind transform.Kind, fields, notes []string, log *slog.Logger) {
	if c.Quiet {
		return
	}
	if c.LogFormat == "json" {
		log.Info("mapped by column names", "kind", kind, "fields", fields)
		return
	}
	fmt.Fprintf(c.Stderr, "groupimport: no mapping for %s; mapped by column names (groupimport init writes it as a file to edit):\n", kind)
	for _, f := range fields {
		fmt.Fprintf(c.Stderr, "  %s\n", f)
	}
	for _, n := range notes {
		if !strings.HasSuffix(n, "(by name)") {
			fmt.Fprintf(c.Stderr, "  note: %s\n", n)
		}
	}
}
