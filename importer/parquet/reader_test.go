package parquet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/groupimport/groupimport/internal/jsonx"
	"github.com/groupimport/groupimport/record"
	parquetgo "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// ---- helpers ----

// show renders a value as kind:text ("null" for nulls).
func pqShow(v record.Value) string {
	if v.Kind == record.Null {
		return "null"
	}
	return v.Kind.String() + ":" + string(v.Bytes)
}

type pqResult struct {
	cols   []string
	rows   [][]string // pqShow() of each value
	errs   []string   // the row error, "" when none
	nums   []int64
	groups []int
	err    error // the error that ended the file, nil at a clean end
}

// pqRead reads a whole file, in batches of batchRows rows.
func pqRead(t *testing.T, path string, opts Options, batchRows int) pqResult {
	t.Helper()
	var res pqResult
	r, err := openPQ(path, opts)
	if err != nil {
		res.err = err
		return res
	}
	defer r.Close()
	res.cols = r.Columns()
	b := record.NewBatch(batchRows, 1<<16)
	for {
		b.Reset()
		err := r.Next(b, batchRows)
		for i := range b.Rows {
			row := &b.Rows[i]
			var vals []string
			for _, v := range row.Values {
				vals = append(vals, pqShow(v))
			}
			res.rows = append(res.rows, vals)
			e := ""
			if row.Err != nil {
				e = row.Err.Error()
				if row.Err.Column == "" || row.Err.Code == "" {
					t.Errorf("row %d: a row error without a column or a code: %+v", row.Num, row.Err)
				}
			}
			res.errs = append(res.errs, e)
			res.nums = append(res.nums, row.Num)
			res.groups = append(res.groups, row.Group)
			if row.Line != 0 || row.Raw != nil {
				t.Errorf("row %d: Line %d, Raw %q; want 0 and nil", row.Num, row.Line, row.Raw)
			}
		}
		if err == io.EOF {
			if off := r.Offset(); off != pqFileSize(t, path) {
				t.Errorf("Offset at the end = %d, want the file size %d", off, pqFileSize(t, path))
			}
			return res
		}
		if err != nil {
			res.err = err
			return res
		}
	}
}

func pqFileSize(t *testing.T, path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// writePQ writes rows (values with their levels) of the schema node to
// dir/name.
func pqWrite(t *testing.T, path string, node parquetgo.Node, rows []parquetgo.Row, opts ...parquetgo.WriterOption) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	schema := parquetgo.NewSchema("schema", node)
	w := parquetgo.NewWriter(f, append([]parquetgo.WriterOption{schema}, opts...)...)
	if _, err := w.WriteRows(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// rewriteFooter changes the footer of a file in place.
func pqRewriteFooter(t *testing.T, path string, fn func(m *format.FileMetaData)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	footer := data[len(data)-8-n : len(data)-8]
	var m format.FileMetaData
	if err := decodeFooter(bytes.Clone(footer), &m); err != nil {
		t.Fatal(err)
	}
	fn(&m)
	out, err := thrift.Marshal(new(thrift.CompactProtocol), &m)
	if err != nil {
		t.Fatal(err)
	}
	buf := append(bytes.Clone(data[:len(data)-8-n]), out...)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(out)))
	buf = append(buf, "PAR1"...)
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// element returns the schema element called name.
func pqElement(m *format.FileMetaData, name string) *format.SchemaElement {
	for i := range m.Schema {
		if m.Schema[i].Name == name {
			return &m.Schema[i]
		}
	}
	panic("no schema element " + name)
}

// col0 sets the levels of a value of a top-level optional column 0.
func pqOpt(v parquetgo.Value) parquetgo.Row {
	if v.IsNull() {
		return parquetgo.Row{v.Level(0, 0, 0)}
	}
	return parquetgo.Row{v.Level(0, 1, 0)}
}

func pqBytes(b ...byte) parquetgo.Value { return parquetgo.ByteArrayValue(b) }

func pqInt96(julian uint32, nanos uint64) parquetgo.Value {
	return parquetgo.Int96Value(deprecated.Int96{uint32(nanos), uint32(nanos >> 32), julian})
}

// fixed16 is v as a 16-byte big-endian two's complement integer.
func pqFixed16(t *testing.T, v string) parquetgo.Value {
	x, ok := new(big.Int).SetString(v, 10)
	if !ok {
		t.Fatalf("bad number %q", v)
	}
	if x.Sign() < 0 {
		x.Add(x, new(big.Int).Lsh(big.NewInt(1), 128))
	}
	b := make([]byte, 16)
	x.FillBytes(b)
	return parquetgo.FixedLenByteArrayValue(b)
}

func pqDays(y int, m time.Month, d int) int32 {
	return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// ---- value conversions, one column at a time ----

func TestParquetTypes(t *testing.T) {
	dir := t.TempDir()
	const errPrefix = "ERR "
	tod := int64((15*60+4)*60+5) * 1000 // 15:04:05 in ms
	ts := time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.UTC)
	f16 := func(h uint16) parquetgo.Value { return parquetgo.FixedLenByteArrayValue([]byte{byte(h), byte(h >> 8)}) }
	tests := []struct {
		name  string
		node  parquetgo.Node
		patch func(*format.SchemaElement) // applied to the column's schema element
		vals  []parquetgo.Value
		want  []string // pqShow() of each value, or "ERR reason fragment"
	}{
		{"boolean", parquetgo.Leaf(parquetgo.BooleanType), nil,
			[]parquetgo.Value{parquetgo.BooleanValue(true), parquetgo.BooleanValue(false), parquetgo.NullValue()},
			[]string{"boolean:true", "boolean:false", "null"}},
		{"int32", parquetgo.Int(32), nil,
			[]parquetgo.Value{parquetgo.Int32Value(-5), parquetgo.Int32Value(math.MaxInt32)},
			[]string{"number:-5", "number:2147483647"}},
		{"int8", parquetgo.Int(8), nil, []parquetgo.Value{parquetgo.Int32Value(-128)}, []string{"number:-128"}},
		{"uint32", parquetgo.Uint(32), nil, []parquetgo.Value{parquetgo.Int32Value(-1)}, []string{"number:4294967295"}},
		{"int64 plain", parquetgo.Leaf(parquetgo.Int64Type), nil,
			[]parquetgo.Value{parquetgo.Int64Value(1<<53 - 1), parquetgo.Int64Value(1<<53 + 1), parquetgo.Int64Value(-(1<<53 + 1)), parquetgo.Int64Value(0)},
			[]string{"number:9007199254740991", "string:9007199254740993", "string:-9007199254740993", "number:0"}},
		{"uint64", parquetgo.Uint(64), nil, []parquetgo.Value{parquetgo.Int64Value(-1), parquetgo.Int64Value(42)},
			[]string{"string:18446744073709551615", "number:42"}},
		{"float", parquetgo.Leaf(parquetgo.FloatType), nil,
			[]parquetgo.Value{parquetgo.FloatValue(0.1), parquetgo.FloatValue(1e30), parquetgo.FloatValue(float32(math.NaN())), parquetgo.FloatValue(float32(math.Inf(1)))},
			[]string{"number:0.1", "number:1e+30", "null", "null"}},
		{"double", parquetgo.Leaf(parquetgo.DoubleType), nil,
			[]parquetgo.Value{parquetgo.DoubleValue(0.1), parquetgo.DoubleValue(123456.789), parquetgo.DoubleValue(1e21), parquetgo.DoubleValue(1e-7),
				parquetgo.DoubleValue(-2.5), parquetgo.DoubleValue(math.NaN()), parquetgo.DoubleValue(math.Inf(-1))},
			[]string{"number:0.1", "number:123456.789", "number:1e+21", "number:1e-7", "number:-2.5", "null", "null"}},
		{"float16", parquetgo.Leaf(parquetgo.FixedLenByteArrayType(2)),
			func(e *format.SchemaElement) { e.LogicalType.Value = &format.Float16Type{} },
			[]parquetgo.Value{f16(0x3c00), f16(0x3555), f16(0xc000), f16(0x0001), f16(0x7bff), f16(0x7c00), f16(0x7e00)},
			[]string{"number:1", "number:0.3333", "number:-2", "number:6e-8", "number:65500", "null", "null"}},
		{"string", parquetgo.String(), nil,
			[]parquetgo.Value{parquetgo.ByteArrayValue([]byte("héllo \"q\"")), parquetgo.ByteArrayValue(nil), pqBytes('a', 0xff, 'b')},
			[]string{"string:héllo \"q\"", "string:", errPrefix + `column "v": invalid UTF-8 (byte 0xff at offset 1)`}},
		{"legacy UTF8", parquetgo.Leaf(parquetgo.ByteArrayType),
			func(e *format.SchemaElement) { e.LogicalType.Value, e.ConvertedType = nil, thrift.New(deprecated.UTF8) },
			[]parquetgo.Value{parquetgo.ByteArrayValue([]byte("ok"))}, []string{"string:ok"}},
		{"enum", parquetgo.Enum(), nil, []parquetgo.Value{parquetgo.ByteArrayValue([]byte("ACTIVE"))}, []string{"string:ACTIVE"}},
		{"json", parquetgo.JSON(), nil,
			[]parquetgo.Value{parquetgo.ByteArrayValue([]byte(` {"a": [1, 2], "b":"x"} `)), parquetgo.ByteArrayValue([]byte(`["x"]`)),
				parquetgo.ByteArrayValue([]byte(`"text"`)), parquetgo.ByteArrayValue([]byte(`12.50`)), parquetgo.ByteArrayValue([]byte(`true`)),
				parquetgo.ByteArrayValue([]byte(`null`)), parquetgo.ByteArrayValue([]byte(`{"a":`))},
			[]string{`json:{"a":[1,2],"b":"x"}`, `json:["x"]`, "string:text", "number:12.50", "boolean:true", "null", errPrefix + `column "v": invalid JSON`}},
		{"binary", parquetgo.Leaf(parquetgo.ByteArrayType), nil,
			[]parquetgo.Value{pqBytes(0, 1, 0xff), parquetgo.ByteArrayValue([]byte{})}, []string{"string:AAH/", "string:"}},
		{"fixed binary", parquetgo.Leaf(parquetgo.FixedLenByteArrayType(3)), nil,
			[]parquetgo.Value{parquetgo.FixedLenByteArrayValue([]byte{0, 1, 0xff})}, []string{"string:AAH/"}},
		{"bson", parquetgo.BSON(), nil, []parquetgo.Value{pqBytes(5, 0, 0, 0, 0)}, []string{"string:BQAAAAA="}},
		{"uuid", parquetgo.UUID(), nil,
			[]parquetgo.Value{parquetgo.FixedLenByteArrayValue([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0xa, 0xb, 0xc, 0xd, 0xe, 0xff})},
			[]string{"string:00010203-0405-0607-0809-0a0b0c0d0eff"}},
		{"decimal int32", parquetgo.Decimal(2, 9, parquetgo.Int32Type), nil,
			[]parquetgo.Value{parquetgo.Int32Value(12345), parquetgo.Int32Value(-5), parquetgo.Int32Value(0)},
			[]string{"number:123.45", "number:-0.05", "number:0.00"}},
		{"decimal int64", parquetgo.Decimal(4, 18, parquetgo.Int64Type), nil,
			[]parquetgo.Value{parquetgo.Int64Value(-123456789), parquetgo.Int64Value(999999999999999999), parquetgo.Int64Value(100000000000000000)},
			[]string{"number:-12345.6789", "string:99999999999999.9999", "number:10000000000000.0000"}},
		{"decimal(38,9) fixed", parquetgo.Decimal(9, 38, parquetgo.FixedLenByteArrayType(16)), nil,
			[]parquetgo.Value{pqFixed16(t, "21622330000000"), pqFixed16(t, "12345678901234567890123456789"), pqFixed16(t, "-1000000001"),
				pqFixed16(t, "-99999999999999999999999999999999999999"), pqFixed16(t, "1")},
			[]string{"number:21622.330000000", "string:12345678901234567890.123456789", "number:-1.000000001",
				"string:-99999999999999999999999999999.999999999", "number:0.000000001"}},
		{"decimal byte array", parquetgo.Leaf(parquetgo.ByteArrayType),
			func(e *format.SchemaElement) {
				e.LogicalType.Value = &format.DecimalType{Scale: 2, Precision: 10}
				e.ConvertedType = thrift.New(deprecated.Decimal)
				e.Scale, e.Precision = thrift.New[int32](2), thrift.New[int32](10)
			},
			[]parquetgo.Value{pqBytes(0x30, 0x39), pqBytes(0xff), pqBytes(0x00, 0x80)},
			[]string{"number:123.45", "number:-0.01", "number:1.28"}},
		{"legacy decimal", parquetgo.Leaf(parquetgo.Int64Type),
			func(e *format.SchemaElement) {
				e.LogicalType.Value = nil
				e.ConvertedType = thrift.New(deprecated.Decimal)
				e.Scale, e.Precision = thrift.New[int32](3), thrift.New[int32](12)
			},
			[]parquetgo.Value{parquetgo.Int64Value(-1)}, []string{"number:-0.001"}},
		{"date", parquetgo.Date(), nil,
			[]parquetgo.Value{parquetgo.Int32Value(pqDays(2024, 5, 1)), parquetgo.Int32Value(pqDays(1, 1, 1)), parquetgo.Int32Value(pqDays(9999, 12, 31)),
				parquetgo.Int32Value(pqDays(1969, 12, 31)), parquetgo.Int32Value(pqDays(9999, 12, 31) + 1), parquetgo.Int32Value(math.MinInt32)},
			[]string{"timestamp:2024-05-01T00:00:00.000Z", "timestamp:0001-01-01T00:00:00.000Z", "timestamp:9999-12-31T00:00:00.000Z",
				"timestamp:1969-12-31T00:00:00.000Z", errPrefix + "outside the years 0001-9999", errPrefix + "outside the years 0001-9999"}},
		{"time millis", parquetgo.Time(parquetgo.Millisecond), nil,
			[]parquetgo.Value{parquetgo.Int32Value(int32(tod + 123)), parquetgo.Int32Value(0), parquetgo.Int32Value(86400000), parquetgo.Int32Value(-1)},
			[]string{"string:15:04:05.123", "string:00:00:00.000", "string:24:00:00.000", errPrefix + "outside 00:00-24:00"}},
		{"time micros", parquetgo.Time(parquetgo.Microsecond), nil,
			[]parquetgo.Value{parquetgo.Int64Value((tod+123)*1000 + 999)}, []string{"string:15:04:05.123"}},
		{"time nanos", parquetgo.Time(parquetgo.Nanosecond), nil,
			[]parquetgo.Value{parquetgo.Int64Value((tod+123)*1000000 + 999999)}, []string{"string:15:04:05.123"}},
		{"timestamp millis", parquetgo.Timestamp(parquetgo.Millisecond), nil,
			[]parquetgo.Value{parquetgo.Int64Value(ts.UnixMilli()), parquetgo.Int64Value(-1)},
			[]string{"timestamp:2024-05-01T12:00:00.123Z", "timestamp:1969-12-31T23:59:59.999Z"}},
		{"timestamp micros", parquetgo.Timestamp(parquetgo.Microsecond), nil,
			[]parquetgo.Value{parquetgo.Int64Value(ts.UnixMicro()), parquetgo.Int64Value(-1), parquetgo.Int64Value(253402300800000000), parquetgo.Int64Value(-62135596800000000)},
			[]string{"timestamp:2024-05-01T12:00:00.123Z", "timestamp:1969-12-31T23:59:59.999Z",
				errPrefix + "the timestamp 253402300800000000 (microseconds since 1970-01-01) is outside the years 0001-9999", "timestamp:0001-01-01T00:00:00.000Z"}},
		{"timestamp nanos", parquetgo.Timestamp(parquetgo.Nanosecond), nil,
			[]parquetgo.Value{parquetgo.Int64Value(ts.UnixNano()), parquetgo.Int64Value(math.MinInt64)},
			[]string{"timestamp:2024-05-01T12:00:00.123Z", "timestamp:1677-09-21T00:12:43.145Z"}},
		{"timestamp local", parquetgo.TimestampAdjusted(parquetgo.Microsecond, false), nil,
			[]parquetgo.Value{parquetgo.Int64Value(ts.UnixMicro())}, []string{"timestamp:2024-05-01T12:00:00.123Z"}},
		{"legacy TIMESTAMP_MILLIS", parquetgo.Leaf(parquetgo.Int64Type),
			func(e *format.SchemaElement) {
				e.LogicalType.Value = nil
				e.ConvertedType = thrift.New(deprecated.TimestampMillis)
			},
			[]parquetgo.Value{parquetgo.Int64Value(ts.UnixMilli())}, []string{"timestamp:2024-05-01T12:00:00.123Z"}},
		{"int96", parquetgo.Leaf(parquetgo.Int96Type), nil,
			[]parquetgo.Value{
				pqInt96(2440588+uint32(pqDays(2024, 5, 1)), 12*3600*1e9+123456789), // Spark's 2024-05-01 12:00:00.123456789
				pqInt96(2415021, 0),              // 1900-01-01
				pqInt96(1721426, 0),              // 0001-01-01
				pqInt96(5373484, 86399999999999), // 9999-12-31 23:59:59.999999999
				pqInt96(5373485, 0),              // 10000-01-01
				pqInt96(0, 0),                    // Julian day 0: 4713 BC
				pqInt96(0xffffffff, 1<<63),       // garbage
			},
			[]string{"timestamp:2024-05-01T12:00:00.123Z", "timestamp:1900-01-01T00:00:00.000Z", "timestamp:0001-01-01T00:00:00.000Z",
				"timestamp:9999-12-31T23:59:59.999Z", errPrefix + "INT96 timestamp (Julian day 5373485, 0 ns into the day) is outside the years 0001-9999",
				errPrefix + "outside the years 0001-9999", errPrefix + "outside the years 0001-9999"}},
		{"interval", parquetgo.IntervalNode(), nil,
			[]parquetgo.Value{parquetgo.FixedLenByteArrayValue([]byte{14, 0, 0, 0, 3, 0, 0, 0, 250, 0, 0, 0})},
			[]string{"string:P14M3DT0.250S"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var rows []parquetgo.Row
			for _, v := range tc.vals {
				rows = append(rows, pqOpt(v))
			}
			rows = append(rows, pqOpt(parquetgo.NullValue()))
			path := pqWrite(t, filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".parquet"),
				parquetgo.Group{"v": parquetgo.Optional(tc.node)}, rows)
			if tc.patch != nil {
				pqRewriteFooter(t, path, func(m *format.FileMetaData) { tc.patch(pqElement(m, "v")) })
			}
			res := pqRead(t, path, Options{}, 3)
			if res.err != nil {
				t.Fatal(res.err)
			}
			want := append(tc.want, "null")
			if len(res.rows) != len(want) {
				t.Fatalf("%d rows, want %d: %v", len(res.rows), len(want), res.rows)
			}
			for i, w := range want {
				if r, ok := strings.CutPrefix(w, errPrefix); ok {
					if !strings.Contains(res.errs[i], r) || res.rows[i][0] != "null" {
						t.Errorf("row %d: error %q, value %s; want an error containing %q and null", i+1, res.errs[i], res.rows[i][0], r)
					}
					continue
				}
				if res.errs[i] != "" {
					t.Errorf("row %d: unexpected error %s", i+1, res.errs[i])
				}
				if res.rows[i][0] != w {
					t.Errorf("row %d: %s, want %s", i+1, res.rows[i][0], w)
				}
				if k, text, _ := strings.Cut(w, ":"); k == "number" && !jsonx.IsNumber([]byte(text)) {
					t.Errorf("row %d: %s is not a JSON number", i+1, text)
				}
			}
		})
	}
}

var _ = errors.New
var _ = fmt.Sprint
var _ compress.Codec

// ---- nested types and the must-show values, from a struct-typed writer ----

type pqAddress struct {
	Street     string  `parquet:"street"`
	City       string  `parquet:"city"`
	PostalCode *string `parquet:"postal_code,optional"`
}

type pqPhone struct {
	Number string  `parquet:"number"`
	Kind   *string `parquet:"kind,optional"`
}

type pqCompany struct {
	CompanyID string           `parquet:"company_id"`
	Address   *pqAddress       `parquet:"address,optional"`
	Tags      []string         `parquet:"tags,list"`
	Attrs     map[string]int64 `parquet:"attrs"`
	Phones    []pqPhone        `parquet:"phones,list"`
	Founded   int32            `parquet:"founded,date"`
	Updated   int64            `parquet:"updated,timestamp(microsecond)"`
	SparkTS   deprecated.Int96 `parquet:"spark_ts"`
	Revenue   [16]byte         `parquet:"revenue,decimal(9:38)"`
}

func pqPtr[T any](v T) *T { return &v }

// TestParquetGolden checks the values the issue asks to see exactly: a
// nested address struct, a list of strings, a map, a DATE, a
// TIMESTAMP_MICROS, an INT96 timestamp and a DECIMAL(38,9) on
// FIXED_LEN_BYTE_ARRAY; plus a list of structs and empty and null nested
// values.
func TestParquetGolden(t *testing.T) {
	path := filepath.Join(t.TempDir(), "companies.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	rev := func(s string) (b [16]byte) {
		copy(b[:], pqFixed16(t, s).ByteArray())
		return b
	}
	spark := time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.UTC)
	nanos := uint64(spark.Sub(spark.Truncate(24 * time.Hour)))
	w := parquetgo.NewGenericWriter[pqCompany](f)
	_, err = w.Write([]pqCompany{{
		CompanyID: "acme",
		Address:   &pqAddress{Street: "1 Main St", City: "Phoenix", PostalCode: pqPtr("85001")},
		Tags:      []string{"b2b", "saas \"x\""},
		Attrs:     map[string]int64{"seats": 12},
		Phones:    []pqPhone{{Number: "+1-555-0100", Kind: pqPtr("work")}, {Number: "+1-555-0101"}},
		Founded:   pqDays(2019, 3, 1),
		Updated:   time.Date(2024, 5, 1, 12, 0, 0, 123456000, time.UTC).UnixMicro(),
		SparkTS:   deprecated.Int96{uint32(nanos), uint32(nanos >> 32), 2440588 + uint32(pqDays(2024, 5, 1))},
		Revenue:   rev("21622330000000"),
	}, {
		CompanyID: "globex",
		Address:   &pqAddress{Street: "", City: "São Paulo"},
		Founded:   pqDays(1900, 1, 1),
		Updated:   -1,
		SparkTS:   deprecated.Int96{0, 0, 2415021},
		Revenue:   rev("-12345678901234567890123456789"),
	}, {
		CompanyID: "initech",
		Tags:      []string{},
		Attrs:     map[string]int64{},
		Revenue:   rev("0"),
		SparkTS:   deprecated.Int96{0, 0, 2440588},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	res := pqRead(t, path, Options{}, 2)
	if res.err != nil {
		t.Fatal(res.err)
	}
	wantCols := "company_id address tags attrs phones founded updated spark_ts revenue"
	if got := strings.Join(res.cols, " "); got != wantCols {
		t.Errorf("columns %q, want %q", got, wantCols)
	}
	want := [][]string{{
		"string:acme",
		`json:{"street":"1 Main St","city":"Phoenix","postal_code":"85001"}`,
		`json:["b2b","saas \"x\""]`,
		`json:{"seats":12}`,
		`json:[{"number":"+1-555-0100","kind":"work"},{"number":"+1-555-0101","kind":null}]`,
		"timestamp:2019-03-01T00:00:00.000Z",
		"timestamp:2024-05-01T12:00:00.123Z",
		"timestamp:2024-05-01T12:00:00.123Z",
		"number:21622.330000000",
	}, {
		"string:globex",
		`json:{"street":"","city":"São Paulo","postal_code":null}`,
		`json:[]`,
		`json:{}`,
		`json:[]`,
		"timestamp:1900-01-01T00:00:00.000Z",
		"timestamp:1969-12-31T23:59:59.999Z",
		"timestamp:1900-01-01T00:00:00.000Z",
		"string:-12345678901234567890.123456789",
	}, {
		"string:initech",
		"null",
		`json:[]`,
		`json:{}`,
		`json:[]`,
		"timestamp:1970-01-01T00:00:00.000Z",
		"timestamp:1970-01-01T00:00:00.000Z",
		"timestamp:1970-01-01T00:00:00.000Z",
		"number:0.000000000",
	}}
	pqCheckRows(t, res, want)
	for i, n := range res.nums {
		if n != int64(i+1) || res.groups[i] != 0 {
			t.Errorf("row %d: Num %d, Group %d", i, n, res.groups[i])
		}
	}
}

// checkRows compares rows and requires no row errors and valid JSON.
func pqCheckRows(t *testing.T, res pqResult, want [][]string) {
	t.Helper()
	if len(res.rows) != len(want) {
		t.Fatalf("%d rows, want %d:\n%v", len(res.rows), len(want), res.rows)
	}
	for i := range want {
		if res.errs[i] != "" {
			t.Errorf("row %d: %s", i+1, res.errs[i])
		}
		if len(res.rows[i]) != len(want[i]) {
			t.Errorf("row %d: %d values, want %d: %v", i+1, len(res.rows[i]), len(want[i]), res.rows[i])
			continue
		}
		for k := range want[i] {
			if res.rows[i][k] != want[i][k] {
				t.Errorf("row %d, column %q:\n got %s\nwant %s", i+1, res.cols[k], res.rows[i][k], want[i][k])
			}
			if text, ok := strings.CutPrefix(res.rows[i][k], "json:"); ok {
				if err := jsonx.Valid([]byte(text), jsonx.MaxDepth); err != nil {
					t.Errorf("row %d, column %q: invalid JSON %s: %v", i+1, res.cols[k], text, err)
				}
			}
		}
	}
}

// lv is a value with its levels, for rows written level by level.
func lv(v any, rep, def, col int) parquetgo.Value {
	var x parquetgo.Value
	switch v := v.(type) {
	case nil:
		x = parquetgo.NullValue()
	case string:
		x = parquetgo.ByteArrayValue([]byte(v))
	case int:
		x = parquetgo.Int32Value(int32(v))
	default:
		x = parquetgo.ValueOf(v)
	}
	return x.Level(rep, def, col)
}

func annotateList(e *format.SchemaElement) {
	e.LogicalType.Value = &format.ListType{}
	e.ConvertedType = thrift.New(deprecated.List)
}

// TestParquetLists covers the list layouts of the format's
// backward-compatibility rules, written level by level and annotated by
// rewriting the footer the way older writers did.
func TestParquetLists(t *testing.T) {
	dir := t.TempDir()
	twoLevel := parquetgo.Group{"tags": parquetgo.Optional(parquetgo.Group{"element": parquetgo.Repeated(parquetgo.String())})}
	twoLevelRows := []parquetgo.Row{
		{lv("a", 0, 2, 0), lv("b", 1, 2, 0)},
		{lv(nil, 0, 1, 0)},
		{lv(nil, 0, 0, 0)},
	}
	pts := func(name string) parquetgo.Node {
		return parquetgo.Group{"pts": parquetgo.Optional(parquetgo.Group{name: parquetgo.Repeated(parquetgo.Group{"x": parquetgo.Int(32)})})}
	}
	ptsRows := []parquetgo.Row{{lv(1, 0, 2, 0), lv(2, 1, 2, 0)}, {lv(nil, 0, 1, 0)}}
	nested := parquetgo.Group{"m": parquetgo.Optional(parquetgo.List(parquetgo.Optional(parquetgo.List(parquetgo.Optional(parquetgo.Int(32))))))}
	tests := []struct {
		name  string
		node  parquetgo.Node
		rows  []parquetgo.Row
		patch func(m *format.FileMetaData)
		want  []string
	}{
		{"two-level list of strings", twoLevel, twoLevelRows,
			func(m *format.FileMetaData) { annotateList(pqElement(m, "tags")) },
			[]string{`json:["a","b"]`, `json:[]`, "null"}},
		{"repeated field in a struct, no annotation", twoLevel, twoLevelRows, nil,
			[]string{`json:{"element":["a","b"]}`, `json:{"element":[]}`, "null"}},
		{"repeated group named array", pts("array"), ptsRows,
			func(m *format.FileMetaData) { annotateList(pqElement(m, "pts")) },
			[]string{`json:[{"x":1},{"x":2}]`, `json:[]`}},
		{"repeated group named <list>_tuple", pts("pts_tuple"), ptsRows,
			func(m *format.FileMetaData) { annotateList(pqElement(m, "pts")) },
			[]string{`json:[{"x":1},{"x":2}]`, `json:[]`}},
		{"three-level list", pts("list"), ptsRows,
			func(m *format.FileMetaData) { annotateList(pqElement(m, "pts")) },
			[]string{`json:[1,2]`, `json:[]`}},
		{"top-level repeated primitive", parquetgo.Group{"nums": parquetgo.Repeated(parquetgo.Int(32))},
			[]parquetgo.Row{{lv(1, 0, 1, 0), lv(2, 1, 1, 0), lv(3, 1, 1, 0)}, {lv(nil, 0, 0, 0)}}, nil,
			[]string{`json:[1,2,3]`, `json:[]`}},
		{"top-level repeated group", parquetgo.Group{"kv": parquetgo.Repeated(parquetgo.Group{"k": parquetgo.String(), "v": parquetgo.Optional(parquetgo.Int(32))})},
			[]parquetgo.Row{{lv("a", 0, 1, 0), lv("b", 1, 1, 0), lv(1, 0, 2, 1), lv(nil, 1, 1, 1)}, {lv(nil, 0, 0, 0), lv(nil, 0, 0, 1)}}, nil,
			[]string{`json:[{"k":"a","v":1},{"k":"b","v":null}]`, `json:[]`}},
		{"list of lists with nulls", nested,
			[]parquetgo.Row{
				{lv(1, 0, 5, 0), lv(nil, 2, 4, 0), lv(nil, 1, 3, 0), lv(nil, 1, 2, 0)},
				{lv(nil, 0, 1, 0)},
				{lv(nil, 0, 0, 0)},
				{lv(7, 0, 5, 0), lv(8, 1, 5, 0)},
			}, nil,
			[]string{`json:[[1,null],[],null]`, `json:[]`, "null", `json:[[7],[8]]`}},
		{"legacy MAP_KEY_VALUE", parquetgo.Group{"m": parquetgo.Optional(parquetgo.Group{"map": parquetgo.Repeated(parquetgo.Group{"key": parquetgo.String(), "value": parquetgo.Optional(parquetgo.Int(32))})})},
			[]parquetgo.Row{
				{lv("a", 0, 2, 0), lv("b", 1, 2, 0), lv(1, 0, 3, 1), lv(nil, 1, 2, 1)},
				{lv(nil, 0, 1, 0), lv(nil, 0, 1, 1)},
				{lv(nil, 0, 0, 0), lv(nil, 0, 0, 1)},
			},
			func(m *format.FileMetaData) {
				pqElement(m, "m").ConvertedType = thrift.New(deprecated.Map)
				pqElement(m, "map").ConvertedType = thrift.New(deprecated.MapKeyValue)
			},
			[]string{`json:{"a":1,"b":null}`, `json:{}`, "null"}},
		{"map with integer keys and struct values", parquetgo.Group{"m": parquetgo.Map(parquetgo.Int(32), parquetgo.Optional(parquetgo.Group{"n": parquetgo.String()}))},
			[]parquetgo.Row{{lv(1, 0, 1, 0), lv(2, 1, 1, 0), lv("x", 0, 2, 1), lv(nil, 1, 1, 1)}}, nil,
			[]string{`json:{"1":{"n":"x"},"2":null}`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := pqWrite(t, filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".parquet"), tc.node, tc.rows)
			if tc.patch != nil {
				pqRewriteFooter(t, path, tc.patch)
			}
			res := pqRead(t, path, Options{}, 2)
			if res.err != nil {
				t.Fatal(res.err)
			}
			var want [][]string
			for _, w := range tc.want {
				want = append(want, []string{w})
			}
			pqCheckRows(t, res, want)
		})
	}
}

// TestParquetLevelsChecked: levels that do not fit the schema, or leaves
// that disagree with each other, stop the file with an error naming the
// row group and column; nothing wrong is passed on.
func TestParquetLevelsChecked(t *testing.T) {
	dir := t.TempDir()
	st := parquetgo.Group{"s": parquetgo.Optional(parquetgo.Group{"a": parquetgo.Int(32), "b": parquetgo.Int(32)})}
	lst := parquetgo.Group{"l": parquetgo.Repeated(parquetgo.Group{"x": parquetgo.Int(32), "y": parquetgo.Int(32)})}
	tests := []struct {
		name string
		node parquetgo.Node
		rows []parquetgo.Row
		want string
	}{
		{"required field null in a present struct", st, []parquetgo.Row{{lv(1, 0, 1, 0), lv(2, 0, 1, 1)}, {lv(5, 0, 1, 0), lv(nil, 0, 0, 1)}},
			`row group 0, column "s.b": corrupt Parquet file: row 2 of the row group: definition level 0 leaves the required field "s.b" undefined`},
		{"leaves with different list lengths", lst, []parquetgo.Row{{lv(1, 0, 1, 0), lv(2, 1, 1, 0), lv(1, 0, 1, 1)}, {lv(3, 0, 1, 0), lv(3, 0, 1, 1), lv(4, 1, 1, 1)}},
			`column "l.y": corrupt Parquet file: row 1 of the row group: repetition level 0 where 1 was expected`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := pqWrite(t, filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".parquet"), tc.node, tc.rows)
			res := pqRead(t, path, Options{}, 10)
			var pe *Error
			if !errors.As(res.err, &pe) || !errors.Is(res.err, ErrCorrupt) {
				t.Fatalf("error %v (%T), want an *Error wrapping ErrCorrupt", res.err, res.err)
			}
			if !strings.Contains(res.err.Error(), tc.want) {
				t.Errorf("error\n%v\nwant it to contain\n%s", res.err, tc.want)
			}
		})
	}
}

// TestParquetRowErrors: a value that cannot be converted rejects its row,
// naming the column; the other rows and columns are read.
func TestParquetRowErrors(t *testing.T) {
	dir := t.TempDir()
	node := parquetgo.Group{
		"id":   parquetgo.Int(32),
		"name": parquetgo.Optional(parquetgo.String()),
		"tags": parquetgo.Optional(parquetgo.List(parquetgo.String())),
		"m":    parquetgo.Optional(parquetgo.Map(parquetgo.String(), parquetgo.Int(32))),
	}
	// columns: id 0, m.key_value.key 1, m.key_value.value 2, name 3, tags.list.element 4
	rows := []parquetgo.Row{
		{lv(1, 0, 0, 0), lv("k", 0, 2, 1), lv(1, 0, 2, 2), lv("ok", 0, 1, 3), lv("a", 0, 2, 4)},
		{lv(2, 0, 0, 0), lv(nil, 0, 0, 1), lv(nil, 0, 0, 2), lv("bad\xc3(", 0, 1, 3), lv("a", 0, 2, 4)},
		{lv(3, 0, 0, 0), lv(nil, 0, 0, 1), lv(nil, 0, 0, 2), lv("ok", 0, 1, 3), lv("a", 0, 2, 4), lv("b\xffc", 1, 2, 4), lv("d", 1, 2, 4)},
		{lv(4, 0, 0, 0), lv("k\xfe", 0, 2, 1), lv(1, 0, 2, 2), lv(nil, 0, 0, 3), lv(nil, 0, 0, 4)},
		{lv(5, 0, 0, 0), lv(nil, 0, 0, 1), lv(nil, 0, 0, 2), lv(strings.Repeat("x", 300), 0, 1, 3), lv(nil, 0, 0, 4)},
		{lv(6, 0, 0, 0), lv("a", 0, 2, 1), lv(1, 0, 2, 2), lv(nil, 0, 0, 3), lv(strings.Repeat("y", 100), 0, 2, 4), lv(strings.Repeat("y", 100), 1, 2, 4)},
		{lv(7, 0, 0, 0), lv(nil, 0, 0, 1), lv(nil, 0, 0, 2), lv(nil, 0, 0, 3), lv(nil, 0, 0, 4)},
	}
	path := pqWrite(t, filepath.Join(dir, "errs.parquet"), node, rows)
	res := pqRead(t, path, Options{MaxRecordBytes: 150}, 3)
	if res.err != nil {
		t.Fatal(res.err)
	}
	wantErrs := []string{
		"",
		`column "name": invalid UTF-8 (byte 0xc3 at offset 3) in a text value`,
		`column "tags": tags.list.element: invalid UTF-8 (byte 0xff at offset 1) in a text value`,
		`column "m": m.key_value.key: invalid UTF-8 (byte 0xfe at offset 1) in a text value`,
		`column "name": the row decodes to more than 150 bytes (the record size limit)`,
		`column "tags": the value decodes to more than 150 bytes (the record size limit)`,
		"",
	}
	if len(res.errs) != len(wantErrs) {
		t.Fatalf("%d rows: %v", len(res.errs), res.rows)
	}
	for i, w := range wantErrs {
		if res.errs[i] != w {
			t.Errorf("row %d: error %q, want %q", i+1, res.errs[i], w)
		}
	}
	// The rejected cells are null, the others read.
	if got := strings.Join(res.rows[1], " "); got != `number:2 null null json:["a"]` {
		t.Errorf("row 2: %s", got)
	}
	if got := strings.Join(res.rows[2], " "); got != `number:3 null string:ok null` {
		t.Errorf("row 3: %s", got)
	}
	if got := strings.Join(res.rows[6], " "); got != `number:7 null null null` {
		t.Errorf("row 7: %s", got)
	}
}

// ---- real files from other writers ----

// pqLine renders a row as explore-style "col=kind:text" pairs.
func pqLine(cols, vals []string) string {
	var parts []string
	for i, v := range vals {
		if v == "null" {
			v = "null:"
		}
		parts = append(parts, cols[i]+"="+v)
	}
	return strings.Join(parts, " ")
}

func TestParquetRealFiles(t *testing.T) {
	decimals := map[int]string{}
	for i := 0; i < 24; i++ {
		decimals[i] = fmt.Sprintf("value=number:%d.00", i+1)
	}
	tests := []struct {
		file    string
		rows    int
		lines   map[int]string // row index → expected pqLine
		rowErrs map[int]string // row index → part of the row error
		refused string         // part of the file error; rows is then the rows read before
	}{
		{file: "alltypes_plain.parquet", rows: 8, lines: map[int]string{
			0: "id=number:4 bool_col=boolean:true tinyint_col=number:0 smallint_col=number:0 int_col=number:0 bigint_col=number:0 float_col=number:0 double_col=number:0 date_string_col=string:03/01/09 string_col=string:0 timestamp_col=timestamp:2009-03-01T00:00:00.000Z",
			7: "id=number:1 bool_col=boolean:false tinyint_col=number:1 smallint_col=number:1 int_col=number:1 bigint_col=number:10 float_col=number:1.1 double_col=number:10.1 date_string_col=string:01/01/09 string_col=string:1 timestamp_col=timestamp:2009-01-01T00:01:00.000Z",
		}},
		{file: "alltypes_plain.snappy.parquet", rows: 2, lines: map[int]string{
			1: "id=number:7 bool_col=boolean:false tinyint_col=number:1 smallint_col=number:1 int_col=number:1 bigint_col=number:10 float_col=number:1.1 double_col=number:10.1 date_string_col=string:04/01/09 string_col=string:1 timestamp_col=timestamp:2009-04-01T00:01:00.000Z",
		}},
		{file: "alltypes_dictionary.parquet", rows: 2, lines: map[int]string{
			0: "id=number:0 bool_col=boolean:true tinyint_col=number:0 smallint_col=number:0 int_col=number:0 bigint_col=number:0 float_col=number:0 double_col=number:0 date_string_col=string:01/01/09 string_col=string:0 timestamp_col=timestamp:2009-01-01T00:00:00.000Z",
		}},
		{file: "binary.parquet", rows: 12, lines: map[int]string{0: "foo=string:AA==", 11: "foo=string:Cw=="}},
		{file: "byte_array_decimal.parquet", rows: 24, lines: decimals},
		{file: "fixed_length_decimal.parquet", rows: 24, lines: decimals},
		{file: "fixed_length_decimal_legacy.parquet", rows: 24, lines: decimals},
		{file: "int32_decimal.parquet", rows: 24, lines: decimals},
		{file: "int64_decimal.parquet", rows: 24, lines: decimals},
		{file: "cluster_test_table_1.snappy.parquet", rows: 3, lines: map[int]string{
			0: "timestamp_tz=timestamp:2022-01-17T10:44:09.291Z timestamp_ltz=timestamp:2022-01-17T10:44:09.291Z timestamp_ntz=timestamp:2022-01-17T02:44:09.291Z varchar=string:first boolean=boolean:true int=number:42",
			2: "timestamp_tz=null: timestamp_ltz=null: timestamp_ntz=null: varchar=string:third boolean=null: int=number:11",
		}},
		{file: "datapage_v2.snappy.parquet", rows: 5, lines: map[int]string{
			0: "a=string:abc b=number:1 c=number:2 d=boolean:true e=json:[1,2,3]",
			1: "a=string:abc b=number:2 c=number:3 d=boolean:true e=null:",
			3: "a=null: b=number:4 c=number:5 d=boolean:false e=json:[1,2,3]",
			4: "a=string:abc b=number:5 c=number:2 d=boolean:true e=json:[1,2]",
		}},
		{file: "delta_length_byte_array.parquet", rows: 1000, lines: map[int]string{
			0: "FRUIT=string:apple_banana_mango0", 4: "FRUIT=string:apple_banana_mango16", 999: "FRUIT=string:apple_banana_mango998001",
		}},
		{file: "dms_test_table_LOAD00000001.parquet", rows: 10, lines: map[int]string{
			1: `DMS_TIMESTAMP=string:2022-07-26 06:46:18.618066 id=number:2 my_int=number:531430493 my_smallint=number:27086 my_numeric=number:1272649819.81 my_real=number:0.6938381 my_double=number:0.03032254783300687 my_money=number:12664053511.7100 my_varchar=string:tco my_text=string: my_bytea=string:atyyinkarekjyix my_timestamp=timestamp:2022-04-03T00:25:27.534Z my_uuid=string:b98aa0f0-69ba-4b8b-a757-290676933e57 my_json=string:{"key_90":"ct"} my_jsonb=string:{"key_78": "ynsg"} my_bool=boolean:true`,
		}},
		// written by DuckDB 1.5.6 (bench/duckdb): DECIMAL, HUGEINT, TIMESTAMPTZ,
		// UUID, LIST, STRUCT, MAP, TIME, ENUM
		{file: "duckdb_types.parquet", rows: 3, lines: map[int]string{
			0: `company_id=string:1-co revenue=number:1.25 big=number:100 updated_at=timestamp:2024-05-01T11:00:00.000Z created_at=timestamp:2019-03-02T00:00:00.000Z token=string:a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 tags=json:[1,2] address=json:{"city":"Paris","country":"FR"} attrs=json:{"a":1} maybe=string:x t=string:10:30:00.000 is_partner=boolean:false f=number:3.5 mood=string:sad`,
			1: `company_id=string:2-co revenue=number:2.50 big=number:200 updated_at=timestamp:2024-05-01T12:00:00.000Z created_at=timestamp:2019-03-03T00:00:00.000Z token=string:a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 tags=json:[2,3] address=json:{"city":"Paris","country":"FR"} attrs=json:{"a":2} maybe=null: t=string:10:30:00.000 is_partner=boolean:true f=number:3.5 mood=string:sad`,
		}},
		{file: "empty.parquet", rows: 0},
		{file: "issue276_4_per_page.parquet", rows: 5, lines: map[int]string{
			0: "id=string:0 int64_array=json:[0,1,2,3,4,5,6,7,8,9,10,11,12]",
			4: "id=string:4 int64_array=json:[4,5,6,7,8,9,10,11,12,13,14,15,16]",
		}},
		{file: "list_columns.parquet", rows: 3, lines: map[int]string{
			0: `int64_list=json:[1,2,3] utf8_list=json:["abc","efg","hij"]`,
			1: `int64_list=json:[null,1] utf8_list=null:`,
			2: `int64_list=json:[4] utf8_list=json:["efg",null,"hij","xyz"]`,
		}},
		{file: "lz4_raw_compressed.parquet", rows: 4, lines: map[int]string{
			0: "c0=number:1593604800 c1=string:abc v11=number:42",
			3: "c0=number:1593604801 c1=string:def v11=number:7.7",
		}},
		{file: "nested_lists.snappy.parquet", rows: 3, lines: map[int]string{
			0: `a=json:[[["a","b"],["c"]],[null,["d"]]] b=number:1`,
			2: `a=json:[[["a","b"],["c","d"],["e"]],[null,["f"]]] b=number:1`,
		}},
		{file: "nested_maps.snappy.parquet", rows: 6, lines: map[int]string{
			0: `a=json:{"a":{"1":true,"2":false}} b=number:1 c=number:1`,
			2: `a=json:{"c":null} b=number:1 c=number:1`,
			3: `a=json:{"d":{}} b=number:1 c=number:1`,
			5: `a=json:{"f":{"3":true,"4":false,"5":true}} b=number:1 c=number:1`,
		}},
		{file: "nonnullable.impala.parquet", rows: 1, lines: map[int]string{
			0: `ID=number:8 Int_Array=json:[-1] int_array_array=json:[[-1,-2],[]] Int_Map=json:{"k1":-1} int_map_array=json:[{},{"k1":1},{},{}] nested_Struct=json:{"a":-1,"B":[-1],"c":{"D":[[{"e":-1,"f":"nonnullable"}]]},"G":{}}`,
		}},
		{file: "nullable.impala.parquet", rows: 7, lines: map[int]string{
			0: `id=number:1 int_array=json:[1,2,3] int_array_Array=json:[[1,2],[3,4]] int_map=json:{"k1":1,"k2":100} int_Map_Array=json:[{"k1":1}] nested_struct=json:{"A":1,"b":[1],"C":{"d":[[{"E":10,"F":"aaa"},{"E":-10,"F":"bbb"}],[{"E":11,"F":"c"}]]},"g":{"foo":{"H":{"i":[1.1]}}}}`,
			1: `id=number:2 int_array=json:[null,1,2,null,3,null] int_array_Array=json:[[null,1,2,null],[3,null,4],[],null] int_map=json:{"k1":2,"k2":null} int_Map_Array=json:[{"k3":null,"k1":1},null,{}] nested_struct=json:{"A":null,"b":[null],"C":{"d":[[{"E":null,"F":null},{"E":10,"F":"aaa"},{"E":null,"F":null},{"E":-10,"F":"bbb"},{"E":null,"F":null}],[{"E":11,"F":"c"},null],[],null]},"g":{"g1":{"H":{"i":[2.2,null]}},"g2":{"H":{"i":[]}},"g3":null,"g4":{"H":{"i":null}},"g5":{"H":null}}}`,
			2: `id=number:3 int_array=json:[] int_array_Array=json:[null] int_map=json:{} int_Map_Array=json:[null,null] nested_struct=json:{"A":null,"b":null,"C":{"d":[]},"g":{}}`,
			3: `id=number:4 int_array=null: int_array_Array=json:[] int_map=json:{} int_Map_Array=json:[] nested_struct=json:{"A":null,"b":null,"C":{"d":null},"g":null}`,
			5: `id=number:6 int_array=null: int_array_Array=null: int_map=null: int_Map_Array=null: nested_struct=null:`,
			6: `id=number:7 int_array=null: int_array_Array=json:[null,[5,6]] int_map=json:{"k1":null,"k3":null} int_Map_Array=null: nested_struct=json:{"A":7,"b":[2,3,null],"C":{"d":[[],[null],null]},"g":null}`,
		}},
		{file: "null_list.parquet", rows: 1, lines: map[int]string{0: "emptylist=json:[]"}},
		{file: "nulls.snappy.parquet", rows: 8, lines: map[int]string{0: `b_struct=json:{"b_c_int":null}`, 7: `b_struct=json:{"b_c_int":null}`}},
		{file: "repeated_no_annotation.parquet", rows: 6, lines: map[int]string{
			0: "id=number:1 phoneNumbers=null:",
			2: `id=number:3 phoneNumbers=json:{"phone":[]}`,
			3: `id=number:4 phoneNumbers=json:{"phone":[{"number":5555555555,"kind":null}]}`,
			5: `id=number:6 phoneNumbers=json:{"phone":[{"number":1111111111,"kind":"home"},{"number":2222222222,"kind":null},{"number":3333333333,"kind":"mobile"}]}`,
		}},
		{file: "rle_boolean_encoding.parquet", rows: 68, lines: map[int]string{0: "datatype_boolean=boolean:true", 1: "datatype_boolean=boolean:false", 2: "datatype_boolean=null:"}},
		{file: "single_nan.parquet", rows: 1, lines: map[int]string{0: "mycol=null:"}},
		{file: "nested_structs.rust.parquet", rows: 1, rowErrs: map[int]string{
			0: `column "ul_observation_date": ul_observation_date.min: the timestamp 1608822900000000000 (microseconds since 1970-01-01) is outside the years 0001-9999`,
		}},
		{file: "malformed_negative_page_size.parquet", refused: `row group 0, column "id": corrupt Parquet file: page 0 (byte 4) declares -4001 bytes`},
		{file: "malformed_negative_row_group_num_rows.parquet", refused: "row group 0 num_rows=-1 is negative"},
		{file: "malformed_num_values_exceeds_data.parquet", refused: `row group 0, column "id": corrupt Parquet file: page 0: 7732 values of a REQUIRED column take 61856 bytes in PLAIN encoding, the page holds 4000`},
		// VARIANT, shredded (value by value against the expected variants in TestParquetVariantShreddedCases)
		{file: "shredded_variant_case-004.parquet", rows: 1, lines: map[int]string{0: "id=number:1 var=boolean:true"}},
		{file: "shredded_variant_case-042.parquet", rows: 1, rowErrs: map[int]string{0: `column "var": a VARIANT has both a value and a typed_value, and it is not an object`}},
		{file: "shredded_variant_case-045.parquet", rows: 4, lines: map[int]string{0: `id=number:0 var=json:["comedy","drama"]`, 1: "id=number:1 var=number:34"}},
		{file: "shredded_variant_case-134.parquet", rows: 1, lines: map[int]string{0: `id=number:1 var=json:{"a":null,"b":"iceberg","d":"2024-01-30T00:00:00.000Z"}`}},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		seen[tc.file] = true
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", tc.file)
			if r, err := openPQ(path, Options{}); err == nil {
				t.Log(r.Describe()[0])
				r.Close()
			}
			res := pqRead(t, path, Options{}, 7)
			if tc.refused != "" {
				if res.err == nil || isInternal(res.err) || !strings.Contains(res.err.Error(), tc.refused) {
					t.Fatalf("error %v, want a file error containing %q", res.err, tc.refused)
				}
				t.Logf("refused: %v", res.err)
				return
			}
			if res.err != nil {
				t.Fatal(res.err)
			}
			if len(res.rows) != tc.rows {
				t.Fatalf("%d rows, want %d", len(res.rows), tc.rows)
			}
			for i := range res.rows {
				if want, ok := tc.rowErrs[i]; ok {
					if !strings.Contains(res.errs[i], want) {
						t.Errorf("row %d: error %q, want %q", i, res.errs[i], want)
					}
				} else if res.errs[i] != "" {
					t.Errorf("row %d: %s", i, res.errs[i])
				}
				if res.nums[i] != int64(i+1) {
					t.Errorf("row %d: Num %d", i, res.nums[i])
				}
				for _, v := range res.rows[i] {
					if text, ok := strings.CutPrefix(v, "json:"); ok && jsonx.Valid([]byte(text), jsonx.MaxDepth) != nil {
						t.Errorf("row %d: invalid JSON %s", i, text)
					}
				}
			}
			for i, want := range tc.lines {
				if got := pqLine(res.cols, res.rows[i]); got != want {
					t.Errorf("row %d:\n got %s\nwant %s", i, got, want)
				}
			}
		})
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.parquet"))
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s has no test", f)
		}
	}
}

// TestParquetLZ4Larger reads apache/parquet-testing's
// lz4_raw_compressed_larger.parquet (too big to copy here) from the module
// cache when it is there: parquet-go alone reads its 10,000 values as empty
// strings; through the shadow file they are the UUIDs it holds.
func TestParquetLZ4Larger(t *testing.T) {
	cache := os.Getenv("GOMODCACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, "go", "pkg", "mod")
		if gp := os.Getenv("GOPATH"); gp != "" {
			cache = filepath.Join(gp, "pkg", "mod")
		}
	}
	path := filepath.Join(cache, "github.com", "parquet-go", "parquet-go@v0.32.0", "testdata", "lz4_raw_compressed_larger.parquet")
	if _, err := os.Stat(path); err != nil {
		t.Skip("not in the module cache:", path)
	}
	res := pqRead(t, path, Options{}, 1000)
	if res.err != nil {
		t.Fatal(res.err)
	}
	if len(res.rows) != 10000 {
		t.Fatalf("%d rows", len(res.rows))
	}
	if res.rows[0][0] != "string:c7ce6bef-d5b0-4863-b199-8ea8c7fb117b" || res.rows[1][0] != "string:e8fb9197-cb9f-4118-b67f-fbfa65f61843" {
		t.Errorf("first values %v %v", res.rows[0], res.rows[1])
	}
	for i, r := range res.rows {
		if len(r[0]) != len("string:")+36 {
			t.Fatalf("row %d: %s", i+1, r[0])
		}
	}
}

// ---- layout: row groups, order, partitions, progress ----

// pqRows writes n rows of (id INT64, name optional STRING, tags LIST)
// in row groups of group rows.
func pqRows(t *testing.T, path string, n int, group int64, opts ...parquetgo.WriterOption) {
	t.Helper()
	node := parquetgo.Group{
		"id":   parquetgo.Int(64),
		"name": parquetgo.Optional(parquetgo.String()),
		"tags": parquetgo.Optional(parquetgo.List(parquetgo.String())),
	}
	var rows []parquetgo.Row
	for i := 0; i < n; i++ {
		row := parquetgo.Row{lv(int64(i), 0, 0, 0)}
		if i%7 == 0 {
			row = append(row, lv(nil, 0, 0, 1))
		} else {
			row = append(row, lv(fmt.Sprintf("name %d", i), 0, 1, 1))
		}
		switch i % 3 {
		case 0:
			row = append(row, lv(nil, 0, 0, 2))
		case 1:
			row = append(row, lv(nil, 0, 1, 2))
		default:
			row = append(row, lv("a", 0, 2, 2), lv(fmt.Sprint(i), 1, 2, 2))
		}
		rows = append(rows, row)
	}
	pqWrite(t, path, node, rows, append([]parquetgo.WriterOption{parquetgo.MaxRowsPerRowGroup(group), parquetgo.PageBufferSize(4096)}, opts...)...)
}

func pqWantRow(i int) string {
	name := fmt.Sprintf("string:name %d", i)
	if i%7 == 0 {
		name = "null"
	}
	tags := []string{"null", "json:[]", fmt.Sprintf(`json:["a","%d"]`, i)}[i%3]
	return fmt.Sprintf("number:%d %s %s", i, name, tags)
}

func TestParquetRowGroupsInOrder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "many.parquet")
	const n, group = 20000, 3000
	pqRows(t, path, n, group, parquetgo.Compression(&parquetgo.Zstd))
	for _, batch := range []int{1, 999, 4096} {
		t.Run(fmt.Sprint("batch ", batch), func(t *testing.T) {
			res := pqRead(t, path, Options{}, batch)
			if res.err != nil {
				t.Fatal(res.err)
			}
			if len(res.rows) != n {
				t.Fatalf("%d rows", len(res.rows))
			}
			for i := range res.rows {
				if got := strings.Join(res.rows[i], " "); got != pqWantRow(i) || res.nums[i] != int64(i+1) || res.groups[i] != i/group {
					t.Fatalf("row %d: %s (Num %d, Group %d), want %s", i, got, res.nums[i], res.groups[i], pqWantRow(i))
				}
			}
		})
	}
	// Progress only grows, and ends at the file size.
	r, err := openPQ(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b := record.NewBatch(500, 1<<16)
	var last int64
	for {
		b.Reset()
		err := r.Next(b, 500)
		if b.Offset < last || r.Offset() != b.Offset {
			t.Fatalf("offset %d after %d (reader says %d)", b.Offset, last, r.Offset())
		}
		last = b.Offset
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if last != pqFileSize(t, path) {
		t.Errorf("final offset %d", last)
	}
}

func TestParquetCloseEarly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "many.parquet")
	pqRows(t, path, 30000, 2000)
	before := countGoroutines()
	for i := 0; i < 5; i++ {
		r, err := openPQ(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		b := record.NewBatch(100, 1<<16)
		if err := r.Next(b, 100); err != nil {
			t.Fatal(err)
		}
		if i == 0 && countGoroutines() == before {
			t.Fatal("no decoding goroutine seen while reading")
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if err := r.Next(b, 100); err == nil {
			t.Fatal("Next after Close succeeded")
		}
	}
	for i := 0; i < 100 && countGoroutines() > before; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if n := countGoroutines(); n > before {
		t.Errorf("%d goroutines before, %d after closing the readers", before, n)
	}
}

func countGoroutines() int {
	var b [64 << 10]byte
	n := 0
	for _, g := range strings.Split(string(b[:runtimeStack(b[:])]), "\n\n") {
		if strings.Contains(g, "Reader") {
			n++
		}
	}
	return n
}

// TestParquetPartitions: Options.Partitions are text columns after the
// file's (a null one is null), except those the file has a column of.
func TestParquetPartitions(t *testing.T) {
	node := parquetgo.Group{"id": parquetgo.Int(32)}
	rows := []parquetgo.Row{{lv(1, 0, 0, 0)}, {lv(2, 0, 0, 0)}}
	p := pqWrite(t, filepath.Join(t.TempDir(), "part-0.parquet"), node, rows)
	opts := Options{Partitions: []Partition{{Name: "country", Value: "New Zealand"}, {Name: "dt", Null: true}, {Name: "id", Value: "9"}}}
	for _, batch := range []int{1, 10} {
		res := pqRead(t, p, opts, batch)
		if res.err != nil {
			t.Fatal(res.err)
		}
		if got := strings.Join(res.cols, ","); got != "id,country,dt" {
			t.Errorf("columns %s", got)
		}
		pqCheckRows(t, res, [][]string{{"number:1", "string:New Zealand", "null"}, {"number:2", "string:New Zealand", "null"}})
	}
	r, err := openPQ(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	desc := strings.Join(r.Describe(), "\n")
	for _, want := range []string{`country = "New Zealand" (from the folder name)`, "dt = null", "id ignored: the file has a column of that name"} {
		if !strings.Contains(desc, want) {
			t.Errorf("Describe lacks %q:\n%s", want, desc)
		}
	}
}

func TestParquetDescribe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.parquet")
	f, _ := os.Create(path)
	w := parquetgo.NewGenericWriter[pqCompany](f, parquetgo.Compression(&parquetgo.Snappy), parquetgo.MaxRowsPerRowGroup(1))
	w.Write([]pqCompany{{CompanyID: "x"}, {CompanyID: "y"}})
	w.Close()
	f.Close()
	r, err := openPQ(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	desc := strings.Join(r.Describe(), "\n")
	for _, want := range []string{
		"row groups:   2, 2 rows in the footer (1 + 1); compression SNAPPY",
		"address                    optional  group                              → JSON object",
		"tags                       required  group LIST                         → JSON array",
		"attrs                      required  group MAP                          → JSON object (map)",
		"key_value                repeated  group                              → map entries",
		"list                     repeated  group                              → list elements",
		"updated                    required  INT64 TIMESTAMP(isAdjustedToUTC=true,unit=MICROS) → timestamp",
		"spark_ts                   required  INT96                              → timestamp",
		"revenue                    required  FIXED_LEN_BYTE_ARRAY(16) DECIMAL(38,9) → number (string beyond 15 digits)",
	} {
		if !strings.Contains(desc, want) {
			t.Errorf("Describe lacks %q:\n%s", want, desc)
		}
	}
}

func runtimeStack(b []byte) int { return runtime.Stack(b, true) }

// ---- broken, hostile and unsupported files ----

// pqRefused reads path and requires a file error containing want.
func pqRefused(t *testing.T, path string, opts Options, want string) error {
	t.Helper()
	res := pqRead(t, path, opts, 100)
	pqFileErr(t, res.err)
	if !strings.Contains(res.err.Error(), want) {
		t.Fatalf("error\n%v\nwant it to contain\n%s", res.err, want)
	}
	return res.err
}

func TestParquetRefused(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.parquet")
	pqRows(t, good, 2000, 500, parquetgo.Compression(&parquetgo.Snappy))
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	variant := func(name string, fn func(m *format.FileMetaData)) string {
		p := filepath.Join(dir, name+".parquet")
		os.WriteFile(p, data, 0o644)
		pqRewriteFooter(t, p, fn)
		return p
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name+".parquet")
		os.WriteFile(p, b, 0o644)
		return p
	}
	cases := []struct {
		name, path, want string
	}{
		{"truncated", write("truncated", data[:len(data)-100]), "does not end with the Parquet magic bytes: it is truncated or not Parquet"},
		{"cut in the data", write("cut", append(append([]byte{}, data[:len(data)/2]...), data[len(data)-8:]...)), "the footer is not valid metadata (is the file truncated or damaged?)"},
		{"tiny", write("tiny", []byte("PAR1PAR1")), "too short to be Parquet"},
		{"encrypted footer", write("pare", append(append([]byte{}, data[:len(data)-4]...), "PARE"...)), "the file is encrypted"},
		{"footer garbage", write("garbage", func() []byte {
			b := append([]byte{}, data...)
			n := int(binary.LittleEndian.Uint32(b[len(b)-8:]))
			for i := len(b) - 8 - n; i < len(b)-8; i += 3 {
				b[i] = 0xfe
			}
			return b
		}()), "corrupt Parquet file: the footer is not valid metadata"},
		{"row group row count", variant("rgrows", func(m *format.FileMetaData) { m.RowGroups[1].NumRows++; m.NumRows++ }),
			`row group 1, column "id": corrupt Parquet file: the column chunk holds 500 values but the row group has 501 rows`},
		{"file row count", variant("filerows", func(m *format.FileMetaData) { m.NumRows = 1999 }), "the footer says 1999 rows but its row groups hold 2000"},
		{"chunk value count", variant("values", func(m *format.FileMetaData) { m.RowGroups[2].Columns[2].MetaData.NumValues++ }),
			`row group 2, column "tags.list.element": corrupt Parquet file: the column chunk's metadata says 668 values but its pages hold 667`},
		{"codec LZ4 (Hadoop)", variant("lz4", func(m *format.FileMetaData) { m.RowGroups[0].Columns[0].MetaData.Codec = format.Lz4 }),
			`row group 0, column "id": the compression codec LZ4 is not supported`},
		{"encrypted column", variant("enccol", func(m *format.FileMetaData) {
			m.RowGroups[0].Columns[1].CryptoMetadata.Value = &format.EncryptionWithFooterKey{}
		}), `column "name": the column is encrypted`},
		{"chunk outside the file", variant("outside", func(m *format.FileMetaData) { m.RowGroups[3].Columns[0].MetaData.DataPageOffset = 1 << 40 }),
			`row group 3, column "id": corrupt Parquet file: the column chunk lies at bytes`},
		{"external column chunk", variant("external", func(m *format.FileMetaData) { m.RowGroups[0].Columns[0].FilePath = "other.parquet" }),
			`the column's data is in another file ("other.parquet")`},
		{"variant", variant("variant", func(m *format.FileMetaData) { pqElement(m, "tags").LogicalType.Value = &format.VariantType{} }),
			`VARIANT column "tags": unexpected field "list" (a VARIANT holds metadata, value and typed_value)`},
		{"date on text", variant("badtype", func(m *format.FileMetaData) { pqElement(m, "name").LogicalType.Value = &format.DateType{} }),
			`column "name": DATE on BYTE_ARRAY is not a valid Parquet type`},
		{"duplicate column", variant("dup", func(m *format.FileMetaData) { pqElement(m, "name").Name = "id" }), `the column name "id" appears twice`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { pqRefused(t, tc.path, Options{}, tc.want) })
	}
}

// TestParquetMutations flips bytes all over a file and truncates it at
// many lengths: every outcome is rows or a file error, never a panic, a
// hang or an internal error.
func TestParquetMutations(t *testing.T) {
	dir := t.TempDir()
	for _, codec := range []compress.Codec{&parquetgo.Snappy, &parquetgo.Gzip, &parquetgo.Zstd, &parquetgo.Uncompressed} {
		src := filepath.Join(dir, codec.String()+".parquet")
		pqRows(t, src, 300, 100, parquetgo.Compression(codec))
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		outcomes := map[string]int{}
		step := max(1, len(data)/150)
		for off := 0; off < len(data); off += step {
			for _, mut := range []string{"flip", "cut"} {
				b := append([]byte{}, data...)
				if mut == "flip" {
					b[off] ^= 0x5a
					if off+1 < len(b) {
						b[off+1] ^= 0xff
					}
				} else {
					b = b[:off]
				}
				p := filepath.Join(dir, "m.parquet")
				os.WriteFile(p, b, 0o644)
				res := pqRead(t, p, Options{}, 64)
				switch {
				case res.err == nil:
					outcomes["read"]++
				case !isInternal(res.err):
					outcomes["refused"]++
				default:
					t.Fatalf("%s %s at %d: %v", codec, mut, off, res.err)
				}
			}
		}
		t.Logf("%s: %v", codec, outcomes)
	}
}

// TestParquetLimits: pages that decompress beyond the page limit (a
// decompression bomb, or a file that needs a higher limit) are refused
// before they are decompressed, whatever the codec.
func TestParquetLimits(t *testing.T) {
	dir := t.TempDir()
	big := bytes.Repeat([]byte("0"), 3<<20)
	node := parquetgo.Group{"blob": parquetgo.String()}
	for _, codec := range []compress.Codec{&parquetgo.Zstd, &parquetgo.Snappy, &parquetgo.Gzip, &parquetgo.Brotli, &parquetgo.Lz4Raw, &parquetgo.Uncompressed} {
		t.Run(codec.String(), func(t *testing.T) {
			p := pqWrite(t, filepath.Join(dir, codec.String()+".parquet"), node,
				[]parquetgo.Row{{parquetgo.ByteArrayValue(big).Level(0, 0, 0)}}, parquetgo.Compression(codec))
			r, err := openPQ(p, Options{MaxPageBytes: 1 << 20})
			if err == nil {
				b := record.NewBatch(10, 1<<16)
				err = r.Next(b, 10)
				r.Close()
			}
			if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "more than the 1048576-byte page limit") {
				t.Fatalf("error %v, want the page limit", err)
			}
			// With the default limits the same file reads.
			res := pqRead(t, p, Options{}, 1)
			if res.err != nil || len(res.rows) != 1 || len(res.rows[0][0]) != len(big)+len("string:") {
				t.Fatalf("default limits: %v", res.err)
			}
		})
	}
}

func TestParquetCodecGuards(t *testing.T) {
	lim := int64(1 << 20)
	// A zstd frame that declares 64 GiB.
	frame := []byte{0x28, 0xb5, 0x2f, 0xfd, 0xc0}
	frame = binary.LittleEndian.AppendUint64(frame, 64<<30)
	frame = append(frame, 0x01, 0, 0) // last raw block of 0 bytes
	if _, err := zstdBound(frame, lim); !errors.Is(err, ErrLimit) {
		t.Errorf("zstd frame content size: %v", err)
	}
	// A zstd frame of RLE blocks, each 1 byte expanding to ~1 MiB.
	rle := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58}
	for i := 0; i < 1000; i++ {
		h := uint32(1)<<1 | uint32(1<<20)<<3
		if i == 999 {
			h |= 1
		}
		rle = append(rle, byte(h), byte(h>>8), byte(h>>16), 'x')
	}
	if n, err := zstdBound(rle, lim); err != nil || n <= lim {
		t.Errorf("zstd RLE blocks: bound %d, %v", n, err)
	}
	if _, err := zstdBound([]byte("not zstd"), lim); !errors.Is(err, ErrCorrupt) {
		t.Errorf("garbage: %v", err)
	}
	// A footer list longer than the bytes that follow.
	w := thriftWalker{b: []byte{0x19, 0xfc, 0xff, 0xff, 0xff, 0x07, 0x00}}
	if err := w.structure(); err == nil || !strings.Contains(err.Error(), "a list of") {
		t.Errorf("long list: %v", err)
	}
}

// TestParquetShadowCodecs: files in gzip, brotli and LZ4_RAW read through
// the shadow file, with the same values as in any other codec. The LZ4
// file's pages compress less than 3:1, the case parquet-go v0.32.0 reads as
// empty values.
func TestParquetShadowCodecs(t *testing.T) {
	dir := t.TempDir()
	node := parquetgo.Group{"id": parquetgo.Int(64), "u": parquetgo.String()}
	var rows []parquetgo.Row
	seed := uint64(1)
	var want [][]string
	for i := 0; i < 5000; i++ {
		var u [16]byte
		for k := range u {
			seed = seed*6364136223846793005 + 1442695040888963407
			u[k] = byte(seed >> 56)
		}
		s := fmt.Sprintf("%x", u)
		rows = append(rows, parquetgo.Row{lv(int64(i), 0, 0, 0), lv(s, 0, 0, 1)})
		want = append(want, []string{fmt.Sprintf("number:%d", i), "string:" + s})
	}
	for _, codec := range []compress.Codec{&parquetgo.Gzip, &parquetgo.Brotli, &parquetgo.Lz4Raw, &parquetgo.Snappy, &parquetgo.Zstd} {
		t.Run(codec.String(), func(t *testing.T) {
			p := pqWrite(t, filepath.Join(dir, codec.String()+".parquet"), node, rows, parquetgo.Compression(codec), parquetgo.MaxRowsPerRowGroup(1500))
			res := pqRead(t, p, Options{}, 700)
			if res.err != nil {
				t.Fatal(res.err)
			}
			pqCheckRows(t, res, want)
		})
	}
	// Row groups in different codecs (files merged by a tool): parquet-go
	// would decompress them all with the first one's codec.
	a := pqWrite(t, filepath.Join(dir, "a.parquet"), node, rows[:2000], parquetgo.Compression(&parquetgo.Snappy))
	b := pqWrite(t, filepath.Join(dir, "b.parquet"), node, rows[2000:], parquetgo.Compression(&parquetgo.Zstd))
	merged := pqConcat(t, filepath.Join(dir, "merged.parquet"), a, b)
	res := pqRead(t, merged, Options{}, 999)
	if res.err != nil {
		t.Fatal(res.err)
	}
	pqCheckRows(t, res, want)
	if res.groups[0] != 0 || res.groups[4999] != 1 {
		t.Errorf("groups %d %d", res.groups[0], res.groups[4999])
	}
}

// pqConcat writes a file holding the row groups of a then b (same schema).
func pqConcat(t *testing.T, out, a, b string) string {
	t.Helper()
	read := func(p string) ([]byte, []byte, *format.FileMetaData) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		n := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
		var m format.FileMetaData
		if err := decodeFooter(bytes.Clone(data[len(data)-8-n:len(data)-8]), &m); err != nil {
			t.Fatal(err)
		}
		return data[4 : len(data)-8-n], data, &m
	}
	da, _, ma := read(a)
	db, _, mb := read(b)
	shift := int64(len(da))
	for _, rg := range mb.RowGroups {
		for j := range rg.Columns {
			c := &rg.Columns[j]
			c.FileOffset += shift
			c.MetaData.DataPageOffset += shift
			if c.MetaData.DictionaryPageOffset != 0 {
				c.MetaData.DictionaryPageOffset += shift
			}
			c.ColumnIndexOffset, c.ColumnIndexLength, c.OffsetIndexOffset, c.OffsetIndexLength = 0, 0, 0, 0
		}
		rg.FileOffset += shift
		rg.Ordinal = int16(len(ma.RowGroups))
		ma.RowGroups = append(ma.RowGroups, rg)
	}
	for g := range ma.RowGroups[:1] {
		for j := range ma.RowGroups[g].Columns {
			c := &ma.RowGroups[g].Columns[j]
			c.ColumnIndexOffset, c.ColumnIndexLength, c.OffsetIndexOffset, c.OffsetIndexLength = 0, 0, 0, 0
		}
	}
	ma.NumRows += mb.NumRows
	footer, err := thrift.Marshal(new(thrift.CompactProtocol), ma)
	if err != nil {
		t.Fatal(err)
	}
	buf := append([]byte("PAR1"), da...)
	buf = append(buf, db...)
	buf = append(buf, footer...)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(footer)))
	buf = append(buf, "PAR1"...)
	if err := os.WriteFile(out, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}
