// Package dedup finds rows of one run that are about the same object or
// relationship, in bounded memory.
//
// Every payload of a run is logged as an Entry: the hash of its key (object
// type, groupId and, for relationships, the person), the row's ordinal in
// the run (its position across all inputs) and the payload's index in the
// output. Resolve sorts the log (in memory up to a limit, else in sorted runs
// spilled to temporary files and merged) and, for each key seen more than
// once, reports every entry but the one with the highest row ordinal as
// superseded: the last row wins.
package dedup

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"math/bits"
	"slices"

	"github.com/groupimport/groupimport/internal/extsort"
)

// Entry is one logged payload.
type Entry struct {
	Key    [16]byte
	Row    int64  // the row's ordinal in the run
	Msg    int64  // the payload's index in the output, or -1
	Hash   uint64 // the hash of the payload's content (for incremental runs)
	Delete bool   // the payload is a delete event
}

const entrySize = 16 + 8 + 8 + 8 + 1

// Log collects entries and gives them back grouped by key, in bounded
// memory (package extsort).
type Log struct {
	s   *extsort.Sorter
	buf []byte
}

// NewLog returns a log that spills to dir ("" for the system temporary
// directory) past maxInMemory entries (default 256 Ki, about 13 MB; two
// such buffers at most): memory stays flat whatever the number of rows.
func NewLog(dir string, maxInMemory int) *Log {
	if maxInMemory <= 0 {
		maxInMemory = 256 << 10
	}
	return &Log{s: extsort.New(dir, maxInMemory*(28+valueSize))}
}

// Len is the number of entries logged.
func (l *Log) Len() int64 { return l.s.Len() }

// value layout: msg(8) hash(8) delete(1); the row is the sort order
const valueSize = 17

// Add logs an entry.
func (l *Log) Add(e Entry) error {
	l.buf = binary.LittleEndian.AppendUint64(l.buf[:0], uint64(e.Msg))
	l.buf = binary.LittleEndian.AppendUint64(l.buf, e.Hash)
	if e.Delete {
		l.buf = append(l.buf, 1)
	} else {
		l.buf = append(l.buf, 0)
	}
	return l.s.Add(e.Key, uint64(e.Row), l.buf)
}

// Groups calls fn with the entries of each key, keys in ascending byte
// order, each group's entries by ascending row ordinal. The slice is reused
// between calls.
func (l *Log) Groups(fn func(group []Entry) error) error {
	var group []Entry
	err := l.s.Each(func(key []byte, order uint64, v []byte) error {
		var e Entry
		copy(e.Key[:], key)
		e.Row = int64(order)
		e.Msg = int64(binary.LittleEndian.Uint64(v))
		e.Hash = binary.LittleEndian.Uint64(v[8:])
		e.Delete = v[16] == 1
		if len(group) > 0 && group[0].Key != e.Key {
			if err := fn(group); err != nil {
				return err
			}
			group = group[:0]
		}
		group = append(group, e)
		return nil
	})
	if err == nil && len(group) > 0 {
		err = fn(group)
	}
	return err
}

// Resolve finds the superseded entries: in each group, all but the one
// with the highest row ordinal.
func (l *Log) Resolve() (*Result, error) {
	res := &Result{}
	err := l.Groups(func(group []Entry) error {
		res.add(group)
		return nil
	})
	if err != nil {
		return nil, err
	}
	res.sort()
	return res, nil
}

// Close removes the temporary files.
func (l *Log) Close() { l.s.Close() }

// Result lists the superseded entries.
type Result struct {
	// Superseded are the entries that lost to a later row of their key,
	// sorted by row ordinal.
	Superseded []Entry
	// Rows and Msgs are the superseded rows' ordinals and payload indexes,
	// each sorted ascending (Msgs leaves out entries logged with Msg -1).
	Rows []int64
	Msgs []int64
	// Keys is the number of keys that had duplicates.
	Keys int64
}

// add records a key's entries (sorted by row): all but the last lose.
func (r *Result) add(group []Entry) {
	if len(group) < 2 {
		return
	}
	r.Keys++
	for _, e := range group[:len(group)-1] {
		r.Superseded = append(r.Superseded, e)
		r.Rows = append(r.Rows, e.Row)
		if e.Msg >= 0 {
			r.Msgs = append(r.Msgs, e.Msg)
		}
	}
}

func (r *Result) sort() {
	slices.Sort(r.Rows)
	slices.Sort(r.Msgs)
	slices.SortFunc(r.Superseded, func(a, b Entry) int { return cmp.Compare(a.Row, b.Row) })
}

// entry layout in the detector's key log
func encode(rec *[entrySize]byte, e Entry) {
	copy(rec[:16], e.Key[:])
	binary.LittleEndian.PutUint64(rec[16:], uint64(e.Row))
	binary.LittleEndian.PutUint64(rec[24:], uint64(e.Msg))
	binary.LittleEndian.PutUint64(rec[32:], e.Hash)
	rec[40] = 0
	if e.Delete {
		rec[40] = 1
	}
}

func decode(rec []byte) Entry {
	var e Entry
	copy(e.Key[:], rec[:16])
	e.Row = int64(binary.LittleEndian.Uint64(rec[16:]))
	e.Msg = int64(binary.LittleEndian.Uint64(rec[24:]))
	e.Hash = binary.LittleEndian.Uint64(rec[32:])
	e.Delete = rec[40] == 1
	return e
}

// less orders entries by key, then row.
func less(a, b Entry) int {
	if c := bytes.Compare(a.Key[:], b.Key[:]); c != 0 {
		return c
	}
	return cmp.Compare(a.Row, b.Row)
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
