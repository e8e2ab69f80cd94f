package extsort

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"testing"

	"github.com/groupimport/groupimport/internal/spill"
)

type rec struct {
	key   [16]byte
	order uint64
	value string
}

func less(a, b rec) bool {
	if c := bytes.Compare(a.key[:], b.key[:]); c != 0 {
		return c < 0
	}
	if a.order != b.order {
		return a.order < b.order
	}
	return a.value < b.value
}

// randomRecords makes n records with many duplicate keys (and duplicate
// key-order pairs), values from empty to a few hundred bytes, and a few
// large ones (bigLen bytes, larger than a small sorter's memory).
func randomRecords(seed uint64, n, bigLen int) []rec {
	r := rand.New(rand.NewPCG(seed, 2))
	out := make([]rec, n)
	for i := range out {
		var k [16]byte
		// few distinct values in the first, middle and last byte: many
		// equal keys, and keys equal in their first 8 bytes only
		k[0], k[8], k[15] = byte(r.IntN(20)), byte(r.IntN(3)), byte(r.IntN(4))
		size := r.IntN(300)
		if r.IntN(100) == 0 {
			size = bigLen
		}
		v := make([]byte, size)
		for j := range v {
			v[j] = 'a' + byte(r.IntN(26))
		}
		out[i] = rec{k, uint64(r.IntN(50)) << uint(r.IntN(60)), string(v)}
	}
	return out
}

// sortAll adds recs to s and returns what Each gives back.
func sortAll(t *testing.T, s *Sorter, recs []rec) []rec {
	t.Helper()
	for _, x := range recs {
		if err := s.Add(x.key, x.order, []byte(x.value)); err != nil {
			t.Fatal(err)
		}
	}
	if s.Len() != int64(len(recs)) {
		t.Fatalf("Len %d, want %d", s.Len(), len(recs))
	}
	var got []rec
	err := s.Each(func(k []byte, order uint64, v []byte) error {
		got = append(got, rec{[16]byte(k), order, string(v)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// The output is the input sorted by key then order (sort.Slice is the
// reference; records equal in key and order may come in any order).
func TestMatchesSortSlice(t *testing.T) {
	for _, c := range []struct {
		limit, n, big int
	}{
		{64, 400, 1000},           // a run per record or two
		{4096, 3000, 10000},       // dozens of runs, large values alone in theirs
		{64 << 10, 20000, 200000}, // large values past a spill block
		{1 << 30, 5000, 100000},   // in memory
	} {
		t.Run(fmt.Sprintf("limit=%d", c.limit), func(t *testing.T) {
			want := randomRecords(uint64(c.limit), c.n, c.big)
			s := New(t.TempDir(), c.limit)
			defer s.Close()
			got := sortAll(t, s, want)
			if c.limit < 1<<20 && len(s.runs) < 2 {
				t.Fatalf("%d runs: the sort did not spill", len(s.runs))
			}
			for i := 1; i < len(got); i++ {
				a, b := got[i-1], got[i]
				if c := bytes.Compare(a.key[:], b.key[:]); c > 0 || c == 0 && a.order > b.order {
					t.Fatalf("record %d (%x %d) after %d (%x %d)", i, b.key, b.order, i-1, a.key, a.order)
				}
			}
			sort.Slice(want, func(i, j int) bool { return less(want[i], want[j]) })
			sort.Slice(got, func(i, j int) bool { return less(got[i], got[j]) })
			if len(got) != len(want) {
				t.Fatalf("%d records, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("record %d: %x %d %d bytes, want %x %d %d bytes", i, got[i].key, got[i].order, len(got[i].value),
						want[i].key, want[i].order, len(want[i].value))
				}
			}
		})
	}
}

func TestEachLast(t *testing.T) {
	for _, limit := range []int{256, 1 << 30} {
		recs := randomRecords(7, 5000, 5000)
		s := New(t.TempDir(), limit)
		last := map[[16]byte]string{}
		for i, x := range recs {
			last[x.key] = x.value
			if err := s.Add(x.key, uint64(i), []byte(x.value)); err != nil {
				t.Fatal(err)
			}
		}
		var prev []byte
		n := 0
		err := s.EachLast(func(k, v []byte) error {
			if prev != nil && bytes.Compare(prev, k) >= 0 {
				t.Fatalf("key %x after %x", k, prev)
			}
			prev = append(prev[:0], k...)
			if want := last[[16]byte(k)]; string(v) != want {
				t.Fatalf("key %x: %d bytes, want the last added (%d bytes)", k, len(v), len(want))
			}
			n++
			return nil
		})
		if err != nil || n != len(last) {
			t.Fatalf("limit %d: %d keys, want %d, err %v", limit, n, len(last), err)
		}
		s.Close()
	}
}

// storage is a spill.Storage in memory that fails on demand.
type storage struct {
	data      []byte
	failWrite bool
	readErr   error
	cut       int // bytes taken off the end before reading
}

func (m *storage) Write(p []byte) (int, error) {
	if m.failWrite {
		return 0, errDisk
	}
	m.data = append(m.data, p...)
	return len(p), nil
}

func (m *storage) ReadAt(p []byte, off int64) (int, error) {
	if m.readErr != nil {
		return 0, m.readErr
	}
	data := m.data[:len(m.data)-min(m.cut, len(m.data))]
	if off >= int64(len(data)) {
		return 0, io.EOF
	}
	n := copy(p, data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (m *storage) Close() error { return nil }

var errDisk = errors.New("injected disk error")

// inject makes the sorter's runs in memory, passed to damage as they are
// made.
func inject(s *Sorter, damage func(*storage)) {
	s.newRun = func() (*spill.File, error) {
		st := &storage{}
		damage(st)
		return spill.New(st, "run"), nil
	}
}

// addAndSort adds recs and sorts them; it returns the first error.
func addAndSort(s *Sorter, recs []rec) (int, error) {
	for _, x := range recs {
		if err := s.Add(x.key, x.order, []byte(x.value)); err != nil {
			return 0, err
		}
	}
	n := 0
	err := s.Each(func([]byte, uint64, []byte) error { n++; return nil })
	return n, err
}

func TestErrorsSurface(t *testing.T) {
	recs := randomRecords(3, 3000, 1000)
	for _, c := range []struct {
		name   string
		damage func(*storage)
		want   error
	}{
		{"write error", func(st *storage) { st.failWrite = true }, errDisk},
		{"read error", func(st *storage) { st.readErr = errDisk }, errDisk},
		{"run cut short", func(st *storage) { st.cut = 100 }, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := New("", 4096)
			defer s.Close()
			inject(s, c.damage)
			n, err := addAndSort(s, recs)
			if err == nil {
				t.Fatalf("no error, %d of %d records", n, len(recs))
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("err %v, want %v", err, c.want)
			}
			if c.want == nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, spill.ErrCorrupt) {
				t.Fatalf("err %v, want a short or corrupt run", err)
			}
		})
	}
	// no temporary directory to spill to
	s := New(filepath.Join(t.TempDir(), "gone"), 4096)
	defer s.Close()
	if _, err := addAndSort(s, recs); err == nil {
		t.Fatal("spilling to a missing directory: no error")
	}
}
