// Package importer turns input files into rows: bytes → rows. It finds the
// inputs (paths, globs, directories of part files), opens each (a regular
// file, a named pipe or standard input, or any io.Reader given a name),
// recognises its compression and format by content, decompresses it (gzip,
// zstd, bzip2, with a bound on the ratio), decodes its text encoding (or
// checks that text read as UTF-8 is: see Options.Encoding), and
// hands the bytes to the reader of its format: package importer/csv,
// importer/ndjson or importer/parquet, which turn them into rows.
//
// Files, globs and directories are expanded in a stable order; a
// directory's files that are not data by convention (hidden, Spark's
// _SUCCESS, checksums) are listed as ignored. A file whose name does not
// say its format is read when its content does. A regular file that
// changes while it is read is a file error; a named pipe or standard input
// is read once (Streams). Hive partition folders (…/country=US/…) above a
// Parquet file become columns.
//
// The contract: a Reader fills a record.Batch with rows and returns io.EOF
// when the file is done. A problem with one record is recorded on the row
// (record.Row.Err, with a stable Code) and reading goes on; a problem that
// makes the rest of the file unreadable (a truncated compressed stream,
// text that is not UTF-8 with no --encoding named, a quote never closed, a
// broken header, a corrupt Parquet page) is returned
// as a *FileError that names the file and the position. Rows already placed
// in the batch before such an error are valid. Each format package's doc
// says which problems are which.
package importer

import (
	"errors"
	"fmt"
	"strings"

	"github.com/groupimport/groupimport/importer/csv"
	"github.com/groupimport/groupimport/importer/ndjson"
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
	// full, and sets b.Offset. It returns io.EOF (possibly with rows) at the
	// end of the file, or a *FileError when the file cannot be read further.
	Next(b *record.Batch, max int) error
	// Offset returns the number of bytes of the file consumed so far.
	Offset() int64
	Close() error
}

// Warner is implemented by readers that have warnings about a file (a
// column read in a way the file does not say, values dropped); each
// message is counted as often as it occurred. Call it after the last Next.
type Warner interface {
	Warnings() map[string]int64
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

// fileError names the file in err, an error of a format reader, with the
// position the format reader gives and the rows read before it.
func fileError(file string, rows int64, err error) error {
	var fe *FileError
	if errors.As(err, &fe) {
		return err
	}
	var ee *EncodingError
	if errors.As(err, &ee) {
		return &FileError{File: file, Line: ee.Line, Col: ee.Col, Row: rows, Err: ee}
	}
	fe = &FileError{File: file, Row: rows, Err: err}
	switch e := err.(type) {
	case *csv.ParseError:
		fe.Line, fe.Col, fe.Err = e.Line, e.Column, e.Err
	case *ndjson.ParseError:
		fe.Line, fe.Err = e.Line, e.Err
	}
	return fe
}

// Causes of file errors, for errors.Is. ErrTruncated, ErrBomb, ErrChanged
// and ErrUnrecognised are this package's; the others are the format
// packages', named here too.
var (
	ErrTruncated   = errors.New("compressed stream is truncated")
	ErrHeader      = csv.ErrHeader
	ErrQuote       = csv.ErrQuote
	ErrRecordLimit = csv.ErrRecordLimit // ndjson.ErrRecordLimit too
	ErrNotNDJSON   = ndjson.ErrNotNDJSON
)

// Options control how files are read. The zero value reads with defaults.
type Options struct {
	// Format forces the format; "" detects it from the name and content.
	Format Format
	// Comma is the CSV delimiter; 0 detects it from the header line.
	Comma byte
	// Encoding names the character encoding of text files ("" or "utf-8",
	// "latin1", "windows-1252", "utf-16", "utf-16le", "shift_jis", any
	// WHATWG name). UTF-16 with a byte-order mark is recognised without
	// being named. Text read as UTF-8 is checked:
	//   - "" (none named): a file that is not UTF-8 is a file error (an
	//     *EncodingError, wrapping ErrNotUTF8) at its first bytes that are
	//     not, or at once when it is UTF-16 without a byte-order mark; the
	//     message names the offset, line and column, the likely encoding
	//     (SuggestEncoding) and the --encoding to give. The rows before the
	//     error were read (ASCII, the same in any such encoding). But when
	//     the text shows the file is UTF-8 (valid multi-byte characters
	//     before those bytes, or as many as such bytes after them), the
	//     rows that hold them are rejected (invalid_utf8) and the reader
	//     warns once (Warner), naming the first.
	//   - "utf-8" named: such rows are always rejected, with that warning.
	Encoding string
	// MaxRecordBytes bounds one record (a CSV record, an NDJSON line, the
	// decoded values of a Parquet row). Default 64 MiB.
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

func (o Options) csv() csv.Options {
	return csv.Options{Comma: o.Comma, MaxRecordBytes: o.MaxRecordBytes, MaxColumns: o.MaxColumns}
}

func (o Options) ndjson() ndjson.Options {
	return ndjson.Options{MaxRecordBytes: o.MaxRecordBytes, MaxDepth: o.MaxDepth, MaxColumns: o.MaxColumns, SampleLines: o.SampleLines}
}

// DialectName describes a CSV delimiter for people.
func DialectName(c byte) string { return csv.DialectName(c) }
