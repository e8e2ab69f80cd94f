package importer

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding"

	"github.com/groupimport/groupimport/importer/internal/lineio"
	"github.com/groupimport/groupimport/record"
)

// textCheck passes on the text of a file read as UTF-8 and checks that it
// is. The policy (see Options.Encoding):
//
//   - strict (no encoding named): the first bytes that are not UTF-8 end
//     the reading with an *EncodingError naming their offset, line and
//     column, what the file looks like and the --encoding to give. The
//     rows before them were read (they are ASCII, the same in every
//     encoding this could be).
//   - unless the text shows that the file is UTF-8 after all: valid
//     multi-byte characters before those bytes, or at least as many as
//     there are invalid bytes in the rest of the buffer. Then, as when
//     --encoding utf-8 is named (lenient), the bytes are passed on, the
//     format reader rejects the rows that hold them (invalid_utf8), and
//     one warning, counted once per byte, says where the first is and
//     what they look like.
type textCheck struct {
	r            io.Reader
	strict       bool // no encoding named: other text is a file error
	named        bool // --encoding utf-8 named
	crLines      bool // a lone CR ends a line (CSV)
	decompressed bool

	buf  []byte
	out  []byte // checked, not yet handed out (in buf)
	tail []byte // a character cut by the end of the last read (in buf)
	err  error  // what ends the reading once out is handed out

	// where the next byte to check is
	off       int64
	lines     int64  // line ends before it
	col       int    // characters after the last line end
	pendingCR bool   // the last byte checked is a CR whose LF may follow
	bom       bool   // the text starts with a UTF-8 byte-order mark
	multi     bool   // a valid multi-byte character was seen
	lineHead  []byte // the last bytes checked after the last line end (up to lineHeadMax)

	// the bytes that are not UTF-8 passed on (lenient)
	bad   int64
	first *EncodingError
}

// newTextCheck checks r, the text of a file read as UTF-8 (strict when no
// encoding is named). crLines says that a lone CR ends a line (CSV);
// decompressed that offsets are in decompressed text.
func newTextCheck(r io.Reader, strict, crLines, decompressed bool) *textCheck {
	return &textCheck{r: r, strict: strict, named: !strict, crLines: crLines, decompressed: decompressed, buf: make([]byte, 64<<10)}
}

func (c *textCheck) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if len(c.out) == 0 {
		if c.err == nil {
			c.fill()
		}
		if len(c.out) == 0 && c.err != nil {
			return 0, c.err
		}
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

// clean reports whether every byte handed out so far is valid UTF-8 (the
// format reader need not check them again).
func (c *textCheck) clean() bool { return c.bad == 0 }

// fill reads and checks the next bytes. A character cut by the end of a
// read waits for the rest.
func (c *textCheck) fill() {
	k := copy(c.buf, c.tail)
	// At least a few KiB a time, so that the first bad byte comes with
	// enough of what follows to tell what it is.
	n, err := 0, error(nil)
	for zeros := 0; k+n < fillMin && err == nil; {
		m, rerr := c.r.Read(c.buf[k+n:])
		n, err = n+m, rerr
		if m == 0 && err == nil {
			if zeros++; zeros > 100 {
				err = io.ErrNoProgress
			}
		}
	}
	chunk := c.buf[:k+n]
	c.tail = nil
	if err == nil {
		if t := cutRune(chunk); t > 0 {
			c.tail, chunk = chunk[len(chunk)-t:], chunk[:len(chunk)-t]
		}
	}
	c.out = c.check(chunk)
	if err != nil && c.err == nil {
		c.err = err
	}
}

// fillMin is the fewest bytes fill checks at a time, unless the input ends.
const fillMin = 8 << 10

// cutRune returns the length of the start of a UTF-8 character at the end
// of p that is not whole, or 0.
func cutRune(p []byte) int {
	for k := 1; k <= utf8.UTFMax-1 && k <= len(p); k++ {
		b := p[len(p)-k]
		if b < utf8.RuneSelf {
			return 0
		}
		if utf8.RuneStart(b) {
			if utf8.FullRune(p[len(p)-k:]) {
				return 0
			}
			return k
		}
	}
	return 0
}

// check checks p and returns what may be handed out: all of it, or (a
// strict check failing) the bytes before the first that is not UTF-8.
func (c *textCheck) check(p []byte) []byte {
	text := p // what may show UTF-8: not a byte-order mark
	if c.off == 0 && bytes.HasPrefix(p, []byte("\xef\xbb\xbf")) {
		c.bom, text = true, p[3:]
	}
	if utf8.Valid(p) {
		c.multi = c.multi || hasHigh(text)
		c.advance(p)
		return p
	}
	i := lineio.InvalidUTF8At(p)
	c.multi = c.multi || hasHigh(text[:i-(len(p)-len(text))])
	c.advance(p[:i])
	if c.strict && !c.multi && !looksUTF8(p[i:]) {
		c.err = c.encodingError(p, i)
		return p[:i]
	}
	c.strict = false // the file is UTF-8: bad bytes are their rows' problem
	for q := p[i:]; len(q) > 0; {
		j := lineio.InvalidUTF8At(q)
		c.advance(q[:j])
		if j == len(q) {
			break
		}
		if c.bad == 0 {
			c.first = c.encodingError(q, j)
			g, _ := guessEncoding(onlyInvalid(q[j:]))
			c.first.Encoding, c.first.Why, c.first.Excerpt = g.name, g.why, ""
		}
		c.bad++
		c.advance(q[j : j+1])
		q = q[j+1:]
	}
	return p
}

// onlyInvalid returns a copy of the start of p with each valid multi-byte
// character replaced by an ASCII letter: what the bytes that are not
// UTF-8 look like, in a file that is.
func onlyInvalid(p []byte) []byte {
	out := make([]byte, 0, min(len(p), 4096))
	for len(p) > 0 && len(out) < 4096 {
		r, n := utf8.DecodeRune(p)
		if n > 1 && r != utf8.RuneError {
			out = append(out, 'a')
		} else {
			out = append(out, p[0])
			n = 1
		}
		p = p[n:]
	}
	return out
}

// looksUTF8 reports whether p, which starts with a byte that is not
// UTF-8, has at least as many valid multi-byte characters as such bytes.
func looksUTF8(p []byte) bool {
	multi, bad := 0, 0
	for len(p) > 0 {
		if p[0] < utf8.RuneSelf {
			p = p[1:]
			continue
		}
		r, n := utf8.DecodeRune(p)
		if r == utf8.RuneError && n <= 1 {
			bad++
		} else {
			multi++
		}
		p = p[n:]
	}
	return multi >= bad
}

// hasHigh reports whether p has a byte that is not ASCII.
func hasHigh(p []byte) bool {
	for ; len(p) >= 8; p = p[8:] {
		if binary.LittleEndian.Uint64(p)&0x8080808080808080 != 0 {
			return true
		}
	}
	for _, b := range p {
		if b >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// advance moves the position past p.
func (c *textCheck) advance(p []byte) {
	if len(p) == 0 {
		return
	}
	if c.pendingCR {
		c.pendingCR = false
		if p[0] != '\n' {
			c.lines++
			c.col = 0
		}
	}
	c.off += int64(len(p))
	c.lines += int64(bytes.Count(p, []byte{'\n'}))
	last := bytes.LastIndexByte(p, '\n')
	if c.crLines && bytes.IndexByte(p, '\r') >= 0 {
		for k, b := range p[:len(p)-1] {
			if b == '\r' && p[k+1] != '\n' {
				c.lines++
			}
		}
		last = max(last, bytes.LastIndexByte(p, '\r'))
		c.pendingCR = p[len(p)-1] == '\r'
	}
	if last >= 0 {
		c.col = utf8.RuneCount(p[last+1:])
		c.lineHead = c.lineHead[:0]
	} else {
		c.col += utf8.RuneCount(p)
	}
	c.lineHead = append(c.lineHead, p[last+1+max(0, len(p)-last-1-lineHeadMax):]...)
	if len(c.lineHead) > lineHeadMax {
		c.lineHead = append(c.lineHead[:0], c.lineHead[len(c.lineHead)-lineHeadMax:]...)
	}
}

// lineHeadMax is how much of a line before a bad byte its message shows.
const lineHeadMax = 60

// pos is the line and column of the next byte to check.
func (c *textCheck) pos() (int64, int) {
	line, col := c.lines+1, c.col+1
	if c.pendingCR {
		line, col = line+1, 1
	}
	if c.bom && line == 1 {
		col-- // the readers drop the byte-order mark
	}
	return line, col
}

// encodingError describes p[i], the next byte to check and not UTF-8,
// with what its line (the bytes of it checked, c.lineHead, then p[i:])
// looks like.
func (c *textCheck) encodingError(p []byte, i int) *EncodingError {
	line, col := c.pos()
	end := len(p)
	if k := bytes.IndexAny(p[i:], "\r\n"); k >= 0 {
		end = i + k
	}
	text := append(append([]byte(nil), c.lineHead...), p[i:]...)
	g, _ := guessEncoding(text)
	e := &EncodingError{Offset: c.off, Line: line, Col: col, Byte: p[i], Decompressed: c.decompressed, Encoding: g.name, Why: g.why}
	if g.enc != nil {
		e.Excerpt = excerpt(text[:len(c.lineHead)+min(end-i, 120)], g.enc)
	}
	return e
}

// warnings returns the warning about the bytes that are not UTF-8 passed
// on, counted once per byte.
func (c *textCheck) warnings() map[string]int64 {
	if c.bad == 0 {
		return nil
	}
	e := c.first
	of := ""
	if e.Decompressed {
		of = " of the decompressed text"
	}
	where := fmt.Sprintf("the first, 0x%02x, at byte offset %d%s: line %d, column %d", e.Byte, e.Offset, of, e.Line, e.Col)
	var msg string
	if c.named {
		msg = fmt.Sprintf("bytes that are not UTF-8 (%s) reject the rows that hold them (%s), as --encoding utf-8 is named", where, record.CodeInvalidUTF8)
		if e.Encoding != "" {
			msg += fmt.Sprintf("; they look like %s: if the file is in it, give --encoding %s", describe(e.Encoding), e.Encoding)
		}
	} else {
		msg = fmt.Sprintf("the file is UTF-8 but holds bytes that are not (%s): the rows that hold them are rejected (%s)", where, record.CodeInvalidUTF8)
		if e.Encoding != "" {
			msg += fmt.Sprintf("; those bytes look like %s: if part of the file was written in it, convert that part to UTF-8", describe(e.Encoding))
		}
	}
	return map[string]int64{msg: c.bad}
}

// refuseUTF16 refuses UTF-16 text without a byte-order mark in br, read
// as UTF-8.
func (s *Source) refuseUTF16(br *bufio.Reader) error {
	head, err := br.Peek(4096)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return err
	}
	if g, _ := guessEncoding(head); g.name == "utf-16le" || g.name == "utf-16be" {
		return &EncodingError{Offset: int64(bytes.IndexByte(head, 0)), Line: 1, Decompressed: s.Compression != None,
			Encoding: g.name, Why: g.why, utf16: true}
	}
	return nil
}

// warnNamedButUTF8 warns when the first bytes of br, to be read in the
// named encoding enc, are UTF-8 with characters that are not ASCII: read
// in a single-byte encoding, "Zoë" would become "ZoÃ«" without an error.
func (s *Source) warnNamedButUTF8(name string, enc encoding.Encoding, br *bufio.Reader) {
	head, _ := br.Peek(64 << 10)
	if bytes.HasPrefix(head, []byte{0xff, 0xfe}) || bytes.HasPrefix(head, []byte{0xfe, 0xff}) {
		return // UTF-16, by its byte-order mark
	}
	i := bytes.IndexFunc(head, func(r rune) bool { return r >= utf8.RuneSelf })
	if _, ok := guessEncoding(head); !ok || i < 0 {
		return
	}
	start := max(bytes.LastIndexAny(head[:i], "\r\n")+1, i-30)
	end := len(head)
	if k := bytes.IndexAny(head[i:], "\r\n"); k >= 0 {
		end = i + k
	}
	end = min(end, i+30)
	for end < len(head) && !utf8.RuneStart(head[end]) {
		end++
	}
	as := excerpt(head[start:end], enc)
	if as == string(head[start:end]) {
		return // the same text either way
	}
	if s.warns == nil {
		s.warns = map[string]int64{}
	}
	s.warns[fmt.Sprintf("the file is read as %s (--encoding) but looks like UTF-8: %q reads as %q; if the file is UTF-8, leave --encoding out",
		name, head[start:end], as)]++
}
