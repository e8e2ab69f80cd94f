package runner

import (
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
		j.inputs = append(j.inputs, p.inputs...)
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
	if err := j.c.checkStateShard(store); err != nil {
		return err
	}
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
		StartedAt: j.c.start.UTC().Format(time.RFC3339), FinishedAt: finished, Status: status, Mapping: j.mappingFingerprint(),
		Shard: j.c.shard.String()}
}

// prepared is one kind of input, ready to run.
type prepared struct {
	inputs  []pipeline.Input
	mapping *report.MappingInfo
	ignored []importer.Ignored
}

// prepare expands a kind's inputs, settles their mapping and checks it
// against every file's columns before any row is read. With a mapping
// file, one mapping (what the file leaves open inferred from the first
// readable file) maps every file; without one, each file is mapped by its
// own columns, files of the same columns sharing a mapping (groupShapes).
func (j *job) prepare(kind transform.Kind, patterns []string) (*prepared, error) {
	expanded, err := j.src.expand("--"+string(kind)+": ", patterns)
	if err != nil {
		return nil, err
	}
	km := j.mapping.For(kind)
	ro, err := j.src.options(j.c.reading(), km)
	if err != nil {
		return nil, err
	}
	shapes := probeFiles(expanded.Files, ro)
	groups, of := groupShapes(kind, shapes, km == nil)
	for _, g := range groups {
		if err := j.mapGroup(kind, km, ro, shapes, g); err != nil {
			return nil, err
		}
	}
	info := mappingInfo(j.c.MappingFile, shapes, groups)
	if km == nil {
		j.c.noteInferred(kind, shapes, groups, j.log)
	}
	return &prepared{inputs: inputsOf(kind, shapes, groups, of), mapping: info, ignored: expanded.Ignored}, nil
}

// mappingInfo is the report's account of a kind's mapping: that of its
// first group, and each group with its files when there are several.
func mappingInfo(file string, shapes []fileShape, groups []*shapeGroup) *report.MappingInfo {
	info := &report.MappingInfo{Source: file, Notes: groups[0].notes, Fields: groups[0].fields}
	if file == "" {
		info.Source = "inferred from column names"
	}
	if len(groups) > 1 {
		for _, g := range groups {
			info.Shapes = append(info.Shapes, report.MappingShape{Files: groupFiles(shapes, g), Notes: g.notes, Fields: g.fields})
		}
	}
	return info
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
		ObjectTypes: j.objectTypesFor(kind), Review: j.reviewKeys, Shard: j.c.shard,
	}
	if full.Deleted != nil && (kind == transform.Companies || kind == transform.Memberships) {
		j.upsertDeletes = true
	}
	if full.IncludeObjectTraits && kind == transform.Memberships {
		if len(j.c.Companies) == 0 {
			return nil, &transform.ConfigError{Msg: "memberships: include_object_traits needs the companies input in the same run (--companies)"}
		}
		tc.ObjectTraits = j.join.get
	}
	return transform.New(tc)
}

// readSample opens a file and reads its columns and up to n rows.
func readSample(path string, ro importer.Options, n int) (cols []string, rows []record.Row, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &importer.FileError{File: path, Err: fmt.Errorf("the reader failed on this file: %v", p)}
		}
	}()
	ro.FirstRows = true
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
// mapped by its column names (unless --quiet): each distinct mapping once,
// with the files it applies to when the files differ.
func (c *config) noteInferred(kind transform.Kind, shapes []fileShape, groups []*shapeGroup, log *slog.Logger) {
	if c.Quiet || groups[0].first < 0 {
		return // nothing could be read: the run reports the files' errors
	}
	if c.LogFormat == "json" {
		for _, g := range groups {
			log.Info("mapped by column names", "kind", kind, "files", groupFiles(shapes, g), "fields", g.fields)
		}
		return
	}
	fmt.Fprintf(c.Stderr, "groupimport: no mapping for %s; mapped by column names (groupimport init writes it as a file to edit):\n", kind)
	indent := "  "
	if len(groups) > 1 {
		fmt.Fprintf(c.Stderr, "  the %s files have %d different sets of columns; each is mapped by its own:\n", kind, len(groups))
		indent = "    "
	}
	for _, g := range groups {
		if len(groups) > 1 {
			fmt.Fprintf(c.Stderr, "  %s:\n", fileList(groupFiles(shapes, g)))
		}
		for _, f := range g.fields {
			fmt.Fprintf(c.Stderr, "%s%s\n", indent, f)
		}
		for _, n := range g.notes {
			if !strings.HasSuffix(n, "(by name)") {
				fmt.Fprintf(c.Stderr, "%snote: %s\n", indent, n)
			}
		}
	}
}

// fileList names files for people: up to five, then how many more.
func fileList(files []string) string {
	if len(files) > 5 {
		return strings.Join(files[:5], ", ") + fmt.Sprintf(" and %d more", len(files)-5)
	}
	return strings.Join(files, ", ")
}
