package runner

// The plan's first keys (report.Plan's FirstCreated, FirstChanged,
// FirstDeleted): the comparison with the state (diff) picks the first keys
// of each change by row ordinal, which it knows only by their hash; the
// delivery pass, which builds those rows again, tells their ids, input
// rows and, for a changed key, its trait hashes, compared with those the
// state kept of it. The keys missing from the export come from the state
// whole. The same tracker keeps in the state the lists of trait names of
// the payloads delivered (state.SaveShapes), before the records that use
// them.

import (
	"slices"

	"github.com/groupimport/groupimport/pipeline"
	"github.com/groupimport/groupimport/record"
	"github.com/groupimport/groupimport/report"
	"github.com/groupimport/groupimport/state"
	"github.com/groupimport/groupimport/transform"
)

// planKeysN is how many keys of each change the plan names.
const planKeysN = 20

type changeKind int

const (
	changeCreate changeKind = iota
	changeUpdate
	changeDelete
)

// pick is a key of the plan whose details the delivery tells.
type pick struct {
	row   int64
	key   [16]byte
	kind  changeKind
	known *state.Record // the state's record (changes, deletes of known keys)
}

// planPicks keeps the first planKeysN keys of each change by row ordinal,
// and the first keys missing from the export (in key order, as they are
// sent).
type planPicks struct {
	first   [3][]pick // sorted by row
	missing []report.PlanKey
}

// add considers a key classified by diff (known: the state's record).
func (pp *planPicks) add(kind changeKind, row int64, key [16]byte, known *state.RawRecord) {
	l := pp.first[kind]
	if len(l) == planKeysN && row >= l[len(l)-1].row {
		return // the common case: keys come in hash order, rows at random
	}
	p := pick{row: row, key: key, kind: kind}
	if known != nil {
		if k, err := known.Record(); err == nil {
			p.known = &k
		}
	}
	i, _ := slices.BinarySearchFunc(l, row, func(p pick, row int64) int { return cmpInt(p.row, row) })
	l = slices.Insert(l, i, p)
	if len(l) > planKeysN {
		l = l[:planKeysN]
	}
	pp.first[kind] = l
}

// addMissing considers a key of the state the export lacks.
func (pp *planPicks) addMissing(r *state.Record) {
	if len(pp.missing) < planKeysN {
		k := keyOfRecord(r)
		k.Missing = true
		pp.missing = append(pp.missing, k)
	}
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// keyOfRecord names the key of a state's record.
func keyOfRecord(r *state.Record) report.PlanKey {
	return report.PlanKey{Kind: keyKind(r.Relationship), ObjectTypeID: r.ObjType, GroupID: r.GroupID, UserID: r.UserID, AnonymousID: r.AnonymousID}
}

func keyKind(relationship bool) string {
	if relationship {
		return "relationship"
	}
	return "object"
}

// planTracker is the delivery pass's pipeline.Tracker in an incremental
// run: it fills the plan's first keys as their rows are delivered and
// keeps the trait names of new shapes in the state, then hands the
// deliveries on to next (the state's tracker; nil in a dry run).
type planTracker struct {
	next  pipeline.Tracker
	plan  *report.Plan
	want  map[[16]byte]*pick
	names func(shape uint64) ([]string, bool)
	// the state's lists of trait names of the changed keys' records
	oldNames map[uint64][]string
	// exportDeletes counts the deletes of the export in plan.FirstDeleted
	// (before those of missing keys)
	exportDeletes int

	// with a store to write: the shapes seen, those to keep before the
	// next records
	store     *state.Store
	seen      map[uint64]bool
	lastShape uint64
	newShapes map[uint64][]string
}

// planTracker returns the tracker of the delivery pass (next: the state's
// tracker, nil in a dry run, which writes nothing into the state).
func (j *job) planTracker(pl *incrementalPlan, next pipeline.Tracker) *planTracker {
	t := &planTracker{next: next, plan: &pl.Plan, want: map[[16]byte]*pick{}, names: transformerNames(j.pass.Inputs)}
	var keys [][16]byte
	for _, l := range pl.picks.first {
		for i := range l {
			t.want[l[i].key] = &l[i]
			if l[i].kind == changeUpdate {
				keys = append(keys, l[i].key)
			}
		}
	}
	t.oldTraits(j.store, keys)
	if next != nil {
		t.store, t.seen, t.newShapes = j.store, map[uint64]bool{}, map[uint64][]string{}
	}
	return t
}

// oldTraits reads the trait hashes the state keeps of the changed keys
// (diff's records leave them out) and the names of their traits. A state
// that cannot tell leaves them unknown.
func (t *planTracker) oldTraits(store *state.Store, keys [][16]byte) {
	var shapes []uint64
	err := store.Lookup(keys, func(k [16]byte, r state.Record, ok bool) {
		if p := t.want[k]; p != nil && ok {
			p.known = &r
			shapes = append(shapes, r.Shape)
		}
	})
	if err == nil {
		t.oldNames, err = store.ShapeNames(shapes)
	}
	if err != nil {
		t.oldNames = nil
	}
}

// transformerNames looks a shape's trait names up in the transformers of
// the inputs.
func transformerNames(inputs []pipeline.Input) func(uint64) ([]string, bool) {
	var ts []*transform.Transformer
	for _, in := range inputs {
		if in.Transformer != nil && !slices.Contains(ts, in.Transformer) {
			ts = append(ts, in.Transformer)
		}
	}
	return func(shape uint64) ([]string, bool) {
		for _, t := range ts {
			if names, ok := t.TraitNames(shape); ok {
				return names, true
			}
		}
		return nil, false
	}
}

// Delivered implements pipeline.Tracker.
func (t *planTracker) Delivered(seq int64, ds []pipeline.Delivery, pos []record.Position) error {
	for i := range ds {
		d := &ds[i]
		if t.seen != nil && d.Shape != 0 && d.Shape != t.lastShape {
			t.noteShape(d.Shape)
		}
		if len(t.want) > 0 {
			if p := t.want[d.Key]; p != nil {
				delete(t.want, d.Key)
				t.fill(p, d, pos[i])
			}
		}
	}
	if len(t.newShapes) > 0 {
		if err := t.store.SaveShapes(t.newShapes); err != nil {
			return err
		}
		clear(t.newShapes)
	}
	if t.next == nil {
		return nil
	}
	return t.next.Delivered(seq, ds, pos)
}

// noteShape keeps the trait names of a shape not seen before for the
// state (up to state.MaxShapes).
func (t *planTracker) noteShape(shape uint64) {
	t.lastShape = shape
	if t.seen[shape] || len(t.seen) >= state.MaxShapes {
		return
	}
	t.seen[shape] = true
	if names, ok := t.names(shape); ok {
		t.newShapes[shape] = names
	}
}

// fill adds a picked key, delivered, to its list of the plan.
func (t *planTracker) fill(p *pick, d *pipeline.Delivery, pos record.Position) {
	k := report.PlanKey{Kind: keyKind(d.Relationship), ObjectTypeID: d.ObjType, GroupID: d.GroupID, UserID: d.UserID, AnonymousID: d.AnonymousID}
	if k.GroupID == "" && p.known != nil {
		k = keyOfRecord(p.known) // a delete row among upserts: ids from the state
	}
	k.File, k.Line, k.Row = pos.File, pos.Line, pos.Row
	switch p.kind {
	case changeCreate:
		t.plan.FirstCreated = append(t.plan.FirstCreated, k)
	case changeUpdate:
		t.compare(&k, p.known, d)
		t.plan.FirstChanged = append(t.plan.FirstChanged, k)
	case changeDelete:
		t.plan.FirstDeleted = slices.Insert(t.plan.FirstDeleted, t.exportDeletes, k)
		t.exportDeletes++
	}
}

// compare tells which traits of a changed key changed: those whose value
// hash differs from the state's, or that it lacks, and those it has that
// the payload no longer carries.
func (t *planTracker) compare(k *report.PlanKey, old *state.Record, d *pipeline.Delivery) {
	var oldNames, newNames []string
	var okOld, okNew bool
	if old != nil {
		oldNames, okOld = t.oldNames[old.Shape]
	}
	newNames, okNew = t.names(d.Shape)
	switch {
	case old == nil || t.oldNames == nil:
		k.TraitsUnknown = "the state could not be read"
	case old.Shape == 0:
		k.TraitsUnknown = "state written by an older version (it keeps no hash per trait)"
	case !okOld:
		k.TraitsUnknown = "the state keeps no names of this key's traits (it keeps those of 100,000 sets of fields)"
	case d.Shape == 0 || !okNew:
		k.TraitsUnknown = "this export has too many sets of fields to name them all"
	case len(old.TraitHashes) != 2*len(oldNames) || len(d.TraitHashes) != 2*len(newNames):
		k.TraitsUnknown = "the state's trait hashes do not match their names"
	default:
		k.ChangedTraits, k.DroppedTraits = changedTraits(oldNames, old.TraitHashes, newNames, d.TraitHashes)
	}
}

// changedTraits compares two lists of traits with their 2-byte value
// hashes.
func changedTraits(oldNames []string, oldHashes []byte, newNames []string, newHashes []byte) (changed, dropped []string) {
	old := make(map[string]uint16, len(oldNames))
	for i, n := range oldNames {
		old[n] = uint16(oldHashes[2*i]) | uint16(oldHashes[2*i+1])<<8
	}
	for i, n := range newNames {
		h, ok := old[n]
		if !ok || h != uint16(newHashes[2*i])|uint16(newHashes[2*i+1])<<8 {
			changed = append(changed, n)
		}
		delete(old, n)
	}
	for _, n := range oldNames {
		if _, ok := old[n]; ok {
			dropped = append(dropped, n)
		}
	}
	return changed, dropped
}
