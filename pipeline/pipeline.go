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

	"github.com/groupimport/groupimport/dedup"
	"github.com/groupimport/groupimport/importer"
	"github.com/groupimport/groupimport/objtraits"
	"github.com/groupimport/groupimport/record"
	"github.com/groupimport/groupimport/sink"
	"github.com/groupimport/groupimport/state"
	"github.com/groupimport/groupimport/transform"
)

// Input is one kind of input: its files, how to read them, how to map them.
type Input struct {
	Kind        transform.Kind
	Files       []string
	Read        importer.Options
	Transformer *transform.Transformer
	// Open, when set, supplies the reader for each of Files instead of
	// opening them as files (rows that come from elsewhere, such as the
	// keys an incremental run found missing).
	Open func(name string) (importer.Reader, error)
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
	// Superseded holds the ordinals of rows not to send: earlier rows of a
	// key that a later row of the run supersedes. Unchanged holds those the
	// destination already has (an incremental run's state says so).
	Superseded, Unchanged *dedup.Set
	// Keys, when set, logs every payload delivered (for duplicate detection).
	Keys KeyLog
	// RejectedKeys, when set, logs the key of every rejected row whose ids
	// could be read (Msg -1, Hash 0): the export holds that object or
	// relationship even though this row of it could not be sent. Rejected
	// rows whose key could not be read are counted (Result.Unkeyed).
	RejectedKeys KeyLog
	// TempDir holds the spill of deletes waiting for the end of the
	// upserts ("" for the system's).
	TempDir string
	// Tracker, when set, is told what each chunk handed to the sink holds,
	// so that an incremental run can remember it once acknowledged.
	Tracker Tracker
	// Scope, when set, makes the result list the object types seen per
	// kind (Result.Scope).
	Scope bool
	// Join, when set, collects the traits of every company payload; it is
	// built (Table.Build) after the last company and before the first
	// membership is read, for memberships that join object traits in.
	Join *objtraits.Table
}

// KeyLog receives an entry per payload delivered (dedup.Log, dedup.Detector).
type KeyLog interface {
	Add(dedup.Entry) error
}

// Tracker follows deliveries for the state of incremental runs.
type Tracker interface {
	// Delivered is called in order for each chunk just before it is
	// handed to the sink (chunk.Seq numbers them from 0), with a record and
	// the source position of each payload. The slices are valid only
	// during the call.
	Delivered(seq int64, recs []state.Record, pos []record.Position) error
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
	Superseded  int64          `json:"superseded"`
	Deleted     int64          `json:"deleted"`
	DurationMS  int64          `json:"duration_ms"`
	Error       string         `json:"error,omitempty"`
	// Unkeyed counts the rejected rows whose key could not be read (a
	// wrong field count, a missing or unreadable id).
	Unkeyed int64 `json:"-"`

	started time.Time
	// the row ordinals of the file: [ordFirst, ordEnd)
	ordFirst, ordEnd int64
	seen             bool
}

// Result is what a run did.
type Result struct {
	Files      []*FileResult
	Read       int64
	Emitted    int64
	Rejected   int64
	Skipped    int64
	Superseded int64
	Deleted    int64
	FileErrors int
	// Unkeyed counts the rejected rows whose key could not be read: the
	// run cannot tell which object or relationship they were about.
	Unkeyed int64
	// Scope lists, per kind of key ('o' objects, 'r' relationships), the
	// object types seen (with Config.Scope).
	Scope map[byte]map[string]bool
	// Stats describes the payloads per kind, when the transformers collect
	// statistics.
	Stats         map[transform.Kind]*transform.Stats
	Warnings      map[string]int64
	RejectReasons map[string]int64
	FirstRejects  []record.Reject
	// Stopped says why the run ended early ("" when it did not).
	Stopped string
}

// ErrTooManyRejects stops a run that rejects more rows than allowed.
var ErrTooManyRejects = errors.New("too many rejected rows")

type work struct {
	seq    int64
	file   int
	input  *Input
	batch  *record.Batch
	first  int64 // the ordinal of the batch's first row in the run
	done   bool  // the last batch of the file
	err    error // the file's fatal error, with done
	replay byte  // a marker: send the deferred deletes of this class now
	// barrier is a marker: build cfg.Join, then let the reader go on
	barrier bool
}

type result struct {
	seq        int64
	first      int64
	file       int
	chunk      *sink.Chunk
	keys       []keyInfo // parallel to chunk.Ends
	seen       []keyInfo // keys of rejected rows (with cfg.RejectedKeys)
	unkeyed    int64     // rejected rows whose key could not be read
	deferred   *deferred // deletes to send after the upserts
	rejects    []record.Reject
	joins      []joinRec
	barrier    bool
	recs       []state.Record // with a Tracker: parallel to chunk.Ends
	scope      map[string]bool
	read       int64
	superseded int64
	unchanged  int64
	done       bool
	err        error
	progress   int64
	replay     byte
}

// joinRec is a company's traits, for memberships that join them in.
type joinRec struct {
	key    [16]byte
	traits []byte
}

type keyInfo struct {
	key    [16]byte
	row    int64
	hash   uint64
	delete bool // a delete sent in place (from a deletion input)
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
			if cfg.Inputs[i].Open == nil {
				total += fileSize(f)
			}
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
	chunks := &chunkPool{free: make(chan *sink.Chunk, 2*inflight+cfg.Workers), keys: make(chan []keyInfo, 2*inflight+cfg.Workers)}
	tokens := make(chan struct{}, inflight*2)
	workCh := make(chan work, cfg.Workers)
	resCh := make(chan result, cfg.Workers)

	g, gctx := errgroup.WithContext(ctx)
	joined := make(chan error, 1)

	// The reader.
	g.Go(func() error {
		defer close(workCh)
		var seq, ordinal int64
		fileIdx := 0
		var bytesBefore int64
		replayed := map[byte]bool{}
		replay := func(class byte) error {
			if replayed[class] {
				return nil
			}
			replayed[class] = true
			return sendWork(gctx, work{replay: class}, &seq, tokens, workCh)
		}
		barrierDone := false
		for ii := range cfg.Inputs {
			in := &cfg.Inputs[ii]
			if cfg.Join != nil && in.Kind == transform.Memberships && !barrierDone {
				// Every company must be in the join table before a
				// membership is built.
				barrierDone = true
				if err := sendWork(gctx, work{barrier: true}, &seq, tokens, workCh); err != nil {
					return err
				}
				select {
				case err := <-joined:
					if err != nil {
						return err
					}
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			// Deferred deletes go after every upsert: relationship deletes
			// before the deletion inputs, object deletes last.
			switch in.Kind {
			case transform.RelationshipDeletes:
				if err := replay(classRelationship); err != nil {
					return err
				}
			case transform.ObjectDeletes:
				if err := replay(classRelationship); err != nil {
					return err
				}
				if err := replay(classObject); err != nil {
					return err
				}
			}
			for _, path := range in.Files {
				fr := files[fileIdx]
				fr.started = time.Now()
				err := readFile(gctx, in, path, fr, fileIdx, &seq, &ordinal, batches, tokens, workCh, bytesBefore, cfg.BatchRows)
				if err != nil {
					return err // cancelled
				}
				bytesBefore += fileSize(path)
				fileIdx++
			}
		}
		if err := replay(classRelationship); err != nil {
			return err
		}
		return replay(classObject)
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
				var r result
				var err error
				if wk.replay != 0 || wk.barrier {
					r = result{seq: wk.seq, replay: wk.replay, barrier: wk.barrier, file: -1}
				} else {
					r, err = build(wk, mine, chunks, cfg)
					batches <- wk.batch
				}
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
		w := &writer{cfg: &cfg, res: res, chunks: chunks, spill: map[byte]*spill{}}
		defer w.close()
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
				var err error
				switch {
				case r.barrier:
					err = cfg.Join.Build()
					joined <- err
				case r.replay != 0:
					err = w.replay(gctx, r.replay)
				default:
					err = w.deliver(gctx, r)
					bytesDone = r.progress
				}
				<-tokens
				if err != nil {
					return err
				}
				if cfg.Progress != nil && time.Since(lastProgress) >= cfg.ProgressInterval && r.file >= 0 {
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
		for t, b := range m {
			for k, v := range b.Warnings {
				res.Warnings[k] += v
			}
			if b.Stats != nil {
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

// sendWork numbers w and hands it to the workers, waiting for a token (a
// slot among the batches in flight).
func sendWork(ctx context.Context, w work, seq *int64, tokens chan struct{}, workCh chan<- work) error {
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

// readFile reads one file into numbered batches.
func readFile(ctx context.Context, in *Input, path string, fr *FileResult, fileIdx int, seq, ordinal *int64,
	batches chan *record.Batch, tokens chan struct{}, workCh chan<- work, bytesBefore int64, batchRows int) error {
	send := func(w work) error {
		w.first = *ordinal
		*ordinal += int64(len(w.batch.Rows))
		return sendWork(ctx, w, seq, tokens, workCh)
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
	var r importer.Reader
	var err error
	format := importer.Format("")
	if in.Open != nil {
		r, err = in.Open(path)
		format = "internal"
	} else {
		var src *importer.Source
		if r, src, err = openSafely(path, in.Read); err == nil {
			format = src.Format
			fr.Compression = string(src.Compression)
		}
	}
	if err != nil {
		b, gerr := getBatch()
		if gerr != nil {
			return gerr
		}
		return send(work{file: fileIdx, input: in, batch: b, done: true, err: err})
	}
	fr.Format = string(format)
	defer r.Close()
	if err := in.Transformer.Check(r.Columns()); err != nil && format != importer.NDJSON {
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

// build turns a batch into a chunk of payloads, deferred deletes and a list
// of rejects.
func build(wk work, builders map[*transform.Transformer]*transform.Builder, chunks *chunkPool, cfg Config) (res result, err error) {
	t := wk.input.Transformer
	bl := builders[t]
	if bl == nil {
		bl = t.NewBuilder()
		builders[t] = bl
	}
	c := chunks.get()
	c.Seq = wk.seq
	res = result{seq: wk.seq, first: wk.first, file: wk.file, chunk: c, done: wk.done, err: wk.err, progress: wk.batch.Offset,
		keys: chunks.getKeys()}
	kind := string(wk.input.Kind)
	deferDeletes := wk.input.Kind == transform.Companies || wk.input.Kind == transform.Memberships
	for i := range wk.batch.Rows {
		row := &wk.batch.Rows[i]
		ord := wk.first + int64(i)
		res.read++
		if cfg.Superseded.Has(ord) {
			res.superseded++
			continue
		}
		if cfg.Unchanged.Has(ord) {
			res.unchanged++
			continue
		}
		mark := len(c.Data)
		var out transform.Out
		var rerr *transform.RowError
		c.Data, out, rerr = safeAppend(bl, c.Data, row)
		if rerr != nil {
			if rerr.Internal && res.err == nil {
				res.err = fmt.Errorf("%s row %d: %s (the row is in the rejects file; please report this)", wk.batch.File, row.Num, rerr.Reason)
			}
			res.rejects = append(res.rejects, newReject(kind, wk.batch.File, row, rerr))
			switch {
			case !out.Keyed:
				res.unkeyed++
			case cfg.RejectedKeys != nil:
				res.seen = append(res.seen, keyInfo{key: out.Key, row: ord})
				res.addScope(cfg.Scope, &out)
			}
			continue
		}
		pos := record.Position{File: wk.batch.File, Line: row.Line, Row: row.Num, RowGroup: row.Group}
		res.addScope(cfg.Scope, &out)
		if out.Delete && deferDeletes {
			if res.deferred == nil {
				res.deferred = &deferred{}
			}
			class := classObject
			if wk.input.Kind == transform.Memberships {
				class = classRelationship
			}
			res.deferred.add(class, c.Data[mark:], pos, keyInfo{out.Key, ord, out.Hash, true})
			c.Data = c.Data[:mark]
			continue
		}
		c.Ends = append(c.Ends, len(c.Data))
		c.Pos = append(c.Pos, pos)
		res.keys = append(res.keys, keyInfo{out.Key, ord, out.Hash, out.Delete})
		if cfg.Join != nil && wk.input.Kind == transform.Companies && !out.Delete {
			res.joins = append(res.joins, joinRec{out.Key, append([]byte(nil), c.Data[out.Traits[0]:out.Traits[1]]...)})
		}
		if cfg.Tracker != nil {
			res.recs = append(res.recs, state.Record{Key: out.Key, Hash: out.Hash, Deleted: out.Delete, Relationship: out.Relationship,
				ObjType: string(out.ObjType), GroupID: string(out.GroupID), UserID: string(out.UserID), AnonymousID: string(out.AnonymousID)})
		}
	}
	if len(c.Ends) > 0 {
		if err := cfg.Sink.Prepare(c); err != nil {
			return res, err
		}
	}
	return res, nil
}

// addScope notes the kind and object type of a key (with Config.Scope).
func (r *result) addScope(on bool, out *transform.Out) {
	if !on {
		return
	}
	class := "o"
	if out.Relationship {
		class = "r"
	}
	if sk := class + string(out.ObjType); !r.scope[sk] {
		if r.scope == nil {
			r.scope = map[string]bool{}
		}
		r.scope[sk] = true
	}
}

// safeAppend builds one row; a panic (a bug) rejects that row and marks
// its file as failed instead of crashing the run.
func safeAppend(bl *transform.Builder, dst []byte, row *record.Row) (out []byte, o transform.Out, rerr *transform.RowError) {
	n := len(dst)
	defer func() {
		if p := recover(); p != nil {
			out, o = dst[:n], transform.Out{}
			rerr = &transform.RowError{Internal: true, Reason: fmt.Sprintf("internal error: %v", p)}
		}
	}()
	return bl.Append(dst, row)
}

func newReject(kind, file string, row *record.Row, e *transform.RowError) record.Reject {
	r := record.Reject{
		Kind:   kind,
		Pos:    record.Position{File: file, Line: row.Line, Row: row.Num, RowGroup: row.Group},
		Code:   e.Code,
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

// FileOf returns the index in Files of the file that held the row with
// the given ordinal, or -1.
func (r *Result) FileOf(ordinal int64) int {
	for i, f := range r.Files {
		if f.seen && ordinal >= f.ordFirst && ordinal < f.ordEnd {
			return i
		}
	}
	return -1
}

// Ordinals returns the row ordinals of file i, [first, end); ok is false
// when the file gave no rows.
func (r *Result) Ordinals(i int) (first, end int64, ok bool) {
	f := r.Files[i]
	return f.ordFirst, f.ordEnd, f.seen
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

type chunkPool struct {
	free chan *sink.Chunk
	keys chan []keyInfo
}

func (p *chunkPool) getKeys() []keyInfo {
	select {
	case k := <-p.keys:
		return k[:0]
	default:
		return nil
	}
}

func (p *chunkPool) putKeys(k []keyInfo) {
	if cap(k) == 0 {
		return
	}
	select {
	case p.keys <- k:
	default:
	}
}

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
