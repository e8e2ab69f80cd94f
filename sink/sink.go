// Package sink delivers payloads to their destination and says what the
// destination then holds.
//
// A Sink takes Chunks (runs of complete NDJSON payload lines, in input
// order) and delivers them: FileSink as numbered part files in a directory
// (plain, gzip or zstd; a part appears under its final name only when
// complete, see internal/atomicfile), WriterSink to standard output, and
// HTTPSink to the batch API, which counts a payload delivered only once the
// API acknowledged it. Discard and Sample stand in for a destination in
// validate and dry runs. Stats are what the destination holds, after Close
// and after Abort alike; sink/sinktest is the conformance suite every sink
// passes. The rows that did not become payloads go to the run's other
// output, the rejects file (RejectsWriter).
//
// It knows nothing of columns or traits. Write is called from one
// goroutine, in order; Prepare may be called from many, before Write, to do
// per-chunk work such as compression in parallel. A Write or Close whose
// context is done returns the context's error.
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
	// Close finishes delivery: the last part is completed and renamed,
	// the last request acknowledged, the stream flushed.
	Close(ctx context.Context) error
	// Abort discards unfinished output (no partial payload or file keeps
	// a final name); what was delivered stays.
	Abort()
	// Stats describes what the destination holds.
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
