package parquet

import (
	"encoding/binary"
	"fmt"

	parquetgo "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// Consistency checks, on for every file. parquet-go v0.32.0 trusts a
// page's header for the number of values it holds: a page whose data holds
// fewer (a column written OPTIONAL whose schema was later made REQUIRED, a
// damaged or hand-edited file) decodes into values that are shifted or
// taken from another page's memory, without an error. With data pages v2,
// an OPTIONAL column with 100 nulls in 1,000 rows declared REQUIRED reads
// as 900 rows whose values are shifted, and io.EOF (no upstream issue
// found; TestUpstreamRequiredColumnShifted in upstream_test.go fails once
// parquet-go refuses it, and the null and value count checks below can go;
// the statistics checks stay, they catch writers' mistakes). So what the
// file says of its contents is compared with what decodes, and a
// disagreement is a file error naming the row group and the column, before
// or at the row where it shows:
//
//   - every page header (checkPageHeader, when the row group's headers are
//     scanned): a REQUIRED column has no nulls (data page v2 num_nulls, page
//     statistics); a REQUIRED top-level column in PLAIN encoding of a
//     fixed-size type holds exactly num_values × size bytes;
//   - every page as it decodes (checkPage): as many values (levels) as its
//     header declares, and, outside lists, as many nulls as its header (v2)
//     or, for a top-level column, its statistics count;
//   - every column chunk at the end of its row group (checkChunk, after the
//     checks of guard.go and decodeRowGroup on the value and row
//     counts): a REQUIRED column's statistics count no nulls, and a
//     top-level column holds as many nulls as they count;
//   - every value of a top-level integer, decimal, date, time or timestamp
//     column lies within its chunk's min_value and max_value, where the file
//     declares them in the type's own order (rangeCheck).
//
// Statistics are optional: a count of 0 may mean "not written", so only a
// positive null count is compared.

// checkPageHeader checks what a data page header says against leaf l.
func checkPageHeader(l *pqLeaf, h *format.PageHeader, page int) error {
	var values, nulls int64
	var enc format.Encoding
	var stats *format.Statistics
	var data int64 // bytes of values, when known from the header
	switch {
	case h.Type == format.DataPage && h.DataPageHeader.Valid:
		d := &h.DataPageHeader.V
		values, enc, stats = int64(d.NumValues), d.Encoding, &d.Statistics
		nulls = -1
		data = int64(h.UncompressedPageSize)
	case h.Type == format.DataPageV2 && h.DataPageHeaderV2.Valid:
		d := &h.DataPageHeaderV2.V
		values, nulls, enc, stats = int64(d.NumValues), int64(d.NumNulls), d.Encoding, &d.Statistics
		data = int64(h.UncompressedPageSize) - int64(d.DefinitionLevelsByteLength) - int64(d.RepetitionLevelsByteLength)
	default:
		return nil
	}
	if l.maxDef > 0 {
		return nil
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: page %d: %s", ErrCorrupt, page, fmt.Sprintf(format, args...))
	}
	switch {
	case nulls > 0:
		return bad("the column is REQUIRED but the page header counts %d nulls", nulls)
	case stats.NullCount > 0:
		return bad("the column is REQUIRED but the page statistics count %d nulls", stats.NullCount)
	}
	if size := plainSize(l, values); enc == format.Plain && l.maxRep == 0 && size >= 0 && data != size {
		return bad("%d values of a REQUIRED column take %d bytes in PLAIN encoding, the page holds %d: its values do not match its header", values, size, data)
	}
	return nil
}

// plainSize is the size of n PLAIN values of a fixed-size type, or -1.
func plainSize(l *pqLeaf, n int64) int64 {
	switch l.physical {
	case format.Boolean:
		return (n + 7) / 8
	case format.Int32, format.Float:
		return 4 * n
	case format.Int64, format.Double:
		return 8 * n
	case format.Int96:
		return 12 * n
	case format.FixedLenByteArray:
		return int64(l.typeLen) * n
	}
	return -1
}

// pqExpect is what a column chunk's headers and statistics say, for the
// checks as it decodes.
type pqExpect struct {
	pages   []pqPage // data pages, in order
	page    int      // data pages decoded
	nulls   int64    // nulls decoded
	md      *format.ColumnMetaData
	flatTop bool // a top-level primitive column

	rangeOn bool  // check values against lo, hi
	lo, hi  int64 // the chunk's min_value and max_value
}

// expect prepares the checks of a column chunk whose pages the scan found.
func (c *leafCursor) expect(pages []pqPage, md *format.ColumnMetaData, flatTop, ordered bool) {
	e := &c.check
	e.pages = e.pages[:0]
	for i := range pages {
		if t := pages[i].hdr.Type; t == format.DataPage || t == format.DataPageV2 {
			e.pages = append(e.pages, pages[i])
		}
	}
	e.md, e.flatTop = md, flatTop
	st := &md.Statistics
	if !flatTop || !ordered || st.MinValue == nil || st.MaxValue == nil {
		return
	}
	switch c.leaf.conv {
	case convInt32, convInt64, convDecimal, convDate, convTime, convTimestamp:
	default:
		return
	}
	switch {
	case c.leaf.physical == format.Int32 && len(st.MinValue) == 4 && len(st.MaxValue) == 4:
		e.lo = int64(int32(binary.LittleEndian.Uint32(st.MinValue)))
		e.hi = int64(int32(binary.LittleEndian.Uint32(st.MaxValue)))
	case c.leaf.physical == format.Int64 && len(st.MinValue) == 8 && len(st.MaxValue) == 8:
		e.lo = int64(binary.LittleEndian.Uint64(st.MinValue))
		e.hi = int64(binary.LittleEndian.Uint64(st.MaxValue))
	default:
		return
	}
	e.rangeOn = e.lo <= e.hi
}

// checkPage compares a page as parquet-go decoded it with its header.
func (c *leafCursor) checkPage(p parquetgo.Page) error {
	e := &c.check
	k := e.page
	e.page++
	if k >= len(e.pages) {
		return fmt.Errorf("%w: more data pages decode than the column chunk holds (%d)", ErrCorrupt, len(e.pages))
	}
	h := e.pages[k].hdr
	nulls := p.NumNulls()
	var values int64
	var statNulls int64
	if h.DataPageHeaderV2.Valid {
		d := &h.DataPageHeaderV2.V
		values, statNulls = int64(d.NumValues), d.Statistics.NullCount
		// (under a list, writers may count only the nulls of elements)
		if c.leaf.maxRep == 0 && int64(d.NumNulls) != nulls {
			return fmt.Errorf("%w: data page %d: the header counts %d nulls, %d decode", ErrCorrupt, k, d.NumNulls, nulls)
		}
	} else {
		values, statNulls = int64(h.DataPageHeader.V.NumValues), h.DataPageHeader.V.Statistics.NullCount
	}
	if n := p.NumValues(); n != values {
		return fmt.Errorf("%w: data page %d: the header declares %d values, %d decode", ErrCorrupt, k, values, n)
	}
	// Writers disagree on what a page's null count means under a list
	// (parquet-cpp leaves out empty and null lists): only top-level
	// columns are held to it.
	if statNulls > 0 && e.flatTop && statNulls != nulls {
		return fmt.Errorf("%w: data page %d: the page statistics count %d nulls, %d decode", ErrCorrupt, k, statNulls, nulls)
	}
	e.nulls += nulls
	return nil
}

// checkChunk compares a fully read column chunk with its statistics.
func (c *leafCursor) checkChunk() error {
	e := &c.check
	if e.page != len(e.pages) {
		return fmt.Errorf("%w: %d of the column chunk's %d data pages decoded", ErrCorrupt, e.page, len(e.pages))
	}
	if n := e.md.Statistics.NullCount; n > 0 && e.flatTop && n != e.nulls {
		return fmt.Errorf("%w: the column chunk's statistics count %d nulls, its pages hold %d", ErrCorrupt, n, e.nulls)
	}
	return nil
}

// typeDefinedOrder reports whether leaf j's statistics min_value and
// max_value follow its type's order (the footer's column_orders).
func (r *Reader) typeDefinedOrder(j int) bool {
	co := r.meta.ColumnOrders
	if j >= len(co) {
		return false
	}
	_, ok := co[j].Value.(*format.TypeDefinedOrder)
	return ok
}
