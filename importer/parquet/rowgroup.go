package parquet

import (
	"errors"
	"fmt"
	"io"
	"runtime"

	parquetgo "github.com/parquet-go/parquet-go"
)

// chunk sizing: rows a chunk holds, adapted to the bytes a row takes.
const (
	pqChunkBytes   = 256 << 10 // a few chunks fill a batch's 1 MiB arena
	pqChunkMinRows = 64
	pqChunkMaxRows = 2048
	pqOutQueue     = 2 // chunks a goroutine may decode ahead
)

func (r *Reader) start() {
	r.started = true
	r.decideBinaryText()
	n := len(r.meta.RowGroups)
	r.workers = max(1, min(2, runtime.GOMAXPROCS(0), n))
	if r.opts.FirstRows {
		r.workers = 1
	}
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
func (r *Reader) work(w int) {
	defer r.wg.Done()
	defer close(r.outs[w])
	d := &pqDecoder{maxDepth: r.opts.MaxDepth}
	scan := &chunkScanner{ra: r.ra, dataEnd: r.dataEnd, lim: r.lim}
	for rg := w; rg < len(r.meta.RowGroups); rg += r.workers {
		if !r.decodeRowGroup(rg, d, scan, r.outs[w]) {
			return
		}
	}
}

// getChunk waits for a free chunk; nil when the reader is closing.
func (r *Reader) getChunk() *pqChunk {
	select {
	case c := <-r.free:
		return c
	case <-r.done:
		return nil
	}
}

func (r *Reader) send(out chan<- *pqChunk, c *pqChunk) bool {
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
func (r *Reader) openCursors(rg int, scan *chunkScanner) ([]*leafCursor, string, error) {
	meta := &r.meta.RowGroups[rg]
	rows := meta.NumRows
	r.prefetch(rg)
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
		cursors[j] = &leafCursor{leaf: l, pages: chunks[j].Pages(), buf: make([]parquetgo.Value, 256)}
		cursors[j].expect(headers[j], &meta.Columns[j].MetaData, r.sch.top[l.top].kind == pqPrimitive, r.typeDefinedOrder(j))
	}
	return cursors, "", nil
}

// decodeRowGroup decodes one row group into chunks sent to out. It returns
// false when it sent an error or the reader is closing.
func (r *Reader) decodeRowGroup(rg int, d *pqDecoder, scan *chunkScanner, out chan<- *pqChunk) (ok bool) {
	var cursors []*leafCursor
	var c *pqChunk
	fail := func(err error, column string) bool {
		var pe *Error
		if errors.As(err, &pe) && pe.RowGroup < 0 {
			pe.RowGroup = rg
		} else if pe == nil {
			err = &Error{RowGroup: rg, Column: column, Err: err}
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
	// parquet-go panics on some malformed pages (parquet-go#537; see
	// guard.go and TestUpstreamPanicOnV2Levels): a file error, unless the
	// panic is in this module's code.
	defer func() {
		if p := recover(); p != nil {
			if panicInOurCode() {
				ok = fail(fmt.Errorf("internal error reading the row group (please report it): %v", p), "")
				return
			}
			ok = fail(fmt.Errorf("%w: the Parquet library failed on this row group: %v", ErrCorrupt, p), "")
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
						err = fmt.Errorf("%w: the column holds more values than the row group's %d rows", ErrCorrupt, rows)
					}
					return fail(err, r.sch.leaves[j].path)
				}
				if want := meta.Columns[j].MetaData.NumValues; cur.read != want {
					return fail(fmt.Errorf("%w: %d values read, the footer says %d", ErrCorrupt, cur.read, want), r.sch.leaves[j].path)
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
