package extsort

import "testing"

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
