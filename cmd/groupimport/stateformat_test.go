package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/groupimport/groupimport/state/statetest"
)

// A state file of a version before blocks (format 1, a record per key)
// serves runs as before: an unchanged export sends nothing, a changed one
// sends its changes, and the state remembers them (a third run finds
// everything unchanged).
func TestStateOfAnOlderFormat(t *testing.T) {
	dir := t.TempDir()
	st := filepath.Join(dir, "crm.state")
	run := func(name, csv string) (creates, updates, unchanged int64) {
		t.Helper()
		out := filepath.Join(dir, name)
		if code, _, stderr := gi(t, "run", "--companies", fixtures+"review/"+csv, "--out", out, "--state", st); code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, stderr)
		}
		data, err := os.ReadFile(filepath.Join(out, "report.json"))
		if err != nil {
			t.Fatal(err)
		}
		var rep struct {
			Plan struct{ Creates, Updates, Unchanged int64 }
		}
		if err := json.Unmarshal(data, &rep); err != nil {
			t.Fatal(err)
		}
		return rep.Plan.Creates, rep.Plan.Updates, rep.Plan.Unchanged
	}
	if c, _, _ := run("first", "companies-before.csv"); c != 10 {
		t.Fatalf("first run: %d created, want 10", c)
	}
	if err := statetest.PerRecordLayout(st); err != nil {
		t.Fatal(err)
	}
	if c, u, n := run("unchanged", "companies-before.csv"); c != 0 || u != 0 || n != 10 {
		t.Fatalf("the same export again: %d created, %d updated, %d unchanged; want 0, 0, 10", c, u, n)
	}
	c, u, _ := run("changed", "companies.csv")
	if c != 1 || u != 3 {
		t.Fatalf("the changed export: %d created, %d updated; want 1, 3", c, u)
	}
	if c, u, n := run("again", "companies.csv"); c != 0 || u != 0 || n != 10 {
		t.Fatalf("the changed export again: %d created, %d updated, %d unchanged; want 0, 0, 10", c, u, n)
	}
}
