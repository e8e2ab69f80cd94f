package runner

import (
	"github.com/groupimport/groupimport/state"
)

// stateFeed reads the state's records for diff in a goroutine of its own,
// a batch at a time, so that reading the state (the B+tree's pages, the
// records' decoding) and merging it with the run's keys go side by side
// instead of in turn; it stops with the read transaction's user (close).
type stateFeed struct {
	full, free chan *rawBatch
	stop       chan struct{}
	done       chan error
	err        error
	cur        *rawBatch
	i          int
}

type rawBatch struct {
	recs  []state.RawRecord
	arena []byte
}

const feedBatches = 3

func startFeed(it *state.Iter) *stateFeed {
	f := &stateFeed{full: make(chan *rawBatch, feedBatches), free: make(chan *rawBatch, feedBatches), stop: make(chan struct{}), done: make(chan error, 1)}
	for range feedBatches {
		f.free <- &rawBatch{recs: make([]state.RawRecord, 0, 4096), arena: make([]byte, 0, 256<<10)}
	}
	go func() {
		defer close(f.full)
		f.done <- f.read(it)
	}()
	return f
}

// read fills free batches with the records, in order, until the end, an
// error or stop.
func (f *stateFeed) read(it *state.Iter) error {
	for {
		var b *rawBatch
		select {
		case b = <-f.free:
		case <-f.stop:
			return nil
		}
		var err error
		if b.recs, b.arena, err = it.NextRaws(b.recs[:0], b.arena[:0]); err != nil || len(b.recs) == 0 {
			return err
		}
		select {
		case f.full <- b:
		case <-f.stop:
			return nil
		}
	}
}

// next returns the next record, valid until the next call (ok false at
// the end, or after an error of the reading).
func (f *stateFeed) next() (state.RawRecord, bool, error) {
	for f.cur == nil || f.i == len(f.cur.recs) {
		if f.cur != nil {
			f.free <- f.cur // room for every batch: never blocks
			f.cur = nil
		}
		b, ok := <-f.full
		if !ok {
			return state.RawRecord{}, false, f.finish()
		}
		f.cur, f.i = b, 0
	}
	f.i++
	return f.cur.recs[f.i-1], true, nil
}

// finish waits for the reader's end and returns its error.
func (f *stateFeed) finish() error {
	if f.done != nil {
		f.err, f.done = <-f.done, nil
	}
	return f.err
}

// close stops the reader and waits for it: the iterator is the caller's
// again.
func (f *stateFeed) close() {
	select {
	case <-f.stop:
	default:
		close(f.stop)
	}
	for b := range f.full {
		_ = b
	}
	f.finish()
}
