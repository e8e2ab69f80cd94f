package parquet

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/groupimport/groupimport/internal/jsonx"
	"github.com/groupimport/groupimport/record"
	parquetgo "github.com/parquet-go/parquet-go"
)

// FuzzParquet: arbitrary bytes, and mutations of valid files (the seeds:
// small files of testdata/parquet and files written here with nested
// types, maps, VARIANTs, every codec, both page versions), never make the
// reader panic, hang, or allocate past its limits (tight ones here): the
// outcome is rows, each with its values or a coded reason, or an error;
// never an internal error. opt picks options: projection, binary_as_string, a
// small record limit.
func FuzzParquet(f *testing.F) {
	for _, p := range pqFuzzSeeds(f) {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, byte(0))
	}
	f.Add([]byte("PAR1\x15\x00PAR1"), byte(1))
	f.Fuzz(func(t *testing.T, data []byte, opt byte) {
		path := filepath.Join(t.TempDir(), "f.parquet")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		opts := Options{BinaryAsString: opt&1 != 0, MaxRecordBytes: 1 << 16,
			MaxFooterBytes: 1 << 20, MaxPageBytes: 4 << 20, MaxPageValues: 1 << 16}
		if opt&2 != 0 {
			opts.Columns = []string{"id", "v", "m", "tags"}
		}
		if opt&4 != 0 {
			opts.MaxRecordBytes = 64
		}
		r, err := openPQ(path, opts)
		if err != nil {
			pqFileErr(t, err)
			return
		}
		defer r.Close()
		b := record.NewBatch(64, 1<<16)
		var rows int64
		for calls := 0; ; calls++ {
			if calls > 1<<20 {
				t.Fatal("Next never returns io.EOF")
			}
			b.Reset()
			err := r.Next(b, 64)
			for i := range b.Rows {
				row := &b.Rows[i]
				rows++
				if row.Num != rows {
					t.Fatalf("row numbered %d, want %d", row.Num, rows)
				}
				if len(row.Values) != len(r.Columns()) {
					t.Fatalf("row %d: %d values for %d columns", row.Num, len(row.Values), len(r.Columns()))
				}
				if row.Err != nil {
					if row.Err.Column == "" || row.Err.Reason == "" || row.Err.Code == "" {
						t.Fatalf("row %d: a rejection without a column, a reason or a code: %+v", row.Num, row.Err)
					}
					continue
				}
				for _, v := range row.Values {
					switch v.Kind {
					case record.String, record.Time:
						if !utf8.Valid(v.Bytes) {
							t.Fatalf("row %d: text not UTF-8: %q", row.Num, v.Bytes)
						}
					case record.JSON:
						if err := jsonx.Valid(v.Bytes, 1<<10); err != nil {
							t.Fatalf("row %d: invalid JSON %q: %v", row.Num, v.Bytes, err)
						}
					case record.Number:
						if !jsonx.IsNumber(v.Bytes) {
							t.Fatalf("row %d: not a number: %q", row.Num, v.Bytes)
						}
					}
				}
			}
			if err == io.EOF {
				return
			}
			if err != nil {
				pqFileErr(t, err)
				return
			}
		}
	})
}

// pqFuzzSeeds returns the seed files: the small real files, and files
// written here.
func pqFuzzSeeds(f *testing.F) []string {
	var out []string
	real, _ := filepath.Glob(filepath.Join("testdata", "*.parquet"))
	for _, p := range real {
		if st, err := os.Stat(p); err == nil && st.Size() <= 16<<10 {
			out = append(out, p)
		}
	}
	return append(out, pqFuzzSeedsIn(f, f.TempDir())...)
}

// pqFuzzSeedsIn writes the seed files into dir.
func pqFuzzSeedsIn(f testing.TB, dir string) []string {
	var out []string
	node := parquetgo.Group{
		"id":    parquetgo.Int(64),
		"name":  parquetgo.Optional(parquetgo.String()),
		"tags":  parquetgo.Optional(parquetgo.List(parquetgo.String())),
		"m":     parquetgo.Optional(parquetgo.Map(parquetgo.String(), parquetgo.Int(64))),
		"raw":   parquetgo.Optional(parquetgo.Leaf(parquetgo.ByteArrayType)),
		"v":     parquetgo.Optional(parquetgo.Variant()),
		"price": parquetgo.Decimal(2, 9, parquetgo.Int32Type),
	}
	schema := parquetgo.NewSchema("seed", node)
	type row struct {
		ID    int64            `parquet:"id"`
		Name  *string          `parquet:"name,optional"`
		Tags  []string         `parquet:"tags,optional,list"`
		M     map[string]int64 `parquet:"m,optional"`
		Raw   []byte           `parquet:"raw,optional"`
		V     any              `parquet:"v,optional,variant"`
		Price int32            `parquet:"price"`
	}
	var rows []row
	for i := 0; i < 40; i++ {
		name := fmt.Sprintf("n%d", i)
		r := row{ID: int64(i), Tags: []string{"a", name}, M: map[string]int64{"k": int64(i)}, Raw: []byte(name), Price: int32(i * 101)}
		if i%3 != 0 {
			r.Name = &name
		}
		switch i % 4 {
		case 0:
			r.V = map[string]any{"a": int64(i), "b": []any{"x", true}}
		case 1:
			r.V = "s"
		case 2:
			r.V = 1.5
		}
		rows = append(rows, r)
	}
	for k, opts := range [][]parquetgo.WriterOption{
		{parquetgo.Compression(&parquetgo.Uncompressed), parquetgo.DataPageVersion(1)},
		{parquetgo.Compression(&parquetgo.Snappy), parquetgo.DataPageVersion(2), parquetgo.MaxRowsPerRowGroup(15)},
		{parquetgo.Compression(&parquetgo.Zstd)},
		{parquetgo.Compression(&parquetgo.Gzip), parquetgo.MaxRowsPerRowGroup(25)},
	} {
		p := filepath.Join(dir, fmt.Sprintf("seed-%d.parquet", k))
		fh, err := os.Create(p)
		if err != nil {
			f.Fatal(err)
		}
		w := parquetgo.NewGenericWriter[row](fh, append([]parquetgo.WriterOption{schema, parquetgo.PageBufferSize(512)}, opts...)...)
		if _, err := w.Write(rows); err != nil {
			f.Fatal(err)
		}
		if err := w.Close(); err != nil {
			f.Fatal(err)
		}
		fh.Close()
		out = append(out, p)
	}
	return out
}

// TestParquetFuzzSeeds: the files written as seeds are valid (so that
// the fuzzer mutates real structure) and hold what they were given.
func TestParquetFuzzSeeds(t *testing.T) {
	seeds := pqFuzzSeedsIn(t, t.TempDir())
	for _, p := range seeds {
		res := pqRead(t, p, Options{}, 16)
		if res.err != nil || len(res.rows) != 40 {
			t.Fatalf("%s: %d rows, %v", p, len(res.rows), res.err)
		}
		for i, e := range res.errs {
			if e != "" {
				t.Errorf("%s row %d: %s", p, i, e)
			}
		}
		if got := strings.Join(res.rows[4], " "); !strings.Contains(got, `json:{"a":4,"b":["x",true]}`) || !strings.Contains(got, `json:{"k":4}`) {
			t.Errorf("%s row 4: %s", p, got)
		}
	}
}
