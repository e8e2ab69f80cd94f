package parquet

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	parquetgo "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// pqScores writes n rows of (id INT64, score optional INT64 null every
// 10th row, name optional STRING dictionary-encoded), uncompressed, one
// row group.
func pqScores(t *testing.T, path string, n int, opts ...parquetgo.WriterOption) {
	t.Helper()
	node := parquetgo.Group{
		"id":    parquetgo.Int(64),
		"score": parquetgo.Optional(parquetgo.Int(64)),
		"name":  parquetgo.Optional(parquetgo.Encoded(parquetgo.String(), &parquetgo.RLEDictionary)),
	}
	var rows []parquetgo.Row
	for i := 0; i < n; i++ {
		row := parquetgo.Row{parquetgo.Int64Value(int64(i)).Level(0, 0, 0)}
		if i%10 == 0 {
			row = append(row, parquetgo.NullValue().Level(0, 0, 1), parquetgo.NullValue().Level(0, 0, 2))
		} else {
			row = append(row, parquetgo.ByteArrayValue([]byte(fmt.Sprintf("n%d", i%7))).Level(0, 1, 1), parquetgo.Int64Value(int64(i*3)).Level(0, 1, 2))
		}
		rows = append(rows, row)
	}
	pqWrite(t, path, node, rows, append([]parquetgo.WriterOption{parquetgo.Compression(&parquetgo.Uncompressed)}, opts...)...)
}

// pqRewritePageHeader decodes the page header at byte at, changes it and
// writes it back; the new header must keep its length.
func pqRewritePageHeader(t *testing.T, path string, at int64, fn func(h *format.PageHeader)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := &chunkScanner{ra: bytes.NewReader(data), dataEnd: int64(len(data)), lim: defaultLimits()}
	h, n, err := s.header(at, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	fn(h)
	b, err := thrift.Marshal(new(thrift.CompactProtocol), h)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != n {
		t.Fatalf("the rewritten header takes %d bytes, not %d", len(b), n)
	}
	copy(data[at:], b)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestParquetConsistencyChecks: files whose pages are well-formed but
// whose contents contradict the schema, the page headers or the
// statistics are refused with the row group and the column named, instead
// of being read with shifted, invented or missing values.
func TestParquetConsistencyChecks(t *testing.T) {
	dir := t.TempDir()
	const n = 1000
	type tc struct {
		name    string
		version int
		change  func(t *testing.T, path string)
		want    string
	}
	required := func(column string) func(t *testing.T, path string) {
		return func(t *testing.T, path string) {
			pqRewriteFooter(t, path, func(m *format.FileMetaData) {
				pqElement(m, column).RepetitionType = thrift.New(format.Required)
			})
		}
	}
	chunk := func(m *format.FileMetaData, column string) *format.ColumnMetaData {
		for j := range m.RowGroups[0].Columns {
			if md := &m.RowGroups[0].Columns[j].MetaData; strings.Join(md.PathInSchema, ".") == column {
				return md
			}
		}
		t.Fatalf("no column %q", column)
		return nil
	}
	cases := []tc{
		// A column written OPTIONAL, with nulls, declared REQUIRED: its pages
		// carry 900 values for the row group's 1,000 rows.
		{"optional int64 declared required (v1)", 1, required("score"), `row group 0, column "score": corrupt Parquet file: page 0: the column is REQUIRED but the page statistics count 100 nulls`},
		{"optional int64 declared required (v2)", 2, required("score"), `row group 0, column "score": corrupt Parquet file: page 0: the column is REQUIRED but the page header counts 100 nulls`},
		{"optional string declared required (v1)", 1, required("name"), `row group 0, column "name": corrupt Parquet file: page 1: the column is REQUIRED but the page statistics count 100 nulls`},
		{"optional int64 declared required, no null count", 1, func(t *testing.T, path string) {
			required("score")(t, path)
			var at int64
			pqRewriteFooter(t, path, func(m *format.FileMetaData) { at = chunk(m, "score").DataPageOffset })
			// a null count of -100 is meaningless, and keeps the header's length
			pqRewritePageHeader(t, path, at, func(h *format.PageHeader) { h.DataPageHeader.V.Statistics.NullCount = -100 })
		}, `row group 0, column "score": corrupt Parquet file: page 0: 1000 values of a REQUIRED column take 8000 bytes in PLAIN encoding, the page holds`},
		// A page header that claims more values than its page holds (and a
		// footer made to agree): 1,000 values stretched to 1,010 rows.
		{"page header claims more values", 1, func(t *testing.T, path string) {
			var at int64
			pqRewriteFooter(t, path, func(m *format.FileMetaData) {
				md := chunk(m, "id")
				at = md.DataPageOffset
				md.NumValues += 10
				m.RowGroups[0].NumRows += 10
				m.NumRows += 10
			})
			pqRewritePageHeader(t, path, at, func(h *format.PageHeader) { h.DataPageHeader.V.NumValues += 10 })
		}, `row group 0, column "id": corrupt Parquet file: page 0: 1010 values of a REQUIRED column take 8080 bytes in PLAIN encoding, the page holds 8000`},
		// Statistics that contradict the values.
		{"null count", 1, func(t *testing.T, path string) {
			pqRewriteFooter(t, path, func(m *format.FileMetaData) { chunk(m, "score").Statistics.NullCount = 7 })
		}, `row group 0, column "score": corrupt Parquet file: the column chunk's statistics count 7 nulls, its pages hold 100`},
		{"null count of a required column", 1, func(t *testing.T, path string) {
			pqRewriteFooter(t, path, func(m *format.FileMetaData) { chunk(m, "id").Statistics.NullCount = 3 })
		}, `row group 0, column "id": corrupt Parquet file: the column is REQUIRED but its statistics count 3 nulls`},
		{"max below a value", 1, func(t *testing.T, path string) {
			pqRewriteFooter(t, path, func(m *format.FileMetaData) {
				chunk(m, "id").Statistics.MaxValue = binary.LittleEndian.AppendUint64(nil, 499)
			})
		}, `row group 0, column "id": corrupt Parquet file: row 501 of the row group: the value 500 lies outside the column chunk's statistics (min 0, max 499)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".parquet")
			pqScores(t, path, n, parquetgo.DataPageVersion(c.version))
			if res := pqRead(t, path, Options{}, 100); res.err != nil || len(res.rows) != n {
				t.Fatalf("the file before the change: %d rows, %v", len(res.rows), res.err)
			}
			c.change(t, path)
			err := pqRefused(t, path, Options{}, c.want)
			t.Log(err)
			// Nothing of the row group is delivered before the error, but
			// where it shows only in a value or at the end of the chunk (a
			// value out of range, a null count): the rows before are what
			// the pages hold.
			late := strings.Contains(c.want, "outside the column chunk's statistics") || strings.Contains(c.want, "its pages hold")
			if res := pqRead(t, path, Options{}, 100); len(res.rows) > 0 && !late {
				t.Errorf("%d rows delivered before the error", len(res.rows))
			}
		})
	}
}
