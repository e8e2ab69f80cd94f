package csv

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/groupimport/groupimport/importer/internal/readertest"
	"github.com/groupimport/groupimport/record"
)

type csvCase struct {
	name    string
	in      string
	opts    Options
	cols    []string
	rows    []wantRow
	err     error // the *FileError's cause (errors.Is), nil for a clean read
	errLine int64
	errCol  int
	errMsg  string // the error's whole text, when set
}

// tenRows are rows c1..c10 of an id,name,city file, on lines 2 to 11.
var tenRows, tenRowsWant = func() (string, []wantRow) {
	var s strings.Builder
	var w []wantRow
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&s, "c%d,N%d,X\n", i, i)
		w = append(w, ok(int64(i+1), fmt.Sprintf("c%d", i), fmt.Sprintf("N%d", i), "X"))
	}
	return s.String(), w
}()

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
	{name: "empty header name at the end", in: "id,name,\n", cols: []string{"id", "name"}},
	{name: "empty header name in the middle, empty ones at the end", in: "\n\nid, ,name,,\n", err: ErrHeader, errLine: 3, errCol: 4,
		errMsg: "line 3, column 4: bad header: column 2 has no name"},
	{name: "unnamed columns at the end", in: "a,b,c,,,\r\n1,2,3,,,\r\n4,5,6\r\n7,8,9,,\r\n10,11,12,,x,\r\n13,14,15,,,,\r\n16,17\r\n\"\",\"\",\"\",\"\",\"\",\"\"\r\n",
		cols: []string{"a", "b", "c"}, rows: []wantRow{
			ok(2, "1", "2", "3"), ok(3, "4", "5", "6"), ok(4, "7", "8", "9"),
			{Line: 5, Err: &record.Error{Code: record.CodeUnnamedColumn, Col: 11,
				Reason: "a value in column 5, which has no name in the header (the header's unnamed columns at the end are dropped): name the column, or remove the value"}},
			{Line: 6, Err: &record.Error{Code: record.CodeFieldCount, Reason: "the row has 7 fields, the header has 3 named columns and 3 unnamed ones at the end"}},
			{Line: 7, Err: &record.Error{Code: record.CodeFieldCount, Reason: "the row has 2 fields, the header has 3 named columns and 3 unnamed ones at the end"}},
			ok(8, "", "", "")}},
	{name: "only unnamed columns", in: ",,\n1,2,3\n", err: ErrHeader, errLine: 1, errCol: 1,
		errMsg: "line 1, column 1: bad header: column 1 has no name"},
	{name: "pandas index", in: ",company_id,name\n0,c1,Acme\n", err: ErrHeader, errLine: 1, errCol: 1,
		errMsg: "line 1, column 1: bad header: column 1 has no name, as pandas writes its index (DataFrame.to_csv without index=False): name it in the header, or write the file without the index"},
	{name: "ragged rows", in: "a,b\n1,2,3\n4\n\"x\ny\",2,3\n5,6\n",
		cols: []string{"a", "b"}, rows: []wantRow{
			rej(2, 0, "", "the row has 3 fields, the header has 2"),
			rej(3, 0, "", "the row has 1 fields, the header has 2"),
			rej(4, 0, "", "the row has 3 fields, the header has 2"),
			ok(6, "5", "6")}},
	{name: "invalid UTF-8", in: "a,b\n1,x\xffy\n2,ok\n",
		cols: []string{"a", "b"}, rows: []wantRow{rej(2, 4, "b", "invalid UTF-8 (byte 0xff)"), ok(3, "2", "ok")}},
	{name: "invalid UTF-8 on a later line of a quoted field", in: "a,b\n1,\"p\nqq\xc3\"\n",
		cols: []string{"a", "b"}, rows: []wantRow{{Line: 2, Err: &record.Error{Column: "b",
			Reason: "invalid UTF-8 (byte 0xc3) on line 3 (column 3) of the record; if the file is not UTF-8, name its encoding with --encoding"}}}},
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
		cols: []string{"a", "b"}, err: ErrRecordLimit, errLine: 2, errCol: 3,
		errMsg: "line 2, column 3: record longer than the limit: the quoted field that opens here (column 3) is still open after 100 bytes " +
			"(noticed on line 50; quoted field never closed, or a stray quote?); raise --max-record-bytes if the file is right"},
	{name: "quote never closed", in: "a,b\n1,2\n3,\"abc\n4,5\n6,7\n",
		cols: []string{"a", "b"}, rows: []wantRow{ok(2, "1", "2")}, err: ErrQuote, errLine: 3, errCol: 3,
		errMsg: "line 3, column 3: quoted field never closed: the quoted field that opens here (column 3) never closes (noticed at the end of the file, line 5)"},
	{name: "quote never closed, noticed lines later", in: "id,name,city\n" + tenRows + "c11,\"Broken,X\nc12,N12,X\nc13,N13,X\nc14,N14,X\nc15,N15,X\nc16,N16,X\n",
		cols: []string{"id", "name", "city"}, rows: tenRowsWant, err: ErrQuote, errLine: 12, errCol: 5,
		errMsg: "line 12, column 5: quoted field never closed: the quoted field that opens here (column 5) never closes (noticed at the end of the file, line 17)"},
	{name: "quote never closed on a later line of its record", in: "a,b,c\n1,\"x\ny\",\"open\n2\r\n\r\n",
		cols: []string{"a", "b", "c"}, err: ErrQuote, errLine: 2,
		errMsg: "line 2: quoted field never closed: the quoted field that opens on line 3 (column 4) never closes (noticed at the end of the file, line 4)"},
	{name: "quote never closed in the header", in: "a,\"b\n1,2\n", err: ErrQuote, errLine: 1, errCol: 3,
		errMsg: "line 1, column 3: quoted field never closed: the quoted field that opens here (column 3) never closes (noticed at the end of the file, line 2)"},
	{name: "stray quote closed lines later", in: "a,b\n1,\"stray\n2,3\n4,\"5\n6,7\n",
		cols: []string{"a", "b"}, rows: []wantRow{
			{Line: 2, Err: &record.Error{Col: 3, Column: "b", Code: record.CodeTextAfterQuote,
				Reason: `unexpected '5' after the closing quote of the quoted field that opens here (column 3) (noticed on line 4, column 4): ` +
					"a quote inside a quoted field must be doubled, and a stray quote makes the lines up to the next quote one field"}},
			ok(5, "6", "7")}},
	{name: "stray quote makes a record of several lines", in: "a,b\n1,\"x\ny\",z\n5,6\n",
		cols: []string{"a", "b"}, rows: []wantRow{
			rej(2, 0, "", "the row has 3 fields, the header has 2 (the record spans lines 2 to 3: a quoted field holds line ends; "+
				"a stray quote makes the lines up to the next quote one field)"),
			ok(4, "5", "6")}},
	{name: "text after a closing quote", in: "a,b,c\n\"x\"y,2,3\n4,\"q\"\"\"  ,6\n7,8,9\n",
		cols: []string{"a", "b", "c"}, rows: []wantRow{
			rej(2, 4, "a", `unexpected 'y' after the closing quote`),
			rej(3, 8, "b", `unexpected ' ' after the closing quote`),
			ok(4, "7", "8", "9")}},
	{name: "text after a closing quote on a later line", in: "a,b\n1,\"x\ny\"z\n7,8\n",
		cols: []string{"a", "b"}, rows: []wantRow{
			{Line: 2, Err: &record.Error{Col: 3, Column: "b",
				Reason: `unexpected 'z' after the closing quote of the quoted field that opens here (column 3) (noticed on line 3, column 3)`}},
			ok(4, "7", "8")}},
	{name: "text after a quoted field that opens on a later line", in: "a,b,c\n1,\"x\ny\",\"q\nr\"s\n7,8,9\n",
		cols: []string{"a", "b", "c"}, rows: []wantRow{
			{Line: 2, Err: &record.Error{Column: "c",
				Reason: `unexpected 's' after the closing quote of the quoted field that opens on line 3 (column 4) (noticed on line 4, column 3)`}},
			ok(5, "7", "8", "9")}},
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
			cols, rows, err := readMem([]byte(tc.in), tc.opts, 0, 0, 1000)
			if tc.err != nil {
				if err == nil {
					t.Fatalf("no error, want %v", tc.err)
				}
				wantParseErr(t, err, tc.err, tc.errLine, tc.errCol)
				if tc.errMsg != "" && err.Error() != tc.errMsg {
					t.Errorf("error text\n%s\nwant\n%s", err, tc.errMsg)
				}
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
			if d := splitReads([]byte(tc.in), tc.opts, bufs, chunks, []int{1, 2, 1000}); d != "" {
				t.Error(d)
			}
		})
	}
}

func TestCSVSplitEveryOffset(t *testing.T) {
	// One input with every awkward feature, read with the first fill
	// ending at every offset.
	in := "\xef\xbb\xbfid;name;note\r\n\r\n1;\"a;b\";\"x\r\ny\"\r\n2;5\" tv;\"\"\"q\"\"\"\r3;\"bad\"x;z\n\n4;é;\"\"\n5;6\n7;8;9"
	cols, rows, err := readMem([]byte(in), Options{}, 0, 0, 1000)
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
		r, err := newReaderSize(&twoPartReader{data: []byte(in), first: first}, Options{}, 1<<20)
		if err != nil {
			t.Fatalf("first read %d: %v", first, err)
		}
		got, err := readertest.Drain(r, 2, readertest.Contract{Lines: true, FileErr: isParseErr})
		if d := readertest.SameRead(cols, rows, nil, r.Columns(), got, err); d != "" {
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
		_, rows, err := readMem(in.Bytes(), Options{}, bufSize, 0, 256)
		if err != nil {
			t.Fatal(err)
		}
		checkRows(t, rows, want)
		for _, g := range rows {
			if g.Err != nil {
				continue
			}
			_, again, err := readMem([]byte("id,text\n"+g.Raw+"\n"), Options{}, 0, 0, 10)
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
		r, err := NewReader(strings.NewReader(tc.in), Options{})
		if err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if r.Comma() != tc.want {
			t.Errorf("%q: delimiter %q, want %q", tc.in, r.Comma(), tc.want)
		}
	}
	for _, c := range []byte{'"', '\n', '\r'} {
		if _, err := NewReader(strings.NewReader("a,b\n"), Options{Comma: c}); err == nil {
			t.Errorf("delimiter %q accepted", c)
		}
	}
}

// Excel's empty columns at the end of a header are dropped with one
// warning; the names before them are the columns.
func TestCSVUnnamedColumnsWarning(t *testing.T) {
	for _, tc := range []struct{ in, warning string }{
		{"a,b,c,,,\n1,2,3,,,\n", "the header's last 3 columns (4 to 6) have no name, as Excel writes them: they are dropped, " +
			"and a row with a value in them is rejected (unnamed_column)"},
		{"a;b;\"\"\n1;2;\n", "the header's last column (3) has no name, as Excel writes it: it is dropped, and a row with a value in it is rejected (unnamed_column)"},
	} {
		r, err := NewReader(strings.NewReader(tc.in), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := readertest.Drain(r, 10, readertest.Contract{Lines: true, FileErr: isParseErr}); err != nil {
			t.Fatal(err)
		}
		if got, want := r.Warnings(), map[string]int64{tc.warning: 1}; !reflect.DeepEqual(got, want) {
			t.Errorf("%q: warnings %v, want %v", tc.in, got, want)
		}
	}
	r, err := NewReader(strings.NewReader("a,b\n1,2\n"), Options{})
	if err != nil || len(r.Warnings()) != 0 {
		t.Errorf("a header without unnamed columns: warnings %v, %v", r.Warnings(), err)
	}
}
