package runner

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/zeebo/xxh3"

	"github.com/groupimport/groupimport/dedup"
	"github.com/groupimport/groupimport/importer"
	"github.com/groupimport/groupimport/internal/shard"
	"github.com/groupimport/groupimport/pipeline"
	"github.com/groupimport/groupimport/record"
	"github.com/groupimport/groupimport/report"
	"github.com/groupimport/groupimport/sink"
	"github.com/groupimport/groupimport/state"
	"github.com/groupimport/groupimport/transform"
)

// incrementalPlan is what an incremental run will do, from comparing this
// run's rows (their keys and content hashes, from a first pass) with the
// state.
type incrementalPlan struct {
	superseded, unchanged *dedup.Set
	report.Plan
	// the keys remembered but absent now, within this run's scope
	vanished map[pipeline.Class]*state.RecordFile
	// withheld is why the deletes of missing keys are not sent (the run
	// then fails), nil when they are or none were asked for.
	withheld error
	// picks are the first keys of each change (plankeys.go)
	picks planPicks
}

func (p *incrementalPlan) close() {
	for _, rf := range p.vanished {
		rf.Close()
	}
}

// diff merges the run's key log (sorted by key) with the state (sorted by
// key): one sequential pass over each, no lookup per row. Entries marked
// seen-only (rejected rows, see seenOnly) make their key present in the
// export but are neither sent nor compared: a key with nothing else keeps
// its state and is not missing.
//
// A sharded run (sh) considers only the state's keys of its own objects:
// other shards' keys are neither known nor missing here.
func diff(store *state.Store, keys *dedup.Log, scope map[pipeline.Class]map[string]bool, full bool, sh shard.Spec) (*incrementalPlan, error) {
	p := &incrementalPlan{superseded: &dedup.Set{}, unchanged: &dedup.Set{}, vanished: map[pipeline.Class]*state.RecordFile{}}
	refused, err := store.Refused()
	if err != nil {
		return nil, fmt.Errorf("comparing with the state: %w", err)
	}
	err = store.View(func(it *state.Iter) error {
		feed := startFeed(it)
		defer feed.close()
		d := &stateDiff{p: p, scope: scope, full: full, shard: sh, feed: feed, refused: refused}
		if err := d.next(); err != nil {
			return err
		}
		if err := keys.Each(func(e dedup.Entry) error { d.take(e); return nil }, d.key); err != nil {
			return err
		}
		for d.ok {
			if err := d.passed(true); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		p.close()
		return nil, fmt.Errorf("comparing with the state: %w", err)
	}
	return p, nil
}

// stateDiff is diff's merge: the run's keys stream by in groups (every
// entry of a key, then the key's end), the state's records beside them.
type stateDiff struct {
	p     *incrementalPlan
	scope map[pipeline.Class]map[string]bool
	full  bool
	shard shard.Spec // the run's share of the objects (diff)
	feed  *stateFeed
	cur   state.RawRecord // the state's next record, when ok (valid until next)
	ok    bool
	// pending is the latest sendable entry of the current key so far (held
	// holds it); seen-only entries are never the one sent.
	pending *dedup.Entry
	held    dedup.Entry
	// refused are the keys the API refused before, with the content's hash
	refused map[[16]byte]uint64
}

func (d *stateDiff) next() (err error) {
	d.cur, d.ok, err = d.feed.next()
	return err
}

// take sees one entry of the current key: a sendable entry supersedes the
// one before it.
func (d *stateDiff) take(e dedup.Entry) {
	if e.Msg == msgSeenOnly {
		return
	}
	if d.pending != nil {
		d.p.superseded.Add(d.pending.Row)
		d.p.Superseded++
	}
	d.held = e
	d.pending = &d.held
}

// key ends the entries of a key (e is its last): the state's records of
// smaller keys have vanished from the export, and the key's own record, if
// any, says whether its last sendable entry creates, updates, deletes or
// changes nothing.
func (d *stateDiff) key(e dedup.Entry, _ int64) error {
	d.take(e)
	defer func() { d.pending = nil }()
	for d.ok && bytes.Compare(d.cur.Key[:], e.Key[:]) < 0 {
		if err := d.passed(true); err != nil {
			return err
		}
	}
	var known *state.RawRecord
	if d.ok && d.cur.Key == e.Key {
		known = &d.cur
	}
	if d.pending == nil {
		d.p.RejectedKept++
	} else {
		d.classify(*d.pending, known)
	}
	if known != nil {
		return d.passed(false)
	}
	return nil
}

// classify counts what sending last does, given the state's record.
func (d *stateDiff) classify(last dedup.Entry, known *state.RawRecord) {
	p := d.p
	switch {
	case known != nil && !d.full && last.Delete && known.Deleted,
		known != nil && !d.full && !last.Delete && !known.Deleted && known.Hash == last.Hash:
		p.unchanged.Add(last.Row)
		p.Unchanged++
	case last.Delete:
		p.Deletes++
		p.picks.add(changeDelete, last.Row, last.Key, known)
	case known == nil || known.Deleted:
		p.Creates++
		p.picks.add(changeCreate, last.Row, last.Key, nil)
		d.retried(last)
	default:
		p.Updates++
		p.picks.add(changeUpdate, last.Row, last.Key, known)
		d.retried(last)
	}
}

// retried counts a row sent whose key the API refused before.
func (d *stateDiff) retried(last dedup.Entry) {
	if h, ok := d.refused[last.Key]; ok {
		d.p.RetriedRefusals++
		if h == last.Hash {
			d.p.RetriedUnchanged++
		}
	}
}

// passed counts the state's current record as known (within this run's
// scope), keeps it as vanished when the export lacks its key, and moves on.
func (d *stateDiff) passed(vanished bool) error {
	r := &d.cur
	inScope := !r.Deleted && d.scope[pipeline.ClassOf(r.Relationship)][string(r.ObjType)] &&
		d.shard.Has(r.ObjType, r.GroupID)
	if inScope {
		if r.Relationship {
			d.p.KnownRelationships++
		} else {
			d.p.KnownObjects++
		}
	}
	if vanished && inScope {
		if err := d.vanish(r); err != nil {
			return err
		}
	}
	return d.next()
}

// vanish keeps a record whose key the export lacks, for its delete.
func (d *stateDiff) vanish(raw *state.RawRecord) error {
	p := d.p
	r, err := raw.Record()
	if err != nil {
		return err
	}
	class := pipeline.ClassOf(r.Relationship)
	rf := p.vanished[class]
	if rf == nil {
		var err error
		if rf, err = state.NewRecordFile(""); err != nil {
			return err
		}
		p.vanished[class] = rf
	}
	if class == pipeline.Relationships {
		p.VanishedRelationships++
	} else {
		p.VanishedObjects++
	}
	p.picks.addMissing(&r)
	return rf.Add(&r)
}

// vanishedReader serves remembered keys as rows of groupId, objectTypeId,
// userId, anonymousId: the input of the deletes of keys gone missing.
type vanishedReader struct {
	rf     *state.RecordFile
	schema *record.Schema
	n      int64
}

var vanishedColumns = []string{"groupId", "objectTypeId", "userId", "anonymousId"}

func (v *vanishedReader) Columns() []string { return vanishedColumns }
func (v *vanishedReader) Offset() int64     { return 0 }
func (v *vanishedReader) Close() error      { return nil }

func (v *vanishedReader) Next(b *record.Batch, max int) error {
	for len(b.Rows) < max {
		r, ok, err := v.rf.Next()
		if err != nil {
			return err
		}
		if !ok {
			return io.EOF
		}
		v.n++
		vals := b.Values(4)
		for i, s := range []string{r.GroupID, r.ObjType, r.UserID, r.AnonymousID} {
			vals[i] = record.Value{Kind: record.String, Bytes: b.Copy([]byte(s))}
		}
		b.Rows = append(b.Rows, record.Row{Num: v.n, Schema: v.schema, Values: vals})
	}
	return nil
}

// vanishedMapping maps vanishedReader's columns, keeping the event settings
// of the user's mapping section.
func vanishedMapping(user *transform.KindMapping) *transform.KindMapping {
	km := &transform.KindMapping{
		GroupID:      &transform.Field{Column: "groupId"},
		ObjectTypeID: &transform.Field{Column: "objectTypeId"},
		UserID:       &transform.Field{Column: "userId"},
		AnonymousID:  &transform.Field{Column: "anonymousId"},
		Custom:       transform.Custom{Mode: "none"},
	}
	if user != nil {
		km.ObjectDeletedEvent = user.ObjectDeletedEvent
		km.RelationshipDeletedEvent = user.RelationshipDeletedEvent
		km.DeleteAnonymousID = user.DeleteAnonymousID
	}
	return km
}

// fingerprint identifies "the same command" for resuming: the inputs as
// given, the mapping file's content, and the options that shape payloads.
func (c *config) fingerprint() string {
	var b strings.Builder
	for _, l := range [][]string{c.Companies, c.Memberships, c.DeleteObjects, c.DeleteRelationships} {
		s := append([]string(nil), l...)
		sort.Strings(s)
		b.WriteString(strings.Join(s, "\x00"))
		b.WriteByte(1)
	}
	if c.MappingFile != "" {
		if data, err := os.ReadFile(c.MappingFile); err == nil {
			b.Write(data)
		}
	}
	fmt.Fprintf(&b, "\x01%s\x01%s\x01%s\x01%s", c.Timezone, c.Duplicates, c.Endpoint, c.Region)
	if c.shard.On() {
		fmt.Fprintf(&b, "\x01%s", c.shard)
	}
	return fmt.Sprintf("%016x", xxh3.HashString(b.String()))
}

// stateTracker remembers what a file destination received, for the state
// once the files are complete.
type stateTracker struct{ sorter *state.Sorter }

func (t *stateTracker) Delivered(_ int64, ds []pipeline.Delivery, _ []record.Position) error {
	for _, d := range ds {
		rec := state.Record(d)
		if err := t.sorter.Add(&rec); err != nil {
			return err
		}
	}
	return nil
}

// planIncremental reads every input once (nothing is sent), compares it
// with the state, checks the mass-delete guard, and adds the deletes of
// keys gone missing to the delivery pass's inputs, if the export is known
// to be whole (else the plan's withheld says why they are not). A refused
// mass delete returns the (closed) plan with the error, for the report.
func (j *job) planIncremental(ctx context.Context) (*incrementalPlan, error) {
	c := j.c
	keys := dedup.NewLog("", 0)
	defer keys.Close()
	pass := j.passConfig(j.inputs)
	pass.Keys, pass.RejectedKeys, pass.Scope = keyLog{keys}, seenOnly{keys}, true
	pass.HashOnly = true // the content hashes, not the calls (transform's HashRow)
	pre, err := j.runPass(ctx, pass)
	if err != nil {
		return nil, fmt.Errorf("reading the inputs to compare with the state: %w", err)
	}
	pl, err := diff(j.store, keys, pre.Scope, c.Full, c.shard)
	if err != nil {
		return nil, err
	}
	keys.Close()
	releaseHeap()
	pl.Full, pl.DeleteMissing = c.Full, c.DeleteMissing
	pl.FirstDeleted = pl.picks.missing // the deletes of the export go first, as they are sent
	complete, why := exportComplete(pre)
	switch {
	case c.DeleteMissing && !complete:
		// The rest is delivered; the run fails (exit 1) for the deletes.
		pl.withheld = fmt.Errorf("--delete-missing: the export is not known to be whole (%s), so the deletes of the keys missing from it "+
			"(%d objects, %d relationships) were withheld; everything else was delivered. Fix the export and run again",
			why, pl.VanishedObjects, pl.VanishedRelationships)
		pl.DeletesWithheld = why
		pl.VanishedObjects, pl.VanishedRelationships, pl.FirstDeleted = 0, 0, nil
		c.notice(pl.withheld.Error())
	case c.DeleteMissing:
		if err := c.massDeleteGuard(pl); err != nil {
			pl.close()
			return pl, err
		}
		j.pass.Inputs = j.withVanishedInputs(pl)
	default:
		pl.VanishedObjects, pl.VanishedRelationships, pl.FirstDeleted = 0, 0, nil
	}
	st := pass.Sink.Stats()
	st.Bytes += st.Messages * int64(callOverhead(j.inputs)) // the pass wrote contents, not calls
	pl.estimateRequests(st)
	j.noDeliveryPass(pl, pre)
	return pl, nil
}

// callOverhead is about what a call adds to the content a hash-only pass
// writes (the largest of the inputs').
func callOverhead(inputs []pipeline.Input) int {
	n := 0
	for _, in := range inputs {
		if in.Transformer != nil {
			n = max(n, in.Transformer.CallOverhead())
		}
	}
	return n
}

// releaseHeap gives the memory of the planning pass (its batches and
// chunks, the key log's buffers: garbage once the plan is made) back to
// the system before the delivery pass, instead of keeping it mapped as the
// runtime does for a while: the delivery pass and the state's update then
// start from a small heap. On 1M companies with 1% changed the heap
// during the delivery pass went from about 95 MB to 43, and the run's peak
// RSS (reached while the state is updated, which maps most of the state
// file) from 199–233 MB to 189–197 (three runs each), for a collection of
// a small heap (a few ms).
func releaseHeap() { debug.FreeOSMemory() }

// massDeleteGuard refuses deleting more than --mass-delete-percent of the
// known objects or relationships as missing, unless --allow-mass-delete.
func (c *config) massDeleteGuard(pl *incrementalPlan) error {
	for _, g := range []struct {
		what            string
		vanished, known int64
	}{{"objects", pl.VanishedObjects, pl.KnownObjects}, {"relationships", pl.VanishedRelationships, pl.KnownRelationships}} {
		if g.vanished == 0 || c.AllowMassDelete {
			continue
		}
		pct := 100 * float64(g.vanished) / float64(max(g.known, 1))
		if pct > c.MassDeletePercent {
			return fmt.Errorf("--delete-missing would delete %d of the %d %s this state knows (%.1f%%, more than --mass-delete-percent %g): refused, nothing was sent; "+
				"check the export is complete, or pass --allow-mass-delete", g.vanished, g.known, g.what, pct, c.MassDeletePercent)
		}
	}
	return nil
}

// estimateRequests says what sending costs: requests of up to 500,000
// bytes, at the API's documented 3,000 requests per 3 s. st is what the
// first pass would have written.
func (p *incrementalPlan) estimateRequests(st sink.Stats) {
	msgs := p.Creates + p.Updates + p.Deletes + p.VanishedObjects + p.VanishedRelationships
	perReq := int64(2500)
	if st.Messages > 0 {
		avg := st.Bytes / st.Messages
		perReq = min(perReq, max(1, 500000/(avg+1)))
	}
	p.Requests = (msgs + perReq - 1) / perReq
	p.SecondsAtRateLimit = float64(p.Requests) / 1000
}

// withVanishedInputs are the delivery pass's inputs with the deletes of
// missing keys among them: relationships after the other relationship
// deletes, objects last.
func (j *job) withVanishedInputs(pl *incrementalPlan) []pipeline.Input {
	mk := func(class pipeline.Class, kind transform.Kind, name string, user *transform.KindMapping) *pipeline.Input {
		rf := pl.vanished[class]
		if rf == nil {
			return nil
		}
		t, err := transform.New(transform.Config{Kind: kind, Mapping: vanishedMapping(user), Timestamp: j.defTS, ClockTimestamp: j.c.Timestamp == "", Version: j.c.Version, ContentHash: true})
		if err != nil {
			return nil // cannot happen: a fixed, valid mapping
		}
		return &pipeline.Input{Kind: kind, Files: []string{name}, Transformer: t,
			Open: func(string) (importer.Reader, error) {
				return &vanishedReader{rf: rf, schema: record.NewSchema(vanishedColumns)}, nil
			}}
	}
	rel := mk(pipeline.Relationships, transform.RelationshipDeletes, "(state: relationships missing from this export)", j.mapping.For(transform.Memberships))
	obj := mk(pipeline.Objects, transform.ObjectDeletes, "(state: objects missing from this export)", j.mapping.For(transform.Companies))
	var out []pipeline.Input
	placed := false
	for _, in := range j.pass.Inputs {
		if in.Kind == transform.ObjectDeletes && !placed && rel != nil {
			out = append(out, *rel)
			placed = true
		}
		out = append(out, in)
	}
	if !placed && rel != nil {
		out = append(out, *rel)
	}
	if obj != nil {
		out = append(out, *obj)
	}
	return out
}
