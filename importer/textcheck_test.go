package importer

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
	"unicode/utf8"

	"github.com/groupimport/groupimport/importer/internal/lineio"
	"github.com/groupimport/groupimport/importer/internal/readertest"
)

// checkAll reads data through a textCheck with reads of at most chunk
// bytes.
func checkAll(data []byte, strict, crLines bool, chunk int) ([]byte, error, *textCheck) {
	c := newTextCheck(&readertest.ChunkReader{Data: data, N: chunk}, strict, crLines, false)
	out, err := io.ReadAll(c)
	return out, err, c
}

// refPos is the line and column of data[off] by the readers' rules: LF,
// CRLF and (crLines) a lone CR end a line; a byte-order mark is not a
// column.
func refPos(data []byte, off int, crLines bool) (int64, int) {
	line, start := int64(1), 0
	for k := 0; k < off; k++ {
		switch {
		case data[k] == '\n':
			line, start = line+1, k+1
		case data[k] == '\r' && crLines && (k+1 >= len(data) || data[k+1] != '\n'):
			line, start = line+1, k+1
		}
	}
	col := utf8.RuneCount(data[start:off]) + 1
	if line == 1 && bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		col--
	}
	return line, col
}

// FuzzTextCheck: text read through the check comes out byte for byte,
// whole or up to its first bad byte; a strict check stops exactly there
// (with the reference's line and column) unless it found the file to be
// UTF-8 and counted every bad byte instead; the split into reads changes
// nothing.
func FuzzTextCheck(f *testing.F) {
	for _, s := range []string{"", "a,b\n1,2\n", "id\nZoë\n", "\xef\xbb\xbfa\r1\r\xe9\r", "a\r\n\xe9", "x\xff\nZoë Åsa\n", "\xc3", "ab\xe2\x82",
		"a\nb\rc\r\nd\xe9", latin1CSV, "日本\xff"} {
		f.Add([]byte(s), true, true)
		f.Add([]byte(s), false, false)
	}
	f.Fuzz(func(t *testing.T, data []byte, strict, crLines bool) {
		out, err, c := checkAll(data, strict, crLines, 0)
		var ee *EncodingError
		switch {
		case err == nil:
			if !bytes.Equal(out, data) {
				t.Fatalf("out %q, want %q", out, data)
			}
			bad := int64(0)
			for q := data; len(q) > 0; {
				i := lineio.InvalidUTF8At(q)
				if i == len(q) {
					break
				}
				bad++
				q = q[i+1:]
			}
			if c.bad != bad {
				t.Fatalf("%d bad bytes counted, want %d", c.bad, bad)
			}
			if bad > 0 {
				first := lineio.InvalidUTF8At(data)
				line, col := refPos(data, first, crLines)
				if c.first.Offset != int64(first) || c.first.Line != line || c.first.Col != col {
					t.Fatalf("first bad byte at %d (%d:%d), want %d (%d:%d)", c.first.Offset, c.first.Line, c.first.Col, first, line, col)
				}
			}
		case errors.As(err, &ee):
			first := lineio.InvalidUTF8At(data)
			line, col := refPos(data, first, crLines)
			if !strict || ee.Offset != int64(first) || !bytes.Equal(out, data[:first]) || ee.Line != line || ee.Col != col || ee.Byte != data[first] {
				t.Fatalf("stopped at %d (%d:%d) with %d bytes out, want %d (%d:%d): %v", ee.Offset, ee.Line, ee.Col, len(out), first, line, col, err)
			}
		default:
			t.Fatalf("error %v", err)
		}
		for _, chunk := range []int{1, 3} {
			out2, err2, c2 := checkAll(data, strict, crLines, chunk)
			if !bytes.Equal(out, out2) || readertest.ErrString(err) != readertest.ErrString(err2) || c.bad != c2.bad {
				t.Fatalf("reads of %d: %q %v %d, want %q %v %d", chunk, out2, err2, c2.bad, out, err, c.bad)
			}
			if c.bad > 0 && !reflect.DeepEqual(c.warnings(), c2.warnings()) {
				t.Fatalf("reads of %d: warnings %v, want %v", chunk, c2.warnings(), c.warnings())
			}
		}
	})
}
