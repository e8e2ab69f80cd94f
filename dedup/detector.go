package dedup

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/groupimport/groupimport/internal/spill"
)

// Detector finds superseded entries (keys seen more than once, the last
// row winning) at a small cost when there are none, which is the common
// case: each entry is appended to a temporary file (the key log, package
// spill), and its key set in a
// blocked Bloom filter of fixed size (one cache line per key). A key the
// filter has probably seen before becomes a candidate. At the end the file
// is read back twice, for the last row of each candidate key and then for
// the entries that lose to it; with no candidate there is nothing to do.
// Memory follows the number of candidate keys, never the rows of a key.
// Past maxCandidates (a filter too small for the input) it falls back to
// sorting the whole file, in bounded memory, like Log.
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
	rec        [entrySize]byte // a field, not a local: a local escapes, one allocation an entry
}

// candidate is a key the filter has probably seen before: how many
// entries it has and its last row, counted by Resolve.
type candidate struct{ n, last int64 }

const maxCandidates = 1 << 20

// NewDetector returns a detector whose filter is sized for about
// expectedRows keys (12 bits a key, between 1 MiB and 16 MiB: past about
// 11 M keys false candidates grow, and cost a map entry each).
func NewDetector(dir string, expectedRows int64) *Detector {
	bits := uint64(max(expectedRows, 1)) * 12
	words := uint64(1 << 17) // 1 MiB
	for words*64 < bits && words < 1<<21 {
		words <<= 1
	}
	d := &Detector{dir: dir, bloom: make([]uint64, words), mask: words/8 - 1, candidates: map[[16]byte]candidate{}, maxCand: maxCandidates}
	d.newLog = func() (*spill.File, error) { return spill.Create(d.dir, "groupimport-keys-*.log") }
	return d
}

// Add logs an entry.
func (d *Detector) Add(e Entry) error {
	if d.err != nil {
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
	encode(&d.rec, e)
	if err := d.log.Append(d.rec[:]); err != nil {
		d.err = fmt.Errorf("duplicate detection: %w", err)
		return d.err
	}
	d.count++
	// a block of 8 words (one cache line), 6 bits in it
	h1 := binary.LittleEndian.Uint64(e.Key[:8])
	h2 := binary.LittleEndian.Uint64(e.Key[8:])
	block := d.bloom[(h1&d.mask)*8 : (h1&d.mask)*8+8]
	seen := true
	for i := uint64(0); i < 6; i++ {
		bit := (h2 >> (i * 9)) & 511
		w, m := bit>>6, uint64(1)<<(bit&63)
		if block[w]&m == 0 {
			seen = false
			block[w] |= m
		}
	}
	if seen && !d.overflow {
		d.candidates[e.Key] = candidate{last: -1}
		if len(d.candidates) > d.maxCand {
			d.overflow, d.candidates = true, nil
		}
	}
	return nil
}

// Len is the number of entries added.
func (d *Detector) Len() int64 { return d.count }

// Resolve returns the superseded entries. It reads the key log twice: once
// for the last row of each candidate key, once for the entries that lose to
// it. Memory follows the number of candidate keys (at most maxCandidates),
// never the number of rows: a key repeated on every row is one entry in
// the map.
func (d *Detector) Resolve() (*Result, error) {
	if d.err != nil {
		return nil, d.err
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
	err := d.scan(func(e Entry) error {
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
	for _, c := range d.candidates {
		if c.n > 1 {
			res.Keys++
		}
	}
	err = d.scan(func(e Entry) error {
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

// scan calls fn with every entry of the key log, in the order added. A log
// that ends early or cannot be read is an error, never a shorter list.
func (d *Detector) scan(fn func(Entry) error) error {
	r, err := d.log.Records()
	if err != nil {
		return fmt.Errorf("duplicate detection: the key log: %w", err)
	}
	for n := int64(1); ; n++ {
		rec, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err == nil && len(rec) != entrySize {
			err = fmt.Errorf("%w: an entry of %d bytes", spill.ErrCorrupt, len(rec))
		}
		if err != nil {
			return fmt.Errorf("duplicate detection: reading the key log (entry %d of %d): %w", n, d.count, err)
		}
		if err := fn(decode(rec)); err != nil {
			return err
		}
	}
}

// Close releases the file.
func (d *Detector) Close() {
	if d.log != nil {
		d.log.Close()
		d.log = nil
	}
}
