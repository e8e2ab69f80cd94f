package ndjson

import (
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/groupimport/groupimport/importer/internal/readertest"
	"github.com/groupimport/groupimport/record"
)

// nrow is an NDJSON row expected to be read: names, values and kinds.
type nrow struct {
	line  int64
	names []string
	vals  []string
	kinds []record.Kind
}

const (
	kS = record.String
	kN = record.Number
	kB = record.Bool
	kZ = record.Null
	kJ = record.JSON
)

type ndjsonCase struct {
	name    string
	in      string
	opts    Options
	cols    []string // Columns(); nil to skip the check
	rows    []any    // nrow or wantRow (a rejected row)
	err     error
	errLine int64
}

// obj builds an nrow from name, kind, value triples.
func obj(line int64, kv ...any) nrow {
	r := nrow{line: line, names: []string{}, vals: []string{}, kinds: []record.Kind{}}
	for i := 0; i+2 < len(kv)+1; i += 3 {
		r.names = append(r.names, kv[i].(string))
		r.kinds = append(r.kinds, kv[i+1].(record.Kind))
		r.vals = append(r.vals, kv[i+2].(string))
	}
	return r
}

func nest(depth int) string {
	// a line whose nesting, its own object included, is depth
	return `{"a":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + "}"
}

var bigString = strings.Repeat("ü", 800<<10) // 1.6 MiB

var ndjsonCases = []ndjsonCase{
	{name: "nested objects and arrays kept compact", in: `{"id":1,"address":{"city":"Paris", "geo" : [1.5, -2, {"x" : null}] },"tags":[ ],"o":{ },"s":"a b"}` + "\n",
		cols: []string{"id", "address", "tags", "o", "s"},
		rows: []any{obj(1, "id", kN, "1", "address", kJ, `{"city":"Paris","geo":[1.5,-2,{"x":null}]}`, "tags", kJ, "[]", "o", kJ, "{}", "s", kS, "a b")}},
	{name: "whitespace around everything", in: "  {\t\"a\" : \"x\" , \"b\":[ 1 , \"y z\" ] }  \n",
		rows: []any{obj(1, "a", kS, "x", "b", kJ, `[1,"y z"]`)}},
	{name: "literals", in: `{"t":true,"f":false,"n":null,"e":""}` + "\n",
		rows: []any{obj(1, "t", kB, "true", "f", kB, "false", "n", kZ, "", "e", kS, "")}},
	{name: "numbers exact", in: `{"a":9007199254740993,"b":1e400,"c":-0,"d":123456789012345678901234567890,"e":1.5E-7,"f":0,"g":-0.0e+00}` + "\n",
		rows: []any{obj(1, "a", kN, "9007199254740993", "b", kN, "1e400", "c", kN, "-0", "d", kN, "123456789012345678901234567890", "e", kN, "1.5E-7", "f", kN, "0", "g", kN, "-0.0e+00")}},
	{name: "escapes decoded", in: `{"a":"\u00e9\n\t\"\\\/\b\f\r\u0000","k\u00e9y":"v","emoji":"\ud83d\ude00","raw":"é😀"}` + "\n",
		rows: []any{obj(1, "a", kS, "é\n\t\"\\/\b\f\r\x00", "kéy", kS, "v", "emoji", kS, "😀", "raw", kS, "é😀")}},
	{name: "escapes inside nested values kept", in: `{"o":{"k":"\u00e9\n"}}` + "\n",
		rows: []any{obj(1, "o", kJ, `{"k":"\u00e9\n"}`)}},
	{name: "blank lines skipped", in: "\n{\"a\":1}\n\n  \n\t\r\n{\"a\":2}\n\n",
		cols: []string{"a"}, rows: []any{obj(2, "a", kN, "1"), obj(6, "a", kN, "2")}},
	{name: "CRLF", in: "{\"a\":1}\r\n{\"a\":\"x\\r\\n\"}\r\n\r\n{\"a\":3}\r\n",
		rows: []any{obj(1, "a", kN, "1"), obj(2, "a", kS, "x\r\n"), obj(4, "a", kN, "3")}},
	{name: "final line without newline", in: "{\"a\":1}\n{\"a\":2}",
		rows: []any{obj(1, "a", kN, "1"), obj(2, "a", kN, "2")}},
	{name: "truncated last line", in: "{\"a\":1}\n{\"a\":2,\"b",
		rows: []any{obj(1, "a", kN, "1"), rej(2, 8, "", "malformed JSON: string never closed")}},
	{name: "malformed lines and non-objects", in: strings.Join([]string{
		`{"a":1}`,
		`{"a":`,
		`[1,2]`,
		`"str"`,
		`42`,
		`null`,
		`true`,
		`nul`,
		`{"a":1}}`,
		`{"a":1,}`,
		`{'a':1}`,
		`{"a":1} x`,
		`{"a":01}`,
		`{"a":1`,
		`{"a":tru}`,
		`{"a" 1}`,
		`{"a":[1,]}`,
		`{"a":"x` + "\t" + `"}`,
		"\u00a0",
		`{"a":2}`,
	}, "\n") + "\n",
		rows: []any{
			obj(1, "a", kN, "1"),
			rej(2, 6, "", "malformed JSON: a value is missing"),
			rej(3, 1, "", "the line is an array, not a JSON object"),
			rej(4, 1, "", "the line is a string, not a JSON object"),
			rej(5, 1, "", "the line is a number, not a JSON object"),
			rej(6, 1, "", "the line is null, not a JSON object"),
			rej(7, 1, "", "the line is a boolean, not a JSON object"),
			rej(8, 1, "", "malformed JSON: invalid literal"),
			rej(9, 8, "", "unexpected data after the object"),
			rej(10, 8, "", "expected a key in quotes"),
			rej(11, 2, "", "expected a key in quotes"),
			rej(12, 9, "", "unexpected data after the object"),
			rej(13, 7, "", "expected ',' or '}'"),
			rej(14, 7, "", "expected ',' or '}'"),
			rej(15, 6, "", "invalid literal"),
			rej(16, 6, "", "expected ':'"),
			rej(17, 9, "", "malformed JSON"),
			rej(18, 8, "", "control character"),
			rej(19, 1, "", "malformed JSON"),
			obj(20, "a", kN, "2"),
		}},
	{name: "duplicate keys", in: `{"a":1,"a":2}` + "\n" + `{"a":1,"\u0061":2}` + "\n" + `{"a":{"x":1,"x":2}}` + "\n",
		rows: []any{
			rej(1, 0, "a", "the key appears twice"),
			rej(2, 0, "a", "the key appears twice"),
			obj(3, "a", kJ, `{"x":1,"x":2}`),
		}},
	{name: "invalid UTF-8 and lone surrogates", in: strings.Join([]string{
		`{"ok":1}`,
		"{\"a\":\"\xff\"}",
		"{\"\xfe\":1}",
		"{\"a\":1}\xff",
		"{\"a\":[\"\xc3\"]}",
		`{"a":"\ud800"}`,
		`{"a":"\udc00x"}`,
		`{"a":"\ud800\u0041"}`,
		`{"a":"\ud800\ud800"}`,
		`{"\ud800":1}`,
		`{"a":["\udfff"]}`,
		`{"a":"\u12"}`,
		`{"a":"\x"}`,
	}, "\n") + "\n",
		rows: []any{
			obj(1, "ok", kN, "1"),
			rej(2, 7, "", "invalid UTF-8"),
			rej(3, 3, "", "invalid UTF-8"),
			rej(4, 8, "", "unexpected data after the object"),
			rej(5, 8, "", "invalid UTF-8"),
			rej(6, 7, "", `lone surrogate \ud800`),
			rej(7, 7, "", `lone surrogate \udc00`),
			rej(8, 7, "", `lone surrogate \ud800`),
			rej(9, 7, "", `lone surrogate \ud800`),
			rej(10, 3, "", `lone surrogate \ud800`),
			rej(11, 8, "", `lone surrogate \udfff`),
			rej(12, 7, "", `invalid \u escape`),
			rej(13, 7, "", `invalid escape \x`),
		}},
	{name: "MaxDepth counts the line's object", in: nest(3) + "\n" + nest(4) + "\n" + `{"a":{"b":{}}}` + "\n" + `{"a":{"b":{"c":[]}}}` + "\n" + `[[[[1]]]]` + "\n", opts: Options{MaxDepth: 3},
		rows: []any{
			obj(1, "a", kJ, "[[]]"),
			rej(2, 8, "", "JSON nested deeper than the limit of 3 levels"),
			obj(3, "a", kJ, `{"b":{}}`),
			rej(4, 16, "", "JSON nested deeper than the limit of 3 levels"),
			rej(5, 4, "", "JSON nested deeper than the limit of 3 levels"),
		}},
	{name: "MaxDepth default 64", in: nest(64) + "\n" + nest(65) + "\n" + nest(100000) + "\n",
		rows: []any{
			obj(1, "a", kJ, strings.Repeat("[", 63)+strings.Repeat("]", 63)),
			rej(2, 69, "", "JSON nested deeper than the limit of 64 levels"),
			rej(3, 69, "", "JSON nested deeper than the limit of 64 levels"),
		}},
	{name: "MaxDepth 1", in: `{"a":1}` + "\n" + `{"a":[]}` + "\n", opts: Options{MaxDepth: 1},
		rows: []any{obj(1, "a", kN, "1"), rej(2, 6, "", "nested deeper than the limit of 1 levels")}},
	{name: "keys with NUL do not share a schema", in: `{"a\u0000b":1}` + "\n" + `{"a":1,"b":2}` + "\n" + `{"a\u0000b":3}` + "\n",
		rows: []any{obj(1, "a\x00b", kN, "1"), obj(2, "a", kN, "1", "b", kN, "2"), obj(3, "a\x00b", kN, "3")}},
	{name: "keys differ per line", in: `{"b":1,"a":2}` + "\n" + `{"c":3,"a":1}` + "\n" + `{}` + "\n",
		cols: []string{"b", "a", "c"},
		rows: []any{obj(1, "b", kN, "1", "a", kN, "2"), obj(2, "c", kN, "3", "a", kN, "1"), obj(3)}},
	{name: "BOM", in: "\xef\xbb\xbf{\"a\":1}\n", cols: []string{"a"}, rows: []any{obj(1, "a", kN, "1")}},
	{name: "empty file", in: ""},
	{name: "only blank lines", in: "\n \r\n\t\n"},
	{name: "line over 1 MiB", in: `{"a":1}` + "\n" + `{"s":"` + bigString + `","n":2}` + "\n" + `{"a":3}`,
		rows: []any{obj(1, "a", kN, "1"), obj(2, "s", kS, bigString, "n", kN, "2"), obj(3, "a", kN, "3")}},
	{name: "line at the limit", in: `{"a":1}` + "\n" + `{"s":"` + strings.Repeat("x", 92) + `"}` + "\r\n", opts: Options{MaxRecordBytes: 100},
		rows: []any{obj(1, "a", kN, "1"), obj(2, "s", kS, strings.Repeat("x", 92))}},
	{name: "line over the limit", in: `{"a":1}` + "\n\n" + `{"s":"` + strings.Repeat("x", 93) + `"}` + "\n" + `{"a":1}` + "\n", opts: Options{MaxRecordBytes: 100},
		rows: []any{obj(1, "a", kN, "1")}, err: ErrRecordLimit, errLine: 3},
	{name: "last line over the limit", in: `{"a":1}` + "\n" + strings.Repeat(" ", 101), opts: Options{MaxRecordBytes: 100},
		rows: []any{obj(1, "a", kN, "1")}, err: ErrRecordLimit, errLine: 2},
	{name: "a JSON array file", in: "[\n  {\"a\": 1},\n  {\"a\": 2}\n]\n", err: ErrNotNDJSON, errLine: 1},
	{name: "a one-line JSON array", in: `[{"a":1},{"a":2}]`, err: ErrNotNDJSON, errLine: 1},
	{name: "a JSON array after blank lines", in: "\n\n[{\"a\":1},\n{\"a\":2}]\n", err: ErrNotNDJSON, errLine: 3},
	{name: "lines of arrays", in: "[{\"a\":1}]\n[{\"a\":2}]\n", err: ErrNotNDJSON, errLine: 1},
	{name: "an array line then objects", in: "[1,2]\n{\"a\":1}\n",
		rows: []any{rej(1, 1, "", "the line is an array"), obj(2, "a", kN, "1")}},
	{name: "pretty-printed", in: "{\n  \"a\": 1,\n  \"b\": {\"c\": 2}\n}\n{\n  \"a\": 2\n}\n", err: ErrNotNDJSON, errLine: 1},
	{name: "pretty-printed, first key on the first line", in: "{\"a\": 1,\n \"b\": 2}\n", err: ErrNotNDJSON, errLine: 1},
	{name: "a broken first line is only a rejected row", in: "{\"a\": 1,\n{\"b\": 2}\n",
		rows: []any{rej(1, 9, "", "expected a key in quotes"), obj(2, "b", kN, "2")}},
}

func checkNDJSONRows(t *testing.T, got []gotRow, want []any) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d rows, want %d: %v", len(got), len(want), got)
	}
	for i := 0; i < len(got) && i < len(want); i++ {
		g := got[i]
		switch w := want[i].(type) {
		case wantRow:
			readertest.CheckRow1(t, i, g, w)
		case nrow:
			if g.Err != nil {
				t.Errorf("row %d: rejected: %v", i+1, g.Err)
				continue
			}
			if g.Line != w.line || !reflect.DeepEqual(g.Names, w.names) || !reflect.DeepEqual(g.Values, w.vals) || !reflect.DeepEqual(g.Kinds, w.kinds) {
				t.Errorf("row %d: line %d %q %q %v\nwant: line %d %q %q %v", i+1, g.Line, g.Names, g.Values, g.Kinds, w.line, w.names, w.vals, w.kinds)
			}
		}
	}
	for i, g := range got {
		if g.Num != int64(i+1) {
			t.Errorf("row %d numbered %d", i+1, g.Num)
		}
	}
}

func TestNDJSON(t *testing.T) {
	for _, tc := range ndjsonCases {
		t.Run(tc.name, func(t *testing.T) {
			cols, rows, err := readMem([]byte(tc.in), tc.opts, 0, 0, 1000)
			if tc.err != nil {
				if err == nil {
					t.Fatalf("no error, want %v", tc.err)
				}
				wantParseErr(t, err, tc.err, tc.errLine)
			} else if err != nil {
				t.Fatalf("error %v", err)
			}
			if tc.cols != nil && !reflect.DeepEqual(cols, tc.cols) {
				t.Errorf("columns %q, want %q", cols, tc.cols)
			}
			checkNDJSONRows(t, rows, tc.rows)
		})
	}
}

func TestNDJSONSplitBatches(t *testing.T) {
	for _, tc := range ndjsonCases {
		t.Run(tc.name, func(t *testing.T) {
			bufs, chunks := []int{1, 2, 3, 5, 8, 13, 64}, []int{0, 1, 3}
			if len(tc.in) > 10000 {
				bufs, chunks = []int{1, 777, 64 << 10}, []int{0, 4093}
			}
			if d := splitReads([]byte(tc.in), tc.opts, bufs, chunks, []int{1, 2, 1000}); d != "" {
				t.Error(d)
			}
		})
	}
}

// TestNDJSONSchemaShared checks that rows with the same keys share one
// *Schema, and rows with other keys do not.
func TestNDJSONSchemaShared(t *testing.T) {
	in := `{"a":1,"b":2}` + "\n" + `{"b":1,"a":2}` + "\n" + `{"a":3,"b":4}` + "\n" + `{"a":5}` + "\n" + `{"b":1,"a":2}` + "\n"
	r, err := NewReader(strings.NewReader(in), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b := record.NewBatch(10, 1024)
	if err := r.Next(b, 10); err != nil && err != io.EOF {
		t.Fatal(err)
	}
	s := make([]*record.Schema, len(b.Rows))
	for i := range b.Rows {
		s[i] = b.Rows[i].Schema
	}
	if len(s) != 5 || s[0] != s[2] || s[1] != s[4] || s[0] == s[1] || s[3] == s[0] {
		t.Errorf("schemas not shared as expected: %p", s)
	}
}
