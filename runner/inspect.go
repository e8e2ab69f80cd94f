package runner

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/groupimport/groupimport/importer"
	"github.com/groupimport/groupimport/record"
	"github.com/groupimport/groupimport/transform"
)

// GuessKind says whether columns look like memberships (an object id and a
// person) or companies.
func GuessKind(columns []string) transform.Kind {
	if _, err := transform.Infer(transform.Memberships, nil, columns, nil); err == nil {
		return transform.Memberships
	}
	return transform.Companies
}

// InspectOptions configure inspect.
type InspectOptions struct {
	Paths    []string
	Kind     string // "" guesses
	Format   string
	Encoding string
	Delim    string
	Sample   int // rows shown (default 3)
	Stdout   io.Writer
}

// Inspect prints, per file: format, compression, dialect or schema, row
// count, columns with the types and examples seen, sample rows, and the
// mapping it would infer.
func Inspect(o InspectOptions) (int, error) {
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Sample <= 0 {
		o.Sample = 3
	}
	files, err := importer.Expand(o.Paths)
	if err != nil {
		return ExitUsage, &UsageError{Msg: err.Error()}
	}
	streams := importer.NewStreams("")
	defer streams.Close()
	ro, err := reading{Format: o.Format, Encoding: o.Encoding, Delimiter: o.Delim}.options(nil, streams)
	if err != nil {
		return ExitUsage, err
	}
	code := ExitOK
	for _, f := range files {
		if err := inspectFile(o, f, ro); err != nil {
			fmt.Fprintf(o.Stdout, "%s: %v\n\n", f, err)
			code = ExitFailure
		}
	}
	return code, nil
}

// inspectFile prints what inspect says about one file; the error is the
// file's (what was read before it is shown).
func inspectFile(o InspectOptions, path string, ro importer.Options) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("the reader failed on this file: %v", p)
		}
	}()
	r, src, err := importer.Open(path, ro)
	if err != nil {
		return err
	}
	defer r.Close()
	w := o.Stdout
	printSource(w, path, src, r)
	sc := scanFile(r, o.Sample)
	sc.print(w)
	kind := transform.Kind(o.Kind)
	if kind == "" {
		kind = GuessKind(sc.order)
	}
	printInferred(w, kind, sc.order, sc.sample)
	return sc.err
}

// printSource prints a file's format, compression and size, and what its
// reader says of its dialect or schema.
func printSource(w io.Writer, path string, src *importer.Source, r importer.Reader) {
	fmt.Fprintf(w, "%s\n", path)
	comp := string(src.Compression)
	if comp == "" {
		comp = "none"
	}
	fmt.Fprintf(w, "  format:       %s (compression: %s, %d bytes)\n", src.Format, comp, src.Size)
	if d, ok := r.(interface{ Comma() byte }); ok {
		fmt.Fprintf(w, "  delimiter:    %s\n", importer.DialectName(d.Comma()))
	}
	if d, ok := r.(interface{ Describe() []string }); ok {
		for _, line := range d.Describe() {
			fmt.Fprintf(w, "  %s\n", line)
		}
	}
}

// fileScan is what inspect learns by reading a whole file.
type fileScan struct {
	stats     map[string]*colStats
	order     []string // the columns: the file's own order first, then as seen
	rows, bad int64    // rows read, and those unreadable
	sample    []record.Row
	shown     []string // the first rows, as shown
	err       error    // what stopped the reading early
}

type colStats struct {
	kinds    map[record.Kind]int64
	filled   int64
	examples []string
}

// scanFile reads every row of r, keeping up to 1000 rows for inferring the
// mapping and showing the first shown ones.
func scanFile(r importer.Reader, shown int) *fileScan {
	sc := &fileScan{stats: map[string]*colStats{}}
	b := record.NewBatch(4096, 1<<20)
	for {
		b.Reset()
		err := r.Next(b, 4096)
		for i := range b.Rows {
			sc.add(&b.Rows[i], shown)
		}
		if err != nil {
			if err != io.EOF {
				sc.err = err
			}
			break
		}
	}
	sc.sortColumns(r.Columns())
	return sc
}

// add counts one row.
func (sc *fileScan) add(row *record.Row, shown int) {
	sc.rows++
	if row.Err != nil {
		sc.bad++
		return
	}
	if len(sc.sample) < 1000 {
		sc.sample = append(sc.sample, copyRow(row))
	}
	if len(sc.shown) < shown {
		sc.shown = append(sc.shown, showRow(row))
	}
	for k, v := range row.Values {
		st := sc.column(row.Schema.Names[k])
		if v.IsEmpty() {
			continue
		}
		st.filled++
		st.kinds[v.Kind]++
		st.example(v.Bytes)
	}
}

// column is the statistics of a column, added on first sight.
func (sc *fileScan) column(name string) *colStats {
	st := sc.stats[name]
	if st == nil {
		st = &colStats{kinds: map[record.Kind]int64{}}
		sc.stats[name] = st
		sc.order = append(sc.order, name)
	}
	return st
}

// example keeps up to three distinct examples, shortened to 40 characters.
func (st *colStats) example(v []byte) {
	if len(st.examples) >= 3 {
		return
	}
	ex := string(v)
	if len(ex) > 40 {
		ex = ex[:37] + "…"
	}
	for _, e := range st.examples {
		if e == ex {
			return
		}
	}
	st.examples = append(st.examples, ex)
}

// sortColumns adds the file's columns no row filled, and puts the file's
// own order first.
func (sc *fileScan) sortColumns(cols []string) {
	for _, c := range cols {
		sc.column(c)
	}
	if len(cols) == 0 {
		return
	}
	pos := map[string]int{}
	for i, c := range cols {
		pos[c] = i
	}
	sort.SliceStable(sc.order, func(i, j int) bool {
		pi, oki := pos[sc.order[i]]
		pj, okj := pos[sc.order[j]]
		if oki && okj {
			return pi < pj
		}
		return oki && !okj
	})
}

// print prints the row count, the columns, the rows shown and the error.
func (sc *fileScan) print(w io.Writer) {
	fmt.Fprintf(w, "  rows:         %d", sc.rows)
	if sc.bad > 0 {
		fmt.Fprintf(w, " (%d unreadable: ragged, malformed or invalid UTF-8)", sc.bad)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  columns:      %d\n", len(sc.order))
	for _, c := range sc.order {
		st := sc.stats[c]
		var kinds []string
		for k, n := range st.kinds {
			kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
		}
		sort.Strings(kinds)
		fill := 0.0
		if sc.rows-sc.bad > 0 {
			fill = 100 * float64(st.filled) / float64(sc.rows-sc.bad)
		}
		fmt.Fprintf(w, "    %-28s %5.1f%% filled  %-28s e.g. %s\n", c, fill, strings.Join(kinds, ", "), strings.Join(quoteAll(st.examples), ", "))
	}
	if len(sc.shown) > 0 {
		fmt.Fprintln(w, "  sample rows:")
		for _, s := range sc.shown {
			fmt.Fprintf(w, "    %s\n", s)
		}
	}
	if sc.err != nil {
		fmt.Fprintf(w, "  error:        %v\n", sc.err)
	}
}

// printInferred prints the mapping inference would give the file as kind.
func printInferred(w io.Writer, kind transform.Kind, cols []string, sample []record.Row) {
	km, err := transform.Infer(kind, nil, cols, sample)
	if err != nil {
		fmt.Fprintf(w, "  mapping (%s): %v\n\n", kind, err)
		return
	}
	fields, err := transform.Describe(kind, km, cols)
	if err != nil {
		fmt.Fprintf(w, "  mapping (%s): %v\n\n", kind, err)
		return
	}
	fmt.Fprintf(w, "  mapping it would infer (as %s):\n", kind)
	for _, f := range fields {
		fmt.Fprintf(w, "    %s\n", f)
	}
	for _, n := range km.Notes {
		if !strings.Contains(n, "(by name)") {
			fmt.Fprintf(w, "    # %s\n", n)
		}
	}
	fmt.Fprintln(w)
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = fmt.Sprintf("%q", x)
	}
	return out
}

// copyRow copies a row out of a batch's arenas.
func copyRow(row *record.Row) record.Row {
	c := record.Row{Line: row.Line, Num: row.Num, Schema: row.Schema, Values: make([]record.Value, len(row.Values))}
	for i, v := range row.Values {
		c.Values[i] = record.Value{Kind: v.Kind, Bytes: append([]byte(nil), v.Bytes...)}
	}
	return c
}

func showRow(row *record.Row) string {
	s := string(row.Raw)
	if row.Raw == nil {
		var parts []string
		for i, v := range row.Values {
			parts = append(parts, fmt.Sprintf("%s=%s", row.Schema.Names[i], v.Bytes))
		}
		s = strings.Join(parts, " ")
	}
	if len(s) > 160 {
		s = s[:157] + "…"
	}
	return s
}
