// Package ndjson reads NDJSON (JSON Lines) text into rows (record.Batch):
// one JSON object per line, LF or CRLF, blank lines skipped (and counted in
// line numbers), a UTF-8 byte-order mark dropped.
//
// Each line's top-level keys become the row's columns, in the order they
// appear (rows with the same keys in the same order share one
// *record.Schema). Strings are unescaped, numbers kept as their exact text
// (record.Number, never rounded), true and false are record.Bool, null is
// record.Null, nested objects and arrays are kept as compact JSON
// (record.JSON).
//
// The contract. NewReader checks the start of the input; Next appends rows
// to a batch and returns io.EOF at the end of the input. A line that is not
// one valid object is a row error (record.Row.Err, with a Code from package
// record) and the next line is read as usual: malformed JSON
// (record.CodeMalformedJSON, with the column of the problem), a value that
// is not an object (record.CodeNotAnObject), a key that appears twice in
// one object (record.CodeDuplicateKey: JSON parsers disagree on which one
// wins), nesting deeper than Options.MaxDepth (record.CodeTooDeep), more
// keys than Options.MaxColumns (record.CodeTooManyColumns), a string that
// is not UTF-8 (record.CodeInvalidUTF8). A problem that leaves the rest of
// the input unreadable is a file error, a *ParseError naming the line: a
// line longer than Options.MaxRecordBytes (ErrRecordLimit), an input that
// is one JSON array or objects spread over several lines (ErrNotNDJSON,
// decided from its first lines), or a failed read. Rows placed in the batch
// before a file error are valid. Every row keeps its line's text
// (record.Row.Raw) for the rejects file.
package ndjson

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/groupimport/groupimport/importer/internal/lineio"
	"github.com/groupimport/groupimport/internal/jsonx"
	"github.com/groupimport/groupimport/record"
)

// Defaults of the zero Options.
const (
	DefaultMaxRecordBytes = 64 << 20
	DefaultMaxDepth       = 64
	DefaultMaxColumns     = 10000
	DefaultSampleLines    = 1000
)

// Options control a Reader. The zero value reads with defaults.
type Options struct {
	// MaxRecordBytes bounds one line: a longer one is a file error wrapping
	// ErrRecordLimit. Default DefaultMaxRecordBytes.
	MaxRecordBytes int
	// MaxDepth bounds the nesting of a line, its own object included.
	// Default DefaultMaxDepth.
	MaxDepth int
	// MaxColumns bounds the keys of one object. Default DefaultMaxColumns.
	MaxColumns int
	// SampleLines is how many lines Columns looks at. Default
	// DefaultSampleLines.
	SampleLines int
}

func (o Options) withDefaults() Options {
	if o.MaxRecordBytes <= 0 {
		o.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.MaxColumns <= 0 {
		o.MaxColumns = DefaultMaxColumns
	}
	if o.SampleLines <= 0 {
		o.SampleLines = DefaultSampleLines
	}
	return o
}

// Causes of file errors, for errors.Is.
var (
	ErrNotNDJSON   = errors.New("not NDJSON")
	ErrRecordLimit = lineio.ErrRecordLimit
)

// ParseError is a file error: a problem that stops the reading of the
// input, at a line of it.
type ParseError struct {
	Line int64 // physical line (1-based), 0 when unknown
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %v", e.Line, e.Err)
	}
	return e.Err.Error()
}

func (e *ParseError) Unwrap() error { return e.Err }

// Reader reads the lines of one NDJSON input.
type Reader struct {
	in   lineio.Buffer
	opts Options

	line    int64
	rows    int64
	columns []string

	// interned schemas: the last one used, and all by their joined keys
	last    *record.Schema
	schemas map[string]*record.Schema
	keys    [][]byte
	vals    []record.Value
	scratch []byte
	joined  []byte
}

// NewReader checks that the text in r is NDJSON (not a JSON array, not
// objects spread over lines) and samples its first lines for Columns. Its
// errors are *ParseError.
func NewReader(r io.Reader, opts Options) (*Reader, error) {
	return newReaderSize(r, opts, 1<<20)
}

// newReaderSize is NewReader with an initial buffer of size bytes (tests
// use tiny buffers to put buffer boundaries everywhere).
func newReaderSize(rd io.Reader, opts Options, size int) (*Reader, error) {
	opts = opts.withDefaults()
	r := &Reader{in: lineio.NewBuffer(rd, size, opts.MaxRecordBytes), opts: opts, line: 1, schemas: map[string]*record.Schema{}}
	// Enough bytes to see a byte-order mark (reads may be short).
	for r.in.End-r.in.Pos < 3 && !r.in.EOF {
		if err := r.in.Fill(); err != nil && err != io.EOF {
			return nil, &ParseError{Line: 1, Err: err}
		}
	}
	if bytes.HasPrefix(r.in.Buf[r.in.Pos:r.in.End], []byte("\xef\xbb\xbf")) {
		r.in.Pos += 3
	}
	// Have the first two non-blank lines in the buffer, if they fit.
	for !r.in.EOF && r.in.End-r.in.Pos <= r.opts.MaxRecordBytes && !hasLines(r.in.Buf[r.in.Pos:r.in.End], 2) {
		if err := r.in.Fill(); err != nil {
			if err == io.EOF || errors.Is(err, ErrRecordLimit) {
				break // nextLine reports a line over the limit
			}
			return nil, &ParseError{Line: 1, Err: err}
		}
	}
	if err := r.refuseNotNDJSON(); err != nil {
		return nil, err
	}
	r.sampleColumns()
	return r, nil
}

// refuseNotNDJSON refuses a JSON array or a pretty-printed document, from
// the first two non-blank lines. The decision looks at no more than a
// record's worth of bytes, so it does not depend on how much the buffer
// happens to hold.
func (r *Reader) refuseNotNDJSON() error {
	head := r.in.Buf[r.in.Pos:r.in.End]
	window := head[:min(len(head), r.opts.MaxRecordBytes+1)]
	atEnd := r.in.EOF && len(window) == len(head)

	// The first two non-blank lines: where they start and end, their
	// line numbers, and whether they are whole.
	type lineAt struct {
		start, end int
		num        int64
		whole      bool
	}
	var found []lineAt
	for off, num := 0, int64(1); off < len(window) && len(found) < 2; num++ {
		end := off + bytes.IndexByte(window[off:], '\n')
		whole := end >= off
		if !whole {
			end = len(window)
			whole = atEnd
		}
		if s := jsonx.SkipSpace(window[:end], off); s < end {
			found = append(found, lineAt{s, end, num, whole})
		}
		off = end + 1
	}
	if len(found) == 0 {
		return nil
	}
	first := found[0]
	line := window[first.start:first.end]
	refuse := func(msg string) error {
		return &ParseError{Line: first.num, Err: fmt.Errorf("%w: %s", ErrNotNDJSON, msg)}
	}
	// Nesting far past any limit still only decides the format here.
	alone := first.whole && jsonx.Valid(line, 10000) == nil
	switch line[0] {
	case '[':
		// One array on the first line, then objects: an NDJSON file whose
		// first line is a rejected row. Anything else is a JSON array.
		if !alone || len(found) < 2 || window[found[1].start] != '{' {
			return refuse("the file is a JSON array, not one object per line (convert it with: jq -c '.[]')")
		}
	case '{':
		// An object that goes on over the next lines: "{" alone (as jq .
		// and every pretty-printer write it), or one object in the
		// first two lines.
		if !alone && (bytes.Equal(bytes.TrimRight(line, " \t\r"), []byte("{")) ||
			len(found) == 2 && found[1].whole && jsonx.Valid(window[first.start:found[1].end], 10000) == nil) {
			return refuse("the first object spans several lines; write one object per line (jq -c .)")
		}
	}
	return nil
}

// sampleColumns collects the keys of the first lines (those in the
// buffer, up to Options.SampleLines) for Columns.
func (r *Reader) sampleColumns() {
	head := r.in.Buf[r.in.Pos:r.in.End]
	seen := map[string]bool{}
	lines := 0
	for len(head) > 0 && lines < r.opts.SampleLines {
		nl := bytes.IndexByte(head, '\n')
		if nl < 0 {
			if !r.in.EOF {
				break
			}
			nl = len(head)
		}
		line := head[:nl]
		head = head[min(nl+1, len(head)):]
		lines++
		i := jsonx.SkipSpace(line, 0)
		if i >= len(line) || line[i] != '{' {
			continue
		}
		_ = r.parseObject(line, i, func(key []byte, _ int) {
			if !seen[string(key)] {
				seen[string(key)] = true
				r.columns = append(r.columns, string(key))
			}
		})
	}
}

// hasLines reports whether p holds n lines that end with '\n' and are not
// blank.
func hasLines(p []byte, n int) bool {
	for n > 0 {
		nl := bytes.IndexByte(p, '\n')
		if nl < 0 {
			return false
		}
		if jsonx.SkipSpace(p[:nl], 0) < nl {
			n--
		}
		p = p[nl+1:]
	}
	return true
}

// Columns returns the keys of the objects in the first lines
// (Options.SampleLines), in the order they first appear. Rows may have
// others: each row has its own schema.
func (r *Reader) Columns() []string { return r.columns }

// nextLine returns the next line without its line end, and io.EOF at the
// end. A line cut short by a read error is not returned.
func (r *Reader) nextLine() ([]byte, int64, error) {
	for {
		nl := bytes.IndexByte(r.in.Buf[r.in.Pos:r.in.End], '\n')
		if nl < 0 && r.in.EOF {
			if r.in.Pos == r.in.End {
				return nil, 0, io.EOF
			}
			nl = r.in.End - r.in.Pos
		}
		if nl >= 0 {
			line := bytes.TrimSuffix(r.in.Buf[r.in.Pos:r.in.Pos+nl], []byte{'\r'})
			if len(line) > r.opts.MaxRecordBytes {
				return nil, 0, r.limitErr()
			}
			r.in.Pos = min(r.in.Pos+nl+1, r.in.End)
			n := r.line
			r.line++
			return line, n, nil
		}
		// All of buf[pos:end] is this line (and perhaps the CR of its CRLF).
		if r.in.End-r.in.Pos > r.opts.MaxRecordBytes+1 {
			return nil, 0, r.limitErr()
		}
		if err := r.in.Fill(); err != nil && err != io.EOF {
			return nil, 0, &ParseError{Line: r.line, Err: err}
		}
	}
}

func (r *Reader) limitErr() error {
	return &ParseError{Line: r.line, Err: lineio.RecordLimitError(r.opts.MaxRecordBytes)}
}

// Next appends rows to b until it holds max rows or its arena is full. It
// returns io.EOF (possibly with rows) at the end of the input, or a
// *ParseError when the input cannot be read further.
func (r *Reader) Next(b *record.Batch, max int) error {
	for len(b.Rows) < max && b.ArenaLen() < lineio.ArenaLimit {
		line, n, err := r.nextLine()
		if err != nil {
			return err
		}
		if jsonx.SkipSpace(line, 0) == len(line) {
			continue // blank (JSON whitespace only: a line of U+00A0 is not blank but not JSON)
		}
		r.rows++
		raw := b.Copy(line)
		row := record.Row{Line: n, Num: r.rows, Raw: raw}
		if rerr := r.parseRow(b, &row, raw); rerr != nil {
			row.Err = rerr
			row.Schema, row.Values = nil, nil
		}
		b.Rows = append(b.Rows, row)
	}
	return nil
}

var (
	errDupKey      = errors.New("duplicate key")
	errTooManyKeys = errors.New("more keys than the column limit")
)

func (r *Reader) parseRow(b *record.Batch, row *record.Row, raw []byte) *record.Error {
	i := jsonx.SkipSpace(raw, 0)
	if raw[i] != '{' {
		if err := jsonx.Valid(raw, r.opts.MaxDepth); err != nil {
			return r.syntaxErr(raw, err)
		}
		what := "a JSON value"
		switch jsonx.KindOf(raw[i]) {
		case jsonx.Array:
			what = "an array"
		case jsonx.String:
			what = "a string"
		case jsonx.Number:
			what = "a number"
		case jsonx.True, jsonx.False:
			what = "a boolean"
		case jsonx.NullV:
			what = "null"
		}
		return &record.Error{Code: record.CodeNotAnObject, Col: lineio.Col(raw, i), Reason: "the line is " + what + ", not a JSON object"}
	}
	r.keys = r.keys[:0]
	r.vals = r.vals[:0]
	var dup []byte
	end, err := r.parseObjectValues(b, raw, i, &dup)
	if err != nil {
		var se *jsonx.SyntaxError
		if errors.As(err, &se) {
			return r.syntaxErr(raw, err)
		}
		if errors.Is(err, errDupKey) {
			return &record.Error{Code: record.CodeDuplicateKey, Column: string(dup), Reason: "the key appears twice in the object"}
		}
		return &record.Error{Code: record.CodeMalformedJSON, Reason: "malformed JSON: " + err.Error()}
	}
	if j := jsonx.SkipSpace(raw, end); j != len(raw) {
		return &record.Error{Code: record.CodeMalformedJSON, Col: lineio.Col(raw, j), Reason: "malformed JSON: unexpected data after the object"}
	}
	row.Schema = r.intern()
	vals := b.ValuesToFill(len(r.vals))
	copy(vals, r.vals)
	row.Values = vals
	return nil
}

// syntaxErr describes the *jsonx.SyntaxError err found in raw.
func (r *Reader) syntaxErr(raw []byte, err error) *record.Error {
	var se *jsonx.SyntaxError
	if !errors.As(err, &se) {
		return &record.Error{Code: record.CodeMalformedJSON, Reason: "malformed JSON: " + err.Error()}
	}
	e := &record.Error{Code: record.CodeMalformedJSON, Col: lineio.Col(raw, se.Offset), Reason: "malformed JSON: " + se.Msg}
	switch {
	case errors.Is(err, jsonx.ErrTooDeep):
		e.Code, e.Reason = record.CodeTooDeep, fmt.Sprintf("JSON nested deeper than the limit of %d levels", r.opts.MaxDepth)
	case errors.Is(err, jsonx.ErrInvalidUTF8):
		e.Code = record.CodeInvalidUTF8
	case errors.Is(err, errTooManyKeys):
		e.Code, e.Reason = record.CodeTooManyColumns, fmt.Sprintf("more than %d keys in the object (the column limit)", r.opts.MaxColumns)
	}
	return e
}

// nestedDepth is the nesting allowed inside a line's object, which is
// itself one level.
func (r *Reader) nestedDepth() int { return r.opts.MaxDepth - 1 }

// parseObject walks the top-level keys of the object at data[i] (for the
// column sample), calling fn with each unescaped key.
func (r *Reader) parseObject(data []byte, i int, fn func(key []byte, valStart int)) error {
	i = jsonx.SkipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return nil
	}
	for i < len(data) {
		if data[i] != '"' {
			return errors.New("expected key")
		}
		kend, esc, err := jsonx.ScanString(data, i)
		if err != nil {
			return err
		}
		key := data[i+1 : kend-1]
		if esc {
			key = jsonx.Unquote(nil, data[i:kend])
		}
		i = jsonx.SkipSpace(data, kend)
		if i >= len(data) || data[i] != ':' {
			return errors.New("expected colon")
		}
		i = jsonx.SkipSpace(data, i+1)
		fn(key, i)
		vend, err := jsonx.Skip(data, i, r.nestedDepth())
		if err != nil {
			return err
		}
		i = jsonx.SkipSpace(data, vend)
		if i < len(data) && data[i] == ',' {
			i = jsonx.SkipSpace(data, i+1)
			continue
		}
		return nil
	}
	return nil
}

// parseObjectValues parses the object at raw[i] into r.keys and r.vals,
// with value bytes in the batch arena (or pointing into raw, which is).
func (r *Reader) parseObjectValues(b *record.Batch, raw []byte, i int, dup *[]byte) (int, error) {
	i = jsonx.SkipSpace(raw, i+1)
	if i < len(raw) && raw[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(raw) || raw[i] != '"' {
			return 0, &jsonx.SyntaxError{Offset: i, Msg: "expected a key in quotes"}
		}
		kend, esc, err := jsonx.ScanString(raw, i)
		if err != nil {
			return 0, err
		}
		key := raw[i+1 : kend-1]
		if esc {
			r.scratch = jsonx.Unquote(r.scratch[:0], raw[i:kend])
			key = b.Copy(r.scratch)
		}
		for _, k := range r.keys {
			if bytes.Equal(k, key) {
				*dup = key
				return 0, errDupKey
			}
		}
		i = jsonx.SkipSpace(raw, kend)
		if i >= len(raw) || raw[i] != ':' {
			return 0, &jsonx.SyntaxError{Offset: i, Msg: "expected ':' after the key"}
		}
		i = jsonx.SkipSpace(raw, i+1)
		if i >= len(raw) {
			return 0, &jsonx.SyntaxError{Offset: i, Msg: "a value is missing"}
		}
		var v record.Value
		switch jsonx.KindOf(raw[i]) {
		case jsonx.String:
			end, esc, err := jsonx.ScanString(raw, i)
			if err != nil {
				return 0, err
			}
			v = record.Value{Kind: record.String, Bytes: raw[i+1 : end-1 : end-1]}
			if esc {
				r.scratch = jsonx.Unquote(r.scratch[:0], raw[i:end])
				v.Bytes = b.Copy(r.scratch)
			}
			i = end
		case jsonx.Number:
			end, err := jsonx.ScanNumber(raw, i)
			if err != nil {
				return 0, err
			}
			v = record.Value{Kind: record.Number, Bytes: raw[i:end:end]}
			i = end
		case jsonx.True, jsonx.False, jsonx.NullV:
			end, err := jsonx.Skip(raw, i, 1)
			if err != nil {
				return 0, err
			}
			v = record.Value{Kind: record.Bool, Bytes: raw[i:end:end]}
			if raw[i] == 'n' {
				v = record.Value{Kind: record.Null}
			}
			i = end
		case jsonx.Object, jsonx.Array:
			var end int
			r.scratch, end, err = jsonx.AppendCompact(r.scratch[:0], raw, i, r.nestedDepth())
			if err != nil {
				return 0, err
			}
			if len(r.scratch) == end-i {
				v = record.Value{Kind: record.JSON, Bytes: raw[i:end:end]}
			} else {
				v = record.Value{Kind: record.JSON, Bytes: b.Copy(r.scratch)}
			}
			i = end
		default:
			return 0, &jsonx.SyntaxError{Offset: i, Msg: fmt.Sprintf("invalid character %q at the start of a value", raw[i])}
		}
		r.keys = append(r.keys, key)
		r.vals = append(r.vals, v)
		if len(r.keys) > r.opts.MaxColumns {
			return 0, &jsonx.SyntaxError{Offset: i, Msg: "too many keys", Err: errTooManyKeys}
		}
		i = jsonx.SkipSpace(raw, i)
		if i < len(raw) && raw[i] == ',' {
			i = jsonx.SkipSpace(raw, i+1)
			continue
		}
		if i < len(raw) && raw[i] == '}' {
			return i + 1, nil
		}
		return 0, &jsonx.SyntaxError{Offset: i, Msg: "expected ',' or '}'"}
	}
}

// intern returns the schema for r.keys, shared with earlier rows that had
// the same keys in the same order.
func (r *Reader) intern() *record.Schema {
	if s := r.last; s != nil && len(s.Names) == len(r.keys) {
		same := true
		for k, name := range s.Names {
			if string(r.keys[k]) != name {
				same = false
				break
			}
		}
		if same {
			return s
		}
	}
	// Each key with its length first: keys may hold any byte, NUL
	// included ("a\u0000b" must not look like "a" and "b").
	r.joined = r.joined[:0]
	for _, k := range r.keys {
		r.joined = binary.AppendUvarint(r.joined, uint64(len(k)))
		r.joined = append(r.joined, k...)
	}
	s, ok := r.schemas[string(r.joined)]
	if !ok {
		names := make([]string, len(r.keys))
		for k, key := range r.keys {
			names[k] = string(key)
		}
		s = record.NewSchema(names)
		if len(r.schemas) < 10000 {
			r.schemas[string(r.joined)] = s
		}
	}
	r.last = s
	return s
}
