package runner

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"sort"

	"github.com/groupimport/groupimport/importer"
	"github.com/groupimport/groupimport/record"
	"github.com/groupimport/groupimport/transform"
)

// Sizes of what inspect and init keep of a file.
const (
	runSampleRows = 1000    // the first rows a run infers its mapping from (j.sample)
	acrossRows    = 1000    // rows sampled across the whole file (importer.RowSample)
	distinctCap   = 1 << 15 // distinct values counted per column
)

// profile is what inspect and init learn by reading a whole file: its
// columns, the values of each, the first rows (the sample a run infers its
// mapping from) and rows sampled across the file.
type profile struct {
	path   string
	src    *importer.Source
	header []string // what the reader says of its dialect or schema
	cols   []string // the file's own columns, then others as seen (NDJSON)
	stats  map[string]*colProfile
	rows   int64 // rows read
	bad    int64 // of which unreadable (ragged, malformed, invalid UTF-8)
	first  []record.Row
	across *importer.RowSample
	// firstBad is the first row that could not be read
	firstBad *record.Row
	// warnings are the reader's (importer.Warner); err is what stopped
	// the reading before the end of the file.
	warnings map[string]int64
	err      error
	seed     maphash.Seed
}

// colProfile describes the values of one column.
type colProfile struct {
	kinds  map[record.Kind]int64
	filled int64
	// the text of the values (numbers as written)
	lenSum int64
	maxLen int
	spaced int64 // with a space inside
	ints   int64 // whole numbers written without leading zeros
	decs   int64 // numbers with a fraction
	dates  int64 // dates and times (not plain numbers)
	bools  int64 // true/false
	padded int64 // with spaces around
	// text values, and how many of them are of each type Infer gives
	// text (transform.TextType)
	texts    int64
	textType map[string]int64
	counted  distinctCount
}

// fitsText says whether every text value of the column fits type typ as
// Infer gives it (an integer fits a float).
func (st *colProfile) fitsText(typ string) bool {
	n := st.textType[typ]
	if typ == transform.TypeFloat {
		n += st.textType[transform.TypeInteger]
	}
	return n == st.texts
}

// distinctCount counts a column's distinct values, up to distinctCap. A
// column that cannot be an identifier (a value repeats, or a cell is
// empty) and whose name does not say it names an object or a person is
// no longer counted (off), to save memory.
type distinctCount struct {
	seen    map[uint64]struct{}
	offered int64 // values offered while counting
	dups    int64 // of which seen before
	full    bool  // stopped at distinctCap: the counts are of the values before
	keep    bool  // its name says object or person: counted anyway
	off     bool
}

// stop ends the counting of a column that cannot be an identifier.
func (d *distinctCount) stop() {
	if !d.keep {
		d.off, d.seen = true, nil
	}
}

// rowsPer is the values per distinct value among those counted.
func (d *distinctCount) rowsPer() float64 {
	if len(d.seen) == 0 {
		return 0
	}
	return float64(d.offered) / float64(len(d.seen))
}

// profileFile reads the whole of a file. The error is the file's when it
// cannot be opened; an error while reading is the profile's err, the rows
// before it profiled.
func profileFile(path string, ro importer.Options) (p *profile, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &importer.FileError{File: path, Err: fmt.Errorf("the reader failed on this file: %v", r)}
		}
	}()
	r, src, err := importer.Open(path, ro)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	p = &profile{path: path, src: src, stats: map[string]*colProfile{}, across: importer.NewRowSample(acrossRows, 1), seed: maphash.MakeSeed()}
	p.header = readerHeader(r)
	b := record.NewBatch(4096, 1<<20)
	for {
		b.Reset()
		rerr := r.Next(b, 4096)
		for i := range b.Rows {
			p.add(&b.Rows[i])
		}
		if rerr != nil {
			if rerr != io.EOF {
				p.err = rerr
			}
			break
		}
	}
	if w, ok := r.(importer.Warner); ok {
		p.warnings = w.Warnings()
	}
	p.sortColumns(r.Columns())
	return p, nil
}

// readerHeader is what a reader says of its dialect or schema.
func readerHeader(r importer.Reader) []string {
	var out []string
	if d, ok := r.(interface{ Comma() byte }); ok {
		out = append(out, fmt.Sprintf("delimiter:    %s", importer.DialectName(d.Comma())))
	}
	if d, ok := r.(interface{ Describe() []string }); ok {
		out = append(out, d.Describe()...)
	}
	return out
}

// add profiles one row.
func (p *profile) add(row *record.Row) {
	p.rows++
	if row.Err != nil {
		p.bad++
		if p.firstBad == nil {
			c := copyRow(row)
			p.firstBad = &c
		}
		return
	}
	if len(p.first) < runSampleRows {
		p.first = append(p.first, copyRow(row))
	}
	p.across.Add(row)
	for k, v := range row.Values {
		st := p.column(row.Schema.Names[k])
		if v.IsEmpty() {
			st.counted.stop()
			continue
		}
		st.filled++
		st.kinds[v.Kind]++
		st.value(v, p.seed)
	}
}

// column is the profile of a column, added on first sight.
func (p *profile) column(name string) *colProfile {
	st := p.stats[name]
	if st == nil {
		person, object := nameRole(name)
		st = &colProfile{kinds: map[record.Kind]int64{}, textType: map[string]int64{}, counted: distinctCount{seen: map[uint64]struct{}{}, keep: person || object}}
		p.stats[name] = st
		p.cols = append(p.cols, name)
	}
	return st
}

// value describes one non-empty value.
func (st *colProfile) value(v record.Value, seed maphash.Seed) {
	t := v.Bytes
	st.lenSum += int64(len(t))
	st.maxLen = max(st.maxLen, len(t))
	trimmed := bytes.TrimSpace(t)
	if len(trimmed) != len(t) {
		st.padded++
	}
	if bytes.IndexByte(trimmed, ' ') >= 0 {
		st.spaced++
	}
	if v.Kind == record.String {
		st.texts++
		st.textType[transform.TextType(t)]++
	}
	switch shapeOf(v.Kind, trimmed) {
	case shapeInt:
		st.ints++
	case shapeDecimal:
		st.decs++
	case shapeDate:
		st.dates++
	case shapeBool:
		st.bools++
	}
	d := &st.counted
	if d.full || d.off {
		return
	}
	h := maphash.Bytes(seed, trimmed)
	d.offered++
	if _, ok := d.seen[h]; ok {
		d.dups++
		d.stop()
		return
	}
	if len(d.seen) == distinctCap {
		d.full, d.offered = true, d.offered-1
		return
	}
	d.seen[h] = struct{}{}
}

// The shapes of values that tell an identifier from a measure or a date.
const (
	shapeText = iota
	shapeInt
	shapeDecimal
	shapeDate
	shapeBool
)

// shapeOf says what a value looks like.
func shapeOf(kind record.Kind, t []byte) int {
	switch kind {
	case record.Bool:
		return shapeBool
	case record.Time:
		return shapeDate
	case record.JSON:
		return shapeText
	}
	digits, dots, other := 0, 0, 0
	for i, c := range t {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case (c == '.' || c == ',') && i > 0:
			dots++
		case c == '-' && i == 0:
		default:
			other++
		}
	}
	switch {
	case digits > 0 && other == 0 && dots == 0 && !(len(t) > 1 && t[0] == '0'):
		return shapeInt
	case digits > 0 && other == 0 && dots > 0:
		return shapeDecimal
	case bytes.EqualFold(t, []byte("true")) || bytes.EqualFold(t, []byte("false")):
		return shapeBool
	case digits >= 4 && bytes.ContainsAny(t, "-/:") && len(t) <= 40:
		if _, err := transform.ParseTime(string(t), ""); err == nil {
			return shapeDate
		}
	}
	return shapeText
}

// sortColumns adds the file's columns no row filled, and puts the file's
// own order first.
func (p *profile) sortColumns(cols []string) {
	for _, c := range cols {
		p.column(c)
	}
	pos := map[string]int{}
	for i, c := range cols {
		pos[c] = i
	}
	sort.SliceStable(p.cols, func(i, j int) bool {
		pi, oki := pos[p.cols[i]]
		pj, okj := pos[p.cols[j]]
		if oki && okj {
			return pi < pj
		}
		return oki && !okj
	})
}

// good is the number of rows that could be read.
func (p *profile) good() int64 { return p.rows - p.bad }

// examples returns up to n distinct values of a column among the rows
// sampled across the file, in file order, shortened to 40 characters.
func (p *profile) examples(column string, n int) []string {
	var out []string
	for _, row := range p.across.Rows() {
		if row.Schema == nil || len(out) == n {
			continue
		}
		i := row.Schema.Index(column)
		if i < 0 || i >= len(row.Values) || row.Values[i].IsEmpty() {
			continue
		}
		ex := string(row.Values[i].Bytes)
		if len([]rune(ex)) > 40 {
			ex = string([]rune(ex)[:37]) + "…"
		}
		dup := false
		for _, e := range out {
			dup = dup || e == ex
		}
		if !dup {
			out = append(out, ex)
		}
	}
	return out
}

// encodingError is the file's error when it is not UTF-8, else nil.
func encodingError(err error) *importer.EncodingError {
	var ee *importer.EncodingError
	if errors.As(err, &ee) {
		return ee
	}
	return nil
}
