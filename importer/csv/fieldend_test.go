package csv

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestFieldEndWords checks the word-at-a-time scan against a byte-at-a-time
// one, with stop bytes at every position of a word and the bytes next to
// them (0x2b, 0x2d, 0x09, 0x0b, 0x0c, 0x0e: where a borrow could mislead
// the has-zero-byte trick) and UTF-8 bytes around; and its plain flag
// (no byte before the stop that JSON escapes), with such bytes ('"', '\\',
// control characters) and their neighbours rare or common.
func TestFieldEndWords(t *testing.T) {
	for _, comma := range []byte{',', ';', '\t', '|'} {
		r, err := NewReader(strings.NewReader("a"+string(comma)+"b\n"), Options{Comma: comma})
		if err != nil {
			t.Fatal(err)
		}
		alphabet := []byte{'a', 0x2b, 0x2d, 0x09, 0x0b, 0x0c, 0x0e, 0x00, 0x01, 0xc3, 0xa9, 0xff, 0x80, comma, comma + 1, comma - 1, '\n', '\r',
			'"', '\\', 0x1f, 0x20, 0x21, 0x23, 0x5b, 0x5d}
		clean := []byte{'a', 0x2b, 0x2d, 0x20, 0x21, 0x23, 0x5b, 0x5d, 0xc3, 0xa9}
		rng := rand.New(rand.NewPCG(1, uint64(comma)))
		for n := 0; n < 20000; n++ {
			data := make([]byte, rng.IntN(40))
			for k := range data {
				data[k] = alphabet[rng.IntN(len(alphabet))]
				if rng.IntN(3) > 0 { // mostly no stop byte
					for data[k] == comma || data[k] == '\n' || data[k] == '\r' {
						data[k] = alphabet[rng.IntN(7)]
					}
				}
				if n%2 == 0 && rng.IntN(30) > 0 { // mostly plain
					data[k] = clean[rng.IntN(len(clean))]
				}
			}
			i := 0
			if len(data) > 0 {
				i = rng.IntN(len(data) + 1)
			}
			want, wantPlain := i, true
			for want < len(data) && data[want] != comma && data[want] != '\n' && data[want] != '\r' {
				if c := data[want]; c < 0x20 || c == '"' || c == '\\' {
					wantPlain = false
				}
				want++
			}
			if got, plain := r.fieldEnd(data, i); got != want || plain != wantPlain {
				t.Fatalf("comma %q, fieldEnd(%q, %d) = %d, %v, want %d, %v", comma, data, i, got, plain, want, wantPlain)
			}
		}
	}
}
