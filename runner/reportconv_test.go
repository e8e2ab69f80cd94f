package runner

import (
	"reflect"
	"testing"
	"time"

	"github.com/groupimport/groupimport/importer"
	"github.com/groupimport/groupimport/pipeline"
	"github.com/groupimport/groupimport/record"
	"github.com/groupimport/groupimport/report"
	"github.com/groupimport/groupimport/sink"
	"github.com/groupimport/groupimport/transform"
)

// fill sets every exported field of the struct v points to (nested
// structs too) to a distinct non-zero value, from n on.
func fill(v reflect.Value, n *int64) {
	for i := 0; i < v.NumField(); i++ {
		if !v.Type().Field(i).IsExported() {
			continue
		}
		f := v.Field(i)
		*n++
		switch f.Kind() {
		case reflect.Int, reflect.Int64:
			f.SetInt(*n)
		case reflect.String:
			f.SetString("s" + time.Duration(*n).String())
		case reflect.Slice:
			if f.Type().Elem().Kind() == reflect.String {
				f.Set(reflect.ValueOf([]string{"x"}))
			}
		case reflect.Struct:
			fill(f, n)
		}
	}
}

// zeroFields names the exported fields of v (nested structs too) that hold
// their zero value.
func zeroFields(v reflect.Value, prefix string) []string {
	var out []string
	for i := 0; i < v.NumField(); i++ {
		sf := v.Type().Field(i)
		if !sf.IsExported() {
			continue
		}
		if sf.Type.Kind() == reflect.Struct {
			out = append(out, zeroFields(v.Field(i), prefix+sf.Name+".")...)
		} else if v.Field(i).IsZero() {
			out = append(out, prefix+sf.Name)
		}
	}
	return out
}

// Every figure of the sinks' and the pipeline's results reaches the
// report (a field added there must be converted, or left out here on
// purpose), and the report has no field the conversion leaves empty.
func TestReportConversionIsComplete(t *testing.T) {
	var n int64
	var hst sink.HTTPStats
	fill(reflect.ValueOf(&hst).Elem(), &n)
	if z := zeroFields(reflect.ValueOf(*reportHTTP(hst)), ""); len(z) > 0 {
		t.Errorf("report.HTTP fields not converted from sink.HTTPStats: %v", z)
	}
	var st sink.Stats
	fill(reflect.ValueOf(&st).Elem(), &n)
	if z := zeroFields(reflect.ValueOf(reportOutput(st)), ""); len(z) > 0 {
		t.Errorf("report.Output fields not converted from sink.Stats: %v", z)
	}
	var fr pipeline.FileResult
	fill(reflect.ValueOf(&fr).Elem(), &n)
	fr.Unkeyed = 0 // internal to the run (the incremental plan's accounting)
	res := &pipeline.Result{Files: []*pipeline.FileResult{&fr}}
	d := deliveries{perFile: map[string]int64{fr.Path: 1}, refused: map[string]int64{fr.Path: 2}}
	f := reportResult(res, d).Files[0]
	f.Undelivered = new(int64) // report.Build computes it
	if z := zeroFields(reflect.ValueOf(f), ""); len(z) > 0 {
		t.Errorf("report.File fields not converted from pipeline.FileResult and the deliveries: %v", z)
	}
	ig := reportIgnored([]importer.Ignored{{Path: "in/_SUCCESS", Reason: "job success marker"}})
	if len(ig) != 1 || ig[0] != (report.Ignored{Path: "in/_SUCCESS", Reason: "job success marker"}) {
		t.Errorf("ignored %+v", ig)
	}
}

// The run's totals, reasons, first rejections, warnings and why it
// stopped reach the report as they are.
func TestReportResult(t *testing.T) {
	var res pipeline.Result
	res.Read, res.Emitted, res.Rejected, res.Skipped, res.Superseded, res.Deleted = 10, 5, 3, 1, 1, 2
	x := record.Reject{Code: "invalid_integer", Column: "employees", Reason: `"abc" is not an integer`}
	res.CountReject(x)
	x.Reason = `"N/A" is not an integer`
	res.CountReject(x)
	res.FirstRejects = []record.Reject{x}
	res.Warnings = map[string]int64{"w": 1}
	res.Stopped = "interrupted"
	got := reportResult(&res, deliveries{total: 4, refused: map[string]int64{"a": 1, "b": 1}})
	tot := got.Totals
	if tot.Delivered == nil || *tot.Delivered != 4 {
		t.Errorf("delivered %v, want 4", tot.Delivered)
	}
	tot.Delivered = nil
	if tot != (report.Counts{Read: 10, Emitted: 5, Refused: 2, Rejected: 3, SkippedUnchanged: 1, Superseded: 1, Deleted: 2}) {
		t.Errorf("totals %+v", got.Totals)
	}
	if len(got.Reasons) != 1 || got.Reasons[0] != (report.ReasonCount{Code: "invalid_integer", Column: "employees", Count: 2, Example: `"abc" is not an integer`}) {
		t.Errorf("reasons %+v", got.Reasons)
	}
	if len(got.FirstRejects) != 1 || got.Warnings["w"] != 1 || got.Stopped != "interrupted" {
		t.Errorf("%+v", got)
	}
	if reportResult(nil, deliveries{}) != nil {
		t.Error("no result: want nil")
	}
}

// The payload statistics reach the review with every size bucket, the
// fields in transform's order and the types by name.
func TestReportStats(t *testing.T) {
	st := &transform.Stats{Kind: transform.Companies, Messages: 3, Deletes: 1, MaxSize: 400, Fields: map[string]*transform.FieldStats{
		"traits.b": {Name: "traits.b", Source: "b", Filled: 2},
		"groupId":  {Name: "groupId", Source: "id", Filled: 3, Examples: []string{`"c1"`}},
	}}
	st.Sizes[0], st.Sizes[1] = 2, 1
	st.Fields["traits.b"].Types[transform.JSONNumber] = 2
	st.Fields["traits.b"].TypeExamples[transform.JSONNumber] = "12"
	got := reportStats(map[transform.Kind]*transform.Stats{transform.Companies: st})
	if len(got) != 1 || got[0].Kind != "companies" || got[0].Messages != 3 || got[0].Deletes != 1 || got[0].MaxSize != 400 {
		t.Fatalf("%+v", got)
	}
	k := got[0]
	if len(k.Sizes) != len(transform.SizeBuckets) || k.Sizes[1] != (report.SizeBucket{Range: transform.SizeBuckets[1], Count: 1}) {
		t.Errorf("sizes %+v", k.Sizes)
	}
	if len(k.Fields) != 2 || k.Fields[0].Name != "groupId" || k.Fields[1].Types["number"] != 2 || k.Fields[1].TypeExamples["number"] != "12" {
		t.Errorf("fields %+v", k.Fields)
	}
	if !reflect.DeepEqual(report.JSONTypes, transform.JSONTypeNames[:]) {
		t.Errorf("report lists the JSON types %v, transform names %v", report.JSONTypes, transform.JSONTypeNames)
	}
}
