package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// writeParquet writes rows of the schema node to path.
func writeParquet(t *testing.T, path string, node parquet.Node, rows []parquet.Row) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := parquet.NewWriter(f, parquet.NewSchema("schema", node))
	if _, err := w.WriteRows(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// leafAt returns where the first page of the file's leaf column named
// column starts.
func leafAt(t *testing.T, path, column string) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range pf.Metadata().RowGroups[0].Columns {
		if strings.Join(c.MetaData.PathInSchema, ".") == column {
			return c.MetaData.DataPageOffset
		}
	}
	t.Fatalf("no column %q", column)
	return 0
}

// TestParquetProjectionThroughTheCLI: a column the mapping does not read
// is not decoded at all. The file's "notes" column is damaged: a run whose
// mapping reads only id and name succeeds; with custom: rest (every column
// read) the same file fails, naming the column.
func TestParquetProjectionThroughTheCLI(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "companies.parquet")
	node := parquet.Group{"id": parquet.String(), "name": parquet.String(), "notes": parquet.String()}
	var rows []parquet.Row
	for i := 0; i < 3; i++ {
		rows = append(rows, parquet.Row{
			parquet.ByteArrayValue([]byte{'c', byte('0' + i)}).Level(0, 0, 0),
			parquet.ByteArrayValue([]byte("Name "+string(rune('A'+i)))).Level(0, 0, 1),
			parquet.ByteArrayValue([]byte("note")).Level(0, 0, 2),
		})
	}
	writeParquet(t, path, node, rows)
	at := leafAt(t, path, "notes")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := at; i < at+6; i++ {
		data[i] = 0xff
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	mapping := func(custom string) string {
		p := filepath.Join(dir, custom+".yaml")
		os.WriteFile(p, []byte("companies:\n  groupId: id\n  traits:\n    name: name\n  custom: "+custom+"\n"), 0o644)
		return p
	}

	out := filepath.Join(dir, "out-none")
	code, _, stderr := gi(t, "run", "--companies", path, "--mapping", mapping("none"), "--out", out)
	if code != 0 {
		t.Fatalf("mapping of id and name: exit %d\n%s", code, stderr)
	}
	payloads := readLines(t, filepath.Join(out, "payloads-00001.ndjson"))
	if len(payloads) != 3 || !strings.Contains(payloads[2], `"groupId":"c2"`) || !strings.Contains(payloads[2], `"name":"Name C"`) {
		t.Fatalf("payloads %v", payloads)
	}

	code, _, stderr = gi(t, "run", "--companies", path, "--mapping", mapping("rest"), "--out", filepath.Join(dir, "out-rest"))
	if code != 1 || !strings.Contains(stderr, `column "notes"`) {
		t.Fatalf("custom: rest: exit %d, want 1 with the damaged column named\n%s", code, stderr)
	}
}
