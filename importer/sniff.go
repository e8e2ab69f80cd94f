package importer

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"
)

// ErrUnrecognised is wrapped by the error for a file that is none of the
// formats read (CSV, NDJSON, Parquet; plain, gzip, zstd or bzip2).
var ErrUnrecognised = errors.New("not a file this tool reads")

var (
	magicBzip2      = []byte("BZh")
	bzip2BlockMagic = []byte{0x31, 0x41, 0x59, 0x26, 0x53, 0x59} // a block
	bzip2EndMagic   = []byte{0x17, 0x72, 0x45, 0x38, 0x50, 0x90} // an empty stream
)

// isBzip2 reports whether head starts a bzip2 stream: "BZh", the block
// size 1-9, then the magic of a block or of the end of the stream (so that
// a CSV file whose header starts with "BZh1" stays CSV).
func isBzip2(head []byte) bool {
	if len(head) < 4 || !bytes.HasPrefix(head, magicBzip2) || head[3] < '1' || head[3] > '9' {
		return false
	}
	rest := head[4:]
	if len(rest) >= 6 {
		return bytes.Equal(rest[:6], bzip2BlockMagic) || bytes.Equal(rest[:6], bzip2EndMagic)
	}
	return bytes.HasPrefix(bzip2BlockMagic, rest) || bytes.HasPrefix(bzip2EndMagic, rest)
}

// foreignMagic names formats that are recognised by their first bytes but
// not read, with what to do. The magic numbers are long enough that no CSV
// or NDJSON file starts with them.
var foreignMagic = []struct {
	magic []byte
	what  string
}{
	{[]byte{0xfd, '7', 'z', 'X', 'Z', 0}, "xz-compressed (decompress it first: xz -d, or export with gzip, zstd or bzip2)"},
	{[]byte{0x04, 0x22, 0x4d, 0x18}, "lz4-compressed (decompress it first: lz4 -d, or export with gzip, zstd or bzip2)"},
	{[]byte{0x02, 0x21, 0x4c, 0x18}, "lz4-compressed, legacy format (decompress it first: lz4 -d)"},
	{[]byte{0xff, 0x06, 0, 0, 's', 'N', 'a', 'P', 'p', 'Y'}, "snappy-compressed (framed; decompress it first)"},
	{[]byte("PK\x03\x04"), "a zip archive (or an Excel/OpenDocument file): unzip it, or export CSV"},
	{[]byte("PK\x05\x06"), "an empty zip archive"},
	{[]byte{'7', 'z', 0xbc, 0xaf, 0x27, 0x1c}, "a 7-Zip archive: extract it first"},
	{[]byte("Rar!\x1a\x07"), "a RAR archive: extract it first"},
	{[]byte("LZIP"), "lzip-compressed (decompress it first: lzip -d)"},
	{[]byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}, "an old Excel (.xls) or other OLE2 document: export it as CSV"},
	{[]byte("Obj\x01"), "an Avro file (not read: export as Parquet, CSV or NDJSON)"},
	{[]byte("ARROW1"), "an Arrow IPC file (not read: export as Parquet, CSV or NDJSON)"},
}

// foreignFormat names the format of a file that starts with a magic number
// this tool knows but does not read, or returns "".
func foreignFormat(head []byte) string {
	for _, f := range foreignMagic {
		if bytes.HasPrefix(head, f.magic) {
			return f.what
		}
	}
	return ""
}

// weakMagic names formats whose first bytes could begin a text file too;
// they are named only for content that is not text.
var weakMagic = []struct {
	magic []byte
	what  string
}{
	{[]byte{0x1f, 0x9d}, "compressed with Unix compress (.Z; decompress it first: uncompress)"},
	{[]byte{0x1f, 0xa0}, "compressed with LZH (decompress it first)"},
	{[]byte("ORC"), "an ORC file (not read: export as Parquet, CSV or NDJSON)"},
}

// notText says why head (a file's first bytes, decoded) is not CSV or
// NDJSON text, or returns "" when it may be: no NUL byte, few control
// characters, and, unless an encoding is named, mostly valid UTF-8.
func notText(head []byte, encodingNamed bool) string {
	for _, f := range weakMagic {
		if bytes.HasPrefix(head, f.magic) && len(head) > len(f.magic) {
			return f.what
		}
	}
	if i := bytes.IndexByte(head, 0); i >= 0 {
		hint := ""
		if looksUTF16(head) {
			hint = "; if it is UTF-16 text without a byte-order mark, name it with --encoding utf-16le or utf-16be"
		}
		return fmt.Sprintf("binary content (a NUL byte at offset %d)%s", i, hint)
	}
	ctrl := 0
	for _, c := range head {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' || c == 0x7f {
			ctrl++
		}
	}
	if ctrl*32 > len(head) {
		return fmt.Sprintf("binary content (%d control characters in its first %d bytes)", ctrl, len(head))
	}
	if !encodingNamed {
		bad := 0
		for b := head; len(b) > 0; {
			r, n := utf8.DecodeRune(b)
			if r == utf8.RuneError && n == 1 && (len(b) >= utf8.UTFMax || utf8.FullRune(b)) {
				bad++
			}
			b = b[n:]
		}
		if g, _ := guessEncoding(head); bad*10 > len(head) && g.name == "" {
			return fmt.Sprintf("binary content (%d of its first %d bytes are not UTF-8; if it is text in another encoding, name it with --encoding)", bad, len(head))
		}
	}
	return ""
}

// looksUTF16 reports whether head has NUL bytes at every other position,
// as ASCII text in UTF-16 does.
func looksUTF16(head []byte) bool {
	n := min(len(head), 64) &^ 1
	if n < 4 {
		return false
	}
	var nul [2]int
	for i := 0; i < n; i++ {
		if head[i] == 0 {
			nul[i&1]++
		}
	}
	return nul[0] == n/2 && nul[1] == 0 || nul[1] == n/2 && nul[0] == 0
}
