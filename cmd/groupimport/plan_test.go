package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/groupimport/groupimport/internal/fakeapi"
	"github.com/groupimport/groupimport/state/statetest"
)

// With --state, the plan names the first keys created, changed (with the
// traits that changed) and deleted: a few on standard error, more in
// report.json and the review.
func TestPlanNamesKeys(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "crm.state")
	if code, _, stderr := gi(t, "run", "--companies", fixtures+"review/companies-before.csv", "--out", filepath.Join(dir, "sent"), "--state", st); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	out := filepath.Join(dir, "plan")
	code, _, stderr := gi(t, "run", "--dry-run", "--companies", fixtures+"review/companies.csv", "--out", out, "--state", st, "--delete-missing",
		"--mass-delete-percent", "20")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"  plan, new: ACC-0042\n", "  plan, changed: Globex, Umbrella Corporation, Stark Industries\n",
		"  plan, deleted: Wayne Enterprises (missing)\n"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	data, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Plan struct {
			FirstCreated []struct {
				GroupID string `json:"group_id"`
				File    string
				Line    int
			} `json:"first_created"`
			FirstChanged []struct {
				GroupID string   `json:"group_id"`
				Changed []string `json:"changed_traits"`
				Dropped []string `json:"dropped_traits"`
			} `json:"first_changed"`
			FirstDeleted []struct {
				GroupID string `json:"group_id"`
				Missing bool
			} `json:"first_deleted"`
		}
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	p := rep.Plan
	if len(p.FirstCreated) != 1 || p.FirstCreated[0].GroupID != "ACC-0042" || p.FirstCreated[0].Line != 11 {
		t.Errorf("first_created: %+v", p.FirstCreated)
	}
	if len(p.FirstChanged) != 3 || !reflect.DeepEqual(p.FirstChanged[0].Changed, []string{"employees", "plan"}) ||
		!reflect.DeepEqual(p.FirstChanged[1].Dropped, []string{"billing_email"}) {
		t.Errorf("first_changed: %+v", p.FirstChanged)
	}
	if len(p.FirstDeleted) != 1 || !p.FirstDeleted[0].Missing || p.FirstDeleted[0].GroupID != "Wayne Enterprises" {
		t.Errorf("first_deleted: %+v", p.FirstDeleted)
	}
	md, err := os.ReadFile(filepath.Join(out, "review.md"))
	if err != nil || !strings.Contains(string(md), "- `Globex` — `"+fixtures+"review/companies.csv:3`: employees, plan\n") {
		t.Errorf("review.md lacks Globex's changes (%v):\n%s", err, md)
	}
}

// A state filled by delivery to the API (records journalled as they are
// acknowledged) keeps the trait names too: the next plan says which
// traits changed.
func TestPlanTraitsAfterAPIDelivery(t *testing.T) {
	srv := fakeapi.New(fakeapi.Options{Key: testKey})
	defer srv.Close()
	t.Setenv("CIO_API_KEY", testKey)
	dir := t.TempDir()
	st := filepath.Join(dir, "crm.state")
	if code, _, stderr := gi(t, "run", "--companies", fixtures+"review/companies-before.csv", "--endpoint", srv.URL(), "--state", st,
		"--report", filepath.Join(dir, "sent.json"), "--rejects", filepath.Join(dir, "rejects.ndjson")); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	code, _, stderr := gi(t, "run", "--dry-run", "--companies", fixtures+"review/companies.csv", "--state", st, "--out", filepath.Join(dir, "plan"),
		"--report", filepath.Join(dir, "plan.json"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "plan.json"))
	var rep struct {
		Plan struct {
			FirstChanged []struct {
				GroupID string   `json:"group_id"`
				Changed []string `json:"changed_traits"`
				Unknown string   `json:"traits_unknown"`
			} `json:"first_changed"`
		}
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if c := rep.Plan.FirstChanged; len(c) != 3 || c[0].GroupID != "Globex" || !reflect.DeepEqual(c[0].Changed, []string{"employees", "plan"}) {
		t.Errorf("first_changed: %+v", c)
	}
}

// A state file written before per-trait hashes were kept still opens: the
// plan names the changed keys and says their traits are unknown, in
// report.json and the review.
func TestPlanWithAnOlderState(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "crm.state")
	if code, _, stderr := gi(t, "run", "--companies", fixtures+"review/companies-before.csv", "--out", filepath.Join(dir, "sent"), "--state", st); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if err := statetest.ForgetTraitHashes(st); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "plan")
	if code, _, stderr := gi(t, "run", "--dry-run", "--companies", fixtures+"review/companies.csv", "--out", out, "--state", st); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Plan struct {
			FirstChanged []struct {
				GroupID string   `json:"group_id"`
				Changed []string `json:"changed_traits"`
				Unknown string   `json:"traits_unknown"`
			} `json:"first_changed"`
		}
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	c := rep.Plan.FirstChanged
	if len(c) != 3 || c[0].GroupID != "Globex" {
		t.Fatalf("first_changed: %+v", c)
	}
	for _, k := range c {
		if k.Changed != nil || !strings.Contains(k.Unknown, "older version") {
			t.Errorf("%s: changed %v, unknown %q", k.GroupID, k.Changed, k.Unknown)
		}
	}
	md, err := os.ReadFile(filepath.Join(out, "review.md"))
	if err != nil || !strings.Contains(string(md), "`Globex` — `"+fixtures+"review/companies.csv:3`: traits unknown: ") {
		t.Errorf("review.md does not say Globex's traits are unknown (%v):\n%s", err, md)
	}
}
