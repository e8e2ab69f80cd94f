// Package sinktest is the conformance suite every sink.Sink passes, in the
// manner of restic's internal/backend/test: one set of checks, run against
// each sink through what its destination holds.
//
// A sink's test calls Run with a function that makes a fresh Subject (the
// sink and a way to look at its destination) for each check:
//
//	sinktest.Run(t, func(t *testing.T) sinktest.Subject {
//		s := …
//		return sinktest.Subject{Sink: s, Inspect: func(t *testing.T) sinktest.Contents { … }}
//	})
//
// The checks: payloads arrive complete and in order (as a set where the
// destination does not keep order); Close makes every one durable and
// acknowledged; Abort leaves no partial payload and nothing unfinished;
// Stats (messages, bytes, files) match what the destination holds; empty
// input and empty chunks; a chunk larger than a part; a context that ends
// before or during delivery; and, for sinks that can, removing payloads
// after Close.
package sinktest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/groupimport/groupimport/record"
	"github.com/groupimport/groupimport/sink"
)

// Subject is a sink under test and what the suite needs to know of its
// destination.
type Subject struct {
	Sink sink.Sink
	// Inspect reports what the destination holds now (for files: the
	// finished parts, decoded; for the API: what it stored).
	Inspect func(t *testing.T) Contents

	// Unordered: the destination does not keep the order of writes (the
	// API: batches travel concurrently). Payloads are compared as a set.
	Unordered bool
	// AtLeastOnce: the destination may hold more than Stats counts once
	// delivery is cut short (a batch stored whose acknowledgement was
	// lost, the bytes of an abandoned request). After Close they match.
	AtLeastOnce bool
	// PartBytes is how much one part (a file, a request) holds; the suite
	// writes a chunk several times larger. 0: the sink has no parts.
	PartBytes int
	// Acknowledged, when set, returns the Seqs of the chunks the sink has
	// acknowledged, in the order it did.
	Acknowledged func() []int64
	// Stall, when set, makes the destination stop answering until resume
	// is called (the suite then checks that a context ends a blocked
	// Close).
	Stall func() (resume func())
	// RemoveMessages, when set, removes payloads by their index in the
	// output after Close (sink.FileSink.RemoveMessages).
	RemoveMessages func(sink.MessageSet) error
}

// Contents is what a destination holds.
type Contents struct {
	// Payloads are the complete payloads, without their newlines, in the
	// destination's order (each distinct payload once for an Unordered
	// subject).
	Payloads [][]byte
	// Bytes is what the destination holds, measured as Stats.Bytes counts
	// it (file sizes on disk; request bodies as sent).
	Bytes int64
	// Files are the finished files, in order.
	Files []string
	// Temporary lists what is being written (a part under its temporary
	// name): allowed before Close, never after Close or Abort.
	Temporary []string
	// Broken lists what must never be seen: a truncated payload, an empty
	// part, a gap in the parts' numbers, a contract violation.
	Broken []string
}

// Run runs every check, each against a fresh subject from newSubject.
func Run(t *testing.T, newSubject func(t *testing.T) Subject) {
	t.Run("InOrderAndComplete", func(t *testing.T) { testComplete(t, newSubject(t)) })
	t.Run("EmptyInput", func(t *testing.T) { testEmpty(t, newSubject(t)) })
	t.Run("ChunkLargerThanAPart", func(t *testing.T) { testLargeChunk(t, newSubject(t)) })
	t.Run("Abort", func(t *testing.T) { testAbort(t, newSubject(t)) })
	t.Run("AbortBeforeAnyWrite", func(t *testing.T) { testAbortEarly(t, newSubject(t)) })
	t.Run("CanceledContext", func(t *testing.T) { testCanceled(t, newSubject(t)) })
	t.Run("ContextEndsWhileStalled", func(t *testing.T) {
		s := newSubject(t)
		if s.Stall == nil {
			s.Sink.Abort()
			t.Skip("the destination cannot stall")
		}
		testStalled(t, s)
	})
	t.Run("RemoveMessages", func(t *testing.T) {
		s := newSubject(t)
		if s.RemoveMessages == nil {
			s.Sink.Abort()
			t.Skip("the sink cannot remove payloads")
		}
		testRemove(t, s)
	})
}

// Payloads returns n JSON payloads with distinct messageIds and sizes
// that vary (from ~130 to ~130+maxPad bytes), padded with hexadecimal
// noise so that compression does not shrink them to nothing.
func Payloads(n, maxPad int, seed uint64) [][]byte {
	rng := rand.New(rand.NewPCG(seed, 12))
	out := make([][]byte, n)
	for i := range out {
		pad := make([]byte, rng.IntN(maxPad+1))
		for k := range pad {
			pad[k] = "0123456789abcdef"[rng.IntN(16)]
		}
		out[i] = fmt.Appendf(nil, `{"type":"group","groupId":"g-%d-%06d","traits":{"objectTypeId":1,"note":"%s"},`+
			`"timestamp":"2024-05-01T12:00:00.000Z","messageId":"m-%d-%06d"}`, seed, i, pad, seed, i)
	}
	return out
}

// Chunks packs payloads into chunks of the given sizes, in turn and over
// again until every payload is in one, numbered from 0 as the pipeline
// numbers them; a size 0 makes an empty chunk between full ones.
func Chunks(ps [][]byte, sizes ...int) []*sink.Chunk {
	if len(ps) > 0 && slices.Max(sizes) <= 0 {
		panic("sinktest.Chunks: no size holds a payload")
	}
	var out []*sink.Chunk
	for i, k := 0, 0; i < len(ps); k++ {
		c := &sink.Chunk{Seq: int64(len(out))}
		for n := sizes[k%len(sizes)]; n > 0 && i < len(ps); n-- {
			c.Data = append(append(c.Data, ps[i]...), '\n')
			c.Ends = append(c.Ends, len(c.Data))
			c.Pos = append(c.Pos, record.Position{File: "in.ndjson", Line: int64(i + 1), Row: int64(i + 1)})
			i++
		}
		out = append(out, c)
	}
	return out
}

// write prepares every chunk in parallel (as the pipeline's workers do)
// and writes them in order.
func write(t *testing.T, ctx context.Context, s sink.Sink, cs []*sink.Chunk) error {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(cs))
	for i, c := range cs {
		wg.Go(func() { errs[i] = s.Prepare(c) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	for _, c := range cs {
		if err := s.Write(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

func closeSink(t *testing.T, s sink.Sink) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// testComplete: every payload arrives whole and in order; before Close
// the destination holds no more than was written (and nothing partial
// under a final name); after Close all of it, acknowledged.
func testComplete(t *testing.T, s Subject) {
	ps := Payloads(300, 200, 1)
	cs := Chunks(ps, 1, 40, 0, 7, 100, 3)
	if err := write(t, context.Background(), s.Sink, cs); err != nil {
		t.Fatalf("Write: %v", err)
	}
	mid := s.Inspect(t)
	checkPart(t, s, "before Close", ps, mid)
	closeSink(t, s.Sink)
	c := s.Inspect(t)
	checkAll(t, s, "after Close", ps, c)
	checkStats(t, s, "after Close", s.Sink.Stats(), c, true)
	checkAcks(t, s, len(cs), true)
}

// testEmpty: no payloads, and chunks without any, leave nothing at the
// destination (no empty part) and are still acknowledged.
func testEmpty(t *testing.T, s Subject) {
	cs := []*sink.Chunk{{Seq: 0}, {Seq: 1}}
	if err := write(t, context.Background(), s.Sink, cs); err != nil {
		t.Fatalf("Write: %v", err)
	}
	closeSink(t, s.Sink)
	c := s.Inspect(t)
	checkFinished(t, "empty input", c)
	if len(c.Payloads) != 0 || len(c.Files) != 0 || c.Bytes != 0 {
		t.Errorf("empty input left %d payloads, files %v, %d bytes", len(c.Payloads), c.Files, c.Bytes)
	}
	checkStats(t, s, "empty input", s.Sink.Stats(), c, true)
	checkAcks(t, s, len(cs), true)
}

// testLargeChunk: one chunk several parts large arrives whole and in
// order, split over parts.
func testLargeChunk(t *testing.T, s Subject) {
	// compressed, these payloads keep about a quarter of their size
	ps := Payloads(20, 150, 2)
	for total := 0; s.PartBytes > 0 && total < 16*s.PartBytes; {
		ps = Payloads(2*len(ps), 150, 2)
		total = 0
		for _, p := range ps {
			total += len(p) + 1
		}
	}
	cs := Chunks(ps, len(ps))
	if err := write(t, context.Background(), s.Sink, cs); err != nil {
		t.Fatalf("Write: %v", err)
	}
	closeSink(t, s.Sink)
	c := s.Inspect(t)
	checkAll(t, s, "after Close", ps, c)
	checkStats(t, s, "after Close", s.Sink.Stats(), c, true)
	if s.PartBytes > 0 && len(c.Files) == 1 {
		t.Error("a chunk several parts large went into one file")
	}
	checkAcks(t, s, 1, true)
}

// testAbort: after Abort the destination holds only whole payloads of
// what was written (a prefix of it, where order is kept), nothing
// unfinished, and Stats say what it holds.
func testAbort(t *testing.T, s Subject) {
	ps := Payloads(400, 200, 3)
	cs := Chunks(ps, 50, 13, 80)
	if err := write(t, context.Background(), s.Sink, cs); err != nil {
		t.Fatalf("Write: %v", err)
	}
	s.Sink.Abort()
	c := s.Inspect(t)
	checkPart(t, s, "after Abort", ps, c)
	checkFinished(t, "after Abort", c)
	checkStats(t, s, "after Abort", s.Sink.Stats(), c, !s.AtLeastOnce)
	checkAcks(t, s, len(cs), false)
}

// testAbortEarly: Abort of a sink that was never written to leaves
// nothing.
func testAbortEarly(t *testing.T, s Subject) {
	s.Sink.Abort()
	c := s.Inspect(t)
	checkFinished(t, "after Abort", c)
	if len(c.Payloads) != 0 || len(c.Files) != 0 {
		t.Errorf("an unused sink left %d payloads, files %v", len(c.Payloads), c.Files)
	}
	checkStats(t, s, "after Abort", s.Sink.Stats(), c, true)
}

// testCanceled: with its context done, Write and Close return the
// context's error and deliver nothing more; Abort then leaves only whole
// payloads of what was written before.
func testCanceled(t *testing.T, s Subject) {
	ps := Payloads(200, 200, 4)
	cs := Chunks(ps, 25)
	if err := write(t, context.Background(), s.Sink, cs[:4]); err != nil {
		t.Fatalf("Write: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := write(t, ctx, s.Sink, cs[4:]); !errors.Is(err, context.Canceled) {
		t.Errorf("Write with a canceled context: %v, want context.Canceled", err)
	}
	if err := s.Sink.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Close with a canceled context: %v, want context.Canceled", err)
	}
	s.Sink.Abort()
	c := s.Inspect(t)
	checkPart(t, s, "after a canceled Close and Abort", ps[:100], c)
	checkFinished(t, "after a canceled Close and Abort", c)
	checkStats(t, s, "after Abort", s.Sink.Stats(), c, !s.AtLeastOnce)
	checkAcks(t, s, 4, false)
}

// testStalled: a Write or Close blocked on a destination that does not
// answer returns once its context ends, with the context's error.
func testStalled(t *testing.T, s Subject) {
	resume := s.Stall()
	defer resume()
	ps := Payloads(100, 100, 5)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := write(t, ctx, s.Sink, Chunks(ps, 10))
	if err == nil {
		err = s.Sink.Close(ctx)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Write and Close on a stalled destination: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Write and Close took %s with a context of 200ms", d)
	}
	s.Sink.Abort()
	resume()
	checkAcks(t, s, 0, false)
	c := s.Inspect(t)
	checkPart(t, s, "after a stalled Close", ps, c)
	checkFinished(t, "after a stalled Close", c)
}

// testRemove: payloads removed after Close (the first, the last, every
// one of some parts, and some in between) are gone from the destination,
// the rest stay whole and in order, and Stats follow.
func testRemove(t *testing.T, s Subject) {
	ps := Payloads(600, 200, 6)
	cs := Chunks(ps, 60, 7, 1)
	if err := write(t, context.Background(), s.Sink, cs); err != nil {
		t.Fatalf("Write: %v", err)
	}
	closeSink(t, s.Sink)
	before := s.Inspect(t)
	checkAll(t, s, "after Close", ps, before)
	drop := set{}
	drop.add(0)
	drop.add(int64(len(ps) - 1))
	for i := int64(1); i < int64(len(ps))-1; i++ {
		if i%7 == 3 {
			drop.add(i)
		}
	}
	for i := int64(150); i < 350; i++ {
		drop.add(i) // a run long enough to empty a part (of fewer than 100)
	}
	if err := s.RemoveMessages(drop); err != nil {
		t.Fatalf("RemoveMessages: %v", err)
	}
	var want [][]byte
	for i, p := range ps {
		if !drop.Has(int64(i)) {
			want = append(want, p)
		}
	}
	c := s.Inspect(t)
	checkAll(t, s, "after RemoveMessages", want, c)
	checkStats(t, s, "after RemoveMessages", s.Sink.Stats(), c, true)
	if len(before.Files) > 0 && len(c.Files) >= len(before.Files) {
		t.Errorf("%d files before, %d after removing a run of %d payloads: no part emptied and removed", len(before.Files), len(c.Files), 200)
	}
}

// set is a sink.MessageSet.
type set map[int64]bool

func (s set) add(i int64)      { s[i] = true }
func (s set) Has(i int64) bool { return s[i] }
func (s set) CountRange(lo, hi int64) int64 {
	var n int64
	for i := range s {
		if i >= lo && i < hi {
			n++
		}
	}
	return n
}

// checkAll: the destination holds exactly want (in order unless the
// subject is Unordered), nothing unfinished.
func checkAll(t *testing.T, s Subject, when string, want [][]byte, c Contents) {
	t.Helper()
	checkFinished(t, when, c)
	checkPayloads(t, s, when, want, c.Payloads)
}

func checkPayloads(t *testing.T, s Subject, when string, want, got [][]byte) {
	t.Helper()
	if s.Unordered {
		got, want = sorted(got), sorted(want)
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d payloads, want %d", when, len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("%s: payload %d is\n%.120s\nwant\n%.120s", when, i, got[i], want[i])
			return
		}
	}
}

// checkPart: the destination holds whole payloads of written, a prefix of
// it (a subset, for an Unordered subject), nothing broken.
func checkPart(t *testing.T, s Subject, when string, written [][]byte, c Contents) {
	t.Helper()
	if len(c.Broken) > 0 {
		t.Errorf("%s: broken at the destination: %v", when, c.Broken)
	}
	if len(c.Payloads) > len(written) {
		t.Errorf("%s: %d payloads, more than the %d written", when, len(c.Payloads), len(written))
		return
	}
	if !s.Unordered {
		checkPayloads(t, s, when, written[:len(c.Payloads)], c.Payloads)
		return
	}
	for i, p := range c.Payloads {
		if !slices.ContainsFunc(written, func(w []byte) bool { return bytes.Equal(w, p) }) {
			t.Errorf("%s: payload %d was never written (or is not whole): %.120s", when, i, p)
			return
		}
	}
}

// checkFinished: nothing broken and nothing left under a temporary name.
func checkFinished(t *testing.T, when string, c Contents) {
	t.Helper()
	if len(c.Broken) > 0 || len(c.Temporary) > 0 {
		t.Errorf("%s: broken %v, unfinished %v at the destination", when, c.Broken, c.Temporary)
	}
}

// checkStats: Stats describe what the destination holds (exactly, or at
// most that with exact false).
func checkStats(t *testing.T, s Subject, when string, st sink.Stats, c Contents, exact bool) {
	t.Helper()
	n := int64(len(c.Payloads))
	if exact && (st.Messages != n || st.Bytes != c.Bytes) || !exact && (st.Messages > n) {
		t.Errorf("%s: Stats say %d messages, %d bytes; the destination holds %d, %d bytes", when, st.Messages, st.Bytes, n, c.Bytes)
	}
	if !slices.Equal(st.Files, c.Files) {
		t.Errorf("%s: Stats name the files %v; the destination holds %v", when, st.Files, c.Files)
	}
	if st.Destination == "" {
		t.Errorf("%s: Stats name no destination", when)
	}
}

// checkAcks: with all, chunks 0…n-1 were acknowledged in order; without,
// the acknowledged chunks are a prefix of 0…n-1.
func checkAcks(t *testing.T, s Subject, n int, all bool) {
	t.Helper()
	if s.Acknowledged == nil {
		return
	}
	acks := s.Acknowledged()
	if all && len(acks) != n || len(acks) > n {
		t.Errorf("%d chunks acknowledged, want %d: %v", len(acks), n, acks)
	}
	for i, seq := range acks {
		if seq != int64(i) {
			t.Errorf("acknowledged %v: not 0, 1, 2… in order", acks)
			return
		}
	}
}

func sorted(ps [][]byte) [][]byte {
	out := slices.Clone(ps)
	slices.SortFunc(out, bytes.Compare)
	return out
}
