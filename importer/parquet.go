package importer

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/groupimport/groupimport/record"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// Parquet input, read with github.com/parquet-go/parquet-go.
//
// Columns are the file's top-level fields, then the Hive partition keys of
// the folders the file sits in (…/country=US/dt=2024-05-01/part-0.parquet
// adds "country" and "dt" as text columns; %XX escapes are decoded and
// __HIVE_DEFAULT_PARTITION__ is null; only the run of key=value folders
// right above the file counts; a key that is also a column of the file is
// ignored, the file's column wins). Structs, lists and maps are one column
// each, holding compact JSON. How every Parquet type becomes a value is
// described in parquet_schema.go and parquet_values.go.
//
// Rows are decoded ahead of the caller by one or two goroutines, each taking
// whole row groups in turn, in chunks of a few thousand rows; the caller gets
// them in file order. Memory is bounded by a few chunks and one page per
// column, whatever the size of the row groups or the file.
//
// A file that cannot be read is a *FileError; when the problem lies in a
// row group or a column, its cause is a *ParquetError naming them. Causes: a corrupt or truncated file,
// an encrypted one, an unsupported type or codec, row counts that disagree
// with the footer, a page over the size limits (see parquet_guard.go), or a
// panic inside parquet-go. A value that cannot be converted (invalid UTF-8
// in a text column, a date outside 0001–9999, invalid JSON in a JSON column)
// rejects its row (record.Row.Err names the column) and reading goes on.

// ParquetError says where in a Parquet file reading failed.
type ParquetError struct {
	RowGroup int    // 0-based; -1 when not about one row group
	Column   string // dotted column path; "" when not about one column
	Err      error
}

func (e *ParquetError) Error() string {
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

func (e *ParquetError) Unwrap() error { return e.Err }

// pqPartition is a Hive partition key of the file's folders.
type pqPartition struct {
	name  string
	value []byte
	null  bool
}

type parquetReader struct {
	src      *Source
	opts     Options
	lim      pqLimits
	file     *parquet.File
	meta     *format.FileMetaData
	sch      *pqSchema
	names    []string
	cols     []int  // the top-level columns decoded (indexes into sch.top), in file order
	wantLeaf []bool // per leaf: its top-level column is decoded
	schema   *record.Schema
	parts    []pqPartition
	ignored  []string // partition keys shadowed by columns
	dataEnd  int64
	shadow   *shadowFile // when pages are decompressed here (see parquet_shadow.go)
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

func newParquetReader(src *Source, opts Options) (Reader, error) {
	r, err := openParquet(src, opts, defaultPQLimits())
	if err != nil {
		return nil, err
	}
	return r, nil
}

// openParquet reads and checks the footer and the schema.
func openParquet(src *Source, opts Options, lim pqLimits) (r *parquetReader, err error) {
	opts = opts.withDefaults()
	fileErr := func(err error) error { return &FileError{File: src.Path, Err: err} }
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, fileErr(&ParquetError{RowGroup: -1, Err: fmt.Errorf("%w: the Parquet library failed on this file: %v", ErrParquetCorrupt, p)})
		}
	}()
	if src.file == nil {
		return nil, fileErr(errors.New("Parquet files must be read from a file, not a stream"))
	}
	footer, dataEnd, err := checkFooter(src.file, src.Size, lim)
	if err != nil {
		return nil, fileErr(err)
	}
	meta := new(format.FileMetaData)
	if err := decodeFooter(footer, meta); err != nil {
		return nil, fileErr(err)
	}
	r = &parquetReader{src: src, opts: opts, lim: lim, meta: meta, dataEnd: dataEnd}
	if err := r.checkEncryption(); err != nil {
		return nil, fileErr(err)
	}
	if r.sch, err = buildSchema(meta.Schema, opts); err != nil {
		return nil, fileErr(err)
	}
	r.sch.binaryText(opts.BinaryAsString)
	var ra io.ReaderAt = src.file
	size := src.Size
	if needsShadow(meta) {
		shadowMeta := new(format.FileMetaData)
		if err := decodeFooter(footer, shadowMeta); err != nil {
			return nil, fileErr(err)
		}
		if r.shadow, err = newShadow(src.file, shadowMeta, r.sch.leaves, dataEnd, lim); err != nil {
			return nil, fileErr(err)
		}
		ra, size = r.shadow, r.shadow.size
	}
	r.file, err = parquet.OpenFile(ra, size,
		parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true), parquet.ReadBufferSize(64<<10))
	if err != nil {
		return nil, fileErr(openError(err))
	}
	if err := r.check(); err != nil {
		return nil, fileErr(err)
	}
	return r, nil
}

// decodeFooter decodes the file metadata (already checked by checkFooter).
func decodeFooter(footer []byte, m *format.FileMetaData) error {
	var proto thrift.CompactProtocol
	rd := proto.NewReaderFromBytes(footer)
	if err := thrift.NewDecoder(rd).Decode(m); err != nil {
		return fmt.Errorf("%w: the footer does not decode: %v", ErrParquetCorrupt, err)
	}
	switch trailing := len(footer) - rd.BytesRead(); {
	case trailing == 28:
		return errors.New("the file has a signed footer (Parquet modular encryption); decrypt it first")
	case trailing != 0:
		return fmt.Errorf("%w: %d unexpected bytes after the footer", ErrParquetCorrupt, trailing)
	}
	return nil
}

// checkEncryption refuses files with encrypted columns.
func (r *parquetReader) checkEncryption() error {
	if r.meta.EncryptionAlgorithm.Value != nil {
		return errors.New("the file has encrypted columns (Parquet modular encryption); decrypt it first")
	}
	for g := range r.meta.RowGroups {
		for j := range r.meta.RowGroups[g].Columns {
			cc := &r.meta.RowGroups[g].Columns[j]
			if cc.CryptoMetadata.Value != nil || len(cc.EncryptedColumnMetadata) > 0 {
				return &ParquetError{RowGroup: g, Column: joinPath(cc.MetaData.PathInSchema), Err: errors.New("the column is encrypted (Parquet modular encryption); decrypt the file first")}
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
	return fmt.Errorf("%w: %v", ErrParquetCorrupt, err)
}

// check analyses the schema and cross-checks the footer.
func (r *parquetReader) check() error {
	m := r.meta
	sch := r.sch
	// parquet-go's view of the leaves must be ours.
	var cols []*parquet.Column
	var walk func(c *parquet.Column)
	walk = func(c *parquet.Column) {
		if c.Leaf() {
			cols = append(cols, c)
			return
		}
		for _, k := range c.Columns() {
			walk(k)
		}
	}
	walk(r.file.Root())
	if len(cols) != len(sch.leaves) {
		return fmt.Errorf("%w: the schema has %d leaf columns but the library sees %d", ErrParquetCorrupt, len(sch.leaves), len(cols))
	}
	for i, c := range cols {
		l := sch.leaves[i]
		if strings.Join(c.Path(), ".") != l.path || c.MaxDefinitionLevel() != l.maxDef || c.MaxRepetitionLevel() != l.maxRep {
			return fmt.Errorf("%w: leaf column %d is %q (levels %d/%d) for the library but %q (levels %d/%d) for the reader",
				errSchema, i, strings.Join(c.Path(), "."), c.MaxDefinitionLevel(), c.MaxRepetitionLevel(), l.path, l.maxDef, l.maxRep)
		}
	}
	if len(r.file.RowGroups()) != len(m.RowGroups) {
		return fmt.Errorf("%w: %d row groups in the footer, %d opened", ErrParquetCorrupt, len(m.RowGroups), len(r.file.RowGroups()))
	}
	var rows, before int64 = 0, 4
	for g := range m.RowGroups {
		rg := &m.RowGroups[g]
		if rg.NumRows < 0 {
			return &ParquetError{RowGroup: g, Err: fmt.Errorf("%w: the row group has %d rows", ErrParquetCorrupt, rg.NumRows)}
		}
		if len(rg.Columns) != len(sch.leaves) {
			return &ParquetError{RowGroup: g, Err: fmt.Errorf("%w: the row group has %d column chunks for %d columns", ErrParquetCorrupt, len(rg.Columns), len(sch.leaves))}
		}
		var size int64
		for j := range rg.Columns {
			cc := &rg.Columns[j]
			l := sch.leaves[j]
			perr := func(format string, args ...any) error {
				return &ParquetError{RowGroup: g, Column: l.path, Err: fmt.Errorf(format, args...)}
			}
			if cc.FilePath != "" {
				return perr("the column's data is in another file (%q); such files are not supported", cc.FilePath)
			}
			md := &cc.MetaData
			if md.Type != l.physical {
				return perr("%w: the column chunk is %s but the schema says %s", ErrParquetCorrupt, md.Type, l.physical)
			}
			if p := strings.Join(md.PathInSchema, "."); p != l.path {
				return perr("%w: the column chunk is for %q", ErrParquetCorrupt, p)
			}
			switch md.Codec {
			case format.Uncompressed, format.Snappy, format.Gzip, format.Brotli, format.Zstd, format.Lz4Raw:
			default:
				return perr("the compression codec %s is not supported (use SNAPPY, ZSTD, GZIP, BROTLI, LZ4_RAW or none)", md.Codec)
			}
			if md.TotalCompressedSize < 0 || md.TotalCompressedSize > r.dataEnd {
				return perr("%w: the column chunk claims %d bytes", ErrParquetCorrupt, md.TotalCompressedSize)
			}
			size += md.TotalCompressedSize
		}
		r.rgFirst = append(r.rgFirst, rows)
		r.rgBytes = append(r.rgBytes, size)
		r.rgBefore = append(r.rgBefore, before)
		rows += rg.NumRows
		before += size
		if rows < 0 {
			return fmt.Errorf("%w: the row counts overflow", ErrParquetCorrupt)
		}
	}
	// Some writers leave the file's row count at 0; the row groups' counts
	// are the ones checked against the data. Any other disagreement is a
	// footer that cannot be trusted.
	if rows != m.NumRows && m.NumRows != 0 {
		return fmt.Errorf("%w: the footer says %d rows but its row groups hold %d", ErrParquetCorrupt, m.NumRows, rows)
	}
	r.rowsNote = rows != m.NumRows
	// Columns: the file's, then the partition keys, less those the caller
	// does not need.
	want := func(name string) bool { return r.opts.Columns == nil || slicesContains(r.opts.Columns, name) }
	var fileNames []string
	r.wantLeaf = make([]bool, len(sch.leaves))
	r.opened = make([]atomic.Int64, len(sch.leaves))
	for i, n := range sch.top {
		fileNames = append(fileNames, n.name)
		if !want(n.name) {
			continue
		}
		r.cols = append(r.cols, i)
		r.names = append(r.names, n.name)
		for j := n.lo; j < n.hi; j++ {
			r.wantLeaf[j] = true
		}
	}
	parts, err := hivePartitions(r.src.Path)
	if err != nil {
		return err
	}
	for _, p := range parts {
		if slicesContains(fileNames, p.name) {
			r.ignored = append(r.ignored, p.name)
			continue
		}
		if !want(p.name) {
			continue
		}
		r.parts = append(r.parts, p)
		r.names = append(r.names, p.name)
	}
	r.schema = record.NewSchema(r.names)
	return nil
}

// openedColumns lists the leaf columns whose chunks were handed to
// parquet-go so far (for tests of projection).
func (r *parquetReader) openedColumns() []string {
	var out []string
	for j := range r.opened {
		if r.opened[j].Load() > 0 {
			out = append(out, r.sch.leaves[j].path)
		}
	}
	return out
}

// panicInOurCode reports, in a deferred function that recovered a panic,
// whether the panic arose in this module's code rather than in
// parquet-go's: a bug of ours is an internal error, not a corrupt file.
func panicInOurCode() bool {
	pcs := make([]uintptr, 64)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	panicking := false
	for {
		f, more := frames.Next()
		switch {
		case f.Function == "runtime.gopanic":
			panicking = true
		case panicking && !strings.HasPrefix(f.Function, "runtime."):
			return strings.HasPrefix(f.Function, "github.com/groupimport/groupimport/")
		}
		if !more {
			return false
		}
	}
}

func slicesContains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// hivePartitions returns the key=value folders right above the file,
// outermost first. A key given twice keeps its innermost value.
func hivePartitions(path string) ([]pqPartition, error) {
	var parts []pqPartition
	dir := filepath.Dir(path)
	for {
		base := filepath.Base(dir)
		k, v, ok := strings.Cut(base, "=")
		if !ok || k == "" {
			break
		}
		key, err := url.PathUnescape(k)
		if err != nil {
			key = k
		}
		val, err := url.PathUnescape(v)
		if err != nil {
			val = v
		}
		if !utf8.ValidString(key) || !utf8.ValidString(val) {
			return nil, fmt.Errorf("the partition folder %q is not valid UTF-8", base)
		}
		dup := false
		for _, p := range parts {
			dup = dup || p.name == key
		}
		if !dup {
			parts = append(parts, pqPartition{name: key, value: []byte(val), null: val == "__HIVE_DEFAULT_PARTITION__"})
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return parts, nil
}

func (r *parquetReader) Columns() []string { return r.names }

// Offset is the compressed bytes of the row groups read so far, counting
// the current one in proportion to its rows read.
func (r *parquetReader) Offset() int64 { return r.offset.Load() }

// Describe reports the file's layout and schema for inspect.
func (r *parquetReader) Describe() []string {
	m := r.meta
	var out []string
	by := m.CreatedBy
	if by == "" {
		by = "(unknown writer)"
	}
	out = append(out, fmt.Sprintf("parquet:      written by %s, format version %d", by, m.Version))
	codecs := map[string]bool{}
	var names []string
	for _, rg := range m.RowGroups {
		for _, c := range rg.Columns {
			if s := c.MetaData.Codec.String(); !codecs[s] {
				codecs[s] = true
				names = append(names, s)
			}
		}
	}
	line := fmt.Sprintf("row groups:   %d, %d rows in the footer", len(m.RowGroups), m.NumRows)
	if r.rowsNote {
		var n int64
		for _, rg := range m.RowGroups {
			n += rg.NumRows
		}
		line = fmt.Sprintf("row groups:   %d, %d rows (the footer's total says 0)", len(m.RowGroups), n)
	}
	if len(m.RowGroups) > 1 && len(m.RowGroups) <= 8 {
		var sizes []string
		for _, rg := range m.RowGroups {
			sizes = append(sizes, strconv.FormatInt(rg.NumRows, 10))
		}
		line += " (" + strings.Join(sizes, " + ") + ")"
	}
	if len(names) > 0 {
		line += "; compression " + strings.Join(names, ", ")
	}
	out = append(out, line)
	out = append(out, "schema:       column, repetition, Parquet type → read as")
	for _, n := range r.sch.top {
		out = describeNode(out, n, "  ")
	}
	for _, p := range r.parts {
		v := strconv.Quote(string(p.value))
		if p.null {
			v = "null"
		}
		out = append(out, fmt.Sprintf("partition:    %s = %s (from the folder name) → string", p.name, v))
	}
	for _, k := range r.ignored {
		out = append(out, fmt.Sprintf("partition:    %s ignored: the file has a column of that name", k))
	}
	return out
}

// Next implements Reader.
func (r *parquetReader) Next(b *record.Batch, max int) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.err = &FileError{File: r.src.Path, Row: r.rows, Err: &ParquetError{RowGroup: r.nextRG, Err: fmt.Errorf("internal error reading the file: %v", p)}}
			err = r.err
		}
	}()
	if r.err != nil {
		return r.err
	}
	if r.closed {
		return &FileError{File: r.src.Path, Row: r.rows, Err: errors.New("the reader is closed")}
	}
	if !r.started {
		r.start()
	}
	ncol := len(r.cols)
	total := len(r.names)
	var parts []record.Value
	for len(b.Rows) < max && b.ArenaLen() < arenaLimit {
		c := r.cur
		if c == nil || r.pos >= c.n {
			if c != nil {
				if c.last {
					r.nextRG++
				}
				r.cur = nil
				r.free <- c
			}
			if r.nextRG >= len(r.meta.RowGroups) {
				r.offset.Store(r.src.Size)
				b.Offset = r.src.Size
				if err := r.src.Unchanged(); err != nil {
					r.err = &FileError{File: r.src.Path, Row: r.rows, Err: err}
					return r.err
				}
				return io.EOF
			}
			c, ok := <-r.outs[r.nextRG%r.workers]
			if !ok || c.rg != r.nextRG {
				r.err = &FileError{File: r.src.Path, Row: r.rows, Err: &ParquetError{RowGroup: r.nextRG, Err: errors.New("internal error: row groups out of order")}}
				return r.err
			}
			if c.err != nil {
				r.err = &FileError{File: r.src.Path, Row: r.rows, Err: c.err}
				r.free <- c
				b.Offset = r.Offset()
				return r.err
			}
			r.cur, r.pos = c, 0
			continue
		}
		if parts == nil && len(r.parts) > 0 {
			parts = make([]record.Value, len(r.parts))
			for j, p := range r.parts {
				if !p.null {
					parts[j] = record.Value{Kind: record.String, Bytes: b.Copy(p.value)}
				}
			}
		}
		if r.pos == 0 && c.n <= max-len(b.Rows) && (b.ArenaLen() == 0 || b.ArenaLen()+len(c.arena) <= arenaLimit) {
			// The whole chunk: one copy of its arena.
			arena := b.Copy(c.arena)
			for i := 0; i < c.n; i++ {
				vals := b.Values(total)
				for k, cell := range c.cells[i*ncol : i*ncol+ncol] {
					if cell.kind != record.Null {
						vals[k] = record.Value{Kind: cell.kind, Bytes: arena[cell.off:cell.end:cell.end]}
					}
				}
				copy(vals[ncol:], parts)
				b.Rows = append(b.Rows, record.Row{Num: c.first + int64(i) + 1, Group: c.rg, Schema: r.schema, Values: vals, Err: c.errs[i]})
			}
			r.pos = c.n
			r.rows += int64(c.n)
			continue
		}
		i := r.pos
		vals := b.Values(total)
		for k, cell := range c.cells[i*ncol : i*ncol+ncol] {
			if cell.kind != record.Null {
				vals[k] = record.Value{Kind: cell.kind, Bytes: b.Copy(c.arena[cell.off:cell.end])}
			}
		}
		copy(vals[ncol:], parts)
		b.Rows = append(b.Rows, record.Row{Num: c.first + int64(i) + 1, Group: c.rg, Schema: r.schema, Values: vals, Err: c.errs[i]})
		r.pos++
		r.rows++
	}
	r.updateOffset()
	b.Offset = r.Offset()
	return nil
}

func (r *parquetReader) updateOffset() {
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

// Close stops the decoding goroutines and closes the file.
func (r *parquetReader) Close() error {
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
	return r.src.Close()
}

// chunk sizing: rows a chunk holds, adapted to the bytes a row takes.
const (
	pqChunkBytes   = 256 << 10 // a few chunks fill a batch's 1 MiB arena
	pqChunkMinRows = 64
	pqChunkMaxRows = 2048
	pqOutQueue     = 2 // chunks a goroutine may decode ahead
)

func (r *parquetReader) start() {
	r.started = true
	r.decideBinaryText()
	n := len(r.meta.RowGroups)
	r.workers = max(1, min(2, runtime.GOMAXPROCS(0), n))
	r.done = make(chan struct{})
	pool := r.workers*(pqOutQueue+1) + 1
	r.free = make(chan *pqChunk, pool)
	for i := 0; i < pool; i++ {
		r.free <- &pqChunk{}
	}
	r.outs = make([]chan *pqChunk, r.workers)
	for w := range r.outs {
		r.outs[w] = make(chan *pqChunk, pqOutQueue)
	}
	for w := range r.outs {
		r.wg.Add(1)
		go r.work(w)
	}
}

// work decodes row groups w, w+workers, … in order.
func (r *parquetReader) work(w int) {
	defer r.wg.Done()
	defer close(r.outs[w])
	d := &pqDecoder{maxDepth: r.opts.MaxDepth}
	scan := &chunkScanner{ra: r.src.file, dataEnd: r.dataEnd, lim: r.lim}
	for rg := w; rg < len(r.meta.RowGroups); rg += r.workers {
		if !r.decodeRowGroup(rg, d, scan, r.outs[w]) {
			return
		}
	}
}

// getChunk waits for a free chunk; nil when the reader is closing.
func (r *parquetReader) getChunk() *pqChunk {
	select {
	case c := <-r.free:
		return c
	case <-r.done:
		return nil
	}
}

func (r *parquetReader) send(out chan<- *pqChunk, c *pqChunk) bool {
	select {
	case out <- c:
		return true
	case <-r.done:
		return false
	}
}

// openCursors checks the page headers of every column decoded in row
// group rg before parquet-go reads them (with a shadow file its pages were
// checked when the file was opened: the headers are read again for the
// consistency checks), and opens a cursor on each. On an error it returns
// the column's path.
func (r *parquetReader) openCursors(rg int, scan *chunkScanner) ([]*leafCursor, string, error) {
	meta := &r.meta.RowGroups[rg]
	rows := meta.NumRows
	headers := make([][]pqPage, len(r.sch.leaves))
	for j, l := range r.sch.leaves {
		if !r.wantLeaf[j] {
			continue
		}
		pages, err := scan.scan(&meta.Columns[j].MetaData, rows, l, r.shadow != nil)
		if err != nil {
			return nil, l.path, err
		}
		headers[j] = pages
	}
	if len(r.cols) == 0 && len(r.sch.leaves) > 0 {
		// Nothing to decode (only partition keys asked for): the row count
		// is still held to a column's values, not taken on trust.
		if _, err := scan.scan(&meta.Columns[0].MetaData, rows, r.sch.leaves[0], r.shadow != nil); err != nil {
			return nil, r.sch.leaves[0].path, err
		}
	}
	chunks := r.file.RowGroups()[rg].ColumnChunks()
	cursors := make([]*leafCursor, len(r.sch.leaves))
	for j, l := range r.sch.leaves {
		if !r.wantLeaf[j] {
			continue
		}
		r.opened[j].Add(1)
		cursors[j] = &leafCursor{leaf: l, pages: chunks[j].Pages(), buf: make([]parquet.Value, 256)}
		cursors[j].expect(headers[j], &meta.Columns[j].MetaData, r.sch.top[l.top].kind == pqPrimitive, r.typeDefinedOrder(j))
	}
	return cursors, "", nil
}

// decodeRowGroup decodes one row group into chunks sent to out. It returns
// false when it sent an error or the reader is closing.
func (r *parquetReader) decodeRowGroup(rg int, d *pqDecoder, scan *chunkScanner, out chan<- *pqChunk) (ok bool) {
	var cursors []*leafCursor
	var c *pqChunk
	fail := func(err error, column string) bool {
		var pe *ParquetError
		if errors.As(err, &pe) && pe.RowGroup < 0 {
			pe.RowGroup = rg
		} else if pe == nil {
			err = &ParquetError{RowGroup: rg, Column: column, Err: err}
		}
		if c == nil {
			if c = r.getChunk(); c == nil {
				return false
			}
		}
		c.reset(rg, r.rgFirst[rg], 0, 0)
		c.err = err
		r.send(out, c)
		return false
	}
	defer func() {
		for _, cur := range cursors {
			if cur != nil {
				cur.close()
			}
		}
	}()
	defer func() {
		if p := recover(); p != nil {
			if panicInOurCode() {
				ok = fail(fmt.Errorf("internal error reading the row group (please report it): %v", p), "")
				return
			}
			ok = fail(fmt.Errorf("%w: the Parquet library failed on this row group: %v", ErrParquetCorrupt, p), "")
		}
	}()
	meta := &r.meta.RowGroups[rg]
	rows := meta.NumRows
	if r.shadow != nil {
		defer r.shadow.forget(rg)
	}
	var column string
	var err error
	if cursors, column, err = r.openCursors(rg, scan); err != nil {
		return fail(err, column)
	}
	a := &pqAssembler{d: d, cur: cursors}
	ncol := len(r.cols)
	maxRow := r.opts.MaxRecordBytes
	target := int64(256)
	var done int64
	for first := true; first || done < rows; first = false {
		if c = r.getChunk(); c == nil {
			return false
		}
		n := min(target, rows-done)
		c.reset(rg, r.rgFirst[rg]+done, int(n), ncol)
		for k, top := range r.cols {
			node := r.sch.top[top]
			a.rowInRG = done
			if err := a.decodeColumn(c, k, ncol, node, int(n), maxRow); err != nil {
				return fail(err, node.name)
			}
		}
		done += n
		if done == rows {
			// Every column must end here, with the values the footer counts.
			for j, cur := range cursors {
				if cur == nil {
					continue
				}
				if _, err := cur.peek(); err != io.EOF {
					if err == nil {
						err = fmt.Errorf("%w: the column holds more values than the row group's %d rows", ErrParquetCorrupt, rows)
					}
					return fail(err, r.sch.leaves[j].path)
				}
				if want := meta.Columns[j].MetaData.NumValues; cur.read != want {
					return fail(fmt.Errorf("%w: %d values read, the footer says %d", ErrParquetCorrupt, cur.read, want), r.sch.leaves[j].path)
				}
				if err := cur.checkChunk(); err != nil {
					return fail(err, r.sch.leaves[j].path)
				}
			}
			c.last = true
			r.takeWarnings(d)
		}
		if n > 0 {
			per := max(1, int64(len(c.arena))/n)
			target = min(pqChunkMaxRows, max(pqChunkMinRows, pqChunkBytes/per))
		}
		sent := c
		c = nil
		if !r.send(out, sent) {
			return false
		}
	}
	return true
}
