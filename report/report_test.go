package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/groupimport/groupimport/record"
)

func testResult() *Result {
	return &Result{
		Files: []File{
			{Path: "a.csv", Kind: "companies", Format: "csv", Read: 10, Emitted: 6, Rejected: 3, SkippedUnchanged: 1},
			{Path: "b.csv.gz", Kind: "companies", Format: "csv", Compression: "gzip", Read: 5, Emitted: 4, Superseded: 1,
				Error: "b.csv.gz: unexpected EOF"},
			{Path: "m.ndjson", Kind: "memberships", Format: "ndjson", Read: 2, Emitted: 1, Rejected: 1, Deleted: 1},
		},
		Totals: Counts{Read: 17, Emitted: 11, Rejected: 4, SkippedUnchanged: 1, Superseded: 1, Deleted: 1},
		Reasons: []ReasonCount{
			{Code: "field_count", Count: 1, Example: "the row has 12 fields, the header has 15"},
			{Code: "invalid_integer", Column: "employees", Count: 2, Example: `"abc" is not an integer`},
			{Column: "seats", Count: 1, Example: "something without a code"},
		},
		FirstRejects: []record.Reject{{Kind: "companies", Pos: record.Position{File: "a.csv", Line: 3, Row: 2},
			Code: "invalid_integer", Column: "employees", Col: 7, Reason: `"abc" is not an integer`, Raw: []byte("secret,abc")}},
		Warnings: map[string]int64{"rare": 1, "often": 5},
		Stopped:  "interrupted",
	}
}

// Build converts a run's result: kinds summed from the files, skipped as
// unchanged + superseded, reasons most frequent first with a code (other
// when the error named none) and a readable reason, errors of files and
// of the run.
func TestBuild(t *testing.T) {
	var rep Report
	start := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	Build(&rep, testResult(), start, start.Add(2*time.Second))
	if rep.Schema != SchemaID || rep.DurationMS != 2000 || rep.RowsPerSecond != 8.5 {
		t.Errorf("schema %q, %d ms, %v rows/s", rep.Schema, rep.DurationMS, rep.RowsPerSecond)
	}
	if c := rep.Kinds["companies"]; c == nil || *c != (Counts{Read: 15, Emitted: 10, Rejected: 3, Skipped: 2, SkippedUnchanged: 1, Superseded: 1}) {
		t.Errorf("companies %+v", c)
	}
	if rep.Totals.Skipped != 2 || rep.Totals.Read != rep.Totals.Emitted+rep.Totals.Rejected+rep.Totals.Skipped {
		t.Errorf("totals %+v", rep.Totals)
	}
	want := []ReasonCount{
		{Code: "invalid_integer", Column: "employees", Count: 2, Example: `"abc" is not an integer`, Reason: `employees: "abc" is not an integer`},
		{Code: "field_count", Count: 1, Example: "the row has 12 fields, the header has 15", Reason: "the row has 12 fields, the header has 15"},
		{Code: CodeOther, Column: "seats", Count: 1, Example: "something without a code", Reason: "seats: something without a code"},
	}
	if len(rep.RejectReasons) != len(want) {
		t.Fatalf("reasons %+v", rep.RejectReasons)
	}
	for i := range want {
		if rep.RejectReasons[i] != want[i] {
			t.Errorf("reason %d: %+v, want %+v", i, rep.RejectReasons[i], want[i])
		}
	}
	if strings.Join(rep.Errors, "|") != "b.csv.gz: unexpected EOF|interrupted" {
		t.Errorf("errors %q", rep.Errors)
	}
	if len(rep.Warnings) != 2 || rep.Warnings[0].Message != "often" {
		t.Errorf("warnings %+v", rep.Warnings)
	}
	if len(rep.FirstRejections) != 1 || rep.FirstRejections[0] != (Rejection{Kind: "companies", File: "a.csv", Line: 3, Row: 2,
		Code: "invalid_integer", Column: "employees", Col: 7, Reason: `"abc" is not an integer`}) {
		t.Errorf("first rejections %+v", rep.FirstRejections)
	}
}

// A run that read nothing still has every list, empty rather than null.
func TestBuildWithoutResult(t *testing.T) {
	var rep Report
	Build(&rep, nil, time.Unix(0, 0), time.Unix(1, 0))
	var doc map[string]any
	if err := json.Unmarshal(rep.JSON(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"files", "reject_reasons", "first_rejections", "warnings", "errors"} {
		if l, ok := doc[k].([]any); !ok || len(l) != 0 {
			t.Errorf("%s: %v, want []", k, doc[k])
		}
	}
}

// The JSON names of the parts converted from other packages' results (a
// field renamed there must not rename it here; the golden files in
// cmd/groupimport/testdata show whole reports).
func TestJSONNames(t *testing.T) {
	var rep Report
	Build(&rep, testResult(), time.Unix(0, 0), time.Unix(1, 0))
	rep.IgnoredFiles = []Ignored{{Path: "in/_SUCCESS", Reason: "job success marker"}}
	rep.Output = Output{Destination: "out", Files: []string{"out/payloads-00001.ndjson"}, Messages: 11, Bytes: 900}
	rep.HTTP = &HTTP{Endpoint: "https://api", Retries: Retries{TooManyRequests: 1, ServerError: 2, Unexpected: 3}, BackoffWait: time.Second}
	text := string(rep.JSON())
	for _, want := range []string{
		`"files": [`, `"path": "b.csv.gz"`, `"compression": "gzip"`, `"skipped_unchanged": 1`, `"error": "b.csv.gz: unexpected EOF"`,
		`"ignored_files": [`, `"reason": "job success marker"`,
		`"output": {`, `"destination": "out"`, `"messages": 11`, `"bytes": 900`,
		`"http": {`, `"endpoint": "https://api"`, `"429": 1`, `"5xx": 2`, `"unexpected_answer": 3`, `"backoff_wait_ns": 1000000000`,
		`"rate_limit_wait_ns": 0`, `"min_concurrency": 0`, `"bytes_raw": 0`,
		`"reject_reasons": [`, `"code": "invalid_integer"`, `"column": "employees"`, `"count": 2`,
		`"example": "\"abc\" is not an integer"`, `"reason": "employees: \"abc\" is not an integer"`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("report.json lacks %s", want)
		}
	}
	if strings.Contains(text, "secret") {
		t.Error("a rejected row's raw data reached the report")
	}
}

// The summary names each reason's code and column and shows the first
// rejected row's reason in full.
func TestSummaryReasons(t *testing.T) {
	rep := Report{Command: "run"}
	Build(&rep, testResult(), time.Unix(0, 0), time.Unix(1, 0))
	var b bytes.Buffer
	rep.Summary(&b, nil)
	for _, want := range []string{
		`  rejected 2× invalid_integer (column "employees"), e.g. "abc" is not an integer` + "\n",
		"  rejected 1× field_count: the row has 12 fields, the header has 15\n",
		`  rejected 1× other (column "seats"): something without a code` + "\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the summary lacks %q:\n%s", want, b.String())
		}
	}
	md := string(rep.Markdown())
	if !strings.Contains(md, `| 2 | invalid_integer | employees | "abc" is not an integer |`) {
		t.Errorf("review.md's rejections:\n%s", md)
	}
}

// The review is built from the report's own statistics types: fill rates
// against the calls that carry the field, mixed types, dates.
func TestBuildReview(t *testing.T) {
	rep := &Report{Totals: Counts{Superseded: 1}}
	stats := []KindStats{
		{Kind: "memberships", Messages: 1, Fields: []FieldStats{{Name: "groupId", Filled: 1, Types: map[string]int64{"string": 1}}}},
		{Kind: "companies", Messages: 4, Deletes: 1, MaxSize: 300,
			Sizes: []SizeBucket{{"< 256 B", 3}, {"256–511 B", 1}},
			Fields: []FieldStats{
				{Name: "groupId", Source: "id", Filled: 4, Types: map[string]int64{"string": 4}, Examples: []string{`"c1"`}},
				{Name: "userId", Filled: 0},
				{Name: "traits.employees", Source: "employees", Filled: 3,
					Types:        map[string]int64{"number": 2, "string": 1},
					TypeExamples: map[string]string{"number": "12", "string": `"8,200"`}},
				{Name: "traits.createdAt", Source: "created", Filled: 1, Types: map[string]int64{"string": 1},
					MinDate: "1970-01-01T00:00:00.000Z", MaxDate: "1970-01-01T00:00:00.000Z", Before1990: 1, UnixEpochDay: 1},
			}},
	}
	rv := BuildReview(rep, stats)
	if len(rv.Kinds) != 2 || rv.Kinds[0].Kind != "companies" {
		t.Fatalf("kinds %+v", rv.Kinds)
	}
	c := rv.Kinds[0]
	if len(c.Fields) != 3 || c.Fields[0].FillPct != 100 || c.Fields[1].FillPct != 100 || c.Fields[1].Types["number"] != 2 {
		t.Errorf("fields %+v", c.Fields)
	}
	if c.Fields[0].Examples == nil || c.Fields[2].Examples == nil || len(c.Sizes) != 2 || c.MaxSize != 300 {
		t.Errorf("companies %+v", c)
	}
	findings := strings.Join(rv.Findings, "\n")
	for _, want := range []string{
		`companies traits.employees (column "employees") has mixed types: 33.3% string (e.g. "8,200"), 66.7% number (e.g. 12)`,
		"companies traits.createdAt: 1 value(s) fall on 1970-01-01",
		"1 row(s) repeat a key of a later row",
	} {
		if !strings.Contains(findings, want) {
			t.Errorf("findings lack %q:\n%s", want, findings)
		}
	}
	if got := typeList(map[string]int64{"null": 1, "string": 2, "number": 3}); got != "string 2, number 3, null 1" {
		t.Errorf("typeList %q", got)
	}
}
