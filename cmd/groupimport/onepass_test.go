package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/groupimport/groupimport/importer/objstore/fakes3"
)

// statePlan is the plan of a report, as these tests read it.
type statePlan struct {
	Creates, Updates, Unchanged, Deletes, Superseded int64
	RejectedKept                                     int64 `json:"rejected_keys_kept"`
	FirstCreated                                     []struct {
		GroupID string `json:"group_id"`
		File    string
		Line    int64
	} `json:"first_created"`
}

func readPlan(t *testing.T, out string) (statePlan, reportFile) {
	t.Helper()
	rep := readReport(t, filepath.Join(out, "report.json"))
	var r struct{ Plan statePlan }
	data, _ := os.ReadFile(filepath.Join(out, "report.json"))
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return r.Plan, rep
}

// A first --state run into files reads its export once (issue 18: the
// planning pass only found every key new), and its plan, files and state
// are what the two passes gave: the superseded rows are not in the files,
// the plan counts them, names the first keys created, and the keys only
// in rejected rows; the next run over the same export sends nothing.
func TestFirstStateRunReadsTheExportOnce(t *testing.T) {
	srv := fakes3.Start(t)
	srv.Bucket(t, "b")
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("company_id,name,employees\n")
	const n = 20000
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "c%05d,Company %d,%d\n", i, i, i%300)
	}
	// c00000 and c00001 come again (the later rows win); c00002 once more
	// in a rejected row (it was sent: not kept); r-only only in one
	b.WriteString("c00000,Company zero again,7\nc00001,Company one again,8\nc00002,Bad,many\nr-only,Bad,many\n")
	data := []byte(b.String())
	srv.Put(t, "b", "companies.csv", data)
	state := filepath.Join(dir, "crm.state")
	mapping := writeFile(t, dir, "mapping.yaml", []byte("companies:\n  groupId: company_id\n  traits:\n    name: name\n    employees: {column: employees, type: integer}\n  custom: none\n"))
	run := func(name string, state ...string) (string, int) {
		out := filepath.Join(dir, name)
		srv.Reset()
		args := []string{"run", "--companies", "s3://b/companies.csv", "--mapping", mapping, "--out", out, "-q"}
		if len(state) > 0 {
			args = append(args, "--state", state[0])
		}
		code, _, stderr := gi(t, args...)
		if code != 3 {
			t.Fatalf("%s: exit %d, want 3 (rejected rows)\n%s", name, code, stderr)
		}
		return out, len(fakes3.Gets(srv.Requests(), "/b/companies.csv"))
	}
	_, stateless := run("stateless")
	first, gets := run("first", state)
	if gets != stateless {
		t.Errorf("the first --state run fetched the export %d times, the stateless run %d: want as often", gets, stateless)
	}
	plan, rep := readPlan(t, first)
	if plan.Creates != n || plan.Superseded != 2 || plan.Unchanged != 0 || plan.Deletes != 0 || plan.RejectedKept != 1 {
		t.Errorf("first plan %+v: want %d creates, 2 superseded, 1 rejected key kept", plan, n)
	}
	if rep.Totals.Emitted != n || rep.Totals.Rejected != 2 {
		t.Errorf("first run emitted %d, rejected %d; want %d, 2", rep.Totals.Emitted, rep.Totals.Rejected, n)
	}
	if len(plan.FirstCreated) != 20 || plan.FirstCreated[0].GroupID != "c00002" || plan.FirstCreated[0].Line != 4 ||
		plan.FirstCreated[19].GroupID != "c00021" {
		t.Errorf("first created %+v: want c00002 (line 4) … c00021 (c00000 and c00001 are created by their last rows)", plan.FirstCreated)
	}
	groups, _ := groupIDs(t, first)
	if len(groups) != n {
		t.Errorf("%d objects in the files, want %d", len(groups), n)
	}
	if lines := strings.Join(readAllParts(t, first), "\n"); strings.Contains(lines, `"Company 0"`) || !strings.Contains(lines, "Company zero again") {
		t.Error("the superseded row of c00000 is in the files, or its last row is not")
	}

	second, _ := run("second", state)
	plan, rep = readPlan(t, second)
	if plan.Unchanged != n || plan.Creates != 0 || plan.Updates != 0 || plan.Superseded != 2 || plan.RejectedKept != 1 || rep.Totals.Emitted != 0 {
		t.Errorf("second plan %+v, emitted %d: want everything unchanged, nothing sent", plan, rep.Totals.Emitted)
	}
}

// readAllParts returns the payload lines of a run's files.
func readAllParts(t *testing.T, dir string) []string {
	t.Helper()
	parts, _ := filepath.Glob(filepath.Join(dir, "payloads-*.ndjson"))
	var lines []string
	for _, p := range parts {
		lines = append(lines, readLines(t, p)...)
	}
	return lines
}

// A first --state run into files killed part-way and started again (the
// same command, no --timestamp) writes again what the killed run wrote,
// messageIds included, and what an uninterrupted first run writes, and the run after it sends
// nothing: the killed run remembered nothing it had not completed.
func TestFirstStateRunKilledAndResumed(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	in := companiesCSV(t, dir, 150000, func(i int) string { return []string{"pro", "starter"}[i%2] })
	args := func(out, state string) []string {
		return []string{"run", "--companies", in, "--out", out, "--overwrite", "--state", state, "--part-size", "2MiB", "-q"}
	}
	// the uninterrupted run's event time is its start: the resumed run
	// must reuse the killed one's, so compare without the timestamps
	clean := filepath.Join(dir, "clean")
	if o, err := exec.Command(bin, args(clean, filepath.Join(dir, "clean.state"))...).CombinedOutput(); err != nil {
		t.Fatalf("clean run: %v\n%s", err, o)
	}
	out, state := filepath.Join(dir, "out"), filepath.Join(dir, "crm.state")
	if !startKilled(t, bin, nil, 300*time.Millisecond, args(out, state)...) {
		t.Log("the run finished before the kill")
	}
	// the parts the killed run completed: the resumed run writes them
	// again byte for byte (it reuses the killed run's event time)
	written := readAllParts(t, out)
	t.Logf("the killed run completed %d payloads", len(written))
	if o, err := exec.Command(bin, args(out, state)...).CombinedOutput(); err != nil {
		t.Fatalf("resumed run: %v\n%s", err, o)
	}
	resumed := readAllParts(t, out)
	if len(resumed) < len(written) || strings.Join(resumed[:len(written)], "\n") != strings.Join(written, "\n") {
		t.Errorf("the resumed run did not write the killed run's payloads again, messageIds included")
	}
	want, got := withoutTimes(t, readAllParts(t, clean)), withoutTimes(t, resumed)
	if len(got) != 150000 || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the resumed run wrote %d payloads, not those of an uninterrupted run (%d)", len(got), len(want))
	}
	again := filepath.Join(dir, "again")
	if o, err := exec.Command(bin, args(again, state)...).CombinedOutput(); err != nil {
		t.Fatalf("run after: %v\n%s", err, o)
	}
	plan, rep := readPlan(t, again)
	if rep.Totals.Emitted != 0 || plan.Unchanged != 150000 {
		t.Errorf("the run after the resumed one: emitted %d, plan %+v; want nothing sent, everything unchanged", rep.Totals.Emitted, plan)
	}
}

// withoutTimes drops the event time and the messageId (made from it) of
// payloads.
func withoutTimes(t *testing.T, lines []string) []string {
	t.Helper()
	out := make([]string, len(lines))
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "timestamp")
		delete(m, "messageId")
		delete(m, "sentAt")
		data, _ := json.Marshal(m)
		out[i] = string(data)
	}
	return out
}

// An incremental run over an unchanged export reads it once (issue 18:
// the delivery pass only skipped every row), and reports what the
// delivery pass would: every row skipped as unchanged or superseded,
// nothing written. One changed row brings the delivery pass back.
func TestUnchangedStateRunReadsTheExportOnce(t *testing.T) {
	srv := fakes3.Start(t)
	srv.Bucket(t, "b")
	dir := t.TempDir()
	const n = 5000
	export := func(changed string) []byte {
		var b strings.Builder
		b.WriteString("company_id,name\n")
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("Company %d", i)
			if i == 7 && changed != "" {
				name = changed
			}
			fmt.Fprintf(&b, "c%05d,%s\n", i, name)
		}
		b.WriteString("c00000,Company zero again\nc00001,Company one again\n")
		return []byte(b.String())
	}
	state := filepath.Join(dir, "crm.state")
	run := func(name string, data []byte, stateArgs ...string) (reportFile, statePlan, int) {
		srv.Put(t, "b", "companies.csv", data)
		out := filepath.Join(dir, name)
		srv.Reset()
		code, _, stderr := gi(t, append([]string{"run", "--companies", "s3://b/companies.csv", "--out", out, "-q"}, stateArgs...)...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", name, code, stderr)
		}
		plan, rep := readPlan(t, out)
		if parts, _ := filepath.Glob(filepath.Join(out, "payloads-*")); int64(len(readAllParts(t, out))) != rep.Totals.Emitted {
			t.Errorf("%s: %d parts hold other than the %d emitted", name, len(parts), rep.Totals.Emitted)
		}
		return rep, plan, len(fakes3.Gets(srv.Requests(), "/b/companies.csv"))
	}
	_, _, once := run("stateless", export(""))
	if _, _, gets := run("first", export(""), "--state", state); gets != once {
		t.Errorf("the first run fetched the export %d times, the stateless run %d", gets, once)
	}
	rep, plan, gets := run("unchanged", export(""), "--state", state)
	if gets != once {
		t.Errorf("the unchanged run fetched the export %d times, the stateless run %d: want as often", gets, once)
	}
	if rep.Totals.Emitted != 0 || rep.Totals.Skipped != n+2 || rep.Totals.Read != n+2 || plan.Unchanged != n || plan.Superseded != 2 {
		t.Errorf("unchanged run: totals %+v, plan %+v; want %d read, all skipped (%d unchanged, 2 superseded)", rep.Totals, plan, n+2, n)
	}
	if len(rep.Files) != 1 || rep.Files[0].Emitted != 0 || rep.Files[0].Read != n+2 {
		t.Errorf("unchanged run: files %+v", rep.Files)
	}
	rep, plan, gets = run("changed", export("Renamed"), "--state", state)
	if gets != once+1 || rep.Totals.Emitted != 1 || plan.Updates != 1 || plan.Unchanged != n-1 {
		t.Errorf("one row changed: %d fetches (want %d), emitted %d, plan %+v; want the delivery pass to send the one change", gets, once+1, rep.Totals.Emitted, plan)
	}
}
