package state

import "github.com/groupimport/groupimport/internal/extsort"

// Sorter collects records and gives them back sorted by key, the last one
// added winning for equal keys, in bounded memory (package extsort).
type Sorter struct {
	s   *extsort.Sorter
	seq uint64
	buf []byte
}

// NewSorter returns a sorter that spills to dir ("" for the system's)
// beyond about 32 MB.
func NewSorter(dir string) *Sorter { return &Sorter{s: extsort.New(dir, 0)} }

// Len is the number of records added.
func (s *Sorter) Len() int64 { return s.s.Len() }

// Add adds a record.
func (s *Sorter) Add(r *Record) error {
	s.buf = r.appendValue(s.buf[:0])
	s.seq++
	return s.s.Add(r.Key, s.seq, s.buf)
}

// Each calls fn with the records in key order, one per key (the last
// added), and empties the sorter.
func (s *Sorter) Each(fn func(Record) error) error {
	return s.EachRaw(func(key, value []byte) error {
		r, err := decodeRecord(key, value)
		if err != nil {
			return err
		}
		return fn(r)
	})
}

// EachRaw calls fn with the keys and encoded records in key order, one per
// key (the last added), and empties the sorter. The slices are valid only during
// the call.
func (s *Sorter) EachRaw(fn func(key, value []byte) error) error {
	defer s.Close()
	return s.s.EachLast(fn)
}

// Close removes the temporary files.
func (s *Sorter) Close() { s.s.Close() }
