package extsort

import (
	"slices"
	"testing"
)

func BenchmarkAdd(b *testing.B) {
	s := New(b.TempDir(), 0)
	defer s.Close()
	v := make([]byte, 60)
	var k [16]byte
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k[0], k[1], k[2] = byte(i), byte(i>>8), byte(i>>16)
		s.Add(k, uint64(i), v)
	}
}

// BenchmarkSortBuffer sorts one full buffer of state-sized records (16 MiB
// of 97-byte records, keys in hash order).
func BenchmarkSortBuffer(b *testing.B) {
	s := New(b.TempDir(), 0)
	defer s.Close()
	v := make([]byte, 69)
	var k [16]byte
	var bufs []*buffer
	for i := 0; len(bufs) < 1; i++ {
		x := uint64(i)*0x9E3779B97F4A7C15 + 1
		for j := 0; j < 8; j++ {
			k[j] = byte(x >> (8 * j))
		}
		if len(s.cur.data)+hdr+len(v) >= s.limit {
			bufs = append(bufs, s.cur)
			break
		}
		s.Add(k, uint64(i), v)
	}
	b.ResetTimer()
	for b.Loop() {
		c := *bufs[0]
		c.index = slices.Clone(bufs[0].index)
		c.sort()
	}
}

// BenchmarkMerge merges 1M state-sized records from 6 sorted runs (the
// runs' writing is not timed).
func BenchmarkMerge(b *testing.B) {
	v := make([]byte, 69)
	for b.Loop() {
		b.StopTimer()
		s := New(b.TempDir(), 16<<20)
		var k [16]byte
		for i := 0; i < 1000000; i++ {
			x := uint64(i)*0x9E3779B97F4A7C15 + 1
			for j := 0; j < 8; j++ {
				k[j] = byte(x >> (8 * j))
			}
			s.Add(k, uint64(i), v)
		}
		b.StartTimer()
		s.Each(func([]byte, uint64, []byte) error { return nil })
		s.Close()
	}
}

// BenchmarkWriteRun sorts and writes one full buffer of state-sized
// records (97 bytes, keys in hash order) as a run.
func BenchmarkWriteRun(b *testing.B) {
	s := New(b.TempDir(), 0)
	defer s.Close()
	v := make([]byte, 69)
	var k [16]byte
	for i := 0; ; i++ {
		x := uint64(i)*0x9E3779B97F4A7C15 + 1
		for j := 0; j < 8; j++ {
			k[j] = byte(x >> (8 * j))
		}
		if len(s.cur.data)+hdr+len(v) >= s.limit {
			break
		}
		s.Add(k, uint64(i), v)
	}
	full := s.cur
	b.ResetTimer()
	for b.Loop() {
		c := *full
		c.index = append(c.index[:0:0], full.index...)
		f, err := s.writeRun(&c)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
