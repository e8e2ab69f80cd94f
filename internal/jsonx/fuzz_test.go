package jsonx

// Fuzz targets comparing jsonx with encoding/json. jsonx is stricter than
// encoding/json in two documented ways (strings must be valid UTF-8 and
// must not hold lone surrogate escapes) and bounds nesting; on any other
// input the two must agree exactly. Seeds are in testdata/fuzz/<FuzzName>/.

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"unicode/utf8"
)

const fuzzDepth = 64

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

// FuzzValid compares Valid and AppendCompact with json.Valid and
// json.Compact, and checks IsNumber and ObjectEach on the way.
func FuzzValid(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		err := Valid(data, fuzzDepth)
		std := json.Valid(data)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(data) {
				t.Fatalf("error %v (%T) is not a SyntaxError within the input", err, err)
			}
			if std && utf8.Valid(data) && !hasLoneSurrogate(data) && jsonDepth(data) <= fuzzDepth {
				t.Fatalf("%q: encoding/json accepts, jsonx says %v", data, err)
			}
			if std && utf8.Valid(data) && !hasLoneSurrogate(data) && !errors.Is(err, ErrTooDeep) {
				t.Fatalf("%q: depth %d, error %v, want ErrTooDeep", data, jsonDepth(data), err)
			}
		} else {
			if !std {
				t.Fatalf("%q: jsonx accepts, encoding/json does not", data)
			}
			if !utf8.Valid(data) {
				t.Fatalf("%q: accepted with invalid UTF-8", data)
			}
			start := SkipSpace(data, 0)
			out, end, cerr := AppendCompact([]byte("prefix"), data, start, fuzzDepth)
			if cerr != nil || SkipSpace(data, end) != len(data) || !bytes.HasPrefix(out, []byte("prefix")) {
				t.Fatalf("%q: AppendCompact %q, %d, %v", data, out, end, cerr)
			}
			out = out[len("prefix"):]
			var want bytes.Buffer
			if err := json.Compact(&want, data); err != nil || !bytes.Equal(out, want.Bytes()) {
				t.Fatalf("%q: compact %q, encoding/json %q (%v)", data, out, want.Bytes(), err)
			}
			again, _, err := AppendCompact(nil, out, 0, fuzzDepth)
			if err != nil || !bytes.Equal(again, out) {
				t.Fatalf("%q: compacting again gives %q, %v", out, again, err)
			}
			if out[0] == '{' {
				rebuilt := []byte{'{'}
				err := ObjectEach(out, func(k, v []byte) error {
					if len(rebuilt) > 1 {
						rebuilt = append(rebuilt, ',')
					}
					rebuilt = append(append(append(rebuilt, k...), ':'), v...)
					return nil
				})
				rebuilt = append(rebuilt, '}')
				if jsonDepth(out) <= MaxDepth && (err != nil || !bytes.Equal(rebuilt, out)) {
					t.Fatalf("%q: ObjectEach rebuilds %q, %v", out, rebuilt, err)
				}
			}
		}
		isNum := IsNumber(data)
		stdNum := std && len(data) > 0 && (data[0] == '-' || data[0] >= '0' && data[0] <= '9') && isSpaceFree(data)
		if isNum != stdNum {
			t.Fatalf("%q: IsNumber %v, encoding/json says %v", data, isNum, stdNum)
		}
	})
}

func isSpaceFree(p []byte) bool {
	for _, c := range p {
		if isSpace(c) {
			return false
		}
	}
	return true
}

// FuzzString checks AppendString against a byte-at-a-time escaper (the
// eight-bytes-at-a-time scan must find exactly the same bytes) and, for
// valid UTF-8, the round trip through ScanString, Unquote and
// encoding/json.
func FuzzString(f *testing.F) {
	f.Fuzz(func(t *testing.T, s []byte) {
		q := AppendString([]byte("x"), s)
		if q[0] != 'x' {
			t.Fatal("the prefix was overwritten")
		}
		q = q[1:]
		want := []byte{'"'}
		for _, c := range s {
			switch {
			case c == '"':
				want = append(want, '\\', '"')
			case c == '\\':
				want = append(want, '\\', '\\')
			case c == '\n':
				want = append(want, '\\', 'n')
			case c == '\r':
				want = append(want, '\\', 'r')
			case c == '\t':
				want = append(want, '\\', 't')
			case c < 0x20:
				want = append(want, []byte(`\u00`+string(hexDigits[c>>4])+string(hexDigits[c&0xf]))...)
			default:
				want = append(want, c)
			}
		}
		want = append(want, '"')
		if !bytes.Equal(q, want) {
			t.Fatalf("AppendString(%q) = %q, want %q", s, q, want)
		}
		if qs := AppendStringS(nil, string(s)); !bytes.Equal(qs, q) {
			t.Fatalf("AppendStringS(%q) = %q, AppendString %q", s, qs, q)
		}
		if !utf8.Valid(s) {
			return
		}
		end, _, err := ScanString(q, 0)
		if err != nil || end != len(q) {
			t.Fatalf("ScanString(%q) = %d, %v", q, end, err)
		}
		if u := Unquote(nil, q); !bytes.Equal(u, s) {
			t.Fatalf("Unquote(%q) = %q, want %q", q, u, s)
		}
		var str string
		if err := json.Unmarshal(q, &str); err != nil || str != string(s) {
			t.Fatalf("encoding/json reads %q as %q, %v", q, str, err)
		}
	})
}

// FuzzUnquote checks ScanString and Unquote on strings as they come in
// input: what ScanString accepts, encoding/json accepts and decodes the
// same; what encoding/json accepts (valid UTF-8, no lone surrogates),
// ScanString accepts.
func FuzzUnquote(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 || data[0] != '"' {
			return
		}
		end, esc, err := ScanString(data, 0)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset >= len(data) {
				t.Fatalf("%q: error %v", data, err)
			}
			if json.Valid(data) && utf8.Valid(data) && !hasLoneSurrogate(data) {
				t.Fatalf("%q: encoding/json accepts, ScanString says %v", data, err)
			}
			return
		}
		raw := data[:end]
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			t.Fatalf("%q: ScanString accepts, encoding/json says %v", raw, err)
		}
		u := Unquote([]byte("p"), raw)
		if string(u[1:]) != str || u[0] != 'p' {
			t.Fatalf("Unquote(%q) = %q, encoding/json %q", raw, u[1:], str)
		}
		if !esc && (bytes.IndexByte(raw, '\\') >= 0 || str != string(raw[1:len(raw)-1])) {
			t.Fatalf("%q: no escapes reported", raw)
		}
		if !utf8.ValidString(str) {
			t.Fatalf("%q decodes to invalid UTF-8 %q", raw, str)
		}
		if back := Unquote(nil, AppendString(nil, u[1:])); !bytes.Equal(back, u[1:]) {
			t.Fatalf("%q: requoting gives %q", u[1:], back)
		}
	})
}
