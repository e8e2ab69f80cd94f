package importer

// Fuzz targets for the readers. Each checks on every input: no panic, no
// hang, every row has Values (one per Schema name) or Err, every string
// valid UTF-8, rows numbered 1, 2, 3… on increasing lines (see drain), every
// error a *FileError naming the file, and the same result however the
// input is split into reads, buffers and batches. Seed corpora are in
// testdata/fuzz/<FuzzName>/; GROUPIMPORT_WRITE_SEEDS=1 go test -run
// TestWriteFuzzSeeds rewrites them from the table tests. bench/fuzz.sh runs
// every target for a while.

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/groupimport/groupimport/internal/jsonx"
	"github.com/groupimport/groupimport/record"
	"github.com/klauspost/compress/zstd"
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
		o.MaxDepth = 3
	}
	return o
}

// failOnContract fails on a broken Reader contract (see drain).
func failOnContract(t *testing.T, err error) {
	t.Helper()
	var ce *contractError
	if errors.As(err, &ce) {
		t.Fatal(err)
	}
}

// checkFileErr checks that err, when set, is a *FileError naming path.
func checkFileErr(t *testing.T, err error, path string) {
	t.Helper()
	if err == nil {
		return
	}
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v is a %T, not a *FileError", err, err)
	}
	if fe.File != path || !strings.Contains(err.Error(), path) {
		t.Fatalf("error %v names %q, not %q", err, fe.File, path)
	}
}

func FuzzCSV(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, opt byte) {
		opts := fuzzOptions(opt)
		cols, rows, err := readMem(CSV, data, opts, 0, 0, 1000)
		failOnContract(t, err)
		checkFileErr(t, err, "mem.csv")
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
		c2, r2, e2 := readMem(CSV, data, opts, bs, ch, mx)
		if d := sameRead(cols, rows, err, c2, r2, e2); d != "" {
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
		cols, rows, err := readMem(CSV, in, Options{Comma: comma}, 0, 0, 1000)
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
		c2, r2, e2 := readMem(CSV, in, Options{Comma: comma}, bs, 1+int(shape&3), 1+int(shape>>6))
		if d := sameRead(cols, rows, nil, c2, r2, e2); d != "" {
			t.Fatalf("buffer %d: %s", bs, d)
		}
	})
}

func FuzzNDJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, opt byte) {
		opts := fuzzOptions(opt)
		opts.Comma = 0
		_, rows, err := readMem(NDJSON, data, opts, 0, 0, 1000)
		failOnContract(t, err)
		checkFileErr(t, err, "mem.ndjson")
		o := opts.withDefaults()
		for _, g := range rows {
			if g.Err != nil {
				if g.Err.Reason == "" {
					t.Fatalf("row %d rejected without a reason", g.Num)
				}
				continue
			}
			for k, v := range g.Values {
				switch g.Kinds[k] {
				case record.Number:
					if !jsonx.IsNumber([]byte(v)) || !json.Valid([]byte(v)) {
						t.Fatalf("row %d: number %q", g.Num, v)
					}
				case record.JSON:
					var c bytes.Buffer
					if !json.Valid([]byte(v)) || json.Compact(&c, []byte(v)) != nil || c.String() != v {
						t.Fatalf("row %d: JSON value %q not valid and compact", g.Num, v)
					}
				case record.Bool:
					if v != "true" && v != "false" {
						t.Fatalf("row %d: boolean %q", g.Num, v)
					}
				case record.Null:
					if v != "" {
						t.Fatalf("row %d: null %q", g.Num, v)
					}
				case record.String:
				default:
					t.Fatalf("row %d: kind %v", g.Num, g.Kinds[k])
				}
			}
		}
		// Each line against encoding/json.
		if err == nil || !errors.Is(err, ErrNotNDJSON) {
			lines := bytes.Split(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), []byte("\n"))
			byLine := map[int64]gotRow{}
			for _, g := range rows {
				byLine[g.Line] = g
			}
			for i, line := range lines {
				line = bytes.TrimSuffix(line, []byte("\r"))
				g, read := byLine[int64(i+1)]
				if jsonx.SkipSpace(line, 0) == len(line) {
					if read {
						t.Fatalf("blank line %d read as a row", i+1)
					}
					continue
				}
				if !read {
					if err == nil {
						t.Fatalf("line %d (%q) not read", i+1, line)
					}
					break // the error stopped the reading before it
				}
				want := expectNDJSONLine(line, o.MaxDepth)
				if want != nil && len(want.Names) > o.MaxColumns {
					want = nil // more keys than the column limit: rejected
				}
				if want == nil {
					if g.Err == nil {
						t.Fatalf("line %d (%q) accepted: %q=%q", i+1, line, g.Names, g.Values)
					}
				} else {
					if g.Err != nil {
						t.Fatalf("line %d (%q) rejected: %v", i+1, line, g.Err)
					}
					if strings.Join(g.Names, "\x00") != strings.Join(want.Names, "\x00") || strings.Join(g.Values, "\x00") != strings.Join(want.Values, "\x00") {
						t.Fatalf("line %d (%q): %q=%q, encoding/json says %q=%q", i+1, line, g.Names, g.Values, want.Names, want.Values)
					}
				}
			}
		}
		bs, ch, mx := 1+int(opt>>5), 1+int(opt>>6), 1+int(opt>>7)
		_, r2, e2 := readMem(NDJSON, data, opts, bs, ch, mx)
		if d := sameRead(nil, rows, err, nil, r2, e2); d != "" {
			t.Fatalf("buffer %d, reads of %d, batches of %d: %s", bs, ch, mx, d)
		}
	})
}

// expectNDJSONLine is what encoding/json makes of a line: its top-level
// keys and values as the reader should give them, or nil when the reader
// must reject it (not one JSON object, invalid UTF-8, lone surrogate
// escapes, a key twice, nested deeper than maxDepth).
func expectNDJSONLine(line []byte, maxDepth int) *gotRow {
	if !json.Valid(line) || !utf8.Valid(line) || hasLoneSurrogate(line) || jsonDepth(line) > maxDepth {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil
	}
	g := &gotRow{}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		key := tok.(string)
		if seen[key] {
			return nil
		}
		seen[key] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil
		}
		var v string
		switch raw[0] {
		case '"':
			if json.Unmarshal(raw, &v) != nil {
				return nil
			}
		case '{', '[':
			var c bytes.Buffer
			if json.Compact(&c, raw) != nil {
				return nil
			}
			v = c.String()
		case 'n':
			v = ""
		default:
			v = string(raw)
		}
		g.Names = append(g.Names, key)
		g.Values = append(g.Values, v)
	}
	return g
}

// hasLoneSurrogate reports whether valid JSON text holds a \u escape of a
// surrogate that is not half of a pair.
func hasLoneSurrogate(p []byte) bool {
	hex := func(i int) int {
		if i+6 > len(p) || p[i] != '\\' || p[i+1] != 'u' {
			return -1
		}
		n, err := strconv.ParseUint(string(p[i+2:i+6]), 16, 32)
		if err != nil {
			return -1
		}
		return int(n)
	}
	for i := 0; i < len(p); i++ {
		if p[i] != '\\' {
			continue
		}
		r := hex(i)
		switch {
		case r >= 0xd800 && r < 0xdc00:
			if lo := hex(i + 6); lo < 0xdc00 || lo >= 0xe000 {
				return true
			}
			i += 11
		case r >= 0xdc00 && r < 0xe000:
			return true
		default:
			i++ // skip the escaped byte
		}
	}
	return false
}

// jsonDepth is the nesting depth of valid JSON text.
func jsonDepth(p []byte) int {
	depth, most, inString := 0, 0, false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
			most = max(most, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return most
}

// FuzzDecompress reads gzip and zstd input through Open. Whenever the
// reference decoder (the standard library's gzip, the zstd stream decoder)
// finds the stream broken, reading must fail with a *FileError; whenever
// reading succeeds, the rows must be exactly those of the reference's
// output read as a plain file.
func FuzzDecompress(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, ndjson bool) {
		name := "in.csv"
		if ndjson {
			name = "in.ndjson"
		}
		// The reference first: input that inflates past refLimit is skipped
		// (a bomb only costs time, and the reader's time is not on trial).
		var ref []byte
		var refErr error
		const refLimit = 8 << 20
		switch {
		case bytes.HasPrefix(data, magicGzip):
			zr, zerr := gzip.NewReader(bytes.NewReader(data))
			if zerr != nil {
				refErr = zerr
				break
			}
			ref, refErr = io.ReadAll(io.LimitReader(zr, refLimit+1))
		case bytes.HasPrefix(data, magicZstd):
			zr, zerr := zstd.NewReader(bytes.NewReader(data), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(zstdMaxWindow))
			if zerr != nil {
				refErr = zerr
				break
			}
			ref, refErr = io.ReadAll(io.LimitReader(zr, refLimit+1))
			zr.Close()
		default:
			return // not compressed: FuzzCSV and FuzzNDJSON cover the rest
		}
		if len(ref) > refLimit {
			return
		}

		dir := t.TempDir()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		opts := Options{MaxRecordBytes: 1 << 20}
		_, rows, err := readFile(p, opts, 1000)
		failOnContract(t, err)
		checkFileErr(t, err, p)

		if refErr != nil {
			if err == nil {
				t.Fatalf("the reference decoder fails (%v), reading succeeded with %d rows", refErr, len(rows))
			}
			return
		}
		// klauspost/compress follows RFC 1952 and refuses reserved header
		// flags, which the standard library ignores.
		strict := false
		for i := 0; i+3 < len(data); i++ {
			if data[i] == 0x1f && data[i+1] == 0x8b && data[i+2] == 8 && data[i+3]&0xe0 != 0 {
				strict = true
			}
		}
		if strict && err != nil {
			return
		}
		if err != nil && (errors.Is(err, ErrTruncated) || strings.Contains(err.Error(), "gzip:") || strings.Contains(err.Error(), "zstd:")) {
			t.Fatalf("a decompression error (%v) where the reference decoder reads %d bytes", err, len(ref))
		}
		plain := filepath.Join(dir, "plain-"+name)
		if err := os.WriteFile(plain, ref, 0o644); err != nil {
			t.Fatal(err)
		}
		_, want, werr := readFile(plain, opts, 1000)
		if werr != nil {
			werr = errors.New(strings.ReplaceAll(werr.Error(), plain, p))
		}
		if d := sameRead(nil, want, werr, nil, rows, err); d != "" {
			t.Fatalf("compressed and plain reads differ: %s", d)
		}
	})
}

// TestWriteFuzzSeeds writes the seed corpora from the table tests when
// GROUPIMPORT_WRITE_SEEDS is set.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("GROUPIMPORT_WRITE_SEEDS") == "" {
		t.Skip("set GROUPIMPORT_WRITE_SEEDS=1 to rewrite testdata/fuzz seeds")
	}
	write := func(target, name string, args ...any) {
		var b strings.Builder
		b.WriteString("go test fuzz v1\n")
		for _, a := range args {
			switch v := a.(type) {
			case []byte:
				fmt.Fprintf(&b, "[]byte(%s)\n", strconv.Quote(string(v)))
			case byte:
				fmt.Fprintf(&b, "byte(%d)\n", v)
			case bool:
				fmt.Fprintf(&b, "bool(%v)\n", v)
			}
		}
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	slug := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				return r
			}
			return '-'
		}, strings.ToLower(s))
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
		if o.MaxColumns > 0 || o.MaxDepth > 0 {
			b |= 16
		}
		return b
	}
	for _, tc := range csvCases {
		if len(tc.in) <= 8<<10 {
			write("FuzzCSV", slug(tc.name), []byte(tc.in), opt(tc.opts))
		}
	}
	write("FuzzCSV", "split-every-offset", []byte("\xef\xbb\xbfid;name;note\r\n\r\n1;\"a;b\";\"x\r\ny\"\r\n2;5\" tv;\"\"\"q\"\"\"\r3;\"bad\"x;z\n\n4;é;\"\"\n5;6\n7;8;9"), byte(0xe0))
	for _, tc := range ndjsonCases {
		if len(tc.in) <= 8<<10 {
			write("FuzzNDJSON", slug(tc.name), []byte(tc.in), opt(tc.opts))
		}
	}
	write("FuzzCSVRoundTrip", "plain", []byte("1\x00Ann\x002\x00B"), byte(1))
	write("FuzzCSVRoundTrip", "awkward", []byte("a,b\x00\"q\"\x00x\r\ny\x00\x00\r\x00é😀\x00 lead\x00\"\x00\n"), byte(0x27))
	write("FuzzCSVRoundTrip", "one-column-empties", []byte("\x00\x00x\x00"), byte(0xe0))
	write("FuzzCSVRoundTrip", "cr-only", []byte("a\rb\x00c\x00\rd\r"), byte(0x4b))
	csv := []byte("id,name\n1,\"a\r\nb\"\n2,c\n")
	nd := []byte(`{"id":1,"o":{"a":[1,2]}}` + "\n" + `{"id":2}` + "\n")
	gz := gzipBytes(t, csv)
	zs := zstdBytes(t, nd)
	write("FuzzDecompress", "gzip-csv", gz, false)
	write("FuzzDecompress", "gzip-multi", append(append(gzipBytes(t, csv[:12]), gzipBytes(t, nil)...), gzipBytes(t, csv[12:])...), false)
	write("FuzzDecompress", "gzip-truncated", gz[:len(gz)-5], false)
	write("FuzzDecompress", "gzip-trailing-garbage", append(bytes.Clone(gz), "garbage"...), false)
	write("FuzzDecompress", "zstd-ndjson", zs, true)
	write("FuzzDecompress", "zstd-truncated", zs[:len(zs)-3], true)
	write("FuzzDecompress", "zstd-two-frames", append(zstdBytes(t, nd[:10]), zstdBytes(t, nd[10:])...), true)
	write("FuzzDecompress", "zstd-csv", zstdBytes(t, synthCSV(50)), false)
	write("FuzzDecompress", "gzip-ndjson", gzipBytes(t, synthNDJSON(30)), true)
}
