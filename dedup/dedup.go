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
	"bufio"
	"bytes"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"slices"
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

// Log collects entries.
type Log struct {
	dir   string
	max   int // entries kept in memory before a sorted run is spilled
	buf   []Entry
	runs  []string
	count int64

	// Full buffers are sorted and written by a goroutine, so that the
	// caller (the pipeline's in-order writer) never waits for a sort; one
	// buffer is spilling while the other fills.
	spilling chan []Entry
	spare    chan []Entry
	spillErr chan error
	pending  int
}

// NewLog returns a log that spills to dir ("" for the system temporary
// directory) once it holds maxInMemory entries (default 256 Ki, 12 MB; two
// such buffers at most): memory stays flat whatever the number of rows.
func NewLog(dir string, maxInMemory int) *Log {
	if maxInMemory <= 0 {
		maxInMemory = 256 << 10
	}
	return &Log{dir: dir, max: maxInMemory}
}

// Len is the number of entries logged.
func (l *Log) Len() int64 { return l.count }

// Add logs an entry.
func (l *Log) Add(e Entry) error {
	if l.buf == nil {
		l.buf = make([]Entry, 0, min(l.max, 64<<10))
	}
	l.buf = append(l.buf, e)
	l.count++
	if len(l.buf) >= l.max {
		return l.spillAsync()
	}
	return nil
}

// spillAsync hands the full buffer to the spilling goroutine and goes on
// with the spare one (waiting for it when the goroutine is behind).
func (l *Log) spillAsync() error {
	if l.spilling == nil {
		l.spilling, l.spare, l.spillErr = make(chan []Entry), make(chan []Entry, 1), make(chan error, 64)
		l.spare <- make([]Entry, 0, l.max)
		go func() {
			for buf := range l.spilling {
				name, err := writeRun(l.dir, buf)
				if err == nil {
					// before the report below: the caller reads runs only
					// after receiving every report
					l.runs = append(l.runs, name)
				}
				l.spare <- buf[:0]
				l.spillErr <- err
			}
		}()
	}
	// collect finished spills (their errors)
	for l.pending > 0 {
		select {
		case err := <-l.spillErr:
			l.pending--
			if err != nil {
				return err
			}
			continue
		default:
		}
		break
	}
	full := l.buf
	l.buf = <-l.spare
	l.pending++
	l.spilling <- full
	return nil
}

// drain waits for the spilling goroutine to finish every handed buffer.
func (l *Log) drain() error {
	var first error
	for ; l.pending > 0; l.pending-- {
		if err := <-l.spillErr; err != nil && first == nil {
			first = err
		}
	}
	return first
}

func less(a, b Entry) int {
	// the first eight bytes as an integer decide almost every comparison
	if ah, bh := binary.BigEndian.Uint64(a.Key[:8]), binary.BigEndian.Uint64(b.Key[:8]); ah != bh {
		if ah < bh {
			return -1
		}
		return 1
	}
	if c := bytes.Compare(a.Key[:], b.Key[:]); c != 0 {
		return c
	}
	switch {
	case a.Row < b.Row:
		return -1
	case a.Row > b.Row:
		return 1
	}
	return 0
}

func (l *Log) spill() error {
	name, err := writeRun(l.dir, l.buf)
	if err != nil {
		return err
	}
	l.runs = append(l.runs, name)
	l.buf = l.buf[:0]
	return nil
}

// writeRun sorts buf and writes it to a temporary file.
func writeRun(dir string, buf []Entry) (string, error) {
	slices.SortFunc(buf, less)
	f, err := os.CreateTemp(dir, "groupimport-dedup-*.run")
	if err != nil {
		return "", fmt.Errorf("duplicate detection: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var rec [entrySize]byte
	for _, e := range buf {
		encode(&rec, e)
		w.Write(rec[:])
	}
	if err := w.Flush(); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", fmt.Errorf("duplicate detection: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("duplicate detection: %w", err)
	}
	return f.Name(), nil
}

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

// Groups calls fn with the entries of each key, keys in ascending byte
// order, each group's entries by ascending row ordinal. The slice is reused
// between calls.
func (l *Log) Groups(fn func(group []Entry) error) error {
	var group []Entry
	var ferr error
	visit := func(e Entry) {
		if ferr != nil {
			return
		}
		if len(group) > 0 && group[0].Key != e.Key {
			ferr = fn(group)
			group = group[:0]
		}
		group = append(group, e)
	}
	if err := l.drain(); err != nil {
		return err
	}
	if l.spilling != nil {
		close(l.spilling)
		l.spilling = nil
	}
	if len(l.runs) == 0 {
		slices.SortFunc(l.buf, less)
		for _, e := range l.buf {
			visit(e)
		}
	} else {
		if len(l.buf) > 0 {
			if err := l.spill(); err != nil {
				return err
			}
		}
		if err := l.merge(visit); err != nil {
			return err
		}
	}
	if ferr == nil && len(group) > 0 {
		ferr = fn(group)
	}
	return ferr
}

// Resolve finds the superseded entries: in each group, all but the one
// with the highest row ordinal.
func (l *Log) Resolve() (*Result, error) {
	res := &Result{}
	err := l.Groups(func(group []Entry) error {
		if len(group) < 2 {
			return nil
		}
		res.Keys++
		for _, e := range group[:len(group)-1] {
			res.Superseded = append(res.Superseded, e)
			res.Rows = append(res.Rows, e.Row)
			if e.Msg >= 0 {
				res.Msgs = append(res.Msgs, e.Msg)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.Sort(res.Rows)
	slices.Sort(res.Msgs)
	slices.SortFunc(res.Superseded, func(a, b Entry) int { return int(max(-1, min(1, a.Row-b.Row))) })
	return res, nil
}

type runReader struct {
	r   *bufio.Reader
	f   *os.File
	cur Entry
}

type runHeap []*runReader

func (h runHeap) Len() int           { return len(h) }
func (h runHeap) Less(i, j int) bool { return less(h[i].cur, h[j].cur) < 0 }
func (h runHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)        { *h = append(*h, x.(*runReader)) }
func (h *runHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (rr *runReader) next() (bool, error) {
	var rec [entrySize]byte
	if _, err := io.ReadFull(rr.r, rec[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		return false, fmt.Errorf("duplicate detection: reading a sorted run: %w", err)
	}
	rr.cur = decode(rec[:])
	return true, nil
}

// merge visits all spilled entries in order.
func (l *Log) merge(visit func(Entry)) error {
	h := &runHeap{}
	defer func() {
		for _, rr := range *h {
			rr.f.Close()
		}
	}()
	for _, name := range l.runs {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("duplicate detection: %w", err)
		}
		rr := &runReader{r: bufio.NewReaderSize(f, 256<<10), f: f}
		ok, err := rr.next()
		if err != nil {
			f.Close()
			return err
		}
		if ok {
			*h = append(*h, rr)
		} else {
			f.Close()
		}
	}
	heap.Init(h)
	for h.Len() > 0 {
		rr := (*h)[0]
		visit(rr.cur)
		ok, err := rr.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(h, 0)
		} else {
			rr.f.Close()
			heap.Pop(h)
		}
	}
	return nil
}

// Close removes the temporary files.
func (l *Log) Close() {
	l.drain()
	if l.spilling != nil {
		close(l.spilling)
		l.spilling = nil
	}
	for _, r := range l.runs {
		os.Remove(r)
	}
	l.runs = nil
	l.buf = nil
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
