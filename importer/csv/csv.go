// Package csv reads CSV text into rows (record.Batch), the way real
// exports write it: RFC 4180 with what they add.
//
//   - Records end with CRLF, LF or a lone CR (old Mac files); inside a quoted
//     field every byte is kept as it is, CRLF included.
//   - A quote inside an unquoted field is an ordinary character (5" screen).
//   - Blank lines are skipped (and counted in line numbers); a UTF-8
//     byte-order mark is dropped; the delimiter (, ; tab |) is the one that
//     occurs most often outside quotes in the header line, unless
//     Options.Comma names it.
//   - The first record is the header: its names, trimmed, are the columns.
//     Empty names at its end, as Excel writes them (a,b,c,,,), are dropped
//     with a warning (Reader.Warnings): a row may have fields under them
//     or not, and those fields must be empty (else the row is rejected,
//     record.CodeUnnamedColumn). An empty name before the last name is a
//     file error.
//
// The contract. NewReader reads the header; Next appends rows to a batch
// and returns io.EOF at the end of the input. A problem with one record is
// a row error (record.Row.Err, with a Code from package record) and reading
// goes on with the next record: a row with more or fewer fields than the
// header (record.CodeFieldCount), invalid UTF-8 (record.CodeInvalidUTF8,
// naming the column of the byte), a quoted field followed by anything but
// a delimiter or a record end (record.CodeTextAfterQuote). A problem that
// leaves the rest of the input unreadable is a file error, a *ParseError
// naming the line (and column): a quoted field still open at the end of
// the input (ErrQuote), a record longer than Options.MaxRecordBytes
// (ErrRecordLimit), a header that is missing, empty, repeated or not UTF-8
// (ErrHeader), or a failed read of the input. Rows placed in the batch
// before a file error are valid.
//
// Every error, row or file, is at the record's first line (a column is
// given when the problem is on that line); when the parser noticed the
// problem on a later line of the record (a quoted field spans lines), the
// message says where the quoted field opens and where it was noticed: a
// stray quote is found where it is, not where the file ends or the next
// quote happens to be.
//
// The input must be UTF-8 (package importer decodes other encodings and
// decompresses before it gets here). Every row keeps its record's text
// (record.Row.Raw) for the rejects file.
package csv

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/groupimport/groupimport/importer/internal/lineio"
	"github.com/groupimport/groupimport/record"
)

// Defaults of the zero Options.
const (
	DefaultMaxRecordBytes = 64 << 20
	DefaultMaxColumns     = 10000
)

// Options control a Reader. The zero value reads with defaults.
type Options struct {
	// Comma is the field delimiter; 0 detects it from the header line (the
	// one of , ; tab | that occurs most often outside quotes, a comma on a
	// tie or when none occurs). A quote or a line end cannot be one.
	Comma byte
	// MaxRecordBytes bounds one record, its quoted line ends included: a
	// longer one is a file error wrapping ErrRecordLimit (it is most often
	// a stray quote that makes the rest of the file one field). Default
	// DefaultMaxRecordBytes.
	MaxRecordBytes int
	// MaxColumns bounds the columns of the header. Default
	// DefaultMaxColumns.
	MaxColumns int
	// Valid, when set, reports whether every byte read so far is valid
	// UTF-8, as checked upstream (importer's text check): while it is,
	// the reader does not check each record again. That second check was
	// about 2% of the CPU of a CSV run (1M bench/gen companies).
	Valid func() bool
}

func (o Options) withDefaults() Options {
	if o.MaxRecordBytes <= 0 {
		o.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if o.MaxColumns <= 0 {
		o.MaxColumns = DefaultMaxColumns
	}
	return o
}

// Causes of file errors, for errors.Is.
var (
	ErrHeader      = errors.New("bad header")
	ErrQuote       = errors.New("quoted field never closed")
	ErrRecordLimit = lineio.ErrRecordLimit
)

// ParseError is a file error: a problem that stops the reading of the
// input, at a line (and column) of it.
type ParseError struct {
	Line   int64 // physical line (1-based), 0 when unknown
	Column int   // 1-based character column in the line, 0 when unknown
	Err    error
}

func (e *ParseError) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("line %d, column %d: %v", e.Line, e.Column, e.Err)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return e.Err.Error()
}

func (e *ParseError) Unwrap() error { return e.Err }

// span is a field of the record being parsed.
type span struct {
	s, e  int // field content within the record
	esc   bool
	plain bool // an unquoted field with no byte JSON escapes (fieldEnd)
}

// Reader reads the records of one CSV input.
type Reader struct {
	in    lineio.Buffer
	opts  Options
	comma byte
	stop  [256]bool
	// commas is comma in every byte of a word (fieldEnd)
	commas uint64

	line   int64 // physical line of in.Buf[in.Pos]
	rows   int64
	header []string
	// width is the number of columns of the header, the unnamed ones at
	// its end (dropped from header) included
	width  int
	schema *record.Schema
	warns  map[string]int64
	spans  []span
	// maxSpans bounds r.spans: fields past it are counted in dropped, not
	// kept, so a record of a million delimiters costs no memory (it is
	// rejected anyway).
	maxSpans int
	dropped  int
}

// NewReader reads the header of the CSV text in r. Its errors are
// *ParseError.
func NewReader(r io.Reader, opts Options) (*Reader, error) {
	return newReaderSize(r, opts, 1<<20)
}

// newReaderSize is NewReader with an initial buffer of size bytes (tests
// use tiny buffers to put buffer boundaries everywhere).
func newReaderSize(rd io.Reader, opts Options, size int) (*Reader, error) {
	opts = opts.withDefaults()
	r := &Reader{in: lineio.NewBuffer(rd, size, opts.MaxRecordBytes), opts: opts, line: 1, maxSpans: opts.MaxColumns + 1}
	// Enough bytes to see a byte-order mark (reads may be short).
	for r.in.End-r.in.Pos < 3 && !r.in.EOF {
		if err := r.in.Fill(); err != nil && err != io.EOF {
			return nil, r.fileErr(0, err)
		}
	}
	if bytes.HasPrefix(r.in.Buf[r.in.Pos:r.in.End], []byte("\xef\xbb\xbf")) {
		r.in.Pos += 3
	}
	r.comma = opts.Comma
	if r.comma == 0 {
		c, err := r.sniffComma()
		if err != nil {
			return nil, err
		}
		r.comma = c
	}
	if r.comma == '"' || r.comma == '\n' || r.comma == '\r' {
		return nil, &ParseError{Err: fmt.Errorf("the delimiter %q cannot be used", r.comma)}
	}
	r.stop[r.comma] = true
	r.commas = lo8 * uint64(r.comma)
	r.stop['\n'] = true
	r.stop['\r'] = true
	if err := r.readHeader(); err != nil {
		return nil, err
	}
	return r, nil
}

// Columns returns the names of the header.
func (r *Reader) Columns() []string { return r.header }

// Comma is the delimiter in use (detected or given).
func (r *Reader) Comma() byte { return r.comma }

func (r *Reader) fileErr(col int, err error) error {
	return &ParseError{Line: r.line, Column: col, Err: err}
}

func (r *Reader) readHeader() error {
	data, rec, line, err := r.next()
	if err == io.EOF {
		return &ParseError{Line: r.line, Err: fmt.Errorf("%w: the file is empty", ErrHeader)}
	}
	if err != nil {
		return err
	}
	bad := func(off int, format string, args ...any) error {
		return &ParseError{Line: line, Column: lineio.Col(data, off), Err: fmt.Errorf("%w: %s", ErrHeader, fmt.Sprintf(format, args...))}
	}
	if rec.rowErr != nil {
		return &ParseError{Line: line, Column: rec.rowErr.Col, Err: fmt.Errorf("%w: %s", ErrHeader, rec.rowErr.Reason)}
	}
	if !utf8.Valid(data) {
		off := lineio.InvalidUTF8At(data)
		col, at := opens(data, off, line)
		if col > 0 {
			at = ""
		} else {
			at = " " + at
		}
		return &ParseError{Line: line, Column: col, Err: fmt.Errorf("%w: invalid UTF-8 (byte 0x%02x)%s; name the file's encoding with --encoding",
			ErrHeader, data[off], at)}
	}
	if n := r.fields(); n > r.opts.MaxColumns {
		return bad(0, "%d columns, more than the limit of %d", n, r.opts.MaxColumns)
	}
	names := make([]string, len(r.spans))
	named := 0 // the columns up to the last one with a name
	for k, sp := range r.spans {
		v := data[sp.s:sp.e]
		if sp.esc {
			v = unescapeQuotes(append([]byte(nil), v...))
		}
		if names[k] = strings.TrimSpace(string(v)); names[k] != "" {
			named = k + 1
		}
	}
	seen := map[string]int{}
	for k, name := range names[:max(named, 1)] {
		if name == "" && k == 0 && named > 1 {
			return bad(r.spans[k].s, "column 1 has no name, as pandas writes its index (DataFrame.to_csv without index=False): name it in the header, or write the file without the index")
		}
		if name == "" {
			return bad(r.spans[k].s, "column %d has no name", k+1)
		}
		if prev, dup := seen[name]; dup {
			return bad(r.spans[k].s, "column name %q appears twice (columns %d and %d)", name, prev+1, k+1)
		}
		seen[name] = k
	}
	r.width = len(names)
	r.header = names[:named:named]
	r.schema = record.NewSchema(r.header)
	if d := r.width - named; d > 0 {
		r.warn(unnamedWarning(named, r.width))
	}
	return nil
}

// unnamedWarning is the warning about a header whose columns past named
// (up to width) have no name.
func unnamedWarning(named, width int) string {
	if width-named == 1 {
		return fmt.Sprintf("the header's last column (%d) has no name, as Excel writes it: it is dropped, and a row with a value in it is rejected (%s)",
			width, record.CodeUnnamedColumn)
	}
	return fmt.Sprintf("the header's last %d columns (%d to %d) have no name, as Excel writes them: they are dropped, and a row with a value in them is rejected (%s)",
		width-named, named+1, width, record.CodeUnnamedColumn)
}

// warn counts a warning about the input.
func (r *Reader) warn(msg string) {
	if r.warns == nil {
		r.warns = map[string]int64{}
	}
	r.warns[msg]++
}

// Warnings returns the warnings about the input, each with the number of
// times it occurred: the header's unnamed columns at the end, dropped.
func (r *Reader) Warnings() map[string]int64 { return maps.Clone(r.warns) }

// Next appends rows to b until it holds max rows or its arena is full. It
// returns io.EOF (possibly with rows) at the end of the input, or a
// *ParseError when the input cannot be read further.
func (r *Reader) Next(b *record.Batch, max int) error {
	for len(b.Rows) < max && b.ArenaLen() < lineio.ArenaLimit {
		data, rec, line, err := r.next()
		if err != nil {
			return err
		}
		r.rows++
		raw := b.Copy(data)
		row := record.Row{Line: line, Num: r.rows, Schema: r.schema, Raw: raw}
		if rec.rowErr != nil || !r.fitsHeader() || !r.validUTF8(raw) {
			row.Err = r.rowError(raw, &rec, line)
		} else {
			vals := b.ValuesToFill(len(r.header)) // every one set below
			for k, sp := range r.spans[:len(r.header)] {
				v := raw[sp.s:sp.e:sp.e]
				if sp.esc {
					v = unescapeQuotes(b.Copy(v))
				}
				vals[k] = record.Value{Kind: record.String, Bytes: v, Plain: sp.plain}
			}
			row.Values = vals
		}
		b.Rows = append(b.Rows, row)
	}
	return nil
}

// validUTF8 reports whether raw, a record just read, is valid UTF-8:
// without looking when the bytes read so far were checked upstream.
func (r *Reader) validUTF8(raw []byte) bool {
	return r.opts.Valid != nil && r.opts.Valid() || utf8.Valid(raw)
}

// rowError says why the record raw (parsed into r.spans, starting on line)
// is rejected: invalid UTF-8 first, then what parsing found, then the
// number of fields.
func (r *Reader) rowError(raw []byte, rec *csvRecord, line int64) *record.Error {
	ncol := len(r.header)
	switch {
	case !utf8.Valid(raw):
		off := lineio.InvalidUTF8At(raw)
		e := &record.Error{Code: record.CodeInvalidUTF8, Column: r.columnAt(off)}
		var at string
		if e.Col, at = opens(raw, off, line); e.Col > 0 {
			at = ""
		} else {
			at = " " + at + " of the record"
		}
		e.Reason = fmt.Sprintf("invalid UTF-8 (byte 0x%02x)%s; if the file is not UTF-8, name its encoding with --encoding", raw[off], at)
		return e
	case rec.rowErr != nil:
		if rec.errField < ncol {
			rec.rowErr.Column = r.header[rec.errField]
		}
		return rec.rowErr
	}
	if k := r.unnamedValue(); k >= 0 {
		col, at := opens(raw, r.spans[k].s, line)
		if col > 0 {
			at = ""
		} else {
			at = ", " + at
		}
		return &record.Error{Code: record.CodeUnnamedColumn, Col: col, Reason: fmt.Sprintf(
			"a value in column %d%s, which has no name in the header (the header's unnamed columns at the end are dropped): name the column, or remove the value",
			k+1, at)}
	}
	reason := fmt.Sprintf("the row has %d fields, the header has %d", r.fields(), ncol)
	if r.width > ncol {
		reason = fmt.Sprintf("the row has %d fields, the header has %d named columns and %d unnamed ones at the end", r.fields(), ncol, r.width-ncol)
	}
	if last, _ := where(raw, len(raw), line); last > line {
		// a quoted field with line ends in it, most often a stray quote
		reason += fmt.Sprintf(" (the record spans lines %d to %d: a quoted field holds line ends; a stray quote makes the lines up to the next quote one field)", line, last)
	}
	return &record.Error{Code: record.CodeFieldCount, Reason: reason}
}

// fitsHeader reports whether the last record has a field for every
// column of the header: as many as it has names, or up to its width when
// the fields under its unnamed columns are empty.
func (r *Reader) fitsHeader() bool {
	n := r.fields()
	return n == len(r.header) || n > len(r.header) && n <= r.width && r.unnamedValue() < 0
}

// unnamedValue returns the index of the first field of the last record
// that is under an unnamed column of the header and not empty, or -1.
func (r *Reader) unnamedValue() int {
	if r.fields() > r.width {
		return -1
	}
	for k := len(r.header); k < len(r.spans); k++ {
		if r.spans[k].s < r.spans[k].e {
			return k
		}
	}
	return -1
}

// columnAt names the column whose field holds byte off of the last record.
func (r *Reader) columnAt(off int) string {
	for k, sp := range r.spans {
		if off < sp.e+1 && k < len(r.header) {
			return r.header[k]
		}
	}
	return ""
}

// unescapeQuotes turns "" into " in place.
func unescapeQuotes(v []byte) []byte {
	w := 0
	for i := 0; i < len(v); i++ {
		v[w] = v[i]
		w++
		if v[i] == '"' && i+1 < len(v) && v[i+1] == '"' {
			i++
		}
	}
	return v[:w]
}

// DialectName describes a delimiter for people.
func DialectName(c byte) string {
	switch c {
	case '\t':
		return "tab"
	case ',':
		return "comma"
	case ';':
		return "semicolon"
	case '|':
		return "pipe"
	}
	return strconv.QuoteRune(rune(c))
}
