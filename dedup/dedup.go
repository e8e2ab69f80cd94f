// Package dedup finds rows of one run that are about the same object or
// relationship, in bounded memory: the last row of a key wins, the others
// are superseded.
//
// Every payload of a run is logged as an Entry: the hash of its key (object
// type, groupId and, for relationships, the person), the row's ordinal in
// the run (its position across all inputs) and the payload's index in the
// output. Two logs resolve them into a Result (sets of row ordinals and
// payload indexes):
//
//   - Log sorts the entries (in memory up to a limit, else in sorted runs
//     spilled to temporary files and merged; see keylog.go) and streams
//     them grouped by key, for an incremental run's comparison with
//     its state as well as for Resolve. Groups are streamed, never held:
//     memory stays flat whatever the distribution of keys (one key on every
//     row included).
//   - Detector is cheap when no key repeats, the common case: a Bloom filter
//     over the keys, and a sequential key log (package internal/spill) read
//     back only when the filter may have seen a key twice.
package dedup

import (
	"math/bits"
)

// Entry is one logged payload. Its fields are those of pipeline.KeyEntry,
// so the pipeline's key log converts to it.
type Entry struct {
	Key    [16]byte
	Row    int64  // the row's ordinal in the run
	Msg    int64  // the payload's index in the output, or -1
	Hash   uint64 // the hash of the payload's content (for incremental runs)
	Delete bool   // the payload is a delete event
}

// Resolve finds the superseded entries: for each key, all but the one with
// the highest row ordinal.
func (l *Log) Resolve() (*Result, error) {
	res := newResult()
	err := l.Each(func(e Entry) error {
		res.supersede(e)
		return nil
	}, func(_ Entry, n int64) error {
		if n > 0 {
			res.Keys++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Result says which entries lost to a later row of their key, as sets of
// row ordinals and payload indexes (a bit each: memory follows the number
// of rows, not how they are spread over keys).
type Result struct {
	// Rows are the superseded rows' ordinals; Deletes those of them that
	// are delete events.
	Rows, Deletes *Set
	// Msgs are the superseded payloads' indexes in the output (entries
	// logged with Msg -1 are left out).
	Msgs *Set
	// Superseded is the number of superseded entries; Keys the number of
	// keys that had duplicates.
	Superseded int64
	Keys       int64
}

func newResult() *Result { return &Result{Rows: &Set{}, Deletes: &Set{}, Msgs: &Set{}} }

// supersede records an entry that lost.
func (r *Result) supersede(e Entry) {
	r.Superseded++
	r.Rows.Add(e.Row)
	if e.Delete {
		r.Deletes.Add(e.Row)
	}
	if e.Msg >= 0 {
		r.Msgs.Add(e.Msg)
	}
}

// Set is a set of row ordinals, as a bitmap: 10 M rows take 1.25 MB.
type Set struct{ bits []uint64 }

// Add puts x in the set.
func (s *Set) Add(x int64) {
	i := int(x >> 6)
	if i >= len(s.bits) {
		s.bits = append(s.bits, make([]uint64, i+1-len(s.bits))...)
	}
	s.bits[i] |= 1 << (x & 63)
}

// Has reports whether x is in the set; a nil set is empty.
func (s *Set) Has(x int64) bool {
	if s == nil {
		return false
	}
	i := int(x >> 6)
	return i < len(s.bits) && s.bits[i]&(1<<(x&63)) != 0
}

// CountRange counts the members in [lo, hi).
func (s *Set) CountRange(lo, hi int64) int64 {
	if s == nil || lo >= hi {
		return 0
	}
	lo = max(lo, 0)
	hi = min(hi, int64(len(s.bits))*64)
	var n int64
	for lo < hi {
		w := s.bits[lo>>6] >> (lo & 63)
		span := min(64-(lo&63), hi-lo)
		if span < 64 {
			w &= 1<<span - 1
		}
		n += int64(bits.OnesCount64(w))
		lo += span
	}
	return n
}

// Len counts the members.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	n := 0
	for _, w := range s.bits {
		n += bits.OnesCount64(w)
	}
	return n
}
