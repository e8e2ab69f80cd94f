package importer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// Streams holds the inputs of a run that the system lets it read only
// once: named pipes (FIFOs), character devices, /dev/stdin on a pipe, and
// any io.Reader given with Add (standard input as "-"). A run opens an
// input several times (a sample to infer the mapping, its columns to check
// it, one or two passes over the rows); a stream is read from the system
// only once, and every later open replays what the earlier ones consumed
// before it goes on with the live stream. What is consumed is kept (in
// memory up to 8 MiB, then in an unnamed temporary file) until LastPass:
// from then on the next open reads on without keeping anything.
//
// A zero Streams is not usable: make one with NewStreams. It is safe for
// use by one reader at a time (a run reads its inputs one after the other).
type Streams struct {
	dir  string
	mu   sync.Mutex
	m    map[string]*stream
	last bool
}

// NewStreams returns an empty set of streams that spools to dir ("" for
// the system's temporary directory).
func NewStreams(dir string) *Streams { return &Streams{dir: dir, m: map[string]*stream{}} }

// Add registers r under name: Open(name) reads it (a Source named name).
func (ss *Streams) Add(name string, r io.Reader) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.m[name] = &stream{name: name, live: r, dir: ss.dir}
}

// LastPass says that the next open of each stream is the last: it reads on
// without keeping what it reads for another pass.
func (ss *Streams) LastPass() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.last = true
}

// Close releases the spools and closes the streams opened from the system.
func (ss *Streams) Close() error {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	var first error
	for _, s := range ss.m {
		if err := s.close(); err != nil && first == nil {
			first = err
		}
	}
	ss.m = map[string]*stream{}
	return first
}

// lookup returns a reader of the stream registered as name, if any.
func (ss *Streams) lookup(name string) (io.ReadCloser, bool, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.m[name]
	if s == nil {
		return nil, false, nil
	}
	rc, err := s.reader(!ss.last)
	return rc, true, err
}

// adopt registers f, just opened from the system, as the stream name and
// returns its first reader.
func (ss *Streams) adopt(name string, f *os.File) (io.ReadCloser, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := &stream{name: name, live: f, file: f, dir: ss.dir}
	ss.m[name] = s
	return s.reader(!ss.last)
}

// memSpool is how much of a stream is kept in memory before the rest goes
// to a temporary file.
const memSpool = 8 << 20

// stream is one input read once from the system.
type stream struct {
	name string
	dir  string
	live io.Reader
	file *os.File // closed with the stream, when opened by Streams

	mem   []byte   // the first bytes consumed
	spill *os.File // with mem, all bytes consumed, past memSpool
	n     int64    // bytes consumed from live and kept
	end   error    // how live ended (io.EOF or its error), once it did
	gone  bool     // bytes were consumed and not kept: no reader can replay them
	busy  bool
}

var errStreamBusy = errors.New("the stream is being read already")

func (s *stream) reader(keep bool) (io.ReadCloser, error) {
	if s.busy {
		return nil, errStreamBusy
	}
	if s.gone {
		return nil, errors.New("this stream (a pipe or standard input) was read to its end already and cannot be read again")
	}
	s.busy = true
	return &replay{s: s, keep: keep}, nil
}

func (s *stream) close() error {
	var first error
	if s.spill != nil {
		first = s.spill.Close()
		s.spill = nil
	}
	s.mem = nil
	if s.file != nil {
		if err := s.file.Close(); err != nil && first == nil {
			first = err
		}
		s.file = nil
	}
	return first
}

// keep appends p to the spool.
func (s *stream) keep(p []byte) error {
	if s.spill == nil && len(s.mem)+len(p) <= memSpool {
		s.mem = append(s.mem, p...)
		s.n += int64(len(p))
		return nil
	}
	if s.spill == nil {
		f, err := os.CreateTemp(s.dir, "groupimport-stream-*.spool")
		if err != nil {
			return fmt.Errorf("keeping the stream for another pass: %w", err)
		}
		os.Remove(f.Name()) // unnamed: gone with the process
		if _, err := f.Write(s.mem); err != nil {
			f.Close()
			return fmt.Errorf("keeping the stream for another pass: %w", err)
		}
		s.spill = f
	}
	if _, err := s.spill.WriteAt(p, s.n); err != nil {
		return fmt.Errorf("keeping the stream for another pass: %w", err)
	}
	s.n += int64(len(p))
	return nil
}

// replay reads what the stream kept, then the live stream.
type replay struct {
	s    *stream
	pos  int64
	keep bool
}

func (r *replay) Read(p []byte) (int, error) {
	s := r.s
	if len(p) == 0 {
		return 0, nil
	}
	if r.pos < s.n {
		var n int
		var err error
		if s.spill != nil {
			n, err = s.spill.ReadAt(p[:min(int64(len(p)), s.n-r.pos)], r.pos)
			if err == io.EOF && n > 0 {
				err = nil
			}
		} else {
			n = copy(p, s.mem[r.pos:])
		}
		r.pos += int64(n)
		return n, err
	}
	if s.end != nil {
		return 0, s.end
	}
	n, err := s.live.Read(p)
	if n > 0 {
		if r.keep {
			if kerr := s.keep(p[:n]); kerr != nil {
				return n, kerr
			}
		} else if !s.gone {
			// the last pass is past what was kept: let it go
			s.gone = true
			s.mem = nil
			if s.spill != nil {
				s.spill.Close()
				s.spill = nil
			}
		}
		r.pos += int64(n)
	}
	if err != nil {
		s.end = err
	}
	return n, err
}

func (r *replay) Close() error {
	s := r.s
	s.busy = false
	if !r.keep {
		// the last pass is over: what was kept can go
		s.gone, s.mem = true, nil
		if s.spill != nil {
			s.spill.Close()
			s.spill = nil
		}
	}
	return nil
}
