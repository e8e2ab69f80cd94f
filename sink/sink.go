// Package sink delivers payloads: NDJSON part files in a directory
// (optionally gzip or zstd), standard output, or (see HTTP) the batch API.
// It also writes the rejects file. It knows nothing of columns or traits: a
// Chunk is a run of complete payload lines in input order.
//
// Write is called from one goroutine, in order; Prepare may be called from
// many, before Write, to do per-chunk work such as compression in parallel.
package sink

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/groupimport/groupimport/record"
)

// Chunk is the payloads of one batch of rows.
type Chunk struct {
	Seq int64
	// Data holds whole NDJSON lines, each ending in '\n'.
	Data []byte
	// Ends are the end offsets of each line in Data (after its '\n').
	Ends []int
	// Pos is where each payload's row came from, parallel to Ends.
	Pos []record.Position
	// Packed is Data compressed as a self-contained frame or member, set
	// by Prepare for sinks that compress.
	Packed []byte
}

// Message returns payload i without its trailing newline.
func (c *Chunk) Message(i int) []byte {
	start := 0
	if i > 0 {
		start = c.Ends[i-1]
	}
	return c.Data[start : c.Ends[i]-1]
}

// Count is the number of payloads in the chunk.
func (c *Chunk) Count() int { return len(c.Ends) }

// Reset empties the chunk, keeping its memory.
func (c *Chunk) Reset() {
	c.Seq = 0
	c.Data = c.Data[:0]
	c.Ends = c.Ends[:0]
	c.Pos = c.Pos[:0]
	c.Packed = c.Packed[:0]
}

// Sink receives chunks.
type Sink interface {
	// Prepare does per-chunk work that may run in parallel.
	Prepare(c *Chunk) error
	// Write delivers a chunk; chunks arrive in order.
	Write(ctx context.Context, c *Chunk) error
	// Close finishes delivery: the last part is completed and renamed.
	Close(ctx context.Context) error
	// Abort discards unfinished output (no partial file keeps a final name).
	Abort()
	// Stats describes what was written.
	Stats() Stats
}

// Stats is what a sink reports. It has no JSON form: the run report has
// its own type (report.Output).
type Stats struct {
	Destination string
	Files       []string
	Messages    int64
	Bytes       int64
}

// ErrOutputInUse is returned when --out holds another run's parts.
var ErrOutputInUse = errors.New("the output directory holds parts of another run")

// Discard is a sink that writes nothing (validate, or a dry run without
// --out).
type Discard struct{ stats Stats }

func (d *Discard) Prepare(*Chunk) error { return nil }
func (d *Discard) Write(_ context.Context, c *Chunk) error {
	d.stats.Messages += int64(c.Count())
	d.stats.Bytes += int64(len(c.Data))
	return nil
}
func (d *Discard) Close(context.Context) error { return nil }
func (d *Discard) Abort()                      {}
func (d *Discard) Stats() Stats                { s := d.stats; s.Destination = "none"; return s }

// Sample writes the first N payloads to W and only counts the rest: what a
// dry run without --out shows.
type Sample struct {
	W     io.Writer
	N     int
	stats Stats
}

func (s *Sample) Prepare(*Chunk) error { return nil }
func (s *Sample) Write(_ context.Context, c *Chunk) error {
	for i := 0; i < c.Count() && s.stats.Messages < int64(s.N); i++ {
		if _, err := fmt.Fprintf(s.W, "%s\n", c.Message(i)); err != nil {
			return err
		}
		s.stats.Messages++
	}
	s.stats.Bytes += int64(len(c.Data))
	return nil
}
func (s *Sample) Close(context.Context) error { return nil }
func (s *Sample) Abort()                      {}
func (s *Sample) Stats() Stats {
	st := s.stats
	st.Destination = fmt.Sprintf("a sample of %d on standard output", s.N)
	return st
}
