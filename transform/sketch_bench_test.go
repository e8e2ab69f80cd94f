package transform

import (
	"fmt"
	"testing"

	"github.com/zeebo/xxh3"
)

// The per-value costs of the review's statistics.
func BenchmarkTopKLowCardinality(b *testing.B) {
	vals := make([][]byte, 8)
	hs := make([]uint64, len(vals))
	for i := range vals {
		vals[i] = []byte(fmt.Sprintf("industry-%d", i))
		hs[i] = xxh3.Hash(vals[i])
	}
	t := newTopK(topValues)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := (i * 7) & 7
		t.add(hs[j], vals[j], true, 1)
	}
}

func BenchmarkHash(b *testing.B) {
	v := []byte("Technology")
	var s uint64
	for i := 0; i < b.N; i++ {
		s += xxh3.Hash(v)
	}
	_ = s
}

func BenchmarkHLL(b *testing.B) {
	var h hll
	for i := 0; i < b.N; i++ {
		h.add(uint64(i) * 0x9e3779b97f4a7c15)
	}
}

func BenchmarkNumStats(b *testing.B) {
	var n numStats
	v := []byte("21622.33")
	for i := 0; i < b.N; i++ {
		n.add(v, 1)
	}
}

func BenchmarkStatDecimal(b *testing.B) {
	v := []byte("21622.33")
	var s float64
	for i := 0; i < b.N; i++ {
		f, _ := statDecimal(v)
		s += f
	}
	_ = s
}
