package sink

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/groupimport/groupimport/internal/atomicfile"
)

// MessageSet is a set of payload indexes (dedup.Set).
type MessageSet interface {
	Has(i int64) bool
	// CountRange counts the members in [lo, hi).
	CountRange(lo, hi int64) int64
}

// RemoveMessages deletes payloads from the finished parts, by their index
// in the output: the earlier rows of a key that a later
// row of the same run superseded. Each affected part is rewritten under a
// temporary name and renamed over the old one, so a part is always either
// the old or the new whole. A part left with no payload is removed, and
// the parts after it renumbered (each renamed whole, in ascending order),
// so that the parts stay payloads-00001 … without a gap and none is empty;
// Stats (files, messages, bytes) then describe what is on disk. Call it
// after Close, before the report: until the report is written the
// directory is the run's own.
func (s *FileSink) RemoveMessages(msgs MessageSet) error {
	var first int64
	var files []string
	var counts []int64
	for i, n := range s.partMsgs {
		end := first + n
		path := s.stats.Files[i]
		if dropped := msgs.CountRange(first, end); dropped > 0 {
			before, err := fileSize(path)
			if err != nil {
				return fmt.Errorf("removing superseded payloads: %w", err)
			}
			after := int64(0)
			if dropped == n {
				if err := os.Remove(path); err != nil {
					return fmt.Errorf("removing superseded payloads: %w", err)
				}
			} else {
				if err := s.rewritePart(path, first, msgs.Has); err != nil {
					return err
				}
				if after, err = fileSize(path); err != nil {
					return fmt.Errorf("removing superseded payloads: %w", err)
				}
			}
			s.stats.Bytes += after - before
			s.stats.Messages -= dropped
			n -= dropped
		}
		if n > 0 {
			files = append(files, path)
			counts = append(counts, n)
		}
		first = end
	}
	return s.renumber(files, counts)
}

// renumber renames the parts left to payloads-00001 … in order.
func (s *FileSink) renumber(files []string, counts []int64) error {
	renamed := false
	for i, p := range files {
		want := filepath.Join(s.opts.Dir, s.partName(i+1))
		if p == want {
			continue
		}
		// want is free: a removed part's name, or that of a part already
		// moved down
		if err := os.Rename(p, want); err != nil {
			return fmt.Errorf("renumbering the parts: %w", err)
		}
		files[i], renamed = want, true
	}
	if renamed {
		if err := atomicfile.SyncDir(s.opts.Dir); err != nil {
			return fmt.Errorf("renumbering the parts: %w", err)
		}
	}
	s.stats.Files, s.partMsgs, s.part = files, counts, len(files)
	return nil
}

func fileSize(path string) (int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// rewritePart writes the part at path again without the payloads drop
// names (first is the index of its first payload), replacing it whole.
func (s *FileSink) rewritePart(path string, first int64, drop func(int64) bool) error {
	in, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("removing superseded payloads: %w", err)
	}
	defer in.Close()
	var r io.Reader = in
	switch s.opts.Compression {
	case CompressGzip:
		zr, err := gzip.NewReader(in)
		if err != nil {
			return fmt.Errorf("removing superseded payloads from %s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	case CompressZstd:
		zr, err := zstd.NewReader(in)
		if err != nil {
			return fmt.Errorf("removing superseded payloads from %s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	// a unique temporary name: .NAME.DIGITS.tmp (see ownPartPattern)
	tmp, err := atomicfile.CreateWith(path, atomicfile.Options{Unique: true})
	if err != nil {
		return fmt.Errorf("removing superseded payloads: %w", err)
	}
	defer tmp.Abort() // a no-op once committed
	var w io.Writer = tmp
	var closer io.Closer
	switch s.opts.Compression {
	case CompressGzip:
		zw, _ := gzip.NewWriterLevel(tmp, gzip.BestSpeed)
		w, closer = zw, zw
	case CompressZstd:
		zw, err := zstd.NewWriter(tmp, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderCRC(true))
		if err != nil {
			return fmt.Errorf("removing superseded payloads: %w", err)
		}
		w, closer = zw, zw
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	br := bufio.NewReaderSize(r, 1<<20)
	idx := first
	for {
		line, err := br.ReadSlice('\n')
		for err == bufio.ErrBufferFull {
			more, err2 := br.ReadSlice('\n')
			line = append(bytes.Clone(line), more...)
			err = err2
		}
		if len(line) > 0 {
			if !drop(idx) {
				bw.Write(line) // an error sticks, for Flush
			}
			idx++
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("removing superseded payloads from %s: %w", path, err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("removing superseded payloads: %w", err)
	}
	if closer != nil {
		if err := closer.Close(); err != nil {
			return fmt.Errorf("removing superseded payloads: %w", err)
		}
	}
	if err := tmp.Commit(); err != nil {
		return fmt.Errorf("removing superseded payloads: %w", err)
	}
	return nil
}
