package runner

import (
	"context"
	"errors"
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
	ropts := Options{Format: o.Format, Encoding: o.Encoding, Delimiter: o.Delim, streams: importer.NewStreams(""), Companies: o.Paths}
	defer ropts.streams.Close()
	if err := ropts.setupInputs(context.Background()); err != nil {
		return ExitUsage, err
	}
	defer ropts.closeInputs()
	in, err := ropts.expand("", o.Paths)
	if err != nil {
		return ExitCode(err), err
	}
	files := in.Files
	ro, err := ropts.readOptions(nil)
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

type colStats struct {
	kinds    map[record.Kind]int64
	filled   int64
	examples []string
}

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
	stats := map[string]*colStats{}
	var order []string
	var rows, bad int64
	var sample []record.Row
	var sampleRaw []string
	var fileErr error
	b := record.NewBatch(4096, 1<<20)
	for {
		b.Reset()
		err := r.Next(b, 4096)
		for i := range b.Rows {
			row := &b.Rows[i]
			rows++
			if row.Err != nil {
				bad++
				continue
			}
			if len(sample) < 1000 {
				sample = append(sample, copyRow(row))
			}
			if len(sampleRaw) < o.Sample {
				sampleRaw = append(sampleRaw, showRow(row))
			}
			for k, v := range row.Values {
				name := row.Schema.Names[k]
				st := stats[name]
				if st == nil {
					st = &colStats{kinds: map[record.Kind]int64{}}
					stats[name] = st
					order = append(order, name)
				}
				if v.IsEmpty() {
					continue
				}
				st.filled++
				st.kinds[v.Kind]++
				if len(st.examples) < 3 {
					ex := string(v.Bytes)
					if len(ex) > 40 {
						ex = ex[:37] + "…"
					}
					dup := false
					for _, e := range st.examples {
						dup = dup || e == ex
					}
					if !dup {
						st.examples = append(st.examples, ex)
					}
				}
			}
		}
		if err != nil {
			if err != io.EOF {
				fileErr = err
			}
			break
		}
	}
	cols := r.Columns()
	for _, c := range cols {
		if stats[c] == nil {
			stats[c] = &colStats{kinds: map[record.Kind]int64{}}
			order = append(order, c)
		}
	}
	if len(cols) > 0 {
		// the file's own order first
		pos := map[string]int{}
		for i, c := range cols {
			pos[c] = i
		}
		sort.SliceStable(order, func(i, j int) bool {
			pi, oki := pos[order[i]]
			pj, okj := pos[order[j]]
			if oki && okj {
				return pi < pj
			}
			return oki && !okj
		})
	}
	fmt.Fprintf(w, "  rows:         %d", rows)
	if bad > 0 {
		fmt.Fprintf(w, " (%d unreadable: ragged, malformed or invalid UTF-8)", bad)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  columns:      %d\n", len(order))
	for _, c := range order {
		st := stats[c]
		var kinds []string
		for k, n := range st.kinds {
			kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
		}
		sort.Strings(kinds)
		fill := 0.0
		if rows-bad > 0 {
			fill = 100 * float64(st.filled) / float64(rows-bad)
		}
		fmt.Fprintf(w, "    %-28s %5.1f%% filled  %-28s e.g. %s\n", c, fill, strings.Join(kinds, ", "), strings.Join(quoteAll(st.examples), ", "))
	}
	if len(sampleRaw) > 0 {
		fmt.Fprintln(w, "  sample rows:")
		for _, s := range sampleRaw {
			fmt.Fprintf(w, "    %s\n", s)
		}
	}
	if fileErr != nil {
		fmt.Fprintf(w, "  error:        %v\n", fileErr)
	}
	kind := transform.Kind(o.Kind)
	if kind == "" {
		kind = GuessKind(order)
	}
	km, err := transform.Infer(kind, nil, order, sample)
	if err != nil {
		fmt.Fprintf(w, "  mapping (%s): %v\n\n", kind, err)
		return fileErr
	}
	fields, err := transform.Describe(kind, km, order)
	if err != nil {
		fmt.Fprintf(w, "  mapping (%s): %v\n\n", kind, err)
		return fileErr
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
	return fileErr
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

// InitOptions configure init.
type InitOptions struct {
	Companies, Memberships, Paths []string
	Output                        string // "" or "-" for standard output
	Force                         bool
	Format, Encoding, Delim       string
	Stdout                        io.Writer
}

// Init writes the mapping that run would infer, in full, for a person to
// edit.
func Init(o InitOptions) (int, error) {
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	ropts := Options{Format: o.Format, Encoding: o.Encoding, Delimiter: o.Delim, streams: importer.NewStreams(""),
		Companies: o.Companies, Memberships: append(o.Memberships, o.Paths...)}
	defer ropts.streams.Close()
	if err := ropts.setupInputs(context.Background()); err != nil {
		return ExitUsage, err
	}
	defer ropts.closeInputs()
	ro, err := ropts.readOptions(nil)
	if err != nil {
		return ExitUsage, err
	}
	byKind := map[transform.Kind][]string{transform.Companies: o.Companies, transform.Memberships: o.Memberships}
	for _, p := range o.Paths {
		in, err := ropts.expand("", []string{p})
		if err != nil {
			return ExitCode(err), err
		}
		files := in.Files
		cols, _, err := readSample(files[0], ro, 1)
		if err != nil {
			return ExitFailure, err
		}
		k := GuessKind(cols)
		byKind[k] = append(byKind[k], p)
	}
	if len(byKind[transform.Companies])+len(byKind[transform.Memberships]) == 0 {
		return ExitUsage, usagef("init needs input files: groupimport init companies.csv [memberships.csv]")
	}
	m := &transform.Mapping{}
	for _, kind := range []transform.Kind{transform.Companies, transform.Memberships} {
		if len(byKind[kind]) == 0 {
			continue
		}
		in, err := ropts.expand("", byKind[kind])
		if err != nil {
			return ExitCode(err), err
		}
		files := in.Files
		cols, sample, err := readSample(files[0], ro, 1000)
		if err != nil {
			return ExitFailure, err
		}
		km, err := transform.Infer(kind, nil, cols, sample)
		if err != nil {
			return ExitCode(err), err
		}
		full, err := transform.ForInit(kind, km, cols)
		if err != nil {
			return ExitCode(err), err
		}
		full.Notes = append([]string{fmt.Sprintf("inferred from %s by groupimport init; edit freely", files[0])}, full.Notes...)
		if kind == transform.Companies {
			m.Companies = full
		} else {
			m.Memberships = full
		}
	}
	text := m.String()
	if o.Output == "" || o.Output == "-" {
		_, err := io.WriteString(o.Stdout, text)
		return ExitOK, err
	}
	if _, err := os.Stat(o.Output); err == nil && !o.Force {
		return ExitUsage, usagef("%s exists; pass --force to replace it", o.Output)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return ExitFailure, err
	}
	if err := os.WriteFile(o.Output, []byte(text), 0o644); err != nil {
		return ExitFailure, err
	}
	return ExitOK, nil
}
