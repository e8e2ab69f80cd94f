package state

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketMeta    = []byte("meta")
	bucketJournal = []byte("journal")
	keyGen        = []byte("generation")
	keyRun        = []byte("run")
	keyVersion    = []byte("version")
)

const formatVersion = "1"

// Store is an open state file. It is used by one goroutine at a time.
type Store struct {
	db      *bolt.DB // nil for Empty
	path    string
	gen     uint64
	inPlace int // see inPlaceLimit
	// readOnly stores refuse to write (dry runs).
	readOnly bool
	// tmpCopy is a private copy the store reads instead of path, removed
	// on Close.
	tmpCopy string
}

// errReadOnly is the error of a write to a read-only store (a bug: dry
// runs do not write).
var errReadOnly = errors.New("state: opened read-only (a dry run writes no state)")

func genBucket(g uint64) []byte { return []byte("keys." + strconv.FormatUint(g, 10)) }

// Path is the file's path.
func (s *Store) Path() string { return s.path }

// Close releases the file and its lock.
func (s *Store) Close() (err error) {
	if s.db == nil {
		return nil
	}
	defer s.recoverDamage(&err, debug.SetPanicOnFault(true))
	err = s.db.Close()
	s.db = nil
	if s.tmpCopy != "" {
		os.Remove(s.tmpCopy)
	}
	return err
}

// Iter walks the records of the current generation in key order. Its
// records leave out their trait hashes (Lookup gives them).
type Iter struct {
	s      *Store
	tx     *bolt.Tx
	c      *bolt.Cursor
	k      []byte
	v      []byte
	traits bool
	n      int    // records read, for release
	raw    []byte // NextRaw's copy of the record (raw.go)
}

// releaseEvery is how many records an Iter reads between releases of the
// file's mapped pages (about 8 MB of a state file).
const releaseEvery = 1 << 16

// Next returns the next record, or false at the end. A corrupt record or
// page is a *DamagedError.
func (it *Iter) Next() (r Record, ok bool, err error) {
	if it.k == nil {
		return Record{}, false, nil
	}
	defer it.s.recoverDamage(&err, debug.SetPanicOnFault(true))
	r, err = decodeRecordTraits(it.k, it.v, it.traits)
	if err != nil {
		return r, false, &DamagedError{Path: it.s.path, Err: err}
	}
	it.k, it.v = it.c.Next()
	if it.n++; it.n%releaseEvery == 0 {
		release(it.s.db, it.tx)
	}
	return r, true, nil
}

// View calls fn with an iterator over the current generation, inside one
// read transaction (a consistent snapshot).
func (s *Store) View(fn func(it *Iter) error) error {
	if s.db == nil {
		return fn(&Iter{s: s})
	}
	return s.db.View(func(tx *bolt.Tx) error {
		it, err := s.first(tx)
		if err != nil {
			return err
		}
		return fn(it)
	})
}

// first positions an iterator on the first record of the generation.
func (s *Store) first(tx *bolt.Tx) (it *Iter, err error) {
	defer s.recoverDamage(&err, debug.SetPanicOnFault(true))
	it = &Iter{s: s, tx: tx}
	if b := tx.Bucket(genBucket(s.gen)); b != nil {
		it.c = b.Cursor()
		it.k, it.v = it.c.First()
	}
	return it, nil
}

// Journal durably appends acknowledged records, in one transaction.
func (s *Store) Journal(recs []Record) (err error) {
	if len(recs) == 0 {
		return nil
	}
	if s.readOnly {
		return errReadOnly
	}
	defer s.recoverDamage(&err, debug.SetPanicOnFault(true))
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketJournal)
		b.FillPercent = 1 // keys only ever grow
		for i := range recs {
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			// bbolt keeps the slices until the commit: fresh ones per put
			k := binary.BigEndian.AppendUint64(nil, seq)
			v := recs[i].appendValue(append(make([]byte, 0, 64), recs[i].Key[:]...))
			if err := b.Put(k, v); err != nil {
				return err
			}
		}
		return nil
	})
}

// JournalLen is the number of journalled records not yet folded in.
func (s *Store) JournalLen() (n int, err error) {
	if s.db == nil {
		return 0, nil
	}
	defer s.recoverDamage(&err, debug.SetPanicOnFault(true))
	err = s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketJournal).Stats().KeyN
		return nil
	})
	return n, err
}

// Consolidate folds the journal, then extra (records acknowledged by a
// file destination, may be nil), into a new generation: a sequential merge
// of the current generation with the sorted new records, written in
// transactions of bounded size into a fresh bucket; a last transaction
// makes it current and drops the old one and the journal. A crash before
// that last transaction changes nothing: the journal is still there.
func (s *Store) Consolidate(tmpDir string, extra *Sorter) (err error) {
	if s.readOnly {
		return errReadOnly
	}
	defer s.recoverDamage(&err, debug.SetPanicOnFault(true))
	srt, err := s.pending(tmpDir, extra)
	if err != nil {
		return err
	}
	defer srt.Close()
	if srt.Len() == 0 {
		return nil
	}
	if srt.Len() <= int64(s.inPlace) {
		return s.updateInPlace(srt)
	}
	next := s.gen + 1
	if err := s.writeGeneration(next, srt); err != nil {
		return err
	}
	return s.switchGeneration(next)
}

// pending returns the records to fold in, sorted: extra itself when the
// journal is empty (a run to files journals nothing), else the journal's
// records and extra's sorted together. Sorting a first run's 1M records
// once rather than twice took about 15% off its time (issue 18).
func (s *Store) pending(tmpDir string, extra *Sorter) (*Sorter, error) {
	if extra != nil {
		n, err := s.JournalLen()
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return extra, nil
		}
	}
	srt := NewSorter(tmpDir)
	if err := s.collect(srt, extra); err != nil {
		srt.Close()
		return nil, err
	}
	return srt, nil
}

// collect sorts the journal's records, then extra's, into srt.
func (s *Store) collect(srt, extra *Sorter) error {
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketJournal).ForEach(func(k, v []byte) error {
			if len(v) < 16 {
				return &DamagedError{Path: s.path, Err: errCorrupt}
			}
			r, err := decodeRecord(v[:16], v[16:])
			if err != nil {
				return err
			}
			return srt.Add(&r)
		})
	})
	if err != nil {
		return fmt.Errorf("state: reading the journal: %w", err)
	}
	if extra != nil {
		return extra.Each(func(r Record) error { return srt.Add(&r) })
	}
	return nil
}

// writeGeneration writes generation next: the current one merged with the
// sorted new records (a new record replaces the old one of its key), in
// key order.
func (s *Store) writeGeneration(next uint64, srt *Sorter) error {
	// A leftover bucket of an interrupted consolidation goes first.
	if err := s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(genBucket(next)) != nil {
			if err := tx.DeleteBucket(genBucket(next)); err != nil {
				return err
			}
		}
		_, err := tx.CreateBucket(genBucket(next))
		return err
	}); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	out := &putter{db: s.db, bucket: genBucket(next), fill: 1} // appended in key order
	if empty, err := s.emptyGeneration(); err != nil {
		return fmt.Errorf("state: %w", err)
	} else if empty {
		// nothing to merge with (a first run): the sorted records as they
		// are encoded, without decoding and encoding each again
		err = srt.EachRaw(out.put)
		if err == nil {
			err = out.flush()
		}
		if err != nil {
			return fmt.Errorf("state: writing a new generation: %w", err)
		}
		return nil
	}
	put := func(r *Record) error { return out.put(r.Key[:], r.appendValue(nil)) }
	// bbolt must not hold a read transaction while this goroutine writes
	// (a write may need to remap the file): the old generation is read in
	// batches, each in its own short read transaction.
	oldGen := &batchReader{s: s, bucket: genBucket(s.gen)}
	old, okOld, err := oldGen.next()
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	err = srt.Each(func(r Record) error {
		for okOld && bytes.Compare(old.Key[:], r.Key[:]) < 0 {
			if err := put(&old); err != nil {
				return err
			}
			if old, okOld, err = oldGen.next(); err != nil {
				return err
			}
		}
		if okOld && old.Key == r.Key {
			if old, okOld, err = oldGen.next(); err != nil { // replaced by r
				return err
			}
		}
		return put(&r)
	})
	for err == nil && okOld {
		if err = put(&old); err == nil {
			old, okOld, err = oldGen.next()
		}
	}
	if err == nil {
		err = out.flush()
	}
	if err != nil {
		return fmt.Errorf("state: writing a new generation: %w", err)
	}
	return nil
}

// emptyGeneration reports whether the current generation has no record.
func (s *Store) emptyGeneration() (empty bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(genBucket(s.gen))
		empty = b == nil
		if b != nil {
			k, _ := b.Cursor().First()
			empty = k == nil
		}
		return nil
	})
	return empty, err
}

// switchGeneration makes generation next current, in one transaction that
// drops the old generation and the journal.
func (s *Store) switchGeneration(next uint64) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketMeta).Put(keyGen, []byte(strconv.FormatUint(next, 10))); err != nil {
			return err
		}
		if err := tx.DeleteBucket(genBucket(s.gen)); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
			return err
		}
		if err := tx.DeleteBucket(bucketJournal); err != nil {
			return err
		}
		_, err := tx.CreateBucket(bucketJournal)
		return err
	})
	if err != nil {
		return fmt.Errorf("state: switching generations: %w", err)
	}
	s.gen = next
	return nil
}

// inPlaceLimit is the number of new records up to which Consolidate
// updates the current generation in place (sorted puts touch only the
// pages of those keys) rather than writing a new one (which costs as much
// for ten changes as for ten million).
const inPlaceLimit = 200000

// updateInPlace writes the sorted records into the current generation in
// transactions of bounded size, then empties the journal. A crash in
// between leaves the journal, whose records are put again by the next
// consolidation: putting a record twice changes nothing.
func (s *Store) updateInPlace(srt *Sorter) error {
	out := &putter{db: s.db, bucket: genBucket(s.gen)}
	err := srt.EachRaw(out.put)
	if err == nil {
		err = out.flush()
	}
	if err == nil {
		err = s.db.Update(func(tx *bolt.Tx) error {
			if err := tx.DeleteBucket(bucketJournal); err != nil {
				return err
			}
			_, err := tx.CreateBucket(bucketJournal)
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("state: updating: %w", err)
	}
	return nil
}

// putter writes key-value pairs into a bucket (created if missing) in
// transactions of 50,000 puts: bbolt keeps a transaction's dirty pages in
// memory until it commits.
type putter struct {
	db      *bolt.DB
	bucket  []byte
	fill    float64 // the bucket's FillPercent; 0 keeps bbolt's default
	pending []struct{ k, v []byte }
}

// put copies k and v (bbolt needs them until the commit).
func (p *putter) put(k, v []byte) error {
	p.pending = append(p.pending, struct{ k, v []byte }{append([]byte(nil), k...), append([]byte(nil), v...)})
	if len(p.pending) >= 50000 {
		return p.flush()
	}
	return nil
}

func (p *putter) flush() error {
	if len(p.pending) == 0 {
		return nil
	}
	err := p.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(p.bucket)
		if err != nil {
			return err
		}
		if p.fill > 0 {
			b.FillPercent = p.fill
		}
		for _, kv := range p.pending {
			if err := b.Put(kv.k, kv.v); err != nil {
				return err
			}
		}
		return nil
	})
	p.pending = p.pending[:0]
	if err == nil {
		// the pages of the keys put, read while putting and committing,
		// need not stay mapped
		err = p.db.View(func(tx *bolt.Tx) error { release(p.db, tx); return nil })
	}
	return err
}

// batchReader reads a bucket in key order, a batch per read transaction.
type batchReader struct {
	s      *Store
	bucket []byte
	buf    []Record
	last   []byte
	done   bool
}

func (br *batchReader) next() (Record, bool, error) {
	if len(br.buf) == 0 && !br.done {
		err := br.s.db.View(func(tx *bolt.Tx) error {
			b := tx.Bucket(br.bucket)
			if b == nil {
				br.done = true
				return nil
			}
			c := b.Cursor()
			var k, v []byte
			if br.last == nil {
				k, v = c.First()
			} else {
				k, v = c.Seek(br.last)
				if k != nil && string(k) == string(br.last) {
					k, v = c.Next()
				}
			}
			for ; k != nil && len(br.buf) < 20000; k, v = c.Next() {
				r, err := decodeRecord(k, v)
				if err != nil {
					return err
				}
				br.buf = append(br.buf, r)
			}
			if k == nil {
				br.done = true
			}
			return nil
		})
		if err != nil {
			return Record{}, false, err
		}
		if n := len(br.buf); n > 0 {
			br.last = append(br.last[:0], br.buf[n-1].Key[:]...)
		}
	}
	if len(br.buf) == 0 {
		return Record{}, false, nil
	}
	r := br.buf[0]
	br.buf = br.buf[1:]
	return r, true, nil
}

// RunInfo is the record of a run, kept so that a run started again after a
// crash (the same inputs and mapping) reuses the event time of the first
// attempt: re-sent payloads then carry the same messageIds.
type RunInfo struct {
	Fingerprint      string `json:"fingerprint"`
	DefaultTimestamp string `json:"default_timestamp"`
	StartedAt        string `json:"started_at"`
	FinishedAt       string `json:"finished_at,omitempty"`
	Status           string `json:"status"`
	// Mapping is a fingerprint of the mapping the run used (the file's or
	// the one inferred), so that a later run can tell when most of its
	// changes come from a changed mapping.
	Mapping string `json:"mapping,omitempty"`
	// Shard is the share of the objects the run handled (--shard K/N), ""
	// for all: a state belongs to one shard layout.
	Shard string `json:"shard,omitempty"`
}

// LastRun returns the record of the last run (nil if none).
func (s *Store) LastRun() (ri *RunInfo, err error) {
	if s.db == nil {
		return nil, nil
	}
	defer s.recoverDamage(&err, debug.SetPanicOnFault(true))
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketMeta).Get(keyRun)
		if v == nil {
			return nil
		}
		ri = &RunInfo{}
		return json.Unmarshal(v, ri)
	})
	return ri, err
}

// SaveRun records ri.
func (s *Store) SaveRun(ri *RunInfo) (err error) {
	if s.readOnly {
		return errReadOnly
	}
	defer s.recoverDamage(&err, debug.SetPanicOnFault(true))
	data, err := json.Marshal(ri)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyRun, data) })
}

// Size is the state file's size in bytes.
func (s *Store) Size() int64 {
	st, err := os.Stat(s.path)
	if err != nil {
		return 0
	}
	return st.Size()
}
