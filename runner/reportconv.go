package runner

// The run report (package report) owns its schema; here the pipeline's and
// the sinks' results, which have no JSON form, become the report's types.

import (
	"github.com/groupimport/groupimport/importer"
	"github.com/groupimport/groupimport/pipeline"
	"github.com/groupimport/groupimport/report"
	"github.com/groupimport/groupimport/sink"
	"github.com/groupimport/groupimport/transform"
)

// reportResult converts what a run did (nil when it read nothing) and
// what its destination acknowledged.
func reportResult(res *pipeline.Result, d deliveries) *report.Result {
	if res == nil {
		return nil
	}
	var refused int64
	for _, n := range d.refused {
		refused += n
	}
	out := &report.Result{
		Totals: report.Counts{Read: res.Read, Emitted: res.Emitted, Delivered: &d.total, Refused: refused, Rejected: res.Rejected,
			SkippedUnchanged: res.Skipped, Superseded: res.Superseded, SkippedOtherShard: res.OtherShard, Deleted: res.Deleted},
		FirstRejects: res.FirstRejects,
		Warnings:     res.Warnings,
		Stopped:      res.Stopped,
	}
	for _, f := range res.Files {
		rf := report.File{Path: f.Path, Kind: string(f.Kind), Format: f.Format,
			Compression: f.Compression, Read: f.Read, Emitted: f.Emitted, Refused: d.refused[f.Path], Rejected: f.Rejected,
			SkippedUnchanged: f.Skipped, Superseded: f.Superseded, SkippedOtherShard: f.OtherShard, Deleted: f.Deleted,
			DurationMS: f.DurationMS, Error: f.Error}
		if d.perFile != nil {
			n := d.perFile[f.Path]
			rf.Delivered = &n
		}
		out.Files = append(out.Files, rf)
	}
	for _, rc := range res.RejectReasons {
		out.Reasons = append(out.Reasons, report.ReasonCount{Code: rc.Code, Column: rc.Column, Count: rc.Count, Example: rc.Example})
	}
	return out
}

// reportOutput converts where the payloads went.
func reportOutput(st sink.Stats) report.Output {
	return report.Output{Destination: st.Destination, Files: st.Files, Messages: st.Messages, Bytes: st.Bytes}
}

// reportHTTP converts what delivery to the API did.
func reportHTTP(st sink.HTTPStats) *report.HTTP {
	r := st.Retries
	return &report.HTTP{Endpoint: st.Endpoint, Requests: st.Requests, Batches: st.Batches, BytesSent: st.BytesSent,
		BytesRaw: st.BytesRaw, Messages: st.Messages, Refused: st.Refused, Splits: st.Splits,
		Retries: report.Retries{TooManyRequests: r.TooManyRequests, ServerError: r.ServerError, Timeout: r.Timeout,
			Connection: r.Connection, Unexpected: r.Unexpected},
		RateLimitWait: st.RateLimitWait, RetryAfterWait: st.RetryAfterWait, BackoffWait: st.BackoffWait,
		Concurrency: st.Concurrency, MinConcurrency: st.MinConcurrency}
}

// reportIgnored converts the files of input folders left out.
func reportIgnored(ignored []importer.Ignored) []report.Ignored {
	var out []report.Ignored
	for _, x := range ignored {
		out = append(out, report.Ignored{Path: x.Path, Reason: x.Reason})
	}
	return out
}

// reportStats converts the payload statistics for the review: every size
// bucket (empty ones too), the fields in transform's order, the types by
// name.
func reportStats(stats map[transform.Kind]*transform.Stats) []report.KindStats {
	var out []report.KindStats
	for kind, st := range stats {
		ks := report.KindStats{Kind: string(kind), Messages: st.Messages, Deletes: st.Deletes, MaxSize: st.MaxSize}
		for i, n := range st.Sizes {
			ks.Sizes = append(ks.Sizes, report.SizeBucket{Range: transform.SizeBuckets[i], Count: n})
		}
		for _, f := range st.Sorted() {
			fs := report.FieldStats{Name: f.Name, Source: f.Source, Filled: f.Filled, Examples: f.Examples,
				Types: map[string]int64{}, TypeExamples: map[string]string{}, MinDate: f.MinDate, MaxDate: f.MaxDate,
				Before1990: f.Before1990, Future: f.Future, UnixEpochDay: f.UnixEpochDay}
			for t, n := range f.Types {
				if n > 0 {
					name := transform.JSONTypeNames[t]
					fs.Types[name], fs.TypeExamples[name] = n, f.TypeExamples[t]
				}
			}
			fs.FieldValues = fieldValues(f)
			ks.Fields = append(ks.Fields, fs)
		}
		ks.KindSamples = kindSamples(st)
		out = append(out, ks)
	}
	return out
}

// fieldValues converts the value statistics of a field.
func fieldValues(f *transform.FieldStats) report.FieldValues {
	var v report.FieldValues
	v.Distinct, v.DistinctExact = f.DistinctCount()
	top, exact := f.TopValues(10)
	v.TopValues, v.TopExact, v.Sampled = valueCounts(top), exact, f.Sampled()
	if len(v.TopValues) == 0 {
		v.TopValues, v.TopExact = nil, false
	}
	if lo, mean, hi, n := f.NumberSpread(); n > 0 {
		v.Numbers = &report.NumberSpread{Count: n, Min: lo, Mean: mean, Max: hi}
	}
	if lo, med, hi, ok := f.LengthSpread(); ok {
		v.Lengths = &report.LengthSpread{Min: lo, Median: med, Max: hi}
	}
	for _, d := range f.DateHistogram() {
		v.Dates = append(v.Dates, report.DateCount{Period: d.Period, Count: d.Count})
	}
	return v
}

// kindSamples converts the sample payloads and shapes of a kind.
func kindSamples(st *transform.Stats) report.KindSamples {
	ks := report.KindSamples{ShapesOverflow: st.ShapesOverflow, OtherShapeRows: st.OtherShapeRows}
	for _, p := range st.Samples {
		ks.Samples = append(ks.Samples, string(p))
	}
	for _, sh := range st.Shapes {
		ks.Shapes = append(ks.Shapes, report.Shape{Fields: sh.Fields, Count: sh.Count, Example: string(sh.Example)})
	}
	return ks
}
