// Package pipeline wires readers, builders and a sink into one ordered,
// parallel run:
//
//	files ──reader──▶ batches ──workers (transform, compress)──▶ chunks ──writer──▶ sink
//	                  (numbered)                                 (reordered)        rejects
//
// One goroutine reads the files in order and numbers each batch of rows;
// workers build payloads (and compress them, when the sink wants) in
// parallel; the writer puts chunks back in number order before they reach
// the sink, so output order is input order. A fixed number of batches is in
// flight at any time, which bounds memory whatever the input size.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/groupimport/groupimport/importer"
	"github.com/groupimport/groupimport/record"
	"github.com/groupimport/groupimport/sink"
	"github.com/groupimport/groupimport/transform"
)

// Input is one kind of input: its files, how to read them, how to map them.
type Input struct {
	Kind        transform.Kind
	Files       []string
	Read        importer.Options
	Transformer *transform.Transformer
}

// Config configures a run.
type Config struct {
	Inputs  []Input
	Sink    sink.Sink
	Rejects *sink.RejectsWriter
	// Workers building payloads (default: the number of CPUs).
	Workers int
	// BatchRows is the number of rows per batch (default 4096).
	BatchRows int
	// MaxRejects stops the run when more rows are rejected (< 0: no limit).
	MaxRejects int64
	// Progress, when set, is called from the writer about every interval.
	Progress         func(Progress)
	ProgressInterval time.Duration
	// FirstRejects is how many rejects the result keeps in full (default 20).
	FirstRejects int
}

// Progress is a snapshot for progress displays.
type Progress struct {
	Read, Emitted, Rejected int64
	BytesDone, BytesTotal   int64
	File                    string
	Elapsed                 time.Duration
}

// FileResult is what happened to one input file.
type FileResult struct {
	Path        string         `json:"path"`
	Kind        transform.Kind `json:"kind"`
	Format      string         `json:"format"`
	Compression string         `json:"compression,omitempty"`
	Read        int64          `json:"read"`
	Emitted     int64          `json:"emitted"`
	Rejected    int64          `json:"rejected"`
	Skipped     int64          `json:"skipped_unchanged"`
	DurationMS  int64          `json:"duration_ms"`
	Error       string         `json:"error,omitempty"`

	started time.Time
}

// Result is what a run did.
type Result struct {
	Files         []*FileResult
	Read          int64
	Emitted       int64
	Rejected      int64
	Skipped       int64
	FileErrors    int
	Warnings      map[string]int64
	RejectReasons map[string]int64
	FirstRejects  []record.Reject
	// Stopped says why the run ended early ("" when it did not).
	Stopped string
}

// ErrTooManyRejects stops a run that rejects more rows than allowed.
var ErrTooManyRejects = errors.New("too many rejected rows")

type work struct {
	seq   int64
	file  int
	input *Input
	batch *record.Batch
	done  bool  // the last batch of the file
	err   error // the file's fatal error, with done
}

type result struct {
	seq      int64
	file     int
	chunk    *sink.Chunk
	rejects  []record.Reject
	read     int64
	done     bool
	err      error
	progress int64
}

// Run reads every input and delivers the payloads to cfg.Sink in input
// order. It returns the result even with an error (a failed sink, a
// cancelled context, too many rejects); file errors do not stop the run and
// are counted in Result.FileErrors.
func Run(ctx context.Context, cfg Config) (*Result, error) {
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
	res := &Result{Warnings: map[string]int64{}, RejectReasons: map[string]int64{}}
	var files []*FileResult
	var total int64
	for i := range cfg.Inputs {
		for _, f := range cfg.Inputs[i].Files {
			files = append(files, &FileResult{Path: f, Kind: cfg.Inputs[i].Kind})
			total += fileSize(f)
		}
	}
	res.Files = files

	inflight := 2*cfg.Workers + 2
	batches := make(chan *record.Batch, inflight)
	for i := 0; i < inflight; i++ {
		batches <- record.NewBatch(cfg.BatchRows, 1<<20)
	}
	// Chunks are recycled through a free list (not a sync.Pool, which the
	// GC empties): their buffers reach the size of a batch's payloads once
	// and stay there.
	chunks := &chunkPool{free: make(chan *sink.Chunk, 2*inflight+cfg.Workers)}
	tokens := make(chan struct{}, inflight*2)
	workCh := make(chan work, cfg.Workers)
	resCh := make(chan result, cfg.Workers)

	g, gctx := errgroup.WithContext(ctx)

	// The reader.
	g.Go(func() error {
		defer close(workCh)
		var seq int64
		fileIdx := 0
		var bytesBefore int64
		for ii := range cfg.Inputs {
			in := &cfg.Inputs[ii]
			for _, path := range in.Files {
				fr := files[fileIdx]
				fr.started = time.Now()
				err := readFile(gctx, in, path, fr, fileIdx, &seq, batches, tokens, workCh, bytesBefore, cfg.BatchRows)
				if err != nil {
					return err // cancelled
				}
				bytesBefore += fileSize(path)
				fileIdx++
			}
		}
		return nil
	})

	// The workers.
	var wg sync.WaitGroup
	builders := make([]map[*transform.Transformer]*transform.Builder, cfg.Workers)
	for w := 0; w < cfg.Workers; w++ {
		builders[w] = map[*transform.Transformer]*transform.Builder{}
		wg.Add(1)
		mine := builders[w]
		g.Go(func() error {
			defer wg.Done()
			for wk := range workCh {
				r, err := build(wk, mine, chunks, cfg.Sink)
				batches <- wk.batch
				if err != nil {
					return err
				}
				select {
				case resCh <- r:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	}
	go func() {
		wg.Wait()
		close(resCh)
	}()

	// The writer, in order.
	g.Go(func() error {
		pending := map[int64]result{}
		var next int64
		start := time.Now()
		lastProgress := start
		var bytesDone int64
		for r := range resCh {
			pending[r.seq] = r
			for {
				r, ok := pending[next]
				if !ok {
					break
				}
				delete(pending, next)
				next++
				if err := deliver(gctx, &cfg, res, r); err != nil {
					return err
				}
				chunks.put(r.chunk)
				<-tokens
				bytesDone = r.progress
				if cfg.Progress != nil && time.Since(lastProgress) >= cfg.ProgressInterval {
					lastProgress = time.Now()
					cfg.Progress(Progress{Read: res.Read, Emitted: res.Emitted, Rejected: res.Rejected,
						BytesDone: bytesDone, BytesTotal: total, File: files[r.file].Path, Elapsed: time.Since(start)})
				}
			}
		}
		if cfg.Progress != nil {
			cfg.Progress(Progress{Read: res.Read, Emitted: res.Emitted, Rejected: res.Rejected,
				BytesDone: total, BytesTotal: total, Elapsed: time.Since(start)})
		}
		return nil
	})

	err := g.Wait()
	for _, m := range builders {
		for _, b := range m {
			for k, v := range b.Warnings {
				res.Warnings[k] += v
			}
		}
	}
	if err != nil {
		switch {
		case errors.Is(err, ErrTooManyRejects):
			res.Stopped = err.Error()
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			res.Stopped = "interrupted"
		default:
			res.Stopped = err.Error()
		}
	}
	return res, err
}

// readFile reads one file into numbered batches.
func readFile(ctx context.Context, in *Input, path string, fr *FileResult, fileIdx int, seq *int64,
	batches chan *record.Batch, tokens chan struct{}, workCh chan<- work, bytesBefore int64, batchRows int) error {
	send := func(w work) error {
		select {
		case tokens <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		w.seq = *seq
		*seq++
		select {
		case workCh <- w:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	getBatch := func() (*record.Batch, error) {
		select {
		case b := <-batches:
			b.Reset()
			b.File = path
			return b, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	r, src, err := openSafely(path, in.Read)
	if err != nil {
		b, gerr := getBatch()
		if gerr != nil {
			return gerr
		}
		return send(work{file: fileIdx, input: in, batch: b, done: true, err: err})
	}
	fr.Format = string(src.Format)
	fr.Compression = string(src.Compression)
	defer r.Close()
	if err := in.Transformer.Check(r.Columns()); err != nil && src.Format != importer.NDJSON {
		b, gerr := getBatch()
		if gerr != nil {
			return gerr
		}
		return send(work{file: fileIdx, input: in, batch: b, done: true, err: fmt.Errorf("%s: %w", path, err)})
	}
	for {
		b, err := getBatch()
		if err != nil {
			return err
		}
		rerr := nextSafely(r, b, batchRows)
		b.Offset += bytesBefore
		w := work{file: fileIdx, input: in, batch: b}
		if rerr != nil {
			w.done = true
			if rerr != io.EOF {
				w.err = rerr
			}
		}
		if err := send(w); err != nil {
			return err
		}
		if w.done {
			return nil
		}
	}
}

// openSafely and nextSafely turn a panic inside a reader (a third-party
// decoder meeting a file it did not expect) into an error for that file.
func openSafely(path string, opts importer.Options) (r importer.Reader, src *importer.Source, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &importer.FileError{File: path, Err: fmt.Errorf("the reader failed on this file: %v", p)}
		}
	}()
	return importer.Open(path, opts)
}

func nextSafely(r importer.Reader, b *record.Batch, max int) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &importer.FileError{File: b.File, Err: fmt.Errorf("the reader failed on this file: %v", p)}
		}
	}()
	return r.Next(b, max)
}

// build turns a batch into a chunk of payloads and a list of rejects.
func build(wk work, builders map[*transform.Transformer]*transform.Builder, chunks *chunkPool, s sink.Sink) (res result, err error) {
	t := wk.input.Transformer
	bl := builders[t]
	if bl == nil {
		bl = t.NewBuilder()
		builders[t] = bl
	}
	c := chunks.get()
	c.Seq = wk.seq
	res = result{seq: wk.seq, file: wk.file, chunk: c, done: wk.done, err: wk.err, progress: wk.batch.Offset}
	kind := string(wk.input.Kind)
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error building payloads for %s: %v", wk.batch.File, p)
		}
	}()
	for i := range wk.batch.Rows {
		row := &wk.batch.Rows[i]
		res.read++
		var rerr *transform.RowError
		c.Data, rerr = bl.Append(c.Data, row)
		if rerr != nil {
			res.rejects = append(res.rejects, newReject(kind, wk.batch.File, row, rerr))
			continue
		}
		c.Ends = append(c.Ends, len(c.Data))
		c.Pos = append(c.Pos, record.Position{File: wk.batch.File, Line: row.Line, Row: row.Num, RowGroup: row.Group})
	}
	if len(c.Ends) > 0 {
		if err := s.Prepare(c); err != nil {
			return res, err
		}
	}
	return res, nil
}

func newReject(kind, file string, row *record.Row, e *transform.RowError) record.Reject {
	r := record.Reject{
		Kind:   kind,
		Pos:    record.Position{File: file, Line: row.Line, Row: row.Num, RowGroup: row.Group},
		Column: e.Column,
		Reason: e.Reason,
		Raw:    append([]byte(nil), row.Raw...),
	}
	if row.Err != nil {
		r.Col = row.Err.Col
		if row.Err.Line > 0 {
			r.Pos.Line = row.Err.Line
		}
	}
	if row.Raw == nil && row.Values != nil {
		r.Raw, r.RawJSON = rowJSON(row), true
	}
	return r
}

// deliver hands one chunk to the sink and accounts for it.
func deliver(ctx context.Context, cfg *Config, res *Result, r result) error {
	fr := res.Files[r.file]
	if err := cfg.Sink.Write(ctx, r.chunk); err != nil {
		return err
	}
	n := int64(r.chunk.Count())
	fr.Read += r.read
	fr.Emitted += n
	fr.Rejected += int64(len(r.rejects))
	res.Read += r.read
	res.Emitted += n
	res.Rejected += int64(len(r.rejects))
	for _, x := range r.rejects {
		res.RejectReasons[ReasonClass(x.Column, x.Reason)]++
		if len(res.FirstRejects) < cfg.FirstRejects {
			res.FirstRejects = append(res.FirstRejects, x)
		}
	}
	if cfg.Rejects != nil && len(r.rejects) > 0 {
		if err := cfg.Rejects.Write(r.rejects); err != nil {
			return err
		}
	}
	if r.done {
		fr.DurationMS = time.Since(fr.started).Milliseconds()
		if r.err != nil {
			fr.Error = r.err.Error()
			res.FileErrors++
		}
	}
	if cfg.MaxRejects >= 0 && res.Rejected > cfg.MaxRejects {
		return fmt.Errorf("%w: %d rejected, more than --max-rejects %d", ErrTooManyRejects, res.Rejected, cfg.MaxRejects)
	}
	return nil
}

// SortedReasons returns reject reasons by count, most frequent first.
func (r *Result) SortedReasons() []ReasonCount {
	out := make([]ReasonCount, 0, len(r.RejectReasons))
	for k, v := range r.RejectReasons {
		out = append(out, ReasonCount{k, v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Reason < out[j].Reason
	})
	return out
}

// ReasonCount is a reject reason and how often it occurred.
type ReasonCount struct {
	Reason string `json:"reason"`
	Count  int64  `json:"count"`
}

type chunkPool struct{ free chan *sink.Chunk }

func (p *chunkPool) get() *sink.Chunk {
	select {
	case c := <-p.free:
		c.Reset()
		return c
	default:
		return &sink.Chunk{Data: make([]byte, 0, 4<<20)}
	}
}

func (p *chunkPool) put(c *sink.Chunk) {
	select {
	case p.free <- c:
	default:
	}
}
