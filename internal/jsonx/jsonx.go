// Package jsonx is the small, allocation-free JSON toolkit the hot path needs:
// appending escaped strings, validating and compacting values, unquoting
// strings and walking objects. It accepts exactly RFC 8259 JSON whose strings
// are valid UTF-8 without lone surrogate escapes, so that whatever it passes
// on decodes to the same values in every consumer.
package jsonx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"
)

// MaxDepth is the default nesting limit for objects and arrays.
const MaxDepth = 64

// SyntaxError is malformed JSON at a byte offset of the scanned input.
type SyntaxError struct {
	Offset int
	Msg    string
	// Err is the cause when there is a sentinel for it (ErrTooDeep,
	// ErrInvalidUTF8).
	Err error
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("offset %d: %s", e.Offset, e.Msg) }

func (e *SyntaxError) Unwrap() error { return e.Err }

func errAt(off int, format string, args ...any) error {
	return &SyntaxError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// ErrTooDeep is wrapped by the error for input nested deeper than the limit.
var ErrTooDeep = errors.New("nested too deeply")

// ErrInvalidUTF8 is wrapped by the error for a string that is not valid
// UTF-8.
var ErrInvalidUTF8 = errors.New("invalid UTF-8")

var needsEscape [256]bool

func init() {
	for i := 0; i < 0x20; i++ {
		needsEscape[i] = true
	}
	needsEscape['"'] = true
	needsEscape['\\'] = true
}

const hexDigits = "0123456789abcdef"

// AppendString appends s as a quoted JSON string. s must be valid UTF-8.
func AppendString(dst []byte, s []byte) []byte {
	dst = append(dst, '"')
	dst = AppendEscaped(dst, s)
	return append(dst, '"')
}

// AppendEscaped appends the JSON escaping of s, without quotes.
func AppendEscaped(dst []byte, s []byte) []byte {
	for {
		j := escapeIndex(s)
		if j < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:j]...)
		switch c := s[j]; c {
		case '"':
			dst = append(dst, '\\', '"')
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		s = s[j+1:]
	}
}

const (
	lo8 = 0x0101010101010101
	hi8 = 0x8080808080808080
)

// escapeIndex returns the index of the first byte of s that JSON strings
// must escape (a control character, '"' or '\\'), or -1. It tests eight
// bytes at a time: most text needs no escaping at all.
func escapeIndex(s []byte) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64(s[i:])
		// bytes < 0x20, bytes == '"', bytes == '\\' (the classic
		// has-less and has-zero-byte tricks; bytes >= 0x80 never match)
		q := x ^ (lo8 * '"')
		b := x ^ (lo8 * '\\')
		if ((x-lo8*0x20)&^x|(q-lo8)&^q|(b-lo8)&^b)&hi8 != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if needsEscape[s[i]] {
			return i
		}
	}
	return -1
}

// NeedsEscape reports whether s holds a byte a JSON string must escape.
func NeedsEscape(s []byte) bool { return escapeIndex(s) >= 0 }

// PlainASCII reports whether s is ASCII (so valid UTF-8) and holds no byte
// a JSON string must escape: what a reader that must validate text anyway
// can learn in the same pass, so that the writer copies s as it is
// (record.Value.Plain) instead of looking again.
func PlainASCII(s []byte) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64(s[i:])
		q := x ^ (lo8 * '"')
		b := x ^ (lo8 * '\\')
		if (x|(x-lo8*0x20)&^x|(q-lo8)&^q|(b-lo8)&^b)&hi8 != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf || needsEscape[s[i]] {
			return false
		}
	}
	return true
}

// AppendStringS is AppendString for a Go string.
func AppendStringS(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		if needsEscape[s[i]] {
			dst = append(dst, s[start:i]...)
			dst = AppendEscaped(dst, []byte{s[i]})
			start = i + 1
		}
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// SkipSpace returns the index of the first non-whitespace byte at or after i.
func SkipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}

// ValueKind is the type of a JSON value, by its first byte.
type ValueKind uint8

const (
	Invalid ValueKind = iota
	String
	Number
	True
	False
	NullV
	Object
	Array
)

// KindOf returns the kind of the value starting with byte c.
func KindOf(c byte) ValueKind {
	switch {
	case c == '"':
		return String
	case c == '-' || (c >= '0' && c <= '9'):
		return Number
	case c == 't':
		return True
	case c == 'f':
		return False
	case c == 'n':
		return NullV
	case c == '{':
		return Object
	case c == '[':
		return Array
	}
	return Invalid
}

// ScanString validates the string starting at data[i] (a '"') and returns
// the index after its closing quote and whether it contains escapes.
func ScanString(data []byte, i int) (end int, escaped bool, err error) {
	start := i
	i++
	for {
		// Fast path over plain ASCII.
		for i < len(data) {
			c := data[i]
			if c < utf8.RuneSelf && !needsEscape[c] {
				i++
				continue
			}
			break
		}
		if i >= len(data) {
			return 0, false, errAt(start, "string never closed")
		}
		c := data[i]
		switch {
		case c == '"':
			return i + 1, escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(data) {
				return 0, false, errAt(i, "string never closed")
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				r, n, err := readUnicodeEscape(data, i)
				if err != nil {
					return 0, false, err
				}
				_ = r
				i += n
			default:
				return 0, false, errAt(i, "invalid escape \\%c", data[i+1])
			}
		case c < 0x20:
			return 0, false, errAt(i, "control character 0x%02x in string", c)
		default:
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size <= 1 {
				return 0, false, &SyntaxError{Offset: i, Msg: "invalid UTF-8 in string", Err: ErrInvalidUTF8}
			}
			i += size
		}
	}
}

func hexVal(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return rune(c-'A') + 10
	}
	return -1
}

func read4(data []byte, i int) rune {
	if i+4 > len(data) {
		return -1
	}
	var r rune
	for k := 0; k < 4; k++ {
		h := hexVal(data[i+k])
		if h < 0 {
			return -1
		}
		r = r<<4 | h
	}
	return r
}

// readUnicodeEscape reads \uXXXX (and a following low surrogate) at data[i].
func readUnicodeEscape(data []byte, i int) (rune, int, error) {
	r := read4(data, i+2)
	if r < 0 {
		return 0, 0, errAt(i, "invalid \\u escape")
	}
	if r >= 0xD800 && r < 0xDC00 {
		if i+8 <= len(data) && data[i+6] == '\\' && data[i+7] == 'u' {
			lo := read4(data, i+8)
			if lo >= 0xDC00 && lo < 0xE000 {
				return 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00), 12, nil
			}
		}
		return 0, 0, errAt(i, "lone surrogate \\u%04x", r)
	}
	if r >= 0xDC00 && r < 0xE000 {
		return 0, 0, errAt(i, "lone surrogate \\u%04x", r)
	}
	return r, 6, nil
}

// Unquote appends the decoded content of the valid JSON string raw
// (including its quotes) to dst.
func Unquote(dst []byte, raw []byte) []byte {
	s := raw[1 : len(raw)-1]
	start := 0
	for i := 0; i < len(s); {
		if s[i] != '\\' {
			i++
			continue
		}
		dst = append(dst, s[start:i]...)
		switch s[i+1] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, n, _ := readUnicodeEscape(s, i)
			dst = utf8.AppendRune(dst, r)
			i += n
			start = i
			continue
		default: // " \ /
			dst = append(dst, s[i+1])
		}
		i += 2
		start = i
	}
	return append(dst, s[start:]...)
}

// ScanNumber validates the number starting at data[i] and returns its end.
func ScanNumber(data []byte, i int) (int, error) {
	start := i
	if i < len(data) && data[i] == '-' {
		i++
	}
	if i >= len(data) {
		return 0, errAt(start, "invalid number")
	}
	if data[i] == '0' {
		i++
	} else if data[i] >= '1' && data[i] <= '9' {
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
	} else {
		return 0, errAt(start, "invalid number")
	}
	if i < len(data) && data[i] == '.' {
		i++
		d := i
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		if i == d {
			return 0, errAt(start, "invalid number")
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		d := i
		for i < len(data) && data[i] >= '0' && data[i] <= '9' {
			i++
		}
		if i == d {
			return 0, errAt(start, "invalid number")
		}
	}
	return i, nil
}

// IsNumber reports whether b is exactly one valid JSON number.
func IsNumber(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	end, err := ScanNumber(b, 0)
	return err == nil && end == len(b)
}

func scanLiteral(data []byte, i int, lit string) (int, error) {
	if len(data)-i >= len(lit) && string(data[i:i+len(lit)]) == lit {
		return i + len(lit), nil
	}
	return 0, errAt(i, "invalid literal")
}

// AppendCompact validates the value starting at data[i], appends it to dst
// without insignificant whitespace, and returns the index after it.
// Nesting deeper than maxDepth is an error wrapping ErrTooDeep.
func AppendCompact(dst []byte, data []byte, i int, maxDepth int) ([]byte, int, error) {
	return appendCompact(dst, data, i, 0, maxDepth, true)
}

// Skip validates the value starting at data[i] and returns the index after it.
func Skip(data []byte, i int, maxDepth int) (int, error) {
	_, end, err := appendCompact(nil, data, i, 0, maxDepth, false)
	return end, err
}

// appendCompact does the work of AppendCompact; with emit false it only
// validates and dst stays untouched.
func appendCompact(dst []byte, data []byte, i int, depth, maxDepth int, emit bool) ([]byte, int, error) {
	put := func(p ...byte) {
		if emit {
			dst = append(dst, p...)
		}
	}
	if i >= len(data) {
		return dst, 0, errAt(i, "unexpected end of input")
	}
	switch KindOf(data[i]) {
	case String:
		end, _, err := ScanString(data, i)
		if err != nil {
			return dst, 0, err
		}
		put(data[i:end]...)
		return dst, end, nil
	case Number:
		end, err := ScanNumber(data, i)
		if err != nil {
			return dst, 0, err
		}
		put(data[i:end]...)
		return dst, end, nil
	case True, False, NullV:
		lit := "null"
		switch data[i] {
		case 't':
			lit = "true"
		case 'f':
			lit = "false"
		}
		end, err := scanLiteral(data, i, lit)
		if err != nil {
			return dst, 0, err
		}
		put([]byte(lit)...)
		return dst, end, nil
	case Object, Array:
		if depth >= maxDepth {
			return dst, 0, &SyntaxError{Offset: i, Msg: fmt.Sprintf("%v (limit %d)", ErrTooDeep, maxDepth), Err: ErrTooDeep}
		}
		obj := data[i] == '{'
		closer := byte(']')
		if obj {
			closer = '}'
		}
		put(data[i])
		i = SkipSpace(data, i+1)
		if i < len(data) && data[i] == closer {
			put(closer)
			return dst, i + 1, nil
		}
		for {
			var err error
			if obj {
				if i >= len(data) || data[i] != '"' {
					return dst, 0, errAt(i, "expected object key")
				}
				end, _, err := ScanString(data, i)
				if err != nil {
					return dst, 0, err
				}
				put(data[i:end]...)
				i = SkipSpace(data, end)
				if i >= len(data) || data[i] != ':' {
					return dst, 0, errAt(i, "expected ':' after object key")
				}
				put(':')
				i = SkipSpace(data, i+1)
			}
			dst, i, err = appendCompact(dst, data, i, depth+1, maxDepth, emit)
			if err != nil {
				return dst, 0, err
			}
			i = SkipSpace(data, i)
			if i >= len(data) {
				return dst, 0, errAt(i, "unexpected end of input")
			}
			if data[i] == ',' {
				put(',')
				i = SkipSpace(data, i+1)
				continue
			}
			if data[i] == closer {
				put(closer)
				return dst, i + 1, nil
			}
			return dst, 0, errAt(i, "expected ',' or '%c'", closer)
		}
	}
	return dst, 0, errAt(i, "invalid character %q", data[i])
}

// Valid reports whether data is one valid JSON value (with optional
// surrounding whitespace) nested no deeper than maxDepth.
func Valid(data []byte, maxDepth int) error {
	end, err := Skip(data, SkipSpace(data, 0), maxDepth)
	if err != nil {
		return err
	}
	if SkipSpace(data, end) != len(data) {
		return errAt(end, "unexpected data after the value")
	}
	return nil
}

// ObjectEach calls fn for each member of the compact, valid JSON object obj,
// with the raw (quoted) key and the raw value.
func ObjectEach(obj []byte, fn func(key, value []byte) error) error {
	i := SkipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return errAt(i, "not an object")
	}
	i = SkipSpace(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return nil
	}
	for {
		kend, _, err := ScanString(obj, i)
		if err != nil {
			return err
		}
		key := obj[i:kend]
		i = SkipSpace(obj, kend)
		if i >= len(obj) || obj[i] != ':' {
			return errAt(i, "expected ':'")
		}
		i = SkipSpace(obj, i+1)
		vend, err := Skip(obj, i, MaxDepth)
		if err != nil {
			return err
		}
		if err := fn(key, obj[i:vend]); err != nil {
			return err
		}
		i = SkipSpace(obj, vend)
		if i < len(obj) && obj[i] == ',' {
			i = SkipSpace(obj, i+1)
			continue
		}
		if i < len(obj) && obj[i] == '}' {
			return nil
		}
		return errAt(i, "expected ',' or '}'")
	}
}
