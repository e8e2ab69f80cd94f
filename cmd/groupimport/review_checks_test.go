package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A dry run names review.html in its summary, and its report carries the
// checks: memberships whose object is in neither the companies input nor
// the state; once the state knows those objects (a run that sent them),
// they are no longer counted.
func TestReviewChecksWithState(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "crm.state")
	out := filepath.Join(dir, "review")
	args := []string{"run", "--dry-run", "--companies", fixtures + "review/companies.csv", "--memberships", fixtures + "review/memberships.csv",
		"--out", out, "--timestamp", "2024-06-01T00:00:00Z", "--state", st}
	code, _, stderr := gi(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "  review: "+filepath.Join(out, "review.html")+"\n") {
		t.Errorf("the summary does not name review.html:\n%s", stderr)
	}
	if n := orphans(t, out); n != 4 {
		t.Errorf("before the state knows them: %d orphan memberships, want 4", n)
	}
	// the state learns Hooli, Pied Piper and Initech Inc. from a real run
	others := filepath.Join(dir, "others.csv")
	os.WriteFile(others, []byte("account_id,industry\nHooli,Software\nPied Piper,Software\nInitech Inc.,Software\n"), 0o644)
	if code, _, stderr := gi(t, "run", "--companies", others, "--out", filepath.Join(dir, "sent"), "--state", st); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if code, _, stderr = gi(t, append(args, "--overwrite")...); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if n := orphans(t, out); n != 0 {
		t.Errorf("once the state knows them: %d orphan memberships, want 0", n)
	}
}

func orphans(t *testing.T, out string) int64 {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Review struct {
			Checks struct {
				Orphans *struct {
					Count          int64  `json:"count"`
					CheckedAgainst string `json:"checked_against"`
				} `json:"orphan_memberships"`
			} `json:"checks"`
		} `json:"review"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	o := rep.Review.Checks.Orphans
	if o == nil || o.CheckedAgainst != "companies+state" {
		t.Fatalf("orphan check: %+v", o)
	}
	return o.Count
}
