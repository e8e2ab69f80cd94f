package dedup

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"

	"github.com/groupimport/groupimport/internal/spill"
)

// Detector finds superseded entries (keys seen more than once, the last
// row winning) at a small cost when there are none, which is the common
// case: each entry is appended to a temporary file (the key log, package
// spill), and its key set in a register-blocked Bloom filter of fixed size
// (6 bits in one 64-bit word per key). A key the filter has probably seen
// before becomes a candidate (about 0.1% of distinct keys at 1M rows,
// 0.2% at 10M: BenchmarkDetectorNoDuplicates' keys). At the end the file
// is read back once to count the entries of each candidate key (most are
// the filter's false positives, with one entry: dropped), and once more,
// only when a real duplicate is left, for the entries that lose. Memory
// follows the number of candidate keys, never the rows of a key.
// Past maxCandidates (a filter too small for the input) it falls back to
// sorting the whole file, in bounded memory, like Log.
//
// The entries' Hash is not kept: Resolve does not need it.
type Detector struct {
	dir string
	log *spill.File
	// newLog creates the key log (tests replace it).
	newLog     func() (*spill.File, error)
	bloom      []uint64
	mask       uint64
	candidates map[[16]byte]candidate
	maxCand    int
	overflow   bool
	count      int64
	err        error
	// pending entries, not yet in the filter and the log (see Add)
	pending []Entry
	enc     logCoder
	rec     []byte // the key log record being encoded
	touched uint64 // the sum of flush's first pass (see there)
}

// candidate is a key the filter has probably seen before: how many
// entries it has and its last row, counted by Resolve.
type candidate struct{ n, last int64 }

const maxCandidates = 1 << 20

// batchEntries is how many entries Add collects before it puts them in
// the filter and the log together (about 200 KB of entries).
const batchEntries = 4096

// NewDetector returns a detector whose filter is sized for about
// expectedRows keys (at least 12 bits a key, between 1 MiB and 16 MiB:
// past about 11 M keys false candidates grow, and cost a map entry each).
func NewDetector(dir string, expectedRows int64) *Detector {
	bits := uint64(max(expectedRows, 1)) * 12
	words := uint64(1 << 17) // 1 MiB
	for words*64 < bits && words < 1<<21 {
		words <<= 1
	}
	d := &Detector{dir: dir, bloom: make([]uint64, words), mask: words - 1, candidates: map[[16]byte]candidate{}, maxCand: maxCandidates}
	d.newLog = func() (*spill.File, error) { return spill.Create(d.dir, "groupimport-keys-*.log") }
	return d
}

// Add logs an entry. Entries are collected and handled a batch at a time
// (a write error may then be returned by a later Add, or by Resolve).
//
// Batches buy speed: the filter's lookups of a batch run in tight loops,
// where the processor overlaps their cache misses, and the batch is one
// record of the log instead of one a key. Measured with
// BenchmarkDetectorNoDuplicates (1M keys, no duplicate; CPU time per row,
// medians of interleaved runs on a shared 2-core machine): one entry at a
// time with a 41-byte log record each and two scans at the end, 275 ns;
// batches with 18-byte entries and one scan, 148 ns; with flush's first
// pass over the filter, 110 ns; with one word a key, 95 ns.
func (d *Detector) Add(e Entry) error {
	if d.err != nil {
		return d.err
	}
	d.pending = append(d.pending, e)
	d.count++
	if len(d.pending) >= batchEntries {
		return d.flush()
	}
	return nil
}

// flush puts the pending entries in the filter and the key log.
func (d *Detector) flush() error {
	if d.err != nil || len(d.pending) == 0 {
		return d.err
	}
	if d.log == nil {
		log, err := d.newLog()
		if err != nil {
			d.err = fmt.Errorf("duplicate detection: %w", err)
			return d.err
		}
		d.log = log
	}
	// A first pass only loads the filter's words of the batch: the loads
	// are independent, so their cache misses overlap, and the second pass
	// finds the words in the cache (118 → 96 ns a row, see Add).
	var touch uint64
	for i := range d.pending {
		touch += d.bloom[binary.LittleEndian.Uint64(d.pending[i].Key[:8])&d.mask]
	}
	d.touched += touch // kept, so that the compiler keeps the loads
	for i := range d.pending {
		if d.testAndSet(&d.pending[i].Key) && !d.overflow {
			d.candidates[d.pending[i].Key] = candidate{last: -1}
			if len(d.candidates) > d.maxCand {
				d.overflow, d.candidates = true, nil
			}
		}
	}
	d.rec = d.rec[:0]
	for i := range d.pending {
		d.rec = d.enc.append(d.rec, &d.pending[i])
	}
	d.pending = d.pending[:0]
	if err := d.log.Append(d.rec); err != nil {
		d.err = fmt.Errorf("duplicate detection: %w", err)
	}
	return d.err
}

// testAndSet sets key's bits in the filter and says whether they were all
// set already: 6 bits of one 64-bit word, so one load and one store a key.
func (d *Detector) testAndSet(key *[16]byte) bool {
	h1 := binary.LittleEndian.Uint64(key[:8])
	h2 := binary.LittleEndian.Uint64(key[8:])
	m := uint64(1)<<(h2&63) | uint64(1)<<(h2>>6&63) | uint64(1)<<(h2>>12&63) | uint64(1)<<(h2>>18&63) |
		uint64(1)<<(h2>>24&63) | uint64(1)<<(h2>>30&63)
	w := &d.bloom[h1&d.mask]
	seen := *w&m == m
	*w |= m
	return seen
}

// Len is the number of entries added.
func (d *Detector) Len() int64 { return d.count }

// Resolve returns the superseded entries. It reads the key log once for
// the entries of each candidate key, and once more for the entries that
// lose to the last of a key, when a candidate really has more than one.
// Memory follows the number of candidate keys (at most maxCandidates),
// never the number of rows: a key repeated on every row is one entry in
// the map.
func (d *Detector) Resolve() (*Result, error) {
	if err := d.flush(); err != nil {
		return nil, err
	}
	if d.log == nil || (!d.overflow && len(d.candidates) == 0) {
		return newResult(), nil
	}
	if d.overflow {
		// the filter was too small: sort everything
		l := NewLog(d.dir, 0)
		defer l.Close()
		if err := d.scan(func(e Entry) error { return l.Add(e) }); err != nil {
			return nil, err
		}
		return l.Resolve()
	}
	quick := newKeyBits(len(d.candidates))
	for k := range d.candidates {
		quick.add(&k)
	}
	err := d.scan(func(e Entry) error {
		if !quick.has(&e.Key) {
			return nil
		}
		if c, ok := d.candidates[e.Key]; ok {
			c.n++
			c.last = max(c.last, e.Row)
			d.candidates[e.Key] = c
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res := newResult()
	for k, c := range d.candidates {
		if c.n < 2 {
			delete(d.candidates, k) // a false positive of the filter
		}
	}
	if len(d.candidates) == 0 {
		return res, nil
	}
	res.Keys = int64(len(d.candidates))
	err = d.scan(func(e Entry) error {
		if !quick.has(&e.Key) {
			return nil
		}
		if c, ok := d.candidates[e.Key]; ok && e.Row < c.last {
			res.supersede(e)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// keyBits is a bitmap of candidate keys (a bit a key, 16 bits per key):
// most entries of the log are no candidate, and a bit says so faster than
// the map (one lookup in a small array instead of hashing the key: about
// 6 of the 100 ns a row of BenchmarkDetectorNoDuplicates, where ~1,000
// false candidates make Resolve read the whole log once).
type keyBits struct {
	bits []uint64
	mask uint64
}

func newKeyBits(n int) keyBits {
	size := uint64(1) << max(6, bits.Len(uint(n*16)))
	return keyBits{bits: make([]uint64, size/64), mask: size - 1}
}

func (q keyBits) add(key *[16]byte) {
	i := binary.LittleEndian.Uint64(key[8:]) >> 7 & q.mask
	q.bits[i>>6] |= 1 << (i & 63)
}

func (q keyBits) has(key *[16]byte) bool {
	i := binary.LittleEndian.Uint64(key[8:]) >> 7 & q.mask
	return q.bits[i>>6]&(1<<(i&63)) != 0
}

// scan calls fn with every entry of the key log, in the order added. A log
// that ends early or cannot be read is an error, never a shorter list.
func (d *Detector) scan(fn func(Entry) error) error {
	r, err := d.log.Records()
	if err != nil {
		return fmt.Errorf("duplicate detection: the key log: %w", err)
	}
	var dec logCoder
	var n int64
	for {
		rec, err := r.Next()
		if err == io.EOF {
			if n != d.count {
				return fmt.Errorf("duplicate detection: reading the key log: %w: %d of %d entries", spill.ErrCorrupt, n, d.count)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("duplicate detection: reading the key log (after entry %d of %d): %w", n, d.count, err)
		}
		for len(rec) > 0 {
			var e Entry
			if rec, err = dec.next(rec, &e); err != nil {
				return fmt.Errorf("duplicate detection: reading the key log (entry %d of %d): %w", n+1, d.count, err)
			}
			n++
			if err := fn(e); err != nil {
				return err
			}
		}
	}
}

// Close releases the file.
func (d *Detector) Close() {
	if d.log != nil {
		d.log.Close()
		d.log = nil
	}
	d.pending = nil
}

// logCoder writes and reads the entries of the key log, each as its key
// (16 bytes), then its row and its message index as varints of the
// difference from the entry before (the message's doubled, its low bit
// the delete flag): 18 bytes an entry in a run, where rows and messages
// follow each other, instead of 41 (a smaller log to write, checksum and
// read back).
type logCoder struct{ row, msg int64 }

func (c *logCoder) append(dst []byte, e *Entry) []byte {
	dst = append(dst, e.Key[:]...)
	dst = binary.AppendVarint(dst, e.Row-c.row)
	del := int64(0)
	if e.Delete {
		del = 1
	}
	dst = binary.AppendVarint(dst, (e.Msg-c.msg)<<1|del)
	c.row, c.msg = e.Row, e.Msg
	return dst
}

func (c *logCoder) next(rec []byte, e *Entry) ([]byte, error) {
	if len(rec) < 16 {
		return nil, fmt.Errorf("%w: an entry of %d bytes", spill.ErrCorrupt, len(rec))
	}
	copy(e.Key[:], rec[:16])
	rec = rec[16:]
	dr, k := binary.Varint(rec)
	if k <= 0 {
		return nil, fmt.Errorf("%w: a bad row", spill.ErrCorrupt)
	}
	rec = rec[k:]
	dm, k := binary.Varint(rec)
	if k <= 0 {
		return nil, fmt.Errorf("%w: a bad message index", spill.ErrCorrupt)
	}
	c.row += dr
	c.msg += dm >> 1
	e.Row, e.Msg, e.Delete = c.row, c.msg, dm&1 == 1
	return rec[k:], nil
}
