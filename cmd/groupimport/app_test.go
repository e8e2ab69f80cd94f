package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/groupimport/groupimport/internal/speccheck"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const fixtures = "../../fixtures/"

// cli runs the real command line in-process.
func gi(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), append([]string{"groupimport"}, args...), &o, &e)
	return code, o.String(), e.String()
}

// specCheck runs the independent SPEC checker over a run's payloads, in
// order (objects, relationships, deletes), with messageIds unique.
func specCheck(t *testing.T, lines []string, opts speccheck.Options) {
	t.Helper()
	opts.CheckOrder = true
	rep := speccheck.CheckStream(strings.NewReader(strings.Join(lines, "\n")+"\n"), opts)
	for _, p := range rep.Problems {
		t.Errorf("speccheck: %v", p)
	}
	if rep.Messages != len(lines) {
		t.Errorf("speccheck saw %d messages, want %d", rep.Messages, len(lines))
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(path, ".zst") {
		d, _ := zstd.NewReader(nil)
		if data, err = d.DecodeAll(data, nil); err != nil {
			t.Fatal(err)
		}
	}
	s := strings.TrimSuffix(string(data), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

type reportFile struct {
	Status   string
	ExitCode int `json:"exit_code"`
	Totals   struct {
		Read, Emitted, Rejected         int64
		Skipped                         int64 `json:"skipped"`
		Delivered, Undelivered, Refused *int64
	}
	Kinds map[string]struct {
		Read, Emitted, Rejected         int64
		Delivered, Undelivered, Refused *int64
	}
	Files []struct {
		Path                            string
		Read, Emitted, Rejected         int64
		Delivered, Undelivered, Refused *int64
		Error                           string
	}
	Errors []string
	Plan   struct {
		VanishedObjects int64  `json:"deletes_of_missing_objects"`
		RejectedKept    int64  `json:"rejected_keys_kept"`
		DeletesWithheld string `json:"deletes_of_missing_withheld"`
	}
}

func readReport(t *testing.T, path string) reportFile {
	t.Helper()
	var r reportFile
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	if r.Totals.Read != r.Totals.Emitted+r.Totals.Rejected+r.Totals.Skipped {
		t.Errorf("report: read %d != emitted %d + rejected %d + skipped %d", r.Totals.Read, r.Totals.Emitted, r.Totals.Rejected, r.Totals.Skipped)
	}
	if d, u := r.Totals.Delivered, r.Totals.Undelivered; d == nil || u == nil || *d+*u != r.Totals.Emitted {
		t.Errorf("report: delivered %v + undelivered %v != emitted %d", d, u, r.Totals.Emitted)
	}
	return r
}

func golden(t *testing.T, name string, got []string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	text := strings.Join(got, "\n") + "\n"
	if *update {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update once and review the file)", err)
	}
	if string(want) != text {
		t.Errorf("%s differs from the golden file (go test -update, then review the diff):\n got:\n%s", name, text)
	}
}

// The fixtures, mapped by column names: every good row emitted, every bad
// row in the rejects file with its physical line, exit code 3.
func TestFixturesCSV(t *testing.T) {
	out := t.TempDir()
	code, _, stderr := gi(t, "run", "--companies", fixtures+"companies.csv", "--memberships", fixtures+"memberships.csv",
		"--out", out, "--timestamp", "2024-06-01T00:00:00Z")
	if code != 3 {
		t.Fatalf("exit %d, want 3\n%s", code, stderr)
	}
	payloads := readLines(t, filepath.Join(out, "payloads-00001.ndjson"))
	specCheck(t, payloads, speccheck.Options{})
	golden(t, "fixtures-csv.payloads.ndjson", payloads)
	rejects := readLines(t, filepath.Join(out, "rejects.ndjson"))
	golden(t, "fixtures-csv.rejects.ndjson", rejects)
	rep := sameExitCode(t, filepath.Join(out, "report.json"), code)
	if rep.Totals.Read != 18 || rep.Totals.Emitted != 13 || rep.Totals.Rejected != 5 || rep.ExitCode != 3 {
		t.Errorf("totals %+v exit %d", rep.Totals, rep.ExitCode)
	}
	if c := rep.Kinds["companies"]; c.Read != 11 || c.Emitted != 8 {
		t.Errorf("companies %+v", c)
	}
	// objects before relationships
	seenPerson := false
	for _, p := range payloads {
		hasPerson := strings.Contains(p, `"userId"`) || strings.Contains(p, `"anonymousId"`)
		if seenPerson && !hasPerson {
			t.Fatal("an object call after a relationship call")
		}
		seenPerson = seenPerson || hasPerson
	}
	// each reject names its line
	for _, want := range []string{`"line":10,"row":8,"column":"created_at"`, `"line":11,"row":9,"column":"company_id"`, `"line":12,"row":10,`} {
		found := false
		for _, r := range rejects {
			found = found || strings.Contains(r, want)
		}
		if !found {
			t.Errorf("no reject with %s", want)
		}
	}
}

func TestFixturesNDJSONAndMapping(t *testing.T) {
	out := t.TempDir()
	code, _, stderr := gi(t, "run", "--companies", fixtures+"companies.ndjson", "--memberships", fixtures+"memberships.ndjson",
		"--out", out, "--timestamp", "2024-06-01T00:00:00Z")
	if code != 3 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	sameExitCode(t, filepath.Join(out, "report.json"), code)
	ndjsonPayloads := readLines(t, filepath.Join(out, "payloads-00001.ndjson"))
	specCheck(t, ndjsonPayloads, speccheck.Options{})
	golden(t, "fixtures-ndjson.payloads.ndjson", ndjsonPayloads)
	golden(t, "fixtures-ndjson.rejects.ndjson", readLines(t, filepath.Join(out, "rejects.ndjson")))

	out2 := t.TempDir()
	code, _, stderr = gi(t, "run", "--mapping", fixtures+"mapping.yaml", "--companies", fixtures+"companies.csv",
		"--memberships", fixtures+"memberships.csv", "--out", out2, "--timestamp", "2024-06-01T00:00:00Z")
	if code != 3 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	sameExitCode(t, filepath.Join(out2, "report.json"), code)
	mapped := readLines(t, filepath.Join(out2, "payloads-00001.ndjson"))
	specCheck(t, mapped, speccheck.Options{})
	golden(t, "fixtures-mapping.payloads.ndjson", mapped)
}

// Two runs over the same input give byte-identical files; compressed
// copies give the same payloads as the plain files.
func TestDeterministicAndCompressedInputs(t *testing.T) {
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	args := []string{"run", "--timestamp", "2024-06-01T00:00:00Z", "-q"}
	gi(t, append(args, "--companies", fixtures+"companies.csv", "--out", a)...)
	gi(t, append(args, "--companies", fixtures+"companies.csv", "--out", b)...)
	gi(t, append(args, "--companies", fixtures+"compressed/companies.csv.gz", "--out", c, "--compress", "zstd")...)
	pa := readLines(t, filepath.Join(a, "payloads-00001.ndjson"))
	pb := readLines(t, filepath.Join(b, "payloads-00001.ndjson"))
	pc := readLines(t, filepath.Join(c, "payloads-00001.ndjson.zst"))
	if strings.Join(pa, "\n") != strings.Join(pb, "\n") {
		t.Error("two runs differ")
	}
	if strings.Join(pa, "\n") != strings.Join(pc, "\n") {
		t.Error("gzip input / zstd output differs from plain")
	}
	d := t.TempDir()
	gi(t, append(args, "--companies", fixtures+"compressed/companies.ndjson.zst", "--out", d)...)
	e := t.TempDir()
	gi(t, append(args, "--companies", fixtures+"companies.ndjson", "--out", e)...)
	if strings.Join(readLines(t, filepath.Join(d, "payloads-00001.ndjson")), "\n") != strings.Join(readLines(t, filepath.Join(e, "payloads-00001.ndjson")), "\n") {
		t.Error("zstd NDJSON input differs from plain")
	}
}

func TestSemicolonCRLFBOM(t *testing.T) {
	out := t.TempDir()
	code, _, stderr := gi(t, "run", "--companies", fixtures+"companies_semicolon.csv", "--out", out, "--timestamp", "2024-06-01T00:00:00Z")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	lines := readLines(t, filepath.Join(out, "payloads-00001.ndjson"))
	specCheck(t, lines, speccheck.Options{})
	if len(lines) != 3 || !strings.Contains(lines[1], `"name":"Café de la Gare"`) || !strings.Contains(lines[2], `"name":"Atelier Müller"`) ||
		!strings.Contains(lines[0], `"groupId":"fr-001"`) || !strings.Contains(lines[0], `"employees":12`) ||
		!strings.Contains(lines[0], `"createdAt":"2021-06-01T00:00:00.000Z"`) {
		t.Errorf("payloads:\n%s", strings.Join(lines, "\n"))
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	clean := filepath.Join(dir, "clean.csv")
	os.WriteFile(clean, []byte("company_id,name\nc1,One\nc2,Two\n"), 0o644)
	badMap := filepath.Join(dir, "map.yaml")
	os.WriteFile(badMap, []byte("companies:\n  groupId: company_id\n  traits:\n    name: company_nme\n"), 0o644)
	brokenMap := filepath.Join(dir, "broken.yaml")
	os.WriteFile(brokenMap, []byte("companies:\n  groupId: company_id\n  trait:\n    name: name\n"), 0o644)
	cut := filepath.Join(dir, "cut.csv.gz")
	gz, _ := os.ReadFile(fixtures + "compressed/companies.csv.gz")
	os.WriteFile(cut, gz[:len(gz)-20], 0o644)

	cases := []struct {
		name string
		args []string
		want int
		msg  string
	}{ // the report, if any, is --out's
		{"clean", []string{"run", "--companies", clean, "--out", filepath.Join(dir, "o1")}, 0, ""},
		{"rejects", []string{"run", "--companies", fixtures + "companies.csv", "--out", filepath.Join(dir, "o2")}, 3, ""},
		{"mapping names a missing column", []string{"run", "--mapping", badMap, "--companies", clean, "--out", filepath.Join(dir, "o3")}, 2, `"company_nme" (line 4)`},
		{"mapping file missing", []string{"run", "--mapping", filepath.Join(dir, "nope.yaml"), "--companies", clean, "--out", filepath.Join(dir, "o8")}, 2, "nope.yaml: no such file or directory"},
		{"mapping with a mistake", []string{"run", "--mapping", brokenMap, "--companies", clean, "--out", filepath.Join(dir, "o9")}, 2, `broken.yaml:3: unknown key "trait"`},
		{"unknown flag", []string{"run", "--companies", clean, "--out", dir, "--frobnicate"}, 2, "frobnicate"},
		{"no destination", []string{"run", "--companies", clean}, 2, "no destination"},
		{"no input", []string{"run", "--out", dir}, 2, "no input"},
		{"glob matches nothing", []string{"run", "--companies", filepath.Join(dir, "*.nope"), "--out", filepath.Join(dir, "o4")}, 2, "no file matches"},
		{"bad compress", []string{"run", "--companies", clean, "--out", filepath.Join(dir, "o5"), "--compress", "lz4"}, 2, "--compress"},
		{"truncated input", []string{"run", "--companies", cut, "--out", filepath.Join(dir, "o6")}, 1, "truncated"},
		{"validate with rejects", []string{"validate", "--companies", fixtures + "companies.csv"}, 3, ""},
		{"files of two kinds unnamed", []string{"run", "--companies", clean, "--memberships", clean, clean, "--out", filepath.Join(dir, "o7")}, 2, "--companies or --memberships"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := gi(t, c.args...)
			if code != c.want {
				t.Fatalf("exit %d, want %d\n%s", code, c.want, stderr)
			}
			if c.msg != "" && !strings.Contains(stderr, c.msg) {
				t.Errorf("stderr lacks %q:\n%s", c.msg, stderr)
			}
			for i, a := range c.args {
				if a == "--out" && c.args[i+1] != dir {
					sameExitCode(t, filepath.Join(c.args[i+1], "report.json"), code)
				}
			}
		})
	}
}

func TestShellGlobExpansionAfterFlag(t *testing.T) {
	// `--companies data/*.csv` reaches us as --companies a.csv b.csv
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	os.WriteFile(a, []byte("company_id\nc1\n"), 0o644)
	os.WriteFile(b, []byte("company_id\nc2\n"), 0o644)
	out := filepath.Join(dir, "out")
	code, _, stderr := gi(t, "run", "--out", out, "--companies", a, b)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if n := len(readLines(t, filepath.Join(out, "payloads-00001.ndjson"))); n != 2 {
		t.Errorf("%d payloads, want 2", n)
	}
}

func TestOutputDirectoryOfAnotherRun(t *testing.T) {
	out := t.TempDir()
	args := []string{"run", "--companies", fixtures + "companies_semicolon.csv", "--out", out, "-q"}
	if code, _, _ := gi(t, args...); code != 0 {
		t.Fatal("first run failed")
	}
	code, _, stderr := gi(t, args...)
	if code != 2 || !strings.Contains(stderr, "--overwrite") {
		t.Fatalf("second run into the same --out: exit %d\n%s", code, stderr)
	}
	sameExitCode(t, filepath.Join(out, "report.json"), 0) // still the first run's: a usage error writes nothing
	if code, _, _ := gi(t, append(args, "--overwrite")...); code != 0 {
		t.Fatal("--overwrite refused")
	}
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}

func TestStdoutAndValidateWriteNoFiles(t *testing.T) {
	dir := t.TempDir()
	stateHome := t.TempDir()
	t.Setenv("XDG_STATE_HOME", stateHome)
	wd, _ := os.Getwd()
	abs := func(p string) string { return filepath.Join(wd, p) }
	t.Chdir(dir)
	code, stdout, stderr := gi(t, "run", "--companies", abs(fixtures+"companies_semicolon.csv"), "--out", "-")
	if code != 0 || strings.Count(stdout, "\n") != 3 || !strings.HasPrefix(stdout, `{"type":"group"`) {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
	// the report goes into the user's state directory, and the summary says so
	report := filepath.Join(stateHome, "groupimport", "report.json")
	sameExitCode(t, report, code)
	if !strings.Contains(stderr, "  report: "+report+"\n") || !strings.Contains(stderr, "  rejects: "+filepath.Join(stateHome, "groupimport", "rejects.ndjson")) {
		t.Errorf("the summary does not name the report and rejects:\n%s", stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("run --out - wrote into the working directory: %v", entries)
	}
	vdir := t.TempDir()
	t.Chdir(vdir)
	code, stdout, _ = gi(t, "validate", "--companies", abs(fixtures+"companies.csv"), "-q", "--review")
	if code != 3 || stdout != "" {
		t.Fatalf("validate: exit %d stdout %q", code, stdout)
	}
	if entries, _ := os.ReadDir(vdir); len(entries) != 0 {
		t.Errorf("validate wrote files into the working directory: %v", entries)
	}
	sameExitCode(t, report, code)
	for _, f := range []string{"review.md", "review.html", "rejects.ndjson"} {
		if _, err := os.Stat(filepath.Join(stateHome, "groupimport", f)); err != nil {
			t.Errorf("validate --review: %v", err)
		}
	}
}

func TestInitThenRun(t *testing.T) {
	dir := t.TempDir()
	mapping := filepath.Join(dir, "mapping.yaml")
	code, _, stderr := gi(t, "init", fixtures+"companies.csv", fixtures+"memberships.csv", "--output", mapping)
	if code != 0 {
		t.Fatalf("init: exit %d\n%s", code, stderr)
	}
	text, _ := os.ReadFile(mapping)
	for _, want := range []string{"companies:", "memberships:", "groupId: company_id", "userId: user_id", "createdAt: created_at", "address.city: city"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("init output lacks %q:\n%s", want, text)
		}
	}
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	base := []string{"run", "--companies", fixtures + "companies.csv", "--memberships", fixtures + "memberships.csv", "--timestamp", "2024-06-01T00:00:00Z", "-q"}
	gi(t, append(base, "--out", a)...)
	code, _, stderr = gi(t, append(base, "--out", b, "--mapping", mapping)...)
	if code != 3 {
		t.Fatalf("run with the init mapping: exit %d\n%s", code, stderr)
	}
	sameExitCode(t, filepath.Join(b, "report.json"), code)
	if strings.Join(readLines(t, filepath.Join(a, "payloads-00001.ndjson")), "\n") != strings.Join(readLines(t, filepath.Join(b, "payloads-00001.ndjson")), "\n") {
		t.Error("the init mapping gives other payloads than inference")
	}
	if code, _, _ := gi(t, "init", fixtures+"companies.csv", "--output", mapping); code != 2 {
		t.Error("init overwrote a file without --force")
	}
}

func TestInspect(t *testing.T) {
	code, stdout, _ := gi(t, "inspect", fixtures+"companies_semicolon.csv", fixtures+"compressed/companies.ndjson.zst")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"delimiter:    semicolon", "rows:         3", "format:       ndjson (compression: zstd", "groupId ← \"group_id\"", "mapping it would infer"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("inspect lacks %q:\n%s", want, stdout)
		}
	}
}

// The README's Quick start must keep working: its first command exits 0 on
// the clean sample, the second 3 on the one with broken rows.
func TestReadmeExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Skip("no README")
	}
	sc := bufio.NewScanner(bytes.NewReader(readme))
	var codes []int
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "go run ./cmd/groupimport run ") {
			args := strings.Fields(strings.TrimPrefix(line, "go run ./cmd/groupimport "))
			for i, a := range args {
				if strings.HasPrefix(a, "fixtures/") {
					args[i] = fixtures + strings.TrimPrefix(a, "fixtures/")
				}
				if a == "--out" {
					args[i+1] = filepath.Join(t.TempDir(), "out")
				}
			}
			code, _, stderr := gi(t, args...)
			codes = append(codes, code)
			for i, a := range args {
				if a == "--out" {
					sameExitCode(t, filepath.Join(args[i+1], "report.json"), code)
				}
			}
			if len(codes) == 1 && code != 0 {
				t.Errorf("the Quick start's main command %q: exit %d, want 0\n%s", line, code, stderr)
			}
		}
	}
	if len(codes) < 2 || codes[1] != 3 {
		t.Errorf("the README's Quick start: exit codes %v, want 0 then 3 (a command that shows rejects)", codes)
	}
}

// Companies, memberships and deletions of both kinds in one run: objects
// first, then relationships, then relationship deletes, then object
// deletes; duplicates resolved (the last row wins); counts per kind.
func TestMembershipsAndDeletes(t *testing.T) {
	out := t.TempDir()
	code, _, stderr := gi(t, "run", "--companies", fixtures+"companies_incremental.csv", "--memberships", fixtures+"memberships.ndjson",
		"--delete-objects", fixtures+"deletes/objects_to_delete.csv", "--delete-relationships", fixtures+"deletes/relationships_to_delete.csv",
		"--out", out, "--timestamp", "2024-06-01T00:00:00Z")
	if code != 3 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	payloads := readLines(t, filepath.Join(out, "payloads-00001.ndjson"))
	specCheck(t, payloads, speccheck.Options{})
	golden(t, "deletes.payloads.ndjson", payloads)
	golden(t, "deletes.rejects.ndjson", readLines(t, filepath.Join(out, "rejects.ndjson")))
	// the order of kinds
	stage := func(p string) int {
		switch {
		case strings.Contains(p, `"event":"Object Deleted"`):
			return 3
		case strings.Contains(p, `"event":"Relationship Deleted"`):
			return 2
		case strings.Contains(p, `"userId"`) || strings.Contains(p, `"anonymousId"`):
			return 1
		}
		return 0
	}
	last := 0
	for _, p := range payloads {
		if s := stage(p); s < last {
			t.Fatalf("out of order: %s", p)
		} else {
			last = s
		}
	}
	rep := sameExitCode(t, filepath.Join(out, "report.json"), code)
	want := map[string][3]int64{ // read, emitted, rejected
		"companies": {6, 4, 1}, "memberships": {5, 2, 2}, "object_deletes": {4, 2, 2}, "relationship_deletes": {3, 1, 2},
	}
	for k, w := range want {
		c := rep.Kinds[k]
		if c.Read != w[0] || c.Emitted != w[1] || c.Rejected != w[2] {
			t.Errorf("%s: %+v, want read/emitted/rejected %v", k, c, w)
		}
	}
	// acc-001 appears twice: only the later row (plan enterprise) is sent
	n := 0
	for _, p := range payloads {
		if strings.Contains(p, `"groupId":"acc-001"`) {
			n++
			if !strings.Contains(p, `"plan":"enterprise"`) {
				t.Errorf("the earlier row of acc-001 won: %s", p)
			}
		}
	}
	if n != 1 {
		t.Errorf("acc-001 sent %d times", n)
	}
	// keep sends both, in input order
	out2 := t.TempDir()
	gi(t, "run", "--companies", fixtures+"companies_incremental.csv", "--out", out2, "--duplicates", "keep", "-q")
	both := 0
	for _, p := range readLines(t, filepath.Join(out2, "payloads-00001.ndjson")) {
		if strings.Contains(p, `"groupId":"acc-001"`) {
			both++
		}
	}
	if both != 2 {
		t.Errorf("--duplicates keep sent acc-001 %d times", both)
	}
}

// On standard output (as for the HTTP API), superseded rows must never be
// written: a first pass finds them.
func TestDuplicatesOnStdout(t *testing.T) {
	reportPath := filepath.Join(t.TempDir(), "r.json")
	code, stdout, stderr := gi(t, "run", "--companies", fixtures+"companies_incremental.csv", "--out", "-", "-q", "--report", reportPath, "--rejects", filepath.Join(t.TempDir(), "x.ndjson"))
	if code != 3 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	sameExitCode(t, reportPath, code)
	if strings.Count(stdout, `"groupId":"acc-001"`) != 1 || !strings.Contains(stdout, `"plan":"enterprise"`) {
		t.Errorf("stdout:\n%s", stdout)
	}
}

// Memberships can carry their object's traits, joined from the companies
// input of the same run (all of them, or the listed ones).
func TestIncludeObjectTraits(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		include string
		want    []string
		not     []string
	}{
		{"true", []string{`"name":"Acme Corp"`, `"address":{"city":"Phoenix"`, `"employees":329`}, nil},
		{"[name, plan]", []string{`"name":"Acme Corp","plan":"enterprise","relationshipAttributes"`}, []string{`"industry"`}},
	} {
		mapping := filepath.Join(dir, "m.yaml")
		os.WriteFile(mapping, []byte("memberships:\n  groupId: company_id\n  userId: user_id\n  anonymousId: anonymous_id\n  include_object_traits: "+c.include+"\n"), 0o644)
		for _, dest := range []string{"dir", "-"} {
			out := filepath.Join(t.TempDir(), "out")
			args := []string{"run", "--mapping", mapping, "--companies", fixtures + "companies.csv", "--memberships", fixtures + "memberships.csv",
				"--timestamp", "2024-06-01T00:00:00Z", "-q", "--report", filepath.Join(dir, "r.json"), "--rejects", filepath.Join(dir, "x.ndjson")}
			if dest == "dir" {
				args = append(args, "--out", out)
			} else {
				args = append(args, "--out", "-")
			}
			code, stdout, stderr := gi(t, args...)
			if code != 3 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			sameExitCode(t, filepath.Join(dir, "r.json"), code)
			lines := strings.Split(strings.TrimSpace(stdout), "\n")
			if dest == "dir" {
				lines = readLines(t, filepath.Join(out, "payloads-00001.ndjson"))
			}
			specCheck(t, lines, speccheck.Options{})
			var acme string
			for _, l := range lines {
				if strings.Contains(l, `"userId":"u-1001"`) {
					acme = l
				}
			}
			for _, w := range c.want {
				if !strings.Contains(acme, w) {
					t.Errorf("include %s (%s): %s lacks %s", c.include, dest, acme, w)
				}
			}
			for _, w := range c.not {
				if strings.Contains(acme, w) {
					t.Errorf("include %s (%s): %s has %s", c.include, dest, acme, w)
				}
			}
		}
	}
}

// Parquet exports (a nested address struct, a list, a decimal, a DATE, a
// TIMESTAMP, nulls) through the CLI: golden payloads that pass the SPEC
// check, the bad rows rejected with their row number.
func TestFixturesParquet(t *testing.T) {
	out := t.TempDir()
	code, _, stderr := gi(t, "run", "--companies", fixtures+"companies.parquet", "--memberships", fixtures+"memberships.parquet",
		"--out", out, "--timestamp", "2024-06-01T00:00:00Z")
	if code != 3 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	sameExitCode(t, filepath.Join(out, "report.json"), code)
	payloads := readLines(t, filepath.Join(out, "payloads-00001.ndjson"))
	specCheck(t, payloads, speccheck.Options{})
	golden(t, "fixtures-parquet.payloads.ndjson", payloads)
	rejects := readLines(t, filepath.Join(out, "rejects.ndjson"))
	golden(t, "fixtures-parquet.rejects.ndjson", rejects)
	for _, r := range rejects {
		var m map[string]any
		if err := json.Unmarshal([]byte(r), &m); err != nil || m["row"] == nil || m["record"] == nil {
			t.Errorf("reject %s: %v", r, err)
		}
	}
}

// --metrics-file and --review write their files (the flags were once
// declared but never passed on).
func TestMetricsFileAndReview(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	metrics := filepath.Join(dir, "groupimport.prom")
	code, _, stderr := gi(t, "run", "--companies", fixtures+"companies.csv", "--out", out, "--review", "--metrics-file", metrics)
	if code != 3 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	sameExitCode(t, filepath.Join(out, "report.json"), code)
	data, err := os.ReadFile(metrics)
	if err != nil || !strings.Contains(string(data), "groupimport_rows{") {
		t.Errorf("metrics file: %v\n%s", err, data)
	}
	for _, f := range []string{"review.md", "review.html"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("--review: %v", err)
		}
	}
}
