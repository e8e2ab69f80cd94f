package report

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func n(v int64) *int64 { return &v }

// Delivered is summed per kind only when every file of the kind knows it;
// undelivered is emitted - delivered wherever delivered is known; the
// totals always have both.
func TestBuildDelivered(t *testing.T) {
	res := testResult()
	res.Files[0].Delivered, res.Files[0].Refused = n(5), 2
	res.Files[1].Delivered = nil // a file whose delivery cannot be known
	res.Files[2].Delivered = n(1)
	res.Totals.Delivered, res.Totals.Refused = n(9), 2
	rep := Report{Command: "run"}
	Build(&rep, res, time.Unix(0, 0), time.Unix(1, 0))
	if c := rep.Kinds["companies"]; c.Delivered != nil || c.Undelivered != nil || c.Refused != 2 {
		t.Errorf("companies: delivered %v, undelivered %v, refused %d; want unknown, unknown, 2", c.Delivered, c.Undelivered, c.Refused)
	}
	if c := rep.Kinds["memberships"]; c.DeliveredOr(-1) != 1 || *c.Undelivered != 0 {
		t.Errorf("memberships: %+v", c)
	}
	if f := rep.Files[0]; *f.Undelivered != 1 || rep.Files[1].Undelivered != nil {
		t.Errorf("files: %v %v", f.Undelivered, rep.Files[1].Undelivered)
	}
	if tt := rep.Totals; *tt.Delivered != 9 || *tt.Undelivered != 2 || tt.Refused != 2 {
		t.Errorf("totals: delivered %d, undelivered %d, refused %d", *tt.Delivered, *tt.Undelivered, tt.Refused)
	}
	var early Report
	Build(&early, nil, time.Unix(0, 0), time.Unix(1, 0))
	if early.Totals.Delivered == nil || *early.Totals.Delivered != 0 || *early.Totals.Undelivered != 0 {
		t.Errorf("a run that read nothing: %+v", early.Totals)
	}
}

// The summary line says what was delivered, and "nothing was delivered"
// when a run that had something to deliver delivered nothing; it names the
// files written.
func TestSummaryDelivered(t *testing.T) {
	for _, c := range []struct {
		name      string
		delivered int64
		dry       bool
		code      int
		want, not string
	}{
		{"all", 11, false, 0, "11 emitted, 11 delivered, 4 rejected, 1 unchanged", "nothing"},
		{"none", 0, false, 1, "11 emitted, 0 delivered, 11 undelivered, 4 rejected, 1 unchanged, 1 superseded by a later row of the same key (1 of the emitted are deletes); nothing was delivered\n", ""},
		{"some", 7, false, 1, "11 emitted, 7 delivered, 4 undelivered, 4 rejected", "nothing"},
		{"dry run", 0, true, 0, "groupimport run (dry run): 17 rows read from 3 files in 1.0s: 11 emitted, 4 rejected", "delivered,"},
	} {
		res := testResult()
		res.Totals.Delivered = n(c.delivered)
		rep := Report{Command: "run", DryRun: c.dry, ExitCode: c.code}
		Build(&rep, res, time.Unix(0, 0), time.Unix(1, 0))
		var b bytes.Buffer
		rep.Summary(&b, []Written{{What: "report", Path: "r.json"}, {What: "rejects", Path: "x.ndjson", Note: "4 rows"}})
		s := b.String()
		if !strings.Contains(s, c.want) || (c.not != "" && strings.Contains(s, c.not)) {
			t.Errorf("%s: the summary lacks %q (or has %q):\n%s", c.name, c.want, c.not, s)
		}
		if !strings.HasSuffix(s, "  report: r.json\n  rejects: x.ndjson (4 rows)\n") {
			t.Errorf("%s: the files written:\n%s", c.name, s)
		}
	}
}

// The metrics: rows by kind and outcome with delivered, undelivered and
// refused where known; file errors count files, not errors.
func TestPrometheusOutcomes(t *testing.T) {
	res := testResult()
	res.Files[2].Delivered = n(1)
	res.Totals.Delivered = n(5)
	rep := Report{Command: "run", ExitCode: 1, HTTP: &HTTP{Requests: 4, Retries: Retries{ServerError: 3}}}
	Build(&rep, res, time.Unix(0, 0), time.Unix(2, 0))
	rep.Errors = append(rep.Errors, "another error")
	text := string(rep.Prometheus())
	for _, want := range []string{
		`groupimport_rows{kind="memberships",outcome="delivered"} 1` + "\n",
		`groupimport_rows{kind="memberships",outcome="undelivered"} 0` + "\n",
		`groupimport_run_rows{outcome="delivered"} 5` + "\n", `groupimport_run_rows{outcome="undelivered"} 6` + "\n",
		"groupimport_requests 4\n", `groupimport_retries{cause="5xx"} 3` + "\n",
		"groupimport_last_run_success 0\n", "groupimport_last_run_duration_seconds 2.000\n", "groupimport_file_errors 1\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the metrics lack %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, `kind="companies",outcome="delivered"`) {
		t.Error("companies' delivered is not known (no file says), yet it is in the metrics")
	}
}
