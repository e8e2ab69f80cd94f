package speccheck

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds nesting so that a hostile line cannot exhaust the stack.
const maxDepth = 512

// syntaxError is malformed JSON at a byte offset.
type syntaxError struct {
	off int
	msg string
}

func (e *syntaxError) Error() string { return fmt.Sprintf("offset %d: %s", e.off, e.msg) }

// dupKey is a key that occurs twice in one object.
type dupKey struct {
	path string // JSON pointer of the object holding the key
	key  string // the decoded key
}

// scanner is a strict RFC 8259 tokenizer, written here rather than taken
// from encoding/json because encoding/json accepts what the API may not:
// it keeps the last of two equal keys, and replaces invalid UTF-8 and lone
// surrogate escapes (\ud800) with U+FFFD without a word. It is also kept
// apart from the project's own JSON code so that a mistake there cannot
// hide here.
type scanner struct {
	data []byte
	pos  int
	dups []dupKey
}

// scanObject checks that data is exactly one JSON object (whitespace
// around it allowed) and collects duplicate keys. It returns the first
// syntax error; duplicate keys are not syntax errors and do not stop it.
func scanObject(data []byte) ([]dupKey, error) {
	s := &scanner{data: data}
	s.ws()
	if s.pos >= len(s.data) {
		return nil, s.errf("empty input, want a JSON object")
	}
	if s.data[s.pos] != '{' {
		return nil, s.errf("a message must be a JSON object, found %s", s.what())
	}
	if err := s.value("", 0); err != nil {
		return s.dups, err
	}
	s.ws()
	if s.pos < len(s.data) {
		return s.dups, s.errf("data after the JSON object: %s", s.what())
	}
	return s.dups, nil
}

func (s *scanner) errf(format string, args ...any) error {
	return &syntaxError{off: s.pos, msg: fmt.Sprintf(format, args...)}
}

// what describes the byte at the current position for an error message.
func (s *scanner) what() string {
	if s.pos >= len(s.data) {
		return "end of input"
	}
	r, _ := utf8.DecodeRune(s.data[s.pos:])
	return strconv.QuoteRune(r)
}

func (s *scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *scanner) value(path string, depth int) error {
	if depth > maxDepth {
		return s.errf("nested deeper than %d levels", maxDepth)
	}
	s.ws()
	if s.pos >= len(s.data) {
		return s.errf("unexpected end of input, want a value")
	}
	switch c := s.data[s.pos]; {
	case c == '{':
		return s.object(path, depth)
	case c == '[':
		return s.array(path, depth)
	case c == '"':
		_, err := s.str()
		return err
	case c == 't':
		return s.lit("true")
	case c == 'f':
		return s.lit("false")
	case c == 'n':
		return s.lit("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	default:
		// NaN, Infinity, single quotes, bare words: not JSON.
		return s.errf("invalid character %s, want a value", s.what())
	}
}

func (s *scanner) lit(word string) error {
	if !strings.HasPrefix(string(s.data[s.pos:min(len(s.data), s.pos+len(word))]), word) {
		return s.errf("invalid literal, want %s", word)
	}
	s.pos += len(word)
	return nil
}

func (s *scanner) object(path string, depth int) error {
	s.pos++ // {
	seen := map[string]bool{}
	s.ws()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		return nil
	}
	for {
		s.ws()
		if s.pos >= len(s.data) || s.data[s.pos] != '"' {
			return s.errf("want an object key (a string), found %s", s.what())
		}
		key, err := s.str()
		if err != nil {
			return err
		}
		if seen[key] {
			s.dups = append(s.dups, dupKey{path: path, key: key})
		}
		seen[key] = true
		s.ws()
		if s.pos >= len(s.data) || s.data[s.pos] != ':' {
			return s.errf("want ':' after an object key, found %s", s.what())
		}
		s.pos++
		if err := s.value(path+"/"+escapePointer(key), depth+1); err != nil {
			return err
		}
		s.ws()
		if s.pos >= len(s.data) {
			return s.errf("unexpected end of input inside an object")
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return s.errf("want ',' or '}' in an object, found %s", s.what())
		}
	}
}

func (s *scanner) array(path string, depth int) error {
	s.pos++ // [
	s.ws()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		return nil
	}
	for i := 0; ; i++ {
		if err := s.value(path+"/"+strconv.Itoa(i), depth+1); err != nil {
			return err
		}
		s.ws()
		if s.pos >= len(s.data) {
			return s.errf("unexpected end of input inside an array")
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nil
		default:
			return s.errf("want ',' or ']' in an array, found %s", s.what())
		}
	}
}

// str reads a string token and returns its decoded value.
func (s *scanner) str() (string, error) {
	s.pos++ // opening quote
	var b strings.Builder
	for {
		if s.pos >= len(s.data) {
			return "", s.errf("unterminated string")
		}
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			return b.String(), nil
		case c == '\\':
			r, err := s.escape()
			if err != nil {
				return "", err
			}
			b.WriteRune(r)
		case c < 0x20:
			return "", s.errf("control character %#02x in a string must be escaped", c)
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			s.pos++
		default:
			r, size := utf8.DecodeRune(s.data[s.pos:])
			if r == utf8.RuneError && size <= 1 {
				return "", s.errf("invalid UTF-8 in a string")
			}
			b.WriteRune(r)
			s.pos += size
		}
	}
}

// escape reads one escape sequence (the backslash is at s.pos), including
// both halves of a surrogate pair.
func (s *scanner) escape() (rune, error) {
	if s.pos+1 >= len(s.data) {
		return 0, s.errf("unterminated escape")
	}
	c := s.data[s.pos+1]
	s.pos += 2
	switch c {
	case '"', '\\', '/':
		return rune(c), nil
	case 'b':
		return '\b', nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'u':
		r, err := s.hex4()
		if err != nil {
			return 0, err
		}
		switch {
		case utf16.IsSurrogate(r) && r < 0xDC00: // high half: a low half must follow
			if s.pos+1 < len(s.data) && s.data[s.pos] == '\\' && s.data[s.pos+1] == 'u' {
				s.pos += 2
				lo, err := s.hex4()
				if err != nil {
					return 0, err
				}
				if lo >= 0xDC00 && lo <= 0xDFFF {
					return utf16.DecodeRune(r, lo), nil
				}
			}
			return 0, s.errf("lone surrogate escape \\u%04x (decoders turn it into U+FFFD)", r)
		case utf16.IsSurrogate(r):
			return 0, s.errf("lone surrogate escape \\u%04x (decoders turn it into U+FFFD)", r)
		}
		return r, nil
	default:
		s.pos--
		return 0, s.errf("invalid escape \\%c", c)
	}
}

func (s *scanner) hex4() (rune, error) {
	if s.pos+4 > len(s.data) {
		return 0, s.errf("short \\u escape")
	}
	n, err := strconv.ParseUint(string(s.data[s.pos:s.pos+4]), 16, 32)
	if err != nil {
		return 0, s.errf("invalid \\u escape")
	}
	s.pos += 4
	return rune(n), nil
}

// number reads a number token: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() error {
	start := s.pos
	if s.data[s.pos] == '-' {
		s.pos++
	}
	switch {
	case s.pos < len(s.data) && s.data[s.pos] == '0':
		s.pos++
	case s.pos < len(s.data) && s.data[s.pos] >= '1' && s.data[s.pos] <= '9':
		s.digits()
	default:
		return s.errf("invalid number %q", s.data[start:s.pos])
	}
	if s.pos < len(s.data) && s.data[s.pos] == '.' {
		s.pos++
		if s.digits() == 0 {
			return s.errf("invalid number: no digits after '.'")
		}
	}
	if s.pos < len(s.data) && (s.data[s.pos] == 'e' || s.data[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.data) && (s.data[s.pos] == '+' || s.data[s.pos] == '-') {
			s.pos++
		}
		if s.digits() == 0 {
			return s.errf("invalid number: no digits in the exponent")
		}
	}
	if s.pos < len(s.data) && s.data[s.pos] >= '0' && s.data[s.pos] <= '9' {
		return s.errf("invalid number: leading zero")
	}
	return nil
}

func (s *scanner) digits() int {
	n := 0
	for s.pos < len(s.data) && s.data[s.pos] >= '0' && s.data[s.pos] <= '9' {
		s.pos++
		n++
	}
	return n
}

// escapePointer escapes a key for a JSON pointer (RFC 6901).
func escapePointer(key string) string {
	if !strings.ContainsAny(key, "~/") {
		return key
	}
	return strings.ReplaceAll(strings.ReplaceAll(key, "~", "~0"), "/", "~1")
}
