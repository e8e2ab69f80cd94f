package csv

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/groupimport/groupimport/importer/internal/readertest"
)

type (
	gotRow  = readertest.Row
	wantRow = readertest.Want
)

var (
	ok        = readertest.OK
	rej       = readertest.Rej
	checkRows = readertest.CheckRows
)

func isParseErr(err error) bool {
	var pe *ParseError
	return errors.As(err, &pe)
}

// readMem reads data with an initial buffer of bufSize bytes (0: the
// default), reads of at most chunk bytes (0: unlimited) and batches of max
// rows.
func readMem(data []byte, opts Options, bufSize, chunk, max int) (cols []string, rows []gotRow, err error) {
	if bufSize <= 0 {
		bufSize = 1 << 20
	}
	r, err := newReaderSize(&readertest.ChunkReader{Data: data, N: chunk}, opts, bufSize)
	if err != nil {
		return nil, nil, err
	}
	cols = r.Columns()
	rows, err = readertest.Drain(r, max, readertest.Contract{Lines: true, FileErr: isParseErr})
	return cols, rows, err
}

// splitReads reads data with tiny buffers, tiny reads and small batches and
// reports the first way a read differs from one read into one big batch.
func splitReads(data []byte, opts Options, bufSizes, chunks, maxes []int) string {
	cols, rows, err := readMem(data, opts, 0, 0, 1<<30)
	for _, bs := range bufSizes {
		for _, ch := range chunks {
			for _, mx := range maxes {
				c2, r2, e2 := readMem(data, opts, bs, ch, mx)
				if d := readertest.SameRead(cols, rows, err, c2, r2, e2); d != "" {
					return fmt.Sprintf("buffer %d, reads of %d, batches of %d: %s", bs, ch, mx, d)
				}
			}
		}
	}
	return ""
}

// wantParseErr checks that err is a *ParseError for is at line and col.
func wantParseErr(t *testing.T, err error, is error, line int64, col int) {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v (%T), want a *ParseError", err, err)
	}
	if is != nil && !errors.Is(err, is) {
		t.Errorf("error %v does not wrap %v", err, is)
	}
	if pe.Line != line || pe.Column != col {
		t.Errorf("error %v at line %d col %d, want line %d col %d", err, pe.Line, pe.Column, line, col)
	}
	if line > 0 && !strings.Contains(err.Error(), fmt.Sprintf("line %d", line)) {
		t.Errorf("error text %q does not name the line", err.Error())
	}
}
