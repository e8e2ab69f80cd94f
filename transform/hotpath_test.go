package transform

import "testing"

// appendUUIDBytewise is the byte-at-a-time formatting appendUUID replaced,
// kept as the reference it must match.
func appendUUIDBytewise(dst []byte, sum *[16]byte) []byte {
	const hexd = "0123456789abcdef"
	u := *sum
	u[6] = u[6]&0x0f | 0x80
	u[8] = u[8]&0x3f | 0x80
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexd[c>>4], hexd[c&0xf])
	}
	return dst
}

func TestAppendUUID(t *testing.T) {
	for k := 0; k < 4096; k++ {
		var sum [16]byte
		for i := range sum {
			sum[i] = byte(k*31 + i*17 + k>>8*i)
		}
		if got, want := string(appendUUID([]byte("x"), &sum)), string(appendUUIDBytewise([]byte("x"), &sum)); got != want {
			t.Fatalf("appendUUID(%x) = %s, want %s", sum, got, want)
		}
	}
}

func BenchmarkAppendUUID(b *testing.B) {
	sum := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	dst := make([]byte, 0, 64)
	b.Run("hex", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			dst = appendUUID(dst[:0], &sum)
		}
	})
	b.Run("bytewise", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			dst = appendUUIDBytewise(dst[:0], &sum)
		}
	})
}

func TestHasExponent(t *testing.T) {
	for s, want := range map[string]bool{"1e3": true, "1E3": true, "-2.5e-7": true, "21622.33": false, "95853": false, "": false, "1.5": false} {
		if got := hasExponent([]byte(s)); got != want {
			t.Errorf("hasExponent(%q) = %v, want %v", s, got, want)
		}
	}
}
