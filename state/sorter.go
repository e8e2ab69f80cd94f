package state

import (
	"bufio"
	"bytes"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
)

// Sorter collects records and gives them back sorted by key, the last one
// added winning for equal keys, in bounded memory: past a limit, sorted runs
// are spilled to temporary files and merged.
type Sorter struct {
	dir   string
	limit int
	data  []byte
	index []int // offsets of entries in data
	runs  []string
	seq   uint64
	n     int64
}

// NewSorter returns a sorter that spills to dir ("" for the system's)
// beyond about 64 MB.
func NewSorter(dir string) *Sorter { return &Sorter{dir: dir, limit: 64 << 20} }

// Len is the number of records added.
func (s *Sorter) Len() int64 { return s.n }

// Add adds a record.
func (s *Sorter) Add(r *Record) error {
	return s.add(r.Key, func(dst []byte) []byte { return r.appendValue(dst) })
}

// AddRaw adds any value under a key (see EachRaw).
func (s *Sorter) AddRaw(key [16]byte, value []byte) error {
	return s.add(key, func(dst []byte) []byte { return append(dst, value...) })
}

// entry layout: key(16) seq(8, big endian) len(4) value
func (s *Sorter) add(key [16]byte, appendValue func([]byte) []byte) error {
	off := len(s.data)
	s.data = append(s.data, key[:]...)
	s.data = binary.BigEndian.AppendUint64(s.data, s.seq)
	s.seq++
	s.data = append(s.data, 0, 0, 0, 0)
	vstart := len(s.data)
	s.data = appendValue(s.data)
	binary.LittleEndian.PutUint32(s.data[vstart-4:], uint32(len(s.data)-vstart))
	s.index = append(s.index, off)
	s.n++
	if len(s.data) >= s.limit {
		return s.spill()
	}
	return nil
}

func (s *Sorter) entry(off int) []byte {
	n := int(binary.LittleEndian.Uint32(s.data[off+24:]))
	return s.data[off : off+28+n]
}

func (s *Sorter) sortBuf() {
	sort.Slice(s.index, func(i, j int) bool {
		a, b := s.data[s.index[i]:s.index[i]+24], s.data[s.index[j]:s.index[j]+24]
		return bytes.Compare(a, b) < 0 // key, then the order added
	})
}

func (s *Sorter) spill() error {
	s.sortBuf()
	f, err := os.CreateTemp(s.dir, "groupimport-state-*.run")
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for _, off := range s.index {
		w.Write(s.entry(off))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		os.Remove(f.Name())
		return fmt.Errorf("state: %w", err)
	}
	f.Close()
	s.runs = append(s.runs, f.Name())
	s.data, s.index = s.data[:0], s.index[:0]
	return nil
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

// EachRaw calls fn with the keys and values in key order, one per key (the
// last added), and empties the sorter. The slices are valid only during
// the call.
func (s *Sorter) EachRaw(fn func(key, value []byte) error) error {
	defer s.Close()
	var last []byte
	var pending []byte
	emit := func() error {
		if pending == nil {
			return nil
		}
		n := int(binary.LittleEndian.Uint32(pending[24:]))
		return fn(pending[:16], pending[28:28+n])
	}
	visit := func(e []byte) error {
		if last != nil && !bytes.Equal(last, e[:16]) {
			if err := emit(); err != nil {
				return err
			}
		}
		last = append(last[:0], e[:16]...)
		pending = append(pending[:0], e...)
		return nil
	}
	if len(s.runs) == 0 {
		s.sortBuf()
		for _, off := range s.index {
			if err := visit(s.entry(off)); err != nil {
				return err
			}
		}
	} else {
		if len(s.index) > 0 {
			if err := s.spill(); err != nil {
				return err
			}
		}
		if err := s.merge(visit); err != nil {
			return err
		}
	}
	return emit()
}

type sortRun struct {
	r   *bufio.Reader
	f   *os.File
	cur []byte
}

func (r *sortRun) next() (bool, error) {
	var hdr [28]byte
	if _, err := io.ReadFull(r.r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		return false, fmt.Errorf("state: reading a sorted run: %w", err)
	}
	n := int(binary.LittleEndian.Uint32(hdr[24:]))
	r.cur = append(append(r.cur[:0], hdr[:]...), make([]byte, n)...)
	if _, err := io.ReadFull(r.r, r.cur[28:]); err != nil {
		return false, fmt.Errorf("state: reading a sorted run: %w", err)
	}
	return true, nil
}

type sortHeap []*sortRun

func (h sortHeap) Len() int           { return len(h) }
func (h sortHeap) Less(i, j int) bool { return bytes.Compare(h[i].cur[:24], h[j].cur[:24]) < 0 }
func (h sortHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *sortHeap) Push(x any)        { *h = append(*h, x.(*sortRun)) }
func (h *sortHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (s *Sorter) merge(visit func([]byte) error) error {
	h := &sortHeap{}
	defer func() {
		for _, r := range *h {
			r.f.Close()
		}
	}()
	for _, name := range s.runs {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("state: %w", err)
		}
		r := &sortRun{r: bufio.NewReaderSize(f, 256<<10), f: f}
		ok, err := r.next()
		if err != nil {
			f.Close()
			return err
		}
		if ok {
			*h = append(*h, r)
		} else {
			f.Close()
		}
	}
	heap.Init(h)
	for h.Len() > 0 {
		r := (*h)[0]
		if err := visit(r.cur); err != nil {
			return err
		}
		ok, err := r.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(h, 0)
		} else {
			r.f.Close()
			heap.Pop(h)
		}
	}
	return nil
}

// Close removes the temporary files.
func (s *Sorter) Close() {
	for _, r := range s.runs {
		os.Remove(r)
	}
	s.runs = nil
	s.data, s.index = nil, nil
}
