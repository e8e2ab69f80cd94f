package importer

import (
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/groupimport/groupimport/importer/csv"
	"github.com/groupimport/groupimport/importer/ndjson"
	"github.com/groupimport/groupimport/importer/parquet"
	"github.com/groupimport/groupimport/record"
)

// Open opens path and returns the reader for its format.
func Open(path string, opts Options) (Reader, *Source, error) {
	src, err := OpenSource(path, opts)
	if err != nil {
		return nil, nil, err
	}
	r, err := NewReader(src, opts)
	if err != nil {
		return nil, nil, err
	}
	return r, src, nil
}

// NewReader returns the reader of src's format (see OpenSource and
// NewSource). Closing the reader closes src; on an error src is closed.
func NewReader(src *Source, opts Options) (Reader, error) {
	r := &reader{src: src, offset: src.Offset}
	var err error
	switch src.Format {
	case CSV:
		var cr *csv.Reader
		co := opts.csv()
		if src.check != nil {
			co.Valid = src.check.clean
		}
		if cr, err = csv.NewReader(src.r, co); err == nil {
			r.rows = cr
			return &csvReader{reader: r, csv: cr}, nil
		}
	case NDJSON:
		var nr *ndjson.Reader
		if nr, err = ndjson.NewReader(src.r, opts.ndjson()); err == nil {
			r.rows = nr
			return r, nil
		}
	case Parquet:
		var pr *parquet.Reader
		if pr, err = openParquet(src, opts); err == nil {
			r.rows, r.offset = pr, pr.Offset
			return &parquetReader{reader: r, pq: pr}, nil
		}
	default:
		err = fmt.Errorf("unknown format %q", src.Format)
	}
	src.Close()
	return nil, fileError(src.Path, 0, err)
}

// openParquet opens the Parquet file of src, with the Hive partition keys
// of its folders as columns.
func openParquet(src *Source, opts Options) (*parquet.Reader, error) {
	parts, err := hivePartitions(src.Path)
	if err != nil {
		return nil, err
	}
	return parquet.NewReader(src.ra, src.Size, parquet.Options{
		Columns:        opts.Columns,
		BinaryAsString: opts.BinaryAsString,
		Partitions:     parts,
		MaxColumns:     opts.MaxColumns,
		MaxDepth:       opts.MaxDepth,
		MaxRecordBytes: opts.MaxRecordBytes,
		FirstRows:      opts.FirstRows,
	})
}

// rowReader is what a format package's reader does.
type rowReader interface {
	Columns() []string
	Next(b *record.Batch, max int) error
}

// reader is a Reader over a format reader: it names the file in errors
// (*FileError), reports progress in bytes of the file, checks at the end
// that a regular file did not change while it was read, and closes the
// Source.
type reader struct {
	src    *Source
	rows   rowReader
	offset func() int64
	n      int64 // rows read
}

func (r *reader) Columns() []string { return r.rows.Columns() }
func (r *reader) Offset() int64     { return r.offset() }

func (r *reader) Next(b *record.Batch, max int) error {
	before := len(b.Rows)
	err := r.rows.Next(b, max)
	r.n += int64(len(b.Rows) - before)
	b.Offset = r.offset()
	if err == io.EOF {
		if cerr := r.src.Unchanged(); cerr != nil {
			err = cerr
		}
	}
	if err != nil && err != io.EOF {
		return fileError(r.src.Path, r.n, err)
	}
	return err
}

func (r *reader) Close() error {
	if c, ok := r.rows.(io.Closer); ok {
		c.Close()
	}
	return r.src.Close()
}

// Warnings implements Warner for CSV and NDJSON files: the format
// reader's warnings and the text check's (see Options.Encoding), each
// naming the file.
func (r *reader) Warnings() map[string]int64 {
	out := map[string]int64{}
	for msg, n := range r.src.warns {
		out[r.src.Path+": "+msg] += n
	}
	if r.src.check != nil {
		for msg, n := range r.src.check.warnings() {
			out[r.src.Path+": "+msg] += n
		}
	}
	if w, ok := r.rows.(Warner); ok {
		for msg, n := range w.Warnings() {
			out[r.src.Path+": "+msg] += n
		}
	}
	return out
}

// csvReader is a CSV file's Reader; inspect shows its delimiter.
type csvReader struct {
	*reader
	csv *csv.Reader
}

// Comma is the delimiter in use (detected or given).
func (r *csvReader) Comma() byte { return r.csv.Comma() }

// parquetReader is a Parquet file's Reader; inspect shows its layout and
// schema, and it has warnings (Warner).
type parquetReader struct {
	*reader
	pq *parquet.Reader
}

// Describe reports the file's layout and schema.
func (r *parquetReader) Describe() []string { return r.pq.Describe() }

// Warnings implements Warner.
func (r *parquetReader) Warnings() map[string]int64 { return r.pq.Warnings() }

// hivePartitions returns the key=value folders right above the file,
// outermost first: …/country=US/dt=2024-05-01/part-0.parquet has country
// and dt. %XX escapes are decoded; __HIVE_DEFAULT_PARTITION__ is null; a
// key given twice keeps its innermost value.
func hivePartitions(path string) ([]parquet.Partition, error) {
	var parts []parquet.Partition
	dir := filepath.Dir(path)
	for {
		base := filepath.Base(dir)
		k, v, ok := strings.Cut(base, "=")
		if !ok || k == "" {
			break
		}
		key, err := url.PathUnescape(k)
		if err != nil {
			key = k
		}
		val, err := url.PathUnescape(v)
		if err != nil {
			val = v
		}
		if !utf8.ValidString(key) || !utf8.ValidString(val) {
			return nil, fmt.Errorf("the partition folder %q is not valid UTF-8", base)
		}
		dup := false
		for _, p := range parts {
			dup = dup || p.Name == key
		}
		if !dup {
			parts = append(parts, parquet.Partition{Name: key, Value: val, Null: val == "__HIVE_DEFAULT_PARTITION__"})
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	for i, j := 0, len(parts)-1; i < j; i, j = i+1, j-1 {
		parts[i], parts[j] = parts[j], parts[i]
	}
	return parts, nil
}
