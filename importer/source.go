package importer

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Compression is the compression of an input file, recognised by content.
type Compression string

const (
	None  Compression = ""
	Gzip  Compression = "gzip"
	Zstd  Compression = "zstd"
	Bzip2 Compression = "bzip2"
)

var (
	magicGzip    = []byte{0x1f, 0x8b}
	magicZstd    = []byte{0x28, 0xb5, 0x2f, 0xfd}
	magicParquet = []byte("PAR1")
)

// Source is an opened input: its detected format and compression and a
// reader of its decompressed bytes. A regular file is watched for changes
// while it is read; a stream (a named pipe, a device, standard input) is
// read once (see Streams).
type Source struct {
	Path        string // the name in messages: the file's path, or a stream's name
	Format      Format
	Compression Compression
	Size        int64 // bytes of a regular file; 0 for a stream

	ra      io.ReaderAt // a regular file (random access for Parquet), or nil
	check   *textCheck  // the check of text read as UTF-8, or nil
	warns   map[string]int64
	watch   *watchedFile // the file's change check, or nil
	in      io.Closer    // what Close closes: the file, or the stream's reader
	counter *countingReader
	decomp  io.Closer
	async   *asyncReader
	r       *bufio.Reader
}

// Offset is the number of bytes of the file read so far.
func (s *Source) Offset() int64 { return s.counter.n.Load() }

// Unchanged reports (as an error wrapping ErrChanged) whether a regular
// file changed since it was opened; it is nil for a stream.
func (s *Source) Unchanged() error {
	if s.watch == nil {
		return nil
	}
	return s.watch.unchanged(false)
}

// Close releases the file.
func (s *Source) Close() error {
	if s.async != nil {
		s.async.Close()
	}
	if s.decomp != nil {
		s.decomp.Close()
	}
	if s.in == nil {
		return nil
	}
	return s.in.Close()
}

type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// OpenSource opens path, recognises its compression and format by content
// (the name decides between CSV and NDJSON when it says), and prepares a
// reader of its decompressed, UTF-8 bytes. A path that is not a regular
// file is read as a stream: once, through opts.Streams when set (later
// opens replay it), else directly.
func OpenSource(path string, opts Options) (*Source, error) {
	if opts.Streams != nil {
		rc, ok, err := opts.Streams.lookup(path)
		if err != nil {
			return nil, &FileError{File: path, Err: err}
		}
		if ok {
			return newSource(path, rc, nil, nil, opts)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("input %s: %w", path, errors.Unwrap(err))
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("input %s: %w", path, err)
	}
	if st.IsDir() {
		f.Close()
		return nil, &FileError{File: path, Err: errors.New("is a directory")}
	}
	if !st.Mode().IsRegular() {
		if opts.Streams == nil {
			return newSource(path, f, nil, nil, opts)
		}
		rc, err := opts.Streams.adopt(path, f)
		if err != nil {
			return nil, &FileError{File: path, Err: err}
		}
		return newSource(path, rc, nil, nil, opts)
	}
	return newSource(path, f, f, &watchedFile{f: f, st: st}, opts)
}

// NewSource reads r as an input named name (a stream: read once, never
// Parquet); Close closes r when it is an io.Closer. NewReader then reads
// its rows.
func NewSource(name string, r io.Reader, opts Options) (*Source, error) {
	return newSource(name, r, nil, nil, opts)
}

// newSource recognises the compression and format of in (a regular file
// when ra is set, watched by watch) and prepares the reader.
func newSource(path string, in io.Reader, ra io.ReaderAt, watch *watchedFile, opts Options) (*Source, error) {
	closer, _ := in.(io.Closer)
	if closer == nil {
		closer = io.NopCloser(nil)
	}
	s := &Source{Path: path, ra: ra, watch: watch, in: closer}
	var raw io.Reader = in
	if watch != nil {
		s.Size = watch.st.Size()
		raw = watch
	}
	s.counter = &countingReader{r: raw}
	br := bufio.NewReaderSize(s.counter, 64<<10)
	fail := func(err error) (*Source, error) {
		s.Close()
		return nil, &FileError{File: path, Err: err}
	}
	head, perr := br.Peek(16)
	if perr != nil && perr != io.EOF && perr != bufio.ErrBufferFull {
		return fail(perr)
	}
	if err := refuseHead(head, perr == io.EOF); err != nil {
		return fail(err)
	}
	if bytes.HasPrefix(head, magicParquet) {
		s.Format = Parquet
		switch {
		case opts.Format != "" && opts.Format != Parquet:
			return fail(fmt.Errorf("the file is Parquet, not %s", opts.Format))
		case ra == nil:
			return fail(errors.New("Parquet needs random access: it cannot be read from a stream (a pipe or standard input); write it to a file first"))
		}
		return s, nil
	}
	body, err := s.decompress(br, head, opts)
	if err != nil {
		return fail(err)
	}
	return s.decode(body, opts)
}

// refuseHead refuses an input by its first bytes (all of it when whole):
// the start of a compression magic number alone, or a format this tool
// knows but does not read.
func refuseHead(head []byte, whole bool) error {
	if n := len(head); n > 0 && n <= 4 && whole && (bytes.Equal(head, magicGzip[:1]) || n >= 2 && bytes.HasPrefix(magicZstd, head) || n == 4 && isBzip2(head)) {
		comp := Gzip
		switch head[0] {
		case magicZstd[0]:
			comp = Zstd
		case magicBzip2[0]:
			comp = Bzip2
		}
		return fmt.Errorf("%w (the file is only the first %d bytes of a %s stream)", ErrTruncated, n, comp)
	}
	if what := foreignFormat(head); what != "" {
		return fmt.Errorf("%w: the file is %s", ErrUnrecognised, what)
	}
	return nil
}

// decompress recognises the compression of br by its first bytes (head)
// and returns a reader of the decompressed bytes: br itself when it is
// not compressed, else a decompressor running ahead in its own goroutine,
// bounded by the ratio guard, whose errors say what went wrong (see
// decompressErr).
func (s *Source) decompress(br *bufio.Reader, head []byte, opts Options) (io.Reader, error) {
	var body io.Reader
	switch {
	case bytes.HasPrefix(head, magicGzip):
		s.Compression = Gzip
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, decompressErr(s.Compression, err)
		}
		s.decomp = zr
		body = zr
	case bytes.HasPrefix(head, magicZstd):
		s.Compression = Zstd
		// The window a frame asks for is allocated up front, so it is
		// bounded like the zstd command's default (--memory=128MB): a
		// 10-byte file must not cost a gigabyte.
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(zstdMaxWindow))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		s.decomp = zr.IOReadCloser()
		body = zr
	case isBzip2(head):
		s.Compression = Bzip2
		body = bzip2.NewReader(br)
	default:
		return br, nil
	}
	s.async = newAsyncReader(body, 256<<10, 4, ratioGuard(opts.MaxRatio, s.counter))
	return &decompressErrors{r: s.async, comp: s.Compression}, nil
}

// decode sets up the text decoding of body and settles the format.
func (s *Source) decode(body io.Reader, opts Options) (*Source, error) {
	br := bufio.NewReaderSize(body, 64<<10)
	fail := func(err error) (*Source, error) {
		s.Close()
		return nil, fileError(s.Path, 0, err)
	}
	// Text encoding: a UTF-16 byte-order mark, or the named encoding.
	enc, err := textEncoding(opts.Encoding, br)
	if err != nil {
		return fail(err)
	}
	if enc != nil {
		s.warnNamedButUTF8(opts.Encoding, enc, br)
		br = bufio.NewReaderSize(transform.NewReader(br, enc.NewDecoder()), 64<<10)
	} else if err := s.refuseUTF16(br); err != nil {
		return fail(err)
	}

	s.Format = opts.Format
	if s.Format == "" {
		if s.Format, err = detectFormat(s.Path, br, enc != nil); err != nil {
			if s.Compression != None {
				err = fmt.Errorf("%w (inside its %s compression)", err, s.Compression)
			}
			return fail(err)
		}
	}
	if s.Format == Parquet {
		if s.Compression == None {
			return fail(errors.New("the file does not start with the Parquet magic bytes PAR1: it is not Parquet (or it is damaged)"))
		}
		return fail(errors.New("Parquet files cannot be read from a compressed stream; decompress it first"))
	}
	if enc == nil {
		s.check = newTextCheck(br, opts.Encoding == "", s.Format == CSV, s.Compression != None)
		br = bufio.NewReaderSize(s.check, 64<<10)
	}
	s.r = br
	return s, nil
}

func textEncoding(name string, br *bufio.Reader) (encoding.Encoding, error) {
	head, _ := br.Peek(2)
	bomLE := len(head) == 2 && head[0] == 0xff && head[1] == 0xfe
	bomBE := len(head) == 2 && head[0] == 0xfe && head[1] == 0xff
	n := strings.ToLower(strings.TrimSpace(name))
	switch {
	case bomLE || bomBE:
		return unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM), nil
	case n == "" || n == "utf-8" || n == "utf8":
		return nil, nil
	case n == "utf-16" || n == "utf16":
		return unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), nil
	case n == "utf-16le":
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), nil
	case n == "utf-16be":
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), nil
	}
	enc, err := htmlindex.Get(n)
	if err != nil {
		return nil, fmt.Errorf("unknown encoding %q (try utf-8, latin1, windows-1252, iso-8859-15, utf-16)", name)
	}
	return enc, nil
}

// detectFormat takes the format from the name when it says (.csv, .tsv,
// .ndjson, .jsonl, .json, .parquet, .pq, compressed or not), else from the
// first bytes: Parquet's magic, a JSON object or array, or other text (CSV).
// Content that is none of these (binary data) is an error: a file whose
// name does not say what it is is read only when its content does.
func detectFormat(path string, br *bufio.Reader, encoded bool) (Format, error) {
	name := strings.ToLower(trimCompressionExt(filepath.Base(path)))
	switch {
	case strings.HasSuffix(name, ".ndjson"), strings.HasSuffix(name, ".jsonl"), strings.HasSuffix(name, ".json"):
		return NDJSON, nil
	case strings.HasSuffix(name, ".csv"), strings.HasSuffix(name, ".tsv"):
		return CSV, nil
	case strings.HasSuffix(name, ".parquet"), strings.HasSuffix(name, ".pq"):
		return Parquet, nil
	}
	head, err := br.Peek(4096)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return "", err
	}
	if bytes.HasPrefix(head, magicParquet) {
		return Parquet, nil
	}
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	if why := notText(head, encoded); why != "" {
		return "", fmt.Errorf("%w: %s, and not Parquet, gzip, zstd or bzip2", ErrUnrecognised, why)
	}
	head = bytes.TrimLeft(head, " \t\r\n")
	if len(head) > 0 && (head[0] == '{' || head[0] == '[') {
		return NDJSON, nil
	}
	return CSV, nil
}

func trimCompressionExt(name string) string {
	lower := strings.ToLower(name)
	for _, e := range []string{".gz", ".gzip", ".zst", ".zstd", ".bz2", ".bzip2"} {
		if strings.HasSuffix(lower, e) {
			return name[:len(name)-len(e)]
		}
	}
	return name
}
