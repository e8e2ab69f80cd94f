package importer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/groupimport/groupimport/record"
)

// wantRow is what a test expects of one row. Values nil means the row is
// rejected, and Err then says how: Line and Col and Column exactly, Reason
// as a substring.
type wantRow struct {
	Line   int64
	Values []string
	Raw    string // compared when not empty
	Err    *record.Error
}

func ok(line int64, vals ...string) wantRow { return wantRow{Line: line, Values: vals} }

// rej is a row rejected because of a problem on its first line.
func rej(line int64, col int, column, reason string) wantRow {
	return wantRow{Line: line, Err: &record.Error{Col: col, Column: column, Reason: reason}}
}

func checkRows(t *testing.T, got []gotRow, want []wantRow) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d rows, want %d: %v", len(got), len(want), got)
	}
	for i := 0; i < len(got) && i < len(want); i++ {
		if g := got[i]; g.Num != int64(i+1) {
			t.Errorf("row %d: Num %d", i+1, g.Num)
		}
		checkRow1(t, i, got[i], want[i])
	}
}

// checkRow1 compares the i'th row (0-based).
func checkRow1(t *testing.T, i int, g gotRow, w wantRow) {
	t.Helper()
	if g.Line != w.Line {
		t.Errorf("row %d: line %d, want %d", i+1, g.Line, w.Line)
	}
	if w.Raw != "" && g.Raw != w.Raw {
		t.Errorf("row %d: raw %q, want %q", i+1, g.Raw, w.Raw)
	}
	if w.Err == nil {
		if g.Err != nil {
			t.Errorf("row %d: rejected (%v), want %q", i+1, g.Err, w.Values)
			return
		}
		if !reflect.DeepEqual(g.Values, w.Values) {
			t.Errorf("row %d: values %q, want %q", i+1, g.Values, w.Values)
		}
		return
	}
	if g.Err == nil {
		t.Errorf("row %d: values %q, want rejected (%s)", i+1, g.Values, w.Err.Reason)
		return
	}
	if g.Err.Col != w.Err.Col || g.Err.Column != w.Err.Column || g.Err.Line != w.Err.Line ||
		!strings.Contains(g.Err.Reason, w.Err.Reason) {
		t.Errorf("row %d: error %+v, want %+v", i+1, *g.Err, *w.Err)
	}
}

// wantFileErr checks that err is a *FileError for is at line and col.
func wantFileErr(t *testing.T, err error, is error, file string, line int64, col int) {
	t.Helper()
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T), want a *FileError", err, err)
	}
	if is != nil && !errors.Is(err, is) {
		t.Errorf("error %v does not wrap %v", err, is)
	}
	if file != "" && fe.File != file {
		t.Errorf("error names file %q, want %q", fe.File, file)
	}
	if fe.Line != line || fe.Col != col {
		t.Errorf("error %v at line %d col %d, want line %d col %d", err, fe.Line, fe.Col, line, col)
	}
	if !strings.Contains(err.Error(), fe.File) {
		t.Errorf("error text %q does not name the file", err.Error())
	}
}

type csvCase struct {
	name    string
	in      string
	opts    Options
	cols    []string
	rows    []wantRow
	err     error // the *FileError's cause (errors.Is), nil for a clean read
	errLine int64
	errCol  int
}

var long70k = strings.Repeat("x", 70<<10)
var long1500k = strings.Repeat("é", 750<<10) // 1.5 MiB of two-byte runes

var csvCases = []csvCase{
	{name: "plain LF", in: "a,b,c\n1,2,3\n4,5,6\n",
		cols: []string{"a", "b", "c"}, rows: []wantRow{ok(2, "1", "2", "3"), ok(3, "4", "5", "6")}},
	{name: "RFC 4180 quoting", in: "a,b\n\"x,y\",\"\"\n\"\",z\n",
		cols: []string{"a", "b"}, rows: []wantRow{ok(2, "x,y", ""), ok(3, "", "z")}},
	{name: "doubled quotes", in: "a,b\n\"he said \"\"hi\"\"\",\"\"\"\"\n",
		cols: []string{"a", "b"}, rows: []wantRow{ok(2, `he said "hi"`, `"`)}},
	{name: "quoted LF", in: "a,b\n\"line 1\nline 2\",2\n3,4\n",
		cols: []string{"a", "b"}, rows: []wantRow{ok(2, "line 1\nline 2", "2"), ok(4, "3", "4")}},
	{name: "quoted CRLF survives byte for byte", in: "a,b\r\n\"x\r\ny\r\n\",2\r\n3,\"\r\"\r\n",
		cols: []string{"a", "b"}, rows: []wantRow{{Line: 2, Values: []string{"x\r\ny\r\n", "2"}, Raw: "\"x\r\ny\r\n\",2"}, ok(5, "3", "\r")}},
	{name: "CRLF", in: "a,b\r\n1,2\r\n3,4\r\n",
		cols: []string{"a", "b"}, rows: []wantRow{{Line: 2, Values: []string{"1", "2"}, Raw: "1,2"}, ok(3, "3", "4")}},
	{name: "CR only (old Mac)", in: "a,b\r1,2\r3,\"x\ry\"\r5,6",
		cols: []string{"a", "b"}, rows: []wantRow{ok(2, "1", "2"), ok(3, "3", "x\ry"), ok(5, "5", "6")}},
	{name: "mixed line ends", in: "a,b\n1,2\r\n3,4\r5,6\n",
		cols: []string{"a", "b"}, rows: []wantRow{ok(2, "1", "2"), ok(3, "3", "4"), ok(4, "5", "6")}},
	{name: "no final newline", in: "a,b\n1,2",
		cols: []string{"a", "b"}, rows: []wantRow{ok(2, "1", "2")}},
	{name: "UTF-8 BOM", in: "\xef\xbb\xbfid,name\r\n1,Zoë\r\n",
		cols: []string{"id", "name"}, rows: []wantRow{ok(2, "1", "Zoë")}},
	{name: "semicolon detected", in: "a;b;c\n1,5;2;3\n",
		cols: []string{"a", "b", "c"}, rows: []wantRow{ok(2, "1,5", "2", "3")}},
	{name: "tab detected", in: "a\tb\n1\t2\n",
		cols: []string{"a", "b"}, rows: []wantRow{ok(2, "1", "2")}},
	{name: "pipe detected", in: "a|b|c\n1|2|\n",
		cols: []string{"a", "b", "c"}, rows: []wantRow{ok(2, "1", "2", "")}},
	{name: "delimiters inside quotes do not count", in: "\"x;y;z\",b,c\n1,2,3\n",
		cols: []string{"x;y;z", "b", "c"}, rows: []wantRow{ok(2, "1", "2", "3")}},
	{name: "one column", in: "email\na@example.com\n\"\"\n",
		cols: []string{"email"}, rows: []wantRow{ok(2, "a@example.com"), ok(3, "")}},
	{name: "forced delimiter", in: "a;b,c\n1;2,3\n", opts: Options{Comma: ','},
		cols: []string{"a;b", "c"}, rows: []wantRow{ok(2, "1;2", "3")}},
	{name: "forced tab", in: "a,b\tc\n1,2\t3\n", opts: Options{Comma: '\t'},
		cols: []string{"a,b", "c"}, rows: []wantRow{ok(2, "1,2", "3")}},
	{name: "blank lines skipped, still counted", in: "\n\r\na,b\n\n1,2\r\n\r\n\n3,4\n\n",
		cols: []string{"a", "b"}, rows: []wantRow{ok(5, "1", "2"), ok(8, "3", "4")}},
	{name: "empty and trailing fields", in: "a,b,c\n,,\n1,,\n",
		cols: []string{"a", "b", "c"}, rows: []wantRow{ok(2, "", "", ""), ok(3, "1", "", "")}},
	{name: "header names trimmed and unquoted", in: " a ,\"b \"\"q\"\"\"\n1,2\n",
		cols: []string{"a", `b "q"`}, rows: []wantRow{ok(2, "1", "2")}},
	{name: "duplicate header name", in: "id,name,id\n1,2,3\n", err: ErrHeader, errLine: 1, errCol: 9},
	{name: "duplicate header after blank lines", in: "\n\nid,\"name\",name\n", err: ErrHeader, errLine: 3, errCol: 11},
	{name: "empty header name", in: "id,,name\n", err: ErrHeader, errLine: 1, errCol: 4},
	{name: "empty header name at the end", in: "id,name,\n", err: ErrHeader, errLine: 1, errCol: 9},
	{name: "ragged rows", in: "a,b\n1,2,3\n4\n\"x\ny\",2,3\n5,6\n",
		cols: []string{"a", "b"}, rows: []wantRow{
			rej(2, 0, "", "the row has 3 fields, the header has 2"),
			rej(3, 0, "", "the row has 1 fields, the header has 2"),
			rej(4, 0, "", "the row has 3 fields, the header has 2"),
			ok(6, "5", "6")}},
	{name: "invalid UTF-8", in: "a,b\n1,x\xffy\n2,ok\n",
		cols: []string{"a", "b"}, rows: []wantRow{rej(2, 4, "b", "invalid UTF-8 (byte 0xff)"), ok(3, "2", "ok")}},
	{name: "invalid UTF-8 on a later line of a quoted field", in: "a,b\n1,\"p\nqq\xc3\"\n",
		cols: []string{"a", "b"}, rows: []wantRow{{Line: 2, Err: &record.Error{Line: 3, Col: 3, Column: "b", Reason: "invalid UTF-8 (byte 0xc3)"}}}},
	{name: "invalid UTF-8 in the first column", in: "a,b\n\xe9t\xe9,1\n",
		cols: []string{"a", "b"}, rows: []wantRow{rej(2, 1, "a", "invalid UTF-8 (byte 0xe9)")}},
	{name: "invalid UTF-8 in the header", in: "a,n\xe9\n", err: ErrHeader, errLine: 1, errCol: 4},
	{name: "line over 64 KiB", in: "a,b\n1," + long70k + "\n2,\"" + long70k + "\"\n",
		cols: []string{"a", "b"}, rows: []wantRow{ok(2, "1", long70k), ok(3, "2", long70k)}},
	{name: "record over the 1 MiB buffer", in: "a,b\n1,\"" + long1500k + "\n\"\n2,3\n",
		cols: []string{"a", "b"}, rows: []wantRow{ok(2, "1", long1500k+"\n"), ok(4, "2", "3")}},
	{name: "record at the limit", in: "a,b\n1," + strings.Repeat("x", 98) + "\n2,3\n", opts: Options{MaxRecordBytes: 100},
		cols: []string{"a", "b"}, rows: []wantRow{ok(2, "1", strings.Repeat("x", 98)), ok(3, "2", "3")}},
	{name: "record over the limit", in: "a,b\n1,2\n\n3," + strings.Repeat("x", 99) + "\n2,3\n", opts: Options{MaxRecordBytes: 100},
		cols: []string{"a", "b"}, rows: []wantRow{ok(2, "1", "2")}, err: ErrRecordLimit, errLine: 4},
	{name: "record over the limit in a quoted field", in: "a,b\n1,\"x\n" + strings.Repeat("x\n", 60) + "\"\n", opts: Options{MaxRecordBytes: 100},
		cols: []string{"a", "b"}, err: ErrRecordLimit, errLine: 2, errCol: 3},
	{name: "quote never closed", in: "a,b\n1,2\n3,\"abc\n4,5\n6,7\n",
		cols: []string{"a", "b"}, rows: []wantRow{ok(2, "1", "2")}, err: ErrQuote, errLine: 3, errCol: 3},
	{name: "quote never closed in the header", in: "a,\"b\n1,2\n", err: ErrQuote, errLine: 1, errCol: 3},
	{name: "text after a closing quote", in: "a,b,c\n\"x\"y,2,3\n4,\"q\"\"\"  ,6\n7,8,9\n",
		cols: []string{"a", "b", "c"}, rows: []wantRow{
			rej(2, 4, "a", `unexpected 'y' after the closing quote`),
			rej(3, 8, "b", `unexpected ' ' after the closing quote`),
			ok(4, "7", "8", "9")}},
	{name: "text after a closing quote on a later line", in: "a,b\n1,\"x\ny\"z\n7,8\n",
		cols: []string{"a", "b"}, rows: []wantRow{
			{Line: 2, Err: &record.Error{Line: 3, Col: 3, Column: "b", Reason: `unexpected 'z' after the closing quote`}},
			ok(4, "7", "8")}},
	{name: "quote inside an unquoted field", in: "size,b\n5\" screen,x\"\"y\n",
		cols: []string{"size", "b"}, rows: []wantRow{ok(2, `5" screen`, `x""y`)}},
	{name: "only a header", in: "a,b\n", cols: []string{"a", "b"}},
	{name: "only a header, no newline", in: "a;b", cols: []string{"a", "b"}},
	{name: "empty file", in: "", err: ErrHeader, errLine: 1},
	{name: "only a BOM", in: "\xef\xbb\xbf", err: ErrHeader, errLine: 1},
	{name: "only blank lines", in: "\n\r\n\r", err: ErrHeader, errLine: 4},
	{name: "too many columns", in: "a,b,c,d\n", opts: Options{MaxColumns: 3}, err: ErrHeader, errLine: 1, errCol: 1},
	{name: "many columns in a row", in: "a,b\n" + strings.Repeat(",", 5000) + "\n1,2\n", opts: Options{MaxColumns: 3},
		cols: []string{"a", "b"}, rows: []wantRow{rej(2, 0, "", "the row has 5001 fields, the header has 2"), ok(3, "1", "2")}},
}

func TestCSV(t *testing.T) {
	for _, tc := range csvCases {
		t.Run(tc.name, func(t *testing.T) {
			cols, rows, err := readMem(CSV, []byte(tc.in), tc.opts, 0, 0, 1000)
			if tc.err != nil {
				if err == nil {
					t.Fatalf("no error, want %v", tc.err)
				}
				wantFileErr(t, err, tc.err, "mem.csv", tc.errLine, tc.errCol)
			} else if err != nil {
				t.Fatalf("error %v", err)
			}
			if !reflect.DeepEqual(cols, tc.cols) {
				t.Errorf("columns %q, want %q", cols, tc.cols)
			}
			checkRows(t, rows, tc.rows)
			for _, g := range rows {
				if g.Err == nil && !reflect.DeepEqual(g.Names, tc.cols) {
					t.Errorf("row %d has names %q, want %q", g.Num, g.Names, tc.cols)
				}
			}
		})
	}
}

// TestCSVSplitBatches reads every case with buffers and reads of a few
// bytes and batches of one or two rows: every boundary falls everywhere,
// and the result must be the same as one read into one batch.
func TestCSVSplitBatches(t *testing.T) {
	for _, tc := range csvCases {
		t.Run(tc.name, func(t *testing.T) {
			bufs, chunks := []int{1, 2, 3, 5, 8, 13, 64}, []int{0, 1, 3}
			if len(tc.in) > 10000 {
				bufs, chunks = []int{1, 777, 64 << 10}, []int{0, 4093}
			}
			if d := splitReads(CSV, []byte(tc.in), tc.opts, bufs, chunks, []int{1, 2, 1000}); d != "" {
				t.Error(d)
			}
		})
	}
}

func TestCSVSplitEveryOffset(t *testing.T) {
	// One input with every awkward feature, read with the first fill
	// ending at every offset.
	in := "\xef\xbb\xbfid;name;note\r\n\r\n1;\"a;b\";\"x\r\ny\"\r\n2;5\" tv;\"\"\"q\"\"\"\r3;\"bad\"x;z\n\n4;é;\"\"\n5;6\n7;8;9"
	cols, rows, err := readMem(CSV, []byte(in), Options{}, 0, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"id", "name", "note"}; !reflect.DeepEqual(cols, want) {
		t.Fatalf("columns %q", cols)
	}
	checkRows(t, rows, []wantRow{
		ok(3, "1", "a;b", "x\r\ny"),
		ok(5, "2", `5" tv`, `"q"`),
		rej(6, 8, "name", "after the closing quote"),
		ok(8, "4", "é", ""),
		rej(9, 0, "", "the row has 2 fields"),
		ok(10, "7", "8", "9"),
	})
	for first := 1; first <= len(in); first++ {
		src := memSource("mem.csv", CSV, []byte(in), 0)
		src.counter.r = &twoPartReader{data: []byte(in), first: first}
		r, err := newCSVReaderSize(src, Options{}.withDefaults(), 1<<20)
		if err != nil {
			t.Fatalf("first read %d: %v", first, err)
		}
		got, err := drain(r, 2)
		if d := sameRead(cols, rows, nil, r.Columns(), got, err); d != "" {
			t.Fatalf("first read of %d bytes: %s", first, d)
		}
	}
}

// twoPartReader returns data in two reads, the first of first bytes.
type twoPartReader struct {
	data  []byte
	first int
	n     int
}

func (r *twoPartReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	k := len(r.data)
	if r.n == 0 {
		k = min(k, r.first)
	}
	k = copy(p[:min(k, len(p))], r.data)
	r.data = r.data[k:]
	r.n++
	return k, nil
}

// TestCSVEncodings reads files through Open: transcoding from a named
// encoding, UTF-16 recognised by its byte-order mark.
func TestCSVEncodings(t *testing.T) {
	utf16le := func(s string) []byte {
		out := []byte{0xff, 0xfe}
		for _, r := range s {
			if r > 0xffff {
				r -= 0x10000
				hi, lo := 0xd800+(r>>10), 0xdc00+(r&0x3ff)
				out = append(out, byte(hi), byte(hi>>8), byte(lo), byte(lo>>8))
				continue
			}
			out = append(out, byte(r), byte(r>>8))
		}
		return out
	}
	utf16be := func(s string) []byte {
		le := utf16le(s)
		for i := 0; i+1 < len(le); i += 2 {
			le[i], le[i+1] = le[i+1], le[i]
		}
		return le
	}
	cases := []struct {
		name, file string
		data       []byte
		enc        string
		cols       []string
		rows       []wantRow
	}{
		{"latin1", "l.csv", []byte("name,city\nCaf\xe9,M\xfcnchen\n"), "latin1",
			[]string{"name", "city"}, []wantRow{ok(2, "Café", "München")}},
		{"windows-1252", "w.csv", []byte("name;price\n\x93Quote\x94;\x80 5\n"), "windows-1252",
			[]string{"name", "price"}, []wantRow{ok(2, "\u201cQuote\u201d", "€ 5")}},
		{"iso-8859-15", "i.csv", []byte("a\n\xa4\n"), "ISO-8859-15",
			[]string{"a"}, []wantRow{ok(2, "€")}},
		{"latin1 header", "h.csv", []byte("r\xe9gion,n\n\xeele,1\n"), "latin1",
			[]string{"région", "n"}, []wantRow{ok(2, "île", "1")}},
		{"UTF-16LE with BOM", "u.csv", utf16le("id,name\r\n1,\"Zoë\r\n😀\"\r\n"), "",
			[]string{"id", "name"}, []wantRow{ok(2, "1", "Zoë\r\n😀")}},
		{"UTF-16BE with BOM", "b.csv", utf16be("id\tname\n1\tÅsa\n"), "",
			[]string{"id", "name"}, []wantRow{ok(2, "1", "Åsa")}},
		{"UTF-16 BOM wins over a named encoding", "x.csv", utf16le("a,b\n1,ü\n"), "latin1",
			[]string{"a", "b"}, []wantRow{ok(2, "1", "ü")}},
		{"utf-8 named", "n.csv", []byte("a,b\n1,ü\n"), "UTF-8",
			[]string{"a", "b"}, []wantRow{ok(2, "1", "ü")}},
		{"latin1 not named: rejected", "r.csv", []byte("a,b\n1,\xfc\n2,3\n"), "",
			[]string{"a", "b"}, []wantRow{rej(2, 3, "b", "invalid UTF-8 (byte 0xfc)"), ok(3, "2", "3")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, tc.file, tc.data)
			cols, rows, err := readFile(p, Options{Encoding: tc.enc}, 100)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cols, tc.cols) {
				t.Errorf("columns %q, want %q", cols, tc.cols)
			}
			checkRows(t, rows, tc.rows)
		})
	}
	t.Run("unknown encoding", func(t *testing.T) {
		p := writeFile(t, "a.csv", []byte("a\n1\n"))
		_, _, err := readFile(p, Options{Encoding: "klingon"}, 100)
		var fe *FileError
		if !errors.As(err, &fe) || fe.File != p || !strings.Contains(err.Error(), "klingon") {
			t.Fatalf("error %v", err)
		}
	})
}

// TestCSVRawAndPositions checks Raw, Num and Line on a larger input and
// that every good row's Raw re-parses to the same values.
func TestCSVRawAndPositions(t *testing.T) {
	var in bytes.Buffer
	in.WriteString("id,text\n")
	line := int64(2)
	var want []wantRow
	for i := 0; i < 3000; i++ {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&in, "%d,plain %d\n", i, i)
			want = append(want, ok(line, fmt.Sprint(i), fmt.Sprintf("plain %d", i)))
			line++
		case 1:
			fmt.Fprintf(&in, "%d,\"two\r\nlines \"\"%d\"\"\"\r\n", i, i)
			want = append(want, ok(line, fmt.Sprint(i), fmt.Sprintf("two\r\nlines \"%d\"", i)))
			line += 2
		case 2:
			fmt.Fprintf(&in, "\n%d,\"\"\n", i)
			want = append(want, ok(line+1, fmt.Sprint(i), ""))
			line += 2
		case 3:
			fmt.Fprintf(&in, "%d,x,extra\n", i)
			want = append(want, rej(line, 0, "", "3 fields"))
			line++
		}
	}
	for _, bufSize := range []int{0, 100, 4096} {
		_, rows, err := readMem(CSV, in.Bytes(), Options{}, bufSize, 0, 256)
		if err != nil {
			t.Fatal(err)
		}
		checkRows(t, rows, want)
		for _, g := range rows {
			if g.Err != nil {
				continue
			}
			_, again, err := readMem(CSV, []byte("id,text\n"+g.Raw+"\n"), Options{}, 0, 0, 10)
			if err != nil || len(again) != 1 || !reflect.DeepEqual(again[0].Values, g.Values) {
				t.Fatalf("row %d: raw %q reads back as %v, %v", g.Num, g.Raw, again, err)
			}
		}
	}
}

func TestCSVComma(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want byte
	}{
		{"a,b", ','}, {"a;b", ';'}, {"a\tb", '\t'}, {"a|b", '|'}, {"a", ','},
		{"a;b;c,d", ';'}, {"\"a,b,c\";d", ';'}, {"\n\na|b", '|'},
	} {
		src := memSource("m.csv", CSV, []byte(tc.in), 0)
		r, err := newCSVReader(src, Options{}.withDefaults())
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if r.Comma() != tc.want {
			t.Errorf("%q: delimiter %q, want %q", tc.in, r.Comma(), tc.want)
		}
	}
	for _, c := range []byte{'"', '\n', '\r'} {
		src := memSource("m.csv", CSV, []byte("a,b\n"), 0)
		if _, err := newCSVReader(src, Options{Comma: c}.withDefaults()); err == nil {
			t.Errorf("delimiter %q accepted", c)
		}
	}
}
