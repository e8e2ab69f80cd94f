package parquet

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/groupimport/groupimport/internal/jsonx"
	"github.com/groupimport/groupimport/internal/variant"
	parquetgo "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	pqvariant "github.com/parquet-go/parquet-go/variant"
)

// pqJSON renders a cell as the JSON value it stands for.
func pqJSON(s string) string {
	kind, text, _ := strings.Cut(s, ":")
	switch kind {
	case "null":
		return "null"
	case "string", "timestamp":
		return string(jsonx.AppendStringS(nil, text))
	}
	return text
}

// splitVariantBin splits apache/parquet-testing's expected variants
// (metadata directly followed by the value) and returns their JSON.
func goldenVariant(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	size := int(data[0]>>6) + 1
	u := func(b []byte) int {
		x := 0
		for i := size - 1; i >= 0; i-- {
			x = x<<8 | int(b[i])
		}
		return x
	}
	n := u(data[1:])
	end := 1 + size + (n+1)*size + u(data[1+size+n*size:])
	m, err := variant.ParseMetadata(data[:end])
	if err != nil {
		t.Fatal(err)
	}
	var d variant.Decoder
	js, err := d.AppendJSON(nil, &m, data[end:])
	if err != nil {
		t.Fatal(err)
	}
	return string(js)
}

// TestParquetVariantShreddedCases reads apache/parquet-testing's shredded
// VARIANT cases (written by parquet-java) and checks each value against the
// case's expected variant, value by value.
func TestParquetVariantShreddedCases(t *testing.T) {
	for _, c := range []struct {
		file string
		rows int
	}{{"004", 1}, {"045", 4}, {"134", 1}} {
		path := filepath.Join("testdata", "shredded_variant_case-"+c.file+".parquet")
		res := pqRead(t, path, Options{}, 100)
		if res.err != nil || len(res.rows) != c.rows {
			t.Fatalf("case %s: %d rows, error %v", c.file, len(res.rows), res.err)
		}
		for i := range res.rows {
			want := goldenVariant(t, filepath.Join("testdata", fmt.Sprintf("shredded_variant_case-%s_row-%d.variant.bin", c.file, i)))
			if got := pqJSON(res.rows[i][1]); got != want || res.errs[i] != "" {
				t.Errorf("case %s row %d: %s %s, want %s", c.file, i, got, res.errs[i], want)
			} else {
				t.Logf("case %s row %d: %s", c.file, i, got)
			}
		}
	}
	// Case 042 holds a value and a typed_value for a number: invalid, and
	// only that row is rejected.
	res := pqRead(t, filepath.Join("testdata", "shredded_variant_case-042.parquet"), Options{}, 100)
	if res.err != nil || len(res.rows) != 1 || !strings.Contains(res.errs[0], `column "var": a VARIANT has both a value and a typed_value`) {
		t.Fatalf("case 042: %v %v %v", res.rows, res.errs, res.err)
	}
}

// variantOf encodes one value with parquet-go's variant builder (an
// encoder independent of the decoder under test).
func variantOf(t *testing.T, build func(b *pqvariant.Builder)) (md, v []byte) {
	t.Helper()
	var b pqvariant.Builder
	build(&b)
	md, v, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return md, append([]byte(nil), v...)
}

func uuidBytes(s string) []byte {
	u := uuid.MustParse(s)
	return u[:]
}

func dec16(x int64) [16]byte {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(x))
	if x < 0 {
		for i := 8; i < 16; i++ {
			b[i] = 0xff
		}
	}
	return b
}

// variantPrimitives lists one value of every primitive type: how the
// builder writes it, the typed_value column that shreds it with its value,
// and the cell it must read as.
var variantPrimitives = []struct {
	name  string
	build func(b *pqvariant.Builder)
	node  parquetgo.Node
	typed parquetgo.Value
	want  string
}{
	{"null", func(b *pqvariant.Builder) { b.Null() }, nil, parquetgo.Value{}, "null"},
	{"true", func(b *pqvariant.Builder) { b.Bool(true) }, parquetgo.Leaf(parquetgo.BooleanType), parquetgo.BooleanValue(true), "boolean:true"},
	{"false", func(b *pqvariant.Builder) { b.Bool(false) }, parquetgo.Leaf(parquetgo.BooleanType), parquetgo.BooleanValue(false), "boolean:false"},
	{"int8", func(b *pqvariant.Builder) { b.Int8(-7) }, parquetgo.Int(8), parquetgo.Int32Value(-7), "number:-7"},
	{"int16", func(b *pqvariant.Builder) { b.Int16(-300) }, parquetgo.Int(16), parquetgo.Int32Value(-300), "number:-300"},
	{"int32", func(b *pqvariant.Builder) { b.Int32(70000) }, parquetgo.Int(32), parquetgo.Int32Value(70000), "number:70000"},
	{"int64", func(b *pqvariant.Builder) { b.Int64(-(1 << 60)) }, parquetgo.Int(64), parquetgo.Int64Value(-(1 << 60)), "string:-1152921504606846976"},
	{"float", func(b *pqvariant.Builder) { b.Float(0.1) }, parquetgo.Leaf(parquetgo.FloatType), parquetgo.FloatValue(0.1), "number:0.1"},
	{"double", func(b *pqvariant.Builder) { b.Double(1e-7) }, parquetgo.Leaf(parquetgo.DoubleType), parquetgo.DoubleValue(1e-7), "number:1e-7"},
	{"decimal4", func(b *pqvariant.Builder) { b.Decimal4(-12345, 2) }, parquetgo.Decimal(2, 9, parquetgo.Int32Type), parquetgo.Int32Value(-12345), "number:-123.45"},
	{"decimal8", func(b *pqvariant.Builder) { b.Decimal8(123456789012345678, 3) }, parquetgo.Decimal(3, 18, parquetgo.Int64Type),
		parquetgo.Int64Value(123456789012345678), "string:123456789012345.678"},
	{"decimal16", func(b *pqvariant.Builder) { b.Decimal16(dec16(-1), 2) }, parquetgo.Decimal(2, 38, parquetgo.FixedLenByteArrayType(16)),
		parquetgo.FixedLenByteArrayValue([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}), "number:-0.01"},
	{"date", func(b *pqvariant.Builder) { b.Date(19000) }, parquetgo.Date(), parquetgo.Int32Value(19000), "string:2022-01-08T00:00:00.000Z"},
	{"time", func(b *pqvariant.Builder) { b.Time(45296789012) }, parquetgo.TimeAdjusted(parquetgo.Microsecond, false), parquetgo.Int64Value(45296789012), "string:12:34:56.789"},
	{"timestamp", func(b *pqvariant.Builder) { b.Timestamp(1700000000123456) }, parquetgo.Timestamp(parquetgo.Microsecond),
		parquetgo.Int64Value(1700000000123456), "string:2023-11-14T22:13:20.123Z"},
	{"timestamp ntz", func(b *pqvariant.Builder) { b.TimestampNTZ(-1) }, parquetgo.TimestampAdjusted(parquetgo.Microsecond, false),
		parquetgo.Int64Value(-1), "string:1969-12-31T23:59:59.999Z"},
	{"timestamp nanos", func(b *pqvariant.Builder) { b.TimestampNanos(1700000000123456789) }, parquetgo.Timestamp(parquetgo.Nanosecond),
		parquetgo.Int64Value(1700000000123456789), "string:2023-11-14T22:13:20.123Z"},
	{"timestamp ntz nanos", func(b *pqvariant.Builder) { b.TimestampNTZNanos(86400_000_000_000) }, parquetgo.TimestampAdjusted(parquetgo.Nanosecond, false),
		parquetgo.Int64Value(86400_000_000_000), "string:1970-01-02T00:00:00.000Z"},
	{"binary", func(b *pqvariant.Builder) { b.Binary([]byte{0, 1, 0xfe}) }, parquetgo.Leaf(parquetgo.ByteArrayType), parquetgo.ByteArrayValue([]byte{0, 1, 0xfe}), "string:AAH+"},
	{"short string", func(b *pqvariant.Builder) { b.String("héllo \"x\"") }, parquetgo.String(), parquetgo.ByteArrayValue([]byte("héllo \"x\"")), `string:héllo "x"`},
	{"long string", func(b *pqvariant.Builder) { b.String(strings.Repeat("ab", 50)) }, parquetgo.String(), parquetgo.ByteArrayValue([]byte(strings.Repeat("ab", 50))),
		"string:" + strings.Repeat("ab", 50)},
	{"uuid", func(b *pqvariant.Builder) { b.UUID(uuid.MustParse("f24f9b64-81fa-49d1-b74e-8c09a6e31c56")) }, parquetgo.UUID(),
		parquetgo.FixedLenByteArrayValue(uuidBytes("f24f9b64-81fa-49d1-b74e-8c09a6e31c56")), "string:f24f9b64-81fa-49d1-b74e-8c09a6e31c56"},
}

// TestParquetVariantUnshredded: an unshredded VARIANT column (metadata and
// value) holding every primitive type, objects, arrays, a null VARIANT, and
// broken encodings that reject only their row.
func TestParquetVariantUnshredded(t *testing.T) {
	type tc struct {
		name   string
		md, v  []byte
		null   bool
		want   string
		reject string
	}
	var cases []tc
	for _, p := range variantPrimitives {
		md, v := variantOf(t, p.build)
		cases = append(cases, tc{name: p.name, md: md, v: v, want: p.want})
	}
	md, v := variantOf(t, func(b *pqvariant.Builder) {
		b.BeginObject()
		b.Field("zeta")
		b.BeginArray()
		b.Int8(1)
		b.Null()
		b.String("x")
		b.EndArray()
		b.Field("alpha")
		b.BeginObject()
		b.Field("when")
		b.Date(0)
		b.EndObject()
		b.EndObject()
	})
	cases = append(cases,
		tc{name: "object", md: md, v: v, want: `json:{"alpha":{"when":"1970-01-01T00:00:00.000Z"},"zeta":[1,null,"x"]}`},
		tc{name: "null VARIANT", null: true, want: "null"},
		tc{name: "value cut", md: md, v: v[:len(v)-2], reject: `column "v": invalid VARIANT encoding`},
		tc{name: "metadata version 2", md: []byte{2, 0, 0}, v: []byte{0}, reject: `column "v": the VARIANT metadata: invalid VARIANT encoding: metadata version 2`},
		tc{name: "date out of range", md: []byte{1, 0, 0}, v: []byte{11 << 2, 0xff, 0xff, 0xff, 0x7f}, reject: `column "v": the date 2147483647 days from 1970-01-01 is outside the years 0001-9999`},
	)
	var rows []parquetgo.Row
	for i, c := range cases {
		row := parquetgo.Row{parquetgo.Int64Value(int64(i)).Level(0, 0, 0)}
		if c.null {
			row = append(row, parquetgo.NullValue().Level(0, 0, 1), parquetgo.NullValue().Level(0, 0, 2))
		} else {
			row = append(row, parquetgo.ByteArrayValue(c.md).Level(0, 1, 1), parquetgo.ByteArrayValue(c.v).Level(0, 1, 2))
		}
		rows = append(rows, row)
	}
	path := pqWrite(t, filepath.Join(t.TempDir(), "variant.parquet"), parquetgo.Group{"id": parquetgo.Int(64), "v": parquetgo.Optional(parquetgo.Variant())}, rows)
	res := pqRead(t, path, Options{}, 7)
	if res.err != nil || len(res.rows) != len(cases) {
		t.Fatalf("%d rows, error %v", len(res.rows), res.err)
	}
	for i, c := range cases {
		got := res.rows[i][1]
		switch {
		case c.reject != "":
			if !strings.Contains(res.errs[i], c.reject) {
				t.Errorf("%s: row error %q, want %q", c.name, res.errs[i], c.reject)
			}
		case got != c.want || res.errs[i] != "":
			t.Errorf("%s: %s %s, want %s", c.name, got, res.errs[i], c.want)
		}
	}
}

// TestParquetVariantShreddedPrimitives: each primitive type shredded as
// its typed_value column reads exactly as the same value unshredded, in
// the value column of the same file (and as null when neither is set).
func TestParquetVariantShreddedPrimitives(t *testing.T) {
	for _, p := range variantPrimitives {
		if p.node == nil {
			continue
		}
		t.Run(p.name, func(t *testing.T) {
			node, err := parquetgo.ShreddedVariant(p.node)
			if err != nil {
				t.Fatal(err)
			}
			md, v := variantOf(t, p.build)
			rows := []parquetgo.Row{
				{parquetgo.ByteArrayValue(md).Level(0, 0, 0), parquetgo.NullValue().Level(0, 0, 1), p.typed.Level(0, 1, 2)},
				{parquetgo.ByteArrayValue(md).Level(0, 0, 0), parquetgo.ByteArrayValue(v).Level(0, 1, 1), parquetgo.NullValue().Level(0, 0, 2)},
				{parquetgo.ByteArrayValue(md).Level(0, 0, 0), parquetgo.NullValue().Level(0, 0, 1), parquetgo.NullValue().Level(0, 0, 2)},
			}
			path := pqWrite(t, filepath.Join(t.TempDir(), "shredded.parquet"), parquetgo.Group{"v": node}, rows)
			res := pqRead(t, path, Options{}, 10)
			if res.err != nil || len(res.rows) != 3 {
				t.Fatalf("%d rows, error %v", len(res.rows), res.err)
			}
			want := []string{p.want, p.want, "null"}
			for i := range res.rows {
				if res.rows[i][0] != want[i] || res.errs[i] != "" {
					t.Errorf("row %d: %s %s, want %s", i, res.rows[i][0], res.errs[i], want[i])
				}
			}
		})
	}
}

// TestParquetVariantShreddedObjects writes the same values through
// parquet-go's shredding writer (an object with typed fields, a list of
// strings, a nested object) and its unshredded one: every row reads the
// same from both, fields merged back in key order. (A nil value is left
// out: parquet-go v0.32.0 writes it into a shredded column with the levels
// of a null group but a present value, which the reader refuses as
// corrupt.)
func TestParquetVariantShreddedObjects(t *testing.T) {
	type rec struct {
		ID   int64 `parquet:"id"`
		Data any   `parquet:"data"`
	}
	values := []any{
		map[string]any{"name": "Acme", "n": int64(5), "tags": []any{"a", "b"}, "extra": true},
		map[string]any{"name": "Beta", "n": "five", "tags": []any{"x", nil, int64(3)}},
		map[string]any{"other": map[string]any{"z": 1.5, "a": nil}},
		map[string]any{},
		"not an object",
		int64(42),
		map[string]any{"name": nil, "loc": map[string]any{"lat": 1.25, "lon": -2.5, "alt": "high"}},
		[]any{map[string]any{"k": "v"}, []any{}},
		map[string]any{"when": time.Date(2024, 5, 1, 12, 0, 0, 123456000, time.UTC)},
	}
	want := []string{
		`json:{"extra":true,"n":5,"name":"Acme","tags":["a","b"]}`,
		`json:{"n":"five","name":"Beta","tags":["x",null,3]}`,
		`json:{"other":{"a":null,"z":1.5}}`,
		`json:{}`,
		`string:not an object`,
		`number:42`,
		`json:{"loc":{"alt":"high","lat":1.25,"lon":-2.5},"name":null}`,
		`json:[{"k":"v"},[]]`,
		`json:{"when":"2024-05-01T12:00:00.123Z"}`,
	}
	shredded, err := parquetgo.ShreddedVariant(parquetgo.Group{
		"name": parquetgo.String(),
		"n":    parquetgo.Int(64),
		"tags": parquetgo.List(parquetgo.String()),
		"loc":  parquetgo.Group{"lat": parquetgo.Leaf(parquetgo.DoubleType), "lon": parquetgo.Leaf(parquetgo.DoubleType)},
		"when": parquetgo.Timestamp(parquetgo.Microsecond),
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, layout := range []struct {
		name string
		node parquetgo.Node
	}{{"unshredded", parquetgo.Optional(parquetgo.Variant())}, {"shredded", parquetgo.Optional(shredded)}} {
		schema := parquetgo.NewSchema("rec", parquetgo.Group{"id": parquetgo.Int(64), "data": layout.node})
		path := filepath.Join(dir, layout.name+".parquet")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w := parquetgo.NewGenericWriter[rec](f, schema)
		for i, v := range values {
			if _, err := w.Write([]rec{{ID: int64(i), Data: v}}); err != nil {
				t.Fatalf("%s %d: %v", layout.name, i, err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		res := pqRead(t, path, Options{}, 3)
		if res.err != nil || len(res.rows) != len(values) {
			t.Fatalf("%s: %d rows, error %v", layout.name, len(res.rows), res.err)
		}
		for i := range res.rows {
			if got := res.rows[i][0]; got != want[i] || res.errs[i] != "" {
				t.Errorf("%s row %d: %s %s, want %s", layout.name, i, got, res.errs[i], want[i])
			}
		}
	}
}

// TestParquetVariantSchemaRefused: groups annotated VARIANT that are not
// a valid VARIANT are refused with the column named.
func TestParquetVariantSchemaRefused(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		node parquetgo.Node
		want string
	}{
		{"no metadata", parquetgo.Group{"value": parquetgo.Leaf(parquetgo.ByteArrayType)}, `VARIANT column "v": no binary metadata field`},
		{"extra field", parquetgo.Group{"metadata": parquetgo.Leaf(parquetgo.ByteArrayType), "value": parquetgo.Leaf(parquetgo.ByteArrayType), "x": parquetgo.Int(32)},
			`VARIANT column "v": unexpected field "x"`},
		{"typed_value of INT96", parquetgo.Group{"metadata": parquetgo.Leaf(parquetgo.ByteArrayType), "typed_value": parquetgo.Optional(parquetgo.Leaf(parquetgo.Int96Type))},
			`VARIANT column "v": "v.typed_value": INT96 is not a type a VARIANT is shredded as`},
		{"neither value nor typed_value", parquetgo.Group{"metadata": parquetgo.Leaf(parquetgo.ByteArrayType)}, `"v" has neither value nor typed_value`},
	}
	for _, c := range cases {
		path := pqWrite(t, filepath.Join(dir, "v.parquet"), parquetgo.Group{"v": c.node}, nil)
		pqRewriteFooter(t, path, func(m *format.FileMetaData) { pqElement(m, "v").LogicalType.Value = &format.VariantType{} })
		pqRefused(t, path, Options{}, c.want)
	}
}

// TestParquetVariantNested: a VARIANT inside a struct and as the elements
// of a list is written as JSON in place (a scalar as JSON too).
func TestParquetVariantNested(t *testing.T) {
	md, obj := variantOf(t, func(b *pqvariant.Builder) {
		b.BeginObject()
		b.Field("k")
		b.Int8(1)
		b.EndObject()
	})
	_, str := variantOf(t, func(b *pqvariant.Builder) { b.String("x") })
	node := parquetgo.Group{
		"s": parquetgo.Optional(parquetgo.Group{"v": parquetgo.Optional(parquetgo.Variant())}),
		"l": parquetgo.Optional(parquetgo.List(parquetgo.Variant())),
	}
	// columns: l.list.element.metadata, l.list.element.value, s.v.metadata, s.v.value
	rows := []parquetgo.Row{
		{
			parquetgo.ByteArrayValue(md).Level(0, 2, 0), parquetgo.ByteArrayValue(md).Level(1, 2, 0),
			parquetgo.ByteArrayValue(obj).Level(0, 2, 1), parquetgo.ByteArrayValue(str).Level(1, 2, 1),
			parquetgo.ByteArrayValue(md).Level(0, 2, 2), parquetgo.ByteArrayValue(str).Level(0, 2, 3),
		},
		{
			parquetgo.NullValue().Level(0, 0, 0), parquetgo.NullValue().Level(0, 0, 1),
			parquetgo.NullValue().Level(0, 1, 2), parquetgo.NullValue().Level(0, 1, 3),
		},
	}
	path := pqWrite(t, filepath.Join(t.TempDir(), "nested.parquet"), node, rows)
	res := pqRead(t, path, Options{}, 10)
	if res.err != nil || len(res.rows) != 2 {
		t.Fatalf("%d rows, %v", len(res.rows), res.err)
	}
	want := [][]string{{`json:[{"k":1},"x"]`, `json:{"v":"x"}`}, {"null", `json:{"v":null}`}}
	for i := range want {
		if strings.Join(res.rows[i], " ") != strings.Join(want[i], " ") || res.errs[i] != "" {
			t.Errorf("row %d: %v %s, want %v", i, res.rows[i], res.errs[i], want[i])
		}
	}
}
