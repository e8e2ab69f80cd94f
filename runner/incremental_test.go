package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/groupimport/groupimport/state"
)

// writeExport writes a companies export and a memberships export.
func writeExport(t *testing.T, dir string, companies map[string]string, members [][2]string) (string, string) {
	t.Helper()
	var c strings.Builder
	c.WriteString("company_id,name,plan\n")
	ids := make([]string, 0, len(companies))
	for id := range companies {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		fmt.Fprintf(&c, "%s,Company %s,%s\n", id, id, companies[id])
	}
	var m strings.Builder
	m.WriteString("user_id,company_id,role\n")
	for _, x := range members {
		fmt.Fprintf(&m, "%s,%s,member\n", x[0], x[1])
	}
	cp, mp := filepath.Join(dir, "companies.csv"), filepath.Join(dir, "memberships.csv")
	os.WriteFile(cp, []byte(c.String()), 0o644)
	os.WriteFile(mp, []byte(m.String()), 0o644)
	return cp, mp
}

type sent struct {
	Type       string
	Event      string
	GroupID    string
	UserID     string
	Properties struct{ ObjectID string }
	Traits     struct{ Plan string }
}

func runIncremental(t *testing.T, cp, mp, statePath string, extra ...func(*Options)) (int, []sent, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	var stderr bytes.Buffer
	o := Options{Command: "run", Companies: []string{cp}, Memberships: []string{mp}, Out: out, StateFile: statePath,
		Timestamp: "2024-06-01T00:00:00Z", Stderr: &stderr, Stdout: &bytes.Buffer{}, MassDeletePercent: 10}
	for _, f := range extra {
		f(&o)
	}
	code := Run(context.Background(), o)
	var msgs []sent
	data, _ := os.ReadFile(filepath.Join(out, "payloads-00001.ndjson"))
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line == "" {
			continue
		}
		var s sent
		if err := json.Unmarshal([]byte(line), &s); err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, s)
	}
	return code, msgs, stderr.String()
}

func describe(msgs []sent) []string {
	var out []string
	for _, m := range msgs {
		switch {
		case m.Type == "track":
			out = append(out, m.Event+" "+m.Properties.ObjectID+" "+m.UserID)
		case m.UserID != "":
			out = append(out, "rel "+m.GroupID+" "+m.UserID)
		default:
			out = append(out, "obj "+m.GroupID+" "+m.Traits.Plan)
		}
	}
	return out
}

func TestIncrementalRuns(t *testing.T) {
	dir := t.TempDir()
	statePath := filepath.Join(dir, "state.db")
	companies := map[string]string{}
	var members [][2]string
	for i := 0; i < 50; i++ {
		companies[fmt.Sprintf("c%02d", i)] = "pro"
		members = append(members, [2]string{fmt.Sprintf("u%02d", i), fmt.Sprintf("c%02d", i)})
	}
	cp, mp := writeExport(t, dir, companies, members)
	code, msgs, stderr := runIncremental(t, cp, mp, statePath)
	if code != 0 || len(msgs) != 100 {
		t.Fatalf("first run: exit %d, %d messages\n%s", code, len(msgs), stderr)
	}
	// unchanged: nothing is sent
	code, msgs, stderr = runIncremental(t, cp, mp, statePath, func(o *Options) { o.DeleteMissing = true })
	if code != 0 || len(msgs) != 0 {
		t.Fatalf("unchanged run: exit %d, sent %v\n%s", code, describe(msgs), stderr)
	}
	// edit two, add one, remove one company and one membership
	companies["c03"], companies["c07"] = "enterprise", "starter"
	companies["c50"] = "pro"
	delete(companies, "c10")
	members = append(members[:20], members[21:]...) // u20–c20 gone
	members = append(members, [2]string{"u99", "c01"})
	cp, mp = writeExport(t, dir, companies, members)
	code, msgs, stderr = runIncremental(t, cp, mp, statePath, func(o *Options) { o.DeleteMissing = true })
	got := describe(msgs)
	want := []string{"obj c03 enterprise", "obj c07 starter", "obj c50 pro", "rel c01 u99",
		"Relationship Deleted c20 u20", "Object Deleted c10 "}
	if code != 0 || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("changed run: exit %d\n got %q\nwant %q\n%s", code, got, want, stderr)
	}
	// the deletes are remembered: the next run sends nothing
	code, msgs, _ = runIncremental(t, cp, mp, statePath, func(o *Options) { o.DeleteMissing = true })
	if code != 0 || len(msgs) != 0 {
		t.Fatalf("after the deletes: exit %d, sent %v", code, describe(msgs))
	}
	// --full sends everything again
	_, msgs, _ = runIncremental(t, cp, mp, statePath, func(o *Options) { o.Full = true })
	if len(msgs) != 100 {
		t.Fatalf("--full sent %d", len(msgs))
	}
}

func TestMassDeleteGuardAndLock(t *testing.T) {
	dir := t.TempDir()
	statePath := filepath.Join(dir, "state.db")
	companies := map[string]string{}
	for i := 0; i < 20; i++ {
		companies[fmt.Sprintf("c%02d", i)] = "pro"
	}
	cp, mp := writeExport(t, dir, companies, nil)
	if code, _, stderr := runIncremental(t, cp, mp, statePath); code != 0 {
		t.Fatalf("first run: %d\n%s", code, stderr)
	}
	// half the export is gone (a truncated extract): refused, nothing sent
	for i := 0; i < 10; i++ {
		delete(companies, fmt.Sprintf("c%02d", i))
	}
	companies["c05"] = "new" // a change that must not be sent either
	cp, mp = writeExport(t, dir, companies, nil)
	code, msgs, stderr := runIncremental(t, cp, mp, statePath, func(o *Options) { o.DeleteMissing = true })
	if code != ExitFailure || len(msgs) != 0 || !strings.Contains(stderr, "--allow-mass-delete") {
		t.Fatalf("guard: exit %d, sent %v\n%s", code, describe(msgs), stderr)
	}
	// the state did not change: allowing it now deletes exactly those ten
	code, msgs, stderr = runIncremental(t, cp, mp, statePath, func(o *Options) { o.DeleteMissing, o.AllowMassDelete = true, true })
	deletes := 0
	for _, m := range msgs {
		if m.Event == "Object Deleted" {
			deletes++
		}
	}
	if code != 0 || deletes != 9 || len(msgs) != 10 { // c05 comes back as new
		t.Fatalf("allowed: exit %d, %v\n%s", code, describe(msgs), stderr)
	}

	// a second run while the state is in use exits with a clear message
	st, err := state.Open(statePath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	code, _, stderr = runIncremental(t, cp, mp, statePath)
	if code != ExitLocked || !strings.Contains(stderr, "another groupimport run is using this state file") {
		t.Fatalf("locked: exit %d\n%s", code, stderr)
	}
}
