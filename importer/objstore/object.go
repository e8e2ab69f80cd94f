package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/groupimport/groupimport/importer"
	"github.com/groupimport/groupimport/importer/parquet"
)

// object is an opened object: its size and version at open, a block
// cache for ranged reads, and the context its requests live in (cancelled
// by Close).
type object struct {
	s      *Store
	l      location
	svc    service
	size   int64
	v      version
	ctx    context.Context
	cancel context.CancelFunc
	cache  *blockCache
	// unverified is set when an answer did not say which version of the
	// object it came from: Unchanged then asks the service.
	unverified atomic.Bool
}

// Open implements importer.Remote. The object's size and version come
// from the listing that found it, or from a HEAD request.
func (s *Store) Open(name string) (importer.RemoteObject, error) {
	l, err := parse(name)
	if err != nil {
		return nil, err
	}
	svc, err := s.bucket(l)
	if err != nil {
		return nil, err
	}
	o := &object{s: s, l: l, svc: svc}
	o.ctx, o.cancel = context.WithCancel(s.ctx)
	s.mu.Lock()
	lo, listed := s.listed[name]
	s.mu.Unlock()
	if listed && lo.v.known() {
		o.size, o.v = lo.size, lo.v
	} else if o.size, o.v, err = o.head(); err != nil {
		o.cancel()
		return nil, err
	}
	o.cache = newBlockCache(o.size, s.opts, o.fetch)
	return o, nil
}

// head asks for the object's size and version.
func (o *object) head() (int64, version, error) {
	var e entry
	err := o.s.retry(o.ctx, func() error {
		o.s.heads.Add(1)
		var err error
		e, err = o.svc.head(o.ctx, o.l.key)
		return err
	})
	if err != nil {
		return 0, version{}, explain("examining the object", o.l, false, err)
	}
	return e.size, e.v, nil
}

func (o *object) Size() int64 { return o.size }

// Close cancels the object's requests.
func (o *object) Close() error {
	o.cancel()
	return nil
}

// ReadAt reads through the block cache.
func (o *object) ReadAt(p []byte, off int64) (int, error) { return o.cache.ReadAt(p, off) }

// Prefetch implements parquet.Prefetcher: the reader's hints of the
// column chunks it is about to read.
func (o *object) Prefetch(ranges [][2]int64) { o.cache.Prefetch(ranges) }

// Unchanged implements importer.RemoteObject: every answer was checked
// against the version at open as it came; only when one did not say its
// version is the object examined again.
func (o *object) Unchanged() error {
	if !o.unverified.Load() {
		return nil
	}
	size, v, err := o.head()
	if err != nil {
		return err
	}
	if v != o.v || size != o.size {
		return fmt.Errorf("%w: it was %s of %d bytes when opened, and is %s of %d bytes now; read it again once the writer is done",
			importer.ErrChanged, o.v, o.size, v, size)
	}
	return nil
}

// open starts a GET of the object from off to its end (or n bytes when
// n >= 0), retried on transient errors.
func (o *object) open(off, n int64) (io.ReadCloser, error) {
	var r io.ReadCloser
	err := o.s.retry(o.ctx, func() error {
		var err error
		r, err = o.openOnce(off, n)
		return err
	})
	return r, err
}

// openOnce is one attempt of open: a GET of the version opened (where the
// service can be told), whose answer must be that version.
func (o *object) openOnce(off, n int64) (io.ReadCloser, error) {
	o.s.gets.Add(1)
	if n >= 0 {
		o.s.rangeGets.Add(1)
	}
	r, got, err := o.svc.get(o.ctx, o.l.key, off, n, o.v)
	if err != nil {
		if isPrecondition(err) {
			return nil, fmt.Errorf("%w: the service refused to read the %s opened: it was replaced; read it again once the writer is done",
				importer.ErrChanged, o.v)
		}
		return nil, err
	}
	switch {
	case !got.known() || !o.v.known():
		o.unverified.Store(true)
	case got != o.v:
		r.Close()
		return nil, fmt.Errorf("%w: it was replaced while it was read (%s when opened, %s now); read it again once the writer is done",
			importer.ErrChanged, o.v, got)
	}
	return r, nil
}

// fetch fills dsts with the object's bytes from off on: one ranged GET,
// retried (from the start of the range) when the answer breaks off.
func (o *object) fetch(off int64, dsts [][]byte) error {
	var total int64
	for _, d := range dsts {
		total += int64(len(d))
	}
	err := o.s.retry(o.ctx, func() error {
		r, err := o.openOnce(off, total)
		if err != nil {
			return err
		}
		defer r.Close()
		got := int64(0)
		for _, d := range dsts {
			n, err := io.ReadFull(r, d)
			got += int64(n)
			o.s.bytes.Add(int64(n))
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return fmt.Errorf("%w: %d of %d bytes at offset %d", errShortBody, got, total, off)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return explain(fmt.Sprintf("reading bytes %d-%d", off, off+total-1), o.l, false, err)
	}
	return nil
}

// Stream implements importer.RemoteObject.
func (o *object) Stream() io.ReadCloser { return &stream{o: o, failedAt: -1} }

// resumeProgress is how far a resumed stream must get before its breaks
// count afresh: a connection that breaks every few kilobytes fails the
// file instead of crawling on.
const resumeProgress = 1 << 20

// stream reads the object from its start with one GET, resumed from the
// byte where it broke (a ranged GET of the same version) after a transient
// error. It ends with io.EOF only at the object's size.
type stream struct {
	o        *object
	off      int64
	body     io.ReadCloser
	fails    int   // breaks in a row without progress
	failedAt int64 // the offset of the last break
	err      error
}

func (st *stream) Read(p []byte) (int, error) {
	if st.err != nil {
		return 0, st.err
	}
	o := st.o
	for {
		if st.body == nil {
			if st.off == o.size {
				return 0, io.EOF
			}
			r, err := o.open(st.off, -1)
			if err != nil {
				st.err = explain(fmt.Sprintf("reading from byte %d", st.off), o.l, false, err)
				return 0, st.err
			}
			st.body = r
		}
		n, err := st.body.Read(p)
		st.off += int64(n)
		o.s.bytes.Add(int64(n))
		switch {
		case st.off > o.size:
			st.err = fmt.Errorf("%w: it has more than the %d bytes it had when opened", importer.ErrChanged, o.size)
			return 0, st.err
		case err == nil:
			return n, nil
		case err == io.EOF && st.off == o.size:
			st.body.Close()
			st.body = nil
			return n, io.EOF
		case err == io.EOF:
			err = fmt.Errorf("%w at byte %d of %d", errShortBody, st.off, o.size)
		}
		if rerr := st.broke(err); rerr != nil {
			st.err = rerr
			if n > 0 {
				return n, nil // the bytes read are good; the error comes next
			}
			return 0, rerr
		}
		if n > 0 {
			return n, nil
		}
	}
}

// broke handles a body that failed with err: nil when the stream will
// resume, else the error that ends it.
func (st *stream) broke(err error) error {
	o := st.o
	st.body.Close()
	st.body = nil
	if !transient(err) || o.ctx.Err() != nil {
		return explain(fmt.Sprintf("reading at byte %d of %d", st.off, o.size), o.l, false, err)
	}
	if st.off-st.failedAt >= resumeProgress {
		st.fails = 0
	}
	st.fails++
	st.failedAt = st.off
	if st.fails >= o.s.opts.Attempts {
		return explain("reading", o.l, false, fmt.Errorf("%w: the connection broke at byte %d of %d and did not resume after %d attempts: %w",
			importer.ErrUnavailable, st.off, o.size, st.fails, err))
	}
	o.s.resumes.Add(1)
	if werr := o.s.backoff(o.ctx, st.fails); werr != nil {
		return explain("reading", o.l, false, werr)
	}
	return nil
}

func (st *stream) Close() error {
	if st.body != nil {
		st.body.Close()
		st.body = nil
	}
	return nil
}

var _ parquet.Prefetcher = (*object)(nil)
