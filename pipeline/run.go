package pipeline

import (
	"context"
	"os"
	"runtime"
	"time"

	"github.com/groupimport/groupimport/internal/ordered"
	"github.com/groupimport/groupimport/record"
	"github.com/groupimport/groupimport/sink"
	"github.com/groupimport/groupimport/transform"
)

// run is one Run: what lives across its phases.
type run struct {
	cfg *Config
	res *Result
	w   *writer
	// firstFile is the index in res.Files of each input's first file.
	firstFile []int
	// totalBytes is the size of the input files.
	totalBytes int64
	// inFlight is the number of batches being read, built or written.
	inFlight int
	// batches is the free list of batches, inFlight of them, and chunks
	// that of chunks: their buffers reach the size of a batch once and
	// stay there (a sync.Pool would let the GC empty them).
	batches chan *record.Batch
	chunks  *chunkPool
	// builders are each worker's, by transformer.
	builders []map[*transform.Transformer]*transform.Builder
	// the reader's position: the next row's ordinal, and the bytes of the
	// files read before the current one
	ordinal, bytesBefore int64
	// the next ordinal of a row of an input that is not a file (see
	// readFile)
	internalOrdinal int64
	// progress reports
	start, lastProgress time.Time
	bytesDone           int64
}

func newRun(cfg *Config) *run {
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.NumCPU()
	}
	if cfg.BatchRows <= 0 {
		cfg.BatchRows = 4096
	}
	if cfg.FirstRejects <= 0 {
		cfg.FirstRejects = 20
	}
	if cfg.ProgressInterval <= 0 {
		cfg.ProgressInterval = time.Second
	}
	r := &run{cfg: cfg, res: &Result{Warnings: map[string]int64{}, RejectReasons: map[ReasonKey]*ReasonCount{}}}
	for i := range cfg.Inputs {
		r.firstFile = append(r.firstFile, len(r.res.Files))
		for _, f := range cfg.Inputs[i].Files {
			r.res.Files = append(r.res.Files, &FileResult{Path: f, Kind: cfg.Inputs[i].Kind})
			if cfg.Inputs[i].Open == nil {
				r.totalBytes += inputSize(&cfg.Inputs[i], f)
			}
		}
	}
	r.inFlight = 2*cfg.Workers + 2
	r.batches = make(chan *record.Batch, r.inFlight)
	for range r.inFlight {
		r.batches <- record.NewBatch(cfg.BatchRows, 1<<20)
	}
	r.chunks = newChunkPool(2*r.inFlight + cfg.Workers)
	r.builders = make([]map[*transform.Transformer]*transform.Builder, cfg.Workers)
	for i := range r.builders {
		r.builders[i] = map[*transform.Transformer]*transform.Builder{}
	}
	r.w = &writer{cfg: cfg, res: r.res, chunks: r.chunks}
	r.internalOrdinal = internalOrdinals
	r.start = time.Now()
	r.lastProgress = r.start
	return r
}

func (r *run) close() { r.w.close() }

// has says whether any input is of kind.
func (r *run) has(kind transform.Kind) bool {
	for _, in := range r.cfg.Inputs {
		if in.Kind == kind && len(in.Files) > 0 {
			return true
		}
	}
	return false
}

// stream runs the inputs of one kind through the ordered group: the reader
// numbers batches of rows, the workers build them, the writer delivers them
// in number order. A chunk holds a token from reading to delivery: twice as
// many chunks as batches may be in flight, since a batch is free again
// once built.
func (r *run) stream(ctx context.Context, kind transform.Kind) error {
	if !r.has(kind) {
		return nil
	}
	return ordered.Run(ctx, ordered.Options{Workers: r.cfg.Workers, InFlight: 2 * r.inFlight},
		func(ctx context.Context, emit ordered.Emit[*work]) error { return r.read(ctx, kind, emit) },
		r.build,
		r.deliver)
}

// deliver is the writer's end of the ordered group.
func (r *run) deliver(ctx context.Context, b *built) error {
	if err := r.w.deliver(ctx, b); err != nil {
		return err
	}
	r.bytesDone = b.offset
	r.progress(r.res.Files[b.file].Path, false)
	return nil
}

// progress reports to cfg.Progress about every interval, and at the end.
func (r *run) progress(file string, final bool) {
	if r.cfg.Progress == nil || !final && time.Since(r.lastProgress) < r.cfg.ProgressInterval {
		return
	}
	r.lastProgress = time.Now()
	p := Progress{Read: r.res.Read, Emitted: r.res.Emitted, Rejected: r.res.Rejected,
		BytesDone: r.bytesDone, BytesTotal: r.totalBytes, File: file, Elapsed: time.Since(r.start)}
	if final {
		p.BytesDone = r.totalBytes
	}
	r.cfg.Progress(p)
}

// mergeBuilders adds up the workers' warnings and statistics.
func (r *run) mergeBuilders() {
	res := r.res
	for _, f := range res.Files {
		for k, v := range f.warnings {
			res.Warnings[k] += v
		}
	}
	for _, m := range r.builders {
		for t, b := range m {
			for k, v := range b.Warnings {
				res.Warnings[k] += v
			}
			if b.Stats == nil {
				continue
			}
			if res.Stats == nil {
				res.Stats = map[transform.Kind]*transform.Stats{}
			}
			if res.Stats[t.Kind()] == nil {
				res.Stats[t.Kind()] = &transform.Stats{Kind: t.Kind(), Fields: map[string]*transform.FieldStats{}}
			}
			res.Stats[t.Kind()].Merge(b.Stats)
		}
	}
}

// internalOrdinals is the first ordinal of the rows of inputs that are not
// files: far past any file's.
const internalOrdinals = 1 << 62

// inputSize is the size of an input file (an object's, from its listing),
// or 0 when unknown (a stream).
func inputSize(in *Input, path string) int64 {
	if rm := in.Read.Remote; rm != nil && rm.Handles(path) {
		n, _ := rm.Size(path)
		return n
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// chunkPool recycles chunks and the key and delivery lists that go with
// them.
type chunkPool struct {
	free recycler[*sink.Chunk]
	keys recycler[[]keyInfo]
	// deliveries: a batch's list grown from nothing, then left to the GC,
	// cost a run with --state 0.5 s of 6 s of CPU samples (growslice and
	// GC assists) on 1M companies
	deliveries recycler[[]Delivery]
}

func newChunkPool(n int) *chunkPool {
	return &chunkPool{free: make(recycler[*sink.Chunk], n), keys: make(recycler[[]keyInfo], n), deliveries: make(recycler[[]Delivery], n)}
}

// recycler holds up to its capacity of things given back, for reuse.
type recycler[T any] chan T

// get returns a thing given back, or the zero value when there is none.
func (r recycler[T]) get() (v T) {
	select {
	case v = <-r:
	default:
	}
	return v
}

// put gives v back; it is dropped when the recycler is full.
func (r recycler[T]) put(v T) {
	select {
	case r <- v:
	default:
	}
}

func (p *chunkPool) getDeliveries() []Delivery { return p.deliveries.get()[:0] }

// putDeliveries takes back a list the Tracker was told (it keeps none:
// Tracker.Delivered's slices are valid only during the call).
func (p *chunkPool) putDeliveries(d []Delivery) {
	if cap(d) > 0 {
		clear(d[:cap(d)]) // the strings go
		p.deliveries.put(d)
	}
}

func (p *chunkPool) get() *sink.Chunk {
	if c := p.free.get(); c != nil {
		c.Reset()
		return c
	}
	return &sink.Chunk{Data: make([]byte, 0, 4<<20)}
}

func (p *chunkPool) put(c *sink.Chunk) { p.free.put(c) }

func (p *chunkPool) getKeys() []keyInfo { return p.keys.get()[:0] }

func (p *chunkPool) putKeys(k []keyInfo) {
	if cap(k) > 0 {
		p.keys.put(k)
	}
}
