package parquet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// Checks made before parquet-go is given a file or a column chunk.
// parquet-go v0.32.0 allocates what a file declares before it checks that
// the bytes are there, and panics on some malformed pages; a corrupt or
// hostile file could make it allocate gigabytes, which no recover()
// catches. Each behaviour has a canary test in upstream_test.go that fails
// once upstream changes it, so that its check here can go:
//
//   - OpenFile allocates the footer length the file's last 8 bytes declare
//     (a 12-byte file: 64 MiB; TestUpstreamFooterLengthTrusted; reported
//     downstream as nao1215/filesql#524);
//   - its Thrift decoder allocates a list's declared length before reading
//     the elements (6 bytes: 1.5 GiB; TestUpstreamThriftListTrusted;
//     nao1215/filesql#526 for page headers);
//   - a page's uncompressed size is allocated as declared
//     (TestUpstreamPageSizeTrusted), and so is the length a snappy block
//     announces (TestUpstreamSnappyLengthTrusted); zstd, gzip and brotli
//     decompress without a bound (TestUpstreamCodecsUnbounded), LZ4 loops
//     on a corrupt page (see shadow.go);
//   - a data page v2 whose level lengths exceed its size makes
//     Column.decodeDataPage slice out of range (a panic;
//     TestUpstreamPanicOnV2Levels; panics on malformed data are
//     parquet-go/parquet-go#537, open), as do other malformed pages the
//     fuzzer finds: NewReader and decodeRowGroup recover them as file
//     errors.
//
// So the reader first reads what the library will read, cheaply, and
// refuses what does not add up:
//
//   - the footer: its length against the file size and the limit, and every
//     list and string length in its Thrift encoding against the bytes left;
//   - every page header of a row group before the row group is decoded: sizes
//     not negative, pages inside their column chunk, levels inside their
//     page, the declared page size against the limit, the value count
//     against the limit, the sum of values against the column chunk's
//     metadata, and (data pages v2) the sum of rows against the row group's;
//   - every compressed page body: the size its codec will produce, read from
//     the codec's own header (snappy, zstd), against the limit. Pages in
//     gzip, brotli and LZ4 are not given to parquet-go compressed at all
//     (see shadow.go).

// ErrLimit is wrapped by errors for a file whose pages or rows exceed
// the reader's limits (a decompression bomb, or a file that needs raising
// a limit).
var ErrLimit = errors.New("over the limit")

// ErrCorrupt is wrapped by errors for a file whose structure does
// not add up.
var ErrCorrupt = errors.New("corrupt Parquet file")

// pqLimits bound what one file may make the reader allocate.
type pqLimits struct {
	footerBytes int64 // the footer (file metadata)
	pageBytes   int64 // one page, decompressed
	pageValues  int64 // values (and levels) of one page
}

// checkFooter validates the end of the file and the footer's encoding. It
// returns the footer and the offset where it starts.
func checkFooter(ra io.ReaderAt, size int64, lim pqLimits) ([]byte, int64, error) {
	if size < 12 {
		return nil, 0, fmt.Errorf("%w: the file is %d bytes, too short to be Parquet (truncated?)", ErrCorrupt, size)
	}
	var tail [8]byte
	if _, err := ra.ReadAt(tail[:], size-8); err != nil {
		return nil, 0, fmt.Errorf("reading the footer: %w", err)
	}
	switch string(tail[4:]) {
	case "PAR1":
	case "PARE":
		return nil, 0, fmt.Errorf("the file is encrypted (Parquet modular encryption with an encrypted footer); decrypt it first")
	default:
		return nil, 0, fmt.Errorf("%w: the file does not end with the Parquet magic bytes: it is truncated or not Parquet", ErrCorrupt)
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n == 0 || n > size-12 {
		return nil, 0, fmt.Errorf("%w: the footer claims %d bytes but the file has %d: it is truncated", ErrCorrupt, n, size)
	}
	if n > lim.footerBytes {
		return nil, 0, fmt.Errorf("%w: the footer is %d bytes, more than the %d-byte limit", ErrLimit, n, lim.footerBytes)
	}
	footer := make([]byte, n)
	if _, err := ra.ReadAt(footer, size-8-n); err != nil {
		return nil, 0, fmt.Errorf("reading the footer: %w", err)
	}
	w := thriftWalker{b: footer}
	if err := w.structure(); err != nil {
		return nil, 0, fmt.Errorf("%w: the footer is not valid metadata (is the file truncated or damaged?): %v", ErrCorrupt, err)
	}
	return footer, size - 8 - n, nil
}

// thriftWalker checks Thrift compact-protocol data without decoding it:
// every length fits in the bytes that remain, nesting is bounded.
type thriftWalker struct {
	b     []byte
	i     int
	depth int
}

var errThriftShort = errors.New("data ends early")

func (w *thriftWalker) byte() (byte, error) {
	if w.i >= len(w.b) {
		return 0, errThriftShort
	}
	c := w.b[w.i]
	w.i++
	return c, nil
}

func (w *thriftWalker) uvarint() (uint64, error) {
	x, n := binary.Uvarint(w.b[w.i:])
	if n == 0 {
		return 0, errThriftShort
	}
	if n < 0 {
		return 0, errors.New("varint overflow")
	}
	w.i += n
	return x, nil
}

func (w *thriftWalker) skip(n uint64) error {
	if n > uint64(len(w.b)-w.i) {
		return errThriftShort
	}
	w.i += int(n)
	return nil
}

func (w *thriftWalker) structure() error {
	w.depth++
	defer func() { w.depth-- }()
	if w.depth > 32 {
		return errors.New("nested too deeply")
	}
	for {
		h, err := w.byte()
		if err != nil {
			return err
		}
		if h == 0 {
			return nil
		}
		if h>>4 == 0 {
			if _, err := w.uvarint(); err != nil { // explicit field id
				return err
			}
		}
		if err := w.value(h&0x0f, true); err != nil {
			return err
		}
	}
}

func (w *thriftWalker) value(t byte, field bool) error {
	switch t {
	case 1, 2: // bool: in a field header; one byte in a container
		if !field {
			return w.skip(1)
		}
		return nil
	case 3:
		return w.skip(1)
	case 4, 5, 6:
		_, err := w.uvarint()
		return err
	case 7:
		return w.skip(8)
	case 8:
		n, err := w.uvarint()
		if err != nil {
			return err
		}
		return w.skip(n)
	case 9, 10:
		h, err := w.byte()
		if err != nil {
			return err
		}
		n := uint64(h >> 4)
		if n == 15 {
			if n, err = w.uvarint(); err != nil {
				return err
			}
		}
		if n > uint64(len(w.b)-w.i) {
			return fmt.Errorf("a list of %d elements in %d bytes", n, len(w.b)-w.i)
		}
		for k := uint64(0); k < n; k++ {
			if err := w.value(h&0x0f, false); err != nil {
				return err
			}
		}
		return nil
	case 11:
		n, err := w.uvarint()
		if err != nil || n == 0 {
			return err
		}
		kv, err := w.byte()
		if err != nil {
			return err
		}
		if 2*n > uint64(len(w.b)-w.i) {
			return fmt.Errorf("a map of %d entries in %d bytes", n, len(w.b)-w.i)
		}
		for k := uint64(0); k < n; k++ {
			if err := w.value(kv>>4, false); err != nil {
				return err
			}
			if err := w.value(kv&0x0f, false); err != nil {
				return err
			}
		}
		return nil
	case 12:
		return w.structure()
	}
	return fmt.Errorf("unknown type %d", t)
}

// chunkScanner pre-reads the page headers of column chunks.
type chunkScanner struct {
	ra       io.ReaderAt
	dataEnd  int64 // where the footer starts
	lim      pqLimits
	buf      []byte
	body     []byte
	protocol thrift.CompactProtocol
}

// pqPage is a page found by the scan.
type pqPage struct {
	at         int64 // the page header
	hdr        *format.PageHeader
	bodyAt     int64
	comp       int64 // bytes of the body in the file
	uncomp     int64 // bytes of the body decompressed
	levels     int64 // data page v2: uncompressed level bytes at the start of the body
	compressed bool  // the body (after the levels) is compressed
}

// scan checks the pages of the column chunk of leaf l and returns them.
// rgRows is the row group's row count. With shadow, the pages will be
// decompressed here (shadow.go), not by parquet-go: their bodies
// are not looked at.
func (s *chunkScanner) scan(md *format.ColumnMetaData, rgRows int64, l *pqLeaf, shadow bool) ([]pqPage, error) {
	flat := l.maxRep == 0
	start := md.DataPageOffset
	if md.DictionaryPageOffset != 0 {
		start = md.DictionaryPageOffset
	}
	end := start + md.TotalCompressedSize
	if md.TotalCompressedSize == 0 && md.NumValues == 0 && rgRows == 0 {
		return nil, nil
	}
	if start < 4 || md.TotalCompressedSize < 0 || end > s.dataEnd || end < start {
		return nil, fmt.Errorf("%w: the column chunk lies at bytes %d-%d, outside the data of the file (%d bytes)", ErrCorrupt, start, end, s.dataEnd)
	}
	if md.NumValues < 0 || flat && md.NumValues != rgRows {
		return nil, fmt.Errorf("%w: the column chunk holds %d values but the row group has %d rows", ErrCorrupt, md.NumValues, rgRows)
	}
	if md.NumValues < rgRows {
		return nil, fmt.Errorf("%w: the column chunk holds %d values, fewer than the row group's %d rows", ErrCorrupt, md.NumValues, rgRows)
	}
	var pages []pqPage
	var values, rows int64
	allV2, page := true, 0
	for pos := start; pos < end; page++ {
		h, hlen, err := s.header(pos, end)
		if err != nil {
			return nil, fmt.Errorf("page %d (byte %d): %w", page, pos, err)
		}
		bodyAt := pos + int64(hlen)
		comp, uncomp := int64(h.CompressedPageSize), int64(h.UncompressedPageSize)
		if comp < 0 || uncomp < 0 || bodyAt+comp > end {
			return nil, fmt.Errorf("%w: page %d (byte %d) declares %d bytes, beyond the end of its column chunk", ErrCorrupt, page, pos, comp)
		}
		if uncomp > s.lim.pageBytes || comp > s.lim.pageBytes {
			return nil, fmt.Errorf("%w: page %d (byte %d) decompresses to %d bytes, more than the %d-byte page limit", ErrLimit, page, pos, max(uncomp, comp), s.lim.pageBytes)
		}
		var nvalues int64
		levels := int64(0) // v2: uncompressed level bytes before the values
		compressed := true
		switch h.Type {
		case format.DataPage:
			if !h.DataPageHeader.Valid {
				return nil, fmt.Errorf("%w: page %d has no data page header", ErrCorrupt, page)
			}
			nvalues = int64(h.DataPageHeader.V.NumValues)
			allV2 = false
		case format.DataPageV2:
			if !h.DataPageHeaderV2.Valid {
				return nil, fmt.Errorf("%w: page %d has no data page header", ErrCorrupt, page)
			}
			v2 := &h.DataPageHeaderV2.V
			nvalues = int64(v2.NumValues)
			if v2.NumRows < 0 || v2.NumNulls < 0 || v2.NumNulls > v2.NumValues || v2.DefinitionLevelsByteLength < 0 || v2.RepetitionLevelsByteLength < 0 {
				return nil, fmt.Errorf("%w: page %d has negative or inconsistent counts", ErrCorrupt, page)
			}
			rows += int64(v2.NumRows)
			levels = int64(v2.DefinitionLevelsByteLength) + int64(v2.RepetitionLevelsByteLength)
			if levels > comp || levels > uncomp {
				return nil, fmt.Errorf("%w: page %d: its levels (%d bytes) do not fit in the page", ErrCorrupt, page, levels)
			}
			if v2.IsCompressed.Valid && !v2.IsCompressed.V {
				compressed = false
			}
		case format.DictionaryPage:
			if !h.DictionaryPageHeader.Valid {
				return nil, fmt.Errorf("%w: page %d has no dictionary page header", ErrCorrupt, page)
			}
			if n := int64(h.DictionaryPageHeader.V.NumValues); n < 0 || n > s.lim.pageValues {
				return nil, fmt.Errorf("%w: the dictionary page declares %d values", ErrLimit, n)
			}
		case format.IndexPage:
		default:
			return nil, fmt.Errorf("%w: page %d has an unknown page type %d", ErrCorrupt, page, h.Type)
		}
		if nvalues < 0 || nvalues > s.lim.pageValues {
			return nil, fmt.Errorf("%w: page %d declares %d values (limit %d)", ErrLimit, page, nvalues, s.lim.pageValues)
		}
		values += nvalues
		compressed = compressed && md.Codec != format.Uncompressed
		if err := checkPageHeader(l, h, page); err != nil {
			return nil, err
		}
		if compressed && !shadow && comp-levels > 0 {
			if err := s.checkBody(md.Codec, bodyAt+levels, comp-levels); err != nil {
				return nil, fmt.Errorf("page %d (byte %d): %w", page, pos, err)
			}
		}
		if !compressed && comp != uncomp {
			return nil, fmt.Errorf("%w: page %d (byte %d) is not compressed but declares %d bytes stored and %d bytes decompressed", ErrCorrupt, page, pos, comp, uncomp)
		}
		pages = append(pages, pqPage{at: pos, hdr: h, bodyAt: bodyAt, comp: comp, uncomp: uncomp, levels: levels, compressed: compressed})
		pos = bodyAt + comp
	}
	if values != md.NumValues {
		return nil, fmt.Errorf("%w: the column chunk's metadata says %d values but its pages hold %d", ErrCorrupt, md.NumValues, values)
	}
	if l.maxDef == 0 && md.Statistics.NullCount > 0 {
		return nil, fmt.Errorf("%w: the column is REQUIRED but its statistics count %d nulls", ErrCorrupt, md.Statistics.NullCount)
	}
	if allV2 && page > 0 && rows != rgRows {
		return nil, fmt.Errorf("%w: the pages hold %d rows but the row group has %d", ErrCorrupt, rows, rgRows)
	}
	return pages, nil
}

// header decodes the page header at pos.
func (s *chunkScanner) header(pos, end int64) (*format.PageHeader, int, error) {
	want := int64(64 << 10)
	for {
		n := min(want, end-pos)
		if int64(cap(s.buf)) < n {
			s.buf = make([]byte, n)
		}
		b := s.buf[:n]
		if _, err := s.ra.ReadAt(b, pos); err != nil && err != io.EOF {
			return nil, 0, fmt.Errorf("reading a page header: %w", err)
		}
		w := thriftWalker{b: b}
		err := w.structure()
		if err == errThriftShort && n < end-pos && want < 16<<20 {
			want *= 8
			continue
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%w: the page header does not decode: %v", ErrCorrupt, err)
		}
		h := new(format.PageHeader)
		if err := thrift.NewDecoder(s.protocol.NewReaderFromBytes(b[:w.i])).Decode(h); err != nil {
			return nil, 0, fmt.Errorf("%w: the page header does not decode: %v", ErrCorrupt, err)
		}
		return h, w.i, nil
	}
}

// checkBody bounds what decompressing the compressed bytes at [at, at+n)
// produces, for the codecs parquet-go decompresses itself (the others go
// through the shadow file, see shadow.go).
func (s *chunkScanner) checkBody(codec format.CompressionCodec, at, n int64) error {
	limit := s.lim.pageBytes
	switch codec {
	case format.Snappy:
		var head [10]byte
		k := min(int64(len(head)), n)
		if _, err := s.ra.ReadAt(head[:k], at); err != nil && err != io.EOF {
			return fmt.Errorf("reading a page: %w", err)
		}
		size, m := binary.Uvarint(head[:k])
		if m <= 0 {
			return fmt.Errorf("%w: a snappy page without a valid length", ErrCorrupt)
		}
		if size > uint64(limit) {
			return fmt.Errorf("%w: a snappy page decompresses to %d bytes, more than the %d-byte page limit", ErrLimit, size, limit)
		}
		return nil
	case format.Zstd:
		if int64(cap(s.body)) < n {
			s.body = make([]byte, n)
		}
		body := s.body[:n]
		if _, err := s.ra.ReadAt(body, at); err != nil && err != io.EOF {
			return fmt.Errorf("reading a page: %w", err)
		}
		bound, err := zstdBound(body, limit)
		if err != nil {
			return err
		}
		if bound > limit {
			return fmt.Errorf("%w: a zstd page may decompress to %d bytes, more than the %d-byte page limit", ErrLimit, bound, limit)
		}
		return nil
	}
	return fmt.Errorf("internal error: pages compressed with %s must be read through the shadow file", codec)
}

// zstdBound returns an upper bound of the size the zstd frames in b
// decompress to, from the frame and block headers alone.
func zstdBound(b []byte, limit int64) (int64, error) {
	var total int64
	bad := func(what string) (int64, error) {
		return 0, fmt.Errorf("%w: a zstd page: %s", ErrCorrupt, what)
	}
	for i := 0; i < len(b); {
		if len(b)-i < 4 {
			return bad("trailing bytes")
		}
		magic := binary.LittleEndian.Uint32(b[i:])
		i += 4
		if magic&0xfffffff0 == 0x184d2a50 { // skippable frame
			if len(b)-i < 4 {
				return bad("short skippable frame")
			}
			n := int(binary.LittleEndian.Uint32(b[i:]))
			i += 4
			if n > len(b)-i {
				return bad("short skippable frame")
			}
			i += n
			continue
		}
		if magic != 0xfd2fb528 {
			return bad("no frame magic")
		}
		if i >= len(b) {
			return bad("short frame header")
		}
		fhd := b[i]
		i++
		fcsFlag := fhd >> 6
		single := fhd&0x20 != 0
		checksum := fhd&0x04 != 0
		dictFlag := fhd & 0x03
		if !single {
			i++ // window descriptor
		}
		i += [4]int{0, 1, 2, 4}[dictFlag]
		fcsLen := [4]int{0, 2, 4, 8}[fcsFlag]
		if fcsFlag == 0 && single {
			fcsLen = 1
		}
		if i+fcsLen > len(b) {
			return bad("short frame header")
		}
		if fcsLen > 0 {
			var fcs uint64
			switch fcsLen {
			case 1:
				fcs = uint64(b[i])
			case 2:
				fcs = uint64(binary.LittleEndian.Uint16(b[i:])) + 256
			case 4:
				fcs = uint64(binary.LittleEndian.Uint32(b[i:]))
			case 8:
				fcs = binary.LittleEndian.Uint64(b[i:])
			}
			if fcs > uint64(limit) {
				return 0, fmt.Errorf("%w: a zstd page declares %d decompressed bytes, more than the %d-byte page limit", ErrLimit, fcs, limit)
			}
		}
		i += fcsLen
		for {
			if len(b)-i < 3 {
				return bad("short block header")
			}
			h := uint32(b[i]) | uint32(b[i+1])<<8 | uint32(b[i+2])<<16
			i += 3
			last := h&1 != 0
			size := int(h >> 3)
			switch (h >> 1) & 3 {
			case 0: // raw
				total += int64(size)
				i += size
			case 1: // RLE: one byte repeated size times
				total += int64(size)
				i++
			case 2: // compressed: at most 128 KiB
				total += 128 << 10
				i += size
			default:
				return bad("reserved block type")
			}
			if i > len(b) {
				return bad("block beyond the page")
			}
			if total > limit {
				return total, nil
			}
			if last {
				break
			}
		}
		if checksum {
			i += 4
		}
		if i > len(b) {
			return bad("short checksum")
		}
	}
	return total, nil
}
