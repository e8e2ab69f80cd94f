package parquet

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	parquetgo "github.com/parquet-go/parquet-go"

	"github.com/groupimport/groupimport/record"
)

// Text that needs no escaping in JSON is marked plain (record.Value.Plain:
// the payload's writer copies it as it is); text with a quote, a
// backslash, a control character or a non-ASCII character is not, and
// neither is any value of a dictionary holding such an entry.
func TestParquetPlainText(t *testing.T) {
	type row struct {
		Text  string `parquet:"text"`
		Dict  string `parquet:"dict,dict"`
		Clean string `parquet:"clean,dict"`
	}
	rows := []row{
		{"plain text, long enough for words", "ok", "a"},
		{`a "quote"`, `q"`, "b"},
		{`back\slash`, "ok", "a"},
		{"tab\there", "ok", "b"},
		{"São Paulo", "ok", "a"},
		{"", "ok", "b"},
		{"12345678", "ok", "a"},
	}
	path := filepath.Join(t.TempDir(), "plain.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquetgo.NewGenericWriter[row](f)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	r, err := openPQ(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b := record.NewBatch(16, 1<<10)
	if err := r.Next(b, 16); err != nil && err != io.EOF {
		t.Fatal(err)
	}
	if len(b.Rows) != len(rows) {
		t.Fatalf("%d rows, want %d", len(b.Rows), len(rows))
	}
	wantText := []bool{true, false, false, false, false, true, true}
	for i, rw := range b.Rows {
		text, dict, clean := rw.Values[0], rw.Values[1], rw.Values[2]
		if string(text.Bytes) != rows[i].Text || text.Kind != record.String || text.Plain != wantText[i] {
			t.Errorf("row %d: text %q (kind %v) plain %v, want %q plain %v", i+1, text.Bytes, text.Kind, text.Plain, rows[i].Text, wantText[i])
		}
		if dict.Plain {
			t.Errorf("row %d: dict %q plain, but its dictionary holds a quote", i+1, dict.Bytes)
		}
		if !clean.Plain || string(clean.Bytes) != rows[i].Clean {
			t.Errorf("row %d: clean %q plain %v, want %q plain", i+1, clean.Bytes, clean.Plain, rows[i].Clean)
		}
	}
}
