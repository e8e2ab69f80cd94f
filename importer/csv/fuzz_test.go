package csv

// Fuzz targets of the CSV reader. Each checks on every input: no panic, no
// hang, every row has Values (one per Schema name) or an Err with a Code,
// every string valid UTF-8, rows numbered 1, 2, 3… on increasing lines
// (see readertest.Drain), every error a *ParseError, and the same result
// however the input is split into reads, buffers and batches. Seed corpora
// are in testdata/fuzz/<FuzzName>/; GROUPIMPORT_WRITE_SEEDS=1 go test -run
// TestWriteFuzzSeeds rewrites them from the table tests. bench/fuzz.sh runs
// every target for a while.

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/groupimport/groupimport/importer/internal/readertest"
)

// fuzzOptions derives reader options from a fuzzed byte.
func fuzzOptions(opt byte) Options {
	var o Options
	o.Comma = []byte{0, 0, 0, ',', ';', '\t', '|', 0}[opt&7]
	if opt&8 != 0 {
		o.MaxRecordBytes = 64
	}
	if opt&16 != 0 {
		o.MaxColumns = 3
	}
	return o
}

func FuzzCSV(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, opt byte) {
		opts := fuzzOptions(opt)
		cols, rows, err := readMem(data, opts, 0, 0, 1000)
		readertest.FailOnContract(t, err)
		if err != nil && !isParseErr(err) {
			t.Fatalf("error %v is a %T, not a *ParseError", err, err)
		}
		if cols == nil && len(rows) > 0 {
			t.Fatal("rows without a header")
		}
		for _, g := range rows {
			if g.Err == nil && strings.Join(g.Names, "\x00") != strings.Join(cols, "\x00") {
				t.Fatalf("row %d has names %q, the header %q", g.Num, g.Names, cols)
			}
			if g.Err != nil && g.Err.Reason == "" {
				t.Fatalf("row %d rejected without a reason", g.Num)
			}
			if g.Raw == "" {
				t.Fatalf("row %d without its raw text", g.Num)
			}
		}
		for _, name := range cols {
			if name == "" || !utf8.ValidString(name) {
				t.Fatalf("column name %q", name)
			}
		}
		// The same, read a few bytes at a time into small batches.
		bs, ch, mx := 1+int(opt>>5), 1+int(opt>>6), 1+int(opt>>7)
		c2, r2, e2 := readMem(data, opts, bs, ch, mx)
		if d := readertest.SameRead(cols, rows, err, c2, r2, e2); d != "" {
			t.Fatalf("buffer %d, reads of %d, batches of %d: %s", bs, ch, mx, d)
		}
	})
}

// FuzzCSVRoundTrip writes a table made of the fuzzed cells as CSV (any
// delimiter, line end and quoting) and reads it back: every value must
// come back byte for byte, on the line it was written.
func FuzzCSVRoundTrip(f *testing.F) {
	f.Fuzz(func(t *testing.T, cells []byte, shape byte) {
		ncol := 1 + int(shape%5)
		eol := []string{"\n", "\r\n", "\r"}[int(shape/5)%3]
		quoteAll := shape&0x20 != 0
		comma := []byte{',', ';', '\t', '|'}[shape>>6]
		var table [][]string
		parts := strings.Split(strings.ToValidUTF8(string(cells), "\ufffd"), "\x00")
		for i := 0; i < len(parts); i += ncol {
			row := make([]string, ncol)
			copy(row, parts[i:])
			table = append(table, row)
		}
		var b strings.Builder
		header := make([]string, ncol)
		for k := range header {
			header[k] = "c" + strconv.Itoa(k)
		}
		writeRow := func(row []string) {
			for k, v := range row {
				if k > 0 {
					b.WriteByte(comma)
				}
				if quoteAll || v == "" && ncol == 1 || strings.ContainsAny(v, "\"\r\n"+string(comma)) {
					b.WriteString(`"` + strings.ReplaceAll(v, `"`, `""`) + `"`)
				} else {
					b.WriteString(v)
				}
			}
			b.WriteString(eol)
		}
		writeRow(header)
		lines := []int64{}
		line := int64(2)
		for _, row := range table {
			start := b.Len()
			writeRow(row)
			lines = append(lines, line)
			rec := b.String()[start:]
			for i := 0; i < len(rec); i++ {
				if rec[i] == '\n' || rec[i] == '\r' && (i+1 == len(rec) || rec[i+1] != '\n') {
					line++
				}
			}
		}
		in := []byte(b.String())
		cols, rows, err := readMem(in, Options{Comma: comma}, 0, 0, 1000)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if strings.Join(cols, ",") != strings.Join(header, ",") {
			t.Fatalf("header %q", cols)
		}
		if len(rows) != len(table) {
			t.Fatalf("%q: %d rows, wrote %d", in, len(rows), len(table))
		}
		for i, g := range rows {
			if g.Err != nil {
				t.Fatalf("%q: row %d rejected: %v", in, i+1, g.Err)
			}
			if strings.Join(g.Values, "\x00") != strings.Join(table[i], "\x00") || len(g.Values) != ncol {
				t.Fatalf("%q: row %d is %q, wrote %q", in, i+1, g.Values, table[i])
			}
			if g.Line != lines[i] {
				t.Fatalf("%q: row %d on line %d, wrote on line %d", in, i+1, g.Line, lines[i])
			}
		}
		// Split anywhere.
		bs := 1 + int(shape>>3)
		c2, r2, e2 := readMem(in, Options{Comma: comma}, bs, 1+int(shape&3), 1+int(shape>>6))
		if d := readertest.SameRead(cols, rows, nil, c2, r2, e2); d != "" {
			t.Fatalf("buffer %d: %s", bs, d)
		}
	})
}

// TestWriteFuzzSeeds writes the seed corpora from the table tests when
// GROUPIMPORT_WRITE_SEEDS is set.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("GROUPIMPORT_WRITE_SEEDS") == "" {
		t.Skip("set GROUPIMPORT_WRITE_SEEDS=1 to rewrite testdata/fuzz seeds")
	}
	opt := func(o Options) byte {
		var b byte
		switch o.Comma {
		case ',':
			b = 3
		case ';':
			b = 4
		case '\t':
			b = 5
		case '|':
			b = 6
		}
		if o.MaxRecordBytes > 0 {
			b |= 8
		}
		if o.MaxColumns > 0 {
			b |= 16
		}
		return b
	}
	for _, tc := range csvCases {
		if len(tc.in) <= 8<<10 {
			readertest.WriteSeed(t, "FuzzCSV", tc.name, []byte(tc.in), opt(tc.opts))
		}
	}
	readertest.WriteSeed(t, "FuzzCSV", "split-every-offset", []byte("\xef\xbb\xbfid;name;note\r\n\r\n1;\"a;b\";\"x\r\ny\"\r\n2;5\" tv;\"\"\"q\"\"\"\r3;\"bad\"x;z\n\n4;é;\"\"\n5;6\n7;8;9"), byte(0xe0))
	readertest.WriteSeed(t, "FuzzCSVRoundTrip", "plain", []byte("1\x00Ann\x002\x00B"), byte(1))
	readertest.WriteSeed(t, "FuzzCSVRoundTrip", "awkward", []byte("a,b\x00\"q\"\x00x\r\ny\x00\x00\r\x00é😀\x00 lead\x00\"\x00\n"), byte(0x27))
	readertest.WriteSeed(t, "FuzzCSVRoundTrip", "one-column-empties", []byte("\x00\x00x\x00"), byte(0xe0))
	readertest.WriteSeed(t, "FuzzCSVRoundTrip", "cr-only", []byte("a\rb\x00c\x00\rd\r"), byte(0x4b))
}
