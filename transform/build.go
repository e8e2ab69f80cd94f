package transform

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zeebo/xxh3"

	"github.com/groupimport/groupimport/internal/jsonx"
	"github.com/groupimport/groupimport/internal/shard"
	"github.com/groupimport/groupimport/record"
)

// API and Journeys limits.
const (
	// MaxMessageBytes is the API's limit for one call (the official Go
	// client counts 32 KB as 32,000 bytes; we take the smaller reading).
	MaxMessageBytes = 32000
	// sentAtReserve is the room kept for the sentAt an HTTP sink adds.
	sentAtReserve = len(`,"sentAt":"2006-01-02T15:04:05.000Z"`)

	maxIDBytes    = 150 // object ids
	maxNameBytes  = 150 // trait and attribute names
	maxValueBytes = 1000
	maxAttributes = 300
)

// Config configures a Transformer.
type Config struct {
	Kind    Kind
	Mapping *KindMapping
	// Timestamp is the event time of rows without one of their own: the
	// --timestamp option or the run's start.
	Timestamp time.Time
	// ClockTimestamp says Timestamp is the run's start (no --timestamp;
	// so is a zero Timestamp): payloads that carry it leave it out of their
	// messageId, so that a re-run of the same export gets the same ids and
	// the API can de-duplicate it. A timestamp of the row's own, or one
	// given, is part of the id.
	ClockTimestamp bool
	// Library and Version fill context.library.
	Library, Version string
	// SentAt, when not zero, is written as sentAt (file output only when
	// asked; HTTP sinks set their own at sending).
	SentAt time.Time
	// MaxMessageBytes defaults to MaxMessageBytes.
	MaxMessageBytes int
	// CollectStats makes builders describe the payloads (Builder.Stats) for
	// the review report.
	CollectStats bool
	// Review, with CollectStats, is the run's set of objects for the
	// review's referential checks (companies add to it, memberships look
	// their object up).
	Review *ReviewKeys
	// ContentHash fills Out.Hash (incremental runs compare it with the
	// state); without it Out.Hash is 0.
	ContentHash bool
	// ObjectTypes, shared by a run's companies and memberships
	// transformers, collects the object types of the companies built, and
	// warns about a membership that names one of their groupIds with
	// another objectTypeId.
	ObjectTypes *ObjectTypes
	// ObjectTraits (memberships with include_object_traits) appends the
	// traits of the object with the given key (Out.Key of its company
	// payload) to dst, as written in that payload after objectTypeId
	// (",\"name\":…"); false when the run has no such object.
	ObjectTraits func(dst []byte, key [16]byte) ([]byte, bool)
	// Shard, when on, leaves out the rows whose object (objectTypeId and
	// groupId: a membership's or a delete's too) is another shard's: Append
	// builds nothing for them and says so (Out.OtherShard).
	Shard shard.Spec
}

// Transformer holds what all builders of one input kind share.
type Transformer struct {
	cfg      Config
	tail     []byte // ,"integrations":…,"context":…
	defTS    []byte // "2024-…Z" with quotes
	sentAt   []byte // ,"sentAt":"…" or nil
	maxBytes int
	// lastYear is next year: dates after it are odd (see checkDate).
	lastYear string
	notes    notes
	// shapes are the lists of trait names of the payloads built, by
	// their hash (see traithash.go)
	shapes sync.Map
}

// New checks cfg and returns a Transformer.
func New(cfg Config) (*Transformer, error) {
	if cfg.Mapping == nil {
		return nil, &ConfigError{Msg: "no mapping"}
	}
	if cfg.Library == "" {
		cfg.Library = "groupimport"
	}
	t := &Transformer{cfg: cfg, maxBytes: cfg.MaxMessageBytes, lastYear: strconv.Itoa(time.Now().Year() + 1)}
	if t.maxBytes <= 0 {
		t.maxBytes = MaxMessageBytes
	}
	t.tail = append(t.tail, `,"integrations":{"All":true},"context":{"library":{"name":`...)
	t.tail = jsonx.AppendStringS(t.tail, cfg.Library)
	t.tail = append(t.tail, `,"version":`...)
	t.tail = jsonx.AppendStringS(t.tail, cfg.Version)
	t.tail = append(t.tail, `}}`...)
	ts := cfg.Timestamp
	if ts.IsZero() {
		ts = time.Now()
		t.cfg.ClockTimestamp = true
	}
	t.defTS = append(appendISO([]byte{'"'}, ts), '"')
	if !cfg.SentAt.IsZero() {
		t.sentAt = append(appendISO([]byte(`,"sentAt":"`), cfg.SentAt), '"')
	}
	if _, err := loadZone(cfg.Mapping.Timezone); err != nil {
		return nil, &ConfigError{Msg: err.Error()}
	}
	return t, nil
}

// JoinsObjectTraits reports whether payloads join in object traits.
func (t *Transformer) JoinsObjectTraits() bool {
	return t.cfg.ObjectTraits != nil && t.cfg.Mapping.IncludeObjectTraits
}

// Kind returns the input kind.
func (t *Transformer) Kind() Kind { return t.cfg.Kind }

// Check compiles the mapping against a fixed set of columns, reporting a
// column the mapping names that the input lacks, or two columns that would
// fill the same trait.
func (t *Transformer) Check(columns []string) error {
	_, err := compile(t.cfg.Kind, t.cfg.Mapping, record.NewSchema(columns), true)
	return err
}

// Columns compiles the mapping against a fixed set of columns (as Check
// does) and returns those the payloads read, in input order: the columns
// a reader must decode. With custom: rest that is every column the mapping
// does not drop.
func (t *Transformer) Columns(columns []string) ([]string, error) {
	s := record.NewSchema(columns)
	p, err := compile(t.cfg.Kind, t.cfg.Mapping, s, true)
	if err != nil {
		return nil, err
	}
	used := p.columns(len(columns))
	out := make([]string, 0, len(columns))
	for i, u := range used {
		if u {
			out = append(out, columns[i])
		}
	}
	return out, nil
}

// RowError is why a row was not turned into a payload.
type RowError struct {
	// Code names the kind of problem, stable across versions
	// (lower_snake_case; the Code constants, or a reader's record.Error
	// code): reports count rejections by it.
	Code   string
	Column string
	Reason string
	// Internal marks a failure of the tool itself (a bug), not of the row.
	Internal bool
}

func (e *RowError) Error() string {
	if e.Column != "" {
		return "column " + strconv.Quote(e.Column) + ": " + e.Reason
	}
	return e.Reason
}

type rowPlanEntry struct {
	plan  *rowPlan
	err   error
	stats []*FieldStats
}

// Builder builds payloads; one per goroutine.
type Builder struct {
	t          *Transformer
	compiled   map[*record.Schema]rowPlanEntry
	scratch    []byte
	addressBuf [5][]byte
	keyBuf     []byte
	// Warnings counts non-fatal findings by message since the last reset.
	Warnings map[string]int64
	// Stats describes the payloads built (with Config.CollectStats).
	Stats *Stats
	// TraitHashes, with Config.ContentHash, makes the builder fill
	// Out.Shape and Out.TraitHashes (see traithash.go).
	TraitHashes bool

	curStats []*FieldStats
	obs      []observation
	digits   []byte      // scratch for reading numbers
	row      *record.Row // the row being built
	// the relationshipAttributes object being spread: compacted text, and
	// the names it gave
	objBuf  []byte
	objKeys map[string]bool
	// notes are the builder's handles on warnings that name an example.
	notes map[string]*noteRef

	traitsStart, traitsEnd int
	joinKey                []byte
	joined                 []byte

	// trait hashes (traithash.go): on for this payload, the traits noted,
	// their value hashes, the shapes registered, the last shape
	hashTraits bool
	traitNotes []traitNote
	traitBuf   []byte
	shapes     map[uint64]struct{}
	lastShape  uint64
	tsBuf      []byte // HashRow's scratch (hashonly.go)
}

// appendObjectTraits joins in the traits of the membership's object,
// leaving out names the membership's own traits (or the mapping's list)
// exclude.
func (b *Builder) appendObjectTraits(dst []byte, p *rowPlan, id *identity) []byte {
	k := append(b.joinKey[:0], 'o')
	k = append(k, id.objectType...)
	k = append(k, 0)
	k = append(k, id.groupID...)
	b.joinKey = k
	var ok bool
	b.joined, ok = b.t.cfg.ObjectTraits(append(b.joined[:0], '{'), xxh3.Hash128(k).Bytes())
	if ok && len(b.joined) == 1 {
		return dst // the object has no traits but objectTypeId
	}
	if !ok {
		b.warn("memberships: no object in this run's companies input for some rows (their object traits could not be joined in)")
		return dst
	}
	if len(p.joinTraitNames) == 0 && len(p.traits) == 0 && !b.hashTraits {
		return append(dst, b.joined[1:]...)
	}
	obj := append(b.joined, '}')
	obj[1] = ' ' // the leading comma
	_ = jsonx.ObjectEach(obj, func(key, value []byte) error {
		name := string(key[1 : len(key)-1])
		if (len(p.joinTraitNames) > 0 && !p.joinTraitNames[name]) || p.hasTrait(name) {
			return nil
		}
		dst = append(dst, ',')
		dst = append(dst, key...)
		dst = append(dst, ':')
		dst = append(dst, value...)
		if b.hashTraits {
			b.noteTrait(traitNameHash(name, false), name, false, value)
		}
		return nil
	})
	return dst
}

// observation is a value written into the payload being built, counted
// in the statistics once the payload is complete.
type observation struct{ idx, start, end int }

// Fixed statistics slots; traits and attributes follow.
const (
	statGroupID = iota
	statUserID
	statAnonymousID
	statTimestamp
	statAddress   // five: street … country
	statFirstSlot = statAddress + 5
)

// NewBuilder returns a Builder.
func (t *Transformer) NewBuilder() *Builder {
	b := &Builder{t: t, compiled: map[*record.Schema]rowPlanEntry{}, Warnings: map[string]int64{}}
	if t.cfg.CollectStats {
		b.Stats = newStats(t.cfg.Kind, time.Now())
	}
	return b
}

// statsFor resolves the statistics slots of a plan.
func (b *Builder) statsFor(p *rowPlan) []*FieldStats {
	st := b.Stats
	out := make([]*FieldStats, statFirstSlot+len(p.traits)+len(p.relationshipAttrs))
	out[statGroupID] = st.field(fieldGroupID, p.groupID.column, false)
	out[statUserID] = st.field(fieldUserID, p.userID.column, false)
	out[statAnonymousID] = st.field(fieldAnonymousID, p.anonymousID.column, false)
	out[statTimestamp] = st.field(fieldTimestamp, p.timestamp.column, true)
	for _, sl := range p.traits {
		if sl.address != nil {
			for k, part := range addressParts {
				src := sl.address.parts[k].column
				if src == "" {
					src = sl.address.whole.column
				}
				if src != "" {
					out[statAddress+k] = st.field("traits.address."+part, src, false)
				}
			}
			continue
		}
		out[sl.stat] = st.field("traits."+sl.name, sl.col.column, sl.field.Type == TypeTimestamp)
	}
	for _, sl := range p.relationshipAttrs {
		out[sl.stat] = st.field("traits.relationshipAttributes."+sl.name, sl.col.column, sl.field.Type == TypeTimestamp)
	}
	return out
}

func (b *Builder) observe(idx, start, end int) {
	if b.Stats != nil {
		b.obs = append(b.obs, observation{idx, start, end})
	}
}

func (b *Builder) warn(format string, args ...any) {
	b.Warnings[fmt.Sprintf(format, args...)]++
}

func (b *Builder) planFor(s *record.Schema) (*rowPlan, error) {
	if e, ok := b.compiled[s]; ok {
		b.curStats = e.stats
		return e.plan, e.err
	}
	p, err := compile(b.t.cfg.Kind, b.t.cfg.Mapping, s, false)
	if len(b.compiled) > 10000 {
		clear(b.compiled)
	}
	e := rowPlanEntry{plan: p, err: err}
	if err == nil && b.Stats != nil {
		e.stats = b.statsFor(p)
	}
	b.compiled[s] = e
	b.curStats = e.stats
	return p, err
}

// value returns the cell c of row, following a nested path.
func (b *Builder) value(row *record.Row, p *rowPlan, c colRef) record.Value {
	if c.idx < 0 || c.idx >= len(row.Values) {
		return record.Value{}
	}
	v := row.Values[c.idx]
	if v.Kind == record.String && len(p.nulls) > 0 {
		for _, n := range p.nulls {
			if bytes.Equal(v.Bytes, n) {
				return record.Value{}
			}
		}
	}
	for _, key := range c.path {
		v = b.member(v, key)
	}
	return v
}

// member returns obj[key] for a JSON object value (or text holding one).
func (b *Builder) member(obj record.Value, key string) record.Value {
	raw := obj.Bytes
	if obj.Kind == record.String {
		if len(raw) == 0 || raw[0] != '{' || jsonx.Valid(raw, jsonx.MaxDepth) != nil {
			return record.Value{}
		}
	} else if obj.Kind != record.JSON || len(raw) == 0 || raw[0] != '{' {
		return record.Value{}
	}
	var out record.Value
	_ = jsonx.ObjectEach(raw, func(k, v []byte) error {
		if !keyEquals(k, key) {
			return nil
		}
		out = b.jsonValue(v)
		return errStop
	})
	return out
}

type stopErr struct{}

func (stopErr) Error() string { return "stop" }

var errStop = stopErr{}

// keyEquals compares a raw JSON key (with quotes) to name.
func keyEquals(raw []byte, name string) bool {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1:len(raw)-1]) == name
	}
	return string(jsonx.Unquote(nil, raw)) == name
}

// jsonValue turns a raw JSON value into a Value (strings unescaped into a
// fresh slice).
func (b *Builder) jsonValue(v []byte) record.Value {
	switch jsonx.KindOf(v[0]) {
	case jsonx.String:
		return record.Value{Kind: record.String, Bytes: jsonx.Unquote(nil, v)}
	case jsonx.Number:
		return record.Value{Kind: record.Number, Bytes: v}
	case jsonx.True, jsonx.False:
		return record.Value{Kind: record.Bool, Bytes: v}
	case jsonx.Object, jsonx.Array:
		return record.Value{Kind: record.JSON, Bytes: v}
	}
	return record.Value{}
}

// Out describes a payload Append wrote.
type Out struct {
	// Delete is set for a delete event (a track call), which a run sends
	// after every upsert.
	Delete bool
	// Key identifies the object or relationship the payload is about
	// (object type, groupId and, for relationships, the person): two rows
	// with the same Key in one run are duplicates.
	Key [16]byte
	// Hash is a hash of the content that matters to the destination (type,
	// ids, traits; not timestamp, messageId or sentAt): an incremental run
	// sends a key again only when it changes.
	Hash uint64
	// Relationship is set for a relationship (a person and an object).
	Relationship bool
	// The ids, valid until the row's batch is reused.
	ObjType, GroupID, UserID, AnonymousID []byte
	// Keyed is set when Key, Relationship and the ids are valid: always
	// for a payload, and for a rejected row whose ids could be read (a run
	// must not take the object or relationship it is about for missing).
	Keyed bool
	// OtherShard is set for a row of another shard (Config.Shard): nothing
	// was built, the row is skipped. Key and the ids describe it.
	OtherShard bool
	// Traits is where a company payload's traits (after objectTypeId,
	// from the comma) lie in the buffer Append wrote: dst[Traits[0]:Traits[1]].
	Traits [2]int
	// Shape and TraitHashes describe a group payload's traits one by one
	// (with Builder.TraitHashes; see traithash.go). TraitHashes is valid
	// until the next Append.
	Shape       uint64
	TraitHashes []byte
}

// Append appends row's payload and a newline to dst. On a RowError dst is
// returned unchanged, and the Out describes the row's key when its ids
// could be read (Out.Keyed).
func (b *Builder) Append(dst []byte, row *record.Row) ([]byte, Out, *RowError) {
	var c rowContent
	dst, rerr := b.content(dst, row, b.TraitHashes && b.t.cfg.ContentHash, &c)
	if rerr == nil && !c.skip {
		if b.hashTraits && !c.id.deleted {
			b.describeTraits(&c.out)
		}
		if dst, rerr = b.finish(dst, c.start, row, c.p); rerr != nil {
			dst, c.out = dst[:c.start], b.keyOf(&c.id)
		}
	}
	if rerr != nil || c.skip {
		b.obs = b.obs[:0]
		return dst, c.out, rerr
	}
	out, start := c.out, c.start
	if st := b.Stats; st != nil {
		st.Messages++
		if out.Delete {
			st.Deletes++
		}
		st.size(len(dst) - start - 1)
		st.observePayload(b.obs, b.curStats, dst, sampleWeight(row.Num))
		if !st.countsOnly {
			b.reviewPayload(dst[start:len(dst)-1], &out, row)
		}
		b.obs = b.obs[:0]
	}
	return dst, out, nil
}

// rowContent is what content made of a row: its plan and identity, where
// its payload starts in dst, and its Out so far (key, ids, Hash, Traits).
type rowContent struct {
	p     *rowPlan
	id    identity
	start int
	out   Out
	skip  bool // another shard's row: nothing written, out names its key
}

// content is the part of a call Append and HashRow both write: it reads
// row's identity and appends the payload's content (type, ids, traits or
// properties: the bytes Out.Hash hashes) to dst, filling c. On a
// RowError dst is returned unchanged and c.out describes the row's key
// when its ids could be read (Out.Keyed).
func (b *Builder) content(dst []byte, row *record.Row, hashTraits bool, c *rowContent) ([]byte, *RowError) {
	if row.Err != nil {
		return dst, &RowError{Code: firstNonEmpty(row.Err.Code, CodeUnreadableRow), Column: row.Err.Column, Reason: row.Err.Reason}
	}
	p, err := b.planFor(row.Schema)
	if err != nil {
		return dst, &RowError{Code: CodeMappingMismatch, Reason: strings.TrimPrefix(err.Error(), "mapping: ")}
	}
	b.row, c.p, c.start = row, p, len(dst)
	b.hashTraits = hashTraits
	b.traitNotes = b.traitNotes[:0]
	id := &c.id
	if rerr := b.identify(row, p, id); rerr != nil {
		if id.keyed {
			c.out, c.skip, rerr = b.otherShard(id, rerr)
		}
		return dst, rerr
	}
	c.out = b.keyOf(id)
	b.checkObjectType(id)
	if !b.t.cfg.Shard.Has(id.objectType, id.groupID) {
		c.out.OtherShard, c.skip = true, true
		return dst, nil
	}
	b.traitsStart, b.traitsEnd = 0, 0
	var rerr *RowError
	if id.deleted {
		dst, rerr = b.buildDelete(dst, row, p, id)
	} else {
		dst, rerr = b.buildGroup(dst, row, p, id)
	}
	if rerr != nil {
		c.out = b.keyOf(id)
		return dst[:c.start], rerr
	}
	if b.t.cfg.ContentHash {
		c.out.Hash = xxh3.Hash(dst[c.start:])
	}
	c.out.Traits = [2]int{b.traitsStart, b.traitsEnd}
	return dst, nil
}

// otherShard is a row rejected once its key was read: another shard's
// row is skipped instead (that shard rejects it).
func (b *Builder) otherShard(id *identity, rerr *RowError) (Out, bool, *RowError) {
	out := b.keyOf(id)
	if !b.t.cfg.Shard.Has(id.objectType, id.groupID) {
		out.OtherShard = true
		return out, true, nil
	}
	return out, false, rerr
}

// keyOf describes the identity's key (Keyed set), for a payload or for a
// rejected row whose ids could be read.
func (b *Builder) keyOf(id *identity) Out {
	b.keyBuf = id.appendKey(b.keyBuf[:0])
	return Out{Keyed: true, Delete: id.deleted, Key: xxh3.Hash128(b.keyBuf).Bytes(), Relationship: id.relationship,
		ObjType: id.objectType, GroupID: id.groupID, UserID: id.userID, AnonymousID: id.anonymousID}
}

// identity is who and what a row is about.
type identity struct {
	relationship                 bool
	groupID, userID, anonymousID []byte
	objectType                   []byte
	deleted                      bool
	// keyed is set once the ids that make the key are read.
	keyed bool
}

// appendKey appends the identity's key bytes.
func (id *identity) appendKey(k []byte) []byte {
	if id.relationship {
		k = append(k, 'r')
	} else {
		k = append(k, 'o')
	}
	k = append(k, id.objectType...)
	k = append(k, 0)
	k = append(k, id.groupID...)
	if id.relationship {
		if len(id.userID) > 0 {
			k = append(k, 0, 'u')
			k = append(k, id.userID...)
		} else {
			k = append(k, 0, 'a')
			k = append(k, id.anonymousID...)
		}
	}
	return k
}

func (b *Builder) identify(row *record.Row, p *rowPlan, id *identity) *RowError {
	id.relationship = relationshipKind(p.kind)
	var rerr *RowError
	if id.groupID, rerr = b.identifier(row, p, p.groupID, fieldGroupID); rerr != nil {
		return rerr
	}
	if len(id.groupID) == 0 {
		return &RowError{Code: CodeMissingGroupID, Column: p.groupID.column, Reason: "groupId is empty or missing"}
	}
	if id.relationship {
		if id.userID, rerr = b.identifier(row, p, p.userID, fieldUserID); rerr != nil {
			return rerr
		}
		if id.anonymousID, rerr = b.identifier(row, p, p.anonymousID, fieldAnonymousID); rerr != nil {
			return rerr
		}
		if len(id.userID) == 0 && len(id.anonymousID) == 0 {
			return &RowError{Code: CodeMissingPerson, Column: firstNonEmpty(p.userID.column, p.anonymousID.column), Reason: "the row names no person: userId and anonymousId are both empty"}
		}
	}
	id.objectType = p.objectTypeConst
	if p.objectType.present() {
		v := b.value(row, p, p.objectType)
		if n, ok := positiveInt(v); ok {
			if v.Kind == record.String {
				b.trimID(fieldObjectTypeID, v.Bytes)
			}
			id.objectType = n
		} else if !v.IsEmpty() {
			return &RowError{Code: CodeInvalidObjectTypeID, Column: p.objectType.column, Reason: fmt.Sprintf("objectTypeId must be an integer of 1 or more, not %s", quoteValue(v))}
		}
	}
	// The key is known from here on, even if the row is rejected below.
	id.keyed = true
	if len(id.groupID) > maxIDBytes {
		if !p.warnLimits {
			return &RowError{Code: CodeObjectIDTooLong, Column: p.groupID.column, Reason: fmt.Sprintf("groupId is %d bytes, over Journeys' %d-byte limit for object ids", len(id.groupID), maxIDBytes)}
		}
		b.warn("groupId over Journeys' %d-byte limit", maxIDBytes)
	}
	if rerr := b.checkPersonID(p, fieldUserID, p.userID.column, id.userID); rerr != nil {
		return rerr
	}
	if rerr := b.checkPersonID(p, fieldAnonymousID, p.anonymousID.column, id.anonymousID); rerr != nil {
		return rerr
	}
	id.deleted = deleteKind(p.kind)
	if p.deleted.present() {
		v := b.value(row, p, p.deleted)
		switch {
		case v.IsEmpty():
		case v.Kind == record.Bool:
			id.deleted = v.Bytes[0] == 't'
		case v.Kind == record.String || v.Kind == record.Number:
			d, ok := boolWord(trimSpace(v.Bytes))
			if !ok {
				return &RowError{Code: CodeInvalidBoolean, Column: p.deleted.column, Reason: fmt.Sprintf("the deleted flag must be true or false, not %s", quoteValue(v))}
			}
			id.deleted = d
		default:
			return &RowError{Code: CodeInvalidBoolean, Column: p.deleted.column, Reason: fmt.Sprintf("the deleted flag must be true or false, not %s", quoteValue(v))}
		}
	}
	if id.deleted && id.relationship && len(id.userID) == 0 {
		return &RowError{Code: CodeDeleteNeedsUserID, Column: firstNonEmpty(p.userID.column, p.anonymousID.column), Reason: "a relationship delete needs a userId (the API's Relationship Deleted event requires one)"}
	}
	return nil
}

// buildDelete writes the semantic track event that deletes the object or
// the relationship.
func (b *Builder) buildDelete(dst []byte, row *record.Row, p *rowPlan, id *identity) ([]byte, *RowError) {
	dst = append(dst, `{"type":"track","event":`...)
	if id.relationship {
		dst = jsonx.AppendStringS(dst, p.relationshipDeletedEvent)
		dst = append(dst, `,"userId":`...)
		dst = jsonx.AppendString(dst, id.userID)
	} else {
		dst = jsonx.AppendStringS(dst, p.objectDeletedEvent)
		dst = append(dst, `,"anonymousId":`...)
		dst = jsonx.AppendStringS(dst, p.deleteAnonymousID)
	}
	dst = append(dst, `,"properties":{"objectId":`...)
	dst = jsonx.AppendString(dst, id.groupID)
	dst = append(dst, `,"objectTypeId":`...)
	dst = append(dst, id.objectType...)
	dst = append(dst, '}')
	return dst, nil
}

// buildGroup writes the group call, up to the timestamp.
func (b *Builder) buildGroup(dst []byte, row *record.Row, p *rowPlan, id *identity) ([]byte, *RowError) {
	dst = append(dst, `{"type":"group","groupId":`...)
	mark := len(dst)
	dst = jsonx.AppendString(dst, id.groupID)
	b.observe(statGroupID, mark, len(dst))
	// The person: userId, or anonymousId when there is no userId (SPEC).
	if len(id.userID) > 0 {
		dst = append(dst, `,"userId":`...)
		mark = len(dst)
		dst = jsonx.AppendString(dst, id.userID)
		b.observe(statUserID, mark, len(dst))
	} else if len(id.anonymousID) > 0 {
		dst = append(dst, `,"anonymousId":`...)
		mark = len(dst)
		dst = jsonx.AppendString(dst, id.anonymousID)
		b.observe(statAnonymousID, mark, len(dst))
	}
	dst = append(dst, `,"traits":{"objectTypeId":`...)
	dst = append(dst, id.objectType...)
	b.traitsStart = len(dst)
	if id.relationship && b.t.cfg.ObjectTraits != nil && p.joinObjectTraits {
		dst = b.appendObjectTraits(dst, p, id)
	}
	attrs := 0
	for i := range p.traits {
		var rerr *RowError
		dst, rerr = b.appendSlot(dst, row, p, &p.traits[i], true, &attrs)
		if rerr != nil {
			return dst, rerr
		}
	}
	if attrs > maxAttributes {
		if !p.warnLimits {
			return dst, &RowError{Code: CodeTooManyAttributes, Reason: fmt.Sprintf("%d traits, over Journeys' limit of %d attributes per object", attrs, maxAttributes)}
		}
		b.warn("over Journeys' %d attributes per object", maxAttributes)
	}
	b.traitsEnd = len(dst)
	if id.relationship {
		dst = append(dst, `,"relationshipAttributes":{`...)
		mark := len(dst)
		rels := 0
		for i := range p.relationshipAttrs {
			var rerr *RowError
			dst, rerr = b.appendSlot(dst, row, p, &p.relationshipAttrs[i], len(dst) > mark, &rels)
			if rerr != nil {
				return dst, rerr
			}
		}
		if p.relAttrsObject.present() {
			var rerr *RowError
			if dst, rerr = b.appendAttributesObject(dst, row, p, mark, &rels); rerr != nil {
				return dst, rerr
			}
		}
		if rels > maxAttributes {
			if !p.warnLimits {
				return dst, &RowError{Code: CodeTooManyAttributes, Reason: fmt.Sprintf("%d relationship attributes, over Journeys' limit of %d", rels, maxAttributes)}
			}
			b.warn("over Journeys' %d attributes per relationship", maxAttributes)
		}
		dst = append(dst, '}')
	}
	return append(dst, '}'), nil
}

// finish writes timestamp, integrations, context and messageId, and checks
// the size of the message that starts at dst[start].
func (b *Builder) finish(dst []byte, start int, row *record.Row, p *rowPlan) ([]byte, *RowError) {
	var sum [16]byte
	keyStart := len(dst)
	dst = append(dst, `,"timestamp":`...)
	tsStart := len(dst)
	dst, own, rerr := b.appendOwnTimestamp(dst, row, p)
	if rerr != nil {
		return dst, rerr
	}
	if !own {
		if b.t.cfg.ClockTimestamp {
			// the run's start is no part of the id: hash the payload without it
			dst = append(dst[:keyStart], b.t.tail...)
			sum = xxh3.Hash128(dst[start:]).Bytes()
			dst = append(dst[:keyStart], `,"timestamp":`...)
		}
		dst = append(dst, b.t.defTS...)
	}
	b.observe(statTimestamp, tsStart, len(dst))
	dst = append(dst, b.t.tail...)
	if own || !b.t.cfg.ClockTimestamp {
		sum = xxh3.Hash128(dst[start:]).Bytes()
	}
	dst = append(dst, `,"messageId":"`...)
	dst = appendUUID(dst, &sum)
	dst = append(dst, '"')
	dst = append(dst, b.t.sentAt...)
	dst = append(dst, '}')
	if rerr := b.t.checkSize(len(dst) - start); rerr != nil {
		return dst, rerr
	}
	return append(dst, '\n'), nil
}

// appendOwnTimestamp appends the row's own timestamp (the mapping's
// timestamp column), checked and watched as a date, and says whether it
// had one; an empty cell is warned about (the run's default is used).
func (b *Builder) appendOwnTimestamp(dst []byte, row *record.Row, p *rowPlan) ([]byte, bool, *RowError) {
	if !p.timestamp.present() {
		return dst, false, nil
	}
	v := b.value(row, p, p.timestamp)
	if v.IsEmpty() {
		b.warn("timestamp column %q empty: the run's default timestamp was used", p.timestamp.column)
		return dst, false, nil
	}
	start := len(dst)
	dst, rerr := appendTime(dst, v, p.timestampDates, p.timestamp.column)
	if rerr != nil {
		return dst, false, rerr
	}
	b.checkDate(dst[start:], v.Bytes, &p.timestampDates.watch)
	return dst, true, nil
}

// checkSize refuses a call of size bytes (sentAt's room added when a sink
// adds it) over the API's limit.
func (t *Transformer) checkSize(size int) *RowError {
	if t.sentAt == nil {
		size += sentAtReserve
	}
	if size > t.maxBytes {
		return &RowError{Code: CodeMessageTooLarge, Reason: fmt.Sprintf("the call would be %d bytes, over the API's limit of %d bytes per message", size, t.maxBytes)}
	}
	return nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// identifier returns the id in column c: text trimmed of surrounding
// whitespace (counted and warned: " c-1 " and "c-1" would be two objects),
// numbers as their exact digits.
func (b *Builder) identifier(row *record.Row, p *rowPlan, c colRef, field string) ([]byte, *RowError) {
	v := b.value(row, p, c)
	switch v.Kind {
	case record.Null:
		return nil, nil
	case record.String:
		return b.trimID(field, v.Bytes), nil
	case record.Number:
		return b.numericID(field, v.Bytes), nil
	case record.Time:
		return v.Bytes, nil
	}
	return nil, &RowError{Code: CodeInvalidID, Column: c.column, Reason: fmt.Sprintf("an id must be text or a number, not %s %s", article(v.Kind), quoteValue(v))}
}

// checkPersonID applies Journeys' 150-byte limit for ids to a person's id,
// as to object ids: the row is rejected, or (limits: warn) counted.
func (b *Builder) checkPersonID(p *rowPlan, field, column string, id []byte) *RowError {
	if len(id) <= maxIDBytes {
		return nil
	}
	if !p.warnLimits {
		return &RowError{Code: CodePersonIDTooLong, Column: column, Reason: fmt.Sprintf("%s is %d bytes, over Journeys' %d-byte limit for ids", field, len(id), maxIDBytes)}
	}
	b.warn("%s over Journeys' %d-byte limit", field, maxIDBytes)
	return nil
}

func article(k record.Kind) string {
	switch k {
	case record.JSON:
		return "JSON"
	case record.Bool:
		return "the boolean"
	}
	return k.String()
}

func positiveInt(v record.Value) ([]byte, bool) {
	switch v.Kind {
	case record.String, record.Number:
		t := bytes.TrimSpace(v.Bytes)
		if n, ok := integerText(t); ok && isPositiveInt(string(n)) {
			return n, true
		}
	}
	return nil, false
}

// quoteValue shows a value in a message, shortened.
func quoteValue(v record.Value) string {
	s := string(v.Bytes)
	if len(s) > 60 {
		s = s[:57] + "…"
	}
	if v.Kind == record.String {
		return strconv.Quote(s)
	}
	return s
}

// appendSlot appends one trait or attribute (",key":value).
func (b *Builder) appendSlot(dst []byte, row *record.Row, p *rowPlan, s *slot, comma bool, count *int) ([]byte, *RowError) {
	if s.address != nil {
		n := len(dst)
		dst, rerr := b.appendAddress(dst, row, p, s.address, comma, count)
		if rerr == nil && len(dst) > n {
			if comma {
				n++
			}
			b.noteSlot(s, dst[n+len(s.key):]) // the object after "address":
		}
		return dst, rerr
	}
	f := s.field
	if f.Const != nil {
		if comma {
			dst = append(dst, ',')
		}
		dst = append(dst, s.key...)
		*count++
		b.observe(s.stat, len(dst), len(dst)+len(f.Const))
		b.noteSlot(s, f.Const)
		return append(dst, f.Const...), nil
	}
	v := b.value(row, p, s.col)
	if emptyCell(v) {
		if f.Empty == "null" || (f.Empty == "" && p.emptyNull) {
			if comma {
				dst = append(dst, ',')
			}
			dst = append(dst, s.key...)
			*count++
			b.observe(s.stat, len(dst), len(dst)+4)
			b.noteSlot(s, nullJSON)
			return append(dst, "null"...), nil
		}
		return dst, nil
	}
	mark := len(dst)
	if comma {
		dst = append(dst, ',')
	}
	dst = append(dst, s.key...)
	vstart := len(dst)
	if s.reserved != "" && (v.Kind == record.Bool || v.Kind == record.JSON) {
		return dst[:mark], reservedMisfit(s, fmt.Sprintf("%s %s", article(v.Kind), quoteValue(v)))
	}
	dst, rerr := b.appendTyped(dst, v, s, p)
	if rerr != nil {
		return dst[:mark], rerr
	}
	if s.reserved != "" && !keepsMeaning(dst[vstart:]) {
		return dst[:mark], reservedMisfit(s, string(dst[vstart:]))
	}
	if n := valueBytes(dst[vstart:]); n > maxValueBytes {
		if !p.warnLimits {
			return dst[:mark], &RowError{Code: CodeValueTooLong, Column: s.col.column, Reason: fmt.Sprintf("the value is %d bytes, over Journeys' %d-byte limit", n, maxValueBytes)}
		}
		b.warn("column %q: a value over Journeys' %d-byte limit", s.col.column, maxValueBytes)
	}
	*count++
	b.observe(s.stat, vstart, len(dst))
	b.noteSlot(s, dst[vstart:])
	return dst, nil
}

var nullJSON = []byte("null")

// emptyCell reports whether a cell is empty: no value, empty text, or a
// JSON empty string (a reader's nested "" is as empty as a CSV's).
func emptyCell(v record.Value) bool {
	return v.IsEmpty() || (v.Kind == record.JSON && string(v.Bytes) == `""`)
}

// keepsMeaning reports whether a JSON value may fill a reserved trait:
// text or a number (or null, which clears it), not a boolean, an array or
// an object.
func keepsMeaning(v []byte) bool {
	return len(v) > 0 && v[0] != 't' && v[0] != 'f' && v[0] != '[' && v[0] != '{'
}

func reservedMisfit(s *slot, what string) *RowError {
	if len(what) > 60 {
		what = what[:57] + "…"
	}
	return &RowError{Code: CodeReservedTraitType, Column: s.col.column,
		Reason: fmt.Sprintf("traits.%s is a reserved trait, %s: not %s", s.name, s.reserved, what)}
}

// valueBytes is the size Journeys sees: a string's content, else the text.
func valueBytes(v []byte) int {
	if len(v) >= 2 && v[0] == '"' {
		return len(v) - 2 // escaped length: a slight over-count for escapes
	}
	return len(v)
}

func (b *Builder) appendTyped(dst []byte, v record.Value, s *slot, p *rowPlan) ([]byte, *RowError) {
	f := s.field
	switch f.Type {
	case TypeAuto:
		if s.commaWarn != "" && v.Kind == record.String && looksDecimalComma(trimSpace(v.Bytes)) {
			b.Warnings[s.commaWarn]++
		}
		return b.asRead(dst, v, s)
	case TypeString:
		return appendText(dst, v), nil
	case TypeInteger:
		return b.appendInteger(dst, v, s, p)
	case TypeFloat:
		return b.appendFloat(dst, v, s, p)
	case TypeBoolean:
		if v.Kind == record.Bool {
			return append(dst, v.Bytes...), nil
		}
		if v.Kind == record.String || v.Kind == record.Number {
			if t, ok := boolWord(trimSpace(v.Bytes)); ok {
				if t {
					return append(dst, "true"...), nil
				}
				return append(dst, "false"...), nil
			}
		}
		return b.misfit(dst, v, s, p, "a boolean", CodeInvalidBoolean)
	case TypeTimestamp:
		start := len(dst)
		out, rerr := appendTime(dst, v, s.dates, s.col.column)
		if rerr != nil && f.soft {
			b.warn("column %q: a value is not a date; sent as read", s.col.column)
			return b.asRead(dst, v, s)
		}
		if rerr == nil {
			b.checkDate(out[start:], v.Bytes, &s.dates.watch)
		}
		return out, rerr
	case TypeJSON:
		if v.Kind == record.String {
			t := trimSpace(v.Bytes)
			if err := jsonx.Valid(t, jsonx.MaxDepth); err != nil {
				return b.misfit(dst, v, s, p, "JSON", CodeInvalidJSON)
			}
			out, _, _ := jsonx.AppendCompact(dst, t, jsonx.SkipSpace(t, 0), jsonx.MaxDepth)
			return out, nil
		}
		return b.asRead(dst, v, s)
	}
	return dst, &RowError{Code: CodeInternal, Internal: true, Column: s.col.column, Reason: "unknown type " + f.Type}
}

// misfit handles a value that does not fit the field's type: with an
// inferred type it is sent as read (and counted); with a declared one the
// row is rejected with code.
func (b *Builder) misfit(dst []byte, v record.Value, s *slot, p *rowPlan, want, code string) ([]byte, *RowError) {
	if s.field.soft {
		b.warn("column %q: not every value is %s; those are sent as read", s.col.column, want)
		return b.asRead(dst, v, s)
	}
	reason := fmt.Sprintf("%s is not %s", quoteValue(v), want)
	if (code == CodeInvalidNumber || code == CodeInvalidInteger) && v.Kind == record.String &&
		p.numbers.decimal != ',' && looksDecimalComma(trimSpace(v.Bytes)) {
		reason += fmt.Sprintf(" (written with a decimal comma? say so with decimal: \",\" in the %s section of the mapping)", sectionOfKind(p.kind))
	}
	return dst, &RowError{Code: code, Column: s.col.column, Reason: reason}
}

// asRead writes v as it was read; a number no double holds is refused,
// not sent to become infinity or 0 downstream.
func (b *Builder) asRead(dst []byte, v record.Value, s *slot) ([]byte, *RowError) {
	if v.Kind == record.Number && !jsonNumberInRange(v.Bytes) {
		return dst, numberOutOfRange(v, s.col.column)
	}
	return appendAsRead(dst, v), nil
}

func numberOutOfRange(v record.Value, column string) *RowError {
	return &RowError{Code: CodeNumberOutOfRange, Column: column,
		Reason: fmt.Sprintf("%s is out of the range of a double (±1.8e308, and not below 4.9e-324 unless 0): it would arrive as infinity or 0", quoteValue(v))}
}

// appendInteger writes v as an integer, exactly: a whole number written
// as a decimal (12.0, 1.5e3) is one, anything with a fraction is not.
func (b *Builder) appendInteger(dst []byte, v record.Value, s *slot, p *rowPlan) ([]byte, *RowError) {
	nf, text := plainNumbers, v.Bytes
	switch v.Kind {
	case record.String:
		nf, text = p.numbers, trimSpace(text)
	case record.Number:
	default:
		return b.misfit(dst, v, s, p, "an integer", CodeInvalidInteger)
	}
	if len(text) > 0 && len(text) < 300 && text[0] != '0' && allDigits(text) {
		return append(dst, text...), nil // the common case: nothing to read
	}
	out, ok, err := appendIntegerText(dst, text, nf, &b.digits)
	switch {
	case !ok || (err != nil && s.field.soft):
		return b.misfit(dst, v, s, p, "an integer", CodeInvalidInteger)
	case err == errNumberRange:
		return dst, numberOutOfRange(v, s.col.column)
	case err != nil:
		return dst, &RowError{Code: CodeInvalidInteger, Column: s.col.column,
			Reason: fmt.Sprintf("%s is not a whole number (an integer field takes no fraction; nothing is rounded)", quoteValue(v))}
	}
	return out, nil
}

// appendFloat writes v as a number, digit for digit as written.
func (b *Builder) appendFloat(dst []byte, v record.Value, s *slot, p *rowPlan) ([]byte, *RowError) {
	switch v.Kind {
	case record.Number:
		if !jsonNumberInRange(v.Bytes) {
			return dst, numberOutOfRange(v, s.col.column)
		}
		return append(dst, v.Bytes...), nil
	case record.String:
		text := trimSpace(v.Bytes)
		if p.numbers.decimal == '.' && len(text) < 300 && jsonx.IsNumber(text) && !hasExponent(text) {
			return append(dst, text...), nil // the common case: JSON already
		}
		out, ok, err := appendNumber(dst, text, p.numbers, &b.digits)
		switch {
		case ok && err == nil:
			return out, nil
		case ok && !s.field.soft:
			return dst, numberOutOfRange(v, s.col.column)
		}
	}
	return b.misfit(dst, v, s, p, "a number", CodeInvalidNumber)
}

func appendAsRead(dst []byte, v record.Value) []byte {
	switch v.Kind {
	case record.String, record.Time:
		return appendText(dst, v)
	case record.Null:
		return append(dst, "null"...)
	}
	return append(dst, v.Bytes...)
}

func appendTime(dst []byte, v record.Value, ds *dateSpec, column string) ([]byte, *RowError) {
	switch v.Kind {
	case record.Time:
		return jsonx.AppendString(dst, v.Bytes), nil
	case record.String, record.Number:
		if out, ok := appendPlainISO(dst, v.Bytes, ds); ok {
			return out, nil
		}
		t, err := parseTime(v.Bytes, ds)
		if err != nil {
			return dst, &RowError{Code: CodeInvalidTimestamp, Column: column, Reason: fmt.Sprintf("%s is not a date: %v", quoteValue(v), err)}
		}
		dst = append(dst, '"')
		dst = appendISO(dst, t)
		return append(dst, '"'), nil
	}
	return dst, &RowError{Code: CodeInvalidTimestamp, Column: column, Reason: fmt.Sprintf("%s is not a date", quoteValue(v))}
}

func boolWord(b []byte) (bool, bool) {
	switch strings.ToLower(string(b)) {
	case "true", "t", "yes", "y", "1":
		return true, true
	case "false", "f", "no", "n", "0":
		return false, true
	}
	return false, false
}

// appendText writes v's bytes as a JSON string: copied as they are when
// the reader found them plain (record.Value.Plain; Parquet text, whose
// check for UTF-8 looks for what JSON escapes in the same pass), else
// escaped.
func appendText(dst []byte, v record.Value) []byte {
	if v.Plain {
		dst = append(dst, '"')
		dst = append(dst, v.Bytes...)
		return append(dst, '"')
	}
	return jsonx.AppendString(dst, v.Bytes)
}

// appendUUID formats a 128-bit hash as a version-8 UUID. The hex digits
// are made four bytes at a time (hex8): BenchmarkAppendUUID/hex, fastest
// of 6 interleaved runs on a loaded 2-core machine, 77 ns with hex.Encode
// over the five groups, 31 ns so; hex.Encode was 2% of the CPU of a
// 3M-membership Parquet run.
func appendUUID(dst []byte, sum *[16]byte) []byte {
	u := *sum
	u[6] = u[6]&0x0f | 0x80
	u[8] = u[8]&0x3f | 0x80
	var s [36]byte
	le := binary.LittleEndian
	le.PutUint64(s[0:], hex8(le.Uint32(u[0:])))
	h := hex8(le.Uint32(u[4:]))
	le.PutUint32(s[9:], uint32(h))
	le.PutUint32(s[14:], uint32(h>>32))
	h = hex8(le.Uint32(u[8:]))
	le.PutUint32(s[19:], uint32(h))
	le.PutUint32(s[24:], uint32(h>>32))
	le.PutUint64(s[28:], hex8(le.Uint32(u[12:])))
	s[8], s[13], s[18], s[23] = '-', '-', '-', '-'
	return append(dst, s[:]...)
}

// hex8 returns the eight lower-case hex digits of the four bytes of x
// (little-endian: the first byte's digits in the lowest two bytes), as
// written by binary.LittleEndian.PutUint64.
func hex8(x uint32) uint64 {
	v := uint64(x)
	v = (v | v<<16) & 0x0000ffff0000ffff
	v = (v | v<<8) & 0x00ff00ff00ff00ff // byte k of x in byte 2k
	n := (v>>4)&0x000f000f000f000f | (v&0x000f000f000f000f)<<8
	// a nibble n becomes '0'+n, plus 'a'-'0'-10 = 39 when n > 9
	return n + 0x3030303030303030 + ((n+0x0606060606060606)>>4&0x0101010101010101)*39
}
