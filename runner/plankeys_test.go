package runner

import (
	"bytes"
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/groupimport/groupimport/report"
	"github.com/groupimport/groupimport/state/statetest"
)

// The plan of a dry run against the state of last week's export names the
// first keys created, changed (with the traits that changed) and deleted,
// in the review and report.json.
func TestReviewPlanGolden(t *testing.T) {
	t.Chdir("..")
	st := filepath.Join(t.TempDir(), "crm.state")
	var stderr bytes.Buffer
	before := Options{Command: "run", Companies: []string{"fixtures/review/companies-before.csv"}, Out: t.TempDir(), StateFile: st,
		Timestamp: "2024-05-25T00:00:00Z", Now: func() time.Time { return time.Date(2024, 5, 25, 12, 0, 0, 0, time.UTC) },
		Stdout: &bytes.Buffer{}, Stderr: &stderr, Quiet: true}
	if code := Run(context.Background(), before); code != ExitOK {
		t.Fatalf("last week's run: exit %d: %s", code, stderr.String())
	}
	md, rep := reviewRun(t, Options{Companies: []string{"fixtures/review/companies.csv"}, Memberships: []string{"fixtures/review/memberships.csv"},
		StateFile: st, DeleteMissing: true, MassDeletePercent: 20})
	t.Chdir("runner")
	checkGolden(t, "review-plan.md", md)
	p := rep.Plan
	if p == nil {
		t.Fatal("no plan in report.json")
	}
	ids := func(keys []report.PlanKey) (out []string) {
		for _, k := range keys {
			out = append(out, k.ID())
		}
		return out
	}
	if got := ids(p.FirstChanged); !reflect.DeepEqual(got, []string{"Globex", "Umbrella Corporation", "Stark Industries"}) {
		t.Errorf("changed: %v", got)
	}
	for i, want := range []struct{ changed, dropped []string }{
		{[]string{"employees", "plan"}, nil}, {nil, []string{"billing_email"}}, {[]string{"billing_email"}, nil},
	} {
		k := p.FirstChanged[i]
		if !reflect.DeepEqual(k.ChangedTraits, want.changed) || !reflect.DeepEqual(k.DroppedTraits, want.dropped) || k.TraitsUnknown != "" {
			t.Errorf("%s: changed %v, dropped %v (%s); want %v, %v", k.ID(), k.ChangedTraits, k.DroppedTraits, k.TraitsUnknown, want.changed, want.dropped)
		}
	}
	if k := p.FirstChanged[0]; k.File != "fixtures/review/companies.csv" || k.Line != 3 {
		t.Errorf("Globex is at %s", k.Where())
	}
	if len(p.FirstCreated) != 10 || p.FirstCreated[0].GroupID != "ACC-0042" || p.FirstCreated[1].UserID != "u-1001" {
		t.Errorf("created: %d, %v", len(p.FirstCreated), ids(p.FirstCreated[:2]))
	}
	if len(p.FirstDeleted) != 1 || !p.FirstDeleted[0].Missing || p.FirstDeleted[0].GroupID != "Wayne Enterprises" {
		t.Errorf("deleted: %+v", p.FirstDeleted)
	}
}

// A state written before trait hashes were kept opens, and says why the
// traits of a changed key cannot be told.
func TestPlanTraitsOfAnOlderState(t *testing.T) {
	t.Chdir("..")
	st := filepath.Join(t.TempDir(), "crm.state")
	var stderr bytes.Buffer
	before := Options{Command: "run", Companies: []string{"fixtures/review/companies-before.csv"}, Out: t.TempDir(), StateFile: st,
		Stdout: &bytes.Buffer{}, Stderr: &stderr, Quiet: true}
	if code := Run(context.Background(), before); code != ExitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if err := statetest.ForgetTraitHashes(st); err != nil {
		t.Fatal(err)
	}
	_, rep := reviewRun(t, Options{Companies: []string{"fixtures/review/companies.csv"}, StateFile: st})
	t.Chdir("runner")
	if rep.Plan == nil || len(rep.Plan.FirstChanged) != 3 {
		t.Fatalf("plan: %+v", rep.Plan)
	}
	for _, k := range rep.Plan.FirstChanged {
		if !strings.Contains(k.TraitsUnknown, "state written by an older version") || k.ChangedTraits != nil {
			t.Errorf("%s: %+v", k.ID(), k)
		}
	}
}

func TestPlanPicksKeepTheFirstRows(t *testing.T) {
	var pp planPicks
	for i := range 1000 {
		row := int64((i * 7919) % 1000) // every row once, in a scrambled order
		pp.add(changeCreate, row, [16]byte{byte(row), byte(row >> 8)}, nil)
	}
	l := pp.first[changeCreate]
	if len(l) != planKeysN {
		t.Fatalf("%d picks", len(l))
	}
	for i, p := range l {
		if p.row != int64(i) {
			t.Fatalf("pick %d is row %d", i, p.row)
		}
	}
}

func TestChangedTraits(t *testing.T) {
	h := func(vs ...uint16) []byte {
		var b []byte
		for _, v := range vs {
			b = append(b, byte(v), byte(v>>8))
		}
		return b
	}
	changed, dropped := changedTraits([]string{"name", "plan", "phone"}, h(1, 2, 3), []string{"name", "plan", "seats"}, h(1, 9, 4))
	if !reflect.DeepEqual(changed, []string{"plan", "seats"}) || !reflect.DeepEqual(dropped, []string{"phone"}) {
		t.Errorf("changed %v, dropped %v", changed, dropped)
	}
}
