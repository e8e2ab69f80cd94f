package importer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
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
	None Compression = ""
	Gzip Compression = "gzip"
	Zstd Compression = "zstd"
)

var (
	magicGzip    = []byte{0x1f, 0x8b}
	magicZstd    = []byte{0x28, 0xb5, 0x2f, 0xfd}
	magicParquet = []byte("PAR1")
)

// dataExts are the file name endings a directory walk picks up.
var dataExts = []string{".csv", ".tsv", ".txt", ".ndjson", ".jsonl", ".json", ".parquet", ".pq"}

// Expand turns paths, globs and directories into a sorted, de-duplicated
// list of files. A directory contributes every data file below it (by name
// ending, compressed or not), skipping hidden and underscore-prefixed
// entries such as Spark's _SUCCESS; files inside a directory come in natural
// order (part-2 before part-10). A glob or path that matches nothing is an
// error.
func Expand(patterns []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		if key := filepath.Clean(p); !seen[key] {
			seen[key] = true
			out = append(out, p)
		}
	}
	for _, pat := range patterns {
		if pat == "" {
			continue
		}
		var matches []string
		if strings.ContainsAny(pat, "*?[") {
			m, gerr := filepath.Glob(pat)
			if gerr != nil || len(m) == 0 {
				switch _, err := os.Stat(pat); {
				case err == nil:
					m = []string{pat} // a name with [ or * in it
				case gerr != nil:
					return nil, fmt.Errorf("bad glob %q: %w", pat, gerr)
				default:
					return nil, fmt.Errorf("no file matches %q", pat)
				}
			}
			sortNatural(m)
			matches = m
		} else {
			matches = []string{pat}
		}
		for _, m := range matches {
			st, err := os.Stat(m)
			if err != nil {
				return nil, fmt.Errorf("input %s: %w", m, errors.Unwrap(err))
			}
			if !st.IsDir() {
				add(m)
				continue
			}
			files, err := walkDir(m)
			if err != nil {
				return nil, err
			}
			if len(files) == 0 {
				return nil, fmt.Errorf("directory %s holds no data files (%s, optionally .gz or .zst)", m, strings.Join(dataExts, " "))
			}
			for _, f := range files {
				add(f)
			}
		}
	}
	return out, nil
}

func walkDir(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading directory %s: %w", p, err)
		}
		name := d.Name()
		if p != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
			return nil
		}
		if isDataName(name) {
			files = append(files, p)
		}
		return nil
	})
	sortNatural(files)
	return files, err
}

func isDataName(name string) bool {
	base := strings.ToLower(trimCompressionExt(name))
	for _, e := range dataExts {
		if strings.HasSuffix(base, e) {
			return true
		}
	}
	return false
}

func trimCompressionExt(name string) string {
	lower := strings.ToLower(name)
	for _, e := range []string{".gz", ".gzip", ".zst", ".zstd"} {
		if strings.HasSuffix(lower, e) {
			return name[:len(name)-len(e)]
		}
	}
	return name
}

// sortNatural sorts paths so that runs of digits compare by value.
func sortNatural(s []string) {
	sort.SliceStable(s, func(i, j int) bool { return naturalLess(s[i], s[j]) })
}

func naturalLess(a, b string) bool {
	for len(a) > 0 && len(b) > 0 {
		ca, cb := a[0], b[0]
		if isDigit(ca) && isDigit(cb) {
			na, nb := digitRun(a), digitRun(b)
			ta, tb := strings.TrimLeft(a[:na], "0"), strings.TrimLeft(b[:nb], "0")
			if len(ta) != len(tb) {
				return len(ta) < len(tb)
			}
			if ta != tb {
				return ta < tb
			}
			if na != nb {
				return na < nb
			}
			a, b = a[na:], b[nb:]
			continue
		}
		if ca != cb {
			return ca < cb
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func digitRun(s string) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n
}

// Source is an opened input file: its detected format and compression and
// a reader of its decompressed bytes.
type Source struct {
	Path        string
	Format      Format
	Compression Compression
	Size        int64

	file    *os.File
	counter *countingReader
	decomp  io.Closer
	async   *asyncReader
	r       *bufio.Reader
}

// Offset is the number of bytes of the file read so far.
func (s *Source) Offset() int64 { return s.counter.n.Load() }

// Close releases the file.
func (s *Source) Close() error {
	if s.async != nil {
		s.async.Close()
	}
	if s.decomp != nil {
		s.decomp.Close()
	}
	return s.file.Close()
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
// (falling back to the name), and prepares a reader of its decompressed,
// UTF-8 bytes.
func OpenSource(path string, opts Options) (*Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("input %s: %w", path, errors.Unwrap(err))
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("input %s: %w", path, err)
	}
	s := &Source{Path: path, Size: st.Size(), file: f}
	s.counter = &countingReader{r: f}
	raw := bufio.NewReaderSize(s.counter, 64<<10)
	head, _ := raw.Peek(4)
	if n := len(head); n > 0 && int64(n) == s.Size && (bytes.Equal(head, magicGzip[:1]) || n >= 2 && bytes.HasPrefix(magicZstd, head)) {
		// The whole file is the start of a compression magic number.
		f.Close()
		comp := Gzip
		if head[0] == magicZstd[0] {
			comp = Zstd
		}
		return nil, &FileError{File: path, Err: fmt.Errorf("%w (the file is only the first %d bytes of a %s stream)", ErrTruncated, n, comp)}
	}
	var body io.Reader = raw
	switch {
	case bytes.HasPrefix(head, magicParquet):
		s.Format = Parquet
		if opts.Format != "" && opts.Format != Parquet {
			f.Close()
			return nil, &FileError{File: path, Err: fmt.Errorf("the file is Parquet, not %s", opts.Format)}
		}
		return s, nil
	case bytes.HasPrefix(head, magicGzip):
		s.Compression = Gzip
		zr, err := gzip.NewReader(raw)
		if err != nil {
			f.Close()
			return nil, &FileError{File: path, Err: decompressErr(s, err)}
		}
		s.decomp = zr
		body = zr
	case bytes.HasPrefix(head, magicZstd):
		s.Compression = Zstd
		// The window a frame asks for is allocated up front, so it is
		// bounded like the zstd command's default (--memory=128MB): a
		// 10-byte file must not cost a gigabyte.
		zr, err := zstd.NewReader(raw, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(zstdMaxWindow))
		if err != nil {
			f.Close()
			return nil, &FileError{File: path, Err: fmt.Errorf("zstd: %w", err)}
		}
		s.decomp = zr.IOReadCloser()
		body = zr
	}
	if s.Compression != None {
		s.async = newAsyncReader(body, 256<<10, 4, ratioGuard(opts.MaxRatio, s.counter))
		body = s.async
	}
	br := bufio.NewReaderSize(body, 64<<10)

	// Text encoding: a UTF-16 byte-order mark, or the named encoding.
	enc, err := textEncoding(opts.Encoding, br)
	if err != nil {
		s.Close()
		return nil, &FileError{File: path, Err: err}
	}
	if enc != nil {
		br = bufio.NewReaderSize(transform.NewReader(br, enc.NewDecoder()), 64<<10)
	}
	s.r = br

	s.Format = opts.Format
	if s.Format == "" {
		s.Format = detectFormat(path, br)
	}
	if s.Format == Parquet {
		s.Close()
		if s.Compression == None {
			return nil, &FileError{File: path, Err: errors.New("the file does not start with the Parquet magic bytes PAR1: it is not Parquet (or it is damaged)")}
		}
		return nil, &FileError{File: path, Err: errors.New("Parquet files cannot be read from a compressed stream; decompress it first")}
	}
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

// detectFormat guesses from the name, then from the first bytes.
func detectFormat(path string, br *bufio.Reader) Format {
	name := strings.ToLower(trimCompressionExt(filepath.Base(path)))
	switch {
	case strings.HasSuffix(name, ".ndjson"), strings.HasSuffix(name, ".jsonl"), strings.HasSuffix(name, ".json"):
		return NDJSON
	case strings.HasSuffix(name, ".csv"), strings.HasSuffix(name, ".tsv"):
		return CSV
	case strings.HasSuffix(name, ".parquet"), strings.HasSuffix(name, ".pq"):
		return Parquet
	}
	head, _ := br.Peek(4096)
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	head = bytes.TrimLeft(head, " \t\r\n")
	if len(head) > 0 && (head[0] == '{' || head[0] == '[') {
		return NDJSON
	}
	return CSV
}

// asyncReader decompresses ahead of the consumer in its own goroutine, so
// that decompression and parsing use two cores.
type asyncReader struct {
	guard   func(decoded int64) error
	ch      chan []byte
	free    chan []byte
	done    chan struct{}
	stopped chan struct{}
	cur     []byte
	buf     []byte
	err     error
	errCh   chan error
}

// ErrBomb is wrapped by the error for input that decompresses to far more
// than real exports do.
var ErrBomb = errors.New("the data decompresses to more than the limit allows (a decompression bomb?)")

// ratioGuard returns a check of the decompressed size against the bytes of
// the file read so far: past 1 MiB, more than ratio times (default 1000;
// real CSV and NDJSON compress 5 to 50 times) is refused.
func ratioGuard(ratio int, counter *countingReader) func(decoded int64) error {
	if ratio < 0 {
		return nil
	}
	if ratio == 0 {
		ratio = 1000
	}
	return func(decoded int64) error {
		if read := counter.n.Load(); decoded > 1<<20 && decoded > int64(ratio)*read {
			return fmt.Errorf("%w: %d bytes from %d compressed, more than %d times (raise --max-ratio if the file is right)", ErrBomb, decoded, read, ratio)
		}
		return nil
	}
}

func newAsyncReader(r io.Reader, size, n int, guard func(decoded int64) error) *asyncReader {
	a := &asyncReader{
		guard:   guard,
		ch:      make(chan []byte, n),
		free:    make(chan []byte, n+2),
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
		errCh:   make(chan error, 1),
	}
	for i := 0; i < n+2; i++ {
		a.free <- make([]byte, size)
	}
	go func() {
		defer close(a.stopped)
		var decoded int64
		for {
			var b []byte
			select {
			case b = <-a.free:
			case <-a.done:
				return
			}
			// Fill the block; keep the decompressor's own error (its
			// io.ErrUnexpectedEOF means a truncated stream, which io.ReadFull
			// would confuse with a short last block).
			n := 0
			var err error
			for n < len(b) && err == nil {
				var k int
				k, err = r.Read(b[n:])
				n += k
			}
			decoded += int64(n)
			if err == nil && a.guard != nil {
				if gerr := a.guard(decoded); gerr != nil {
					n, err = 0, gerr
				}
			}
			if n > 0 {
				select {
				case a.ch <- b[:n]:
				case <-a.done:
					return
				}
			}
			if err != nil {
				a.errCh <- err
				close(a.ch)
				return
			}
		}
	}()
	return a
}

func (a *asyncReader) Read(p []byte) (int, error) {
	for len(a.cur) == 0 {
		if a.buf != nil {
			a.free <- a.buf[:cap(a.buf)]
			a.buf = nil
		}
		if a.err != nil {
			return 0, a.err
		}
		b, ok := <-a.ch
		if !ok {
			a.err = <-a.errCh
			return 0, a.err
		}
		a.buf, a.cur = b, b
	}
	n := copy(p, a.cur)
	a.cur = a.cur[n:]
	return n, nil
}

// Close stops the goroutine and waits for it, so that the decompressor can
// be closed safely afterwards.
func (a *asyncReader) Close() {
	select {
	case <-a.done:
	default:
		close(a.done)
	}
	<-a.stopped
}

// Open opens path and returns the reader for its format.
func Open(path string, opts Options) (Reader, *Source, error) {
	opts = opts.withDefaults()
	src, err := OpenSource(path, opts)
	if err != nil {
		return nil, nil, err
	}
	var r Reader
	switch src.Format {
	case CSV:
		r, err = newCSVReader(src, opts)
	case NDJSON:
		r, err = newNDJSONReader(src, opts)
	case Parquet:
		r, err = newParquetReader(src, opts)
	default:
		err = &FileError{File: path, Err: fmt.Errorf("unknown format %q", src.Format)}
	}
	if err != nil {
		src.Close()
		return nil, nil, err
	}
	return r, src, nil
}

// zstdMaxWindow bounds the zstd window (and so the decoder's memory).
const zstdMaxWindow = 128 << 20

// decompressErr turns an error from a decompressor into a clear cause.
func decompressErr(src *Source, err error) error {
	if src.Compression == None {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w (%s stream ends early; the file is incomplete)", ErrTruncated, src.Compression)
	}
	if errors.Is(err, zstd.ErrWindowSizeExceeded) {
		return fmt.Errorf("zstd: %w: the file needs more than %d MiB of memory to decompress (written with zstd --long=28 or more?); decompress it first", err, zstdMaxWindow>>20)
	}
	if strings.HasPrefix(err.Error(), string(src.Compression)+":") {
		return err // "gzip: invalid header" says it already
	}
	return fmt.Errorf("%s: %w", src.Compression, err)
}
