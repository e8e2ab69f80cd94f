package pipeline

import (
	"time"

	"github.com/groupimport/groupimport/record"
	"github.com/groupimport/groupimport/transform"
)

// Counts are the rows of a file or a run: Read = Emitted + Rejected +
// Skipped + Superseded + OtherShard.
type Counts struct {
	Read     int64
	Emitted  int64
	Rejected int64
	// Skipped counts the rows an incremental run found unchanged.
	Skipped    int64
	Superseded int64
	// OtherShard counts the rows of other shards' objects (--shard).
	OtherShard int64
	Deleted    int64
	// Unkeyed counts the rejected rows whose key could not be read (a
	// wrong field count, a missing or unreadable id): the run cannot tell
	// which object or relationship they were about.
	Unkeyed int64
}

func (c *Counts) add(o Counts) {
	c.Read += o.Read
	c.Emitted += o.Emitted
	c.Rejected += o.Rejected
	c.Skipped += o.Skipped
	c.Superseded += o.Superseded
	c.OtherShard += o.OtherShard
	c.Deleted += o.Deleted
	c.Unkeyed += o.Unkeyed
}

// FileResult is what happened to one input file.
type FileResult struct {
	Path        string
	Kind        transform.Kind
	Format      string
	Compression string
	Counts
	DurationMS int64
	Error      string

	started time.Time
	// the reader's warnings about the file (importer.Warner), set by the
	// reading goroutine and counted in Result.Warnings when the run ends
	warnings map[string]int64
	// the row ordinals of the file: [ordFirst, ordEnd)
	ordFirst, ordEnd int64
	seen             bool
}

// Result is what a run did.
type Result struct {
	Files []*FileResult
	Counts
	FileErrors int
	// UnkeyedElsewhere counts such rows that another shard reports: they
	// may have been about this shard's objects all the same.
	UnkeyedElsewhere int64
	// Scope lists, per class of key, the object types seen (with
	// Config.Scope).
	Scope map[Class]map[string]bool
	// Stats describes the payloads per kind, when the transformers collect
	// statistics.
	Stats    map[transform.Kind]*transform.Stats
	Warnings map[string]int64
	// RejectReasons counts the rejects by code and column.
	RejectReasons map[ReasonKey]*ReasonCount
	FirstRejects  []record.Reject
	// Stopped says why the run ended early ("" when it did not).
	Stopped string
}

// FileOf returns the index in Files of the file that held the row with
// the given ordinal, or -1.
func (r *Result) FileOf(ordinal int64) int {
	for i, f := range r.Files {
		if f.seen && ordinal >= f.ordFirst && ordinal < f.ordEnd {
			return i
		}
	}
	return -1
}

// Ordinals returns the row ordinals of file i, [first, end); ok is false
// when the file gave no rows.
func (r *Result) Ordinals(i int) (first, end int64, ok bool) {
	f := r.Files[i]
	return f.ordFirst, f.ordEnd, f.seen
}

// ReasonKey is what rejects are counted by: the code of their problem and
// the column it is about.
type ReasonKey struct {
	Code   string
	Column string
}

// ReasonCount is how many rejects share a ReasonKey, with the reason of
// the first of them as the example.
type ReasonCount struct {
	ReasonKey
	Count   int64
	Example string
}

// CountReject counts x under its code and column.
func (r *Result) CountReject(x record.Reject) {
	if r.RejectReasons == nil {
		r.RejectReasons = map[ReasonKey]*ReasonCount{}
	}
	k := ReasonKey{Code: x.Code, Column: x.Column}
	rc := r.RejectReasons[k]
	if rc == nil {
		rc = &ReasonCount{ReasonKey: k, Example: x.Reason}
		r.RejectReasons[k] = rc
	}
	rc.Count++
}
