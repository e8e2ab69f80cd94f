package runner

// A first incremental run into files sends in one pass (issue 18). Against
// a state that remembers nothing, the planning pass (planIncremental) can
// only find every key new: it read and built the whole export once just
// to learn that, before the delivery pass built it again. Here the
// delivery pass is the only one: it finds the duplicate keys while it
// writes (as a stateless run to files does: the losers are removed from
// the files afterwards, before the state remembers anything), the state's
// tracker records what was written, and the plan is made from what the
// pass counted. What it buys, measured on 1M companies (bench/gen, --out
// on tmpfs, a heavily shared 2-core machine, medians of 8 interleaved
// runs): the first --state run's CPU went from 3.25× the stateless run's
// to 2.21× (14.2 → 9.7 s; the stateless run 4.4 s), its wall time from
// 10.8 to 7.0 s (0.28 → 0.44× the stateless run's rows/s).
//
// It is taken only where that is exactly what the two passes did:
//   - the state holds no record, journal or refusal (HoldsNothing), so
//     nothing is known, unchanged, changed or missing;
//   - the destination is files (not a dry run, not the API): the API must
//     never receive a row a later row supersedes, files can drop it
//     before they are complete;
//   - no companies or memberships mapping has a deleted column: such a
//     delete row is sent after every upsert, so the tracker's "last
//     delivered wins" would not be "the last row wins".

import (
	"fmt"
	"slices"

	"github.com/groupimport/groupimport/dedup"
	"github.com/groupimport/groupimport/pipeline"
	"github.com/groupimport/groupimport/record"
	"github.com/groupimport/groupimport/state"
)

// onePassPlan is the plan of a one-pass run, filled in after the pass.
type onePassPlan struct {
	pl       *incrementalPlan
	rejected *dedup.Log // the keys of rejected rows
	first    *firstKeys
	pt       *planTracker
}

// canSendInOnePass says whether an incremental run may skip the planning
// pass (see the top of this file).
func (j *job) canSendInOnePass() (bool, error) {
	c := j.c
	if c.DryRun || j.fileOut == nil || j.httpSink != nil || j.sampler != nil || j.upsertDeletes {
		return false, nil
	}
	nothing, err := j.store.HoldsNothing()
	if err != nil {
		return false, err
	}
	return nothing, nil
}

// incrementalOnePass sets up the delivery pass of a one-pass run: the
// duplicate detector of a run to files, the keys of rejected rows (for the
// plan's rejected_keys_kept), the state's tracker behind the plan's.
func (j *job) incrementalOnePass() error {
	c := j.c
	pl := &incrementalPlan{superseded: &dedup.Set{}, unchanged: &dedup.Set{}}
	pl.Full, pl.DeleteMissing = c.Full, c.DeleteMissing
	j.rep.Plan = &pl.Plan
	j.keys = dedup.NewDetector("", j.expectedRows())
	j.onClose(func() { j.keys.Close() })
	j.pass.Keys = keyLog{j.keys}
	rejected := dedup.NewLog("", 0)
	j.onClose(rejected.Close)
	j.pass.RejectedKeys = keyLog{rejected}
	j.tracker = &stateTracker{sorter: state.NewSorter("")}
	j.onClose(func() { j.tracker.sorter.Close() })
	pt := j.planTracker(pl, j.tracker)
	first := &firstKeys{next: pt, keys: map[[16]byte]*firstKey{}}
	j.pass.Tracker = first
	j.onePass = &onePassPlan{pl: pl, rejected: rejected, first: first, pt: pt}
	return j.store.SaveRun(j.runInfo("running", ""))
}

// finishOnePass makes the plan of a one-pass run from what the delivery
// pass counted, after the superseded payloads left the files and the
// state remembered the rest: with nothing known, every key sent is new
// (or a delete of the export), the superseded are those dropped.
func (j *job) finishOnePass() error {
	op := j.onePass
	if op == nil || j.res == nil {
		return nil
	}
	pl, res, c := op.pl, j.res, j.c
	pl.Deletes = res.Deleted
	pl.Creates = res.Emitted - res.Deleted
	pl.Superseded = res.Superseded
	op.first.fill(op.pt)
	kept, err := j.rejectedKept(op.rejected)
	if err != nil {
		return err
	}
	pl.RejectedKept = kept
	if complete, why := exportComplete(res); c.DeleteMissing && !complete {
		// nothing is missing from an empty state, but the run fails as the
		// two passes would (planIncremental)
		pl.withheld = fmt.Errorf("--delete-missing: the export is not known to be whole (%s), so the deletes of the keys missing from it "+
			"(%d objects, %d relationships) were withheld; everything else was delivered. Fix the export and run again",
			why, pl.VanishedObjects, pl.VanishedRelationships)
		pl.DeletesWithheld = why
		c.notice(pl.withheld.Error())
		j.withheld = pl.withheld
	}
	pl.estimateRequests(j.out.Stats())
	j.sayPlan(&pl.Plan)
	return nil
}

// rejectedKept counts the keys of rejected rows that no row sent: after
// the state remembered what was sent, those it does not hold.
func (j *job) rejectedKept(rejected *dedup.Log) (int64, error) {
	var n int64
	var batch [][16]byte
	lookup := func() error {
		err := j.store.Lookup(batch, func(_ [16]byte, _ state.Record, ok bool) {
			if !ok {
				n++
			}
		})
		batch = batch[:0]
		return err
	}
	err := rejected.Each(func(dedup.Entry) error { return nil }, func(e dedup.Entry, _ int64) error {
		if batch = append(batch, e.Key); len(batch) == 4096 {
			return lookup()
		}
		return nil
	})
	if err == nil {
		err = lookup()
	}
	if err != nil {
		return 0, fmt.Errorf("counting the keys of rejected rows: %w", err)
	}
	return n, nil
}

// firstKeysCapture is how many keys of each kind (upserts, deletes) the
// first deliveries of a one-pass run are kept of, for the plan's first
// keys.
const firstKeysCapture = 4096

// firstKeys keeps the deliveries the plan's first keys (planKeysN of the
// created, of the deleted, by row) may name: in a one-pass run they are
// known only once every row went by, for a key's last row is its own.
// Deliveries come in row order. It keeps the first firstKeysCapture keys
// of each kind as delivered, and every later delivery of those keys: every
// key whose last delivery comes before the capture of its kind filled up
// is then kept with that last delivery, and the first keys among them are
// the plan's. (Only an export whose first 4,096 keys of a kind nearly all
// come again later could leave fewer than planKeysN to name.)
type firstKeys struct {
	next pipeline.Tracker
	n    int64
	keys map[[16]byte]*firstKey
	// kept counts the keys kept per kind (0 upserts, 1 deletes); full is
	// the delivery at which that kind's capture filled up, 0 while open
	kept [2]int
	full [2]int64
}

type firstKey struct {
	at  int64
	d   pipeline.Delivery
	pos record.Position
}

func kindOf(d *pipeline.Delivery) int {
	if d.Deleted {
		return 1
	}
	return 0
}

// Delivered implements pipeline.Tracker.
func (f *firstKeys) Delivered(seq int64, ds []pipeline.Delivery, pos []record.Position) error {
	for i := range ds {
		f.n++
		d := &ds[i]
		k := f.keys[d.Key]
		if k == nil {
			kind := kindOf(d)
			if f.full[kind] != 0 {
				continue
			}
			if f.kept[kind]++; f.kept[kind] == firstKeysCapture {
				f.full[kind] = f.n
			}
			k = &firstKey{}
			f.keys[d.Key] = k
		}
		k.at, k.d, k.pos = f.n, *d, pos[i]
		k.d.TraitHashes = nil // only a changed key's are compared
	}
	return f.next.Delivered(seq, ds, pos)
}

// fill adds the first keys kept to the plan, in row order.
func (f *firstKeys) fill(pt *planTracker) {
	var ks []*firstKey
	for _, k := range f.keys {
		if kind := kindOf(&k.d); f.full[kind] == 0 || k.at <= f.full[kind] {
			ks = append(ks, k)
		}
	}
	slices.SortFunc(ks, func(a, b *firstKey) int { return cmpInt(a.at, b.at) })
	var named [2]int
	for _, k := range ks {
		kind := kindOf(&k.d)
		if named[kind] == planKeysN {
			continue
		}
		named[kind]++
		p := &pick{kind: changeCreate}
		if kind == 1 {
			p.kind = changeDelete
		}
		pt.fill(p, &k.d, k.pos)
	}
}
