package parquet

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/groupimport/groupimport/internal/jsonx"
	"github.com/groupimport/groupimport/record"
	parquetgo "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// Decoding: each leaf column of a row group is read as a stream of values
// with their repetition and definition levels (leafCursor), and each
// top-level column is assembled from the streams of its leaves, one row at a
// time (pqAssembler), checking on the way that the levels agree with the
// schema and with each other. A chunk of rows is decoded column by column
// into a pqChunk, whose cells point into the chunk's arena.

// leafCursor streams the values of one column chunk across its pages.
type leafCursor struct {
	leaf  *pqLeaf
	pages parquetgo.Pages
	page  parquetgo.Page
	vr    parquetgo.ValueReader
	left  int64 // values the current page still owes
	buf   []parquetgo.Value
	i, n  int
	read  int64 // values consumed
	eof   bool

	// Text columns: a dictionary whose entries are all valid UTF-8 need not
	// be validated value by value, nor, when none needs escaping in JSON,
	// be looked at again by the payload's writer (record.Value.Plain).
	dict      parquetgo.Dictionary
	dictValid bool
	dictPlain bool
	trusted   bool // the current page's values are known valid UTF-8
	plain     bool // and to need no escaping

	check pqExpect // what the headers and statistics say (check.go)
}

// peek returns the next value without consuming it, or io.EOF at the end
// of the column chunk. The value is valid until the next peek after advance.
func (c *leafCursor) peek() (*parquetgo.Value, error) {
	if c.i < c.n {
		return &c.buf[c.i], nil
	}
	if err := c.fill(); err != nil {
		return nil, err
	}
	return &c.buf[c.i], nil
}

func (c *leafCursor) advance() {
	c.i++
	c.read++
}

func (c *leafCursor) fill() error {
	if c.eof {
		return io.EOF
	}
	for {
		if c.vr != nil && c.left > 0 {
			n, err := c.vr.ReadValues(c.buf[:min(int64(len(c.buf)), c.left)])
			if n > 0 {
				c.i, c.n = 0, n
				c.left -= int64(n)
				return nil
			}
			if err == nil || err == io.EOF {
				return c.err(fmt.Errorf("%w: a page holds fewer values than its header declares", ErrCorrupt))
			}
			return c.err(err)
		}
		if c.page != nil {
			parquetgo.Release(c.page)
			c.page, c.vr = nil, nil
		}
		p, err := c.pages.ReadPage()
		if err == io.EOF {
			c.eof = true
			return io.EOF
		}
		if err != nil {
			return c.err(err)
		}
		c.page = p
		if err := c.checkPage(p); err != nil {
			return c.err(err)
		}
		c.vr = p.Values()
		c.left = p.NumValues()
		c.trusted, c.plain = false, false
		if c.leaf.conv == convString {
			if d := p.Dictionary(); d != nil {
				if d != c.dict {
					c.dict = d
					c.dictValid, c.dictPlain = validDictionary(d)
				}
				c.trusted, c.plain = c.dictValid, c.dictPlain
			}
		}
		if c.left < 0 {
			return c.err(fmt.Errorf("%w: a page declares %d values", ErrCorrupt, c.left))
		}
	}
}

// window returns the buffered values not yet consumed (at least one), or
// io.EOF at the end of the column chunk.
func (c *leafCursor) window() ([]parquetgo.Value, error) {
	if c.i >= c.n {
		if err := c.fill(); err != nil {
			return nil, err
		}
	}
	return c.buf[c.i:c.n], nil
}

// skip consumes k values of the window.
func (c *leafCursor) skip(k int) {
	c.i += k
	c.read += int64(k)
}

// validDictionary reports whether every entry of a dictionary is valid
// UTF-8, and whether every one is plain (needs no escaping in JSON).
func validDictionary(d parquetgo.Dictionary) (valid, plain bool) {
	n := d.Len()
	plain = true
	for i := 0; i < n; i++ {
		b := d.Index(int32(i)).ByteArray()
		if !utf8.Valid(b) {
			return false, false
		}
		plain = plain && !jsonx.NeedsEscape(b)
	}
	return true, plain
}

func (c *leafCursor) err(err error) error {
	return &Error{RowGroup: -1, Column: c.leaf.path, Err: err}
}

func (c *leafCursor) close() {
	if c.page != nil {
		parquetgo.Release(c.page)
		c.page, c.vr = nil, nil
	}
	if c.pages != nil {
		c.pages.Close()
		c.pages = nil
	}
}

// pqCell is one decoded value of a chunk: a kind and a range of the arena.
type pqCell struct {
	off, end int
	kind     record.Kind
	plain    bool // record.Value.Plain
}

// pqChunk is a run of decoded rows of one row group.
type pqChunk struct {
	rg    int
	first int64 // 0-based index in the file of the first row
	n     int
	cells []pqCell // n × columns, row-major
	arena []byte
	errs  []*record.Error // per row: why it is rejected, or nil
	sizes []int           // bytes per row, for the row limit
	last  bool            // the last chunk of its row group
	err   error           // the row group (and file) cannot be read further
}

// reset prepares the chunk for n rows of ncol columns.
func (c *pqChunk) reset(rg int, first int64, n, ncol int) {
	c.rg, c.first, c.n, c.last, c.err = rg, first, n, false, nil
	c.arena = c.arena[:0]
	c.cells = resize(c.cells, n*ncol)
	c.errs = resize(c.errs, n)
	clear(c.errs)
	c.sizes = resize(c.sizes, n)
	clear(c.sizes)
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// pqAssembler writes the values of top-level columns.
type pqAssembler struct {
	d       *pqDecoder
	cur     []*leafCursor
	out     []byte
	start   int // where the current cell starts in out
	limit   int // bytes a cell may take
	skip    bool
	rowErr  *record.Error
	column  string // the top-level column being written
	rowInRG int64  // row being written, 0-based within the row group
}

// corrupt is an error that stops the row group: the levels do not add up.
func (a *pqAssembler) corrupt(l *pqLeaf, format string, args ...any) error {
	return &Error{RowGroup: -1, Column: l.path, Err: fmt.Errorf("%w: row %d of the row group: %s", ErrCorrupt, a.rowInRG+1, fmt.Sprintf(format, args...))}
}

// fail rejects the current row with a code and a reason about the value
// at path, and drops the rest of the cell.
func (a *pqAssembler) fail(path, code, reason string) {
	if a.rowErr == nil {
		if path != a.column {
			reason = path + ": " + reason
		}
		a.rowErr = &record.Error{Code: code, Column: a.column, Reason: reason}
	}
	a.skip = true
	a.out = a.out[:a.start]
}

func (a *pqAssembler) put(s string) {
	if !a.skip {
		a.out = append(a.out, s...)
	}
}

func (a *pqAssembler) putByte(c byte) {
	if !a.skip {
		a.out = append(a.out, c)
	}
}

// checkSize rejects a cell that grows past the limit.
func (a *pqAssembler) checkSize() {
	if !a.skip && len(a.out)-a.start > a.limit {
		a.fail(a.column, record.CodeTooLarge, fmt.Sprintf("the value decodes to more than %d bytes (the record size limit)", a.limit))
	}
}

func (a *pqAssembler) eofErr(l *pqLeaf, err error) error {
	if err == io.EOF {
		return &Error{RowGroup: -1, Column: l.path, Err: fmt.Errorf("%w: the column ends at row %d of the row group, before the row count the footer gives", ErrCorrupt, a.rowInRG+1)}
	}
	return err
}

// first returns the next value of the first leaf under n and checks its
// repetition level.
func (a *pqAssembler) first(n *pqNode, rep int) (*parquetgo.Value, *pqLeaf, error) {
	c := a.cur[n.lo]
	v, err := c.peek()
	if err != nil {
		return nil, c.leaf, a.eofErr(c.leaf, err)
	}
	if v.RepetitionLevel() != rep {
		return nil, c.leaf, a.corrupt(c.leaf, "repetition level %d where %d was expected", v.RepetitionLevel(), rep)
	}
	if v.DefinitionLevel() > c.leaf.maxDef {
		return nil, c.leaf, a.corrupt(c.leaf, "definition level %d above the column's maximum %d", v.DefinitionLevel(), c.leaf.maxDef)
	}
	return v, c.leaf, nil
}

// consume takes one value, with the given levels, from every leaf under n:
// the node is null or empty at this position.
func (a *pqAssembler) consume(n *pqNode, rep, def int) error {
	for k := n.lo; k < n.hi; k++ {
		c := a.cur[k]
		v, err := c.peek()
		if err != nil {
			return a.eofErr(c.leaf, err)
		}
		if v.RepetitionLevel() != rep || v.DefinitionLevel() != def {
			return a.corrupt(c.leaf, "levels (r=%d, d=%d) disagree with the column's neighbours (r=%d, d=%d)", v.RepetitionLevel(), v.DefinitionLevel(), rep, def)
		}
		c.advance()
	}
	return nil
}

// null handles a node absent at definition level def: it must be optional
// and its parent present.
func (a *pqAssembler) null(n *pqNode, l *pqLeaf, rep, def int) error {
	if n.repType != format.Optional || def != n.def-1 {
		return a.corrupt(l, "definition level %d leaves the required field %q undefined", def, n.path)
	}
	a.put("null")
	return a.consume(n, rep, def)
}

// emit writes node n (whose parent is present) as JSON.
func (a *pqAssembler) emit(n *pqNode, rep int) error {
	v, l, err := a.first(n, rep)
	if err != nil {
		return err
	}
	def := v.DefinitionLevel()
	if def < n.def {
		return a.null(n, l, rep, def)
	}
	switch n.kind {
	case pqPrimitive:
		if def != l.maxDef {
			return a.corrupt(l, "definition level %d for a value of maximum level %d", def, l.maxDef)
		}
		if !a.skip {
			raw, kind, cerr := a.d.appendLeaf(a.d.scratch[:0], l, v)
			a.d.scratch = raw
			if cerr != nil {
				a.fail(n.path, cerr.code, cerr.reason)
			} else {
				switch kind {
				case record.String, record.Time:
					a.out = jsonx.AppendString(a.out, raw)
				case record.Null:
					a.out = append(a.out, "null"...)
				default:
					a.out = append(a.out, raw...)
				}
				a.checkSize()
			}
		}
		a.cur[l.index].advance()
		return nil
	case pqVariant:
		return a.emitVariant(n, rep)
	case pqShred:
		return a.emitShred(n, rep)
	case pqStruct:
		a.putByte('{')
		for i, c := range n.children {
			if i > 0 {
				a.putByte(',')
			}
			if !a.skip {
				a.out = jsonx.AppendStringS(a.out, c.name)
				a.out = append(a.out, ':')
			}
			if err := a.emit(c, rep); err != nil {
				return err
			}
		}
		a.putByte('}')
		return nil
	}
	return a.emitRepeated(n, rep, def)
}

// emitRepeated writes a present list (a JSON array) or map (a JSON
// object) whose first entry is at repetition level rep and definition
// level def.
func (a *pqAssembler) emitRepeated(n *pqNode, rep, def int) error {
	r := n.repeated
	isMap := n.kind == pqMap
	if def < r.def { // present but empty
		if isMap {
			a.put("{}")
		} else {
			a.put("[]")
		}
		return a.consume(n, rep, def)
	}
	if isMap {
		a.putByte('{')
	} else {
		a.putByte('[')
	}
	var spanBuf [8]mapSpan
	spans := spanBuf[:0]
	for i := 0; ; i++ {
		if i > 0 {
			a.putByte(',')
		}
		if isMap {
			start := len(a.out)
			if err := a.emitKey(n.key, rep); err != nil {
				return err
			}
			keyEnd := len(a.out)
			a.putByte(':')
			if n.value == nil {
				a.put("null")
			} else if err := a.emit(n.value, rep); err != nil {
				return err
			}
			spans = append(spans, mapSpan{start, keyEnd, len(a.out)})
		} else if err := a.emit(n.elem, rep); err != nil {
			return err
		}
		a.checkSize()
		rep = r.rep
		c := a.cur[n.lo]
		v, err := c.peek()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if lv := v.RepetitionLevel(); lv < r.rep {
			break
		} else if lv > r.rep {
			return a.corrupt(c.leaf, "repetition level %d after a complete element of level %d", lv, r.rep)
		}
	}
	if isMap {
		if len(spans) > 1 && !a.skip {
			a.lastKeyWins(n, spans)
		}
		a.putByte('}')
	} else {
		a.putByte(']')
	}
	return nil
}

// mapSpan is where a map entry was written: its key in [start, keyEnd),
// the whole entry in [start, end).
type mapSpan struct{ start, keyEnd, end int }

// lastKeyWins rewrites a map's entries (in a.out) so that a key written
// more than once keeps only its last entry, where that entry stood, and
// counts the entries dropped as a warning about the column.
func (a *pqAssembler) lastKeyWins(n *pqNode, spans []mapSpan) {
	key := func(i int) []byte { return a.out[spans[i].start:spans[i].keyEnd] }
	drop := make([]bool, len(spans))
	dropped := 0
	if len(spans) <= 16 {
		for i := range spans {
			for j := i + 1; j < len(spans); j++ {
				if bytes.Equal(key(i), key(j)) {
					drop[i] = true
					dropped++
					break
				}
			}
		}
	} else {
		last := make(map[string]int, len(spans))
		for i := range spans {
			last[string(key(i))] = i
		}
		for i := range spans {
			if last[string(key(i))] != i {
				drop[i] = true
				dropped++
			}
		}
	}
	if dropped == 0 {
		return
	}
	kept := a.d.scratch[:0]
	for i, sp := range spans {
		if drop[i] {
			continue
		}
		if len(kept) > 0 {
			kept = append(kept, ',')
		}
		kept = append(kept, a.out[sp.start:sp.end]...)
	}
	a.d.scratch = kept
	a.out = append(a.out[:spans[0].start], kept...)
	a.d.warn(fmt.Sprintf("column %q: a map repeats a key; the last value is kept", n.path), int64(dropped))
}

// emitKey writes a map key as a JSON string.
func (a *pqAssembler) emitKey(n *pqNode, rep int) error {
	v, l, err := a.first(n, rep)
	if err != nil {
		return err
	}
	if v.DefinitionLevel() < n.def || n.kind != pqPrimitive {
		if v.DefinitionLevel() < n.def {
			a.fail(n.path, record.CodeNullMapKey, "a map key is null")
			return a.consume(n, rep, v.DefinitionLevel())
		}
		// a group as a key: its JSON text, as a string
		saved, start := a.out, a.start
		a.out, a.start = nil, 0
		err := a.emit(n, rep)
		text := a.out
		a.out, a.start = saved, start
		if err == nil && !a.skip {
			a.out = jsonx.AppendString(a.out, text)
		}
		return err
	}
	if v.DefinitionLevel() != l.maxDef {
		return a.corrupt(l, "definition level %d for a value of maximum level %d", v.DefinitionLevel(), l.maxDef)
	}
	if !a.skip {
		raw, kind, cerr := a.d.appendLeaf(a.d.scratch[:0], l, v)
		a.d.scratch = raw
		switch {
		case cerr != nil:
			a.fail(n.path, cerr.code, cerr.reason)
		case kind == record.Null:
			a.fail(n.path, record.CodeNullMapKey, "a map key is null (NaN or infinite)")
		default:
			a.out = jsonx.AppendString(a.out, raw)
		}
	}
	a.cur[l.index].advance()
	return nil
}

// decodeColumn decodes rows of the top-level column k into the chunk.
func (a *pqAssembler) decodeColumn(c *pqChunk, k, ncol int, n *pqNode, rows int, maxRow int) error {
	a.column = n.name
	base := a.rowInRG
	if n.kind == pqPrimitive {
		return a.decodeFlat(c, k, ncol, n, rows, maxRow)
	}
	for i := 0; i < rows; i++ {
		a.rowInRG = base + int64(i)
		a.out, a.start, a.skip, a.rowErr = c.arena, len(c.arena), false, nil
		a.limit = maxRow
		v, l, err := a.first(n, 0)
		if err != nil {
			return err
		}
		cell := pqCell{off: a.start}
		if def := v.DefinitionLevel(); def < n.def {
			if n.repType != format.Optional || def != n.def-1 {
				return a.corrupt(l, "definition level %d leaves the required field %q undefined", def, n.path)
			}
			if err := a.consume(n, 0, def); err != nil {
				return err
			}
			cell.kind = record.Null
		} else {
			if err := a.emit(n, 0); err != nil {
				return err
			}
			cell.kind = record.JSON
			if n.kind == pqVariant && a.rowErr == nil {
				cell.kind = a.variantCell()
			}
		}
		c.arena = a.out
		if a.rowErr != nil {
			c.arena = c.arena[:a.start]
			cell.kind = record.Null
			c.addErr(i, a.rowErr)
		}
		cell.end = len(c.arena)
		c.put(i, k, ncol, cell, maxRow, n.name)
	}
	a.rowInRG = base
	return nil
}

// decodeFlat decodes a top-level primitive column: one value a row. It
// works through the cursor's buffered values in runs, with the common
// conversions inlined.
func (a *pqAssembler) decodeFlat(c *pqChunk, k, ncol int, n *pqNode, rows int, maxRow int) error {
	l := n.leaf
	cur := a.cur[l.index]
	optional := n.repType == format.Optional
	maxDef := l.maxDef
	base := a.rowInRG
	rangeOn, lo, hi := cur.check.rangeOn, cur.check.lo, cur.check.hi
	int32s := l.physical == format.Int32
	for i := 0; i < rows; {
		vs, err := cur.window()
		if err != nil {
			a.rowInRG = base + int64(i)
			return a.eofErr(l, err)
		}
		vs = vs[:min(len(vs), rows-i)]
		trusted, plain := cur.trusted, cur.plain
		for j := range vs {
			v := &vs[j]
			row := i + j
			if v.RepetitionLevel() != 0 || v.DefinitionLevel() > maxDef {
				cur.skip(j)
				a.rowInRG = base + int64(row)
				return a.corrupt(l, "levels (r=%d, d=%d) for a top-level column", v.RepetitionLevel(), v.DefinitionLevel())
			}
			if rangeOn && v.DefinitionLevel() == maxDef {
				x := v.Int64()
				if int32s {
					x = int64(v.Int32())
				}
				if x < lo || x > hi {
					cur.skip(j)
					a.rowInRG = base + int64(row)
					return a.corrupt(l, "the value %d lies outside the column chunk's statistics (min %d, max %d)", x, lo, hi)
				}
			}
			cell := pqCell{off: len(c.arena)}
			switch {
			case v.DefinitionLevel() < maxDef:
				if !optional {
					cur.skip(j)
					a.rowInRG = base + int64(row)
					return a.corrupt(l, "a null in a required column")
				}
				cell.kind = record.Null
			case l.conv == convString:
				// Text is checked for UTF-8 (unless its dictionary was) and,
				// in the same pass when it is ASCII, for bytes JSON escapes:
				// the payload's writer copies plain text without looking
				// again (see pqCell.plain).
				b := v.ByteArray()
				cell.kind = record.String
				switch {
				case trusted:
					cell.plain = plain
				case jsonx.PlainASCII(b):
					cell.plain = true
				case !utf8.Valid(b):
					cerr := invalidText(l, b)
					c.addErr(row, &record.Error{Code: cerr.code, Column: n.name, Reason: cerr.reason})
					cell.kind = record.Null
				}
				if cell.kind == record.String {
					c.arena = append(c.arena, b...)
				}
			case l.conv == convInt64:
				x := v.Int64()
				c.arena = strconv.AppendInt(c.arena, x, 10)
				cell.kind = record.Number
				if x > maxSafeInt || x < -maxSafeInt {
					cell.kind = record.String
				}
			case l.conv == convInt32:
				c.arena = strconv.AppendInt(c.arena, int64(v.Int32()), 10)
				cell.kind = record.Number
			case l.conv == convBool:
				if v.Boolean() {
					c.arena = append(c.arena, "true"...)
				} else {
					c.arena = append(c.arena, "false"...)
				}
				cell.kind = record.Bool
			default:
				var cerr *convErr
				c.arena, cell.kind, cerr = a.d.appendLeaf(c.arena, l, v)
				if cerr != nil {
					c.arena = c.arena[:cell.off]
					cell.kind = record.Null
					c.addErr(row, &record.Error{Code: cerr.code, Column: n.name, Reason: cerr.reason})
				}
			}
			// put, inline: a call a value was 2.7% of a 3M-membership run
			cell.end = len(c.arena)
			c.sizes[row] += cell.end - cell.off
			if c.sizes[row] > maxRow && cell.end > cell.off {
				cell = c.tooLarge(row, cell, maxRow, n.name)
			}
			c.cells[row*ncol+k] = cell
		}
		cur.skip(len(vs))
		i += len(vs)
	}
	return nil
}

// addErr rejects a row; the first reason is the one reported.
func (c *pqChunk) addErr(row int, e *record.Error) {
	if c.errs[row] == nil {
		c.errs[row] = e
	}
}

// put stores a cell and enforces the row size limit (decodeFlat has the
// same lines inline).
func (c *pqChunk) put(row, k, ncol int, cell pqCell, maxRow int, column string) {
	c.sizes[row] += cell.end - cell.off
	if c.sizes[row] > maxRow && cell.end > cell.off {
		cell = c.tooLarge(row, cell, maxRow, column)
	}
	c.cells[row*ncol+k] = cell
}

// tooLarge rejects a row whose cell takes it over the size limit: the
// cell is dropped from the arena and left null.
func (c *pqChunk) tooLarge(row int, cell pqCell, maxRow int, column string) pqCell {
	c.arena = c.arena[:cell.off]
	c.addErr(row, &record.Error{Code: record.CodeTooLarge, Column: column, Reason: fmt.Sprintf("the row decodes to more than %d bytes (the record size limit)", maxRow)})
	return pqCell{off: cell.off, end: cell.off, kind: record.Null}
}
