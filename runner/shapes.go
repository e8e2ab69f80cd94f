package runner

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/groupimport/groupimport/importer"
	"github.com/groupimport/groupimport/pipeline"
	"github.com/groupimport/groupimport/record"
	"github.com/groupimport/groupimport/transform"
)

// fileShape is one input file as prepare sees it before any row is read:
// its format and columns (an NDJSON file's: the keys of its first lines),
// or why it could not be opened.
type fileShape struct {
	path   string
	format importer.Format
	cols   []string
	err    error // it could not be opened: the run reports it when it reaches it
}

func (s *fileShape) ndjson() bool { return s.format == importer.NDJSON }

// shaped says whether the file has a shape of its own: it could be opened,
// and it is not an NDJSON file without a line (which fits any mapping).
func (s *fileShape) shaped() bool { return s.err == nil && !(s.ndjson() && len(s.cols) == 0) }

// probeFiles opens each file for its format and columns.
func probeFiles(files []string, ro importer.Options) []fileShape {
	out := make([]fileShape, len(files))
	for i, f := range files {
		out[i] = probeFile(f, ro)
	}
	return out
}

func probeFile(path string, ro importer.Options) (s fileShape) {
	s.path = path
	defer func() {
		if p := recover(); p != nil {
			s.err = &importer.FileError{File: path, Err: fmt.Errorf("the reader failed on this file: %v", p)}
		}
	}()
	r, src, err := importer.Open(path, ro)
	if err != nil {
		s.err = err
		return s
	}
	defer r.Close()
	s.format, s.cols = src.Format, r.Columns()
	if s.cols == nil {
		s.cols = []string{}
	}
	return s
}

// shapeGroup is the files of a kind that one transformer maps: with an
// inferred mapping, the files whose columns give the same mapping (the
// same format, and the same columns; for NDJSON, whose rows each have
// their own keys, the same identifiers); with a mapping file, every file.
type shapeGroup struct {
	files []int // indexes into the kind's shapes, in input order
	first int   // the first file that could be opened, -1 when none
	key   string

	// set by mapGroup
	t      *transform.Transformer
	ro     importer.Options
	fields []string
	notes  []string
}

// groupShapes sorts the files of a kind into groups, and returns each
// file's group. A file without a shape joins the group of the file before
// it (or after it): the run only reports its error, or reads no row.
func groupShapes(kind transform.Kind, shapes []fileShape, inferred bool) ([]*shapeGroup, []int) {
	var groups []*shapeGroup
	of := make([]int, len(shapes))
	byKey := map[string]int{}
	for i := range shapes {
		of[i] = -1
		if !shapes[i].shaped() {
			continue
		}
		key := ""
		if inferred {
			key = shapeKey(kind, &shapes[i])
		}
		g, ok := byKey[key]
		if !ok {
			g = len(groups)
			byKey[key] = g
			groups = append(groups, &shapeGroup{first: i, key: key})
		}
		of[i] = g
	}
	if len(groups) == 0 {
		groups = append(groups, &shapeGroup{first: -1})
	}
	for i := range shapes {
		if of[i] < 0 {
			of[i] = neighbourGroup(of, i)
		}
		groups[of[i]].files = append(groups[of[i]].files, i)
	}
	return groups, of
}

// neighbourGroup is the group of the nearest file before i that has one,
// else of the first after it, else the first group.
func neighbourGroup(of []int, i int) int {
	for k := i - 1; k >= 0; k-- {
		if of[k] >= 0 {
			return of[k]
		}
	}
	for k := i + 1; k < len(of); k++ {
		if of[k] >= 0 {
			return of[k]
		}
	}
	return 0
}

// shapeKey says which files share an inferred mapping: the format, and
// the columns (in any order) or, for NDJSON, the identifiers the column
// names give.
func shapeKey(kind transform.Kind, s *fileShape) string {
	if s.ndjson() {
		if km, err := transform.Infer(kind, nil, s.cols, nil); err == nil {
			return "ndjson\x00" + identifierKey(km)
		}
	}
	cols := slices.Clone(s.cols)
	slices.Sort(cols)
	return string(s.format) + "\x00" + strings.Join(cols, "\x00")
}

// identifierKey lists the columns of a section's identifiers.
func identifierKey(km *transform.KindMapping) string {
	var parts []string
	for _, f := range []*transform.Field{km.GroupID, km.UserID, km.AnonymousID, km.ObjectTypeID, km.Timestamp, km.Deleted} {
		col := ""
		if f != nil {
			col = f.Column
		}
		parts = append(parts, col)
	}
	return strings.Join(parts, "\x00")
}

// mapGroup settles the mapping of one group of files from the columns and
// first rows of its first file, builds its transformer and checks every
// file of the group against it. A group of files none of which could be
// opened gets the mapping file's section, or one that maps nothing: the
// run only reports their errors.
func (j *job) mapGroup(kind transform.Kind, km *transform.KindMapping, ro importer.Options, shapes []fileShape, g *shapeGroup) error {
	var cols []string
	var sample []record.Row
	if g.first >= 0 {
		cols = shapes[g.first].cols
		if c, rows, err := readSample(shapes[g.first].path, ro, 1000); err == nil {
			cols, sample = c, rows
			if j.rowBytes[kind] == 0 {
				j.noteRowBytes(kind, rows)
			}
		}
	}
	full, err := transform.Infer(kind, km, cols, sample)
	switch {
	case err != nil && g.first < 0:
		full = km
		if full == nil {
			full = &transform.KindMapping{Custom: transform.Custom{Mode: "none"}}
		}
	case err != nil:
		return inFile(err, shapes[g.first].path)
	}
	if j.c.Timezone != "" && full.Timezone == "" {
		full.Timezone = j.c.Timezone
	}
	if g.t, err = j.transformer(kind, full); err != nil {
		return err
	}
	g.ro = ro
	if g.ro.Columns, err = checkColumns(shapes, g, ro); err != nil {
		return err
	}
	if g.first >= 0 {
		if g.fields, err = transform.Describe(kind, full, cols); err != nil {
			return err
		}
	}
	g.notes = full.Notes
	return nil
}

// inFile names the file in a mapping error.
func inFile(err error, path string) error {
	var ce *transform.ConfigError
	if errors.As(err, &ce) {
		return &transform.ConfigError{File: ce.File, Line: ce.Line, Msg: path + ": " + ce.Msg}
	}
	return fmt.Errorf("%s: %w", path, err)
}

// checkColumns checks that every file of a group fits its mapping, and
// returns the columns the mapping reads in any file with a fixed set of
// them: all a reader decodes (see projection). An NDJSON file fits when
// some line of it has each column the mapping names: the keys of its first
// lines, or, when they lack one, of all its lines.
func checkColumns(shapes []fileShape, g *shapeGroup, ro importer.Options) ([]string, error) {
	var need projection
	for _, i := range g.files {
		s := &shapes[i]
		switch {
		case s.err != nil:
			continue // reported as a file error when the run reaches it
		case s.ndjson():
			if err := checkNDJSON(s, ro, g.t); err != nil {
				return nil, inFile(err, s.path)
			}
			continue
		}
		cols, err := g.t.Columns(s.cols)
		if err != nil {
			return nil, inFile(err, s.path)
		}
		need.add(cols)
	}
	return need.cols, nil
}

// checkNDJSON checks an NDJSON file's keys against the mapping: those of
// its first lines, and when they lack a column the mapping names, those of
// every line, until one has it. A file that cannot be read to its end is
// left to the run, which reports its error.
func checkNDJSON(s *fileShape, ro importer.Options, t *transform.Transformer) (err error) {
	first := t.Check(s.cols)
	if first == nil {
		return nil
	}
	defer func() {
		if p := recover(); p != nil {
			err = nil
		}
	}()
	r, _, err := importer.Open(s.path, ro)
	if err != nil {
		return nil
	}
	defer r.Close()
	keys, seen := slices.Clone(s.cols), map[string]bool{}
	for _, c := range keys {
		seen[c] = true
	}
	b := record.NewBatch(4096, 1<<20)
	rows := 0
	for {
		b.Reset()
		rerr := r.Next(b, 4096)
		grew := false
		rows += len(b.Rows)
		for k := range b.Rows {
			if sc := b.Rows[k].Schema; sc != nil {
				for _, name := range sc.Names {
					if !seen[name] {
						seen[name], grew = true, true
						keys = append(keys, name)
					}
				}
			}
		}
		if grew && t.Check(keys) == nil {
			return nil
		}
		switch {
		case rerr == nil:
		case rerr == io.EOF && rows == 0:
			return nil // no line: nothing to map
		case rerr == io.EOF:
			return noLineHas(t.Check(keys))
		default:
			return nil
		}
	}
}

// noLineHas says that an NDJSON file's mapping error is about all its
// lines.
func noLineHas(err error) error {
	var ce *transform.ConfigError
	if errors.As(err, &ce) {
		return &transform.ConfigError{File: ce.File, Line: ce.Line, Msg: ce.Msg + " (no line of this NDJSON file has it)"}
	}
	return err
}

// inputsOf lays the groups out as the pipeline's inputs: one per run of
// consecutive files of a group, so that the files keep their order.
func inputsOf(kind transform.Kind, shapes []fileShape, groups []*shapeGroup, of []int) []pipeline.Input {
	var out []pipeline.Input
	for i := range shapes {
		g := groups[of[i]]
		if n := len(out); n > 0 && out[n-1].Transformer == g.t {
			out[n-1].Files = append(out[n-1].Files, shapes[i].path)
			continue
		}
		out = append(out, pipeline.Input{Kind: kind, Files: []string{shapes[i].path}, Read: g.ro, Transformer: g.t})
	}
	return out
}

// groupFiles lists the paths of a group's files.
func groupFiles(shapes []fileShape, g *shapeGroup) []string {
	out := make([]string, len(g.files))
	for k, i := range g.files {
		out[k] = shapes[i].path
	}
	return out
}
