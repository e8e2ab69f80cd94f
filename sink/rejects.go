package sink

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"unicode/utf8"

	"github.com/groupimport/groupimport/internal/atomicfile"
	"github.com/groupimport/groupimport/internal/jsonx"
	"github.com/groupimport/groupimport/record"
)

// RejectsWriter writes rejected rows as NDJSON, one object per row:
//
//	{"kind":"companies","file":"in.csv","line":12,"row":11,"column":"employees",
//	 "col":5,"code":"invalid_integer","reason":"…","raw":"the row as it was in the file"}
//
// code is the stable name of the reason, as in the report's reject_reasons.
//
// raw is the record's text; when that text is not valid UTF-8, raw holds it
// with U+FFFD for the bad bytes and raw_base64 holds the exact bytes. Rows
// from formats without a text form (and calls the API refused) carry
// "record": the row (or the call) as a JSON object.
// The file is written under a temporary name and renamed on Close
// (internal/atomicfile).
type RejectsWriter struct {
	path  string
	tmp   *atomicfile.File
	w     *bufio.Writer
	line  []byte
	count int64
}

// NewRejectsWriter creates the rejects file at path ("" writes nowhere,
// "-" to standard error is not offered: rejects hold raw data).
func NewRejectsWriter(path string) (*RejectsWriter, error) {
	r := &RejectsWriter{path: path}
	if path == "" {
		r.w = bufio.NewWriter(io.Discard)
		return r, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("rejects file: %w", err)
	}
	f, err := atomicfile.Create(path)
	if err != nil {
		return nil, fmt.Errorf("rejects file: %w", err)
	}
	r.tmp = f
	r.w = bufio.NewWriterSize(f, 256<<10)
	return r, nil
}

// Path is where the file is written.
func (r *RejectsWriter) Path() string { return r.path }

// Count is the number of rejects written.
func (r *RejectsWriter) Count() int64 { return r.count }

// Write appends rejects.
func (r *RejectsWriter) Write(rs []record.Reject) error {
	for i := range rs {
		r.line = AppendReject(r.line[:0], &rs[i])
		r.line = append(r.line, '\n')
		if _, err := r.w.Write(r.line); err != nil {
			return fmt.Errorf("rejects file: %w", err)
		}
		r.count++
	}
	return nil
}

// AppendReject appends one reject as a JSON object.
func AppendReject(dst []byte, x *record.Reject) []byte {
	dst = append(dst, `{"kind":`...)
	dst = jsonx.AppendStringS(dst, x.Kind)
	dst = append(dst, `,"file":`...)
	dst = jsonx.AppendStringS(dst, x.Pos.File)
	if x.Pos.Line > 0 {
		dst = append(dst, `,"line":`...)
		dst = strconv.AppendInt(dst, x.Pos.Line, 10)
	}
	dst = append(dst, `,"row":`...)
	dst = strconv.AppendInt(dst, x.Pos.Row, 10)
	if x.Pos.Line == 0 {
		dst = append(dst, `,"row_group":`...)
		dst = strconv.AppendInt(dst, int64(x.Pos.RowGroup), 10)
	}
	if x.Column != "" {
		dst = append(dst, `,"column":`...)
		dst = jsonx.AppendStringS(dst, x.Column)
	}
	if x.Col > 0 {
		dst = append(dst, `,"col":`...)
		dst = strconv.AppendInt(dst, int64(x.Col), 10)
	}
	if x.Code != "" {
		dst = append(dst, `,"code":`...)
		dst = jsonx.AppendStringS(dst, x.Code)
	}
	dst = append(dst, `,"reason":`...)
	dst = jsonx.AppendStringS(dst, x.Reason)
	switch {
	case x.RawJSON:
		dst = append(dst, `,"record":`...)
		dst = append(dst, x.Raw...)
	case x.Raw != nil:
		dst = append(dst, `,"raw":`...)
		if utf8.Valid(x.Raw) {
			dst = jsonx.AppendString(dst, x.Raw)
		} else {
			dst = jsonx.AppendStringS(dst, string([]rune(string(x.Raw))))
			dst = append(dst, `,"raw_base64":"`...)
			dst = base64.StdEncoding.AppendEncode(dst, x.Raw)
			dst = append(dst, '"')
		}
	}
	return append(dst, '}')
}

// Close completes the file.
func (r *RejectsWriter) Close() error {
	if r.tmp == nil {
		return nil
	}
	f := r.tmp
	r.tmp = nil
	if err := r.w.Flush(); err != nil {
		f.Abort()
		return fmt.Errorf("rejects file: %w", err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("rejects file: %w", err)
	}
	return nil
}

// Abort keeps what was written: the rejects of an interrupted run are still
// true and worth reading.
func (r *RejectsWriter) Abort() { r.Close() }
