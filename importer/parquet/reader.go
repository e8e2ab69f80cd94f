// Package parquet reads Apache Parquet files into rows (record.Batch), with
// github.com/parquet-go/parquet-go underneath and guards around it. A
// Reader is built from an io.ReaderAt and the file's size: Parquet is read
// from its end (the footer), so it needs random access.
//
// Columns are the file's top-level fields, then Options.Partitions (the Hive
// partition keys package importer finds in the file's folder names; a key
// that is also a column of the file is ignored, the file's column wins).
// Structs, lists and maps are one column each, holding compact JSON; how
// every Parquet type becomes a value is described in schema.go and
// values.go, VARIANT in variant.go, byte columns without a text annotation
// in binary.go.
//
// The contract. NewReader reads and checks the footer and the schema; Next
// appends rows to a batch and returns io.EOF after the last row. A value
// that cannot be converted rejects its row (record.Row.Err, naming the
// column, with a Code from package record) and reading goes on: invalid
// UTF-8 in a text column (record.CodeInvalidUTF8, or CodeNotUTF8Binary for a
// byte column read as text), a date or time outside what ISO-8601 writes
// (CodeValueOutOfRange), invalid JSON in a JSON column (CodeMalformedJSON,
// CodeTooDeep), a value whose bytes do not fit its type (CodeInvalidValue),
// a null map key (CodeNullMapKey), a VARIANT that breaks its encoding
// (CodeInvalidVariant), a value or row over Options.MaxRecordBytes
// (CodeTooLarge). Anything else is a file error that ends the reading (Next
// returns it again): a corrupt or truncated file (ErrCorrupt), pages or a
// footer over the limits (ErrLimit, see guard.go), an encrypted file, an
// unsupported schema, type or codec, row or value counts that disagree
// with the footer or the statistics (check.go), or a panic inside
// parquet-go. When the problem lies in a row group or a column, the error is
// or wraps an *Error naming them. Rows placed in the batch before a file
// error are valid.
//
// Rows are decoded ahead of the caller by one or two goroutines, each taking
// whole row groups in turn, in chunks of a few thousand rows; the caller gets
// them in file order. Memory is bounded by a few chunks and one page per
// column, whatever the size of the row groups or the file.
//
// parquet-go v0.32.0 has bugs that lose data without an error; the
// workarounds (shadow.go, check.go, guard.go) each name the upstream
// behaviour they exist for, and upstream_test.go holds a canary test per
// bug that fails once parquet-go is fixed, so the workaround can go.
package parquet

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/groupimport/groupimport/importer/internal/lineio"
	"github.com/groupimport/groupimport/record"
	parquetgo "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// Defaults of the zero Options.
const (
	DefaultMaxColumns     = 10000
	DefaultMaxDepth       = 64
	DefaultMaxRecordBytes = 64 << 20
	DefaultMaxFooterBytes = 256 << 20
	DefaultMaxPageBytes   = 256 << 20
	DefaultMaxPageValues  = 32 << 20
)

// Options control a Reader. The zero value reads every column with
// defaults.
type Options struct {
	// Columns, when not nil, names the columns the caller needs: only these
	// are decoded (Columns and rows hold only them, in file order); names
	// the file lacks are ignored. Nil reads every column.
	Columns []string
	// BinaryAsString reads BYTE_ARRAY columns without a logical type as text
	// (Spark's binaryAsString): valid UTF-8 or the row is rejected. Without
	// it such a column is text when every value of it in the file is valid
	// UTF-8 (with a warning, see Warnings), else base64.
	BinaryAsString bool
	// Partitions are text columns with one value for the whole file, added
	// after the file's columns (Hive partition keys).
	Partitions []Partition
	// MaxColumns bounds the leaf columns of the schema. Default
	// DefaultMaxColumns.
	MaxColumns int
	// MaxDepth bounds the nesting of the JSON a column produces. Default
	// DefaultMaxDepth.
	MaxDepth int
	// MaxRecordBytes bounds the bytes a row decodes to: a row over it is
	// rejected. Default DefaultMaxRecordBytes.
	MaxRecordBytes int
	// MaxFooterBytes, MaxPageBytes and MaxPageValues bound what one file
	// may make the reader allocate: the footer, one page decompressed, the
	// values of one page. A file over them is a file error wrapping
	// ErrLimit. Defaults DefaultMaxFooterBytes, DefaultMaxPageBytes,
	// DefaultMaxPageValues.
	MaxFooterBytes int64
	MaxPageBytes   int64
	MaxPageValues  int64
	// FirstRows says the caller reads only the first rows (a sample): row
	// groups are decoded one at a time, so that none is read (over a
	// network: fetched) ahead of the first.
	FirstRows bool
}

func (o Options) withDefaults() Options {
	if o.MaxColumns <= 0 {
		o.MaxColumns = DefaultMaxColumns
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.MaxRecordBytes <= 0 {
		o.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if o.MaxFooterBytes <= 0 {
		o.MaxFooterBytes = DefaultMaxFooterBytes
	}
	if o.MaxPageBytes <= 0 {
		o.MaxPageBytes = DefaultMaxPageBytes
	}
	if o.MaxPageValues <= 0 {
		o.MaxPageValues = DefaultMaxPageValues
	}
	return o
}

func (o Options) limits() pqLimits {
	return pqLimits{footerBytes: o.MaxFooterBytes, pageBytes: o.MaxPageBytes, pageValues: o.MaxPageValues}
}

// Partition is a text column with one value for the whole file (a Hive
// partition key of the folders it sits in).
type Partition struct {
	Name  string
	Value string
	Null  bool // the value is null (Hive's __HIVE_DEFAULT_PARTITION__)
}

// Error says where in a Parquet file reading failed.
type Error struct {
	RowGroup int    // 0-based; -1 when not about one row group
	Column   string // dotted column path; "" when not about one column
	Err      error
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.RowGroup >= 0 {
		fmt.Fprintf(&b, "row group %d, ", e.RowGroup)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, "column %q, ", e.Column)
	}
	s := b.String()
	if s != "" {
		s = strings.TrimSuffix(s, ", ") + ": "
	}
	return s + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Reader reads the rows of one Parquet file.
type Reader struct {
	ra       io.ReaderAt // the file
	size     int64
	opts     Options
	lim      pqLimits
	file     *parquetgo.File
	meta     *format.FileMetaData
	sch      *pqSchema
	names    []string
	cols     []int  // the top-level columns decoded (indexes into sch.top), in file order
	wantLeaf []bool // per leaf: its top-level column is decoded
	schema   *record.Schema
	parts    []Partition // the partitions added as columns
	ignored  []string    // partition keys shadowed by columns
	dataEnd  int64
	shadow   *shadowFile // when pages are decompressed here (see shadow.go)
	rowsNote bool        // the footer's row count is 0 but the row groups hold rows

	// opened counts, per leaf, the column chunks handed to parquet-go: the
	// proof that projection leaves the other columns alone.
	opened []atomic.Int64

	rgFirst  []int64 // first row (0-based) of each row group
	rgBytes  []int64 // compressed bytes of each row group
	rgBefore []int64 // compressed bytes before each row group

	// decoding goroutines
	started bool
	workers int
	done    chan struct{}
	free    chan *pqChunk
	outs    []chan *pqChunk
	wg      sync.WaitGroup

	warnMu sync.Mutex
	warns  map[string]int64

	cur    *pqChunk
	pos    int
	nextRG int
	rows   int64
	offset atomic.Int64
	err    error
	closed bool
}

// NewReader reads and checks the footer and the schema of the Parquet file
// ra of size bytes. The caller keeps ra open until Close and closes it
// afterwards.
func NewReader(ra io.ReaderAt, size int64, opts Options) (r *Reader, err error) {
	opts = opts.withDefaults()
	lim := opts.limits()
	defer func() {
		// parquet-go panics on some malformed files (parquet-go#537; see
		// guard.go and TestUpstreamPanicOnV2Levels).
		if p := recover(); p != nil {
			r, err = nil, &Error{RowGroup: -1, Err: fmt.Errorf("%w: the Parquet library failed on this file: %v", ErrCorrupt, p)}
		}
	}()
	footer, dataEnd, err := checkFooter(ra, size, lim)
	if err != nil {
		return nil, err
	}
	meta := new(format.FileMetaData)
	if err := decodeFooter(footer, meta); err != nil {
		return nil, err
	}
	r = &Reader{ra: ra, size: size, opts: opts, lim: lim, meta: meta, dataEnd: dataEnd}
	if err := r.checkEncryption(); err != nil {
		return nil, err
	}
	if r.sch, err = buildSchema(meta.Schema, opts); err != nil {
		return nil, err
	}
	r.sch.binaryText(opts.BinaryAsString)
	if err := r.openFile(footer); err != nil {
		return nil, err
	}
	if err := r.check(); err != nil {
		return nil, err
	}
	return r, nil
}

// openFile hands the file to parquet-go: as it is, or through a shadow
// file when its pages must be decompressed here (see shadow.go).
func (r *Reader) openFile(footer []byte) error {
	ra, size := r.ra, r.size
	if needsShadow(r.meta) {
		shadowMeta := new(format.FileMetaData)
		if err := decodeFooter(footer, shadowMeta); err != nil {
			return err
		}
		var err error
		if r.shadow, err = newShadow(r.ra, shadowMeta, r.sch.leaves, r.dataEnd, r.lim); err != nil {
			return err
		}
		ra, size = r.shadow, r.shadow.size
	}
	var err error
	r.file, err = parquetgo.OpenFile(ra, size,
		parquetgo.SkipPageIndex(true), parquetgo.SkipBloomFilters(true), parquetgo.ReadBufferSize(64<<10))
	if err != nil {
		return openError(err)
	}
	return nil
}

// decodeFooter decodes the file metadata (already checked by checkFooter).
func decodeFooter(footer []byte, m *format.FileMetaData) error {
	var proto thrift.CompactProtocol
	rd := proto.NewReaderFromBytes(footer)
	if err := thrift.NewDecoder(rd).Decode(m); err != nil {
		return fmt.Errorf("%w: the footer does not decode: %v", ErrCorrupt, err)
	}
	switch trailing := len(footer) - rd.BytesRead(); {
	case trailing == 28:
		return errors.New("the file has a signed footer (Parquet modular encryption); decrypt it first")
	case trailing != 0:
		return fmt.Errorf("%w: %d unexpected bytes after the footer", ErrCorrupt, trailing)
	}
	return nil
}

// checkEncryption refuses files with encrypted columns.
func (r *Reader) checkEncryption() error {
	if r.meta.EncryptionAlgorithm.Value != nil {
		return errors.New("the file has encrypted columns (Parquet modular encryption); decrypt it first")
	}
	for g := range r.meta.RowGroups {
		for j := range r.meta.RowGroups[g].Columns {
			cc := &r.meta.RowGroups[g].Columns[j]
			if cc.CryptoMetadata.Value != nil || len(cc.EncryptedColumnMetadata) > 0 {
				return &Error{RowGroup: g, Column: joinPath(cc.MetaData.PathInSchema), Err: errors.New("the column is encrypted (Parquet modular encryption); decrypt the file first")}
			}
		}
	}
	return nil
}

func openError(err error) error {
	msg := err.Error()
	if strings.Contains(msg, "encrypt") || strings.Contains(msg, "DecryptionConfig") {
		return fmt.Errorf("the file is encrypted (Parquet modular encryption); decrypt it first (%v)", err)
	}
	return fmt.Errorf("%w: %v", ErrCorrupt, err)
}

// Columns returns the columns the rows hold: the file's top-level fields
// (those asked for, in file order), then the partitions.
func (r *Reader) Columns() []string { return r.names }

// Offset is the compressed bytes of the row groups read so far, counting
// the current one in proportion to its rows read; the file's size at the
// end.
func (r *Reader) Offset() int64 { return r.offset.Load() }

// Next appends rows to b until it holds max rows or its arena is full, and
// sets b.Offset. It returns io.EOF (possibly with rows) after the last row,
// or the error that stops the reading of the file (and returns it again on
// every later call).
func (r *Reader) Next(b *record.Batch, max int) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.err = &Error{RowGroup: r.nextRG, Err: fmt.Errorf("internal error reading the file: %v", p)}
			err = r.err
		}
	}()
	if r.err != nil {
		return r.err
	}
	if r.closed {
		return errors.New("the reader is closed")
	}
	if !r.started {
		r.start()
	}
	var parts []record.Value
	for len(b.Rows) < max && b.ArenaLen() < lineio.ArenaLimit {
		c := r.cur
		if c == nil || r.pos >= c.n {
			if err := r.nextChunk(); err != nil {
				if err != io.EOF {
					r.err = err
				}
				b.Offset = r.Offset()
				return err
			}
			continue
		}
		if parts == nil && len(r.parts) > 0 {
			parts = r.partitionValues(b)
		}
		if r.pos == 0 && c.n <= max-len(b.Rows) && (b.ArenaLen() == 0 || b.ArenaLen()+len(c.arena) <= lineio.ArenaLimit) {
			r.appendChunk(b, c, parts)
			continue
		}
		r.appendRow(b, c, r.pos, nil, parts)
		r.pos++
		r.rows++
	}
	r.updateOffset()
	b.Offset = r.Offset()
	return nil
}

// nextChunk recycles the current chunk and takes the next one from the
// decoding goroutines: io.EOF after the last row group, or the error that
// stopped the decoding.
func (r *Reader) nextChunk() error {
	if c := r.cur; c != nil {
		if c.last {
			r.nextRG++
		}
		r.cur = nil
		r.free <- c
	}
	if r.nextRG >= len(r.meta.RowGroups) {
		r.offset.Store(r.size)
		return io.EOF
	}
	c, ok := <-r.outs[r.nextRG%r.workers]
	if !ok || c.rg != r.nextRG {
		return &Error{RowGroup: r.nextRG, Err: errors.New("internal error: row groups out of order")}
	}
	if c.err != nil {
		r.free <- c
		return c.err
	}
	r.cur, r.pos = c, 0
	return nil
}

// partitionValues copies the partitions' values into the batch.
func (r *Reader) partitionValues(b *record.Batch) []record.Value {
	parts := make([]record.Value, len(r.parts))
	for j, p := range r.parts {
		if !p.Null {
			parts[j] = record.Value{Kind: record.String, Bytes: b.Copy([]byte(p.Value))}
		}
	}
	return parts
}

// appendChunk appends all the rows of chunk c, with one copy of its arena.
func (r *Reader) appendChunk(b *record.Batch, c *pqChunk, parts []record.Value) {
	arena := b.Copy(c.arena)
	for i := 0; i < c.n; i++ {
		r.appendRow(b, c, i, arena, parts)
	}
	r.pos = c.n
	r.rows += int64(c.n)
}

// appendRow appends row i of chunk c. arena is the chunk's arena copied in
// the batch, or nil to copy only the row's values.
func (r *Reader) appendRow(b *record.Batch, c *pqChunk, i int, arena []byte, parts []record.Value) {
	ncol := len(r.cols)
	vals := b.ValuesToFill(len(r.names)) // every one set below
	for k, cell := range c.cells[i*ncol : i*ncol+ncol] {
		switch {
		case cell.kind == record.Null:
			vals[k] = record.Value{}
		case arena != nil:
			vals[k] = record.Value{Kind: cell.kind, Plain: cell.plain, Bytes: arena[cell.off:cell.end:cell.end]}
		default:
			vals[k] = record.Value{Kind: cell.kind, Plain: cell.plain, Bytes: b.Copy(c.arena[cell.off:cell.end])}
		}
	}
	if n := copy(vals[ncol:], parts); ncol+n != len(vals) {
		clear(vals[ncol+n:]) // no partition values yet (see Next)
	}
	b.Rows = append(b.Rows, record.Row{Num: c.first + int64(i) + 1, Group: c.rg, Schema: r.schema, Values: vals, Err: c.errs[i]})
}

func (r *Reader) updateOffset() {
	c := r.cur
	if c == nil {
		return
	}
	rg := c.rg
	n := r.meta.RowGroups[rg].NumRows
	done := c.first - r.rgFirst[rg] + int64(r.pos)
	off := r.rgBefore[rg]
	if n > 0 {
		off += int64(float64(r.rgBytes[rg]) * float64(done) / float64(n))
	}
	r.offset.Store(off)
}

// Close stops the decoding goroutines. It does not close the file.
func (r *Reader) Close() error {
	if !r.closed {
		r.closed = true
		if r.started {
			close(r.done)
			r.wg.Wait()
		}
		if r.shadow != nil {
			r.shadow.close()
		}
	}
	return nil
}
