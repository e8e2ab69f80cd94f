package parquet

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
	"github.com/pierrec/lz4/v4"
)

// The shadow file: pages decompressed here, not by parquet-go, because of
// what parquet-go v0.32.0 does with them (each has a canary test in
// upstream_test.go that fails once upstream changes it):
//
//   - LZ4_RAW: Column.decompress keeps its pooled buffer when the codec
//     hands back a reallocated one of the page's size, and the LZ4 codec
//     reallocates whenever a page compresses less than 3:1: the page reads
//     as zeros (empty strings, zero numbers) or fails to decode
//     (apache/parquet-testing's lz4_raw_compressed_larger.parquet reads as
//     10,000 empty strings). parquet-go/parquet-go#608, fixed by #609 (open).
//     Its compress/lz4 Decode also doubles its buffer for ever on a corrupt
//     page (any UncompressBlock error is taken for a short buffer), until
//     the process runs out of memory (no upstream issue found;
//     TestUpstreamLZ4CorruptPageLoops).
//   - GZIP and BROTLI: the codecs decompress until the stream ends, however
//     much more than the page's declared size that is (compress.Decompressor
//     grows its buffer without a bound), so one small page can allocate
//     gigabytes; and, unlike snappy and zstd, nothing in their headers says
//     the size beforehand (no upstream issue found;
//     TestUpstreamCodecsUnbounded).
//   - Columns whose codec changes between row groups (files merged by a
//     tool): parquet-go decompresses every row group with the codec of the
//     column's first chunk (column.go, "Pick the encoding and compression
//     codec of the first chunk", since segmentio/parquet-go#143); the
//     others fail to decode or read wrong (TestUpstreamCodecOfFirstRowGroup).
//
// So files with gzip, brotli or LZ4_RAW pages, or whose columns change
// codec between row groups, are given to parquet-go as a "shadow": a
// virtual file in which every page is stored uncompressed. Its footer is
// the original with codec UNCOMPRESSED and the offsets of the virtual
// layout; its page headers are the originals with the compressed size set
// to the decompressed size (and no CRC). Page bodies are decompressed here,
// on demand, when parquet-go reads them, each exactly to the size its header
// declares (checked against the page limit when the file is opened), so no
// page can decompress to more than it says.

type shadowSeg struct {
	at   int64 // virtual offset
	size int64
	hdr  []byte  // a rewritten page header, or nil for a page body
	page *pqPage // the page whose body this is
	key  shadowKey
}

type shadowKey struct{ rg, leaf int }

type shadowFile struct {
	orig   io.ReaderAt
	size   int64
	segs   []shadowSeg
	codec  map[shadowKey]format.CompressionCodec
	tail   []byte // footer, its length and the magic bytes
	tailAt int64
	limit  int64

	mu    sync.Mutex
	cache map[shadowKey]*shadowPage // the last decompressed page of each column chunk
	zstd  *zstd.Decoder
}

type shadowPage struct {
	page *pqPage
	data []byte
}

// needsShadow reports whether the file must be read through a shadow.
func needsShadow(m *format.FileMetaData) bool {
	for g := range m.RowGroups {
		for j := range m.RowGroups[g].Columns {
			c := m.RowGroups[g].Columns[j].MetaData.Codec
			switch c {
			case format.Gzip, format.Brotli, format.Lz4Raw:
				return true
			}
			if g > 0 && c != m.RowGroups[0].Columns[j].MetaData.Codec {
				return true
			}
		}
	}
	return false
}

// newShadow scans every page of the file and lays out the virtual file.
// meta is a private copy of the footer, rewritten in place.
func newShadow(ra io.ReaderAt, meta *format.FileMetaData, leaves []*pqLeaf, dataEnd int64, lim pqLimits) (*shadowFile, error) {
	s := &shadowFile{orig: ra, limit: lim.pageBytes, cache: map[shadowKey]*shadowPage{}, codec: map[shadowKey]format.CompressionCodec{}}
	scan := &chunkScanner{ra: ra, dataEnd: dataEnd, lim: lim}
	var proto thrift.CompactProtocol
	at := int64(4)
	for g := range meta.RowGroups {
		rg := &meta.RowGroups[g]
		rgStart := at
		for j := range rg.Columns {
			if j >= len(leaves) {
				return nil, fmt.Errorf("%w: row group %d has more column chunks than the schema has columns", ErrCorrupt, g)
			}
			md := &rg.Columns[j].MetaData
			key := shadowKey{g, j}
			pages, err := scan.scan(md, rg.NumRows, leaves[j], true)
			if err != nil {
				return nil, &Error{RowGroup: g, Column: joinPath(md.PathInSchema), Err: err}
			}
			s.codec[key] = md.Codec
			chunkStart := at
			dataAt := int64(-1)
			for i := range pages {
				p := &pages[i]
				if p.at == md.DataPageOffset {
					dataAt = at
				}
				h := *p.hdr
				h.CompressedPageSize = h.UncompressedPageSize
				h.CRC = 0
				if h.DataPageHeaderV2.Valid {
					h.DataPageHeaderV2.V.IsCompressed = thrift.New(false)
				}
				hb, err := thrift.Marshal(&proto, &h)
				if err != nil {
					return nil, fmt.Errorf("rewriting a page header: %w", err)
				}
				s.segs = append(s.segs, shadowSeg{at: at, size: int64(len(hb)), hdr: hb})
				at += int64(len(hb))
				s.segs = append(s.segs, shadowSeg{at: at, size: p.uncomp, page: p, key: key})
				at += p.uncomp
			}
			if dataAt < 0 {
				dataAt = chunkStart
			}
			if md.DictionaryPageOffset != 0 {
				md.DictionaryPageOffset = chunkStart
			}
			md.DataPageOffset = dataAt
			md.Codec = format.Uncompressed
			md.TotalCompressedSize = at - chunkStart
			md.TotalUncompressedSize = at - chunkStart
			md.IndexPageOffset = 0
			md.BloomFilterOffset = 0
			md.BloomFilterLength = 0
			c := &rg.Columns[j]
			c.FileOffset = chunkStart
			c.ColumnIndexOffset, c.ColumnIndexLength = 0, 0
			c.OffsetIndexOffset, c.OffsetIndexLength = 0, 0
		}
		rg.FileOffset = rgStart
		rg.TotalCompressedSize = at - rgStart
	}
	footer, err := thrift.Marshal(&proto, meta)
	if err != nil {
		return nil, fmt.Errorf("rewriting the footer: %w", err)
	}
	s.tailAt = at
	s.tail = binary.LittleEndian.AppendUint32(footer, uint32(len(footer)))
	s.tail = append(s.tail, "PAR1"...)
	s.size = at + int64(len(s.tail))
	return s, nil
}

func joinPath(p []string) string {
	var b bytes.Buffer
	for i, s := range p {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

// ReadAt serves the virtual file.
func (s *shadowFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("shadow file: negative offset %d", off)
	}
	n := 0
	for n < len(p) {
		pos := off + int64(n)
		switch {
		case pos >= s.size:
			return n, io.EOF
		case pos < 4:
			n += copy(p[n:], "PAR1"[pos:])
			continue
		case pos >= s.tailAt:
			n += copy(p[n:], s.tail[pos-s.tailAt:])
			continue
		}
		i := sort.Search(len(s.segs), func(i int) bool { return s.segs[i].at+s.segs[i].size > pos })
		if i >= len(s.segs) {
			return n, io.EOF
		}
		seg := &s.segs[i]
		in := pos - seg.at
		if seg.hdr != nil {
			n += copy(p[n:], seg.hdr[in:])
			continue
		}
		data, err := s.body(seg)
		if err != nil {
			return n, err
		}
		n += copy(p[n:], data[in:])
	}
	return n, nil
}

// body returns the decompressed body of a page, from the cache or freshly.
func (s *shadowFile) body(seg *shadowSeg) ([]byte, error) {
	s.mu.Lock()
	if c := s.cache[seg.key]; c != nil && c.page == seg.page {
		s.mu.Unlock()
		return c.data, nil
	}
	s.mu.Unlock()
	data, err := s.decompress(seg.page, s.codec[seg.key])
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.cache[seg.key] = &shadowPage{page: seg.page, data: data}
	s.mu.Unlock()
	return data, nil
}

// forget drops the cached pages of a row group.
func (s *shadowFile) forget(rg int) {
	s.mu.Lock()
	for k := range s.cache {
		if k.rg == rg {
			delete(s.cache, k)
		}
	}
	s.mu.Unlock()
}

func (s *shadowFile) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.zstd != nil {
		s.zstd.Close()
		s.zstd = nil
	}
	s.cache = map[shadowKey]*shadowPage{}
}

// decompress reads a page body and decompresses it to exactly the size its
// header declares.
func (s *shadowFile) decompress(p *pqPage, codec format.CompressionCodec) ([]byte, error) {
	raw := make([]byte, p.comp)
	if _, err := s.orig.ReadAt(raw, p.bodyAt); err != nil && !(err == io.EOF && len(raw) == 0) {
		return nil, fmt.Errorf("reading a page at byte %d: %w", p.bodyAt, err)
	}
	if !p.compressed {
		return raw, nil
	}
	out := make([]byte, p.uncomp)
	copy(out, raw[:p.levels])
	src, dst := raw[p.levels:], out[p.levels:]
	want := int64(len(dst))
	bad := func(got int64, err error) error {
		if err != nil {
			return fmt.Errorf("%w: the %s page at byte %d does not decompress: %v", ErrCorrupt, codec, p.at, err)
		}
		return fmt.Errorf("%w: the %s page at byte %d decompresses to %d bytes, its header says %d", ErrCorrupt, codec, p.at, got, want)
	}
	switch codec {
	case format.Lz4Raw:
		got, err := lz4.UncompressBlock(src, dst)
		if err != nil || int64(got) != want {
			return nil, bad(int64(got), err)
		}
	case format.Snappy:
		n, err := snappy.DecodedLen(src)
		if err != nil || int64(n) != want {
			return nil, bad(int64(n), err)
		}
		if _, err := snappy.Decode(dst, src); err != nil {
			return nil, bad(0, err)
		}
	case format.Zstd:
		s.mu.Lock()
		if s.zstd == nil {
			d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(uint64(s.limit)))
			if err != nil {
				s.mu.Unlock()
				return nil, err
			}
			s.zstd = d
		}
		d := s.zstd
		s.mu.Unlock()
		got, err := d.DecodeAll(src, dst[:0])
		if err != nil || int64(len(got)) != want {
			return nil, bad(int64(len(got)), err)
		}
		if want > 0 && &got[0] != &dst[0] {
			copy(dst, got)
		}
	case format.Gzip, format.Brotli:
		var r io.Reader
		if codec == format.Gzip {
			zr, err := gzip.NewReader(bytes.NewReader(src))
			if err != nil {
				return nil, bad(0, err)
			}
			defer zr.Close()
			r = zr
		} else {
			r = brotli.NewReader(bytes.NewReader(src))
		}
		got, err := io.ReadFull(r, dst)
		if err != nil {
			return nil, bad(int64(got), err)
		}
		var one [1]byte
		if k, _ := r.Read(one[:]); k > 0 {
			return nil, bad(want+1, nil)
		}
	case format.Uncompressed:
		copy(dst, src)
	default:
		return nil, fmt.Errorf("the compression codec %s is not supported", codec)
	}
	return out, nil
}
