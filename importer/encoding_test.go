package importer

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/groupimport/groupimport/importer/internal/readertest"
)

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
		{"latin1 read as UTF-8 named: rejected", "r.csv", []byte("a,b\n1,\xfc\n2,3\n"), "utf-8",
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

// latin1CSV is a windows-1252 (latin-1) export: é, ü, ß and € as single
// bytes.
const latin1CSV = "id,name,city\nc1,Acme,Paris\nc2,Caf\xe9 M\xfcller,M\xfcnchen\nc3,Stra\xdfe GmbH,Wien\nc4,Euro \x80 Ltd,Bruxelles\n"

// utf16NoBOM encodes s as UTF-16 (little- or big-endian), without a
// byte-order mark.
func utf16NoBOM(s string, big bool) []byte {
	var out []byte
	for _, r := range s {
		if big {
			out = append(out, byte(r>>8), byte(r))
		} else {
			out = append(out, byte(r), byte(r>>8))
		}
	}
	return out
}

const alsoUTF8 = "; if instead the file is UTF-8 with a few damaged values, --encoding utf-8 rejects only the rows that hold such bytes"

// A file read as UTF-8 (no --encoding) that is not is a file error at its
// first bytes that are not UTF-8, naming the offset, line and column, what
// the file looks like and the --encoding to give; nothing before the first
// buffer's worth of text is delivered. UTF-16 without a byte-order mark is
// recognised by its NUL bytes. With the encoding named, the same files read
// right.
func TestNotUTF8IsAFileError(t *testing.T) {
	var gzLatin1 bytes.Buffer
	zw := gzip.NewWriter(&gzLatin1)
	zw.Write([]byte(latin1CSV))
	zw.Close()
	cases := []struct {
		name, file string
		data       []byte
		line       int64
		col        int
		msg        string // after "path: line L[, column C]: "
		enc        string // the encoding that reads it
		rows       []wantRow
	}{
		{"latin-1 CSV", "latin1.csv", []byte(latin1CSV), 3, 7,
			`the file is not UTF-8: byte 0xe9 at byte offset 33 is not valid UTF-8; it looks like windows-1252 (latin-1, Western European), ` +
				`in which this line reads "c2,Café Müller,München": run again with --encoding windows-1252` + alsoUTF8,
			"windows-1252", []wantRow{ok(2, "c1", "Acme", "Paris"), ok(3, "c2", "Café Müller", "München"), ok(4, "c3", "Straße GmbH", "Wien"),
				ok(5, "c4", "Euro € Ltd", "Bruxelles")}},
		{"latin-1 CSV, gzip", "latin1.csv.gz", gzLatin1.Bytes(), 3, 7,
			`the file is not UTF-8: byte 0xe9 at byte offset 33 of its decompressed text is not valid UTF-8; it looks like windows-1252 (latin-1, Western European), ` +
				`in which this line reads "c2,Café Müller,München": run again with --encoding windows-1252` + alsoUTF8,
			"latin1", []wantRow{ok(2, "c1", "Acme", "Paris"), ok(3, "c2", "Café Müller", "München"), ok(4, "c3", "Straße GmbH", "Wien"),
				ok(5, "c4", "Euro € Ltd", "Bruxelles")}},
		{"latin-1 NDJSON", "l.ndjson", []byte("{\"id\":\"c1\"}\r\n{\"id\":\"c2\",\"name\":\"Gar\xe7on\"}\r\n"), 2, 23,
			`the file is not UTF-8: byte 0xe7 at byte offset 35 is not valid UTF-8; it looks like windows-1252 (latin-1, Western European), ` +
				`in which this line reads "{\"id\":\"c2\",\"name\":\"Garçon\"}": run again with --encoding windows-1252` + alsoUTF8,
			"windows-1252", nil},
		{"after a byte-order mark, CR line ends", "bom.csv", []byte("\xef\xbb\xbfid,name\r1,\"a\rb\"\r2,\xe9t\xe9\r"), 4, 3,
			`the file is not UTF-8: byte 0xe9 at byte offset 21 is not valid UTF-8; it looks like windows-1252 (latin-1, Western European), ` +
				`in which this line reads "2,été": run again with --encoding windows-1252` + alsoUTF8,
			"windows-1252", []wantRow{ok(2, "1", "a\rb"), ok(4, "2", "été")}},
		{"UTF-16LE without a byte-order mark", "u16le.csv", utf16NoBOM("id,name\nc1,Zoë\n", false), 1, 0,
			"the file is not UTF-8: every other byte is NUL, as in UTF-16LE (little-endian) text without a byte-order mark (the first NUL at byte offset 1): " +
				"run again with --encoding utf-16le",
			"utf-16le", []wantRow{ok(2, "c1", "Zoë")}},
		{"UTF-16BE without a byte-order mark", "u16be.ndjson", utf16NoBOM("{\"id\":\"c1\"}\n", true), 1, 0,
			"the file is not UTF-8: every other byte is NUL, as in UTF-16BE (big-endian) text without a byte-order mark (the first NUL at byte offset 0): " +
				"run again with --encoding utf-16be",
			"utf-16be", nil},
		{"UTF-16LE, a name that does not say", "part-00000", utf16NoBOM("id,name\nc1,Zoë\n", false), 1, 0,
			"the file is not UTF-8: every other byte is NUL, as in UTF-16LE (little-endian) text without a byte-order mark (the first NUL at byte offset 1): " +
				"run again with --encoding utf-16le",
			"utf-16le", []wantRow{ok(2, "c1", "Zoë")}},
		{"Shift-JIS", "sjis.csv", []byte("id,name\n1,\x8a\x94\x8e\xae\x89\xef\x8e\xd0\x83g\x83\x88\x83^\n2,\x82\xd0\x82\xe7\x82\xaa\x82\xc8\x8f\xa4\x8e\x96\n3,\x83\\\x83j\x81[\x8a\x94\x8e\xae\x89\xef\x8e\xd0\n"), 2, 3,
			`the file is not UTF-8: byte 0x8a at byte offset 10 is not valid UTF-8; it looks like Shift-JIS (Japanese), ` +
				`in which this line reads "1,株式会社トヨタ": run again with --encoding shift_jis` + alsoUTF8,
			"shift_jis", []wantRow{ok(2, "1", "株式会社トヨタ"), ok(3, "2", "ひらがな商事"), ok(4, "3", "ソニー株式会社")}},
		{"Cyrillic windows-1251: not told", "ru.csv", []byte("id,name\n1,\xcc\xee\xf1\xea\xe2\xe0\n2,\xcf\xf0\xe8\xe2\xe5\xf2 \xec\xe8\xf0\n"), 2, 3,
			"the file is not UTF-8: byte 0xcc at byte offset 10 is not valid UTF-8; " + whyUnknown + alsoUTF8,
			"windows-1251", []wantRow{ok(2, "1", "Москва"), ok(3, "2", "Привет мир")}},
		{"Polish windows-1250: not told", "pl.csv", []byte("id,name\n1,\xa3\xf3d\x9f z\xb3oty\n"), 2, 3,
			"the file is not UTF-8: byte 0xa3 at byte offset 10 is not valid UTF-8; " + whyUnknown + alsoUTF8,
			"windows-1250", []wantRow{ok(2, "1", "Łódź złoty")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, tc.file, tc.data)
			_, rows, err := readFile(p, Options{}, 100)
			var fe *FileError
			if !errors.As(err, &fe) || !errors.Is(err, ErrNotUTF8) {
				t.Fatalf("error %v, want a FileError wrapping ErrNotUTF8", err)
			}
			at := fmt.Sprintf("%s: line %d", p, tc.line)
			if tc.col > 0 {
				at += fmt.Sprintf(", column %d", tc.col)
			}
			if want := at + ": " + tc.msg; err.Error() != want {
				t.Errorf("error\n%s\nwant\n%s", err, want)
			}
			if fe.Line != tc.line || fe.Col != tc.col || len(rows) != 0 {
				t.Errorf("line %d col %d, %d rows; want line %d col %d and no rows", fe.Line, fe.Col, len(rows), tc.line, tc.col)
			}
			if tc.rows == nil {
				return
			}
			_, rows, err = readFile(p, Options{Encoding: tc.enc}, 100)
			if err != nil {
				t.Fatalf("with --encoding %s: %v", tc.enc, err)
			}
			checkRows(t, rows, tc.rows)
		})
	}
}

// A first bad byte past the first buffers: the rows before it are read,
// then the file error, at the right offset, line and column however the
// text is split into reads.
func TestNotUTF8FarIntoTheFile(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,note\r\n")
	n := 0
	for b.Len() < 3<<20 {
		n++
		fmt.Fprintf(&b, "r%d,\"two\r\nlines\"\r\n", n)
	}
	offset := b.Len() + len("bad,d")
	b.WriteString("bad,d\xe9j\xe0 vu\r\nlast,x\r\n")
	line := int64(2 + 2*n)
	want := fmt.Sprintf("line %d, column 6: the file is not UTF-8: byte 0xe9 at byte offset %d is not valid UTF-8; "+
		`it looks like windows-1252 (latin-1, Western European), in which this line reads "bad,déjà vu": run again with --encoding windows-1252`+alsoUTF8, line, offset)
	for _, chunk := range []int{0, 1, 7, 4093} {
		src, err := NewSource("big.csv", &readertest.ChunkReader{Data: []byte(b.String()), N: chunk}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(src, Options{})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := drain(r, 1000)
		r.Close()
		var fe *FileError
		if !errors.As(err, &fe) || err.Error() != "big.csv: "+want || fe.Line != line || fe.Col != 6 {
			t.Fatalf("reads of %d: error\n%v\nwant\nbig.csv: %s", chunk, err, want)
		}
		if len(rows) == 0 || len(rows) > n || fe.Row != int64(len(rows)) {
			t.Errorf("reads of %d: %d rows read, FileError.Row %d; want some of the %d before the bad byte", chunk, len(rows), fe.Row, n)
		}
		if last := rows[len(rows)-1]; last.Err != nil || last.Values[1] != "two\r\nlines" {
			t.Errorf("last row %v", last)
		}
	}
}

// A file that is UTF-8 (valid multi-byte characters before its first bad
// byte, or more of them than bad bytes after it), or one read with
// --encoding utf-8, rejects the rows with bad bytes and goes on; one
// warning names the file, the first bad byte and what such bytes look
// like, counted once per bad byte.
func TestNotUTF8RowsRejectedWithAWarning(t *testing.T) {
	cases := []struct {
		name, data, enc string
		rows            []wantRow
		warning         string
		count           int64
	}{
		{"UTF-8, then latin-1 rows", "id,name\nc1,Zoë\nc2,Caf\xe9\nc3,ok\nc4,M\xfcller\n", "",
			[]wantRow{ok(2, "c1", "Zoë"), rej(3, 7, "name", "invalid UTF-8 (byte 0xe9)"), ok(4, "c3", "ok"), rej(5, 5, "name", "invalid UTF-8 (byte 0xfc)")},
			"the file is UTF-8 but holds bytes that are not (the first, 0xe9, at byte offset 22: line 3, column 7): the rows that hold them are rejected (invalid_utf8); " +
				"those bytes look like windows-1252 (latin-1, Western European): if part of the file was written in it, convert that part to UTF-8", 2},
		{"a damaged byte, then UTF-8", "id,name\nc1,x\xff\nc2,Zoë\nc3,Åsa\n", "",
			[]wantRow{rej(2, 5, "name", "invalid UTF-8 (byte 0xff)"), ok(3, "c2", "Zoë"), ok(4, "c3", "Åsa")},
			"the file is UTF-8 but holds bytes that are not (the first, 0xff, at byte offset 12: line 2, column 5): the rows that hold them are rejected (invalid_utf8); " +
				"those bytes look like windows-1252 (latin-1, Western European): if part of the file was written in it, convert that part to UTF-8", 1},
		{"UTF-8 with Cyrillic, then windows-1251", "id,name\nc1,Москва\nc2,\xcf\xf0\xe8\xe2\xe5\xf2\n", "",
			[]wantRow{ok(2, "c1", "Москва"), rej(3, 4, "name", "invalid UTF-8 (byte 0xcf)")},
			"the file is UTF-8 but holds bytes that are not (the first, 0xcf, at byte offset 27: line 3, column 4): the rows that hold them are rejected (invalid_utf8)", 6},
		{"latin-1 read with --encoding utf-8", latin1CSV, "utf-8",
			[]wantRow{ok(2, "c1", "Acme", "Paris"), rej(3, 7, "name", "invalid UTF-8 (byte 0xe9)"), rej(4, 8, "name", "invalid UTF-8 (byte 0xdf)"),
				rej(5, 9, "name", "invalid UTF-8 (byte 0x80)")},
			"bytes that are not UTF-8 (the first, 0xe9, at byte offset 33: line 3, column 7) reject the rows that hold them (invalid_utf8), as --encoding utf-8 is named; " +
				"they look like windows-1252 (latin-1, Western European): if the file is in it, give --encoding windows-1252", 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, "f.csv", []byte(tc.data))
			r, _, err := Open(p, Options{Encoding: tc.enc})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			rows, err := drain(r, 100)
			if err != nil {
				t.Fatal(err)
			}
			checkRows(t, rows, tc.rows)
			want := map[string]int64{p + ": " + tc.warning: tc.count}
			if got := r.(Warner).Warnings(); !reflect.DeepEqual(got, want) {
				t.Errorf("warnings\n%v\nwant\n%v", got, want)
			}
		})
	}
}

// The check of UTF-8 passes valid text on byte for byte however it is
// split into reads (a character cut between two reads waits for the
// rest), and has no warning.
func TestUTF8CheckSplitReads(t *testing.T) {
	text := "\xef\xbb\xbfid,name\r\n1,Zoë 😀\r\n2,\"日本\r\n語\"\r\n3,Åsa\n"
	for _, chunk := range []int{1, 2, 3, 5} {
		src, err := NewSource("s.csv", &readertest.ChunkReader{Data: []byte(text), N: chunk}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		r, err := NewReader(src, Options{})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := drain(r, 100)
		if err != nil {
			t.Fatal(err)
		}
		checkRows(t, rows, []wantRow{ok(2, "1", "Zoë 😀"), ok(3, "2", "日本\r\n語"), ok(5, "3", "Åsa")})
		if w := r.(Warner).Warnings(); len(w) != 0 {
			t.Errorf("warnings %v", w)
		}
		r.Close()
	}
}

func TestSuggestEncoding(t *testing.T) {
	for _, tc := range []struct {
		name, sample, enc, why string
	}{
		{"empty", "", "", ""},
		{"ASCII", "id,name\n1,x\n", "", ""},
		{"UTF-8", "id,name\n1,Zoë\n", "", ""},
		{"UTF-8 cut in a character", "id,name\n1,Zo\xc3", "", ""},
		{"UTF-16LE with a byte-order mark", "\xff\xfei\x00d\x00", "", ""},
		{"UTF-16LE", string(utf16NoBOM("id,name\n", false)), "utf-16le", "every other byte is NUL, as in UTF-16LE (little-endian) text without a byte-order mark"},
		{"UTF-16BE", string(utf16NoBOM("id,name\n", true)), "utf-16be", "every other byte is NUL, as in UTF-16BE (big-endian) text without a byte-order mark"},
		{"latin-1", latin1CSV, "windows-1252", whyWestern},
		{"windows-1252 quotes and apostrophes", "\x93Macy\x92s\x94 \x96 caf\xe9", "windows-1252", whyWestern},
		{"Shift-JIS", "1,\x8a\x94\x8e\xae\x89\xef\x8e\xd0\x83g\x83\x88\x83^\n2,\x82\xd0\x82\xe7\x82\xaa\x82\xc8", "shift_jis", whyShiftJIS},
		{"Shift-JIS kanji only: not told", "1,\x8a\x94\x8e\xae\x89\xef\x8e\xd0\x8a\x94\x8e\xae", "", whyUnknown},
		{"Cyrillic", "\xcc\xee\xf1\xea\xe2\xe0", "", whyUnknown},
		{"Polish", "\xa3\xf3d\x9f z\xb3oty", "", whyUnknown},
		{"a byte windows-1252 does not define", "caf\x81", "", whyUnknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			enc, why := SuggestEncoding([]byte(tc.sample))
			if enc != tc.enc || why != tc.why {
				t.Errorf("SuggestEncoding = %q, %q; want %q, %q", enc, why, tc.enc, tc.why)
			}
		})
	}
}

// A UTF-8 file read with a single-byte --encoding would turn "Zoë" into
// "ZoÃ«" without an error: its reader warns, showing both. A file that is
// in the encoding named, or ASCII, has no warning.
func TestNamedEncodingButUTF8(t *testing.T) {
	for _, tc := range []struct {
		name, data, enc, warning, value string
	}{
		{"UTF-8 read as latin1", "id,name\nc1,Zoë\n", "latin1",
			`the file is read as latin1 (--encoding) but looks like UTF-8: "c1,Zoë" reads as "c1,ZoÃ«"; if the file is UTF-8, leave --encoding out`, "ZoÃ«"},
		{"latin-1 read as latin1", "id,name\nc1,Zo\xeb\n", "latin1", "", "Zoë"},
		{"ASCII read as windows-1252", "id,name\nc1,Zoe\n", "windows-1252", "", "Zoe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, "f.csv", []byte(tc.data))
			r, _, err := Open(p, Options{Encoding: tc.enc})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			rows, err := drain(r, 10)
			if err != nil {
				t.Fatal(err)
			}
			checkRows(t, rows, []wantRow{ok(2, "c1", tc.value)})
			want := map[string]int64{}
			if tc.warning != "" {
				want[p+": "+tc.warning] = 1
			}
			if got := r.(Warner).Warnings(); !reflect.DeepEqual(got, want) {
				t.Errorf("warnings\n%v\nwant\n%v", got, want)
			}
		})
	}
}

// The CSV reader trusts the text check's word for the records read while
// no byte was bad (it does not check them again), and checks each record
// again from the first bad byte on: far into a file that is UTF-8 (many
// reads in), a row with a latin-1 byte is still rejected, and the rows
// around it are not.
func TestNotUTF8RowFarIntoAUTF8File(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("id,name\n")
	const n = 20000 // ~300 KB: many of the text check's reads
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "c%d,Zoë\n", i)
	}
	b.WriteString("bad,Caf\xe9\nafter,Åsa\n")
	p := writeFile(t, "f.csv", b.Bytes())
	r, _, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows, err := drain(r, 4096)
	if err != nil {
		t.Fatal(err)
	}
	var want []wantRow
	for i := 0; i < n; i++ {
		want = append(want, ok(int64(i+2), fmt.Sprintf("c%d", i), "Zoë"))
	}
	want = append(want, rej(n+2, 8, "name", "invalid UTF-8 (byte 0xe9)"), ok(n+3, "after", "Åsa"))
	checkRows(t, rows, want)
}
