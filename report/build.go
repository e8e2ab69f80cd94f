package report

import (
	"sort"
	"time"

	"github.com/groupimport/groupimport/record"
)

// Result is what a run did, in the report's terms: the input of Build.
type Result struct {
	Files []File
	// Totals are the run's row counts; Build computes Skipped and
	// Undelivered (Delivered nil: nothing was delivered).
	Totals Counts
	// Reasons are the rejected rows counted by code and column, in any
	// order (Build sorts them).
	Reasons []ReasonCount
	// FirstRejects are the first rejected rows, in input order.
	FirstRejects []record.Reject
	// Warnings counts the non-fatal findings by message.
	Warnings map[string]int64
	// Stopped says why the run ended early ("" when it did not).
	Stopped string
}

// Build fills a report from a run's result (nil: the run ended before
// reading anything).
func Build(rep *Report, res *Result, started, finished time.Time) {
	rep.Schema = SchemaID
	rep.StartedAt = started.UTC().Format(time.RFC3339Nano)
	rep.FinishedAt = finished.UTC().Format(time.RFC3339Nano)
	rep.DurationMS = finished.Sub(started).Milliseconds()
	rep.Kinds = map[string]*Counts{}
	if rep.Mapping == nil {
		rep.Mapping = map[string]*MappingInfo{}
	}
	rep.Warnings = []Warning{}
	rep.FirstRejections = []Rejection{}
	rep.RejectReasons = []ReasonCount{}
	rep.Files = []File{}
	if rep.Errors == nil {
		rep.Errors = []string{}
	}
	if res == nil {
		rep.Totals.Delivered = new(int64)
		rep.Totals.settleDelivery()
		return
	}
	rep.Files = append(rep.Files, res.Files...)
	known := map[string]bool{}
	for i := range rep.Files {
		f := &rep.Files[i]
		k := rep.Kinds[f.Kind]
		if k == nil {
			k = &Counts{Delivered: new(int64)}
			rep.Kinds[f.Kind] = k
			known[f.Kind] = true
		}
		k.add(Counts{Read: f.Read, Emitted: f.Emitted, Refused: f.Refused, Rejected: f.Rejected, SkippedUnchanged: f.SkippedUnchanged,
			Superseded: f.Superseded, Deleted: f.Deleted})
		if f.Delivered == nil {
			known[f.Kind] = false
		} else {
			*k.Delivered += *f.Delivered
			u := f.Emitted - *f.Delivered
			f.Undelivered = &u
		}
		if f.Error != "" {
			rep.Errors = append(rep.Errors, f.Error)
		}
	}
	for kind, k := range rep.Kinds {
		if !known[kind] {
			k.Delivered = nil
		}
		k.settleDelivery()
	}
	rep.Totals = Counts{Delivered: res.Totals.Delivered}
	if rep.Totals.Delivered == nil {
		rep.Totals.Delivered = new(int64)
	}
	rep.Totals.add(res.Totals)
	rep.Totals.settleDelivery()
	rep.RejectReasons = sortedReasons(res.Reasons)
	for _, x := range res.FirstRejects {
		rep.FirstRejections = append(rep.FirstRejections, FromReject(x))
	}
	for m, n := range res.Warnings {
		rep.Warnings = append(rep.Warnings, Warning{m, n})
	}
	sort.Slice(rep.Warnings, func(i, j int) bool {
		if rep.Warnings[i].Count != rep.Warnings[j].Count {
			return rep.Warnings[i].Count > rep.Warnings[j].Count
		}
		return rep.Warnings[i].Message < rep.Warnings[j].Message
	})
	if res.Stopped != "" {
		rep.Errors = append(rep.Errors, res.Stopped)
	}
	if secs := finished.Sub(started).Seconds(); secs > 0 {
		rep.RowsPerSecond = float64(int64(float64(res.Totals.Read)/secs*10)) / 10
	}
}

// add adds o's counts to c, Skipped as the sum of its parts.
func (c *Counts) add(o Counts) {
	c.Read += o.Read
	c.Emitted += o.Emitted
	c.Refused += o.Refused
	c.Rejected += o.Rejected
	c.SkippedUnchanged += o.SkippedUnchanged
	c.Superseded += o.Superseded
	c.Skipped += o.SkippedUnchanged + o.Superseded
	c.Deleted += o.Deleted
}

// settleDelivery computes Undelivered from Delivered, when it is known.
func (c *Counts) settleDelivery() {
	if c.Delivered != nil {
		u := c.Emitted - *c.Delivered
		c.Undelivered = &u
	}
}

// CodeOther is the code of a rejected row whose error named no code of its
// own (reports count it by its column).
const CodeOther = "other"

// sortedReasons returns the reasons most frequent first (then by code and
// column), each with its code and its readable summary filled in.
func sortedReasons(in []ReasonCount) []ReasonCount {
	out := make([]ReasonCount, 0, len(in))
	for _, rc := range in {
		if rc.Code == "" {
			rc.Code = CodeOther
		}
		rc.Reason = rc.Example
		if rc.Column != "" {
			rc.Reason = rc.Column + ": " + rc.Example
		}
		out = append(out, rc)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.Count != b.Count:
			return a.Count > b.Count
		case a.Code != b.Code:
			return a.Code < b.Code
		}
		return a.Column < b.Column
	})
	return out
}

// FromReject converts a reject for the report.
func FromReject(x record.Reject) Rejection {
	return Rejection{Kind: x.Kind, File: x.Pos.File, Line: x.Pos.Line, Row: x.Pos.Row, Code: x.Code, Column: x.Column,
		Col: x.Col, Reason: x.Reason}
}
