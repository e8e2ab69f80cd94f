package runner

import (
	"context"
	"fmt"
	"strings"

	"github.com/groupimport/groupimport/dedup"
	"github.com/groupimport/groupimport/pipeline"
	"github.com/groupimport/groupimport/sink"
	"github.com/groupimport/groupimport/state"
)

// prePasses is the phase that sets up the delivery pass, reading the
// inputs once first where it must know something about all of them before
// the first payload leaves: an incremental run compares them with the
// state (what is new, changed, gone), and a run that sends rows of
// duplicate keys anywhere but files learns which rows lose. Files and
// validate find the duplicates while they write (nothing has left the
// machine yet) and remove them afterwards.
func (j *job) prePasses(ctx context.Context) error {
	c := j.c
	j.pass = pipeline.Config{Inputs: j.inputs, Sink: j.out, Rejects: j.rejects, Workers: c.Workers, BatchRows: c.BatchRows,
		MaxRejects: -1}
	if c.LimitRejects {
		j.pass.MaxRejects = c.MaxRejects
	}
	switch {
	case j.store != nil:
		return j.incremental(ctx)
	case c.Duplicates == "last" && (!c.isRun || j.fileOut != nil):
		// the last row of a key wins: validate only counts the others
		j.keys = dedup.NewDetector("", j.expectedRows())
		j.onClose(func() { j.keys.Close() })
		j.pass.Keys = keyLog{j.keys}
	case c.Duplicates == "last":
		return j.findDuplicates(ctx)
	}
	return nil
}

// findDuplicates reads everything once to learn which rows of a key lose
// to a later one, so that they are never sent.
func (j *job) findDuplicates(ctx context.Context) error {
	keys := dedup.NewDetector("", j.expectedRows())
	j.onClose(func() { keys.Close() })
	pass := j.passConfig(j.inputs)
	pass.Keys = keyLog{keys}
	if _, err := j.runPass(ctx, pass); err != nil {
		return fmt.Errorf("looking for duplicate keys: %w", err)
	}
	dups, err := keys.Resolve()
	if err != nil {
		return err
	}
	j.pass.Superseded = dups.Rows
	return nil
}

// incremental plans an incremental run (see planIncremental), says the
// plan, sets up what remembers the delivery in the state, and marks the
// run as running there.
func (j *job) incremental(ctx context.Context) error {
	c := j.c
	if one, err := j.canSendInOnePass(); err != nil {
		return fmt.Errorf("reading the state: %w", err)
	} else if one {
		return j.incrementalOnePass()
	}
	pl, err := j.planIncremental(ctx)
	if pl != nil {
		j.rep.Plan = &pl.Plan
	}
	if err != nil {
		return err
	}
	j.onClose(pl.close)
	j.withheld = pl.withheld
	j.pass.Superseded, j.pass.Unchanged = pl.superseded, pl.unchanged
	if err := j.noteMappingChange(&pl.Plan); err != nil {
		return err
	}
	j.sayPlan(&pl.Plan)
	switch {
	case c.DryRun:
		if j.fileOut == nil {
			// nothing to write: the plan is the output
			j.out = &sink.Discard{}
			j.pass.Sink = j.out
		}
		j.pass.Tracker = j.planTracker(pl, nil)
		return nil
	case j.httpSink != nil:
		if j.acks, err = newAckJournal(j.store); err != nil {
			return err
		}
		j.refused.onRefused = j.acks.refusedAt
		j.pass.Tracker = j.acks
	default:
		j.tracker = &stateTracker{sorter: state.NewSorter("")}
		j.onClose(func() { j.tracker.sorter.Close() })
		j.pass.Tracker = j.tracker
	}
	j.pass.Tracker = j.planTracker(pl, j.pass.Tracker)
	return j.store.SaveRun(j.runInfo("running", ""))
}

// expectedRows guesses the rows of the inputs from their size and the
// size of the rows sampled (100 bytes when unknown; compressed files are
// taken to hold five times their size), to size the duplicate filter.
func (j *job) expectedRows() int64 {
	var n float64
	for _, in := range j.inputs {
		per := j.rowBytes[in.Kind]
		if per <= 0 {
			per = 100
		}
		for _, f := range in.Files {
			bytes, ok := j.src.inputSize(f)
			if !ok {
				continue
			}
			size := float64(bytes)
			if strings.HasSuffix(f, ".gz") || strings.HasSuffix(f, ".zst") || strings.HasSuffix(f, ".parquet") {
				size *= 5
			}
			n += size / per
		}
	}
	return int64(n)
}
