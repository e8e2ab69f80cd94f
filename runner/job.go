package runner

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/groupimport/groupimport/dedup"
	"github.com/groupimport/groupimport/importer"
	"github.com/groupimport/groupimport/objtraits"
	"github.com/groupimport/groupimport/pipeline"
	"github.com/groupimport/groupimport/report"
	"github.com/groupimport/groupimport/sink"
	"github.com/groupimport/groupimport/state"
	"github.com/groupimport/groupimport/transform"
)

// job is one run of run or validate: its settled config and the state the
// phases build up, each phase filling in what the next needs. Its fields
// are set by the phase named beside them.
type job struct {
	c   *config
	log *slog.Logger
	// defTS is the event time of rows without their own: the config's, or
	// the one of the unfinished run this one resumes (openState).
	defTS time.Time

	// the inputs (openInputs)
	src      *sources          // object storage and standard input (openSources)
	streams  *importer.Streams // inputs read once from the system (named pipes, standard input), replayed to every pass
	join     *joinHolder
	rowBytes map[transform.Kind]float64 // the average size of a row in each kind's first file
	store    *state.Store
	mapping  *transform.Mapping
	inputs   []pipeline.Input
	// objectTypes is the run's groupId → objectTypeId view of its
	// companies (objectTypesFor); reviewKeys the run's objects, for the
	// review's checks (newReviewKeys).
	objectTypes *transform.ObjectTypes
	reviewKeys  *transform.ReviewKeys
	// upsertDeletes is set when a companies or memberships mapping has a
	// deleted column (transformer): some of their rows may be deletes.
	upsertDeletes bool

	// the destination (openOutputs)
	out      sink.Sink
	fileOut  *sink.FileSink // out, when it writes files into --out
	sampler  *sink.Sampled  // out, when a dry run writes only some payloads (--payloads)
	httpSink *sink.HTTPSink // out, when it sends to the API
	refused  *refusals      // with httpSink: the calls the API refused
	rejects  *sink.RejectsWriter

	// what the destination acknowledged (deliver): the API's
	// acknowledgements per file, and whether the sink closed without an
	// error (every message written is then delivered)
	counter   *deliveryCounter
	outClosed bool

	// the delivery pass, as the pre-passes set it up (prePasses)
	pass     pipeline.Config
	keys     *dedup.Detector // duplicates found while files are written, removed after
	tracker  *stateTracker   // an incremental run into files: what to remember
	acks     *ackJournal     // an incremental run to the API: what it acknowledged
	withheld error           // deletes of missing keys not sent: the run fails
	onePass  *onePassPlan    // a first incremental run into files: its plan, made as it delivers
	// unchanged is the planning pass's result of an incremental run that
	// sends nothing, when it stands in for the delivery pass (unchanged.go)
	unchanged *pipeline.Result

	// rep is the report under construction (from openInputs on); res the
	// delivery pass's result (deliver), nil when the run ended before it.
	rep *report.Report
	res *pipeline.Result

	cleanups []func() // run by close, last first
}

func newJob(c *config) *job {
	return &job{c: c, log: c.logger(), defTS: c.defaultTS, streams: importer.NewStreams(""), join: &joinHolder{}}
}

// run carries out the phases up to delivery. An error ends the run early
// (finish then writes what it can); an error of the delivery pass itself
// comes back too, with j.res set.
func (j *job) run(ctx context.Context) error {
	if err := j.openSources(ctx); err != nil {
		return err
	}
	if err := j.openInputs(); err != nil {
		return err
	}
	if err := j.openOutputs(); err != nil {
		return err
	}
	ctx = j.catchSignals(ctx)
	if err := j.prePasses(ctx); err != nil {
		return err
	}
	return j.deliver(ctx)
}

// defer registers f to run when the job is closed (after the report).
func (j *job) onClose(f func()) { j.cleanups = append(j.cleanups, f) }

// close releases what the run holds (the state, the output directory's
// lock, temporary files), last acquired first.
func (j *job) close() {
	for i := len(j.cleanups) - 1; i >= 0; i-- {
		j.cleanups[i]()
	}
	j.closeSources()
}

// catchSignals makes the first SIGINT or SIGTERM cancel the run's context
// (until the job is closed).
func (j *job) catchSignals(ctx context.Context) context.Context {
	ctx, stop := signalContext(ctx)
	j.onClose(stop)
	return ctx
}

// joinHolder points the membership transformers at the object-traits table
// of the pass being run (each pass over the inputs builds its own).
type joinHolder struct {
	l atomic.Pointer[objtraits.Table]
}

func (h *joinHolder) get(dst []byte, key [16]byte) ([]byte, bool) {
	if l := h.l.Load(); l != nil {
		return l.Get(dst, key)
	}
	return dst, false
}

// runPass runs the pipeline once, with a fresh object-traits table when a
// membership mapping joins them in.
func (j *job) runPass(ctx context.Context, cfg pipeline.Config) (*pipeline.Result, error) {
	for _, in := range cfg.Inputs {
		if in.Kind == transform.Memberships && in.Transformer.JoinsObjectTraits() {
			l := objtraits.New("")
			defer l.Close()
			j.join.l.Store(l)
			cfg.Join = l
			break
		}
	}
	cfg.Shard = j.c.shard
	return pipeline.Run(ctx, cfg)
}

// passConfig is the pipeline's configuration for a pass over inputs that
// only looks (no rejects file, no limit on rejects, nothing delivered).
func (j *job) passConfig(inputs []pipeline.Input) pipeline.Config {
	return pipeline.Config{Inputs: inputs, Sink: &sink.Discard{}, Workers: j.c.Workers, BatchRows: j.c.BatchRows, MaxRejects: -1}
}
