package importer

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/groupimport/groupimport/internal/jsonx"
	"github.com/groupimport/groupimport/record"
)

// NDJSON as read here: one JSON object per line (LF or CRLF), blank lines
// skipped. A line that is not one valid object is a rejected row and the
// next line is read as usual. Top-level keys become columns in the order
// they appear; strings are unescaped, numbers kept as their exact text,
// nested objects and arrays kept as compact JSON. A key that appears twice
// in one object is a rejected row (JSON parsers disagree on which one wins).

type ndjsonReader struct {
	src  *Source
	opts Options
	r    io.Reader

	buf      []byte
	pos, end int
	eof      bool
	rerr     error

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

func newNDJSONReader(src *Source, opts Options) (*ndjsonReader, error) {
	r := &ndjsonReader{src: src, opts: opts, r: src.r, buf: make([]byte, 1<<20), line: 1, schemas: map[string]*record.Schema{}}
	if err := r.fill(); err != nil && r.end == 0 && err != io.EOF {
		return nil, &FileError{File: src.Path, Err: err}
	}
	if bytes.HasPrefix(r.buf[r.pos:r.end], []byte("\xef\xbb\xbf")) {
		r.pos += 3
	}
	if err := r.sniff(); err != nil {
		return nil, err
	}
	return r, nil
}

// sniff refuses a JSON array or a pretty-printed document, and collects
// the keys of the first lines for Columns.
func (r *ndjsonReader) sniff() error {
	head := r.buf[r.pos:r.end]
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		return &FileError{File: r.src.Path, Line: 1, Err: fmt.Errorf("%w: the file is a JSON array, not one object per line (convert it with: jq -c '.[]')", ErrNotNDJSON)}
	}
	lineEnd := bytes.IndexByte(trimmed, '\n')
	if lineEnd >= 0 && len(bytes.TrimSpace(trimmed[:lineEnd])) == 1 && trimmed[0] == '{' {
		return &FileError{File: r.src.Path, Line: 1, Err: fmt.Errorf("%w: the first object spans several lines; write one object per line (jq -c .)", ErrNotNDJSON)}
	}
	seen := map[string]bool{}
	lines := 0
	for len(head) > 0 && lines < r.opts.SampleLines {
		nl := bytes.IndexByte(head, '\n')
		if nl < 0 {
			if !r.eof {
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
	return nil
}

func (r *ndjsonReader) Columns() []string { return r.columns }
func (r *ndjsonReader) Offset() int64     { return r.src.Offset() }
func (r *ndjsonReader) Close() error      { return r.src.Close() }

func (r *ndjsonReader) fill() error {
	if r.eof {
		return io.EOF
	}
	if r.rerr != nil {
		return r.rerr
	}
	if r.pos > 0 {
		n := copy(r.buf, r.buf[r.pos:r.end])
		r.pos, r.end = 0, n
	}
	if r.end == len(r.buf) {
		if len(r.buf) >= r.opts.MaxRecordBytes {
			return fmt.Errorf("%w (%d bytes; raise --max-record-bytes if the file is right)", ErrRecordLimit, r.opts.MaxRecordBytes)
		}
		nb := make([]byte, min(2*len(r.buf), r.opts.MaxRecordBytes+1))
		copy(nb, r.buf[:r.end])
		r.buf = nb
	}
	for {
		n, err := r.r.Read(r.buf[r.end:])
		r.end += n
		if err == io.EOF {
			r.eof = true
			return io.EOF
		}
		if err != nil {
			r.rerr = decompressErr(r.src, err)
			return r.rerr
		}
		if n > 0 {
			return nil
		}
	}
}

// nextLine returns the next line without its line end, and io.EOF at the
// end. A line cut short by a read error is not returned.
func (r *ndjsonReader) nextLine() ([]byte, int64, error) {
	for {
		nl := bytes.IndexByte(r.buf[r.pos:r.end], '\n')
		if nl >= 0 {
			line := r.buf[r.pos : r.pos+nl]
			r.pos += nl + 1
			n := r.line
			r.line++
			return bytes.TrimSuffix(line, []byte{'\r'}), n, nil
		}
		if r.eof {
			if r.pos == r.end {
				return nil, 0, io.EOF
			}
			line := r.buf[r.pos:r.end]
			r.pos = r.end
			n := r.line
			r.line++
			return bytes.TrimSuffix(line, []byte{'\r'}), n, nil
		}
		if err := r.fill(); err != nil && err != io.EOF {
			return nil, 0, &FileError{File: r.src.Path, Line: r.line, Row: r.rows, Err: err}
		}
	}
}

// Next implements Reader.
func (r *ndjsonReader) Next(b *record.Batch, max int) error {
	for len(b.Rows) < max && b.ArenaLen() < arenaLimit {
		line, n, err := r.nextLine()
		if err != nil {
			b.Offset = r.src.Offset()
			return err
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
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
	b.Offset = r.src.Offset()
	return nil
}

var errDupKey = errors.New("duplicate key")

func (r *ndjsonReader) parseRow(b *record.Batch, row *record.Row, raw []byte) *record.Error {
	i := jsonx.SkipSpace(raw, 0)
	if raw[i] != '{' {
		what := "a JSON value"
		switch jsonx.KindOf(raw[i]) {
		case jsonx.Array:
			what = "an array"
		case jsonx.String:
			what = "a string"
		case jsonx.Number:
			what = "a number"
		case jsonx.Invalid:
			what = "not JSON"
		}
		return &record.Error{Col: colOf(raw, i), Reason: "the line is " + what + ", not a JSON object"}
	}
	r.keys = r.keys[:0]
	r.vals = r.vals[:0]
	var dup []byte
	end, err := r.parseObjectValues(b, raw, i, &dup)
	if err != nil {
		var se *jsonx.SyntaxError
		if errors.As(err, &se) {
			return &record.Error{Col: colOf(raw, se.Offset), Reason: "malformed JSON: " + se.Msg}
		}
		if errors.Is(err, errDupKey) {
			return &record.Error{Column: string(dup), Reason: "the key appears twice in the object"}
		}
		return &record.Error{Reason: "malformed JSON: " + err.Error()}
	}
	if j := jsonx.SkipSpace(raw, end); j != len(raw) {
		return &record.Error{Col: colOf(raw, j), Reason: "malformed JSON: unexpected data after the object"}
	}
	row.Schema = r.intern()
	vals := b.Values(len(r.vals))
	copy(vals, r.vals)
	row.Values = vals
	return nil
}

// parseObject walks the top-level keys of the object at data[i] (for the
// column sample), calling fn with each unescaped key.
func (r *ndjsonReader) parseObject(data []byte, i int, fn func(key []byte, valStart int)) error {
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
		vend, err := jsonx.Skip(data, i, r.opts.MaxDepth)
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
func (r *ndjsonReader) parseObjectValues(b *record.Batch, raw []byte, i int, dup *[]byte) (int, error) {
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
			r.scratch, end, err = jsonx.AppendCompact(r.scratch[:0], raw, i, r.opts.MaxDepth)
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
func (r *ndjsonReader) intern() *record.Schema {
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
	r.joined = r.joined[:0]
	for _, k := range r.keys {
		r.joined = append(r.joined, k...)
		r.joined = append(r.joined, 0)
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
