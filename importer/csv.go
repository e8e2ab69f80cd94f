package importer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/groupimport/groupimport/record"
)

// The CSV dialect read here is RFC 4180 with what real exports add:
//   - records end with CRLF, LF or a lone CR (old Mac files); inside a quoted
//     field every byte is kept as it is, CRLF included;
//   - a quote inside an unquoted field is an ordinary character (5" screen);
//   - a quoted field followed by anything but a delimiter or a record end is
//     a rejected row; a quoted field still open at the end of the file is a
//     file error naming the line where it opened;
//   - blank lines are skipped; a row with more or fewer fields than the
//     header is rejected; invalid UTF-8 is rejected with its line and column;
//   - a UTF-8 byte-order mark is dropped; the delimiter (, ; tab |) is the
//     one that occurs most often outside quotes in the header line;
//   - a record longer than Options.MaxRecordBytes stops the file with a
//     FileError wrapping ErrRecordLimit (naming where a quoted field that is
//     still open starts); a file with no header is a FileError wrapping
//     ErrHeader.

const arenaLimit = 1 << 20 // a batch is full when its arena holds this much

type span struct {
	s, e int // field content within the record
	esc  bool
}

type csvReader struct {
	input

	comma byte
	stop  [256]bool

	line   int64 // physical line of buf[pos]
	rows   int64
	header []string
	schema *record.Schema
	spans  []span
	// maxSpans bounds r.spans: fields past it are counted in dropped, not
	// kept, so a record of a million delimiters costs no memory (it is
	// rejected anyway).
	maxSpans int
	dropped  int
}

func newCSVReader(src *Source, opts Options) (*csvReader, error) {
	return newCSVReaderSize(src, opts, 1<<20)
}

// newCSVReaderSize is newCSVReader with an initial buffer of size bytes
// (tests use tiny buffers to put buffer boundaries everywhere).
func newCSVReaderSize(src *Source, opts Options, size int) (*csvReader, error) {
	r := &csvReader{input: newInput(src, opts, size), line: 1, maxSpans: opts.MaxColumns + 1}
	// Enough bytes to see a byte-order mark (reads may be short).
	for r.end-r.pos < 3 && !r.eof {
		if err := r.fill(); err != nil && err != io.EOF {
			return nil, r.fileErr(0, err)
		}
	}
	if bytes.HasPrefix(r.buf[r.pos:r.end], []byte("\xef\xbb\xbf")) {
		r.pos += 3
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
		return nil, &FileError{File: src.Path, Err: fmt.Errorf("the delimiter %q cannot be used", r.comma)}
	}
	r.stop[r.comma] = true
	r.stop['\n'] = true
	r.stop['\r'] = true
	if err := r.readHeader(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *csvReader) Columns() []string { return r.header }
func (r *csvReader) Offset() int64     { return r.src.Offset() }
func (r *csvReader) Close() error      { return r.src.Close() }

// Comma is the delimiter in use (detected or given).
func (r *csvReader) Comma() byte { return r.comma }

// fill reads more input into the buffer, growing it when a record does not
// fit, and reads until the buffer is full: a record that needs several
// fills is parsed again after each, so each must at least double what it
// has (a record of n bytes then costs O(n), not O(n²)). It returns io.EOF
// at the end of input and any other error as is; the bytes read before an
// error stay in the buffer.
func (r *input) fill() error {
	if r.eof {
		return io.EOF
	}
	if r.rerr != nil {
		return r.rerr
	}
	var err error
	r.buf, r.pos, r.end, r.eof, err = fillBuffer(r.r, r.buf, r.pos, r.end, r.opts.MaxRecordBytes)
	if err != nil && err != io.EOF && err != errBufferLimit {
		err = decompressErr(r.src, err)
		r.rerr = err
	}
	if err == errBufferLimit {
		err = recordLimitErr(r.opts.MaxRecordBytes)
	}
	return err
}

// input is a line-oriented reader's buffered view of a file's decompressed
// bytes: buf[pos:end] is read and not yet consumed.
type input struct {
	src  *Source
	opts Options
	r    io.Reader

	buf      []byte
	pos, end int
	eof      bool
	rerr     error
}

func newInput(src *Source, opts Options, size int) input {
	return input{src: src, opts: opts, r: src.r, buf: make([]byte, max(size, 1))}
}

// errBufferLimit is fillBuffer's way of saying that the buffer is full and
// may not grow.
var errBufferLimit = errors.New("buffer limit")

// fillBuffer moves buf[pos:end] to the front of buf, grows buf when that
// leaves no room (up to maxRecord+2 bytes, a record and its CRLF), and reads
// from rd until buf is full, the input ends (io.EOF, eof true) or a read
// fails (the error, which the caller keeps).
func fillBuffer(rd io.Reader, buf []byte, pos, end, maxRecord int) (_ []byte, _, _ int, eof bool, err error) {
	if pos > 0 {
		end = copy(buf, buf[pos:end])
		pos = 0
	}
	if end == len(buf) {
		limit := maxRecord + 2
		if len(buf) >= limit {
			return buf, pos, end, false, errBufferLimit
		}
		nb := make([]byte, min(max(2*len(buf), 1), limit))
		copy(nb, buf[:end])
		buf = nb
	}
	for zeros := 0; end < len(buf); {
		n, err := rd.Read(buf[end:])
		end += n
		if err == io.EOF {
			return buf, pos, end, true, io.EOF
		}
		if err != nil {
			return buf, pos, end, false, err
		}
		if n == 0 {
			if zeros++; zeros > 100 {
				return buf, pos, end, false, io.ErrNoProgress
			}
		}
	}
	return buf, pos, end, false, nil
}

func recordLimitErr(limit int) error {
	return fmt.Errorf("%w (%d bytes; raise --max-record-bytes if the file is right)", ErrRecordLimit, limit)
}

func (r *csvReader) fileErr(col int, err error) error {
	return &FileError{File: r.src.Path, Line: r.line, Col: col, Row: r.rows, Err: err}
}

// sniffComma picks the delimiter from the first non-blank line: the
// candidate that occurs most often outside quotes, a comma on a tie or when
// none occurs (a one-column file). It looks at no more of the line than a
// record may hold, so the choice does not depend on how much the buffer
// happens to hold.
func (r *csvReader) sniffComma() (byte, error) {
	if err := r.skipBlankLines(); err != nil {
		return 0, err
	}
	limit := r.opts.MaxRecordBytes + 1
	for {
		w := r.buf[r.pos:r.end]
		if len(w) > limit {
			w = w[:limit]
		}
		counts, found := sniffLine(w)
		if found || r.eof || len(w) == limit {
			best, n := byte(','), 0
			for _, c := range []byte{',', ';', '\t', '|'} {
				if counts[c] > n {
					best, n = c, counts[c]
				}
			}
			return best, nil
		}
		if err := r.fill(); err != nil && err != io.EOF {
			return 0, r.fileErr(0, err)
		}
	}
}

// sniffLine counts the bytes of the first line of w outside quoted fields
// (a quote opens one at the start of the line or after a candidate
// delimiter) and reports whether the line ends within w.
func sniffLine(w []byte) (counts [256]int, found bool) {
	inQuote, fieldStart := false, true
	for k := 0; k < len(w); k++ {
		c := w[k]
		switch {
		case inQuote:
			if c == '"' {
				if k+1 < len(w) && w[k+1] == '"' {
					k++
				} else {
					inQuote = false
				}
			}
			continue
		case c == '"' && fieldStart:
			inQuote = true
		case c == '\n' || c == '\r':
			return counts, true
		default:
			counts[c]++
		}
		fieldStart = c == ',' || c == ';' || c == '\t' || c == '|'
	}
	return counts, false
}

// skipBlankLines consumes the line ends before the header, counting them.
func (r *csvReader) skipBlankLines() error {
	for {
		d := r.buf[r.pos:r.end]
		k := 0
		for k < len(d) && (d[k] == '\n' || d[k] == '\r') {
			k++
		}
		if k == len(d) && k > 0 && d[k-1] == '\r' && !r.eof {
			k-- // its \n may come with the next read
		}
		r.line += int64(countLines(d[:k]))
		r.pos += k
		if r.pos < r.end && r.buf[r.pos] != '\r' || r.eof {
			return nil
		}
		if err := r.fill(); err != nil && err != io.EOF {
			return r.fileErr(0, err)
		}
	}
}

// record is the result of parsing one record from the buffer.
type csvRecord struct {
	n      int // bytes consumed, terminator included
	length int // bytes of the record, terminator excluded
	lines  int // line ends consumed (inside quotes and the terminator)
	// open is 1 + the offset of a quoted field still open when the data
	// ran out (ok=false), 0 otherwise; limitQuote is 1 + the offset of the
	// quoted field holding byte MaxRecordBytes of the record, if any.
	open       int
	limitQuote int
	rowErr     *record.Error
	errField   int // the field rowErr is about
}

// fields is the number of fields of the last record parsed.
func (r *csvReader) fields() int { return len(r.spans) + r.dropped }

// addSpan records a field, or only counts it past r.maxSpans.
func (r *csvReader) addSpan(sp span) {
	if len(r.spans) < r.maxSpans {
		r.spans = append(r.spans, sp)
	} else {
		r.dropped++
	}
}

// parse reads one record at the start of data into r.spans. It returns
// ok=false when data does not hold a whole record and more input may come.
func (r *csvReader) parse(data []byte, atEOF bool) (rec csvRecord, ok bool, fatal error) {
	r.spans = r.spans[:0]
	r.dropped = 0
	i := 0
	for {
		if i < len(data) && data[i] == '"' {
			// A quoted field: find the closing quote, skipping "" pairs.
			j := i + 1
			esc := false
			for {
				k := bytes.IndexByte(data[j:], '"')
				if k < 0 {
					rec.open = i + 1
					if atEOF {
						return rec, false, r.recordErr(data, i, ErrQuote)
					}
					return rec, false, nil
				}
				j += k
				if j+1 < len(data) && data[j+1] == '"' {
					esc = true
					j += 2
					continue
				}
				if j+1 == len(data) && !atEOF {
					rec.open = i + 1
					return rec, false, nil // "" may continue in the next read
				}
				break
			}
			rec.lines += countLines(data[i+1 : j])
			if i <= r.opts.MaxRecordBytes && r.opts.MaxRecordBytes <= j {
				rec.limitQuote = i + 1
			}
			r.addSpan(span{i + 1, j, esc})
			j++
			if j >= len(data) {
				rec.n, rec.length = j, j
				return rec, true, nil
			}
			c := data[j]
			if c == r.comma {
				i = j + 1
				continue
			}
			if c != '\n' && c != '\r' {
				// Text after the closing quote: reject the row, and read on to
				// the end of this field so the next field lines up.
				if rec.rowErr == nil {
					rec.rowErr = &record.Error{
						Col:    colOf(data, j),
						Reason: fmt.Sprintf("unexpected %q after the closing quote of a quoted field (a quote inside a quoted field must be doubled)", c),
					}
					rec.errField = r.fields() - 1
					if n := countLines(data[:j]); n > 0 {
						rec.rowErr.Line = r.line + int64(n)
					}
				}
				for j < len(data) && !r.stop[data[j]] {
					j++
				}
				if r.dropped == 0 {
					r.spans[len(r.spans)-1].e = j
				}
				if j >= len(data) {
					if !atEOF {
						return rec, false, nil
					}
					rec.n, rec.length = j, j
					return rec, true, nil
				}
				if data[j] == r.comma {
					i = j + 1
					continue
				}
			}
			return r.terminate(data, j, rec, atEOF)
		}
		// An unquoted field.
		j := i
		for j < len(data) && !r.stop[data[j]] {
			j++
		}
		r.addSpan(span{i, j, false})
		if j >= len(data) {
			if !atEOF {
				return rec, false, nil
			}
			rec.n, rec.length = j, j
			return rec, true, nil
		}
		if data[j] == r.comma {
			i = j + 1
			continue
		}
		return r.terminate(data, j, rec, atEOF)
	}
}

// terminate finishes a record whose line end starts at data[j].
func (r *csvReader) terminate(data []byte, j int, rec csvRecord, atEOF bool) (csvRecord, bool, error) {
	rec.length = j
	rec.lines++
	if data[j] == '\r' {
		if j+1 >= len(data) && !atEOF {
			return rec, false, nil // a \n may follow in the next read
		}
		if j+1 < len(data) && data[j+1] == '\n' {
			rec.n = j + 2
			return rec, true, nil
		}
	}
	rec.n = j + 1
	return rec, true, nil
}

// limitErr is the error for a record longer than MaxRecordBytes that starts
// at buf[pos]. When the byte just past the limit is inside a quoted field,
// it names where that field opens (a stray quote makes the rest of the
// file one field); otherwise the record's line.
func (r *csvReader) limitErr(rec csvRecord) error {
	data, limit := r.buf[r.pos:r.end], r.opts.MaxRecordBytes
	quote := rec.limitQuote - 1
	if quote < 0 && rec.open > 0 && rec.open-1 <= limit {
		quote = rec.open - 1
	}
	if quote < 0 {
		return r.fileErr(0, recordLimitErr(limit))
	}
	return &FileError{File: r.src.Path, Line: r.line + int64(countLines(data[:quote])), Col: colOf(data, quote), Row: r.rows,
		Err: fmt.Errorf("%w: the quoted field that opens here is still open after %d bytes (%w, or a stray quote?); raise --max-record-bytes if the file is right",
			ErrRecordLimit, limit, ErrQuote)}
}

func (r *csvReader) recordErr(data []byte, off int, err error) error {
	line := r.line + int64(countLines(data[:off]))
	return &FileError{File: r.src.Path, Line: line, Col: colOf(data, off), Row: r.rows, Err: fmt.Errorf("%w (it opens here and the file ends before it closes)", err)}
}

// countLines counts line ends (LF, CRLF, lone CR) in p.
func countLines(p []byte) int {
	n := bytes.Count(p, []byte{'\n'})
	if bytes.IndexByte(p, '\r') < 0 {
		return n
	}
	for i, c := range p {
		if c == '\r' && (i+1 >= len(p) || p[i+1] != '\n') {
			n++
		}
	}
	return n
}

// colOf returns the 1-based character column of data[off] in its line.
func colOf(data []byte, off int) int {
	start := bytes.LastIndexAny(data[:off], "\r\n") + 1
	return utf8.RuneCount(data[start:off]) + 1
}

// next parses the next non-blank record into r.spans, refilling as needed.
// It returns the record's bytes (valid until the next call) and io.EOF at
// the end of input.
func (r *csvReader) next() (data []byte, rec csvRecord, startLine int64, err error) {
	for {
		if r.pos == r.end {
			if r.eof {
				return nil, rec, 0, io.EOF
			}
			if err := r.fill(); err != nil && err != io.EOF {
				return nil, rec, 0, r.fileErr(0, err)
			}
			continue
		}
		rec, ok, fatal := r.parse(r.buf[r.pos:r.end], r.eof)
		if fatal != nil {
			if r.end-r.pos > r.opts.MaxRecordBytes+1 {
				// What a smaller buffer would have met first.
				return nil, rec, 0, r.limitErr(rec)
			}
			return nil, rec, 0, fatal
		}
		if !ok {
			// All of buf[pos:end] is this record (and perhaps the CR of its
			// CRLF).
			if r.end-r.pos > r.opts.MaxRecordBytes+1 {
				return nil, rec, 0, r.limitErr(rec)
			}
			if err := r.fill(); err != nil && err != io.EOF {
				return nil, rec, 0, r.fileErr(0, err)
			}
			continue
		}
		if rec.length > r.opts.MaxRecordBytes {
			return nil, rec, 0, r.limitErr(rec)
		}
		data = r.buf[r.pos : r.pos+rec.length]
		startLine = r.line
		r.pos += rec.n
		r.line += int64(rec.lines)
		if rec.length == 0 {
			continue // a blank line
		}
		return data, rec, startLine, nil
	}
}

func (r *csvReader) readHeader() error {
	data, rec, line, err := r.next()
	if err == io.EOF {
		return &FileError{File: r.src.Path, Line: r.line, Err: fmt.Errorf("%w: the file is empty", ErrHeader)}
	}
	if err != nil {
		return err
	}
	bad := func(off int, format string, args ...any) error {
		return &FileError{File: r.src.Path, Line: line, Col: colOf(data, off), Err: fmt.Errorf("%w: %s", ErrHeader, fmt.Sprintf(format, args...))}
	}
	if rec.rowErr != nil {
		return &FileError{File: r.src.Path, Line: line, Col: rec.rowErr.Col, Err: fmt.Errorf("%w: %s", ErrHeader, rec.rowErr.Reason)}
	}
	if !utf8.Valid(data) {
		off := invalidUTF8At(data)
		return bad(off, "invalid UTF-8 (byte 0x%02x); name the file's encoding with --encoding", data[off])
	}
	if n := r.fields(); n > r.opts.MaxColumns {
		return bad(0, "%d columns, more than the limit of %d", n, r.opts.MaxColumns)
	}
	names := make([]string, len(r.spans))
	seen := map[string]int{}
	for k, sp := range r.spans {
		v := data[sp.s:sp.e]
		if sp.esc {
			v = unescapeQuotes(append([]byte(nil), v...))
		}
		name := strings.TrimSpace(string(v))
		if name == "" {
			return bad(sp.s, "column %d has no name", k+1)
		}
		if prev, dup := seen[name]; dup {
			return bad(sp.s, "column name %q appears twice (columns %d and %d)", name, prev+1, k+1)
		}
		seen[name] = k
		names[k] = name
	}
	r.header = names
	r.schema = record.NewSchema(names)
	return nil
}

// Next implements Reader.
func (r *csvReader) Next(b *record.Batch, max int) error {
	ncol := len(r.header)
	for len(b.Rows) < max && b.ArenaLen() < arenaLimit {
		data, rec, line, err := r.next()
		if err != nil {
			b.Offset = r.src.Offset()
			return err
		}
		r.rows++
		raw := b.Copy(data)
		row := record.Row{Line: line, Num: r.rows, Schema: r.schema, Raw: raw}
		switch {
		case !utf8.Valid(raw):
			off := invalidUTF8At(raw)
			row.Err = &record.Error{
				Column: r.columnAt(off),
				Col:    colOf(raw, off),
				Reason: fmt.Sprintf("invalid UTF-8 (byte 0x%02x); if the file is not UTF-8, name its encoding with --encoding", raw[off]),
			}
			if n := countLines(raw[:off]); n > 0 {
				row.Err.Line = line + int64(n) // the line of the bad byte, when not the first
			}
		case rec.rowErr != nil:
			row.Err = rec.rowErr
			if rec.errField < ncol {
				row.Err.Column = r.header[rec.errField]
			}
		case r.fields() != ncol:
			row.Err = &record.Error{Reason: fmt.Sprintf("the row has %d fields, the header has %d", r.fields(), ncol)}
		default:
			vals := b.Values(ncol)
			for k, sp := range r.spans {
				v := raw[sp.s:sp.e:sp.e]
				if sp.esc {
					v = unescapeQuotes(b.Copy(v))
				}
				vals[k] = record.Value{Kind: record.String, Bytes: v}
			}
			row.Values = vals
		}
		b.Rows = append(b.Rows, row)
	}
	b.Offset = r.src.Offset()
	return nil
}

// columnAt names the column whose field holds byte off of the last record.
func (r *csvReader) columnAt(off int) string {
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

// invalidUTF8At returns the offset of the first invalid UTF-8 byte of p.
func invalidUTF8At(p []byte) int {
	for i := 0; i < len(p); {
		if p[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(p[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(p)
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
