package transform

import (
	"github.com/groupimport/groupimport/record"
)

// Hash-only builds (issue 18): the planning pass of an incremental run
// needs of each row only what the comparison with the state needs — its
// key, whether it is rejected, and Out.Hash — never the call itself.
// HashRow writes only the payload's content (type, ids, traits: the bytes
// Out.Hash hashes, the same Append writes) and checks the rest of the call
// (the row's timestamp, the call's size) without writing it: no messageId
// hash, timestamp, context or sentAt. The hash is the same function of
// the same bytes as Append's, so the state a delivery pass writes compares
// with it as it is.

// HashRow does to row what Append does — the same Out, the same RowError,
// the same warnings — but appends only the payload's content (Append's
// payload up to the end of its traits or properties, which Out.Hash
// hashes) and a newline. Out.Traits indexes dst as Append's does. With
// statistics or trait hashes on, which describe the whole call, it is
// Append.
func (b *Builder) HashRow(dst []byte, row *record.Row) ([]byte, Out, *RowError) {
	if b.Stats != nil || (b.TraitHashes && b.t.cfg.ContentHash) {
		return b.Append(dst, row)
	}
	var c rowContent
	dst, rerr := b.content(dst, row, false, &c)
	if rerr != nil || c.skip {
		return dst, c.out, rerr
	}
	if rerr = b.checkFinish(len(dst)-c.start, row, c.p); rerr != nil {
		return dst[:c.start], b.keyOf(&c.id), rerr
	}
	return append(dst, '\n'), c.out, nil
}

// CallOverhead is about what Append writes after the content HashRow
// writes, in bytes: timestamp, context, messageId (a row's own timestamp
// may differ from the default by a few bytes).
func (t *Transformer) CallOverhead() int {
	return len(`,"timestamp":`) + len(t.defTS) + t.tailBytes()
}

// tailBytes is the size of what finish writes after the timestamp: the
// tail, `,"messageId":"<uuid>"`, sentAt and the closing brace.
func (t *Transformer) tailBytes() int {
	return len(t.tail) + len(`,"messageId":"`) + 36 + 1 + len(t.sentAt) + 1
}

// checkFinish checks what finish would write after content bytes of
// payload — the row's own timestamp, the size of the whole call — and
// counts the same warnings, without writing it.
func (b *Builder) checkFinish(content int, row *record.Row, p *rowPlan) *RowError {
	ts, own, rerr := b.appendOwnTimestamp(b.tsBuf[:0], row, p)
	if rerr != nil {
		return rerr
	}
	b.tsBuf = ts
	if !own {
		ts = b.t.defTS
	}
	return b.t.checkSize(content + len(`,"timestamp":`) + len(ts) + b.t.tailBytes())
}
