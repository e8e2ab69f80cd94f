package variant

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/groupimport/groupimport/internal/jsonx"
)

// TestSpecExamples decodes apache/parquet-testing's examples of the
// encoding (testdata/spec, every primitive type, short and long strings,
// objects, arrays) and checks the JSON of each.
func TestSpecExamples(t *testing.T) {
	want := map[string]string{
		"primitive_null":               `null`,
		"primitive_boolean_true":       `true`,
		"primitive_boolean_false":      `false`,
		"primitive_int8":               `42`,
		"primitive_int16":              `1234`,
		"primitive_int32":              `123456`,
		"primitive_int64":              `"1234567890123456789"`,
		"primitive_float":              `1234568000`,
		"primitive_double":             `1234567890.1234`,
		"primitive_decimal4":           `12.34`,
		"primitive_decimal8":           `12345678.90`,
		"primitive_decimal16":          `"12345678912345678.90"`,
		"primitive_date":               `"2025-04-16T00:00:00.000Z"`,
		"primitive_timestamp":          `"2025-04-16T16:34:56.780Z"`,
		"primitive_timestampntz":       `"2025-04-16T12:34:56.780Z"`,
		"primitive_time":               `"12:33:54.123"`,
		"primitive_timestamp_nanos":    `"2024-11-07T12:33:54.123Z"`,
		"primitive_timestampntz_nanos": `"2024-11-07T12:33:54.123Z"`,
		"primitive_uuid":               `"f24f9b64-81fa-49d1-b74e-8c09a6e31c56"`,
		"primitive_binary":             `"AxM33q2+78r+"`,
		"primitive_string":             `"This string is longer than 64 bytes and therefore does not fit in a short_string and it also includes several non ascii characters such as 🐢, 💖, ♥️, 🎣 and 🤦!!"`,
		"long_string":                  `"This string is for sure and certainly longer than 64 bytes and it also includes several non ascii characters such as 🐢, 💖, ♥️, 🎣 and 🤦!!"`,
		"short_string":                 `"Less than 64 bytes (❤️ with utf8)"`,
		"object_empty":                 `{}`,
		"object_primitive":             `{"boolean_false_field":false,"boolean_true_field":true,"double_field":1.23456789,"int_field":1,"null_field":null,"string_field":"Apache Parquet","timestamp_field":"2025-04-16T12:34:56.78"}`,
		"object_nested":                `{"id":1,"observation":{"location":"In the Volcano","time":"12:34:56","value":{"humidity":456,"temperature":123}},"species":{"name":"lava monster","population":6789}}`,
		"array_empty":                  `[]`,
		"array_primitive":              `[2,1,5,9]`,
		"array_nested":                 `[{"id":1,"thing":{"names":["Contrarian","Spider"]}},null,{"id":2,"names":["Apple","Ray",null],"type":"if"}]`,
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "spec", "*.value"))
	if len(files) != len(want) {
		t.Errorf("%d examples, %d expectations", len(files), len(want))
	}
	var d Decoder
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".value")
		t.Run(name, func(t *testing.T) {
			md, err := os.ReadFile(strings.TrimSuffix(f, ".value") + ".metadata")
			if err != nil {
				t.Fatal(err)
			}
			v, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m, err := ParseMetadata(md)
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.AppendJSON([]byte("x"), &m, v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got[1:]) != want[name] {
				t.Errorf("got  %s\nwant %s", got[1:], want[name])
			}
			if jsonx.Valid(got[1:], 64) != nil {
				t.Errorf("invalid JSON %s", got[1:])
			}
		})
	}
}

// enc builds encodings by hand.
func meta(keys ...string) []byte {
	b := []byte{0x01, byte(len(keys)), 0}
	off := 0
	for _, k := range keys {
		off += len(k)
		b = append(b, byte(off))
	}
	for _, k := range keys {
		b = append(b, k...)
	}
	return b
}

func prim(t int, data ...byte) []byte { return append([]byte{byte(t << 2)}, data...) }

func short(s string) []byte { return append([]byte{byte(len(s)<<2 | basicShortStr)}, s...) }

// object with 1-byte ids and offsets; fields given as id, value.
func obj(ids []int, vals ...[]byte) []byte {
	b := []byte{basicObject, byte(len(ids))}
	for _, id := range ids {
		b = append(b, byte(id))
	}
	off := 0
	for _, v := range vals {
		b = append(b, byte(off))
		off += len(v)
	}
	b = append(b, byte(off))
	for _, v := range vals {
		b = append(b, v...)
	}
	return b
}

func arr(vals ...[]byte) []byte {
	b := []byte{basicArray, byte(len(vals))}
	off := 0
	for _, v := range vals {
		b = append(b, byte(off))
		off += len(v)
	}
	b = append(b, byte(off))
	for _, v := range vals {
		b = append(b, v...)
	}
	return b
}

func le32(x uint32) []byte { return binary.LittleEndian.AppendUint32(nil, x) }
func le64(x uint64) []byte { return binary.LittleEndian.AppendUint64(nil, x) }

// TestPrimitives covers every primitive type, the edges of each
// conversion, and the large layouts (4-byte counts, 2-byte ids and
// offsets).
func TestPrimitives(t *testing.T) {
	m := meta("a", "b")
	neg16 := append([]byte{3}, bytes.Repeat([]byte{0xff}, 16)...) // -1 at scale 3
	cases := []struct {
		name string
		v    []byte
		want string
	}{
		{"int8 negative", prim(typeInt8, 0xff), `-1`},
		{"int16", prim(typeInt16, 0x00, 0x80), `-32768`},
		{"int32", prim(typeInt32, le32(0x7fffffff)...), `2147483647`},
		{"int64 safe", prim(typeInt64, le64(1<<53-1)...), `9007199254740991`},
		{"int64 beyond 2^53", prim(typeInt64, le64(1<<53)...), `"9007199254740992"`},
		{"double tiny", prim(typeDouble, le64(0x3e7ad7f29abcaf48)...), `1e-7`},
		{"double NaN", prim(typeDouble, le64(0x7ff8000000000001)...), `null`},
		{"float 0.1", prim(typeFloat, le32(0x3dcccccd)...), `0.1`},
		{"float -Inf", prim(typeFloat, le32(0xff800000)...), `null`},
		{"decimal4 small", prim(typeDecimal4, append([]byte{4}, le32(5)...)...), `0.0005`},
		{"decimal8 negative", prim(typeDecimal8, append([]byte{2}, le64(^uint64(12344))...)...), `-123.45`},
		{"decimal16 -1", prim(typeDecimal16, neg16...), `-0.001`},
		{"decimal16 2^64", prim(typeDecimal16, append([]byte{0}, append(le64(0), le64(1)...)...)...), `"18446744073709551616"`},
		{"date before 1970", prim(typeDate, le32(^uint32(0))...), `"1969-12-31T00:00:00.000Z"`},
		{"timestamp floored", prim(typeTimestamp, le64(^uint64(0))...), `"1969-12-31T23:59:59.999Z"`},
		{"timestamp ntz nanos", prim(typeTimestampNTZs, le64(1_500_000_999)...), `"1970-01-01T00:00:01.500Z"`},
		{"time end of day", prim(typeTime, le64(86400_000_000)...), `"24:00:00.000"`},
		{"binary empty", prim(typeBinary, le32(0)...), `""`},
		{"string escapes", prim(typeString, append(le32(4), "a\"\n<"...)...), `"a\"\n<"`},
		{"short string empty", short(""), `""`},
		{"uuid", prim(typeUUID, bytes.Repeat([]byte{0xab}, 16)...), `"abababab-abab-abab-abab-abababababab"`},
		{"object", obj([]int{0, 1}, short("x"), arr(prim(typeTrue), prim(typeNull))), `{"a":"x","b":[true,null]}`},
		{"object values out of order", append([]byte{basicObject, 2, 0, 1, 1, 0, 4}, append(prim(typeFalse), short("xy")...)...), `{"a":"xy","b":false}`},
		{"large layouts", append([]byte{basicObject | (1<<4|1<<2|1)<<2, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0}, prim(typeNull)...), `{"b":null}`},
		{"large array", append([]byte{basicArray | (1<<2)<<2, 2, 0, 0, 0, 0, 1, 2}, append(prim(typeTrue), prim(typeFalse)...)...), `[true,false]`},
	}
	var d Decoder
	for _, tc := range cases {
		got, err := d.AppendJSON(nil, mustMeta(t, m), tc.v)
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: %s (%v), want %s", tc.name, got, err, tc.want)
		}
	}
}

func mustMeta(t *testing.T, b []byte) *Metadata {
	t.Helper()
	m, err := ParseMetadata(b)
	if err != nil {
		t.Fatal(err)
	}
	return &m
}

// TestInvalid: every way an encoding can break is an error (ErrInvalid,
// or ErrTooLarge for limits, or a range error for dates), never a panic,
// a read outside the value or a partial append.
func TestInvalid(t *testing.T) {
	metas := []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"version 2", []byte{0x02, 0, 0}},
		{"short header", []byte{0xc1, 0, 0}},
		{"too many keys", []byte{0x01, 200, 0, 1}},
		{"first offset not 0", []byte{0x01, 1, 1, 1, 'a'}},
		{"offsets backwards", []byte{0x01, 2, 0, 2, 1, 'a', 'b'}},
		{"key beyond the bytes", []byte{0x01, 1, 0, 5, 'a'}},
		{"bytes after the keys", []byte{0x01, 1, 0, 1, 'a', 'b'}},
		{"key not UTF-8", []byte{0x01, 1, 0, 1, 0xff}},
	}
	for _, tc := range metas {
		if _, err := ParseMetadata(tc.b); !errors.Is(err, ErrInvalid) {
			t.Errorf("metadata %s: %v", tc.name, err)
		}
	}
	m := mustMeta(t, meta("a", "b"))
	values := []struct {
		name string
		v    []byte
		want error
	}{
		{"empty", nil, ErrInvalid},
		{"unknown type", prim(21), ErrInvalid},
		{"int64 short", prim(typeInt64, 1, 2), ErrInvalid},
		{"string length beyond", prim(typeString, le32(100)...), ErrInvalid},
		{"string length huge", prim(typeString, le32(0xffffffff)...), ErrInvalid},
		{"string not UTF-8", prim(typeString, append(le32(1), 0xc3)...), ErrInvalid},
		{"short string short", []byte{5<<2 | basicShortStr, 'a'}, ErrInvalid},
		{"short string not UTF-8", []byte{1<<2 | basicShortStr, 0xff}, ErrInvalid},
		{"decimal scale 39", prim(typeDecimal4, append([]byte{39}, le32(1)...)...), ErrInvalid},
		{"object field id beyond", obj([]int{2}, prim(typeNull)), ErrInvalid},
		{"object keys unsorted", obj([]int{1, 0}, prim(typeNull), prim(typeNull)), ErrInvalid},
		{"object key twice", obj([]int{0, 0}, prim(typeNull), prim(typeNull)), ErrInvalid},
		{"object offset beyond", []byte{basicObject, 1, 0, 5, 1, 0}, ErrInvalid},
		{"object count beyond", []byte{basicObject | 1<<4<<2, 0xff, 0xff, 0xff, 0x7f}, ErrInvalid},
		{"object header cut", []byte{basicObject}, ErrInvalid},
		{"array element beyond", []byte{basicArray, 1, 1, 1, 0}, ErrInvalid},
		{"array element cut", append([]byte{basicArray, 1, 0, 2}, prim(typeInt32, 1)...), ErrInvalid},
		{"trailing bytes", append(prim(typeTrue), 0), ErrInvalid},
		{"date out of range", prim(typeDate, le32(0x7fffffff)...), nil},
		{"time out of range", prim(typeTime, le64(^uint64(0))...), nil},
	}
	var d Decoder
	for _, tc := range values {
		got, err := d.AppendJSON([]byte("kept"), m, tc.v)
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) || string(got) != "kept" {
			t.Errorf("%s: %q, %v", tc.name, got, err)
		}
	}
	// Nesting and size limits.
	deep := prim(typeNull)
	for i := 0; i < 10; i++ {
		deep = arr(deep)
	}
	d = Decoder{MaxDepth: 5}
	if _, err := d.AppendJSON(nil, m, deep); !errors.Is(err, ErrTooLarge) {
		t.Errorf("nested 10 deep with MaxDepth 5: %v", err)
	}
	// Every element of every level points at the same bytes: 64^3 copies
	// of a long key from a few hundred bytes of value.
	long := mustMeta(t, meta(strings.Repeat("k", 200)))
	fan := obj([]int{0}, prim(typeNull))
	for level := 0; level < 3; level++ {
		b := []byte{basicArray, 64}
		for i := 0; i <= 64; i++ {
			if i < 64 {
				b = append(b, 0)
			} else {
				b = append(b, byte(len(fan)))
			}
		}
		fan = append(b, fan...)
	}
	d = Decoder{MaxBytes: 1 << 20}
	if _, err := d.AppendJSON(nil, long, fan); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a value that expands to 50 MB with MaxBytes 1 MiB: %v", err)
	}
}
