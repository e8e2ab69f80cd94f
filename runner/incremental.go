package runner

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"
	"time"

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

// plan is what an incremental run will do, from comparing this run's rows
// (their keys and content hashes, from a first pass) with the state.
type plan struct {
	superseded, unchanged *dedup.Set
	report.Plan
	// the keys remembered but absent now, within this run's scope
	vanished map[pipeline.Class]*state.RecordFile
	// withheld is why the deletes of missing keys are not sent (the run
	// then fails), nil when they are or none were asked for.
	withheld error
}

func (p *plan) close() {
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
func diff(store *state.Store, keys *dedup.Log, scope map[pipeline.Class]map[string]bool, full bool, sh shard.Spec) (*plan, error) {
	p := &plan{superseded: &dedup.Set{}, unchanged: &dedup.Set{}, vanished: map[pipeline.Class]*state.RecordFile{}}
	inScope := func(r *state.Record) bool {
		return scope[pipeline.ClassOf(r.Relationship)][r.ObjType] && sh.Has([]byte(r.ObjType), []byte(r.GroupID))
	}
	vanish := func(r *state.Record) error {
		if r.Deleted || !inScope(r) {
			return nil
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
		return rf.Add(r)
	}
	err := store.View(func(it *state.Iter) error {
		cur, ok, err := it.Next()
		if err != nil {
			return err
		}
		count := func(r *state.Record) {
			if !r.Deleted && inScope(r) {
				if r.Relationship {
					p.KnownRelationships++
				} else {
					p.KnownObjects++
				}
			}
		}
		// Groups stream by key; seen-only entries (rejected rows) make a
		// key present but are never the one sent. pending is the latest
		// sendable entry of the current key so far.
		var pending *dedup.Entry
		var held dedup.Entry
		take := func(e dedup.Entry) {
			if e.Msg == msgSeenOnly {
				return
			}
			if pending != nil {
				p.superseded.Add(pending.Row)
				p.Superseded++
			}
			held = e
			pending = &held
		}
		err = keys.Each(func(e dedup.Entry) error {
			take(e)
			return nil
		}, func(e dedup.Entry, _ int64) error {
			take(e)
			key := e.Key
			defer func() { pending = nil }()
			for ok && bytes.Compare(cur.Key[:], key[:]) < 0 {
				count(&cur)
				if err := vanish(&cur); err != nil {
					return err
				}
				if cur, ok, err = it.Next(); err != nil {
					return err
				}
			}
			var known *state.Record
			if ok && cur.Key == key {
				c := cur
				known = &c
				count(&cur)
				if cur, ok, err = it.Next(); err != nil {
					return err
				}
			}
			if pending == nil {
				p.RejectedKept++
				return nil
			}
			last := *pending
			switch {
			case known != nil && !full && last.Delete && known.Deleted,
				known != nil && !full && !last.Delete && !known.Deleted && known.Hash == last.Hash:
				p.unchanged.Add(last.Row)
				p.Unchanged++
			case last.Delete:
				p.Deletes++
			case known == nil || known.Deleted:
				p.Creates++
			default:
				p.Updates++
			}
			return nil
		})
		if err != nil {
			return err
		}
		for ; ok; cur, ok, err = it.Next() {
			count(&cur)
			if err := vanish(&cur); err != nil {
				return err
			}
		}
		return err
	})
	if err != nil {
		p.close()
		return nil, fmt.Errorf("comparing with the state: %w", err)
	}
	return p, nil
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
func (o *Options) fingerprint() string {
	var b strings.Builder
	for _, l := range [][]string{o.Companies, o.Memberships, o.DeleteObjects, o.DeleteRelationships} {
		s := append([]string(nil), l...)
		sort.Strings(s)
		b.WriteString(strings.Join(s, "\x00"))
		b.WriteByte(1)
	}
	if o.MappingFile != "" {
		if data, err := os.ReadFile(o.MappingFile); err == nil {
			b.Write(data)
		}
	}
	fmt.Fprintf(&b, "\x01%s\x01%s\x01%s\x01%s", o.Timezone, o.Duplicates, o.Endpoint, o.Region)
	if o.Shard != "" {
		fmt.Fprintf(&b, "\x01%s", o.shard)
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
// keys gone missing to cfg's inputs, if the export is known to be whole
// (else plan.withheld says why they are not). A refused mass delete
// returns the (closed) plan with the error, for the report.
func (o *Options) planIncremental(ctx context.Context, store *state.Store, cfg *pipeline.Config, m *transform.Mapping,
	defTS time.Time, log *slog.Logger) (*plan, error) {
	keys := dedup.NewLog("", 0)
	defer keys.Close()
	discard := &sink.Discard{}
	pre, err := o.runPass(ctx, pipeline.Config{Inputs: cfg.Inputs, Sink: discard, Workers: o.Workers, BatchRows: o.BatchRows,
		MaxRejects: -1, Keys: keyLog{keys}, RejectedKeys: seenOnly{keys}, Scope: true})
	if err != nil {
		return nil, fmt.Errorf("reading the inputs to compare with the state: %w", err)
	}
	pl, err := diff(store, keys, pre.Scope, o.Full, o.shard)
	if err != nil {
		return nil, err
	}
	pl.Full, pl.DeleteMissing = o.Full, o.DeleteMissing
	complete, why := exportComplete(pre, o.skippedInputs)
	switch {
	case o.DeleteMissing && !complete:
		// The rest is delivered; the run fails (exit 1) for the deletes.
		pl.withheld = fmt.Errorf("--delete-missing: the export is not known to be whole (%s), so the deletes of the keys missing from it "+
			"(%d objects, %d relationships) were withheld; everything else was delivered. Fix the export and run again",
			why, pl.VanishedObjects, pl.VanishedRelationships)
		pl.DeletesWithheld = why
		pl.VanishedObjects, pl.VanishedRelationships = 0, 0
		fmt.Fprintf(o.Stderr, "groupimport: %v\n", pl.withheld)
	case o.DeleteMissing:
		for _, g := range []struct {
			what            string
			vanished, known int64
		}{{"objects", pl.VanishedObjects, pl.KnownObjects}, {"relationships", pl.VanishedRelationships, pl.KnownRelationships}} {
			if g.vanished == 0 || o.AllowMassDelete {
				continue
			}
			pct := 100 * float64(g.vanished) / float64(max(g.known, 1))
			if pct > o.MassDeletePercent {
				pl.close()
				return pl, fmt.Errorf("--delete-missing would delete %d of the %d %s this state knows (%.1f%%, more than --mass-delete-percent %g): refused, nothing was sent; "+
					"check the export is complete, or pass --allow-mass-delete", g.vanished, g.known, g.what, pct, o.MassDeletePercent)
			}
		}
		o.addVanishedInputs(cfg, pl, m, defTS)
	default:
		pl.VanishedObjects, pl.VanishedRelationships = 0, 0
	}
	// What sending costs: requests of up to 500,000 bytes, at the API's
	// documented 3,000 requests per 3 s.
	msgs := pl.Creates + pl.Updates + pl.Deletes + pl.VanishedObjects + pl.VanishedRelationships
	st := discard.Stats()
	perReq := int64(2500)
	if st.Messages > 0 {
		avg := st.Bytes / st.Messages
		perReq = min(perReq, max(1, 500000/(avg+1)))
	}
	pl.Requests = (msgs + perReq - 1) / perReq
	pl.SecondsAtRateLimit = float64(pl.Requests) / 1000
	return pl, nil
}

// addVanishedInputs puts the deletes of missing keys among the inputs:
// relationships after the other relationship deletes, objects last.
func (o *Options) addVanishedInputs(cfg *pipeline.Config, pl *plan, m *transform.Mapping, defTS time.Time) {
	mk := func(class pipeline.Class, kind transform.Kind, name string, user *transform.KindMapping) *pipeline.Input {
		rf := pl.vanished[class]
		if rf == nil {
			return nil
		}
		t, err := transform.New(transform.Config{Kind: kind, Mapping: vanishedMapping(user), Timestamp: defTS, ClockTimestamp: o.Timestamp == "", Version: o.Version, ContentHash: true})
		if err != nil {
			return nil // cannot happen: a fixed, valid mapping
		}
		return &pipeline.Input{Kind: kind, Files: []string{name}, Transformer: t,
			Open: func(string) (importer.Reader, error) {
				return &vanishedReader{rf: rf, schema: record.NewSchema(vanishedColumns)}, nil
			}}
	}
	rel := mk(pipeline.Relationships, transform.RelationshipDeletes, "(state: relationships missing from this export)", m.For(transform.Memberships))
	obj := mk(pipeline.Objects, transform.ObjectDeletes, "(state: objects missing from this export)", m.For(transform.Companies))
	var out []pipeline.Input
	placed := false
	for _, in := range cfg.Inputs {
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
	cfg.Inputs = out
}
