package pipeline

import (
	"context"
	"fmt"

	"github.com/groupimport/groupimport/internal/jsonx"
	"github.com/groupimport/groupimport/record"
	"github.com/groupimport/groupimport/sink"
	"github.com/groupimport/groupimport/transform"
)

// built is a batch built into payloads: what a worker hands the writer.
type built struct {
	file   int   // the index of the file in Result.Files
	first  int64 // the ordinal of the batch's first row
	offset int64 // the input bytes read up to the batch's end
	chunk  *sink.Chunk
	keys   []keyInfo // parallel to chunk.Ends
	// deliveries tell the Tracker what each payload is (parallel to
	// chunk.Ends, with one)
	deliveries []Delivery
	traitBuf   []byte       // the deliveries' TraitHashes
	seen       []keyInfo    // keys of rejected rows (with Config.RejectedKeys)
	unkeyed    int64        // rejected rows whose key could not be read
	otherShard int64        // rows of other shards' objects
	elsewhere  int64        // of those, rejected rows whose key could not be read
	kept       *keptDeletes // delete rows, sent in the deletes phase
	rejects    []record.Reject
	joins      []joinRec
	scope      map[Class]map[string]bool
	read       int64
	superseded int64
	unchanged  int64
	done       bool  // the file's last batch
	err        error // the file's fatal error, or a row that could not be built
	stats      *transform.Stats
}

// keyInfo is what the key log is told of a payload.
type keyInfo struct {
	key    [16]byte
	row    int64
	hash   uint64
	delete bool
}

// joinRec is a company's traits, for memberships that join them in.
type joinRec struct {
	key    [16]byte
	traits []byte
}

// build is a worker's job: it turns a batch into a chunk of payloads, the
// delete rows kept for later and a list of rejects, then frees the batch.
func (r *run) build(_ context.Context, worker int, wk *work) (*built, error) {
	defer func() { r.batches <- wk.batch }()
	t := wk.input.Transformer
	bl := r.builders[worker][t]
	if bl == nil {
		bl = t.NewBuilder()
		bl.TraitHashes = r.cfg.Tracker != nil // what the state remembers
		r.builders[worker][t] = bl
	}
	b := &built{file: wk.file, first: wk.first, offset: wk.batch.Offset, chunk: r.chunks.get(), keys: r.chunks.getKeys(),
		done: wk.done, err: wk.err}
	if r.cfg.Tracker != nil {
		b.deliveries = r.chunks.getDeliveries()
	}
	bb := &batchBuilder{cfg: r.cfg, kind: wk.input.Kind, bl: bl, file: wk.batch.File, b: b}
	for i := range wk.batch.Rows {
		bb.row(&wk.batch.Rows[i], wk.first+int64(i))
	}
	b.stats = bl.TakeBatchStats()
	if len(b.chunk.Ends) > 0 {
		if err := r.cfg.Sink.Prepare(b.chunk); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// batchBuilder builds the rows of one batch.
type batchBuilder struct {
	cfg  *Config
	kind transform.Kind
	bl   *transform.Builder
	file string
	b    *built
}

// row builds one row with the given ordinal.
func (bb *batchBuilder) row(row *record.Row, ord int64) {
	b, cfg := bb.b, bb.cfg
	b.read++
	if cfg.Superseded != nil && cfg.Superseded.Has(ord) {
		b.superseded++
		return
	}
	if cfg.Unchanged != nil && cfg.Unchanged.Has(ord) {
		b.unchanged++
		return
	}
	c := b.chunk
	mark := len(c.Data)
	var out transform.Out
	var rerr *transform.RowError
	c.Data, out, rerr = safeAppend(bb.bl, c.Data, row, cfg.HashOnly)
	if out.OtherShard {
		b.otherShard++
		return
	}
	if rerr != nil {
		if !out.Keyed && cfg.Shard.On() && !cfg.Shard.HasPosition(bb.file, row.Num) {
			b.otherShard++
			b.elsewhere++
			return
		}
		bb.reject(row, ord, &out, rerr)
		return
	}
	pos := record.Position{File: bb.file, Line: row.Line, Row: row.Num, RowGroup: row.Group}
	b.addScope(cfg.Scope, &out)
	key := keyInfo{out.Key, ord, out.Hash, out.Delete}
	if out.Delete && (bb.kind == transform.Companies || bb.kind == transform.Memberships) {
		// a delete row among upserts: sent in the deletes phase
		if b.kept == nil {
			b.kept = &keptDeletes{}
		}
		b.kept.add(classOfKind(bb.kind), c.Data[mark:], pos, key)
		c.Data = c.Data[:mark]
		return
	}
	c.Ends = append(c.Ends, len(c.Data))
	c.Pos = append(c.Pos, pos)
	b.keys = append(b.keys, key)
	if cfg.Join != nil && bb.kind == transform.Companies {
		b.joins = append(b.joins, joinRec{out.Key, append([]byte(nil), c.Data[out.Traits[0]:out.Traits[1]]...)})
	}
	if cfg.Tracker != nil {
		n := len(b.traitBuf)
		b.traitBuf = append(b.traitBuf, out.TraitHashes...)
		b.deliveries = append(b.deliveries, Delivery{Key: out.Key, Hash: out.Hash, Deleted: out.Delete, Relationship: out.Relationship,
			ObjType: string(out.ObjType), GroupID: string(out.GroupID), UserID: string(out.UserID), AnonymousID: string(out.AnonymousID),
			Shape: out.Shape, TraitHashes: b.traitBuf[n:len(b.traitBuf):len(b.traitBuf)]})
	}
}

// reject notes a row that could not be built.
func (bb *batchBuilder) reject(row *record.Row, ord int64, out *transform.Out, rerr *transform.RowError) {
	b := bb.b
	if rerr.Internal && b.err == nil {
		b.err = fmt.Errorf("%s row %d: %s (the row is in the rejects file; please report this)", bb.file, row.Num, rerr.Reason)
	}
	b.rejects = append(b.rejects, newReject(string(bb.kind), bb.file, row, rerr))
	switch {
	case !out.Keyed:
		b.unkeyed++
	case bb.cfg.RejectedKeys != nil:
		b.seen = append(b.seen, keyInfo{key: out.Key, row: ord})
		b.addScope(bb.cfg.Scope, out)
	}
}

// classOfKind is the class of the keys of an input kind.
func classOfKind(k transform.Kind) Class {
	if k == transform.Memberships || k == transform.RelationshipDeletes {
		return Relationships
	}
	return Objects
}

// addScope notes the class and object type of a key (with Config.Scope).
func (b *built) addScope(on bool, out *transform.Out) {
	if !on {
		return
	}
	class := ClassOf(out.Relationship)
	types := b.scope[class]
	if types == nil {
		if b.scope == nil {
			b.scope = map[Class]map[string]bool{}
		}
		types = map[string]bool{}
		b.scope[class] = types
	}
	if !types[string(out.ObjType)] {
		types[string(out.ObjType)] = true
	}
}

// safeAppend builds one row; a panic (a bug) rejects that row and marks
// its file as failed instead of crashing the run.
func safeAppend(bl *transform.Builder, dst []byte, row *record.Row, hashOnly bool) (out []byte, o transform.Out, rerr *transform.RowError) {
	n := len(dst)
	defer func() {
		if p := recover(); p != nil {
			out, o = dst[:n], transform.Out{}
			rerr = &transform.RowError{Code: transform.CodeInternal, Internal: true, Reason: fmt.Sprintf("internal error: %v", p)}
		}
	}()
	if hashOnly {
		return bl.HashRow(dst, row)
	}
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
	}
	if row.Raw == nil && row.Values != nil {
		r.Raw, r.RawJSON = rowJSON(row), true
	}
	return r
}

// rowJSON renders a row without a text form (Parquet) as a JSON object for
// the rejects file.
func rowJSON(row *record.Row) []byte {
	out := []byte{'{'}
	for i, v := range row.Values {
		if i > 0 {
			out = append(out, ',')
		}
		name := ""
		if row.Schema != nil && i < len(row.Schema.Names) {
			name = row.Schema.Names[i]
		}
		out = jsonx.AppendStringS(out, name)
		out = append(out, ':')
		switch v.Kind {
		case record.Null:
			out = append(out, "null"...)
		case record.String, record.Time:
			out = jsonx.AppendString(out, v.Bytes)
		default:
			out = append(out, v.Bytes...)
		}
	}
	return append(out, '}')
}
