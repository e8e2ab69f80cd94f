package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/groupimport/groupimport/internal/spill"
	"github.com/groupimport/groupimport/sink"
)

// writer is the in-order end of the pipeline: it hands chunks to the sink,
// accounts for every row, logs keys, and keeps the delete rows of upsert
// inputs in spill files until the deletes phase.
type writer struct {
	cfg    *Config
	res    *Result
	chunks *chunkPool
	kept   map[Class]*spill.File // delete rows waiting for their phase
	msgs   int64                 // payloads delivered so far: the index of the next one
	seq    int64                 // chunks handed to the sink so far
}

// write hands a chunk to the sink with the next sequence number, and tells
// the tracker what it holds.
func (w *writer) write(ctx context.Context, c *sink.Chunk, ds []Delivery) error {
	c.Seq = w.seq
	w.seq++
	if w.cfg.Tracker != nil {
		// first: the sink may acknowledge the chunk before Write returns
		if err := w.cfg.Tracker.Delivered(c.Seq, ds, c.Pos); err != nil {
			return err
		}
	}
	return w.cfg.Sink.Write(ctx, c)
}

// deliver writes a built batch and accounts for it.
func (w *writer) deliver(ctx context.Context, b *built) error {
	defer w.chunks.put(b.chunk)
	defer w.chunks.putKeys(b.keys)
	defer w.chunks.putDeliveries(b.deliveries)
	werr := w.write(ctx, b.chunk, b.deliveries)
	// The chunk's rows were read and built whether or not the sink took
	// them: counted either way, so that a failed run's report adds up.
	if err := w.account(b); err != nil && werr == nil {
		return err
	}
	return werr
}

// account counts a batch's rows, logs its keys, hands on its joins,
// rejects and kept deletes, and notes its file's error.
func (w *writer) account(b *built) error {
	w.count(b)
	w.res.addStats(b)
	if err := w.logKeys(b.keys, false); err != nil {
		return err
	}
	for _, k := range b.seen {
		if err := w.cfg.RejectedKeys.Add(KeyEntry{Key: k.key, Row: k.row, Msg: -1}); err != nil {
			return err
		}
	}
	for _, j := range b.joins {
		if err := w.cfg.Join.Add(j.key, j.traits); err != nil {
			return err
		}
	}
	if err := w.reject(b); err != nil {
		return err
	}
	if b.kept != nil {
		if err := w.keep(b.file, b.kept); err != nil {
			return err
		}
	}
	fr := w.res.Files[b.file]
	if b.err != nil && fr.Error == "" {
		// the file's fatal error, or a row that could not be built
		fr.Error = b.err.Error()
		w.res.FileErrors++
	}
	if b.done {
		fr.DurationMS = time.Since(fr.started).Milliseconds()
	}
	if w.cfg.MaxRejects >= 0 && w.res.Rejected > w.cfg.MaxRejects {
		return fmt.Errorf("%w: %d rejected, more than --max-rejects %d", ErrTooManyRejects, w.res.Rejected, w.cfg.MaxRejects)
	}
	return nil
}

// count adds a batch's rows to its file's counts and the run's.
func (w *writer) count(b *built) {
	res, fr := w.res, w.res.Files[b.file]
	for class, types := range b.scope {
		if res.Scope == nil {
			res.Scope = map[Class]map[string]bool{}
		}
		if res.Scope[class] == nil {
			res.Scope[class] = map[string]bool{}
		}
		for t := range types {
			res.Scope[class][t] = true
		}
	}
	if !fr.seen {
		fr.seen, fr.ordFirst = true, b.first
	}
	fr.ordEnd = b.first + b.read
	c := Counts{Read: b.read, Emitted: int64(b.chunk.Count()), Rejected: int64(len(b.rejects)), Unkeyed: b.unkeyed,
		Superseded: b.superseded, Skipped: b.unchanged, OtherShard: b.otherShard}
	for _, k := range b.keys {
		if k.delete {
			c.Deleted++
		}
	}
	fr.add(c)
	res.add(c)
	res.UnkeyedElsewhere += b.elsewhere
}

// reject counts a batch's rejects by code and writes them out.
func (w *writer) reject(b *built) error {
	for _, x := range b.rejects {
		w.res.CountReject(x)
		if len(w.res.FirstRejects) < w.cfg.FirstRejects {
			w.res.FirstRejects = append(w.res.FirstRejects, x)
		}
	}
	if w.cfg.Rejects != nil && len(b.rejects) > 0 {
		return w.cfg.Rejects.Write(b.rejects)
	}
	return nil
}

// logKeys tells the key log about payloads just delivered (deletes: all of
// them are delete events).
func (w *writer) logKeys(keys []keyInfo, deletes bool) error {
	if w.cfg.Keys == nil {
		w.msgs += int64(len(keys))
		return nil
	}
	for _, k := range keys {
		if err := w.cfg.Keys.Add(KeyEntry{Key: k.key, Row: k.row, Msg: w.msgs, Hash: k.hash, Delete: deletes || k.delete}); err != nil {
			return err
		}
		w.msgs++
	}
	return nil
}

func (w *writer) close() {
	for _, f := range w.kept {
		f.Close()
	}
}
