package main

// Tests of issue 13: unattended runs an operator can trust. Failures are
// loud (--quiet included, JSON logs included), the counts are true
// (delivered is what the destination acknowledged), the files a run writes
// are where it says and never in the working directory unasked.

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/groupimport/groupimport/internal/fakeapi"
	"github.com/groupimport/groupimport/runner"
)

// deadEndpoint is a loopback URL nothing listens on.
func deadEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/v1/batch"
}

func deref(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}

// A 401 with --quiet: the error reaches stderr (before: nothing at all,
// so cron mailed nothing), with the exit code and "nothing was
// delivered"; the report says delivered 0, which is what the API stored.
func TestQuietFailurePrintsTheError(t *testing.T) {
	srv := fakeapi.New(fakeapi.Options{Key: testKey})
	defer srv.Close()
	t.Setenv("CIO_API_KEY", "sk_wrong_0000")
	dir := t.TempDir()
	in := companiesCSV(t, dir, 200, func(int) string { return "pro" })
	reportPath := filepath.Join(dir, "r.json")
	code, stdout, stderr := gi(t, "run", "--companies", in, "--endpoint", srv.URL(), "--quiet", "--report", reportPath)
	if code != runner.ExitFailure {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	for _, want := range []string{"credentials", "failed (exit 1)", "0 of 200 emitted rows delivered; nothing was delivered", "report: " + reportPath} {
		if !strings.Contains(stderr, want) {
			t.Errorf("--quiet stderr lacks %q:\n%s", want, stderr)
		}
	}
	if stdout != "" {
		t.Errorf("stdout: %q", stdout)
	}
	r := sameExitCode(t, reportPath, code)
	if deref(r.Totals.Delivered) != 0 || len(srv.Messages()) != 0 || deref(r.Totals.Undelivered) != r.Totals.Emitted {
		t.Errorf("delivered %d, undelivered %d of %d emitted; the API stored %d", deref(r.Totals.Delivered), deref(r.Totals.Undelivered),
			r.Totals.Emitted, len(srv.Messages()))
	}
}

// jsonLines parses every line of stderr as a JSON object with time, level
// and msg, failing the test on a line that is not one.
func jsonLines(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(stderr))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Errorf("a line of stderr is not JSON: %q", sc.Text())
			continue
		}
		if m["time"] == nil || m["level"] == nil || m["msg"] == nil {
			t.Errorf("a JSON line without time, level or msg: %q", sc.Text())
		}
		out = append(out, m)
	}
	return out
}

// record finds the first record with msg (and level, unless "").
func record(recs []map[string]any, level, msg string) map[string]any {
	for _, r := range recs {
		if r["msg"] == msg && (level == "" || r["level"] == level) {
			return r
		}
	}
	return nil
}

// --log-format json: every line on stderr is JSON — the mapping notes, the
// warning about --state, the first-run notice, the plan, the summary, and
// a failed run's error at level ERROR with its exit code (before: plain
// text plans and summaries, and a failure logged at INFO without its
// error).
func TestJSONLogsEveryLine(t *testing.T) {
	srv := fakeapi.New(fakeapi.Options{Key: testKey})
	defer srv.Close()
	dir := t.TempDir()
	in := companiesCSV(t, dir, 30, func(int) string { return "pro" })

	t.Run("a failed run", func(t *testing.T) {
		t.Setenv("CIO_API_KEY", "sk_wrong_0000")
		code, _, stderr := gi(t, "run", "--companies", in, "--endpoint", srv.URL(), "--log-format", "json",
			"--report", filepath.Join(dir, "failed.json"))
		if code != 1 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		recs := jsonLines(t, stderr)
		fin := record(recs, "ERROR", "finished")
		if fin == nil || fin["exit_code"] != float64(1) || !strings.Contains(fmtAny(fin["error"]), "credentials") ||
			fin["delivered"] != float64(0) || fin["note"] != "nothing was delivered" || fin["report"] != filepath.Join(dir, "failed.json") {
			t.Errorf("no ERROR record with the error, exit code, counts and report: %v\n%s", fin, stderr)
		}
		if w := record(recs, "WARN", "delivering to the API without --state: nothing remembers what was delivered, so every run "+
			"sends every row again; add --state FILE (e.g. --state /var/lib/groupimport/crm.state) to send only what changed"); w == nil {
			t.Errorf("no warning about --state:\n%s", stderr)
		}
		if record(recs, "INFO", "mapped by column names") == nil {
			t.Errorf("no mapping record:\n%s", stderr)
		}
	})
	t.Run("a good first run with a state", func(t *testing.T) {
		t.Setenv("CIO_API_KEY", testKey)
		st := filepath.Join(dir, "new.state")
		code, _, stderr := gi(t, "run", "--companies", in, "--endpoint", srv.URL(), "--log-format", "json", "--state", st,
			"--report", filepath.Join(dir, "ok.json"))
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		recs := jsonLines(t, stderr)
		var first map[string]any
		for _, r := range recs {
			if r["first_run"] == true && r["state"] == st && r["level"] == "WARN" {
				first = r
			}
		}
		if first == nil {
			t.Errorf("no first-run notice naming the state:\n%s", stderr)
		}
		if p := record(recs, "INFO", "plan"); p == nil || p["plan"].(map[string]any)["creates"] != float64(30) {
			t.Errorf("no plan record with 30 creates:\n%s", stderr)
		}
		fin := record(recs, "INFO", "finished")
		if fin == nil || fin["delivered"] != float64(30) || fin["exit_code"] != float64(0) || fin["state"] != st {
			t.Errorf("finished: %v\n%s", fin, stderr)
		}
		if strings.Contains(stderr, "without --state") {
			t.Errorf("warned about --state when it was given")
		}
	})
	t.Run("a usage error", func(t *testing.T) {
		code, _, stderr := gi(t, "run", "--companies", in, "--out", filepath.Join(dir, "u"), "--log-format", "json", "--frobnicate")
		if code != 2 {
			t.Fatalf("exit %d", code)
		}
		if r := record(jsonLines(t, stderr), "ERROR", "usage error"); r == nil || !strings.Contains(fmtAny(r["error"]), "frobnicate") {
			t.Errorf("no ERROR record of the usage error:\n%s", stderr)
		}
	})
}

func fmtAny(v any) string {
	s, _ := v.(string)
	return s
}

// Text log lines carry an RFC 3339 UTC time, and the delivery's progress
// is separate fields (before: one quoted string, and no time).
func TestTextLogLines(t *testing.T) {
	srv := fakeapi.New(fakeapi.Options{Key: testKey, Latency: 2e6})
	defer srv.Close()
	t.Setenv("CIO_API_KEY", testKey)
	dir := t.TempDir()
	in := companiesCSV(t, dir, 2000, func(int) string { return "pro" })
	code, _, stderr := gi(t, "run", "--companies", in, "--endpoint", srv.URL(), "--progress", "log", "--batch-messages", "10",
		"--concurrency", "1", "--report", filepath.Join(dir, "r.json"), "--state", filepath.Join(dir, "s"), "--progress-interval", "20ms")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var progress string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, "msg=progress") {
			progress = l
		}
	}
	if !strings.HasPrefix(progress, "time=20") || !strings.Contains(progress, "Z level=INFO msg=progress") {
		t.Errorf("a progress line without an RFC 3339 UTC time:\n%s", stderr)
	}
	for _, f := range []string{" delivered=", " requests=", " retries=", " refused="} {
		if !strings.Contains(progress, f) {
			t.Errorf("the progress line lacks the field %q: %s", f, progress)
		}
	}
}

// totals.delivered is what the API acknowledged, which is what it stored:
// all of it, part of it when it fails half-way, nothing when it cannot be
// reached (before: emitted 1,000 with nothing delivered, and no field
// that said so). Per kind and per file too, and for files.
func TestDeliveredIsWhatTheDestinationHolds(t *testing.T) {
	t.Setenv("CIO_API_KEY", testKey)
	dir := t.TempDir()
	in := companiesCSV(t, dir, 500, func(int) string { return "pro" })
	run := func(t *testing.T, endpoint string, extra ...string) (int, string, reportFile) {
		t.Helper()
		reportPath := filepath.Join(t.TempDir(), "r.json")
		args := append([]string{"run", "--companies", in, "--endpoint", endpoint, "--report", reportPath, "--batch-messages", "50",
			"--concurrency", "1", "--max-attempts", "2", "--retry-base", "1ms"}, extra...)
		code, _, stderr := gi(t, args...)
		return code, stderr, sameExitCode(t, reportPath, code)
	}
	t.Run("all", func(t *testing.T) {
		srv := fakeapi.New(fakeapi.Options{Key: testKey})
		defer srv.Close()
		code, stderr, r := run(t, srv.URL())
		if code != 0 || deref(r.Totals.Delivered) != 500 || len(srv.Messages()) != 500 || deref(r.Totals.Undelivered) != 0 {
			t.Fatalf("exit %d, delivered %d, stored %d\n%s", code, deref(r.Totals.Delivered), len(srv.Messages()), stderr)
		}
		if deref(r.Kinds["companies"].Delivered) != 500 || deref(r.Files[0].Delivered) != 500 {
			t.Errorf("per kind %d, per file %d", deref(r.Kinds["companies"].Delivered), deref(r.Files[0].Delivered))
		}
		if !strings.Contains(stderr, "500 emitted, 500 delivered, 0 rejected") || strings.Contains(stderr, "nothing was delivered") {
			t.Errorf("summary:\n%s", stderr)
		}
	})
	t.Run("half-way", func(t *testing.T) {
		srv := fakeapi.New(fakeapi.Options{Key: testKey, FaultFunc: func(n int) fakeapi.Fault {
			if n > 4 {
				return fakeapi.Fault{Kind: fakeapi.ServerError}
			}
			return fakeapi.Fault{}
		}})
		defer srv.Close()
		code, stderr, r := run(t, srv.URL())
		stored := int64(len(srv.Messages()))
		if code != 1 || stored == 0 || stored == 500 || deref(r.Totals.Delivered) != stored ||
			deref(r.Totals.Undelivered) != r.Totals.Emitted-stored || deref(r.Files[0].Delivered) != stored {
			t.Fatalf("exit %d: delivered %d, undelivered %d of %d emitted; the API stored %d\n%s", code, deref(r.Totals.Delivered),
				deref(r.Totals.Undelivered), r.Totals.Emitted, stored, stderr)
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		code, stderr, r := run(t, deadEndpoint(t))
		if code != 1 || deref(r.Totals.Delivered) != 0 || r.Totals.Emitted == 0 || deref(r.Totals.Undelivered) != r.Totals.Emitted {
			t.Fatalf("exit %d: totals %+v\n%s", code, r.Totals, stderr)
		}
		if !strings.Contains(stderr, " emitted, 0 delivered, ") || !strings.Contains(stderr, "; nothing was delivered\n") {
			t.Errorf("the summary does not say nothing was delivered:\n%s", stderr)
		}
	})
	t.Run("files", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		code, _, _ := gi(t, "run", "--companies", fixtures+"companies.csv", "--memberships", fixtures+"memberships.csv", "--out", out)
		r := sameExitCode(t, filepath.Join(out, "report.json"), code)
		if deref(r.Totals.Delivered) != r.Totals.Emitted || deref(r.Kinds["memberships"].Delivered) != r.Kinds["memberships"].Emitted {
			t.Errorf("files: delivered %d of %d emitted", deref(r.Totals.Delivered), r.Totals.Emitted)
		}
		if n := int64(len(readLines(t, filepath.Join(out, "payloads-00001.ndjson")))); n != deref(r.Totals.Delivered) {
			t.Errorf("%d payloads in the part, delivered %d", n, deref(r.Totals.Delivered))
		}
	})
}

// metrics reads a Prometheus text file into "name{labels}" → value.
func metrics(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, l := range strings.Split(string(data), "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		m[l[:i]] = l[i+1:]
	}
	return m
}

// The metrics file after a good run and after a failed one, into a folder
// that does not exist yet: success 1 / 0, rows by outcome with delivered,
// undelivered and refused, requests, retries, duration; file errors count
// files.
func TestMetricsFileAfterSuccessAndFailure(t *testing.T) {
	srv := fakeapi.New(fakeapi.Options{Key: testKey, Script: []fakeapi.Fault{{Kind: fakeapi.ServerError}}})
	defer srv.Close()
	t.Setenv("CIO_API_KEY", testKey)
	dir := t.TempDir()
	in := companiesCSV(t, dir, 120, func(int) string { return "pro" })
	prom := filepath.Join(dir, "node_exporter", "textfile", "groupimport.prom")
	code, _, stderr := gi(t, "run", "--companies", in, "--endpoint", srv.URL(), "--metrics-file", prom, "--retry-base", "1ms",
		"--report", filepath.Join(dir, "ok.json"))
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	m := metrics(t, prom)
	for k, want := range map[string]string{
		"groupimport_last_run_success": "1", "groupimport_last_run_exit_code": "0",
		`groupimport_rows{kind="companies",outcome="delivered"}`: "120", `groupimport_rows{kind="companies",outcome="undelivered"}`: "0",
		`groupimport_rows{kind="companies",outcome="refused"}`: "0", `groupimport_run_rows{outcome="delivered"}`: "120",
		"groupimport_requests": "2", `groupimport_retries{cause="5xx"}`: "1", "groupimport_file_errors": "0",
	} {
		if m[k] != want {
			t.Errorf("after success: %s = %q, want %q", k, m[k], want)
		}
	}
	if m["groupimport_last_run_duration_seconds"] == "" {
		t.Error("no duration")
	}
	if !strings.Contains(stderr, "  metrics: "+prom+"\n") {
		t.Errorf("the summary does not name the metrics file:\n%s", stderr)
	}

	// a failed run: unreachable, and a truncated file among the inputs
	cut := filepath.Join(dir, "cut.csv.gz")
	gz, _ := os.ReadFile(fixtures + "compressed/companies.csv.gz")
	os.WriteFile(cut, gz[:len(gz)-20], 0o644)
	code, _, stderr = gi(t, "run", "--companies", in, "--companies", cut, "--endpoint", deadEndpoint(t), "--metrics-file", prom,
		"--retry-base", "1ms", "--max-attempts", "2", "--report", filepath.Join(dir, "failed.json"))
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	m = metrics(t, prom)
	for k, want := range map[string]string{
		"groupimport_last_run_success": "0", "groupimport_last_run_exit_code": "1",
		`groupimport_run_rows{outcome="delivered"}`: "0", "groupimport_file_errors": "1",
	} {
		if m[k] != want {
			t.Errorf("after failure: %s = %q, want %q", k, m[k], want)
		}
	}
	if m[`groupimport_run_rows{outcome="undelivered"}`] == "0" || m[`groupimport_retries{cause="connection"}`] == "0" {
		t.Errorf("after failure: undelivered %s, connection retries %s", m[`groupimport_run_rows{outcome="undelivered"}`],
			m[`groupimport_retries{cause="connection"}`])
	}
}

// --review on a real delivery writes the review beside the report and the
// summary names it.
func TestReviewOnARealDelivery(t *testing.T) {
	srv := fakeapi.New(fakeapi.Options{Key: testKey})
	defer srv.Close()
	t.Setenv("CIO_API_KEY", testKey)
	dir := t.TempDir()
	in := companiesCSV(t, dir, 40, func(int) string { return "pro" })
	reportPath := filepath.Join(dir, "nightly", "report.json")
	code, _, stderr := gi(t, "run", "--companies", in, "--endpoint", srv.URL(), "--review", "--report", reportPath)
	if code != 0 || len(srv.Messages()) != 40 {
		t.Fatalf("exit %d, %d delivered\n%s", code, len(srv.Messages()), stderr)
	}
	for _, f := range []string{"review.md", "review.html"} {
		data, err := os.ReadFile(filepath.Join(dir, "nightly", f))
		if err != nil || !strings.Contains(string(data), "companies") {
			t.Errorf("%s: %v", f, err)
		}
	}
	if !strings.Contains(stderr, "  review: "+filepath.Join(dir, "nightly", "review.html")+"\n") {
		t.Errorf("the summary does not name review.html:\n%s", stderr)
	}
}

// --report, --rejects and --metrics-file into folders that do not exist
// are made (before: everything delivered, then exit 1 and no report); the
// rejects go beside --report, not into the working directory.
func TestReportIntoANewFolder(t *testing.T) {
	srv := fakeapi.New(fakeapi.Options{Key: testKey})
	defer srv.Close()
	t.Setenv("CIO_API_KEY", testKey)
	dir := t.TempDir()
	wd := t.TempDir()
	in, _ := filepath.Abs(fixtures + "companies.csv")
	t.Chdir(wd)
	reportPath := filepath.Join(dir, "run1", "last-report.json")
	code, _, stderr := gi(t, "run", "--companies", in, "--endpoint", srv.URL(), "--report", reportPath,
		"--metrics-file", filepath.Join(dir, "metrics", "g.prom"))
	if code != 3 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	r := sameExitCode(t, reportPath, code)
	rejects := filepath.Join(dir, "run1", "last-rejects.ndjson")
	if n := len(readLines(t, rejects)); int64(n) != r.Totals.Rejected {
		t.Errorf("%d rejects beside the report, %d rejected", n, r.Totals.Rejected)
	}
	if entries, _ := os.ReadDir(wd); len(entries) != 0 {
		t.Errorf("the run wrote into the working directory: %v", entries)
	}
	for _, want := range []string{"  report: " + reportPath + "\n", "  rejects: " + rejects + " (3 rows)\n", "  metrics: " + filepath.Join(dir, "metrics", "g.prom")} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the summary lacks %q:\n%s", want, stderr)
		}
	}
	other := filepath.Join(dir, "x", "y", "bad-rows.ndjson")
	code, _, _ = gi(t, "run", "--companies", in, "--out", filepath.Join(dir, "out"), "--rejects", other, "-q")
	if code != 3 || len(readLines(t, other)) != 3 {
		t.Errorf("--rejects into a new folder: exit %d", code)
	}
}

// Each line of the rejects file carries the row error's code, as the
// report's reject_reasons do.
func TestRejectsCarryTheCode(t *testing.T) {
	out := t.TempDir()
	gi(t, "run", "--companies", fixtures+"companies.csv", "--out", out, "-q")
	codes := map[string]bool{}
	for _, l := range readLines(t, filepath.Join(out, "rejects.ndjson")) {
		var x struct{ Code string }
		if err := json.Unmarshal([]byte(l), &x); err != nil || x.Code == "" {
			t.Errorf("a reject without its code: %s", l)
		}
		codes[x.Code] = true
	}
	for _, c := range []string{"field_count", "invalid_timestamp", "missing_group_id"} {
		if !codes[c] {
			t.Errorf("no reject with code %s: %v", c, codes)
		}
	}
}

// Without --out DIR or --report, the report and rejects go into the user's
// state directory, named in the summary; a state directory that cannot be
// written does not fail a good run: a warning says so.
func TestReportInTheStateDirectory(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", home)
	code, stdout, stderr := gi(t, "run", "--dry-run", "--region", "eu", "--companies", fixtures+"companies_semicolon.csv")
	want := filepath.Join(home, ".local", "state", "groupimport", "report.json")
	if code != 0 || !strings.Contains(stdout, `"groupId":"fr-001"`) || !strings.Contains(stderr, "  report: "+want+"\n") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	sameExitCode(t, want, code)
	for _, f := range []string{"review.html", "review.md", "rejects.ndjson"} {
		if _, err := os.Stat(filepath.Join(home, ".local", "state", "groupimport", f)); err != nil {
			t.Errorf("the dry run's %s: %v", f, err)
		}
	}
	// a state directory that cannot be made: a file where it should be
	t.Setenv("XDG_STATE_HOME", filepath.Join(home, "file"))
	os.WriteFile(filepath.Join(home, "file"), nil, 0o644)
	code, _, stderr = gi(t, "run", "--companies", fixtures+"companies_semicolon.csv", "--out", "-")
	if code != 0 || !strings.Contains(stderr, "the report was not written to the default place") ||
		!strings.Contains(stderr, "give --report FILE or --out DIR") {
		t.Errorf("an unwritable state directory: exit %d\n%s", code, stderr)
	}
	// nowhere to put it at all
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "")
	code, _, stderr = gi(t, "run", "--companies", fixtures+"companies_semicolon.csv", "--out", "-")
	if code != 0 || !strings.Contains(stderr, "neither XDG_STATE_HOME nor HOME is set") {
		t.Errorf("no state directory: exit %d\n%s", code, stderr)
	}
}

// planOf reads the plan of a report.
func planOf(t *testing.T, path string) map[string]any {
	t.Helper()
	var r struct{ Plan map[string]any }
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(data, &r)
	return r.Plan
}

// Rows the API refused are tried again every night (a refusal is never
// remembered as delivered); the plan says which of the rows it sends are
// retries of earlier refusals, and which of those are unchanged since.
func TestPlanLabelsRetriesOfEarlierRefusals(t *testing.T) {
	srv := fakeapi.New(fakeapi.Options{Key: testKey, Validate: func(msg json.RawMessage) error {
		if strings.Contains(string(msg), `"plan":"forbidden"`) {
			return errors.New("traits.plan: value not allowed")
		}
		return nil
	}})
	defer srv.Close()
	t.Setenv("CIO_API_KEY", testKey)
	dir := t.TempDir()
	forbidden := map[int]bool{3: true, 7: true}
	nights := 0
	night := func() (int, string, map[string]any) {
		nights++
		in := companiesCSV(t, dir, 20, func(i int) string {
			switch {
			case forbidden[i]:
				return "forbidden"
			case i == 0:
				return fmt.Sprint("pro-", nights) // a change the API accepts, every night
			}
			return "pro"
		})
		reportPath := filepath.Join(dir, "report.json")
		code, _, stderr := gi(t, "run", "--companies", in, "--endpoint", srv.URL(), "--state", filepath.Join(dir, "s.state"),
			"--report", reportPath, "--retry-base", "1ms")
		sameExitCode(t, reportPath, code)
		return code, stderr, planOf(t, reportPath)
	}
	if code, stderr, _ := night(); code != 3 {
		t.Fatalf("first night: exit %d\n%s", code, stderr)
	}
	code, stderr, plan := night()
	if code != 3 || plan["creates"] != float64(2) || plan["updates"] != float64(1) || plan["retries_of_earlier_refusals"] != float64(2) ||
		plan["retries_of_earlier_refusals_unchanged"] != float64(2) ||
		!strings.Contains(stderr, "  2 of the new and changed are a retry of earlier refusals (the API refused these keys before; "+
			"2 unchanged since: expect the same refusal)") {
		t.Fatalf("second night: exit %d, plan %v\n%s", code, plan, stderr)
	}
	delete(forbidden, 7) // fixed
	code, stderr, plan = night()
	if code != 3 || plan["retries_of_earlier_refusals"] != float64(2) || plan["retries_of_earlier_refusals_unchanged"] != float64(1) {
		t.Fatalf("third night: exit %d, plan %v\n%s", code, plan, stderr)
	}
	code, stderr, plan = night()
	if code != 3 || plan["creates"] != float64(1) || plan["retries_of_earlier_refusals"] != float64(1) {
		t.Fatalf("fourth night (c7 delivered, c3 still refused): exit %d, plan %v\n%s", code, plan, stderr)
	}
}

// A night on which most rows change because the mapping did says so.
func TestPlanNamesAChangedMapping(t *testing.T) {
	dir := t.TempDir()
	in := companiesCSV(t, dir, 20, func(int) string { return "pro" })
	mapping := filepath.Join(dir, "m.yaml")
	night := func(m string) (string, map[string]any) {
		os.WriteFile(mapping, []byte(m), 0o644)
		out := filepath.Join(dir, "out")
		code, _, stderr := gi(t, "run", "--companies", in, "--mapping", mapping, "--out", out, "--overwrite", "--state",
			filepath.Join(dir, "s.state"))
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		return stderr, planOf(t, filepath.Join(out, "report.json"))
	}
	a := "companies:\n  groupId: company_id\n  traits:\n    name: name\n    plan: plan\n"
	b := "companies:\n  groupId: company_id\n  traits:\n    company_name: name\n    plan: plan\n"
	night(a)
	if stderr, plan := night(a); plan["mapping_changed"] != nil || strings.Contains(stderr, "mapping changed") {
		t.Errorf("the same mapping: %v\n%s", plan, stderr)
	}
	stderr, plan := night(b)
	if plan["mapping_changed"] != true || !strings.Contains(stderr, "the mapping changed since the last run: 20 of 20 rows changed") {
		t.Errorf("a changed mapping: plan %v\n%s", plan, stderr)
	}
	if stderr, plan := night(b); plan["mapping_changed"] != nil {
		t.Errorf("the mapping of the last run again: %v\n%s", plan, stderr)
	}
}

// Every run that gets past its flags writes a report, runs that end early
// too: a refused mass delete, no readable input.
func TestEarlyEndsWriteTheReport(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "s.state")
	in := companiesCSV(t, dir, 20, func(int) string { return "pro" })
	if code, _, stderr := gi(t, "run", "--companies", in, "--out", filepath.Join(dir, "first"), "--state", st); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, stderr)
	}
	os.WriteFile(in, []byte("company_id,name,plan,employees\nc00000,Company 0,pro,0\n"), 0o644)
	reportPath := filepath.Join(dir, "r", "mass.json")
	code, _, stderr := gi(t, "run", "--companies", in, "--out", filepath.Join(dir, "second"), "--state", st, "--delete-missing",
		"--report", reportPath)
	r := sameExitCode(t, reportPath, code)
	if code != 1 || !strings.Contains(strings.Join(r.Errors, " "), "refused, nothing was sent") || !strings.Contains(stderr, "  report: "+reportPath) {
		t.Errorf("a refused mass delete: exit %d, errors %q\n%s", code, r.Errors, stderr)
	}
	unreadable := filepath.Join(dir, "binary.csv")
	os.WriteFile(unreadable, []byte{0x89, 'P', 'N', 'G', 0, 0, 0, 0}, 0o644)
	reportPath = filepath.Join(dir, "r", "unreadable.json")
	code, _, stderr = gi(t, "run", "--companies", unreadable, "--out", filepath.Join(dir, "third"), "--report", reportPath)
	r = sameExitCode(t, reportPath, code)
	if code != 1 || len(r.Errors) == 0 {
		t.Errorf("no readable input: exit %d, errors %q\n%s", code, r.Errors, stderr)
	}
}
