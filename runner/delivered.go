package runner

import (
	"sync"

	"github.com/groupimport/groupimport/pipeline"
	"github.com/groupimport/groupimport/record"
	"github.com/groupimport/groupimport/sink"
)

// What the destination acknowledged: the report's delivered, undelivered
// and refused, per file where it can be known. Files and standard output
// deliver everything they were given once they close without an error (a
// part under its final name is complete); the API delivers what it
// acknowledged, counted per message as its answers arrive.

// deliveryCounter counts, per input file, the messages the API
// acknowledged: it learns each chunk's positions as the chunk is handed to
// the sink (it is the pass's Tracker, in front of the state's journal when
// there is one) and forgets them once the sink has resolved the chunk.
type deliveryCounter struct {
	next    pipeline.Tracker // the state's journal, or nil
	mu      sync.Mutex
	files   map[int64][]string // the file of each message of a chunk in flight
	perFile map[string]int64
}

func newDeliveryCounter(next pipeline.Tracker) *deliveryCounter {
	return &deliveryCounter{next: next, files: map[int64][]string{}, perFile: map[string]int64{}}
}

// Delivered implements pipeline.Tracker.
func (d *deliveryCounter) Delivered(seq int64, ds []pipeline.Delivery, pos []record.Position) error {
	files := make([]string, len(pos))
	for i := range pos {
		files[i] = pos[i].File
	}
	d.mu.Lock()
	d.files[seq] = files
	d.mu.Unlock()
	if d.next != nil {
		return d.next.Delivered(seq, ds, pos)
	}
	return nil
}

// acknowledged is the sink's OnDelivered.
func (d *deliveryCounter) acknowledged(acks []sink.MessageAck) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, a := range acks {
		if files := d.files[a.Seq]; a.Index < len(files) {
			d.perFile[files[a.Index]]++
		}
	}
}

// resolved is the sink's OnAck: the chunk is done with.
func (d *deliveryCounter) resolved(seq int64) {
	d.mu.Lock()
	delete(d.files, seq)
	d.mu.Unlock()
}

// counts returns the acknowledged messages per file.
func (d *deliveryCounter) counts() map[string]int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]int64, len(d.perFile))
	for f, n := range d.perFile {
		out[f] = n
	}
	return out
}

// deliveries is what the run delivered, for the report.
type deliveries struct {
	total int64
	// perFile is what each input file delivered; nil when it cannot be
	// known (files that failed half-way).
	perFile map[string]int64
	// refused is what the API refused, per input file.
	refused map[string]int64
}

// deliveries says what the destination acknowledged. A dry run and
// validate deliver nothing; so does a run that ended before delivering.
func (j *job) deliveries() deliveries {
	switch {
	case j.res == nil || !j.c.isRun || j.c.DryRun || j.out == nil:
		return deliveries{perFile: map[string]int64{}}
	case j.httpSink != nil:
		d := deliveries{total: j.httpSink.HTTPStats().Messages, refused: j.refused.apiRefused()}
		if j.counter != nil {
			d.perFile = j.counter.counts()
		}
		return d
	}
	d := deliveries{total: j.out.Stats().Messages}
	if j.outClosed {
		// complete: every message written was delivered
		d.perFile = map[string]int64{}
		for _, f := range j.res.Files {
			d.perFile[f.Path] = f.Emitted
		}
	}
	return d
}
