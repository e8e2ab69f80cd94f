package parquet

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/groupimport/groupimport/record"
	parquetgo "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// check compares parquet-go's view of the file with the reader's, checks
// the footer's row groups, and settles the columns to decode.
func (r *Reader) check() error {
	if err := r.checkLeaves(); err != nil {
		return err
	}
	if err := r.checkRowGroups(); err != nil {
		return err
	}
	r.selectColumns()
	return nil
}

// checkLeaves requires parquet-go's leaf columns to be the reader's.
func (r *Reader) checkLeaves() error {
	sch := r.sch
	var cols []*parquetgo.Column
	var walk func(c *parquetgo.Column)
	walk = func(c *parquetgo.Column) {
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
		return fmt.Errorf("%w: the schema has %d leaf columns but the library sees %d", ErrCorrupt, len(sch.leaves), len(cols))
	}
	for i, c := range cols {
		l := sch.leaves[i]
		if strings.Join(c.Path(), ".") != l.path || c.MaxDefinitionLevel() != l.maxDef || c.MaxRepetitionLevel() != l.maxRep {
			return fmt.Errorf("%w: leaf column %d is %q (levels %d/%d) for the library but %q (levels %d/%d) for the reader",
				errSchema, i, strings.Join(c.Path(), "."), c.MaxDefinitionLevel(), c.MaxRepetitionLevel(), l.path, l.maxDef, l.maxRep)
		}
	}
	return nil
}

// checkRowGroups checks the row groups and column chunks of the footer and
// notes where each row group starts (in rows and in bytes, for Offset).
func (r *Reader) checkRowGroups() error {
	m := r.meta
	if len(r.file.RowGroups()) != len(m.RowGroups) {
		return fmt.Errorf("%w: %d row groups in the footer, %d opened", ErrCorrupt, len(m.RowGroups), len(r.file.RowGroups()))
	}
	var rows, before int64 = 0, 4
	for g := range m.RowGroups {
		rg := &m.RowGroups[g]
		if rg.NumRows < 0 {
			return &Error{RowGroup: g, Err: fmt.Errorf("%w: the row group has %d rows", ErrCorrupt, rg.NumRows)}
		}
		if len(rg.Columns) != len(r.sch.leaves) {
			return &Error{RowGroup: g, Err: fmt.Errorf("%w: the row group has %d column chunks for %d columns", ErrCorrupt, len(rg.Columns), len(r.sch.leaves))}
		}
		var size int64
		for j := range rg.Columns {
			n, err := r.checkColumnChunk(&rg.Columns[j], r.sch.leaves[j])
			if err != nil {
				return &Error{RowGroup: g, Column: r.sch.leaves[j].path, Err: err}
			}
			size += n
		}
		r.rgFirst = append(r.rgFirst, rows)
		r.rgBytes = append(r.rgBytes, size)
		r.rgBefore = append(r.rgBefore, before)
		rows += rg.NumRows
		before += size
		if rows < 0 {
			return fmt.Errorf("%w: the row counts overflow", ErrCorrupt)
		}
	}
	// Some writers leave the file's row count at 0; the row groups' counts
	// are the ones checked against the data. Any other disagreement is a
	// footer that cannot be trusted.
	if rows != m.NumRows && m.NumRows != 0 {
		return fmt.Errorf("%w: the footer says %d rows but its row groups hold %d", ErrCorrupt, m.NumRows, rows)
	}
	r.rowsNote = rows != m.NumRows
	return nil
}

// checkColumnChunk checks the footer's metadata of a column chunk of leaf l
// and returns its compressed size.
func (r *Reader) checkColumnChunk(cc *format.ColumnChunk, l *pqLeaf) (int64, error) {
	if cc.FilePath != "" {
		return 0, fmt.Errorf("the column's data is in another file (%q); such files are not supported", cc.FilePath)
	}
	md := &cc.MetaData
	if md.Type != l.physical {
		return 0, fmt.Errorf("%w: the column chunk is %s but the schema says %s", ErrCorrupt, md.Type, l.physical)
	}
	if p := strings.Join(md.PathInSchema, "."); p != l.path {
		return 0, fmt.Errorf("%w: the column chunk is for %q", ErrCorrupt, p)
	}
	switch md.Codec {
	case format.Uncompressed, format.Snappy, format.Gzip, format.Brotli, format.Zstd, format.Lz4Raw:
	default:
		return 0, fmt.Errorf("the compression codec %s is not supported (use SNAPPY, ZSTD, GZIP, BROTLI, LZ4_RAW or none)", md.Codec)
	}
	if md.TotalCompressedSize < 0 || md.TotalCompressedSize > r.dataEnd {
		return 0, fmt.Errorf("%w: the column chunk claims %d bytes", ErrCorrupt, md.TotalCompressedSize)
	}
	return md.TotalCompressedSize, nil
}

// selectColumns settles the columns: the file's, then the partitions, less
// those the caller does not need.
func (r *Reader) selectColumns() {
	sch := r.sch
	want := func(name string) bool { return r.opts.Columns == nil || slices.Contains(r.opts.Columns, name) }
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
	for _, p := range r.opts.Partitions {
		if slices.Contains(fileNames, p.Name) {
			r.ignored = append(r.ignored, p.Name)
			continue
		}
		if !want(p.Name) || slices.Contains(r.names, p.Name) {
			continue
		}
		r.parts = append(r.parts, p)
		r.names = append(r.names, p.Name)
	}
	r.schema = record.NewSchema(r.names)
}

// openedColumns lists the leaf columns whose chunks were handed to
// parquet-go so far (for tests of projection).
func (r *Reader) openedColumns() []string {
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
