package importer

import (
	"bufio"
	"bytes"
	"compress/bzip2"
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

// Ignored is a file or folder of a directory input left out on purpose.
type Ignored struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Inputs is what ExpandInputs found.
type Inputs struct {
	Files []string
	// Ignored lists what directories held that is not data by convention.
	Ignored []Ignored
}

// Expand is ExpandInputs without the list of ignored files.
func Expand(patterns []string) ([]string, error) {
	in, err := ExpandInputs(patterns)
	if err != nil {
		return nil, err
	}
	return in.Files, nil
}

// ExpandInputs turns paths, globs and directories into a sorted,
// de-duplicated list of files. A directory contributes every file below
// it, whatever its name (its content says what it is when the name does
// not: Spark's extension-less part-00000 is read, a file that is not data
// fails as a file error), except what is not data by convention: hidden
// entries, names starting with "_" (Spark's _SUCCESS, _committed_*,
// Parquet's _metadata, _temporary/) and checksums (.crc); those are listed
// in Ignored with the reason. Files inside a directory come in natural
// order (part-2 before part-10). A glob or path that matches nothing is an
// error.
func ExpandInputs(patterns []string) (*Inputs, error) {
	res := &Inputs{}
	seen := map[string]bool{}
	add := func(p string) {
		if key := filepath.Clean(p); !seen[key] {
			seen[key] = true
			res.Files = append(res.Files, p)
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
			files, ignored, err := walkDir(m)
			if err != nil {
				return nil, err
			}
			if len(files) == 0 {
				return nil, fmt.Errorf("directory %s holds no data files (%d ignored: hidden, _-prefixed or checksum files)", m, len(ignored))
			}
			for _, f := range files {
				add(f)
			}
			res.Ignored = append(res.Ignored, ignored...)
		}
	}
	return res, nil
}

// ignoredReason says why a directory walk leaves an entry out, or "" when
// it is an input.
func ignoredReason(name string, dir bool) string {
	lower := strings.ToLower(name)
	switch {
	case name == "_SUCCESS":
		return "job success marker (Spark/Hadoop)"
	case strings.HasPrefix(name, "_committed_"), strings.HasPrefix(name, "_started_"):
		return "commit marker (Databricks)"
	case name == "_metadata", name == "_common_metadata":
		return "Parquet summary metadata"
	case strings.HasSuffix(lower, ".crc"):
		return "checksum file"
	case strings.HasPrefix(name, "."):
		if dir {
			return "hidden folder"
		}
		return "hidden file"
	case strings.HasPrefix(name, "_"):
		if dir {
			return "folder whose name starts with _ (not data by the Spark/Hadoop convention, e.g. _temporary)"
		}
		return "name starts with _ (not data by the Spark/Hadoop convention)"
	}
	return ""
}

func walkDir(root string) (files []string, ignored []Ignored, err error) {
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("reading directory %s: %w", p, err)
		}
		if p == root {
			return nil
		}
		if why := ignoredReason(d.Name(), d.IsDir()); why != "" {
			ignored = append(ignored, Ignored{Path: p, Reason: why})
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		switch {
		case d.IsDir():
		case !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0:
			ignored = append(ignored, Ignored{Path: p, Reason: "not a regular file (a named pipe, socket or device)"})
		default:
			files = append(files, p)
		}
		return nil
	})
	sortNatural(files)
	return files, ignored, err
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

// Source is an opened input: its detected format and compression and a
// reader of its decompressed bytes. A regular file is watched for changes
// while it is read; a stream (a named pipe, a device, standard input) is
// read once (see Streams).
type Source struct {
	Path        string // the name in messages: the file's path, or a stream's name
	Format      Format
	Compression Compression
	Size        int64 // bytes of a regular file; 0 for a stream

	file    *os.File     // a regular file (random access for Parquet), or nil
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
// Parquet); Close closes r when it is an io.Closer.
func NewSource(name string, r io.Reader, opts Options) (*Source, error) {
	return newSource(name, r, nil, nil, opts.withDefaults())
}

// newSource recognises the compression and format of in (a regular file
// when file is set, watched by watch) and prepares the reader.
func newSource(path string, in io.Reader, file *os.File, watch *watchedFile, opts Options) (*Source, error) {
	closer, _ := in.(io.Closer)
	if closer == nil {
		closer = io.NopCloser(nil)
	}
	s := &Source{Path: path, file: file, watch: watch, in: closer}
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
		return fail(decompressErr(s, perr))
	}
	whole := perr == io.EOF // head is all of the input
	if n := len(head); n > 0 && n <= 4 && whole && (bytes.Equal(head, magicGzip[:1]) || n >= 2 && bytes.HasPrefix(magicZstd, head) || n == 4 && isBzip2(head)) {
		// The whole file is the start of a compression magic number.
		comp := Gzip
		switch head[0] {
		case magicZstd[0]:
			comp = Zstd
		case magicBzip2[0]:
			comp = Bzip2
		}
		return fail(fmt.Errorf("%w (the file is only the first %d bytes of a %s stream)", ErrTruncated, n, comp))
	}
	if what := foreignFormat(head); what != "" {
		return fail(fmt.Errorf("%w: the file is %s", ErrUnrecognised, what))
	}
	var body io.Reader = br
	switch {
	case bytes.HasPrefix(head, magicParquet):
		s.Format = Parquet
		if opts.Format != "" && opts.Format != Parquet {
			return fail(fmt.Errorf("the file is Parquet, not %s", opts.Format))
		}
		if file == nil {
			return fail(errors.New("Parquet needs random access: it cannot be read from a stream (a pipe or standard input); write it to a file first"))
		}
		return s, nil
	case bytes.HasPrefix(head, magicGzip):
		s.Compression = Gzip
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fail(decompressErr(s, err))
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
			return fail(fmt.Errorf("zstd: %w", err))
		}
		s.decomp = zr.IOReadCloser()
		body = zr
	case isBzip2(head):
		s.Compression = Bzip2
		body = bzip2.NewReader(br)
	}
	if s.Compression != None {
		s.async = newAsyncReader(body, 256<<10, 4, ratioGuard(opts.MaxRatio, s.counter))
		body = s.async
	}
	return s.decode(body, opts)
}

// decode sets up the text decoding of body and settles the format.
func (s *Source) decode(body io.Reader, opts Options) (*Source, error) {
	br := bufio.NewReaderSize(body, 64<<10)
	fail := func(err error) (*Source, error) {
		s.Close()
		return nil, &FileError{File: s.Path, Err: err}
	}
	// Text encoding: a UTF-16 byte-order mark, or the named encoding.
	enc, err := textEncoding(opts.Encoding, br)
	if err != nil {
		return fail(err)
	}
	if enc != nil {
		br = bufio.NewReaderSize(transform.NewReader(br, enc.NewDecoder()), 64<<10)
	}
	s.r = br

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
	if errors.Is(err, ErrChanged) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w (%s stream ends early; the file is incomplete)", ErrTruncated, src.Compression)
	}
	if errors.Is(err, zstd.ErrWindowSizeExceeded) {
		return fmt.Errorf("zstd: %w: the file needs more than %d MiB of memory to decompress (written with zstd --long=28 or more?); decompress it first", err, zstdMaxWindow>>20)
	}
	if strings.HasPrefix(err.Error(), string(src.Compression)) {
		return err // "gzip: invalid header", "bzip2 data invalid: …" say it already
	}
	return fmt.Errorf("%s: %w", src.Compression, err)
}
