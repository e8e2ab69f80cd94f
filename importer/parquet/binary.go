package parquet

import (
	"fmt"
	"io"
	"maps"
	"unicode/utf8"

	parquetgo "github.com/parquet-go/parquet-go"
)

// Byte columns without a text annotation. Old Impala and Hive exports
// write their strings as plain BYTE_ARRAY; read as bytes they come out as
// base64. With Options.BinaryAsString (binary_as_string: true in the
// mapping, Spark's binaryAsString) every such column is text: a value that
// is not UTF-8 rejects its row. Without it a column is text when every
// value it holds in the file is valid UTF-8 (decided before the first row,
// by reading that column once; a warning names the column; control
// characters other than tab and line ends count as not text), and base64
// otherwise: one file's column never mixes the two. FIXED_LEN_BYTE_ARRAY,
// BSON, geometries and the columns of a VARIANT stay as they are.

// binaryText applies Options.BinaryAsString to the schema, or marks the
// columns to decide.
func (s *pqSchema) binaryText(asString bool) {
	for _, l := range s.leaves {
		if !l.plainBinary || l.inVariant {
			continue
		}
		if asString {
			l.conv = convString
			l.desc = "string (binary_as_string)"
		} else {
			l.autoText = true
			l.desc = "string if every value in the file is UTF-8, else base64"
		}
	}
}

// decideBinaryText reads the undecided byte columns that are decoded and
// makes those whose values are all UTF-8 text. It runs before the
// decoding goroutines start.
func (r *Reader) decideBinaryText() {
	for j, l := range r.sch.leaves {
		if !l.autoText || !r.wantLeaf[j] {
			continue
		}
		l.autoText = false
		if text, any := r.allUTF8(j); text && any {
			l.conv = convString
			r.addWarning(fmt.Sprintf("column %q: bytes without a text annotation read as text, every value being UTF-8 (binary_as_string: true in the mapping says so)", l.path), 1)
		}
	}
}

// allUTF8 reports whether every value of leaf j looks like text, and
// whether it has any value. A column that cannot be read is not text (its
// decoding reports why).
func (r *Reader) allUTF8(j int) (text, any bool) {
	defer func() {
		if recover() != nil {
			text = false
		}
	}()
	scan := &chunkScanner{ra: r.ra, dataEnd: r.dataEnd, lim: r.lim}
	buf := make([]parquetgo.Value, 256)
	l := r.sch.leaves[j]
	for g := range r.meta.RowGroups {
		rg := &r.meta.RowGroups[g]
		if _, err := scan.scan(&rg.Columns[j].MetaData, rg.NumRows, l, r.shadow != nil); err != nil {
			return false, any
		}
		pages := r.file.RowGroups()[g].ColumnChunks()[j].Pages()
		ok := readPagesUTF8(pages, buf, &any)
		pages.Close()
		if r.shadow != nil {
			r.shadow.forget(g)
		}
		if !ok {
			return false, any
		}
	}
	return true, any
}

// readPagesUTF8 reads pages to the end: false at the first value that is
// not UTF-8, or an error.
func readPagesUTF8(pages parquetgo.Pages, buf []parquetgo.Value, any *bool) bool {
	for {
		p, err := pages.ReadPage()
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
		ok := pageUTF8(p, buf, any)
		parquetgo.Release(p)
		if !ok {
			return false
		}
	}
}

func pageUTF8(p parquetgo.Page, buf []parquetgo.Value, any *bool) bool {
	if p.NumValues() > p.NumNulls() {
		*any = true
	}
	if d := p.Dictionary(); d != nil {
		ok := true
		for i := 0; i < d.Len() && ok; i++ {
			ok = looksLikeText(d.Index(int32(i)).ByteArray())
		}
		if ok {
			return true
		}
	}
	vr := p.Values()
	for {
		n, err := vr.ReadValues(buf)
		for _, v := range buf[:n] {
			if !v.IsNull() && !looksLikeText(v.ByteArray()) {
				return false
			}
		}
		if err == io.EOF {
			return true
		}
		if err != nil || n == 0 {
			return false
		}
	}
}

// looksLikeText reports whether b is valid UTF-8 without control
// characters other than tab, line feed and carriage return: bytes such as
// 00 01 02 are valid UTF-8 but not text.
func looksLikeText(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return utf8.Valid(b)
}

// addWarning counts a warning about the file.
func (r *Reader) addWarning(msg string, n int64) {
	r.warnMu.Lock()
	defer r.warnMu.Unlock()
	if r.warns == nil {
		r.warns = map[string]int64{}
	}
	r.warns[msg] += n
}

// takeWarnings moves a decoding goroutine's warnings to the reader.
func (r *Reader) takeWarnings(d *pqDecoder) {
	for msg, n := range d.warns {
		r.addWarning(msg, n)
	}
	clear(d.warns)
}

// Warnings implements Warner: the columns read as text without saying so,
// the map entries dropped for a repeated key.
func (r *Reader) Warnings() map[string]int64 {
	r.warnMu.Lock()
	defer r.warnMu.Unlock()
	return maps.Clone(r.warns)
}
