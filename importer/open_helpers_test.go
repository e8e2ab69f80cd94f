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

// contract is what the Reader of a file of format f keeps.
func contract(f Format) readertest.Contract {
	return readertest.Contract{Lines: f != Parquet, ValuesWithErr: f == Parquet, FileErr: isFileErr}
}

// drain reads r, a CSV or NDJSON reader, to the end in batches of max rows
// (see readertest.Drain).
func drain(r interface {
	Next(b *record.Batch, max int) error
}, max int) ([]gotRow, error) {
	return readertest.Drain(r, max, contract(CSV))
}

// readFile opens path with Open and drains it.
func readFile(path string, opts Options, max int) (cols []string, rows []gotRow, err error) {
	r, src, err := Open(path, opts)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	cols = r.Columns()
	rows, err = readertest.Drain(r, max, contract(src.Format))
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
	rows, err = readertest.Drain(r, max, contract(format))
	return cols, rows, err
}
