package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// Runs with --state after the first send exactly the rows whose payload
// changed (issue 18: the planning pass hashes each row's content without
// building the call): one trait value changed in a row in the middle of
// the file (batches of 500 rows, so it is neither in the first batch nor
// the last) is the one row sent; a number written with another digit, or
// a date given with another precision, changes the payload and is sent;
// a date written another way that reads as the same instant does not
// change it and is not.
func TestStateRunSendsExactlyTheChangedRows(t *testing.T) {
	dir := t.TempDir()
	const n = 3000
	rows := make([][]string, n)
	for i := range rows {
		rows[i] = []string{fmt.Sprintf("c%05d", i), fmt.Sprintf("Company %d", i), fmt.Sprintf("%d.5", i), "2024-01-02"}
	}
	mapping := writeFile(t, dir, "mapping.yaml", []byte("companies:\n  groupId: company_id\n  traits:\n    name: name\n"+
		"    score: {column: score, type: float}\n    since: {column: since, type: timestamp}\n  custom: none\n"))
	state := filepath.Join(dir, "crm.state")
	run := func(step string) []string {
		t.Helper()
		var b strings.Builder
		b.WriteString("company_id,name,score,since\n")
		for _, r := range rows {
			b.WriteString(strings.Join(r, ",") + "\n")
		}
		in := writeFile(t, dir, step+".csv", []byte(b.String()))
		out := filepath.Join(dir, step)
		code, _, stderr := gi(t, "run", "--companies", in, "--mapping", mapping, "--out", out, "--state", state, "--batch-rows", "500", "-q")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", step, code, stderr)
		}
		var sent []string
		for _, l := range readAllParts(t, out) {
			i := strings.Index(l, `"groupId":"`)
			sent = append(sent, l[i+len(`"groupId":"`):i+len(`"groupId":"`)+6])
		}
		return sent
	}
	expect := func(step string, want ...string) {
		t.Helper()
		got := run(step)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: sent %d rows %v, want %v", step, len(got), got[:min(len(got), 10)], want)
		}
	}
	if got := run("first"); len(got) != n {
		t.Fatalf("the first run sent %d rows, want %d", len(got), n)
	}
	expect("unchanged")
	rows[1717][1] = "Company 1717 renamed"
	expect("one trait", "c01717")
	rows[2222][2] = "2222.50" // the same number, but sent as written: the payload changes
	rows[1234][3] = "2024-01-02T00:00:00.001Z"
	expect("number and date", "c01234", "c02222")
	rows[999][3] = "2024-01-02T00:00:00Z" // the same instant: the same payload
	rows[1001][3] = "2024-01-02T00:00:00.000Z"
	expect("the same date written otherwise")
}
