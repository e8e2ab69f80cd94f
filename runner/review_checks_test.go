package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/groupimport/groupimport/report"
)

// reviewRun runs a dry run into a temporary directory and returns its
// review.md (the directory replaced by OUT) and report.json.
func reviewRun(t *testing.T, o Options) (md []byte, rep *report.Report) {
	t.Helper()
	out := t.TempDir()
	clock := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	o.Command, o.DryRun, o.Out, o.Timestamp = "run", true, out, "2024-06-01T00:00:00Z"
	o.Now, o.Stdout, o.Stderr, o.Quiet = func() time.Time { return clock }, &bytes.Buffer{}, &bytes.Buffer{}, true
	if code := Run(context.Background(), o); code != ExitOK && code != ExitRejected {
		t.Fatalf("exit %d: %s", code, o.Stderr)
	}
	md, err := os.ReadFile(filepath.Join(out, "review.md"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	rep = &report.Report{}
	if err := json.Unmarshal(data, rep); err != nil {
		t.Fatal(err)
	}
	return bytes.ReplaceAll(md, []byte(out), []byte("OUT")), rep
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden := filepath.Join("testdata", name)
	if *update {
		os.WriteFile(golden, got, 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from testdata/%s (go test ./runner -update, then review the diff):\n%s", name, name, got)
	}
}

// The fixture of a user who mapped company names as ids: the review finds
// the memberships whose object is nowhere, the name-like ids, the ids that
// differ only by case or NFC/NFD, the id with a space in front.
func TestReviewChecksGolden(t *testing.T) {
	t.Chdir("..")
	md, rep := reviewRun(t, Options{Companies: []string{"fixtures/review/companies.csv"}, Memberships: []string{"fixtures/review/memberships.csv"}})
	t.Chdir("runner")
	checkGolden(t, "review-checks.md", md)
	c := rep.Review.Checks
	if c == nil || c.Orphans == nil {
		t.Fatalf("no checks in report.json: %+v", rep.Review)
	}
	if c.Orphans.Count != 4 || c.Orphans.Objects != 3 || c.Orphans.First[0].GroupID != "Hooli" || c.Orphans.First[0].Line != 5 {
		t.Errorf("orphans: %+v", c.Orphans)
	}
	if c.CaseVariants == nil || c.CaseVariants.Groups != 3 {
		t.Errorf("case variants: %+v", c.CaseVariants)
	}
	// ids are trimmed when read (issue 14): the padded one is named among
	// the findings as trimmed, and none is left with white space
	if len(c.Spaced) != 0 || !strings.Contains(string(md), `groupId values had surrounding whitespace, trimmed; e.g. " Umbrella Corporation"`) {
		t.Errorf("spaced: %+v", c.Spaced)
	}
	if c.Unreferenced == nil || *c.Unreferenced != 6 {
		t.Errorf("objects without memberships: %v", c.Unreferenced)
	}
	for _, kr := range rep.Review.Kinds {
		if len(kr.Samples) == 0 || kr.Shapes == nil {
			t.Errorf("%s: no samples or shapes", kr.Kind)
		}
	}
}

// The review is the same whatever the workers do: each batch's statistics
// are merged in input order (batches are a fixed number of rows, so the
// sketches are those of the same parts every time).
func TestReviewDeterministic(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("company_id,name,employees,plan,country,created_at\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "c-%05d,Company %d,%d,%s,%s,20%02d-%02d-01\n", i, i%700, i*7%5000, []string{"pro", "starter", "enterprise"}[i%3],
			[]string{"US", "FR", "DE", "US", "BR"}[i*i%5], 10+i%14, 1+i%12)
	}
	in := filepath.Join(dir, "companies.csv")
	os.WriteFile(in, []byte(b.String()), 0o644)
	first := map[int][]byte{}
	for _, c := range []struct{ workers, batch int }{{1, 64}, {2, 64}, {3, 64}, {4, 64}, {1, 7}, {4, 7}, {1, 4096}, {3, 4096}} {
		md, _ := reviewRun(t, Options{Companies: []string{in}, Workers: c.workers, BatchRows: c.batch})
		md = regexpDuration(md)
		if first[c.batch] == nil {
			first[c.batch] = md
			if !bytes.Contains(md, []byte(`"US" ×`)) {
				t.Fatalf("no top values:\n%s", md)
			}
			continue
		}
		if !bytes.Equal(md, first[c.batch]) {
			t.Errorf("workers %d, batches of %d rows: the review differs:\n%s\n--- with one worker:\n%s", c.workers, c.batch, md, first[c.batch])
		}
	}
}

// regexpDuration blanks the line that says how long the run took.
func regexpDuration(md []byte) []byte {
	lines := bytes.Split(md, []byte("\n"))
	for i, l := range lines {
		if bytes.HasPrefix(l, []byte("- started ")) {
			lines[i] = []byte("- started …")
		}
	}
	return bytes.Join(lines, []byte("\n"))
}
