package importer

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/zstd"
)

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

// zstdMaxWindow bounds the zstd window (and so the decoder's memory).
const zstdMaxWindow = 128 << 20

// decompressErrors turns the errors of a decompressor into clear causes.
type decompressErrors struct {
	r    io.Reader
	comp Compression
}

func (d *decompressErrors) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF {
		err = decompressErr(d.comp, err)
	}
	return n, err
}

// decompressErr turns an error from a decompressor of comp into a clear
// cause.
func decompressErr(comp Compression, err error) error {
	if errors.Is(err, ErrChanged) {
		return err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w (%s stream ends early; the file is incomplete)", ErrTruncated, comp)
	}
	if errors.Is(err, zstd.ErrWindowSizeExceeded) {
		return fmt.Errorf("zstd: %w: the file needs more than %d MiB of memory to decompress (written with zstd --long=28 or more?); decompress it first", err, zstdMaxWindow>>20)
	}
	if strings.HasPrefix(err.Error(), string(comp)) {
		return err // "gzip: invalid header", "bzip2 data invalid: …" say it already
	}
	return fmt.Errorf("%s: %w", comp, err)
}
