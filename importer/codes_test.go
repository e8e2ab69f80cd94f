package importer

import (
	"go/ast"
	"go/parser"
	"go/token"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/groupimport/groupimport/record"
	parquetgo "github.com/parquet-go/parquet-go"
)

// readerCodes returns the values of the Code constants of record/codes.go.
func readerCodes(t *testing.T) []string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), filepath.Join("..", "record", "codes.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	ast.Inspect(f, func(n ast.Node) bool {
		if v, ok := n.(*ast.ValueSpec); ok && strings.HasPrefix(v.Names[0].Name, "Code") {
			s, err := strconv.Unquote(v.Values[0].(*ast.BasicLit).Value)
			if err != nil {
				t.Fatal(err)
			}
			codes = append(codes, s)
		}
		return true
	})
	return codes
}

// writeParquet writes rows of a one-column (or one-group) schema.
func writeParquet(t *testing.T, node parquetgo.Node, rows ...parquetgo.Row) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f.parquet")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w := parquetgo.NewWriter(f, parquetgo.NewSchema("schema", node))
	if _, err := w.WriteRows(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestRowErrorCodes reads, for every code of record/codes.go, an input
// whose row error has that code: every code is reachable, and every row
// error of these inputs has a code (readertest.CheckRow requires it).
func TestRowErrorCodes(t *testing.T) {
	v := func(x parquetgo.Value) parquetgo.Row { return parquetgo.Row{x.Level(0, 0, 0)} }
	bytesV := func(s string) parquetgo.Row { return v(parquetgo.ByteArrayValue([]byte(s))) }
	deep := strings.Repeat("[", 100) + strings.Repeat("]", 100)
	type mapRow struct {
		M map[float64]string `parquet:"m"`
	}
	var mapFile strings.Builder
	mw := parquetgo.NewGenericWriter[mapRow](&mapFile)
	if _, err := mw.Write([]mapRow{{M: map[float64]string{math.NaN(): "x"}}}); err != nil {
		t.Fatal(err)
	}
	mw.Close()
	cases := []struct {
		code string
		name string
		data []byte
		opts Options
	}{
		{record.CodeFieldCount, "a.csv", []byte("a,b\n1\n"), Options{}},
		{record.CodeTextAfterQuote, "a.csv", []byte("a\n\"x\"y\n"), Options{}},
		{record.CodeUnnamedColumn, "a.csv", []byte("a,\n1,2\n"), Options{}},
		{record.CodeInvalidUTF8, "a.csv", []byte("a\nx\xffy\n"), Options{Encoding: "utf-8"}},
		{record.CodeInvalidUTF8, "a.ndjson", []byte("{\"a\":\"\xff\"}\n"), Options{Encoding: "utf-8"}},
		{record.CodeMalformedJSON, "a.ndjson", []byte("{\"a\":1}\n{\"a\":\n"), Options{}},
		{record.CodeNotAnObject, "a.ndjson", []byte("[1,2]\n{\"a\":1}\n"), Options{}},
		{record.CodeDuplicateKey, "a.ndjson", []byte(`{"a":1,"a":2}` + "\n"), Options{}},
		{record.CodeTooDeep, "a.ndjson", []byte(`{"a":[[[1]]]}` + "\n"), Options{MaxDepth: 3}},
		{record.CodeTooManyColumns, "a.ndjson", []byte(`{"a":1,"b":2,"c":3}` + "\n"), Options{MaxColumns: 2}},
		{record.CodeInvalidUTF8, "a.parquet", writeParquet(t, parquetgo.Group{"v": parquetgo.String()}, bytesV("a\xffb")), Options{}},
		{record.CodeNotUTF8Binary, "a.parquet", writeParquet(t, parquetgo.Group{"v": parquetgo.Leaf(parquetgo.ByteArrayType)}, bytesV("a\xffb")), Options{BinaryAsString: true}},
		{record.CodeValueOutOfRange, "a.parquet", writeParquet(t, parquetgo.Group{"v": parquetgo.Date()}, v(parquetgo.Int32Value(math.MaxInt32))), Options{}},
		{record.CodeInvalidValue, "a.parquet", writeParquet(t, parquetgo.Group{"v": parquetgo.Decimal(0, 10, parquetgo.ByteArrayType)}, bytesV(strings.Repeat("\x01", 5000))), Options{}},
		{record.CodeMalformedJSON, "a.parquet", writeParquet(t, parquetgo.Group{"v": parquetgo.JSON()}, bytesV(`{"a":`)), Options{}},
		{record.CodeTooDeep, "a.parquet", writeParquet(t, parquetgo.Group{"v": parquetgo.JSON()}, bytesV(deep)), Options{}},
		{record.CodeTooLarge, "a.parquet", writeParquet(t, parquetgo.Group{"v": parquetgo.String()}, bytesV(strings.Repeat("x", 100))), Options{MaxRecordBytes: 50}},
		{record.CodeNullMapKey, "a.parquet", []byte(mapFile.String()), Options{}},
		{record.CodeInvalidVariant, "a.parquet", writeParquet(t, parquetgo.Group{"v": parquetgo.Variant()},
			parquetgo.Row{parquetgo.ByteArrayValue([]byte{2, 0, 0}).Level(0, 0, 0), parquetgo.ByteArrayValue([]byte{0}).Level(0, 0, 1)}), Options{}},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.code+"/"+tc.name, func(t *testing.T) {
			_, rows, err := readFile(writeFile(t, tc.name, tc.data), tc.opts, 100)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rows {
				if r.Err != nil {
					got = append(got, r.Err.Code)
				}
			}
			if len(got) == 0 || got[0] != tc.code {
				t.Fatalf("row error codes %q, want %q first", got, tc.code)
			}
			seen[tc.code] = true
		})
	}
	var missing []string
	for _, c := range readerCodes(t) {
		if !seen[c] {
			missing = append(missing, c)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("codes of record/codes.go that no input here produces: %q", missing)
	}
}
