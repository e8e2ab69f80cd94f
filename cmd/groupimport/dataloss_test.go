package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/groupimport/groupimport/internal/fakeapi"
	"github.com/groupimport/groupimport/state"
)

// Tests of issue 11's data-loss paths that belong to the runner: deletes
// of missing keys, files that must be distinct, the mass-delete guard,
// numeric flags, damaged, read-only and locked state files.

const nightMapping = `companies:
  groupId: company_id
  traits:
    name: name
    createdAt: {column: created_at, type: timestamp}
memberships:
  groupId: company_id
  userId: user_id
  relationshipAttributes:
    joinedAt: {column: joined_at, type: timestamp}
`

// night is one night's export: companies c00…, each with one member u00….
type night struct {
	companies, members int
	gone               map[string]bool   // ids left out of the export
	edits              map[string]string // id → the whole line instead
}

func (n night) write(t *testing.T, dir string) (companies, memberships string) {
	t.Helper()
	var c, m strings.Builder
	c.WriteString("company_id,name,created_at\n")
	m.WriteString("user_id,company_id,joined_at\n")
	for i := 0; i < n.companies; i++ {
		id := fmt.Sprintf("c%02d", i)
		switch {
		case n.gone[id]:
		case n.edits[id] != "":
			c.WriteString(n.edits[id] + "\n")
		default:
			fmt.Fprintf(&c, "%s,Company %d,2020-01-%02d\n", id, i, i%28+1)
		}
	}
	for i := 0; i < n.members; i++ {
		id := fmt.Sprintf("u%02d", i)
		switch {
		case n.gone[id]:
		case n.edits[id] != "":
			m.WriteString(n.edits[id] + "\n")
		default:
			fmt.Fprintf(&m, "%s,c%02d,2021-02-%02d\n", id, i, i%28+1)
		}
	}
	companies, memberships = filepath.Join(dir, "companies.csv"), filepath.Join(dir, "memberships.csv")
	os.WriteFile(companies, []byte(c.String()), 0o644)
	os.WriteFile(memberships, []byte(m.String()), 0o644)
	return companies, memberships
}

// nightly runs the nightly command against the fake API and returns the
// exit code, stderr, the report and what arrived at the API during the run
// (as "obj c01", "rel c01 u01", "Object Deleted c01", "Relationship
// Deleted c01 u01", sorted).
func nightly(t *testing.T, srv *fakeapi.Server, dir string, n night, extra ...string) (int, string, reportFile, []string) {
	t.Helper()
	cp, mp := n.write(t, dir)
	mapping := filepath.Join(dir, "mapping.yaml")
	os.WriteFile(mapping, []byte(nightMapping), 0o644)
	reportPath := filepath.Join(dir, "report.json")
	os.Remove(reportPath)
	before := len(srv.Received())
	args := append([]string{"run", "--companies", cp, "--memberships", mp, "--mapping", mapping, "--endpoint", srv.URL(),
		"--state", filepath.Join(dir, "state.db"), "--delete-missing", "--timestamp", "2024-06-01T00:00:00Z",
		"--report", reportPath, "--rejects", filepath.Join(dir, "rejects.ndjson"), "--retry-base", "1ms"}, extra...)
	code, _, stderr := gi(t, args...)
	var got []string
	for _, m := range srv.Received()[before:] {
		var p struct {
			Type, Event, GroupID, UserID string
			Properties                   struct{ ObjectID string }
		}
		json.Unmarshal(m.Raw, &p)
		switch {
		case p.Event != "":
			got = append(got, strings.TrimSpace(p.Event+" "+p.Properties.ObjectID+" "+p.UserID))
		case p.UserID != "":
			got = append(got, "rel "+p.GroupID+" "+p.UserID)
		default:
			got = append(got, "obj "+p.GroupID)
		}
	}
	sort.Strings(got)
	got = dedupe(got) // a batch may legitimately arrive twice
	var rep reportFile
	if _, err := os.Stat(reportPath); err == nil {
		rep = sameExitCode(t, reportPath, code)
	} else {
		t.Errorf("no report: %v", err)
	}
	return code, stderr, rep, got
}

func dedupe(s []string) []string {
	var out []string
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func newAPI(t *testing.T) *fakeapi.Server {
	srv := fakeapi.New(fakeapi.Options{Key: testKey})
	t.Cleanup(srv.Close)
	t.Setenv("CIO_API_KEY", testKey)
	return srv
}

// Path 1: a rejected row is not a missing row. The second night, company
// c03 has an unparseable date and membership u05–c05 a bad joined_at:
// neither is deleted (before, they were sent Object Deleted and
// Relationship Deleted); c10, truly gone, is.
func TestRejectedRowsAreNotDeleted(t *testing.T) {
	srv := newAPI(t)
	dir := t.TempDir()
	if code, stderr, _, got := nightly(t, srv, dir, night{companies: 20, members: 20}); code != 0 || len(got) != 40 {
		t.Fatalf("first night: exit %d, %d messages\n%s", code, len(got), stderr)
	}
	second := night{companies: 20, members: 20, gone: map[string]bool{"c10": true},
		edits: map[string]string{"c03": "c03,Company 3,not a date", "u05": "u05,c05,31/31/2021"}}
	code, stderr, rep, got := nightly(t, srv, dir, second)
	want := []string{"Object Deleted c10"}
	if code != 3 || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("second night: exit %d, sent %q, want %q\n%s", code, got, want, stderr)
	}
	if rep.Totals.Rejected != 2 || rep.Plan.RejectedKept != 2 {
		t.Errorf("rejected %d, plan %+v", rep.Totals.Rejected, rep.Plan)
	}
	// the rows fixed: nothing to send, their state was kept as it was
	second.edits = nil
	if code, stderr, _, got := nightly(t, srv, dir, second); code != 0 || len(got) != 0 {
		t.Fatalf("third night: exit %d, sent %q\n%s", code, got, stderr)
	}
}

// Path 1 (and 2): a rejected row whose key cannot be read, or a file that
// cannot be read completely, makes the export incomplete: the deletes of
// missing keys are withheld (before: sent), the rest is delivered, exit 1.
func TestIncompleteExportWithholdsDeletes(t *testing.T) {
	for name, edit := range map[string]map[string]string{
		"wrong field count": {"c03": "c03,Company 3,2020-01-04,surplus"},
		"empty groupId":     {"c03": ",Company 3,2020-01-04"},
		"file error":        {"c19": `c19,"Company 19,2020-01-20`}, // a quote never closed
	} {
		t.Run(name, func(t *testing.T) {
			srv := newAPI(t)
			dir := t.TempDir()
			if code, stderr, _, _ := nightly(t, srv, dir, night{companies: 20, members: 20}); code != 0 {
				t.Fatalf("first night: exit %d\n%s", code, stderr)
			}
			second := night{companies: 20, members: 20, gone: map[string]bool{"c10": true, "u11": true}, edits: edit}
			second.edits["c00"] = "c00,Company Zero renamed,2020-01-01"
			code, stderr, rep, got := nightly(t, srv, dir, second)
			if code != 1 || strings.Join(got, "|") != "obj c00" {
				t.Fatalf("exit %d, sent %q, want only the change of c00\n%s", code, got, stderr)
			}
			if !strings.Contains(stderr, "withheld") || rep.Plan.DeletesWithheld == "" || len(rep.Errors) == 0 {
				t.Errorf("not said: plan %+v, errors %q\n%s", rep.Plan, rep.Errors, stderr)
			}
			// the export whole again: the deletes go
			second.edits = map[string]string{"c00": second.edits["c00"]}
			code, stderr, _, got = nightly(t, srv, dir, second)
			if want := "Object Deleted c10|Relationship Deleted c11 u11"; code != 0 || strings.Join(got, "|") != want {
				t.Fatalf("whole export: exit %d, sent %q, want %q\n%s", code, got, want, stderr)
			}
		})
	}
}

// Path 6: --mass-delete-percent 0 allows no delete of a missing key
// without --allow-mass-delete (before: it meant 10%); out of 0…100 is a
// usage error.
func TestMassDeletePercentZero(t *testing.T) {
	srv := newAPI(t)
	dir := t.TempDir()
	nightly(t, srv, dir, night{companies: 20, members: 0})
	second := night{companies: 20, gone: map[string]bool{"c07": true}}
	code, stderr, rep, got := nightly(t, srv, dir, second, "--mass-delete-percent", "0")
	if code != 1 || len(got) != 0 || !strings.Contains(stderr, "--allow-mass-delete") || rep.Plan.VanishedObjects != 1 {
		t.Fatalf("exit %d, sent %q, plan %+v\n%s", code, got, rep.Plan, stderr)
	}
	code, stderr, _, got = nightly(t, srv, dir, second, "--mass-delete-percent", "0", "--allow-mass-delete")
	if code != 0 || strings.Join(got, "|") != "Object Deleted c07" {
		t.Fatalf("allowed: exit %d, sent %q\n%s", code, got, stderr)
	}
	for _, v := range []string{"-1", "101", "NaN"} {
		code, _, stderr := gi(t, "run", "--companies", filepath.Join(dir, "companies.csv"), "--out", filepath.Join(dir, "out"),
			"--state", filepath.Join(dir, "state.db"), "--delete-missing", "--mass-delete-percent", v)
		if code != 2 || !strings.Contains(stderr, "--mass-delete-percent must be between 0 and 100") {
			t.Errorf("--mass-delete-percent %s: exit %d\n%s", v, code, stderr)
		}
		sameExitCode(t, filepath.Join(dir, "out", "report.json"), code)
	}
}

// Numeric flags out of range are usage errors naming the flag and the
// range, before anything is read or written (before: --workers 100000000
// was an out-of-memory kill, --concurrency 0 a silent default).
func TestNumericFlagRanges(t *testing.T) {
	dir := t.TempDir()
	in := companiesCSV(t, dir, 10, func(int) string { return "pro" })
	for _, c := range []struct{ flag, value, want string }{
		{"--workers", "100000000", "--workers must be between 1 and 256"},
		{"--workers", "-1", "--workers must be between 1 and 256"},
		{"--concurrency", "0", "--concurrency must be between 1 and 256"},
		{"--rate-limit", "0", "--rate-limit must be more than 0"},
		{"--rate-limit", "-5", "--rate-limit must be more than 0"},
		{"--batch-messages", "3000", "--batch-messages must be between 1 and 2500"},
		{"--max-attempts", "0", "--max-attempts must be between 1 and 100"},
		{"--batch-bytes", "100", "--batch-bytes must be between 1024 and 500000"},
		{"--part-size", "0", "--part-size"},
		{"--max-record-bytes", "10", "--max-record-bytes must be between 1024"},
		{"--max-ratio", "0", "--max-ratio must be between 1"},
		{"--max-rejects", "-2", "--max-rejects must be -1 or more"},
		{"--request-timeout", "0s", "--request-timeout must be more than 0"},
	} {
		out := filepath.Join(dir, "out-"+strings.TrimLeft(c.flag, "-"))
		code, _, stderr := gi(t, "run", "--companies", in, "--out", out, c.flag, c.value)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s %s: exit %d, want 2 and %q\n%s", c.flag, c.value, code, c.want, stderr)
		}
		sameExitCode(t, filepath.Join(out, "report.json"), code)
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s %s: the output directory was created", c.flag, c.value)
		}
	}
}

// Path 5: the files a run writes must differ from each other and from its
// inputs: a usage error names both flags before anything is written
// (before: --rejects overwrote the input, --report the state).
func TestOutputFilesMustBeDistinct(t *testing.T) {
	dir := t.TempDir()
	in := companiesCSV(t, dir, 10, func(int) string { return "pro" })
	mapping := filepath.Join(dir, "mapping.yaml")
	os.WriteFile(mapping, []byte("companies:\n  groupId: company_id\n"), 0o644)
	statePath := filepath.Join(dir, "state.db")
	if code, _, stderr := gi(t, "run", "--companies", in, "--out", filepath.Join(dir, "first"), "--state", statePath); code != 0 {
		t.Fatalf("first run: %d\n%s", code, stderr)
	}
	os.Symlink(in, filepath.Join(dir, "link.csv"))
	os.Link(statePath, filepath.Join(dir, "hardlink.db"))
	exports := filepath.Join(dir, "exports")
	os.Mkdir(exports, 0o755)
	os.WriteFile(filepath.Join(exports, "part-1.csv"), []byte("company_id\nx1\n"), 0o644)
	out := filepath.Join(dir, "out")
	for _, c := range []struct {
		name  string
		args  []string
		flags []string // named in the message
	}{
		{"rejects is an input", []string{"--companies", in, "--out", out, "--rejects", in}, []string{"--rejects", "--companies"}},
		{"rejects is an input, by another name", []string{"--companies", in, "--out", out, "--rejects", filepath.Join(dir, ".", "link.csv")}, []string{"--rejects", "--companies"}},
		{"report is the state", []string{"--companies", in, "--out", out, "--state", statePath, "--report", statePath}, []string{"--report", "--state"}},
		{"report is the state, hard linked", []string{"--companies", in, "--out", out, "--state", statePath, "--report", filepath.Join(dir, "hardlink.db")}, []string{"--report", "--state"}},
		{"report is the rejects", []string{"--companies", in, "--endpoint", "http://127.0.0.1:1/v1/batch", "--dry-run", "--report", filepath.Join(dir, "r.json"), "--rejects", filepath.Join(dir, "r.json")}, []string{"--report", "--rejects"}},
		{"metrics is the mapping", []string{"--companies", in, "--out", out, "--mapping", mapping, "--metrics-file", mapping}, []string{"--metrics-file", "--mapping"}},
		{"state is an input", []string{"--companies", in, "--out", out, "--state", in}, []string{"--state", "--companies"}},
		{"report in an input directory", []string{"--companies", exports, "--out", out, "--report", filepath.Join(exports, "report.json")}, []string{"--report", "--companies"}},
		{"out in an input directory", []string{"--companies", exports, "--out", filepath.Join(exports, "out")}, []string{"--out", "--companies"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := snapshot(t, dir)
			code, _, stderr := gi(t, append([]string{"run"}, c.args...)...)
			if code != 2 {
				t.Fatalf("exit %d, want 2\n%s", code, stderr)
			}
			for _, f := range c.flags {
				if !strings.Contains(stderr, f) {
					t.Errorf("the message does not name %s:\n%s", f, stderr)
				}
			}
			if after := snapshot(t, dir); after != before {
				t.Errorf("files changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
}

// snapshot lists the files under dir with their sizes and contents' hash.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		fmt.Fprintf(&b, "%s:%v:%d", strings.TrimPrefix(p, dir), info.IsDir(), info.Size())
		if info.Mode().IsRegular() {
			data, _ := os.ReadFile(p)
			fmt.Fprintf(&b, ":%x", fnv(data))
		}
		b.WriteString(" ")
		return nil
	})
	return b.String()
}

func fnv(data []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range data {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return h
}

// Corrupt or empty state files: exit 1 with "the state file is damaged",
// the path and what to do, a report written, no temporary file left, the
// file unchanged (before: a panic with exit 2 and no report, or an empty
// file taken for a new state). --full moves the file aside and starts over.
func TestDamagedState(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	random := make([]byte, 20000)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	for name, content := range map[string][]byte{"random bytes": random, "zero length": {}, "scribbled pages": nil} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			in := companiesCSV(t, dir, 10, func(int) string { return "pro" })
			sdir := filepath.Join(dir, "state")
			os.Mkdir(sdir, 0o755)
			statePath := filepath.Join(sdir, "crm.state")
			if content == nil {
				// a real state whose pages after the two meta pages are overwritten
				if code, _, stderr := gi(t, "run", "--companies", in, "--out", filepath.Join(dir, "first"), "--state", statePath); code != 0 {
					t.Fatalf("first run: %d\n%s", code, stderr)
				}
				content, _ = os.ReadFile(statePath)
				for i := 8192; i < len(content); i++ {
					content[i] = byte(r.Uint32())
				}
			}
			os.WriteFile(statePath, content, 0o600)
			out := filepath.Join(dir, "out")
			args := []string{"run", "--companies", in, "--out", out, "--state", statePath, "--delete-missing"}
			code, _, stderr := gi(t, args...)
			if code != 1 || !strings.Contains(stderr, "the state file is damaged") || !strings.Contains(stderr, statePath) ||
				!strings.Contains(stderr, "--full") || !strings.Contains(stderr, "backup") {
				t.Fatalf("exit %d, want 1 with a message saying what to do\n%s", code, stderr)
			}
			sameExitCode(t, filepath.Join(out, "report.json"), code)
			if data, _ := os.ReadFile(statePath); !bytes.Equal(data, content) {
				t.Error("the damaged state was changed")
			}
			for _, d := range []string{sdir, out} {
				entries, _ := os.ReadDir(d)
				for _, e := range entries {
					if e.Name() != "crm.state" && e.Name() != "report.json" {
						t.Errorf("left in %s: %s", d, e.Name())
					}
				}
			}

			// --full starts over, keeping the damaged file aside
			code, _, stderr = gi(t, append(args, "--full", "--overwrite")...)
			if code != 0 || !strings.Contains(stderr, "moved aside") {
				t.Fatalf("--full: exit %d\n%s", code, stderr)
			}
			aside, _ := filepath.Glob(statePath + ".damaged-*")
			if len(aside) != 1 {
				t.Fatalf("moved aside: %v", aside)
			}
			if data, _ := os.ReadFile(aside[0]); !bytes.Equal(data, content) {
				t.Error("the file moved aside is not the damaged file")
			}
			// and the new state works: nothing changed, nothing sent
			code, _, stderr = gi(t, append(args, "--overwrite")...)
			if rep := readReport(t, filepath.Join(out, "report.json")); code != 0 || rep.Totals.Emitted != 0 || rep.Totals.Read != 10 {
				t.Fatalf("after --full: exit %d, totals %+v\n%s", code, rep.Totals, stderr)
			}
		})
	}
}

// Exit code 4: another run holds the state's lock; nothing is done.
func TestLockedState(t *testing.T) {
	dir := t.TempDir()
	in := companiesCSV(t, dir, 10, func(int) string { return "pro" })
	statePath := filepath.Join(dir, "state.db")
	st, err := state.Open(statePath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	out := filepath.Join(dir, "out")
	reportPath := filepath.Join(dir, "report.json")
	code, _, stderr := gi(t, "run", "--companies", in, "--out", out, "--state", statePath, "--report", reportPath)
	if code != 4 || !strings.Contains(stderr, "another groupimport run is using this state file") {
		t.Fatalf("exit %d, want 4\n%s", code, stderr)
	}
	sameExitCode(t, reportPath, code)
	if _, err := os.Stat(out); err == nil {
		t.Error("the output directory was created")
	}
	if _, stdout, _ := gi(t, "--help"); !strings.Contains(stdout, "4  nothing done: another run holds the state's lock") {
		t.Errorf("--help does not explain exit status 4:\n%s", stdout)
	}
	// the default report would go into --out, which the running run may
	// be using: it is not written there
	code, _, stderr = gi(t, "run", "--companies", in, "--out", out, "--state", statePath)
	if _, err := os.Stat(filepath.Join(out, "report.json")); code != 4 || err == nil || !strings.Contains(stderr, "give --report FILE") {
		t.Errorf("default report: exit %d, report.json in --out: %v\n%s", code, err == nil, stderr)
	}
}

// Dry runs never create or change a state: a dry run works on a read-only
// copy in a read-only directory and leaves it byte for byte as it was
// (before: it rewrote the file and failed on a read-only copy), and leaves
// a missing state missing (before: it created one).
func TestDryRunLeavesTheStateAlone(t *testing.T) {
	dir := t.TempDir()
	in := companiesCSV(t, dir, 50, func(int) string { return "pro" })
	statePath := filepath.Join(dir, "state.db")
	if code, _, stderr := gi(t, "run", "--companies", in, "--out", filepath.Join(dir, "first"), "--state", statePath); code != 0 {
		t.Fatalf("first run: %d\n%s", code, stderr)
	}
	in = companiesCSV(t, dir, 50, func(i int) string { return map[bool]string{true: "enterprise", false: "pro"}[i < 5] })
	ro := filepath.Join(dir, "readonly")
	os.Mkdir(ro, 0o755)
	roState := filepath.Join(ro, "state.db")
	data, _ := os.ReadFile(statePath)
	os.WriteFile(roState, data, 0o444)
	os.Chmod(roState, 0o444)
	os.Chmod(ro, 0o555)
	defer os.Chmod(ro, 0o755)
	before := snapshot(t, ro)

	out := filepath.Join(dir, "review")
	code, _, stderr := gi(t, "run", "--companies", in, "--out", out, "--state", roState, "--dry-run", "--delete-missing")
	if code != 0 || !strings.Contains(stderr, "5 changed") {
		t.Fatalf("dry run: exit %d\n%s", code, stderr)
	}
	if payloads := readLines(t, filepath.Join(out, "payloads-00001.ndjson")); len(payloads) != 5 {
		t.Errorf("the dry run would send %d, want the 5 changed", len(payloads))
	}
	if after := snapshot(t, ro); after != before {
		t.Errorf("the read-only state or its directory changed:\n%s\n%s", before, after)
	}
	if os.Getuid() == 0 {
		asNobody(t, ro, "run", "--companies", in, "--out", filepath.Join(dir, "nobody", "review"), "--state", roState, "--dry-run")
		if after := snapshot(t, ro); after != before {
			t.Errorf("the read-only state changed under an unprivileged dry run")
		}
	}

	missing := filepath.Join(dir, "new", "state.db")
	os.Mkdir(filepath.Dir(missing), 0o755)
	code, _, stderr = gi(t, "run", "--companies", in, "--out", filepath.Join(dir, "review3"), "--state", missing, "--dry-run")
	if code != 0 || !strings.Contains(stderr, "no state at "+missing+" yet") {
		t.Fatalf("dry run, no state: exit %d\n%s", code, stderr)
	}
	if entries, _ := os.ReadDir(filepath.Dir(missing)); len(entries) != 0 {
		t.Errorf("the dry run created %v", entries)
	}
}

// asNobody runs the command as an unprivileged user (for a test run by
// root, whom file modes do not stop), and fails the test if it fails.
func asNobody(t *testing.T, dir string, args ...string) {
	t.Helper()
	bin := buildBinary(t)
	// the binary, the inputs and the outputs must be reachable
	for _, p := range []string{bin, dir} {
		for d := filepath.Dir(p); d != os.TempDir() && d != "/" && d != "."; d = filepath.Dir(d) {
			if st, err := os.Stat(d); err == nil && st.Mode().Perm()&0o005 == 0 {
				os.Chmod(d, st.Mode().Perm()|0o755)
			}
		}
	}
	work := filepath.Join(filepath.Dir(dir), "nobody")
	os.Mkdir(work, 0o777)
	os.Chmod(work, 0o777)
	cmd := exec.Command(bin, args...)
	cmd.Dir = work
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("as nobody: %v\n%s", err, out)
	}
}
