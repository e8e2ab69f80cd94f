// Package extsort sorts records larger than memory: each record is a
// 16-byte key, a 64-bit order and a value; records come back sorted by key,
// then order. Past a memory limit the buffer is sorted and written to a
// temporary file (package spill) by a background goroutine (one buffer
// spills while the next fills), and the sorted runs are merged at the end.
package extsort

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"unsafe"

	"github.com/groupimport/groupimport/internal/spill"
)

// header: key(16) order(8, big endian: bytes compare as numbers) len(4)
const hdr = 16 + 8 + 4

// Sorter collects records. Not safe for concurrent use.
type Sorter struct {
	dir   string
	limit int
	cur   *buffer
	runs  []*spill.File
	n     int64
	// newRun creates the file of a sorted run (tests replace it).
	newRun func() (*spill.File, error)

	spilling chan *buffer
	spare    chan *buffer
	done     chan error
	pending  int
	// mapped are the buffers' memory outside the Go heap, unmapped by
	// Close
	mapped [][]byte
}

type buffer struct {
	data  []byte
	index []entry // the records in data
}

// entry is a record of a buffer: its offset, and its key's first 8 bytes
// as a number. Sorting entries compares the numbers within the index, and
// reads a record's data only for keys whose first 8 bytes are equal:
// sorting a 16 MiB buffer of state records (97 bytes each, hashed keys)
// by offsets alone, every comparison two cache misses into the data, took
// a median 680 ms; this 250 ms (BenchmarkSortBuffer, 3 interleaved runs
// on a heavily shared 2-core machine).
type entry struct {
	k0  uint64
	off int
}

// runBlock is the block size of a run file. The merge reads every run at
// once, a block of each in memory: with spill's 256 KiB blocks, the 80
// runs of a first --state run of 10M companies held 20 MB, which made its
// peak RSS grow with the number of keys (issue 18); 32 KiB blocks hold
// 2.5 MB.
const runBlock = 32 << 10

// New returns a sorter spilling to dir ("" for the system's temporary
// directory) once a buffer holds limit bytes (default 16 MiB; two buffers
// at most).
func New(dir string, limit int) *Sorter {
	if limit <= 0 {
		limit = 16 << 20
	}
	s := &Sorter{dir: dir, limit: limit, cur: &buffer{}}
	s.newRun = func() (*spill.File, error) { return spill.CreateBlocks(s.dir, "groupimport-sort-*.run", runBlock) }
	return s
}

// newBuffer makes a buffer that holds a run without growing (growing a
// multi-megabyte slice by 1.25 each time copied it over and over), its
// data and index mapped outside the Go heap where the system allows. The
// process runs under a soft memory limit (cmd/groupimport): two 16 MiB
// buffers and their indexes on the heap brought a first --state run's
// heap near it, and the collector ran nearly all the time: on 1M
// companies, 8.3 s of CPU against 5.2 s with the limit raised out of the
// way.
func (s *Sorter) newBuffer() *buffer {
	dataN := (s.limit + 64<<10 + 7) &^ 7 // the index after it is 8-aligned
	idxN := s.limit/hdr + 1              // as many records as can fit
	if mem := offHeap(dataN + idxN*int(unsafe.Sizeof(entry{}))); mem != nil {
		s.mapped = append(s.mapped, mem)
		index := unsafe.Slice((*entry)(unsafe.Pointer(&mem[dataN])), idxN)
		return &buffer{data: mem[:0:dataN], index: index[:0]}
	}
	return &buffer{data: make([]byte, 0, dataN), index: make([]entry, 0, idxN)}
}

// Len is the number of records added.
func (s *Sorter) Len() int64 { return s.n }

// Add adds a record; value is copied.
func (s *Sorter) Add(key [16]byte, order uint64, value []byte) error {
	b := s.cur
	if b.data == nil {
		if s.n == 0 && s.limit > 1<<20 {
			b.data = make([]byte, 0, 1<<20) // small sorts stay small
		}
	} else if cap(b.data)-len(b.data) < hdr+len(value) && len(b.data) >= 1<<20 && cap(b.data) < s.limit && s.limit <= 256<<20 {
		// past the first megabyte: one allocation for the whole run
		nb := s.newBuffer()
		nb.data = append(nb.data, b.data...)
		nb.index = append(nb.index, b.index...)
		s.cur, b = nb, nb
	}
	off := len(b.data)
	b.data = append(b.data, key[:]...)
	b.data = binary.BigEndian.AppendUint64(b.data, order)
	b.data = binary.LittleEndian.AppendUint32(b.data, uint32(len(value)))
	b.data = append(b.data, value...)
	b.index = append(b.index, entry{binary.BigEndian.Uint64(key[:]), off})
	s.n++
	if len(b.data) >= s.limit {
		return s.spillAsync()
	}
	return nil
}

func (b *buffer) record(off int) []byte {
	n := int(binary.LittleEndian.Uint32(b.data[off+24:]))
	return b.data[off : off+hdr+n]
}

func (b *buffer) sort() {
	d := b.data
	// key and order are 24 big-endian bytes: three integer comparisons,
	// the first without reading the data
	slices.SortFunc(b.index, func(x, y entry) int {
		if x.k0 != y.k0 {
			return cmp.Compare(x.k0, y.k0)
		}
		for i := 8; i < 24; i += 8 {
			a, c := binary.BigEndian.Uint64(d[x.off+i:]), binary.BigEndian.Uint64(d[y.off+i:])
			if a != c {
				return cmp.Compare(a, c)
			}
		}
		return 0
	})
}

func (s *Sorter) spillAsync() error {
	if s.spilling == nil {
		s.spilling, s.spare, s.done = make(chan *buffer), make(chan *buffer, 1), make(chan error, 64)
		if s.limit <= 256<<20 {
			s.spare <- s.newBuffer()
		} else {
			s.spare <- &buffer{}
		}
		go func() {
			for b := range s.spilling {
				run, err := s.writeRun(b)
				if err == nil {
					s.runs = append(s.runs, run) // read only after every report below is received
				}
				b.data, b.index = b.data[:0], b.index[:0]
				s.spare <- b
				s.done <- err
			}
		}()
	}
	full := s.cur
	s.cur = <-s.spare
	s.pending++
	s.spilling <- full
	return s.collect(false)
}

// collect takes the reports of finished spills (waiting for all of them
// with wait); it returns the first error.
func (s *Sorter) collect(wait bool) error {
	var first error
	for s.pending > 0 {
		var err error
		if wait {
			err = <-s.done
		} else {
			select {
			case err = <-s.done:
			default:
				return first
			}
		}
		s.pending--
		if err != nil && first == nil {
			first = err
		}
	}
	return first
}

// writeRun sorts a buffer and writes it to a new run file.
func (s *Sorter) writeRun(b *buffer) (*spill.File, error) {
	b.sort()
	f, err := s.newRun()
	if err != nil {
		return nil, fmt.Errorf("sorting: %w", err)
	}
	for _, e := range b.index {
		if err := f.Append(b.record(e.off)); err != nil {
			f.Close()
			return nil, fmt.Errorf("sorting: %w", err)
		}
	}
	if err := f.Flush(); err != nil {
		f.Close()
		return nil, fmt.Errorf("sorting: %w", err)
	}
	return f, nil
}

// Each calls fn with every record, sorted by key then order; the slices
// are valid only during the call. It may be called once.
func (s *Sorter) Each(fn func(key []byte, order uint64, value []byte) error) error {
	if err := s.collect(true); err != nil {
		return err
	}
	if s.spilling != nil {
		close(s.spilling)
		s.spilling = nil
	}
	visit := func(r []byte) error {
		return fn(r[:16], binary.BigEndian.Uint64(r[16:24]), r[hdr:])
	}
	if len(s.runs) == 0 {
		s.cur.sort()
		for _, e := range s.cur.index {
			if err := visit(s.cur.record(e.off)); err != nil {
				return err
			}
		}
		return nil
	}
	if len(s.cur.index) > 0 {
		run, err := s.writeRun(s.cur)
		if err != nil {
			return err
		}
		s.runs = append(s.runs, run)
		s.cur = &buffer{}
	}
	s.freeBuffers()
	return s.merge(visit)
}

// EachLast calls fn with one record per key, in key order: the one with
// the highest order (the last added, when the orders number additions).
// The slices are valid only during the call. It may be called once,
// instead of Each.
func (s *Sorter) EachLast(fn func(key, value []byte) error) error {
	var key, value []byte
	have := false
	err := s.Each(func(k []byte, _ uint64, v []byte) error {
		if have && !bytes.Equal(key, k) {
			if err := fn(key, value); err != nil {
				return err
			}
		}
		key, value, have = append(key[:0], k...), append(value[:0], v...), true
		return nil
	})
	if err == nil && have {
		err = fn(key, value)
	}
	return err
}

// run is a sorted run being merged: cur is its current record, k0 its
// key's first 8 bytes as a number.
type run struct {
	r   *spill.Reader
	cur []byte
	k0  uint64
}

func (r *run) next() (bool, error) {
	rec, err := r.r.Next()
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sorting: reading a sorted run: %w", err)
	}
	if len(rec) < hdr || int(binary.LittleEndian.Uint32(rec[24:])) != len(rec)-hdr {
		return false, fmt.Errorf("sorting: reading a sorted run: %w: a record of %d bytes", spill.ErrCorrupt, len(rec))
	}
	r.cur, r.k0 = rec, binary.BigEndian.Uint64(rec)
	return true, nil
}

func (r *run) less(o *run) bool {
	if r.k0 != o.k0 {
		return r.k0 < o.k0
	}
	return bytes.Compare(r.cur[8:24], o.cur[8:24]) < 0
}

// runHeap is a min-heap of runs by their current record's key and order.
// Written out rather than with container/heap, whose calls through an
// interface and bytes.Compare on every comparison were a sixth of the
// samples of writing a first run's state (BenchmarkFirstGeneration in
// package state): BenchmarkMerge (1M records, 6 runs) went from a median
// 497 to 424 ms (5 interleaved runs on a shared machine).
type runHeap []*run

// down moves the run at i down to its place.
func (h runHeap) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h[r].less(h[l]) {
			m = r
		}
		if !h[m].less(h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

func (s *Sorter) merge(visit func([]byte) error) error {
	var h runHeap
	for _, f := range s.runs {
		rd, err := f.Records()
		if err != nil {
			return fmt.Errorf("sorting: %w", err)
		}
		r := &run{r: rd}
		ok, err := r.next()
		if err != nil {
			return err
		}
		if ok {
			h = append(h, r)
		}
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
	for len(h) > 0 {
		r := h[0]
		if err := visit(r.cur); err != nil {
			return err
		}
		ok, err := r.next()
		if err != nil {
			return err
		}
		if !ok {
			h[0] = h[len(h)-1]
			h = h[:len(h)-1]
		}
		h.down(0)
	}
	return nil
}

// freeBuffers lets the buffers go once every run is written: they are
// resident (two of about 20 MB each) and the merge does not need them.
func (s *Sorter) freeBuffers() {
	s.cur, s.spare = &buffer{}, nil
	for _, m := range s.mapped {
		freeOffHeap(m)
	}
	s.mapped = nil
}

// Close removes the temporary files.
func (s *Sorter) Close() {
	s.collect(true)
	if s.spilling != nil {
		close(s.spilling)
		s.spilling = nil
	}
	for _, r := range s.runs {
		r.Close()
	}
	s.runs = nil
	s.freeBuffers()
}
