package importer

// Helpers of the importer tests: reading a file through Open, or bytes
// through NewSource, while checking the Reader contract on every row (see
// readertest.Drain).

import (
	"bytes"
	"errors"
	"testing"

	"github.com/groupimport/groupimport/importer/internal/readertest"
	"github.com/groupimport/groupimport/record"
)

type (
	gotRow  = readertest.Row
	wantRow = readertest.Want
)

var (
	ok        = readertest.OK
	rej       = readertest.Rej
	sameRead  = readertest.SameRead
	writeFile = readertest.WriteFile
)

func checkRows(t *testing.T, got []gotRow, want []wantRow) {
	t.Helper()
	readertest.CheckRows(t, got, want)
}

func isFileErr(err error) bool {
	var fe *FileError
	return errors.As(err, &fe)
}

// drain reads r to the end in batches of max rows (see readertest.Drain).
func drain(r interface {
	Next(b *record.Batch, max int) error
}, max int) ([]gotRow, error) {
	return readertest.Drain(r, max, true, isFileErr)
}

// readFile opens path with Open and drains it.
func readFile(path string, opts Options, max int) (cols []string, rows []gotRow, err error) {
	r, _, err := Open(path, opts)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	cols = r.Columns()
	rows, err = readertest.Drain(r, max, true, isFileErr)
	return cols, rows, err
}

// readMem reads data as format through NewSource and NewReader.
func readMem(format Format, data []byte, opts Options, max int) (cols []string, rows []gotRow, err error) {
	opts.Format = format
	src, err := NewSource("mem."+string(format), bytes.NewReader(data), opts)
	if err != nil {
		return nil, nil, err
	}
	r, err := NewReader(src, opts)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	cols = r.Columns()
	rows, err = readertest.Drain(r, max, true, isFileErr)
	return cols, rows, err
}
