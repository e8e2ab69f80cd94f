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

var hashSamples = [][]byte{[]byte("0000000000000000"), []byte("2024-06-08T05:35:05.000Z"), []byte("Company 0 S.A."), []byte("Media"),
	[]byte("50859"), []byte("487 Main Street, Suite 576"), []byte("São Paulo"), []byte("SP"), []byte("BR"), []byte("01000-000"),
	[]byte("https://www.company-0.example.com"), []byte("starter"), []byte("21622.33"), []byte("+1-555-738-8230"),
	[]byte("billing@company-0.example.com"), []byte("and since since provider reliable for solutions global leading and solutions platform global cloud "),
	[]byte("95853"), []byte("231"), []byte("owner29@vendor.example")}

func BenchmarkHashValuesXXH3(b *testing.B) {
	var s uint64
	for i := 0; i < b.N; i++ {
		for _, v := range hashSamples {
			s += xxh3.Hash(v)
		}
	}
	_ = s
}
