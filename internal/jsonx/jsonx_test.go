package jsonx

import (
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
