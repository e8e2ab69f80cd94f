package parquet

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/groupimport/groupimport/record"
	parquetgo "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// pqOpened reads a file with opts and returns its rows and
// the leaf columns the reader handed to parquet-go.
func pqOpened(t *testing.T, path string, opts Options) (pqResult, []string) {
	t.Helper()
	res := pqRead(t, path, opts, 100)
	r, err := openPQ(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b := record.NewBatch(4096, 1<<20)
	for {
		b.Reset()
		if err := r.Next(b, 4096); err != nil {
			break
		}
	}
	return res, r.openedColumns()
}

// TestParquetProjection: with Options.Columns only the named columns are
// decoded (counted by the reader: the chunks of the others are never
// handed to parquet-go), and the rows hold only them.
func TestParquetProjection(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rows.parquet")
	country := []Partition{{Name: "country", Value: "US"}}
	const n = 3000
	pqRows(t, path, n, 1000, parquetgo.Compression(&parquetgo.Zstd))

	all, opened := pqOpened(t, path, Options{Partitions: country})
	if want := []string{"id", "name", "tags.list.element"}; !slices.Equal(opened, want) {
		t.Fatalf("without projection the reader opened %v, want %v", opened, want)
	}
	if !slices.Equal(all.cols, []string{"id", "name", "tags", "country"}) {
		t.Fatalf("columns %v", all.cols)
	}

	some, opened := pqOpened(t, path, Options{Columns: []string{"tags", "id", "not_in_the_file"}, Partitions: country})
	if some.err != nil {
		t.Fatal(some.err)
	}
	if want := []string{"id", "tags.list.element"}; !slices.Equal(opened, want) {
		t.Fatalf("projected on id and tags, the reader opened %v, want %v", opened, want)
	}
	if !slices.Equal(some.cols, []string{"id", "tags"}) {
		t.Fatalf("columns %v, want [id tags] (file order; the partition key is not asked for)", some.cols)
	}
	if len(some.rows) != n {
		t.Fatalf("%d rows", len(some.rows))
	}
	for i, row := range some.rows {
		full := strings.Fields(pqWantRow(i))
		want := full[0] + " " + full[len(full)-1]
		if got := strings.Join(row, " "); got != want {
			t.Fatalf("row %d: %s, want %s", i, got, want)
		}
	}

	none, opened := pqOpened(t, path, Options{Columns: []string{"country"}, Partitions: country})
	if len(opened) != 0 || len(none.rows) != n || !slices.Equal(none.cols, []string{"country"}) || none.rows[5][0] != "string:US" {
		t.Fatalf("projected on the partition key: opened %v, %d rows, columns %v", opened, len(none.rows), none.cols)
	}
}

// TestParquetProjectionSkipsBrokenColumn: a column that is not asked for
// is not read at all, so damage in it does not stop the file.
func TestParquetProjectionSkipsBrokenColumn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "broken.parquet")
	pqRows(t, path, 500, 500)
	var at int64
	pqRewriteFooter(t, path, func(m *format.FileMetaData) { at = m.RowGroups[0].Columns[1].MetaData.DataPageOffset })
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := at; i < at+6; i++ {
		data[i] = 0xff // the page header of column "name"
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	pqRefused(t, path, Options{}, `column "name": page 0`)
	res := pqRead(t, path, Options{Columns: []string{"id"}}, 100)
	if res.err != nil || len(res.rows) != 500 || res.rows[499][0] != "number:499" {
		t.Fatalf("projected on id: %d rows, error %v", len(res.rows), res.err)
	}
}
