package dedup

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"
)

// Detector finds superseded entries (keys seen more than once, the last
// row winning) at a small cost when there are none, which is the common
// case: each entry is appended to a temporary file, and its key set in a
// blocked Bloom filter of fixed size (one cache line per key). A key the
// filter has probably seen before becomes a candidate. At the end only the
// candidates' entries are read back and grouped; with no candidate there is
// nothing to do. Past maxCandidates (a filter too small for the input) it
// falls back to sorting the whole file, in bounded memory, like Log.
type Detector struct {
	dir        string
	f          *os.File
	w          *bufio.Writer
	bloom      []uint64
	mask       uint64
	candidates map[[16]byte]struct{}
	maxCand    int
	overflow   bool
	count      int64
	err        error
}

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
	return &Detector{dir: dir, bloom: make([]uint64, words), mask: words/8 - 1, candidates: map[[16]byte]struct{}{}, maxCand: maxCandidates}
}

// Add logs an entry.
func (d *Detector) Add(e Entry) error {
	if d.err != nil {
		return d.err
	}
	if d.f == nil {
		f, err := os.CreateTemp(d.dir, "groupimport-keys-*.log")
		if err != nil {
			d.err = fmt.Errorf("duplicate detection: %w", err)
			return d.err
		}
		os.Remove(f.Name()) // unnamed: gone with the process
		d.f, d.w = f, bufio.NewWriterSize(f, 1<<20)
	}
	var rec [entrySize]byte
	encode(&rec, e)
	if _, err := d.w.Write(rec[:]); err != nil {
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
		d.candidates[e.Key] = struct{}{}
		if len(d.candidates) > d.maxCand {
			d.overflow, d.candidates = true, nil
		}
	}
	return nil
}

// Len is the number of entries added.
func (d *Detector) Len() int64 { return d.count }

// Resolve returns the superseded entries.
func (d *Detector) Resolve() (*Result, error) {
	if d.err != nil {
		return nil, d.err
	}
	if d.f == nil || (!d.overflow && len(d.candidates) == 0) {
		return &Result{}, nil
	}
	if err := d.w.Flush(); err != nil {
		return nil, fmt.Errorf("duplicate detection: %w", err)
	}
	if _, err := d.f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	r := bufio.NewReaderSize(d.f, 1<<20)
	var rec [entrySize]byte
	if d.overflow {
		// the filter was too small: sort everything
		l := NewLog(d.dir, 0)
		defer l.Close()
		for {
			if _, err := io.ReadFull(r, rec[:]); err != nil {
				break
			}
			if err := l.Add(decode(rec[:])); err != nil {
				return nil, err
			}
		}
		return l.Resolve()
	}
	var entries []Entry
	for {
		if _, err := io.ReadFull(r, rec[:]); err != nil {
			if err == io.EOF {
				break
			}
			return nil, fmt.Errorf("duplicate detection: reading the key log: %w", err)
		}
		e := decode(rec[:])
		if _, ok := d.candidates[e.Key]; ok {
			entries = append(entries, e)
		}
	}
	slices.SortFunc(entries, less)
	res := &Result{}
	for i := 0; i < len(entries); {
		j := i + 1
		for j < len(entries) && entries[j].Key == entries[i].Key {
			j++
		}
		res.add(entries[i:j])
		i = j
	}
	res.sort()
	return res, nil
}

// Close releases the file.
func (d *Detector) Close() {
	if d.f != nil {
		d.f.Close()
		d.f = nil
	}
}
