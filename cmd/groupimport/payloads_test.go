package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// payloadsInputs writes 250 companies (c-5 again as the last row, c-200
// again as the one before: two superseded rows, one of them in the
// sample; one row without an id: rejected) and 150 memberships.
func payloadsInputs(t *testing.T, dir string) (companies, memberships string) {
	t.Helper()
	var c strings.Builder
	c.WriteString("company_id,name,plan\n")
	for i := range 250 {
		c.WriteString(fmt.Sprintf("c-%d,Company %d,pro\n", i, i))
	}
	c.WriteString(",No Id,pro\n")
	c.WriteString("c-200,Company 200 renamed,pro\nc-5,Company 5 renamed,pro\n")
	var m strings.Builder
	m.WriteString("user_id,company_id,role\n")
	for i := range 150 {
		m.WriteString(fmt.Sprintf("u-%d,c-%d,member\n", i, i%250))
	}
	companies, memberships = filepath.Join(dir, "companies.csv"), filepath.Join(dir, "memberships.csv")
	if err := os.WriteFile(companies, []byte(c.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(memberships, []byte(m.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return companies, memberships
}

// payloadLines reads every payload part in dir.
func payloadLines(t *testing.T, dir string) []string {
	t.Helper()
	parts, _ := filepath.Glob(filepath.Join(dir, "payloads-*.ndjson"))
	var lines []string
	for _, p := range parts {
		lines = append(lines, readLines(t, p)...)
	}
	return lines
}

// A dry run with --payloads sample or none writes only the first 100
// payloads of each input kind, or none, and says so in the report
// (messages written + not written = emitted); the counts, the rejects and
// the review's statistics are those of every row, the same as with all.
func TestDryRunPayloads(t *testing.T) {
	dir := t.TempDir()
	companies, memberships := payloadsInputs(t, dir)
	type output struct {
		Files         []string
		Messages      int64
		Payloads      string
		SamplePerKind int   `json:"sample_per_kind"`
		NotWritten    int64 `json:"not_written"`
	}
	var reviews []json.RawMessage
	var totals []any
	for _, c := range []struct {
		mode             string
		companies, total int // payloads on disk
	}{{"all", 250, 400}, {"sample", 99, 199}, {"none", 0, 0}} {
		out := filepath.Join(dir, c.mode)
		code, _, stderr := gi(t, "run", "--dry-run", "--payloads", c.mode, "--companies", companies, "--memberships", memberships,
			"--out", out, "--timestamp", "2024-06-01T00:00:00Z")
		if code != 3 {
			t.Fatalf("--payloads %s: exit %d, want 3 (one rejected row)\n%s", c.mode, code, stderr)
		}
		lines := payloadLines(t, out)
		if len(lines) != c.total || strings.Count(strings.Join(lines, "\n"), `"userId"`) != c.total-c.companies {
			t.Errorf("--payloads %s: %d payloads on disk, want %d (%d companies)", c.mode, len(lines), c.total, c.companies)
		}
		// c-5: its company row superseded by the last row (in the sample,
		// removed; the last row is past the sample), and u-5's membership
		if n := strings.Count(strings.Join(lines, "\n"), `"groupId":"c-5"`); n != map[string]int{"all": 2, "sample": 1, "none": 0}[c.mode] {
			t.Errorf("--payloads %s: %d payloads of c-5: a superseded row is written, or the winner is missing", c.mode, n)
		}
		rep := readReport(t, filepath.Join(out, "report.json"))
		if rep.Totals.Read != 253+150 || rep.Totals.Emitted != 400 || rep.Totals.Rejected != 1 || rep.Totals.Skipped != 2 {
			t.Errorf("--payloads %s: totals %+v", c.mode, rep.Totals)
		}
		var raw struct {
			Output output
			Review json.RawMessage
		}
		data, _ := os.ReadFile(filepath.Join(out, "report.json"))
		if err := json.Unmarshal(data, &raw); err != nil {
			t.Fatal(err)
		}
		o := raw.Output
		if o.Messages != int64(len(lines)) || o.Messages+o.NotWritten != rep.Totals.Emitted || len(o.Files) != min(c.total, 1) {
			t.Errorf("--payloads %s: output %+v: the report must say what is on disk (%d payloads), and what was not written", c.mode, o, len(lines))
		}
		if want := map[string]string{"all": "", "sample": "sample", "none": "none"}[c.mode]; o.Payloads != want || (c.mode == "sample") != (o.SamplePerKind == 100) {
			t.Errorf("--payloads %s: output says payloads %q, sample_per_kind %d", c.mode, o.Payloads, o.SamplePerKind)
		}
		if rejects := readLines(t, filepath.Join(out, "rejects.ndjson")); len(rejects) != 1 {
			t.Errorf("--payloads %s: %d rejects, want 1", c.mode, len(rejects))
		}
		for _, f := range []string{"review.md", "review.html"} {
			if _, err := os.Stat(filepath.Join(out, f)); err != nil {
				t.Errorf("--payloads %s: %v", c.mode, err)
			}
		}
		if c.mode == "sample" && !strings.Contains(stderr, "--payloads sample: 199 of 400 payloads written") {
			t.Errorf("--payloads sample: the summary does not say how many payloads were written:\n%s", stderr)
		}
		if c.mode == "none" && !strings.Contains(stderr, "(no part file; --payloads none: 0 of 400 payloads written)") {
			t.Errorf("--payloads none: the summary does not say that no payload was written:\n%s", stderr)
		}
		reviews, totals = append(reviews, raw.Review), append(totals, rep.Totals)
	}
	for i := 1; i < len(reviews); i++ {
		if string(reviews[i]) != string(reviews[0]) || !reflect.DeepEqual(totals[i], totals[0]) {
			t.Errorf("the review or the totals differ between --payloads all and sample/none: the statistics must cover every row")
		}
	}
}

// On standard output a dry run writes a sample too: the first 100 of each
// kind of the rows that are not superseded (a first pass finds those, so
// the sample of companies is 100 here, not 99).
func TestDryRunPayloadsStdout(t *testing.T) {
	dir := t.TempDir()
	companies, memberships := payloadsInputs(t, dir)
	for mode, want := range map[string]int{"sample": 200, "none": 0} {
		code, stdout, stderr := gi(t, "run", "--dry-run", "--payloads", mode, "--companies", companies, "--memberships", memberships,
			"--out", "-", "--report", filepath.Join(dir, mode+".json"))
		if code != 3 {
			t.Fatalf("--payloads %s: exit %d\n%s", mode, code, stderr)
		}
		if n := strings.Count(stdout, "\n"); n != want {
			t.Errorf("--payloads %s --out -: %d payloads on standard output, want %d", mode, n, want)
		}
	}
}

// --payloads sample|none is refused where it means nothing: a run that
// delivers (files or the API), validate, a dry run without --out.
func TestPayloadsRefused(t *testing.T) {
	dir := t.TempDir()
	companies, _ := payloadsInputs(t, dir)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "--payloads", "none", "--out", filepath.Join(dir, "a")}, "--payloads none needs --dry-run"},
		{[]string{"run", "--payloads", "sample", "--endpoint", "http://127.0.0.1:1/v1"}, "--payloads sample needs --dry-run"},
		{[]string{"run", "--dry-run", "--payloads", "none", "--region", "eu"}, "--payloads none needs --out DIR"},
		{[]string{"run", "--dry-run", "--payloads", "some", "--out", filepath.Join(dir, "b")}, `--payloads must be all, sample or none, not "some"`},
		{[]string{"validate", "--payloads", "none"}, "flag provided but not defined: -payloads"},
	} {
		code, _, stderr := gi(t, append(c.args, "--companies", companies)...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%q: exit %d, want 2 saying %q:\n%s", c.args, code, c.want, stderr)
		}
	}
	for _, d := range []string{"a", "b"} {
		if _, err := os.Stat(filepath.Join(dir, d)); err == nil {
			t.Errorf("a refused run created %s", d)
		}
	}
	// --payloads all is the default: accepted anywhere run writes
	if code, _, stderr := gi(t, "run", "--payloads", "all", "--companies", companies, "--out", filepath.Join(dir, "c")); code != 3 {
		t.Errorf("--payloads all: exit %d\n%s", code, stderr)
	}
}
