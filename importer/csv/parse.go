package csv

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"

	"github.com/groupimport/groupimport/importer/internal/lineio"
	"github.com/groupimport/groupimport/record"
)

// sniffComma picks the delimiter from the first non-blank line: the
// candidate that occurs most often outside quotes, a comma on a tie or when
// none occurs (a one-column file). It looks at no more of the line than a
// record may hold, so the choice does not depend on how much the buffer
// happens to hold.
func (r *Reader) sniffComma() (byte, error) {
	if err := r.skipBlankLines(); err != nil {
		return 0, err
	}
	limit := r.opts.MaxRecordBytes + 1
	for {
		w := r.in.Buf[r.in.Pos:r.in.End]
		if len(w) > limit {
			w = w[:limit]
		}
		counts, found := sniffLine(w)
		if found || r.in.EOF || len(w) == limit {
			best, n := byte(','), 0
			for _, c := range []byte{',', ';', '\t', '|'} {
				if counts[c] > n {
					best, n = c, counts[c]
				}
			}
			return best, nil
		}
		if err := r.in.Fill(); err != nil && err != io.EOF {
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
func (r *Reader) skipBlankLines() error {
	for {
		d := r.in.Buf[r.in.Pos:r.in.End]
		k := 0
		for k < len(d) && (d[k] == '\n' || d[k] == '\r') {
			k++
		}
		if k == len(d) && k > 0 && d[k-1] == '\r' && !r.in.EOF {
			k-- // its \n may come with the next read
		}
		r.line += int64(countLines(d[:k]))
		r.in.Pos += k
		if r.in.Pos < r.in.End && r.in.Buf[r.in.Pos] != '\r' || r.in.EOF {
			return nil
		}
		if err := r.in.Fill(); err != nil && err != io.EOF {
			return r.fileErr(0, err)
		}
	}
}

// csvRecord is the result of parsing one record from the buffer.
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
func (r *Reader) fields() int { return len(r.spans) + r.dropped }

// addSpan records a field, or only counts it past r.maxSpans.
func (r *Reader) addSpan(sp span) {
	if len(r.spans) < r.maxSpans {
		r.spans = append(r.spans, sp)
	} else {
		r.dropped++
	}
}

// parse reads one record at the start of data into r.spans. It returns
// ok=false when data does not hold a whole record and more input may come.
func (r *Reader) parse(data []byte, atEOF bool) (rec csvRecord, ok bool, fatal error) {
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
			r.addSpan(span{s: i + 1, e: j, esc: esc})
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
					rec.rowErr = r.textAfterQuote(data, i, j)
					rec.errField = r.fields() - 1
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
		j, plain := r.fieldEnd(data, i)
		r.addSpan(span{s: i, e: j, plain: plain})
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

// fieldEnd returns the offset of the first delimiter or line end in data
// from i on, or len(data), and whether the bytes before it are plain: none
// is one JSON escapes (a control character, '"' or '\\'; see
// record.Value.Plain). It tests eight bytes a step (a word compared with
// the stop bytes at once, the has-zero-byte trick), then one: where a
// table lookup per byte was a third of the CSV reader's CPU, this takes
// 11% off it (BenchmarkCSVRead on 1M bench rows: 3.61 → 3.20 s CPU).
// Looking for the bytes JSON escapes in the same words spares the
// payload's writer a second pass over the field (escapeIndex was 4.5% of
// a CSV run's CPU profile).
func (r *Reader) fieldEnd(data []byte, i int) (int, bool) {
	plain := true
	for ; i+8 <= len(data); i += 8 {
		x := binary.LittleEndian.Uint64(data[i:])
		c, q, bs := x^r.commas, x^(lo8*'"'), x^(lo8*'\\')
		// bytes < 0x20 (line ends among them), '"' and '\\'
		esc := ((x-lo8*0x20)&^x | (q-lo8)&^q | (bs-lo8)&^bs) & hi8
		if esc|(c-lo8)&^c&hi8 == 0 {
			continue
		}
		// the lowest set bit is exact: a borrow only marks bytes above a
		// real match (of the same test)
		n, cr := x^(lo8*'\n'), x^(lo8*'\r')
		if m := ((c-lo8)&^c | (n-lo8)&^n | (cr-lo8)&^cr) & hi8; m != 0 {
			below := m&-m - 1 // the bytes before the stop
			return i + bits.TrailingZeros64(m)/8, plain && esc&below == 0
		}
		plain = false
	}
	stop := &r.stop
	for ; i < len(data) && !stop[data[i]]; i++ {
		if c := data[i]; c < 0x20 || c == '"' || c == '\\' {
			plain = false
		}
	}
	return i, plain
}

const (
	lo8 = 0x0101010101010101
	hi8 = 0x8080808080808080
)

// terminate finishes a record whose line end starts at data[j].
func (r *Reader) terminate(data []byte, j int, rec csvRecord, atEOF bool) (csvRecord, bool, error) {
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
// at buf[pos], at the record's first line. When the byte just past the
// limit is inside a quoted field, it says where that field opens (a stray
// quote makes the rest of the file one field) and on which line the limit
// was reached.
func (r *Reader) limitErr(rec csvRecord) error {
	data, limit := r.in.Buf[r.in.Pos:r.in.End], r.opts.MaxRecordBytes
	quote := rec.limitQuote - 1
	if quote < 0 && rec.open > 0 && rec.open-1 <= limit {
		quote = rec.open - 1
	}
	if quote < 0 {
		return r.fileErr(0, lineio.RecordLimitError(limit))
	}
	col, at := opens(data, quote, r.line)
	noticed, _ := where(data, min(limit, len(data)), r.line)
	return &ParseError{Line: r.line, Column: col,
		Err: fmt.Errorf("%w: the quoted field that opens %s is still open after %d bytes (noticed on line %d; %w, or a stray quote?); raise --max-record-bytes if the file is right",
			ErrRecordLimit, at, limit, noticed, ErrQuote)}
}

// recordErr is the error for a quoted field, opening at data[off], that
// the end of the input leaves open: at the record's first line, saying
// where the field opens and where the file ends.
func (r *Reader) recordErr(data []byte, off int, err error) error {
	col, at := opens(data, off, r.line)
	end := r.line + int64(countLines(bytes.TrimRight(data, "\r\n")))
	return &ParseError{Line: r.line, Column: col,
		Err: fmt.Errorf("%w: the quoted field that opens %s never closes (noticed at the end of the file, line %d)", err, at, end)}
}

// opens says where data[off], a byte of the record that starts on line
// start (data[0]), is: its column when it is on the record's first line
// (else 0), and "here (column C)" or "on line L (column C)" for a message
// about the record's first line.
func opens(data []byte, off int, start int64) (int, string) {
	line, col := where(data, off, start)
	if line == start {
		return col, fmt.Sprintf("here (column %d)", col)
	}
	return 0, fmt.Sprintf("on line %d (column %d)", line, col)
}

// where is the physical line and the column of data[off], a byte of the
// record that starts on line start (data[0]).
func where(data []byte, off int, start int64) (int64, int) {
	return start + int64(countLines(data[:off])), lineio.Col(data, off)
}

// textAfterQuote is the row error for the byte data[j] that follows the
// closing quote of the quoted field opening at data[i]. When the field
// spans lines, the error is at the record's first line and says where the
// field opens and where the problem was noticed.
func (r *Reader) textAfterQuote(data []byte, i, j int) *record.Error {
	e := &record.Error{Code: record.CodeTextAfterQuote}
	line, col := where(data, j, r.line)
	if line == r.line {
		e.Col = col
		e.Reason = fmt.Sprintf("unexpected %q after the closing quote of a quoted field (a quote inside a quoted field must be doubled)", data[j])
		return e
	}
	var at string
	e.Col, at = opens(data, i, r.line)
	e.Reason = fmt.Sprintf("unexpected %q after the closing quote of the quoted field that opens %s (noticed on line %d, column %d): "+
		"a quote inside a quoted field must be doubled, and a stray quote makes the lines up to the next quote one field", data[j], at, line, col)
	return e
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

// next parses the next non-blank record into r.spans, refilling as needed.
// It returns the record's bytes (valid until the next call) and io.EOF at
// the end of input.
func (r *Reader) next() (data []byte, rec csvRecord, startLine int64, err error) {
	for {
		if r.in.Pos == r.in.End {
			if r.in.EOF {
				return nil, rec, 0, io.EOF
			}
			if err := r.in.Fill(); err != nil && err != io.EOF {
				return nil, rec, 0, r.fileErr(0, err)
			}
			continue
		}
		rec, ok, fatal := r.parse(r.in.Buf[r.in.Pos:r.in.End], r.in.EOF)
		if fatal != nil {
			if r.in.End-r.in.Pos > r.opts.MaxRecordBytes+1 {
				// What a smaller buffer would have met first.
				return nil, rec, 0, r.limitErr(rec)
			}
			return nil, rec, 0, fatal
		}
		if !ok {
			// All of buf[pos:end] is this record (and perhaps the CR of its
			// CRLF).
			if r.in.End-r.in.Pos > r.opts.MaxRecordBytes+1 {
				return nil, rec, 0, r.limitErr(rec)
			}
			if err := r.in.Fill(); err != nil && err != io.EOF {
				return nil, rec, 0, r.fileErr(0, err)
			}
			continue
		}
		if rec.length > r.opts.MaxRecordBytes {
			return nil, rec, 0, r.limitErr(rec)
		}
		data = r.in.Buf[r.in.Pos : r.in.Pos+rec.length]
		startLine = r.line
		r.in.Pos += rec.n
		r.line += int64(rec.lines)
		if rec.length == 0 {
			continue // a blank line
		}
		return data, rec, startLine, nil
	}
}
