package pipeline

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/groupimport/groupimport/dedup"
	"github.com/groupimport/groupimport/record"
	"github.com/groupimport/groupimport/sink"
	"github.com/groupimport/groupimport/state"
)

// Classes of deferred deletes, in the order they are sent: relationships
// before the objects they point at.
const (
	classRelationship byte = 'r'
	classObject       byte = 'o'
)

// deferred holds the delete events of one batch, to be sent after every
// upsert of the run.
type deferred struct {
	data []byte
	recs []deferredRec
}

type deferredRec struct {
	class      byte
	start, end int
	pos        record.Position
	key        keyInfo
}

func (d *deferred) add(class byte, payload []byte, pos record.Position, key keyInfo) {
	start := len(d.data)
	d.data = append(d.data, payload...)
	d.recs = append(d.recs, deferredRec{class: class, start: start, end: len(d.data), pos: pos, key: key})
}

// writer is the in-order end of the pipeline: it hands chunks to the sink,
// accounts for every row, logs keys, and spills deferred deletes to
// temporary files until their turn comes.
type writer struct {
	cfg    *Config
	res    *Result
	chunks *chunkPool
	spill  map[byte]*spill
	msgs   int64 // payloads delivered so far: the index of the next one
	seq    int64 // chunks handed to the sink so far
}

// write hands a chunk to the sink with the next sequence number, and tells
// the tracker what it holds.
func (w *writer) write(ctx context.Context, c *sink.Chunk, recs []state.Record) error {
	c.Seq = w.seq
	w.seq++
	if w.cfg.Tracker != nil {
		// first: the sink may acknowledge the chunk before Write returns
		if err := w.cfg.Tracker.Delivered(c.Seq, recs, c.Pos); err != nil {
			return err
		}
	}
	return w.cfg.Sink.Write(ctx, c)
}

// spill is a temporary file of deferred deletes of one class:
// [u32 file][i64 line][i64 row][i32 row group][16 key][i64 ordinal][u32 len][payload].
type spill struct {
	f *os.File
	w *bufio.Writer
	n int64
}

const spillHeader = 4 + 8 + 8 + 4 + 16 + 8 + 4

func (w *writer) deliver(ctx context.Context, r result) error {
	defer w.chunks.put(r.chunk)
	defer w.chunks.putKeys(r.keys)
	werr := w.write(ctx, r.chunk, r.recs)
	// The chunk's rows were read and built whether or not the sink took
	// them: counted either way, so that a failed run's report adds up.
	if err := w.account(r); err != nil && werr == nil {
		return err
	}
	return werr
}

// account counts a chunk's rows and writes its rejects.
func (w *writer) account(r result) error {
	res := w.res
	fr := res.Files[r.file]
	for sk := range r.scope {
		if res.Scope == nil {
			res.Scope = map[byte]map[string]bool{}
		}
		if res.Scope[sk[0]] == nil {
			res.Scope[sk[0]] = map[string]bool{}
		}
		res.Scope[sk[0]][sk[1:]] = true
	}
	n := int64(r.chunk.Count())
	if !fr.seen {
		fr.seen, fr.ordFirst = true, r.first
	}
	fr.ordEnd = r.first + r.read
	for _, k := range r.keys {
		if k.delete {
			fr.Deleted++
			res.Deleted++
		}
	}
	fr.Read += r.read
	fr.Emitted += n
	fr.Rejected += int64(len(r.rejects))
	fr.Unkeyed += r.unkeyed
	res.Unkeyed += r.unkeyed
	fr.Superseded += r.superseded
	fr.Skipped += r.unchanged
	res.Skipped += r.unchanged
	res.Read += r.read
	res.Emitted += n
	res.Rejected += int64(len(r.rejects))
	res.Superseded += r.superseded
	if err := w.logKeys(r.keys, false); err != nil {
		return err
	}
	for _, k := range r.seen {
		if err := w.cfg.RejectedKeys.Add(dedup.Entry{Key: k.key, Row: k.row, Msg: -1}); err != nil {
			return err
		}
	}
	for _, j := range r.joins {
		if err := w.cfg.Join.Add(j.key, j.traits); err != nil {
			return err
		}
	}
	for _, x := range r.rejects {
		res.RejectReasons[ReasonClass(x.Column, x.Reason)]++
		if len(res.FirstRejects) < w.cfg.FirstRejects {
			res.FirstRejects = append(res.FirstRejects, x)
		}
	}
	if w.cfg.Rejects != nil && len(r.rejects) > 0 {
		if err := w.cfg.Rejects.Write(r.rejects); err != nil {
			return err
		}
	}
	if r.deferred != nil {
		if err := w.defer_(r.file, r.deferred); err != nil {
			return err
		}
	}
	if r.err != nil && fr.Error == "" {
		// the file's fatal error, or a row that could not be built
		fr.Error = r.err.Error()
		res.FileErrors++
	}
	if r.done {
		fr.DurationMS = time.Since(fr.started).Milliseconds()
	}
	if w.cfg.MaxRejects >= 0 && res.Rejected > w.cfg.MaxRejects {
		return fmt.Errorf("%w: %d rejected, more than --max-rejects %d", ErrTooManyRejects, res.Rejected, w.cfg.MaxRejects)
	}
	return nil
}

func (w *writer) logKeys(keys []keyInfo, deletes bool) error {
	if w.cfg.Keys == nil {
		w.msgs += int64(len(keys))
		return nil
	}
	for _, k := range keys {
		if err := w.cfg.Keys.Add(dedup.Entry{Key: k.key, Row: k.row, Msg: w.msgs, Hash: k.hash, Delete: deletes || k.delete}); err != nil {
			return err
		}
		w.msgs++
	}
	return nil
}

// defer_ appends a batch's deletes to the spill of their class.
func (w *writer) defer_(file int, d *deferred) error {
	var hdr [spillHeader]byte
	for _, rec := range d.recs {
		sp := w.spill[rec.class]
		if sp == nil {
			f, err := os.CreateTemp(w.cfg.TempDir, "groupimport-deletes-*.spill")
			if err != nil {
				return fmt.Errorf("keeping deletes for the end of the run: %w", err)
			}
			os.Remove(f.Name()) // unnamed: gone with the process, whatever happens
			sp = &spill{f: f, w: bufio.NewWriterSize(f, 256<<10)}
			w.spill[rec.class] = sp
		}
		payload := d.data[rec.start:rec.end]
		binary.LittleEndian.PutUint32(hdr[0:], uint32(file))
		binary.LittleEndian.PutUint64(hdr[4:], uint64(rec.pos.Line))
		binary.LittleEndian.PutUint64(hdr[12:], uint64(rec.pos.Row))
		binary.LittleEndian.PutUint32(hdr[20:], uint32(rec.pos.RowGroup))
		copy(hdr[24:40], rec.key.key[:])
		binary.LittleEndian.PutUint64(hdr[40:], uint64(rec.key.row))
		binary.LittleEndian.PutUint32(hdr[48:], uint32(len(payload)))
		sp.w.Write(hdr[:])
		if _, err := sp.w.Write(payload); err != nil {
			return fmt.Errorf("keeping deletes for the end of the run: %w", err)
		}
		sp.n++
	}
	return nil
}

// replay sends the deferred deletes of class, in the order they were read.
func (w *writer) replay(ctx context.Context, class byte) error {
	sp := w.spill[class]
	if sp == nil {
		return nil
	}
	delete(w.spill, class)
	defer sp.f.Close()
	if err := sp.w.Flush(); err != nil {
		return fmt.Errorf("keeping deletes for the end of the run: %w", err)
	}
	if _, err := sp.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	r := bufio.NewReaderSize(sp.f, 256<<10)
	var hdr [spillHeader]byte
	c := w.chunks.get()
	var keys []keyInfo
	var files []int
	var recs []state.Record
	flush := func() error {
		if c.Count() == 0 {
			return nil
		}
		if err := w.cfg.Sink.Prepare(c); err != nil {
			return err
		}
		if w.cfg.Tracker != nil {
			recs = recs[:0]
			for _, k := range keys {
				recs = append(recs, state.Record{Key: k.key, Deleted: true, Relationship: class == classRelationship})
			}
		}
		if err := w.write(ctx, c, recs); err != nil {
			return err
		}
		for _, f := range files {
			w.res.Files[f].Emitted++
			w.res.Files[f].Deleted++
		}
		w.res.Emitted += int64(c.Count())
		w.res.Deleted += int64(c.Count())
		if err := w.logKeys(keys, true); err != nil {
			return err
		}
		c.Reset()
		keys, files = keys[:0], files[:0]
		return nil
	}
	for i := int64(0); i < sp.n; i++ {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return fmt.Errorf("reading back deferred deletes: %w", err)
		}
		file := int(binary.LittleEndian.Uint32(hdr[0:]))
		pos := record.Position{File: w.res.Files[file].Path, Line: int64(binary.LittleEndian.Uint64(hdr[4:])),
			Row: int64(binary.LittleEndian.Uint64(hdr[12:])), RowGroup: int(binary.LittleEndian.Uint32(hdr[20:]))}
		var k keyInfo
		copy(k.key[:], hdr[24:40])
		k.row = int64(binary.LittleEndian.Uint64(hdr[40:]))
		n := int(binary.LittleEndian.Uint32(hdr[48:]))
		start := len(c.Data)
		c.Data = append(c.Data, make([]byte, n)...)
		if _, err := io.ReadFull(r, c.Data[start:]); err != nil {
			return fmt.Errorf("reading back deferred deletes: %w", err)
		}
		c.Ends = append(c.Ends, len(c.Data))
		c.Pos = append(c.Pos, pos)
		keys = append(keys, k)
		files = append(files, file)
		if c.Count() >= 4096 || len(c.Data) >= 4<<20 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	w.chunks.put(c)
	return nil
}

func (w *writer) close() {
	for _, sp := range w.spill {
		sp.f.Close()
	}
}
