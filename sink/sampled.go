package sink

import (
	"context"
	"fmt"
)

// Sampled stands in front of another sink and hands it only some of the
// payloads: the first PerKind of each kind (KindOf names the kind of a
// payload's input file), or none with PerKind 0. It is what a dry run's
// --payloads sample|none writes: the review and the report still cover
// every payload, the files only a sample. The payloads it does not hand on
// are counted (NotWritten), so that the report can say how many the files
// hold of how many were emitted.
//
// The payloads handed on are compressed in Write, not Prepare: they are
// few, and Prepare cannot know which of a chunk's will be kept.
type Sampled struct {
	Inner   Sink
	PerKind int
	KindOf  func(file string) string

	kept    map[string]int // payloads handed on, per kind
	written []int64        // the index (among all payloads given) of each payload handed on
	given   int64          // payloads given to Write
	skipped int64          // payloads given and not handed on (less the superseded ones)
	sub     Chunk
}

// Prepare implements Sink: nothing to do before Write.
func (s *Sampled) Prepare(*Chunk) error { return nil }

// Write hands on the chunk's payloads that are still within their kind's
// sample, and counts the others.
func (s *Sampled) Write(ctx context.Context, c *Chunk) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.kept == nil {
		s.kept = map[string]int{}
	}
	s.sub.Reset()
	for i := 0; i < c.Count(); i++ {
		kind := s.KindOf(c.Pos[i].File)
		if s.kept[kind] >= s.PerKind {
			continue
		}
		s.kept[kind]++
		s.sub.Data = append(append(s.sub.Data, c.Message(i)...), '\n')
		s.sub.Ends = append(s.sub.Ends, len(s.sub.Data))
		s.sub.Pos = append(s.sub.Pos, c.Pos[i])
		s.written = append(s.written, s.given+int64(i))
	}
	s.given += int64(c.Count())
	s.skipped += int64(c.Count() - s.sub.Count())
	if s.sub.Count() == 0 {
		return nil
	}
	s.sub.Seq = c.Seq
	if err := s.Inner.Prepare(&s.sub); err != nil {
		return err
	}
	return s.Inner.Write(ctx, &s.sub)
}

// Close implements Sink.
func (s *Sampled) Close(ctx context.Context) error { return s.Inner.Close(ctx) }

// Abort implements Sink.
func (s *Sampled) Abort() { s.Inner.Abort() }

// Stats are the inner sink's: what the destination holds.
func (s *Sampled) Stats() Stats { return s.Inner.Stats() }

// NotWritten is the number of payloads given and not handed on (those
// later superseded and removed by RemoveMessages not included): with the
// inner sink's messages, every payload emitted.
func (s *Sampled) NotWritten() int64 { return s.skipped }

// RemoveMessages removes superseded payloads, by their index among all
// payloads given: those handed on are removed from the inner sink (a
// FileSink), those not handed on are no longer counted as not written.
func (s *Sampled) RemoveMessages(msgs MessageSet) error {
	inWritten := int64(0)
	for _, m := range s.written {
		if msgs.Has(m) {
			inWritten++
		}
	}
	s.skipped -= msgs.CountRange(0, s.given) - inWritten
	if inWritten == 0 {
		return nil
	}
	fs, ok := s.Inner.(interface{ RemoveMessages(MessageSet) error })
	if !ok {
		return fmt.Errorf("removing superseded payloads: %s cannot remove payloads", s.Inner.Stats().Destination)
	}
	return fs.RemoveMessages(sampledSet{msgs, s.written})
}

// sampledSet is a set of indexes among all payloads given, seen as one of
// indexes among those handed on.
type sampledSet struct {
	all     MessageSet
	written []int64
}

func (m sampledSet) Has(i int64) bool {
	return i >= 0 && i < int64(len(m.written)) && m.all.Has(m.written[i])
}

func (m sampledSet) CountRange(lo, hi int64) int64 {
	n := int64(0)
	for i := max(lo, 0); i < min(hi, int64(len(m.written))); i++ {
		if m.all.Has(m.written[i]) {
			n++
		}
	}
	return n
}
