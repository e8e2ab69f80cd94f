package importer

// Helpers shared by the reader tests and the fuzz targets: in-memory
// sources with tiny reads, draining a reader while checking the Reader
// contract on every row, and comparing results.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/groupimport/groupimport/record"
)

// chunkReader returns at most n bytes a Read (all that fits when n <= 0).
type chunkReader struct {
	data []byte
	n    int
	err  error // returned instead of io.EOF at the end, when set
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		return 0, io.EOF
	}
	k := len(p)
	if c.n > 0 && k > c.n {
		k = c.n
	}
	k = copy(p[:k], c.data)
	c.data = c.data[k:]
	return k, nil
}

// memSource is a Source over data that hands it out chunk bytes a Read.
func memSource(path string, format Format, data []byte, chunk int) *Source {
	cr := &countingReader{r: &chunkReader{data: data, n: chunk}}
	return &Source{Path: path, Format: format, counter: cr, r: bufio.NewReaderSize(cr, 16)}
}

// gotRow is a copy of a record.Row that outlives its batch.
type gotRow struct {
	Line   int64
	Num    int64
	Names  []string
	Values []string
	Kinds  []record.Kind
	Raw    string
	Err    *record.Error
}

func (g gotRow) String() string {
	if g.Err != nil {
		return fmt.Sprintf("{line %d row %d err %+v raw %q}", g.Line, g.Num, *g.Err, g.Raw)
	}
	return fmt.Sprintf("{line %d row %d %q=%q raw %q}", g.Line, g.Num, g.Names, g.Values, g.Raw)
}

// checkRow checks the contract every row must keep, and copies it.
func checkRow(row *record.Row) (gotRow, error) {
	g := gotRow{Line: row.Line, Num: row.Num, Raw: string(row.Raw), Err: row.Err}
	if row.Err != nil {
		if row.Values != nil {
			return g, fmt.Errorf("row %d has both Err and Values", row.Num)
		}
		e := *row.Err
		g.Err = &e
		return g, nil
	}
	if row.Schema == nil {
		return g, fmt.Errorf("row %d has neither Err nor Schema", row.Num)
	}
	if len(row.Values) != len(row.Schema.Names) {
		return g, fmt.Errorf("row %d: %d values for %d names", row.Num, len(row.Values), len(row.Schema.Names))
	}
	seen := map[string]bool{}
	for k, name := range row.Schema.Names {
		if seen[name] {
			return g, fmt.Errorf("row %d: column %q twice in the schema", row.Num, name)
		}
		seen[name] = true
		if row.Schema.Index(name) != k {
			return g, fmt.Errorf("row %d: Schema.Index(%q) = %d, want %d", row.Num, name, row.Schema.Index(name), k)
		}
		if !utf8.ValidString(name) {
			return g, fmt.Errorf("row %d: column name %q is not UTF-8", row.Num, name)
		}
	}
	g.Names = append([]string{}, row.Schema.Names...)
	g.Kinds = []record.Kind{}
	for _, v := range row.Values {
		if (v.Kind == record.String || v.Kind == record.JSON) && !utf8.Valid(v.Bytes) {
			return g, fmt.Errorf("row %d: value %q is not valid UTF-8", row.Num, v.Bytes)
		}
		g.Values = append(g.Values, string(v.Bytes))
		g.Kinds = append(g.Kinds, v.Kind)
	}
	if g.Values == nil {
		g.Values = []string{}
	}
	return g, nil
}

// contractError is a broken Reader contract found by drain.
type contractError struct{ msg string }

func (e *contractError) Error() string { return "reader contract: " + e.msg }

func broken(format string, args ...any) error {
	return &contractError{fmt.Sprintf(format, args...)}
}

// drain reads r to the end in batches of max rows, checking every row and
// the numbering of rows. It returns the rows and the error that ended the
// reading (nil for io.EOF); a broken contract is a *contractError.
func drain(r Reader, max int) ([]gotRow, error) {
	var rows []gotRow
	b := record.NewBatch(min(max, 1024), 64)
	for calls := 0; ; calls++ {
		if calls > 1<<22 {
			return rows, broken("Next never returns io.EOF")
		}
		b.Reset()
		err := r.Next(b, max)
		if len(b.Rows) > max {
			return rows, broken("Next put %d rows in a batch of max %d", len(b.Rows), max)
		}
		for i := range b.Rows {
			g, cerr := checkRow(&b.Rows[i])
			if cerr != nil {
				return rows, &contractError{cerr.Error()}
			}
			if want := int64(len(rows) + 1); g.Num != want {
				return rows, broken("row numbered %d, want %d", g.Num, want)
			}
			if len(rows) > 0 && g.Line <= rows[len(rows)-1].Line {
				return rows, broken("row %d starts on line %d, not after the previous row's line %d", g.Num, g.Line, rows[len(rows)-1].Line)
			}
			if g.Line < 1 {
				return rows, broken("row %d has line %d", g.Num, g.Line)
			}
			rows = append(rows, g)
		}
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				return rows, broken("Next returned %T %v, not a *FileError", err, err)
			}
			return rows, err
		}
	}
}

// readMem reads data as format through an in-memory source with an initial
// reader buffer of bufSize bytes (0: the default), reads of at most chunk
// bytes (0: unlimited) and batches of max rows.
func readMem(format Format, data []byte, opts Options, bufSize, chunk, max int) (cols []string, rows []gotRow, err error) {
	opts = opts.withDefaults()
	if bufSize <= 0 {
		bufSize = 1 << 20
	}
	src := memSource("mem."+string(format), format, data, chunk)
	var r Reader
	switch format {
	case CSV:
		var cr *csvReader
		cr, err = newCSVReaderSize(src, opts, bufSize)
		if cr != nil {
			r = cr
		}
	case NDJSON:
		var nr *ndjsonReader
		nr, err = newNDJSONReaderSize(src, opts, bufSize)
		if nr != nil {
			r = nr
		}
	}
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	cols = r.Columns()
	rows, err = drain(r, max)
	return cols, rows, err
}

// readFile opens path with Open and drains it.
func readFile(path string, opts Options, max int) (cols []string, rows []gotRow, err error) {
	r, _, err := Open(path, opts)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	cols = r.Columns()
	rows, err = drain(r, max)
	return cols, rows, err
}

// writeFile writes data to name in a new temporary directory.
func writeFile(t testing.TB, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// errString is err's text, or "" for nil.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// sameRead reports how two reads differ, or "" when they are the same.
func sameRead(cols1 []string, rows1 []gotRow, err1 error, cols2 []string, rows2 []gotRow, err2 error) string {
	if !reflect.DeepEqual(cols1, cols2) {
		return fmt.Sprintf("columns %q vs %q", cols1, cols2)
	}
	if errString(err1) != errString(err2) {
		return fmt.Sprintf("error %v vs %v", err1, err2)
	}
	if len(rows1) != len(rows2) {
		return fmt.Sprintf("%d rows vs %d rows", len(rows1), len(rows2))
	}
	for i := range rows1 {
		if !reflect.DeepEqual(rows1[i], rows2[i]) {
			return fmt.Sprintf("row %d: %v vs %v", i+1, rows1[i], rows2[i])
		}
	}
	return ""
}

// splitReads reads data with tiny buffers, tiny reads and small batches and
// reports the first way a read differs from one read into one big batch.
// NDJSON columns come from the lines in the first buffer, so they are only
// compared for CSV.
func splitReads(format Format, data []byte, opts Options, bufSizes, chunks, maxes []int) string {
	cols, rows, err := readMem(format, data, opts, 0, 0, 1<<30)
	for _, bs := range bufSizes {
		for _, ch := range chunks {
			for _, mx := range maxes {
				c2, r2, e2 := readMem(format, data, opts, bs, ch, mx)
				if format == NDJSON {
					c2 = cols
				}
				if d := sameRead(cols, rows, err, c2, r2, e2); d != "" {
					return fmt.Sprintf("buffer %d, reads of %d, batches of %d: %s", bs, ch, mx, d)
				}
			}
		}
	}
	return ""
}
