// Package importer turns export files into batches of rows.
//
// It reads CSV (RFC 4180, any delimiter of , ; tab |, CRLF, LF or CR line
// ends, a byte-order mark, named legacy encodings), NDJSON (one JSON object
// a line, numbers kept as exact text) and Parquet, plain or compressed with
// gzip, zstd or bzip2 (recognised by content, not by name; so is the format
// of a file whose name does not say it). Files, globs and directories of
// part files are expanded in a stable order; a directory's files that are
// not data by convention (hidden, Spark's _SUCCESS, checksums) are listed as
// ignored. A regular file that changes while it is read is a file error; a
// named pipe or standard input is read once (Streams).
//
// The contract: a Reader fills a record.Batch with rows and returns io.EOF
// when the file is done. A problem with one record is recorded on the row
// (record.Row.Err) and reading goes on; a problem that makes the rest of the
// file unreadable (a truncated compressed stream, a quote never closed, a
// broken header) is returned as a *FileError that names the file and the
// position. Rows already placed in the batch before such an error are valid.
package importer

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/groupimport/groupimport/record"
)

// Format is an input file format.
type Format string

const (
	CSV     Format = "csv"
	NDJSON  Format = "ndjson"
	Parquet Format = "parquet"
)

// Reader reads rows from one file.
type Reader interface {
	// Columns returns the file's columns as known before reading rows: the
	// header of a CSV file, the schema of a Parquet file, and for NDJSON the
	// keys seen in a sample of the first lines.
	Columns() []string
	// Next appends rows to b until it holds about max rows or its arena is
	// full. It returns io.EOF (possibly with rows) at the end of the file,
	// or a *FileError when the file cannot be read further.
	Next(b *record.Batch, max int) error
	// Offset returns the number of bytes of the file consumed so far.
	Offset() int64
	Close() error
}

// FileError is a problem that stops the reading of one file.
type FileError struct {
	File string
	Line int64 // physical line, 0 when unknown or not line based
	Col  int   // 1-based column in the line, 0 when unknown
	Row  int64 // data rows read before the error
	Err  error
}

func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ": line %d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ", column %d", e.Col)
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *FileError) Unwrap() error { return e.Err }

// Sentinel causes, for errors.Is.
var (
	ErrTruncated   = errors.New("compressed stream is truncated")
	ErrHeader      = errors.New("bad header")
	ErrQuote       = errors.New("quoted field never closed")
	ErrRecordLimit = errors.New("record longer than the limit")
	ErrNotNDJSON   = errors.New("not NDJSON")
)

// Options control how files are read. The zero value reads with defaults.
type Options struct {
	// Format forces the format; "" detects it from the name and content.
	Format Format
	// Comma is the CSV delimiter; 0 detects it from the header line.
	Comma byte
	// Encoding names the character encoding of text files ("" or "utf-8",
	// "latin1", "windows-1252", "utf-16", …). UTF-16 with a byte-order mark
	// is recognised without being named.
	Encoding string
	// MaxRecordBytes bounds one record (a CSV record or an NDJSON line).
	// Default 64 MiB.
	MaxRecordBytes int
	// MaxDepth bounds JSON nesting. Default 64.
	MaxDepth int
	// MaxColumns bounds the number of columns of a file (or keys of an
	// NDJSON object). Default 10,000.
	MaxColumns int
	// MaxRatio bounds decompressed bytes to this many times the compressed
	// bytes read (default 1000; negative: no limit).
	MaxRatio int
	// SampleLines is how many NDJSON lines Columns looks at. Default 1,000.
	SampleLines int
	// Streams, when set, holds the inputs read once from the system (named
	// pipes, standard input): opening one again replays it instead of
	// reopening it. Without it a stream is read directly, once.
	Streams *Streams
	// Columns, when not nil, names the columns a caller needs: a Parquet
	// reader decodes only these (its Columns and rows hold only them, in
	// file order); names a file lacks are ignored. Nil reads every column.
	// CSV and NDJSON readers read whole records anyway and ignore it.
	Columns []string
	// BinaryAsString reads Parquet BYTE_ARRAY columns without a logical
	// type as text (Spark's binaryAsString): valid UTF-8 or the row is
	// rejected. Without it such a column is text when every value of it in
	// the file is valid UTF-8 (with a warning, see Warner), else base64.
	BinaryAsString bool
}

// Warner is implemented by readers that have warnings about a file (a
// column read in a way the file does not say, values dropped); each
// message is counted as often as it occurred. Call it after the last Next.
type Warner interface {
	Warnings() map[string]int64
}

func (o Options) withDefaults() Options {
	if o.MaxRecordBytes <= 0 {
		o.MaxRecordBytes = 64 << 20
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = 64
	}
	if o.MaxColumns <= 0 {
		o.MaxColumns = 10000
	}
	if o.SampleLines <= 0 {
		o.SampleLines = 1000
	}
	return o
}

// errorAt wraps err into a *FileError unless it is one already.
func errorAt(file string, line int64, col int, row int64, err error) error {
	var fe *FileError
	if errors.As(err, &fe) {
		return err
	}
	return &FileError{File: file, Line: line, Col: col, Row: row, Err: err}
}

// isEOF reports whether err is a clean end of input.
func isEOF(err error) bool { return err == io.EOF }
