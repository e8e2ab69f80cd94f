package ndjson

// Fuzz targets of the NDJSON reader. FuzzNDJSON checks on every input: no
// panic, no hang, every row has Values (one per Schema name) or an Err
// with a Code, values of their kinds, every line read as encoding/json
// reads it (or rejected where it refuses it), every error a *ParseError,
// and the same result however the input is split into reads, buffers and
// batches. Seed corpora are in testdata/fuzz/FuzzNDJSON/;
// GROUPIMPORT_WRITE_SEEDS=1 go test -run TestWriteFuzzSeeds rewrites them
// from the table tests. bench/fuzz.sh runs every target for a while.

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/groupimport/groupimport/importer/internal/readertest"
	"github.com/groupimport/groupimport/internal/jsonx"
	"github.com/groupimport/groupimport/record"
)

// fuzzOptions derives reader options from a fuzzed byte (the bits the CSV
// target also uses for its options, so that seeds carry over).
func fuzzOptions(opt byte) Options {
	var o Options
	if opt&8 != 0 {
		o.MaxRecordBytes = 64
	}
	if opt&16 != 0 {
		o.MaxColumns = 3
		o.MaxDepth = 3
	}
	return o
}

func FuzzNDJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, opt byte) {
		opts := fuzzOptions(opt)
		_, rows, err := readMem(data, opts, 0, 0, 1000)
		readertest.FailOnContract(t, err)
		if err != nil && !isParseErr(err) {
			t.Fatalf("error %v is a %T, not a *ParseError", err, err)
		}
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
			byLine := map[int64]readertest.Row{}
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
		_, r2, e2 := readMem(data, opts, bs, ch, mx)
		if d := readertest.SameRead(nil, rows, err, nil, r2, e2); d != "" {
			t.Fatalf("buffer %d, reads of %d, batches of %d: %s", bs, ch, mx, d)
		}
	})
}

// expectNDJSONLine is what encoding/json makes of a line: its top-level
// keys and values as the reader should give them, or nil when the reader
// must reject it (not one JSON object, invalid UTF-8, lone surrogate
// escapes, a key twice, nested deeper than maxDepth).
func expectNDJSONLine(line []byte, maxDepth int) *readertest.Row {
	if !json.Valid(line) || !utf8.Valid(line) || hasLoneSurrogate(line) || jsonDepth(line) > maxDepth {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil
	}
	g := &readertest.Row{}
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

// TestWriteFuzzSeeds writes the seed corpora from the table tests when
// GROUPIMPORT_WRITE_SEEDS is set.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("GROUPIMPORT_WRITE_SEEDS") == "" {
		t.Skip("set GROUPIMPORT_WRITE_SEEDS=1 to rewrite testdata/fuzz seeds")
	}
	opt := func(o Options) byte {
		var b byte
		if o.MaxRecordBytes > 0 {
			b |= 8
		}
		if o.MaxColumns > 0 || o.MaxDepth > 0 {
			b |= 16
		}
		return b
	}
	for _, tc := range ndjsonCases {
		if len(tc.in) <= 8<<10 {
			readertest.WriteSeed(t, "FuzzNDJSON", tc.name, []byte(tc.in), opt(tc.opts))
		}
	}
}
