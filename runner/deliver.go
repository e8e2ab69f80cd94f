package runner

import (
	"context"
	"time"

	"github.com/groupimport/groupimport/dedup"
	"github.com/groupimport/groupimport/pipeline"
)

// deliver is the phase that runs the delivery pass and completes the
// destination: the sink is closed (or aborted on an error), superseded
// payloads are removed from the files, refusals are counted as rejects,
// and an incremental run remembers in the state what was delivered. It
// sets j.res; the error it returns is the first that kept the delivery
// from being whole.
func (j *job) deliver(ctx context.Context) error {
	prog := newProgress(j.c, j.log)
	if hs := j.httpSink; hs != nil {
		prog.delivery = func() deliveryProgress {
			st := hs.HTTPStats()
			return deliveryProgress{Delivered: st.Messages, Requests: st.Requests, Retries: st.Retries.Total(), Refused: st.Refused}
		}
	}
	if j.httpSink != nil {
		// in front of the state's journal, if any: counts what the API acknowledges per file
		j.counter = newDeliveryCounter(j.pass.Tracker)
		j.pass.Tracker = j.counter
	}
	j.pass.Progress, j.pass.ProgressInterval = prog.update, prog.interval
	j.streams.LastPass() // a stream read by an earlier pass is not kept past this one
	res := j.unchangedResult()
	var err error
	if res == nil {
		res, err = j.runPass(ctx, j.pass)
	}
	prog.done()
	j.res = res
	var first firstError
	first.keep(err)
	first.keep(j.closeOutputs(ctx, first.err))
	first.keep(j.remember(first.err))
	first.keep(j.finishOnePass())
	j.rep.Output = reportOutput(j.out.Stats())
	j.sampleOutput(&j.rep.Output)
	return first.err
}

// closeOutputs completes (or, after err, aborts) the sink and closes the
// rejects file, moving what the API refused from emitted to rejected.
func (j *job) closeOutputs(ctx context.Context, err error) error {
	var first firstError
	first.keep(err)
	if first.err == nil {
		first.keep(j.out.Close(ctx))
	}
	if first.err == nil && j.keys != nil {
		first.keep(dropSuperseded(j.keys, j.res, j.payloadFiles()))
	}
	if first.err != nil {
		j.out.Abort()
	}
	j.outClosed = first.err == nil
	if j.httpSink != nil {
		hst := j.httpSink.HTTPStats()
		j.rep.HTTP = reportHTTP(hst)
		j.refused.apply(j.res, hst)
		first.keep(j.refused.err)
	}
	first.keep(j.rejects.Close())
	return first.err
}

// remember writes into the state what an incremental run delivered: for
// files everything, once they are complete (a failed file run remembers
// nothing); for the API what it acknowledged, whatever happened. err is
// the delivery's error so far.
func (j *job) remember(err error) error {
	var first firstError
	first.keep(err)
	if j.acks != nil {
		first.keep(j.acks.close())
		first.keep(j.store.Consolidate("", nil))
		first.keep(j.acks.saveRefused())
	}
	if j.store == nil || (j.tracker == nil && j.acks == nil) {
		return first.err
	}
	if first.err == nil && j.tracker != nil {
		first.keep(j.store.Consolidate("", j.tracker.sorter))
	}
	status := "finished"
	if first.err != nil || j.res.FileErrors > 0 {
		status = "failed"
	}
	first.keep(j.store.SaveRun(j.runInfo(status, j.c.Now().UTC().Format(time.RFC3339))))
	return first.err
}

// firstError keeps the first error it is given.
type firstError struct{ err error }

func (f *firstError) keep(err error) {
	if f.err == nil {
		f.err = err
	}
}

// dropSuperseded finds the payloads of this run that a later row of the
// same key superseded, removes them from the output files (when there are
// files) and moves them from emitted to superseded in the counts.
func dropSuperseded(keys *dedup.Detector, res *pipeline.Result, files messageRemover) error {
	dups, err := keys.Resolve()
	if err != nil {
		return err
	}
	if dups.Superseded == 0 {
		return nil
	}
	if files != nil {
		if err := files.RemoveMessages(dups.Msgs); err != nil {
			return err
		}
	}
	deletes := dups.Deletes.Len()
	res.Emitted -= dups.Superseded
	res.Superseded += dups.Superseded
	res.Deleted -= int64(deletes)
	for i, f := range res.Files {
		if first, end, ok := res.Ordinals(i); ok {
			n, d := dups.Rows.CountRange(first, end), dups.Deletes.CountRange(first, end)
			f.Emitted -= n
			f.Superseded += n
			f.Deleted -= d
		}
	}
	return nil
}
