package jsonx

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestTooDeepWrapsErrTooDeep(t *testing.T) {
	deep := []byte(strings.Repeat("[", 5) + strings.Repeat("]", 5))
	if err := Valid(deep, 5); err != nil {
		t.Fatalf("depth 5 with limit 5: %v", err)
	}
	err := Valid(deep, 4)
	var se *SyntaxError
	if !errors.Is(err, ErrTooDeep) || !errors.As(err, &se) || se.Offset != 4 {
		t.Fatalf("depth 5 with limit 4: %v, want a SyntaxError at offset 4 wrapping ErrTooDeep", err)
	}
	if err := Valid([]byte(`[1,]`), 4); errors.Is(err, ErrTooDeep) || err == nil {
		t.Fatalf("a syntax error: %v", err)
	}
}

// PlainASCII agrees with a byte-at-a-time reading for every length up to
// 24 with each kind of byte (escaped, non-ASCII, their neighbours) at every
// position.
func TestPlainASCII(t *testing.T) {
	probe := []byte{0x00, 0x1f, 0x20, '!', '"', '#', '[', '\\', ']', 0x7f, 0x80, 0xc3, 0xff}
	ref := func(s []byte) bool {
		for _, c := range s {
			if c >= 0x80 || c < 0x20 || c == '"' || c == '\\' {
				return false
			}
		}
		return true
	}
	for n := 0; n <= 24; n++ {
		s := bytes.Repeat([]byte{'a'}, n)
		if !PlainASCII(s) {
			t.Fatalf("PlainASCII(%q) = false", s)
		}
		for i := 0; i < n; i++ {
			for _, c := range probe {
				s2 := bytes.Clone(s)
				s2[i] = c
				if got, want := PlainASCII(s2), ref(s2); got != want {
					t.Fatalf("PlainASCII(%q) = %v, want %v", s2, got, want)
				}
			}
		}
	}
}
