package dedup

import (
	"bytes"
	"cmp"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestLogEach: Each gives back every entry as it was logged (key, row,
// message index, hash, delete flag), sorted by key then row, grouped by
// key, in memory and spilled, with keys spread over every first byte and
// with one key on every row.
func TestLogEach(t *testing.T) {
	for _, tc := range []struct {
		name    string
		limit   int
		keys    int
		entries int
	}{{"memory", 1 << 20, 3000, 5000}, {"spilled", 7, 3000, 5000}, {"one a run", 1, 50, 300}, {"one key", 64, 1, 1000}} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, uint64(tc.limit)))
			var want []Entry
			for row := range int64(tc.entries) {
				var k [16]byte
				n := r.IntN(tc.keys)
				k[0], k[7], k[8], k[15] = byte(n*37), byte(n), byte(n>>8), byte(n>>3)
				e := Entry{Key: k, Row: row, Msg: row, Hash: r.Uint64(), Delete: r.IntN(4) == 0}
				switch r.IntN(5) {
				case 0:
					e.Msg = -1
				case 1:
					e.Msg = math.MinInt64
				}
				if r.IntN(3) == 0 {
					e.Row += 1 << 62 // rows of inputs that are not files
				}
				want = append(want, e)
			}
			l := NewLog(t.TempDir(), tc.limit)
			defer l.Close()
			for _, e := range slices.Backward(want) { // not in row order
				if err := l.Add(e); err != nil {
					t.Fatal(err)
				}
			}
			slices.SortFunc(want, func(a, b Entry) int {
				return cmp.Or(bytes.Compare(a.Key[:], b.Key[:]), cmp.Compare(a.Row, b.Row))
			})
			var got []Entry
			var supersededN int64
			err := l.Each(func(e Entry) error {
				got = append(got, e)
				supersededN++
				return nil
			}, func(e Entry, n int64) error {
				got = append(got, e)
				if n != supersededN {
					t.Fatalf("key %x: %d superseded, %d seen", e.Key, n, supersededN)
				}
				supersededN = 0
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%d entries back, want %d; first %+v, want %+v", len(got), len(want), got[:min(3, len(got))], want[:3])
			}
		})
	}
}

// BenchmarkLog: an incremental run's key log of 1M keys, added and read
// back in order.
func BenchmarkLog(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	entries := make([]Entry, 1<<20)
	for i := range entries {
		var k [16]byte
		for j := range k {
			k[j] = byte(r.Uint32())
		}
		entries[i] = Entry{Key: k, Row: int64(i), Msg: int64(i), Hash: r.Uint64()}
	}
	b.ResetTimer()
	for range b.N {
		l := NewLog(b.TempDir(), 0)
		for _, e := range entries {
			if err := l.Add(e); err != nil {
				b.Fatal(err)
			}
		}
		if err := l.Each(func(Entry) error { return nil }, func(Entry, int64) error { return nil }); err != nil {
			b.Fatal(err)
		}
		l.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(entries)), "ns/entry")
}

// TestLogEachStops: an error of Each's caller stops the merge of spilled
// runs and is Each's error.
func TestLogEachStops(t *testing.T) {
	l := NewLog(t.TempDir(), 100)
	defer l.Close()
	for i := range 50000 {
		var k [16]byte
		k[0], k[1], k[2] = byte(i*7), byte(i), byte(i>>8)
		if err := l.Add(Entry{Key: k, Row: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	stop := errors.New("enough")
	n := 0
	err := l.Each(func(Entry) error { return nil }, func(Entry, int64) error {
		if n++; n == 20000 {
			return stop
		}
		return nil
	})
	if err != stop || n != 20000 {
		t.Fatalf("Each: %v after %d keys, want %v after 20000", err, n, stop)
	}
}
