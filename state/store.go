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

// formatVersion is the format of a state written by this version: 2, the
// records of a generation in blocks (blocks.go). Format 1 files (a
// record per key) are read and updated as they are.
const (
	formatVersion   = "2"
	formatPerRecord = "1"
)

// Store is an open state file. It is used by one goroutine at a time.
type Store struct {
	db      *bolt.DB // nil for Empty
	path    string
	gen     uint64
	blocks  bool // the current generation is in blocks (blocks.go)
	inPlace int  // see inPlaceLimit
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
	k      []byte // the current record's key and value
	v      []byte
	blocks bool   // the cursor walks blocks
	blk    []byte // the entries after the current one in its block
	err    error  // a damaged block met while advancing
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
	if it.err != nil {
		return Record{}, false, &DamagedError{Path: it.s.path, Err: it.err}
	}
	if it.k == nil {
		return Record{}, false, nil
	}
	defer it.s.recoverDamage(&err, debug.SetPanicOnFault(true))
	r, err = decodeRecordTraits(it.k, it.v, it.traits)
	if err != nil {
		return r, false, &DamagedError{Path: it.s.path, Err: err}
	}
	it.step()
	return r, true, nil
}

// step moves the iterator to the next record (a damaged block met on the
// way is kept in err for the next read) and releases the file's mapped
// pages every releaseEvery records.
func (it *Iter) step() {
	if it.err = it.advance(); it.err != nil {
		it.k = nil
	}
	if it.n++; it.n%releaseEvery == 0 {
		release(it.s.db, it.tx)
	}
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
	it = &Iter{s: s, tx: tx, blocks: s.blocks}
	if b := tx.Bucket(s.genName()); b != nil {
		it.c = b.Cursor()
		if err := it.firstRecord(); err != nil {
			return nil, &DamagedError{Path: s.path, Err: err}
		}
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

// writeGeneration writes generation next, in blocks: the current one
// merged with the sorted new records (a new record replaces the old one of
// its key), in key order. Records are merged as they are encoded, never
// decoded and encoded again.
func (s *Store) writeGeneration(next uint64, srt *Sorter) error {
	// A leftover bucket of an interrupted consolidation goes first.
	if err := s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{blockBucket(next), genBucket(next)} {
			if tx.Bucket(name) != nil {
				if err := tx.DeleteBucket(name); err != nil {
					return err
				}
			}
		}
		_, err := tx.CreateBucket(blockBucket(next))
		return err
	}); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	out := &putter{db: s.db, bucket: blockBucket(next), fill: 1} // appended in key order
	bw := &blockWriter{put: out.put}
	// bbolt must not hold a read transaction while this goroutine writes
	// (a write may need to remap the file): the old generation is read in
	// batches, each in its own short read transaction.
	old := &genReader{s: s, bucket: s.genName(), blocks: s.blocks}
	ok, ov, okOld, err := old.next()
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	err = srt.EachRaw(func(k, v []byte) error {
		for okOld && bytes.Compare(ok, k) < 0 {
			if err := bw.add(ok, ov); err != nil {
				return err
			}
			if ok, ov, okOld, err = old.next(); err != nil {
				return err
			}
		}
		if okOld && bytes.Equal(ok, k) {
			if ok, ov, okOld, err = old.next(); err != nil { // replaced by k's
				return err
			}
		}
		return bw.add(k, v)
	})
	for err == nil && okOld {
		if err = bw.add(ok, ov); err == nil {
			ok, ov, okOld, err = old.next()
		}
	}
	if err == nil {
		err = bw.flush()
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
		b := tx.Bucket(s.genName())
		empty = b == nil
		if b != nil {
			k, _ := b.Cursor().First()
			empty = k == nil
		}
		return nil
	})
	return empty, err
}

// switchGeneration makes generation next (in blocks) current, in one
// transaction that drops the old generation and the journal, and marks
// the file as format 2.
func (s *Store) switchGeneration(next uint64) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if err := meta.Put(keyGen, []byte(strconv.FormatUint(next, 10))); err != nil {
			return err
		}
		if err := meta.Put(keyVersion, []byte(formatVersion)); err != nil {
			return err
		}
		if err := tx.DeleteBucket(s.genName()); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
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
	s.gen, s.blocks = next, true
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
	var err error
	if s.blocks {
		err = s.updateBlocks(srt)
	} else {
		out := &putter{db: s.db, bucket: genBucket(s.gen)}
		err = srt.EachRaw(out.put)
		if err == nil {
			err = out.flush()
		}
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

// putterBytes bounds the keys and values a putter holds (and bbolt's
// dirty pages of a transaction): about 8 MB.
const putterBytes = 8 << 20

// putter writes key-value pairs into a bucket (created if missing) in
// transactions of up to putterBytes or 50,000 puts: bbolt keeps a
// transaction's dirty pages in memory until it commits. The pairs are
// copied into one buffer, not an allocation each.
type putter struct {
	db     *bolt.DB
	bucket []byte
	fill   float64 // the bucket's FillPercent; 0 keeps bbolt's default
	buf    []byte
	ends   []int // per pair, the ends of its key and of its value in buf
}

// put copies k and v (bbolt needs them until the commit).
func (p *putter) put(k, v []byte) error {
	p.buf = append(p.buf, k...)
	p.ends = append(p.ends, len(p.buf))
	p.buf = append(p.buf, v...)
	p.ends = append(p.ends, len(p.buf))
	if len(p.buf) >= putterBytes || len(p.ends) >= 2*50000 {
		return p.flush()
	}
	return nil
}

func (p *putter) flush() error {
	if len(p.ends) == 0 {
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
		start := 0
		for i := 0; i < len(p.ends); i += 2 {
			k, v := p.buf[start:p.ends[i]:p.ends[i]], p.buf[p.ends[i]:p.ends[i+1]:p.ends[i+1]]
			if err := b.Put(k, v); err != nil {
				return err
			}
			start = p.ends[i+1]
		}
		return nil
	})
	p.buf, p.ends = p.buf[:0], p.ends[:0]
	if err == nil {
		// the pages of the keys put, read while putting and committing,
		// need not stay mapped
		err = p.db.View(func(tx *bolt.Tx) error { release(p.db, tx); return nil })
	}
	return err
}

// genReader reads the records of a generation in key order, as they are
// encoded, a batch of about 4 MB per read transaction.
type genReader struct {
	s      *Store
	bucket []byte
	blocks bool
	buf    []byte // the batch: its records' entries
	rest   []byte // the entries not yet read
	last   []byte // the bbolt key (of a record or a block) read last
	done   bool
}

// next returns the next record's key and value, valid until the next
// call; ok is false at the end.
func (g *genReader) next() (key, value []byte, ok bool, err error) {
	if len(g.rest) == 0 && !g.done {
		if err := g.s.db.View(g.fill); err != nil {
			return nil, nil, false, err
		}
	}
	if len(g.rest) == 0 {
		return nil, nil, false, nil
	}
	key, value, g.rest, err = nextEntry(g.rest)
	if err == nil {
		_, err = decodeRecordTraits(key, value, false)
	}
	if err != nil {
		return nil, nil, false, &DamagedError{Path: g.s.path, Err: err}
	}
	return key, value, true, nil
}

// fill reads the next batch.
func (g *genReader) fill(tx *bolt.Tx) error {
	g.buf = g.buf[:0]
	b := tx.Bucket(g.bucket)
	if b == nil {
		g.done = true
		return nil
	}
	c := b.Cursor()
	var k, v []byte
	if g.last == nil {
		k, v = c.First()
	} else if k, v = c.Seek(g.last); k != nil && bytes.Equal(k, g.last) {
		k, v = c.Next()
	}
	for ; k != nil && len(g.buf) < 4<<20; k, v = c.Next() {
		if g.blocks {
			if len(v) == 0 {
				return &DamagedError{Path: g.s.path, Err: errCorrupt}
			}
			g.buf = append(g.buf, v...)
		} else {
			g.buf = appendEntry(g.buf, k, v)
		}
		g.last = append(g.last[:0], k...)
	}
	g.done = k == nil
	g.rest = g.buf
	return nil
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
