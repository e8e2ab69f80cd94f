package runner

import (
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
// count, the kind the file looks like and why, its columns with the types a
// run writes them as and examples from across the file, sample rows, the
// mapping a run would infer, what a run with it would do to every row, and
// what to give (--encoding, decimal:) where the file needs it. A file that
// cannot be read, or not to its end, makes the exit code 1.
func Inspect(o InspectOptions) (int, error) {
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Sample <= 0 {
		o.Sample = 3
	}
	files, err := importer.Expand(o.Paths)
	if err != nil {
		err = &UsageError{Msg: err.Error()}
		return ExitCode(err), err
	}
	streams := importer.NewStreams("")
	defer streams.Close()
	ro, err := reading{Format: o.Format, Encoding: o.Encoding, Delimiter: o.Delim}.options(nil, streams)
	if err != nil {
		return ExitCode(err), err
	}
	var fileErrs []error
	for _, f := range files {
		if err := inspectFile(o, f, ro); err != nil {
			fileErrs = append(fileErrs, err)
		}
	}
	// the files' errors are in the output, each under its file
	return ExitCode(errors.Join(fileErrs...)), nil
}

// inspectFile prints what inspect says about one file, and returns the
// file's error (what was read before it is shown). A file that is not
// UTF-8 is shown as read with the encoding it looks like.
func inspectFile(o InspectOptions, path string, ro importer.Options) error {
	w := o.Stdout
	fmt.Fprintf(w, "%s\n", path)
	p, err := profileFile(path, ro)
	ferr := err
	if p != nil {
		ferr = p.err
	}
	ee := encodingError(ferr)
	if ee != nil && ee.Encoding != "" && ro.Encoding == "" {
		fmt.Fprintf(w, "  error:        %v\n  encoding:     read below with --encoding %s, the encoding it looks like\n", ferr, ee.Encoding)
		retry := ro
		retry.Encoding = ee.Encoding
		if p2, err2 := profileFile(path, retry); err2 == nil {
			p, ro = p2, retry
			p.err = ferr
		}
	} else if err != nil {
		fmt.Fprintf(w, "  error:        %v\n\n", err)
		return err
	}
	if p == nil {
		fmt.Fprintln(w)
		return ferr
	}
	printSource(w, p)
	g := guessKind(p)
	kind := transform.Kind(o.Kind)
	if kind == "" {
		kind = g.kind
		fmt.Fprintf(w, "  kind:         %s: %s\n", kind, g.why)
	}
	km, kerr := transform.Infer(kind, nil, p.cols, p.first) // from the first rows, as a run does
	starter := false
	if kerr != nil {
		if s, err := transform.InferGuessing(kind, p.cols, p.first, identifierGuesses(kind, p)); err == nil {
			km, starter = s, true
		}
	}
	printColumns(w, kind, km, p)
	printShown(w, p, o.Sample)
	printInferred(w, kind, km, kerr, p)
	if km != nil {
		printTrial(w, trialRun(kind, km, path, ro), starter)
	}
	printSuggestions(w, kind, km, p)
	if p.err != nil && encodingError(p.err) == nil {
		fmt.Fprintf(w, "  error:        %v\n", p.err)
	}
	fmt.Fprintln(w)
	return p.err
}

// printSource prints a file's format, compression and size, what its
// reader says of its dialect or schema, and its row count.
func printSource(w io.Writer, p *profile) {
	src := p.src
	comp := string(src.Compression)
	if comp == "" {
		comp = "none"
	}
	fmt.Fprintf(w, "  format:       %s (compression: %s, %d bytes)\n", src.Format, comp, src.Size)
	for _, line := range p.header {
		fmt.Fprintf(w, "  %s\n", line)
	}
	fmt.Fprintf(w, "  rows:         %d", p.rows)
	if p.bad > 0 {
		fmt.Fprintf(w, " (%d unreadable: ragged, malformed or invalid UTF-8)", p.bad)
	}
	fmt.Fprintln(w)
}

// printColumns prints each column: how full it is, the type a run writes
// its values as and where they go (with the inferred mapping), and
// examples from rows across the file.
func printColumns(w io.Writer, kind transform.Kind, km *transform.KindMapping, p *profile) {
	uses := map[string]transform.ColumnUse{}
	if km != nil {
		if list, err := transform.ColumnUses(kind, km, p.cols); err == nil {
			for _, u := range list {
				uses[u.Column] = u
			}
		}
	}
	fmt.Fprintf(w, "  columns:      %d (the type a run writes, where it goes; examples from rows across the file)\n", len(p.cols))
	typs, width := make([]string, len(p.cols)), 0
	for i, c := range p.cols {
		typs[i] = columnType(p.stats[c], uses[c], km == nil)
		if out := uses[c].Output; out != "" {
			typs[i] += " → " + out
		}
		width = max(width, len([]rune(typs[i])))
	}
	for i, c := range p.cols {
		st := p.stats[c]
		fill := 0.0
		if p.good() > 0 {
			fill = 100 * float64(st.filled) / float64(p.good())
		}
		pad := strings.Repeat(" ", width-len([]rune(typs[i])))
		fmt.Fprintf(w, "    %-24s %5.1f%% filled  %s%s  e.g. %s\n", c, fill, typs[i], pad, strings.Join(quoteAll(p.examples(c, 3)), ", "))
	}
}

// columnType names the type a run writes a column's values as: the
// mapping's (a declared, reserved or inferred type), else the kinds of the
// values as read. Without a mapping, a text column gets the type a run
// would infer from its values.
func columnType(st *colProfile, u transform.ColumnUse, noMapping bool) string {
	if u.Type != transform.TypeAuto {
		if u.Inferred {
			return u.Type + " (inferred)"
		}
		return u.Type
	}
	if noMapping && st.texts > 0 && st.texts == st.filled {
		for _, t := range []string{transform.TypeInteger, transform.TypeFloat, transform.TypeBoolean} {
			if st.fitsText(t) {
				return t + " (inferred)"
			}
		}
	}
	var kinds []string
	for k, n := range st.kinds {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
	}
	sort.Strings(kinds)
	switch {
	case len(kinds) == 0:
		return "empty"
	case len(kinds) == 1:
		return strings.SplitN(kinds[0], " ", 2)[0]
	}
	return "mixed: " + strings.Join(kinds, ", ")
}

// printShown prints n rows sampled across the file, with their lines.
func printShown(w io.Writer, p *profile, n int) {
	rows := p.across.Rows()
	if len(rows) == 0 {
		return
	}
	step := max(1, len(rows)/n)
	fmt.Fprintln(w, "  sample rows (across the file):")
	for i := 0; i < len(rows) && i/step < n; i += step {
		fmt.Fprintf(w, "    %s\n", showRow(&rows[i]))
	}
}

// printInferred prints the mapping a run would infer for the file as
// kind; when it infers none (kerr), why, and the starter mapping km that
// groupimport init writes instead.
func printInferred(w io.Writer, kind transform.Kind, km *transform.KindMapping, kerr error, p *profile) {
	if kerr != nil {
		msg := kerr.Error()
		var ce *transform.ConfigError
		if errors.As(kerr, &ce) {
			msg = ce.Msg
		}
		fmt.Fprintf(w, "  mapping:      a run infers none (exit 2): %s\n", msg)
		if km == nil {
			return
		}
	}
	fields, err := transform.Describe(kind, km, p.cols)
	if err != nil {
		fmt.Fprintf(w, "  mapping (%s): %v\n", kind, err)
		return
	}
	if kerr != nil {
		fmt.Fprintf(w, "  starter mapping (as %s; groupimport init writes one like it to check and give with --mapping):\n", kind)
	} else {
		fmt.Fprintf(w, "  mapping it would infer (as %s):\n", kind)
	}
	for _, f := range fields {
		fmt.Fprintf(w, "    %s\n", f)
	}
	for _, n := range km.Notes {
		if !strings.Contains(n, "(by name)") {
			fmt.Fprintf(w, "    # %s\n", n)
		}
	}
}

// printSuggestions says what to give where the file needs it: the
// --encoding of a file that is not UTF-8, decimal: "," for numbers written
// with a decimal comma; and the reader's warnings.
func printSuggestions(w io.Writer, kind transform.Kind, km *transform.KindMapping, p *profile) {
	var out []string
	if ee := encodingError(p.err); ee != nil {
		if ee.Encoding != "" {
			out = append(out, fmt.Sprintf("--encoding %s: the file is not UTF-8; %s", ee.Encoding, ee.Why))
		} else {
			out = append(out, "--encoding: the file is not UTF-8; "+ee.Why)
		}
	} else if name, why := badRowsEncoding(p); name != "" {
		out = append(out, fmt.Sprintf("--encoding %s: a row is not UTF-8 (%s); %s", name, showRow(p.firstBad), why))
	}
	if km != nil {
		hints := km.DecimalCommaColumns()
		var cols []string
		for c := range hints {
			cols = append(cols, c)
		}
		sort.Strings(cols)
		for _, c := range cols {
			fix := `decimal: ","`
			if strings.Contains(hints[c], ".") {
				fix += ` and thousands: "."`
			}
			out = append(out, fmt.Sprintf("%s in the %s section of a mapping: column %q holds numbers written with a decimal comma (e.g. %q), sent as text without it", fix, kind, c, hints[c]))
		}
	}
	var warns []string
	for m, n := range p.warnings {
		warns = append(warns, fmt.Sprintf("%s (%d)", m, n))
	}
	sort.Strings(warns)
	if len(out) > 0 {
		fmt.Fprintln(w, "  suggestions:")
		for _, s := range out {
			fmt.Fprintf(w, "    %s\n", s)
		}
	}
	for _, s := range warns {
		fmt.Fprintf(w, "  warning:      %s\n", s)
	}
}

// badRowsEncoding is the encoding that the first row rejected as not
// UTF-8 looks like (importer.SuggestEncoding), "" when none is.
func badRowsEncoding(p *profile) (name, why string) {
	if p.firstBad == nil || p.firstBad.Err == nil || p.firstBad.Err.Code != record.CodeInvalidUTF8 {
		return "", ""
	}
	// the row's line, ended (a byte that could open a character cut at the
	// end of a sample is not taken for a bad one)
	return importer.SuggestEncoding(append(append([]byte(nil), p.firstBad.Raw...), '\n'))
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
	c := record.Row{Line: row.Line, Num: row.Num, Schema: row.Schema, Values: make([]record.Value, len(row.Values)),
		Raw: append([]byte(nil), row.Raw...)}
	for i, v := range row.Values {
		c.Values[i] = record.Value{Kind: v.Kind, Bytes: append([]byte(nil), v.Bytes...)}
	}
	if row.Err != nil {
		e := *row.Err
		c.Err = &e
	}
	return c
}

// showRow is a row as inspect shows it: its line, and its text.
func showRow(row *record.Row) string {
	s := string(row.Raw)
	if row.Raw == nil {
		var parts []string
		for i, v := range row.Values {
			parts = append(parts, fmt.Sprintf("%s=%s", row.Schema.Names[i], v.Bytes))
		}
		s = strings.Join(parts, " ")
	}
	s = strings.ToValidUTF8(s, "\ufffd")
	if r := []rune(s); len(r) > 160 {
		s = string(r[:157]) + "…"
	}
	if row.Line > 0 {
		return fmt.Sprintf("line %d: %s", row.Line, s)
	}
	return fmt.Sprintf("row %d: %s", row.Num, s)
}
