package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/groupimport/groupimport/internal/fakeapi"
	"github.com/groupimport/groupimport/internal/shard"
	"github.com/groupimport/groupimport/state"
)

const shardMapping = `companies:
  groupId: company_id
  objectTypeId: 1
memberships:
  groupId: company_id
  userId: user_id
  include_object_traits: [name]
`

// shardExport writes companies (one with a groupId over the limit: a
// rejected row whose key is read), memberships (one with a wrong field
// count: a rejected row whose key is not), and deletion files.
func shardExport(t *testing.T, dir string, n int, bad bool, skip func(i int) bool) (args []string) {
	t.Helper()
	var c, m, do, dr strings.Builder
	c.WriteString("company_id,name,plan\n")
	m.WriteString("user_id,company_id,role\n")
	do.WriteString("company_id\n")
	dr.WriteString("user_id,company_id\n")
	for i := 0; i < n; i++ {
		if skip != nil && skip(i) {
			continue
		}
		fmt.Fprintf(&c, "c%04d,Company %d,plan-%d\n", i, i, i%3)
		for u := 0; u < 3; u++ {
			fmt.Fprintf(&m, "u%04d-%d,c%04d,role-%d\n", i, u, i, u)
		}
		if i%17 == 0 {
			fmt.Fprintf(&do, "c%04d\n", i)
		}
		if i%13 == 0 {
			fmt.Fprintf(&dr, "u%04d-1,c%04d\n", i, i)
		}
	}
	if bad {
		fmt.Fprintf(&c, "%s,Too long,plan-0\n", strings.Repeat("x", 200))
		m.WriteString("u-bad,c0001,role,extra\n")
	}
	return []string{"--companies", writeFile(t, dir, "companies.csv", []byte(c.String())),
		"--memberships", writeFile(t, dir, "memberships.csv", []byte(m.String())),
		"--delete-objects", writeFile(t, dir, "delete-objects.csv", []byte(do.String())),
		"--delete-relationships", writeFile(t, dir, "delete-relationships.csv", []byte(dr.String())),
		"--mapping", writeFile(t, dir, "mapping.yaml", []byte(shardMapping)),
		"--timestamp", "2024-05-01T00:00:00Z"}
}

type shardReport struct {
	Shard  string
	Totals struct {
		Read, Emitted, Rejected, Skipped int64
		OtherShard                       int64 `json:"skipped_other_shard"`
	}
}

// K/3 for K = 1…3 over one export: the shards' payloads are disjoint and
// together are the unsplit run's, byte for byte once sorted; so are the
// rejects; every shard accounts for every row it read.
func TestShardsPartitionTheRun(t *testing.T) {
	dir := t.TempDir()
	in := shardExport(t, filepath.Join(dir, "in"), 400, true, nil)
	run := func(name string, extra ...string) (payloads, rejects []string, rep shardReport) {
		out := filepath.Join(dir, name)
		code, _, stderr := gi(t, append(append([]string{"run", "--out", out}, in...), extra...)...)
		if code != 3 && !(code == 0 && name != "all") {
			t.Fatalf("%s: exit %d, want 3 (rejected rows; 0 for a shard without them)\n%s", name, code, stderr)
		}
		readReport(t, filepath.Join(out, "report.json"))
		data, _ := os.ReadFile(filepath.Join(out, "report.json"))
		json.Unmarshal(data, &rep)
		rejects = readLines(t, filepath.Join(out, "rejects.ndjson"))
		sort.Strings(rejects)
		return sortedPayloads(t, out), rejects, rep
	}
	all, allRejects, allRep := run("all")
	if len(all) < 1500 || len(allRejects) != 2 {
		t.Fatalf("%d payloads, %d rejects", len(all), len(allRejects))
	}
	owner := map[string]int{}
	var union, unionRejects []string
	var emitted int64
	for k := 1; k <= 3; k++ {
		p, r, rep := run(fmt.Sprintf("shard%d", k), "--shard", fmt.Sprintf("%d/3", k))
		if rep.Shard != fmt.Sprintf("%d/3", k) || rep.Totals.Read != allRep.Totals.Read || rep.Totals.OtherShard == 0 ||
			rep.Totals.Skipped < rep.Totals.OtherShard {
			t.Errorf("shard %d: report %+v", k, rep)
		}
		if len(p) > len(all)/2 {
			t.Errorf("shard %d has %d of %d payloads", k, len(p), len(all))
		}
		for _, line := range p {
			if o, ok := owner[line]; ok {
				t.Fatalf("shards %d and %d both sent %s", o, k, line)
			}
			owner[line] = k
		}
		union = append(union, p...)
		unionRejects = append(unionRejects, r...)
		emitted += rep.Totals.Emitted
	}
	sort.Strings(union)
	sort.Strings(unionRejects)
	if strings.Join(union, "\n") != strings.Join(all, "\n") {
		t.Errorf("the shards' payloads (%d) are not the unsplit run's (%d)", len(union), len(all))
	}
	if strings.Join(unionRejects, "\n") != strings.Join(allRejects, "\n") {
		t.Errorf("the shards' rejects differ from the unsplit run's:\n%s\n---\n%s", strings.Join(unionRejects, "\n"), strings.Join(allRejects, "\n"))
	}
	if emitted != allRep.Totals.Emitted {
		t.Errorf("the shards emitted %d, the unsplit run %d", emitted, allRep.Totals.Emitted)
	}
	// memberships joined their object's traits in every shard
	for _, line := range all {
		if strings.Contains(line, `"userId"`) && strings.Contains(line, `"type":"group"`) && !strings.Contains(line, `"name":"Company`) {
			t.Fatalf("a membership without its object's name: %s", line)
		}
	}
}

// A sharded incremental run deletes only the missing keys of its own
// objects: the state's keys of other shards are neither known nor missing
// to it, even in a state that holds them.
func TestShardedIncrementalDeletesOnlyItsOwnKeys(t *testing.T) {
	dir := t.TempDir()
	const n = 300
	removed := func(i int) bool { return i%10 == 4 }
	full := shardExport(t, filepath.Join(dir, "v1"), n, false, nil)
	smaller := shardExport(t, filepath.Join(dir, "v2"), n, false, removed)
	statePath := filepath.Join(dir, "crm.state")
	// a state that knows every key (an unsplit first run), then said to be
	// shard 1/2's: the diff must still leave shard 2's keys alone
	if code, _, stderr := gi(t, append([]string{"run", "--out", filepath.Join(dir, "first"), "--state", statePath}, full...)...); code != 0 {
		t.Fatalf("first run: exit %d\n%s", code, stderr)
	}
	code, _, stderr := gi(t, append([]string{"run", "--out", filepath.Join(dir, "refused"), "--state", statePath, "--shard", "1/2"}, smaller...)...)
	if code != 2 || !strings.Contains(stderr, "each shard keeps its own state file") {
		t.Fatalf("an unsplit run's state for shard 1/2: exit %d\n%s", code, stderr)
	}
	st, err := state.Open(statePath)
	if err != nil {
		t.Fatal(err)
	}
	last, _ := st.LastRun()
	last.Shard = "1/2"
	st.SaveRun(last)
	st.Close()

	out := filepath.Join(dir, "second")
	code, _, stderr = gi(t, append([]string{"run", "--out", out, "--state", statePath, "--shard", "1/2", "--delete-missing",
		"--allow-mass-delete"}, smaller...)...)
	if code != 0 {
		t.Fatalf("second run: exit %d\n%s", code, stderr)
	}
	_, deleted := groupIDs(t, out)
	want := map[string]bool{}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("c%04d", i)
		if removed(i) && shard.Of([]byte("1"), []byte(id), 2) == 1 && i%17 != 0 {
			want[id] = true
		}
	}
	if len(want) == 0 || len(deleted) != len(want) {
		t.Errorf("deleted %d objects, want the %d missing ones of shard 1", len(deleted), len(want))
	}
	for id := range deleted {
		if !want[id] {
			t.Errorf("deleted %s: not a missing object of shard 1", id)
		}
	}
}

// The deletes of keys missing from an incremental run's export do not
// shift the rows of the deletion files: a new delete after a relationship
// gone missing is sent (the old code numbered the deletion file's rows on
// after the missing keys, so the plan's "unchanged" marks fell on the
// wrong rows: a new delete was skipped, an unchanged one sent again).
func TestMissingKeysDoNotShiftDeletionFiles(t *testing.T) {
	dir := t.TempDir()
	statePath := filepath.Join(dir, "crm.state")
	run := func(name, members, deletes string) map[string]bool {
		d := filepath.Join(dir, name)
		args := []string{"run", "--out", filepath.Join(d, "out"), "--state", statePath, "--delete-missing", "--allow-mass-delete",
			"--companies", writeFile(t, d, "companies.csv", []byte("company_id,name\nc1,One\nc2,Two\nc3,Three\nc4,Four\nc5,Five\n")),
			"--memberships", writeFile(t, d, "memberships.csv", []byte("user_id,company_id\n"+members)),
			"--delete-objects", writeFile(t, d, "delete-objects.csv", []byte("company_id\n"+deletes))}
		if code, _, stderr := gi(t, args...); code != 0 {
			t.Fatalf("%s: exit %d\n%s", name, code, stderr)
		}
		_, deleted := groupIDs(t, filepath.Join(d, "out"))
		return deleted
	}
	if got := run("first", "u1,c2\nu2,c3\n", "c1\n"); len(got) != 1 || !got["c1"] {
		t.Fatalf("first run deleted %v", got)
	}
	// u2–c3 is gone (a relationship delete), c4 is deleted anew, c1 again
	if got := run("second", "u1,c2\n", "c4\nc1\n"); len(got) != 1 || !got["c4"] {
		t.Fatalf("second run deleted %v, want c4 only (c1 was deleted already)", got)
	}
}

// --rate-limit is the workspace's: a shard of N sends at most 1/N of it.
func TestShardTakesItsShareOfTheRateLimit(t *testing.T) {
	srv := fakeapi.New(fakeapi.Options{Key: testKey})
	defer srv.Close()
	t.Setenv("CIO_API_KEY", testKey)
	dir := t.TempDir()
	in := companiesCSV(t, dir, 40, func(int) string { return "pro" })
	start := time.Now()
	code, _, stderr := gi(t, "run", "--companies", in, "--endpoint", srv.URL(), "--shard", "1/2", "--rate-limit", "40",
		"--concurrency", "1", "--batch-messages", "1", "--report", filepath.Join(dir, "report.json"), "--rejects", filepath.Join(dir, "rejects.ndjson"))
	elapsed := time.Since(start)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var rep struct{ HTTP struct{ Requests int64 } }
	data, _ := os.ReadFile(filepath.Join(dir, "report.json"))
	json.Unmarshal(data, &rep)
	n := rep.HTTP.Requests
	if n < 10 || n > 30 || int64(len(srv.Messages())) != n {
		t.Fatalf("%d requests, %d messages: want about half of 40, one each", n, len(srv.Messages()))
	}
	// at 20/s (40 for the workspace, 2 shards), n requests with a burst of
	// one take at least (n-1)/20 s; at the whole 40/s, half as long
	if min := time.Duration(n-1) * time.Second / 20; elapsed < min*9/10 {
		t.Errorf("%d requests in %v: faster than 20/s (the shard's share of 40/s)", n, elapsed)
	}
}
