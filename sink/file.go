package sink

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/groupimport/groupimport/internal/atomicfile"
)

// Compression of output files.
const (
	CompressNone = ""
	CompressGzip = "gzip"
	CompressZstd = "zstd"
)

// FileOptions configure a FileSink. The zero value (plus Dir) writes
// uncompressed parts of up to 256 MiB.
type FileOptions struct {
	Dir string
	// Prefix of part names (default "payloads").
	Prefix string
	// Compression is "", "gzip" or "zstd".
	Compression string
	// PartBytes bounds a part's size on disk (default 256 MiB); a part is
	// closed before the payload that would take it over (a payload larger
	// than PartBytes gets a part of its own).
	PartBytes int64
	// Overwrite allows a directory that holds parts of an earlier run;
	// those parts are removed first (only files named as this tool names
	// its parts), with the files of Replaces.
	Overwrite bool
	// Replaces are the other files this run writes into Dir (its report,
	// rejects, review): with Overwrite an earlier run's copies are
	// removed at the start, so that a run that does not finish leaves no
	// report of the earlier one beside its own parts.
	Replaces []string
}

// FileSink writes NDJSON parts: each is written under a hidden temporary
// name and renamed to payloads-NNNNN.ndjson[.gz|.zst] once complete and
// synced, so a reader of the directory never sees a partial part.
type FileSink struct {
	opts  FileOptions
	ext   string
	part  int
	f     *atomicfile.File // the part being written
	size  int64
	stats Stats
	// messages per finished part, and in the part being written
	partMsgs []int64
	curMsgs  int64

	zenc  *zstd.Encoder
	gzips sync.Pool
	lock  *DirLock
	split []byte // a run of payloads compressed on its own (writeSplit)
}

// NewFileSink prepares dir (creating it) and checks it holds no other
// run's parts.
func NewFileSink(opts FileOptions) (*FileSink, error) {
	if opts.Prefix == "" {
		opts.Prefix = "payloads"
	}
	if opts.PartBytes <= 0 {
		opts.PartBytes = 256 << 20
	}
	s := &FileSink{opts: opts, ext: ".ndjson"}
	switch opts.Compression {
	case CompressNone:
	case CompressGzip:
		s.ext += ".gz"
		s.gzips.New = func() any {
			w, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
			return w
		}
	case CompressZstd:
		s.ext += ".zst"
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)),
			zstd.WithEncoderCRC(true), zstd.WithLowerEncoderMem(true))
		if err != nil {
			return nil, err
		}
		s.zenc = enc
	default:
		return nil, fmt.Errorf("unknown compression %q (gzip or zstd)", opts.Compression)
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	// Locked before anything in it is looked at: another run's part being
	// written is not an earlier run's part to remove.
	lock, err := LockOutputDir(opts.Dir)
	if err != nil {
		return nil, err
	}
	if err := s.claim(); err != nil {
		lock.Release()
		return nil, err
	}
	s.lock = lock
	s.stats.Destination = opts.Dir
	return s, nil
}

// claim checks that the directory holds no other run's parts, or removes
// an earlier run's with Overwrite.
func (s *FileSink) claim() error {
	old, err := s.existingParts()
	if err != nil {
		return err
	}
	if len(old) > 0 && !s.opts.Overwrite {
		return fmt.Errorf("%w: %s holds %d part files (%s…); choose another --out or pass --overwrite to replace them",
			ErrOutputInUse, s.opts.Dir, len(old), filepath.Base(old[0]))
	}
	if s.opts.Overwrite {
		return s.removeEarlierRun(old)
	}
	return nil
}

// Release lets go of the output directory's lock (and removes the lock
// file): call it once the run has written everything into the directory
// (the report included). A run killed before leaves the lock file, empty
// and harmless: the lock itself dies with the process.
func (s *FileSink) Release() {
	if s.lock != nil {
		s.lock.Release()
		s.lock = nil
	}
}

// Prepare compresses the chunk as an independent zstd frame or gzip
// member; concatenated, they form one valid file.
func (s *FileSink) Prepare(c *Chunk) error {
	if s.opts.Compression == CompressNone {
		return nil
	}
	var err error
	c.Packed, err = s.pack(c.Packed[:0], c.Data)
	return err
}

// pack appends raw compressed as a self-contained zstd frame or gzip member.
func (s *FileSink) pack(dst, raw []byte) ([]byte, error) {
	switch s.opts.Compression {
	case CompressZstd:
		return s.zenc.EncodeAll(raw, dst), nil
	case CompressGzip:
		w := s.gzips.Get().(*gzip.Writer)
		buf := bytes.NewBuffer(dst)
		w.Reset(buf)
		if _, err := w.Write(raw); err != nil {
			return nil, err
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
		s.gzips.Put(w)
		return buf.Bytes(), nil
	}
	return append(dst, raw...), nil
}

func (s *FileSink) partName(n int) string {
	return fmt.Sprintf("%s-%05d%s", s.opts.Prefix, n, s.ext)
}

// Write appends the chunk to the current part. A part is closed before
// the payload that would take it over PartBytes, within a chunk too; a
// payload larger than PartBytes gets a part of its own.
func (s *FileSink) Write(ctx context.Context, c *Chunk) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.Count() == 0 {
		return nil
	}
	data := c.Data
	if s.opts.Compression != CompressNone {
		data = c.Packed
	}
	if s.size+int64(len(data)) <= s.opts.PartBytes {
		return s.appendPiece(data, c.Count())
	}
	return s.writeSplit(c)
}

// writeSplit writes a chunk that does not fit in the current part whole:
// runs of its payloads, each as large as fits in what is left of the part
// (compressed on its own when the parts are compressed), closing each part
// once not even the next payload fits.
func (s *FileSink) writeSplit(c *Chunk) error {
	ratio := 1.0 // compressed size per raw byte, to guess a run's size
	if s.opts.Compression != CompressNone && len(c.Data) > 0 {
		ratio = float64(len(c.Packed)) / float64(len(c.Data))
	}
	start := func(i int) int {
		if i == 0 {
			return 0
		}
		return c.Ends[i-1]
	}
	for i := 0; i < c.Count(); {
		room := s.opts.PartBytes - s.size
		j := i // the run is payloads i … j-1
		for j < c.Count() && float64(c.Ends[j]-start(i))*ratio <= float64(room) {
			j++
		}
		if j == i {
			if s.size > 0 {
				if err := s.finishPart(); err != nil {
					return err
				}
				continue
			}
			j = i + 1 // larger than a part: a part of its own
		}
		data := c.Data[start(i):c.Ends[j-1]]
		if s.opts.Compression != CompressNone {
			var err error
			for {
				if s.split, err = s.pack(s.split[:0], c.Data[start(i):c.Ends[j-1]]); err != nil {
					return err
				}
				if int64(len(s.split)) <= room || j-i == 1 {
					break
				}
				// the guess was too many: fewer, in proportion
				k := int(float64(j-i) * float64(room) / float64(len(s.split)) * 0.9)
				j = i + max(1, min(k, j-i-1))
			}
			if int64(len(s.split)) > room && s.size > 0 {
				if err := s.finishPart(); err != nil {
					return err
				}
				continue
			}
			data = s.split
		}
		if err := s.appendPiece(data, j-i); err != nil {
			return err
		}
		i = j
	}
	return nil
}

// appendPiece appends whole payloads (n of them) to the current part,
// starting one when none is open.
func (s *FileSink) appendPiece(data []byte, n int) error {
	if s.f == nil {
		s.part++
		f, err := atomicfile.Create(filepath.Join(s.opts.Dir, s.partName(s.part)))
		if err != nil {
			return fmt.Errorf("output: %w", err)
		}
		s.f, s.size = f, 0
	}
	if _, err := s.f.Write(data); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	s.size += int64(len(data))
	s.curMsgs += int64(n)
	s.stats.Bytes += int64(len(data))
	s.stats.Messages += int64(n)
	return nil
}

// finishPart gives the part being written its final name.
func (s *FileSink) finishPart() error {
	f := s.f
	s.f, s.size = nil, 0
	if err := f.Commit(); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	s.stats.Files = append(s.stats.Files, f.Name())
	s.partMsgs = append(s.partMsgs, s.curMsgs)
	s.curMsgs = 0
	return nil
}

// Close completes the last part; with ctx done it returns ctx's error and
// leaves the last part to Abort.
func (s *FileSink) Close(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.f != nil {
		return s.finishPart()
	}
	return nil
}

// Abort removes the unfinished part; Stats then count the finished parts
// only, which is what the directory holds.
func (s *FileSink) Abort() {
	if s.f != nil {
		s.f.Abort()
		s.f = nil
		s.stats.Bytes -= s.size
		s.stats.Messages -= s.curMsgs
		s.size, s.curMsgs = 0, 0
	}
}

// Stats implements Sink.
func (s *FileSink) Stats() Stats { return s.stats }

// WriterSink writes uncompressed payloads to w (standard output).
type WriterSink struct {
	w     *bufio.Writer
	name  string
	stats Stats
}

// NewWriterSink returns a sink writing to w.
func NewWriterSink(w io.Writer, name string) *WriterSink {
	return &WriterSink{w: bufio.NewWriterSize(w, 1<<20), name: name}
}

func (s *WriterSink) Prepare(*Chunk) error { return nil }
func (s *WriterSink) Write(ctx context.Context, c *Chunk) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := s.w.Write(c.Data); err != nil {
		return s.writeError(err)
	}
	s.stats.Messages += int64(c.Count())
	s.stats.Bytes += int64(len(c.Data))
	return nil
}

// Close flushes what is buffered; with ctx done it returns ctx's error
// (Abort then flushes).
func (s *WriterSink) Close(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.w.Flush(); err != nil {
		return s.writeError(err)
	}
	return nil
}

// writeError says what a failed write means: a broken pipe is a reader
// that stopped reading.
func (s *WriterSink) writeError(err error) error {
	if errors.Is(err, syscall.EPIPE) {
		return fmt.Errorf("%s was closed before every payload was written (the reader stopped reading: a broken pipe); not everything was delivered", s.name)
	}
	return fmt.Errorf("writing to %s: %w", s.name, err)
}
func (s *WriterSink) Abort()       { s.w.Flush() }
func (s *WriterSink) Stats() Stats { st := s.stats; st.Destination = s.name; return st }
