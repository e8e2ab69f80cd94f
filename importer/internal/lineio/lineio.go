// Package lineio holds what the line-oriented readers (importer/csv,
// importer/ndjson) share: a growing input buffer bounded by the record
// limit, positions within a line, and the UTF-8 check; and the batch size
// every reader, Parquet included, fills a batch to.
package lineio

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// ArenaLimit is the arena size at which a reader stops adding rows to a
// batch (record.Batch.ArenaLen).
const ArenaLimit = 1 << 20

// ErrRecordLimit is wrapped by the error for a record (a CSV record, an
// NDJSON line) longer than the reader's limit.
var ErrRecordLimit = errors.New("record longer than the limit")

// RecordLimitError is the error for a record longer than limit bytes.
func RecordLimitError(limit int) error {
	return fmt.Errorf("%w (%d bytes; raise --max-record-bytes if the file is right)", ErrRecordLimit, limit)
}

// Buffer is a reader's buffered view of its input: Buf[Pos:End] is read
// and not yet consumed. A record must fit in the buffer, which grows up to
// MaxRecord+2 bytes (a record and its CRLF).
type Buffer struct {
	R         io.Reader
	MaxRecord int

	Buf      []byte
	Pos, End int
	EOF      bool // the input ended: Buf[Pos:End] is all there is
	err      error
}

// NewBuffer returns a buffer of size bytes (at least 1) over r.
func NewBuffer(r io.Reader, size, maxRecord int) Buffer {
	return Buffer{R: r, MaxRecord: maxRecord, Buf: make([]byte, max(size, 1))}
}

// Fill reads more input into the buffer, growing it when a record does not
// fit, and reads until the buffer is full: a record that needs several
// fills is parsed again after each, so each must at least double what it
// has (a record of n bytes then costs O(n), not O(n²)). It returns io.EOF
// at the end of input, an error wrapping ErrRecordLimit when the buffer may
// not grow, and a read error as is (and again on every later call); the
// bytes read before an error stay in the buffer.
func (b *Buffer) Fill() error {
	if b.EOF {
		return io.EOF
	}
	if b.err != nil {
		return b.err
	}
	var err error
	b.Buf, b.Pos, b.End, b.EOF, err = fillBuffer(b.R, b.Buf, b.Pos, b.End, b.MaxRecord)
	switch {
	case err == errBufferLimit:
		return RecordLimitError(b.MaxRecord)
	case err != nil && err != io.EOF:
		b.err = err
	}
	return err
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

// Col returns the 1-based character column of data[off] in its line.
func Col(data []byte, off int) int {
	start := bytes.LastIndexAny(data[:off], "\r\n") + 1
	return utf8.RuneCount(data[start:off]) + 1
}

// InvalidUTF8At returns the offset of the first invalid UTF-8 byte of p,
// or len(p).
func InvalidUTF8At(p []byte) int {
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
