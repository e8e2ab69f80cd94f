package importer

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/groupimport/groupimport/importer/parquet"
	"github.com/groupimport/groupimport/record"
)

// Any io.Reader with a name is an input (standard input and object
// storage plug in here): compression and format recognised by content,
// errors naming it; Parquet, which needs random access, refused clearly.
func TestNewSourceFromReader(t *testing.T) {
	csvData := []byte(companiesCSV)
	for _, tc := range []struct {
		name string
		data []byte
		rows int
		err  string
	}{
		{"-", csvData, 2, ""},
		{"s3://bucket/export/part-0", gzipBytes(t, csvData), 2, ""},
		{"ndjson stream", zstdBytes(t, []byte(`{"company_id":"c1"}`+"\n")), 1, ""},
		{"truncated stream", gzipBytes(t, csvData)[:20], 0, "truncated"},
		{"parquet stream", mustRead(t, "../fixtures/companies.parquet"), 0, "Parquet needs random access"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := NewSource(tc.name, bytes.NewReader(tc.data), Options{})
			var rows []gotRow
			if err == nil {
				var r Reader
				if r, err = NewReader(src, Options{}); err == nil {
					rows, err = drain(r, 10)
					r.Close()
				}
			}
			if tc.err == "" {
				if err != nil || len(rows) != tc.rows {
					t.Fatalf("%d rows, %v; want %d rows", len(rows), err, tc.rows)
				}
				return
			}
			var fe *FileError
			if !errors.As(err, &fe) || fe.File != tc.name || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want a *FileError naming %q with %q", err, tc.name, tc.err)
			}
		})
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// The key=value folders right above a Parquet file are columns (Hive
// partitioning): %XX decoded, __HIVE_DEFAULT_PARTITION__ null, a key the
// file has as a column ignored, folders above a plain one not counted.
func TestHivePartitions(t *testing.T) {
	pq := mustRead(t, "../fixtures/companies.parquet")
	root := t.TempDir()
	put := func(parts ...string) string {
		p := filepath.Join(append([]string{root}, parts...)...)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, pq, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	p := put("x=1", "plain", "country=New%20Zealand", "dt=__HIVE_DEFAULT_PARTITION__", "company_id=9", "part-1.parquet")
	r, _, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cols := r.Columns()
	if got := strings.Join(cols[len(cols)-2:], ","); got != "country,dt" || cols[0] == "x" {
		t.Fatalf("columns %q", cols)
	}
	b := record.NewBatch(10, 1<<16)
	if err := r.Next(b, 10); err != nil && err != io.EOF {
		t.Fatal(err)
	}
	if len(b.Rows) == 0 {
		t.Fatal("no rows")
	}
	vals := b.Rows[0].Values
	if got := string(vals[len(vals)-2].Bytes); got != "New Zealand" || vals[len(vals)-1].Kind != record.Null {
		t.Errorf("partition values %q, %v", got, vals[len(vals)-1])
	}
	desc := strings.Join(r.(interface{ Describe() []string }).Describe(), "\n")
	for _, want := range []string{`country = "New Zealand" (from the folder name)`, "dt = null", "company_id ignored: the file has a column of that name"} {
		if !strings.Contains(desc, want) {
			t.Errorf("Describe lacks %q:\n%s", want, desc)
		}
	}
	bad := put("country=\xff", "part-2.parquet")
	var fe *FileError
	if _, _, err := Open(bad, Options{}); !errors.As(err, &fe) || fe.File != bad || !strings.Contains(err.Error(), "not valid UTF-8") {
		t.Fatalf("error %v, want a *FileError for the folder", err)
	}
}

// A Parquet file's errors name it; one that changes while it is read is
// a file error at its end.
func TestParquetFileErrors(t *testing.T) {
	pq := mustRead(t, "../fixtures/companies.parquet")
	cut := writeFile(t, "cut.parquet", pq[:len(pq)/2])
	var fe *FileError
	if _, _, err := Open(cut, Options{}); !errors.As(err, &fe) || fe.File != cut || !errors.Is(err, parquet.ErrCorrupt) {
		t.Fatalf("a cut file: %v, want a *FileError wrapping parquet.ErrCorrupt", err)
	}
	path := writeFile(t, "changed.parquet", pq)
	r, _, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	b := record.NewBatch(100, 1<<16)
	for err == nil {
		b.Reset()
		err = r.Next(b, 100)
	}
	if !errors.Is(err, ErrChanged) || !errors.As(err, &fe) || fe.File != path {
		t.Fatalf("err = %v, want ErrChanged naming the file", err)
	}
}
