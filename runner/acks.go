package runner

import (
	"sync"

	"github.com/groupimport/groupimport/pipeline"
	"github.com/groupimport/groupimport/record"
	"github.com/groupimport/groupimport/sink"
	"github.com/groupimport/groupimport/state"
)

// The accounting of delivery to the API: what it refused (rejects, in the
// rejects file and the counts) and what it acknowledged (remembered in the
// state's journal as it happens, so a killed run re-sends little).

// refusals collects the messages the API refused, for the rejects file
// and the counts. Its methods are safe for concurrent use.
type refusals struct {
	mu      sync.Mutex
	rejects *sink.RejectsWriter
	kinds   map[string]string // file → kind
	list    []record.Reject
	byPos   map[record.Position]string // the code of each refused message
	err     error
	// onRefused, when set, is told of each refusal (the state's journal
	// keeps the refused keys).
	onRefused func(pos record.Position, code string)
}

// newRefusals starts the refusals of a run over inputs.
func newRefusals(inputs []pipeline.Input) *refusals {
	r := &refusals{kinds: map[string]string{}}
	for _, in := range inputs {
		for _, f := range in.Files {
			r.kinds[f] = string(in.Kind)
		}
	}
	return r
}

func (r *refusals) add(pos record.Position, payload []byte, code, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if code == sink.CodeAPIRefused {
		reason = "the API refused the call: " + reason
	}
	x := record.Reject{Kind: r.kinds[pos.File], Pos: pos, Code: code, Reason: reason,
		Raw: append([]byte(nil), payload...), RawJSON: true}
	if len(r.list) < 1000 {
		r.list = append(r.list, x)
	}
	if r.byPos == nil {
		r.byPos = map[record.Position]string{}
	}
	r.byPos[pos] = code
	if r.onRefused != nil {
		r.onRefused(pos, code)
	}
	if err := r.rejects.Write([]record.Reject{x}); err != nil && r.err == nil {
		r.err = err
	}
}

// apiRefused counts, per file, the messages the API itself refused (not
// those the sink would not send).
func (r *refusals) apiRefused() map[string]int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int64{}
	for pos, code := range r.byPos {
		if code == sink.CodeAPIRefused {
			out[pos.File]++
		}
	}
	return out
}

// apply moves refused messages from emitted to rejected in the result.
func (r *refusals) apply(res *pipeline.Result, stats sink.HTTPStats) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := int64(len(r.byPos))
	if n == 0 {
		return
	}
	res.Emitted -= n
	res.Rejected += n
	for pos := range r.byPos {
		for _, f := range res.Files {
			if f.Path == pos.File {
				f.Emitted--
				f.Rejected++
				break
			}
		}
	}
	for _, x := range r.list {
		res.CountReject(x)
		if len(res.FirstRejects) < 20 {
			res.FirstRejects = append(res.FirstRejects, x)
		}
	}
}

// ackJournal records what the API acknowledged into the state's journal:
// the records of each chunk are held from the moment it is handed to the
// sink until the sink has resolved every message of it; each message's
// record is journalled as soon as the request that carried it is
// acknowledged (a chunk's messages may be spread over several requests),
// together with any acknowledgements that arrived meanwhile. So a run
// killed at any moment re-sends at most what was in flight: the requests
// not yet acknowledged, and one commit's worth. Refused messages are never
// acknowledged, so never remembered.
//
// It also keeps the keys the API refused (state.Store.Refused): those of
// earlier runs that this one did not deliver, and this run's, with the
// hash of the content refused.
type ackJournal struct {
	store   *state.Store
	mu      sync.Mutex
	pending map[int64][]state.Record
	// pos holds the position of each pending record, to find the record
	// of a refused message (the sink names it by its position).
	pos    map[int64][]record.Position
	closed bool // ready is closed: a late acknowledgement is dropped
	ready  chan []state.Record
	done   chan error
	// refused are the refused keys: the earlier runs' (an acknowledged one
	// is dropped), then this run's.
	refused map[[16]byte]uint64
}

func newAckJournal(store *state.Store) (*ackJournal, error) {
	refused, err := store.Refused()
	if err != nil {
		return nil, err
	}
	j := &ackJournal{store: store, pending: map[int64][]state.Record{}, pos: map[int64][]record.Position{},
		ready: make(chan []state.Record, 64), done: make(chan error, 1), refused: refused}
	go j.loop()
	return j, nil
}

// Delivered implements pipeline.Tracker: called before the chunk reaches
// the sink, with the records of its messages in order.
func (j *ackJournal) Delivered(seq int64, ds []pipeline.Delivery, pos []record.Position) error {
	if len(ds) == 0 {
		return nil
	}
	r := make([]state.Record, len(ds))
	for i, d := range ds {
		r[i] = state.Record(d)
	}
	j.mu.Lock()
	j.pending[seq] = r
	j.pos[seq] = append([]record.Position(nil), pos...)
	j.mu.Unlock()
	return nil
}

// refusedAt notes that the API refused the message of the row at pos
// (the sink's OnRefused comes before the OnAck of its chunk, so the
// record is still pending). Refusals are rare: the chunks in flight are
// searched.
func (j *ackJournal) refusedAt(pos record.Position, code string) {
	if code != sink.CodeAPIRefused {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	for seq, ps := range j.pos {
		for i, p := range ps {
			if p == pos && i < len(j.pending[seq]) {
				if j.refused == nil {
					j.refused = map[[16]byte]uint64{}
				}
				r := j.pending[seq][i]
				j.refused[r.Key] = r.Hash
				return
			}
		}
	}
}

// saveRefused writes the refused keys into the state.
func (j *ackJournal) saveRefused() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.store.SaveRefused(j.refused)
}

// delivered is the sink's OnDelivered: the messages of one acknowledged
// request, journalled without waiting for the rest of their chunks.
func (j *ackJournal) delivered(acks []sink.MessageAck) {
	var out []state.Record
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, a := range acks {
		if recs := j.pending[a.Seq]; a.Index < len(recs) {
			out = append(out, recs[a.Index])
			if j.refused != nil {
				delete(j.refused, recs[a.Index].Key) // an earlier refusal, delivered now
			}
		}
	}
	if len(out) > 0 && !j.closed {
		j.ready <- out // under mu: close cannot come between
	}
}

// ack is the sink's OnAck: every message of the chunk is resolved.
func (j *ackJournal) ack(seq int64) {
	j.mu.Lock()
	delete(j.pending, seq)
	delete(j.pos, seq)
	j.mu.Unlock()
}

func (j *ackJournal) loop() {
	var batch []state.Record
	var err error
	for {
		// Wait for an acknowledgement, take every other one already
		// waiting, and commit them together: one commit per burst keeps
		// the journal at most one commit behind the API.
		recs, ok := <-j.ready
		if !ok {
			j.done <- err
			return
		}
		batch = append(batch[:0], recs...)
		open := true
	drain:
		for len(batch) < 50000 {
			select {
			case more, ok := <-j.ready:
				if !ok {
					open = false
					break drain
				}
				batch = append(batch, more...)
			default:
				break drain
			}
		}
		if err == nil {
			err = j.store.Journal(batch)
		}
		if !open {
			j.done <- err
			return
		}
	}
}

// close commits what is acknowledged and stops.
func (j *ackJournal) close() error {
	j.mu.Lock()
	j.closed = true
	close(j.ready)
	j.mu.Unlock()
	return <-j.done
}
