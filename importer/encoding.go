package importer

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"

	"github.com/groupimport/groupimport/importer/internal/lineio"
)

// ErrNotUTF8 is wrapped by the error for a file read as UTF-8 that is in
// another encoding (an *EncodingError).
var ErrNotUTF8 = errors.New("the file is not UTF-8")

// EncodingError is the file error for a text file read as UTF-8 (no
// --encoding named) that is not: at its first bytes that are not UTF-8, or
// UTF-16 text without a byte-order mark. It says what the file looks like
// and the --encoding that reads it.
type EncodingError struct {
	// Offset is the byte offset of the first byte that is not UTF-8, in
	// the file's (decompressed, when Decompressed) text; Line and Col are
	// its physical line and character column (1-based; Col 0 when not
	// told), Byte the byte itself.
	Offset       int64
	Line         int64
	Col          int
	Byte         byte
	Decompressed bool
	// Encoding is the value of --encoding that likely reads the file, ""
	// when it cannot be told; Why says in plain words what the bytes look
	// like (see SuggestEncoding).
	Encoding string
	Why      string
	// Excerpt is the line of the byte as it reads in Encoding, "" when
	// not known.
	Excerpt string
	utf16   bool
}

func (e *EncodingError) Error() string {
	var b strings.Builder
	b.WriteString(ErrNotUTF8.Error())
	b.WriteString(": ")
	of := ""
	if e.Decompressed {
		of = " of its decompressed text"
	}
	if e.utf16 {
		fmt.Fprintf(&b, "%s (the first NUL at byte offset %d%s): run again with --encoding %s", e.Why, e.Offset, of, e.Encoding)
		return b.String()
	}
	fmt.Fprintf(&b, "byte 0x%02x at byte offset %d%s is not valid UTF-8; ", e.Byte, e.Offset, of)
	if e.Encoding == "" {
		b.WriteString(e.Why)
	} else {
		fmt.Fprintf(&b, "it looks like %s", describe(e.Encoding))
		if e.Excerpt != "" {
			fmt.Fprintf(&b, ", in which this line reads %q", e.Excerpt)
		}
		fmt.Fprintf(&b, ": run again with --encoding %s", e.Encoding)
	}
	b.WriteString("; if instead the file is UTF-8 with a few damaged values, --encoding utf-8 rejects only the rows that hold such bytes")
	return b.String()
}

func (e *EncodingError) Unwrap() error { return ErrNotUTF8 }

// SuggestEncoding says which --encoding reads sample (bytes of a text
// file, decompressed: its start, or any stretch that starts at a line)
// as the text it is. When sample reads as it is (UTF-8, plain ASCII, or
// UTF-16 with a byte-order mark, recognised without --encoding) both
// results are "". Otherwise why says in plain words what the bytes look
// like, and name is the value to give --encoding: "utf-16le" or
// "utf-16be" (NUL bytes alternate: UTF-16 without a byte-order mark),
// "shift_jis" (Japanese), "windows-1252" (latin-1: Western European text,
// its accented letters single bytes between plain ones), or "" when the
// encoding cannot be told (why then names likely candidates).
func SuggestEncoding(sample []byte) (name, why string) {
	if bytes.HasPrefix(sample, []byte{0xff, 0xfe}) || bytes.HasPrefix(sample, []byte{0xfe, 0xff}) {
		return "", ""
	}
	g, ok := guessEncoding(sample)
	if ok {
		return "", ""
	}
	return g.name, g.why
}

// encGuess is what a file's bytes look like when they are not UTF-8.
type encGuess struct {
	name string            // the --encoding value; "" when it cannot be told
	why  string            // in plain words
	enc  encoding.Encoding // decodes the text, nil when name is ""
}

const (
	whyWestern = "its bytes that are not UTF-8 stand alone between plain letters, as accented letters (é, ü, ß) and signs (€, ©) " +
		"do in windows-1252, the Western European encoding also called latin-1"
	whyShiftJIS = "its bytes that are not UTF-8 pair up as Japanese characters in Shift-JIS, kana among them"
	whyUnknown  = "its bytes that are not UTF-8 do not look like Western European text (windows-1252, latin-1) or UTF-16: " +
		"the file is in another encoding; name it with --encoding (for example windows-1250 for Central European, " +
		"windows-1251 for Cyrillic, windows-1253 for Greek, gb18030 or big5 for Chinese, euc-kr for Korean)"
)

// guessEncoding says what p looks like; ok when it is UTF-8 (a character
// cut at its end is allowed).
func guessEncoding(p []byte) (g encGuess, ok bool) {
	switch utf16Order(p) {
	case "le":
		return encGuess{"utf-16le", "every other byte is NUL, as in UTF-16LE (little-endian) text without a byte-order mark",
			unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)}, false
	case "be":
		return encGuess{"utf-16be", "every other byte is NUL, as in UTF-16BE (big-endian) text without a byte-order mark",
			unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)}, false
	}
	if i := lineio.InvalidUTF8At(p); i == len(p) || !utf8.FullRune(p[i:]) {
		return encGuess{}, true
	}
	switch {
	case looksShiftJIS(p):
		return encGuess{"shift_jis", whyShiftJIS, japanese.ShiftJIS}, false
	case looksWestern(p):
		return encGuess{"windows-1252", whyWestern, charmap.Windows1252}, false
	}
	return encGuess{why: whyUnknown}, false
}

// describe names an encoding for people.
func describe(name string) string {
	switch name {
	case "windows-1252":
		return "windows-1252 (latin-1, Western European)"
	case "shift_jis":
		return "Shift-JIS (Japanese)"
	}
	return name
}

// utf16Order returns "le" or "be" when the first bytes of p (up to 4 KiB)
// have NUL bytes at odd or at even offsets, as UTF-16 text has where its
// characters are ASCII or latin-1, and few on the other side; else "".
func utf16Order(p []byte) string {
	n := min(len(p), 4096) &^ 1
	var even, odd int
	for i := 0; i < n; i += 2 {
		if p[i] == 0 {
			even++
		}
		if p[i+1] == 0 {
			odd++
		}
	}
	pairs := n / 2
	switch {
	case odd >= 2 && odd*4 >= pairs && even*8 <= odd:
		return "le"
	case even >= 2 && even*4 >= pairs && odd*8 <= even:
		return "be"
	}
	return ""
}

// looksShiftJIS reports whether p is well-formed Shift-JIS with at least a
// few double-byte characters, a fifth of them kana (hiragana, katakana):
// Japanese text has many, and the bytes of other encodings rarely pair up
// this way.
func looksShiftJIS(p []byte) bool {
	double, kana := 0, 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c < 0x80:
		case c >= 0xa1 && c <= 0xdf: // half-width katakana
			kana++
		case c >= 0x81 && c <= 0x9f || c >= 0xe0 && c <= 0xfc:
			if i+1 == len(p) {
				break // cut at the end of the sample
			}
			t := p[i+1]
			if t < 0x40 || t == 0x7f || t > 0xfc {
				return false
			}
			double++
			if c == 0x82 && t >= 0x9f || c == 0x83 && t <= 0x96 {
				kana++
			}
			i++
		default:
			return false
		}
	}
	return double >= 4 && kana*5 >= double
}

// looksWestern reports whether the bytes of p that are not ASCII read as
// Western European text in windows-1252: every one defined there, nearly
// all alone or in pairs between ASCII (accented letters inside words),
// and signs (not letters) rarely inside a word. Text in another alphabet
// has runs of them; Central European text (windows-1250) has ł, ą, ź
// where windows-1252 has ³, ¹, Ÿ inside words.
func looksWestern(p []byte) bool {
	runs, long, odd := 0, 0, 0
	for i := 0; i < len(p); {
		if p[i] < 0x80 {
			i++
			continue
		}
		j, sign := i, false
		for ; j < len(p) && p[j] >= 0x80; j++ {
			switch cp1252Class(p[j]) {
			case cpUndefined:
				return false
			case cpSign:
				sign = true
			}
		}
		runs++
		if j-i > 2 {
			long++
		}
		if sign && i > 0 && isLetter(p[i-1]) && j < len(p) && isLetter(p[j]) {
			odd++
		}
		i = j
	}
	return runs > 0 && long*10 <= runs && odd*20 <= runs
}

const (
	cpLetter = iota
	cpSign
	cpUndefined
)

// cp1252Class says what byte c (>= 0x80) is in windows-1252: a letter (or
// a mark used inside words: ’ ‘ · soft hyphen), another sign, or a byte
// the encoding does not define.
func cp1252Class(c byte) int {
	switch c {
	case 0x81, 0x8d, 0x8f, 0x90, 0x9d:
		return cpUndefined
	case 0x83, 0x8a, 0x8c, 0x8e, 0x9a, 0x9c, 0x9e, 0x9f, 0xaa, 0xb5, 0xba, // ƒ Š Œ Ž š œ ž Ÿ ª µ º
		0x91, 0x92, 0xb7, 0xad: // ‘ ’ · soft hyphen
		return cpLetter
	case 0xd7, 0xf7: // × ÷
		return cpSign
	}
	if c >= 0xc0 {
		return cpLetter
	}
	return cpSign
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// excerpt returns line decoded with enc, at most 80 characters.
func excerpt(line []byte, enc encoding.Encoding) string {
	s, err := enc.NewDecoder().Bytes(line)
	if err != nil {
		return ""
	}
	r := []rune(strings.TrimRight(string(s), "\r\n"))
	if len(r) > 80 {
		r = append(r[:79], '…')
	}
	return string(r)
}
