package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/groupimport/groupimport/internal/fakeapi"
)

// normaliseReport makes a report.json comparable across runs: the
// clock's figures (timestamps, durations, rates, waits, the API's
// adaptive concurrency) become 0 and the test's directories names.
func normaliseReport(t *testing.T, path string, dirs map[string]string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for dir, name := range dirs {
		text = strings.ReplaceAll(text, dir, name)
	}
	clock := regexp.MustCompile(`("(?:started_at|finished_at)": )"[^"]*"`)
	text = clock.ReplaceAllString(text, `$1"TIME"`)
	figures := regexp.MustCompile(`("(?:duration_ms|rows_per_second|[a-z_]+_wait_ns)": )[0-9.e+-]+`)
	text = figures.ReplaceAllString(text, `${1}0`)
	return strings.Split(strings.TrimSuffix(text, "\n"), "\n")
}

// report.json is a contract (groupimport.report/v1): the report of fixed
// runs, against golden files a person has read, so that a change to a
// pipeline or sink struct cannot change it unseen. The first run is a dry
// run with the review (files, ignored files, mapping, output, reasons,
// first rejections, warnings, review); the second delivers to the API with
// --state (plan, http, a call the API refused), uncompressed: a gzipped
// body's size depends on its sentAt.
func TestReportGolden(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "companies")
	os.MkdirAll(in, 0o755)
	csv, err := os.ReadFile(fixtures + "companies.csv")
	if err != nil {
		t.Fatal(err)
	}
	// two rows with invalid UTF-8 (Latin-1 bytes) in the same column at
	// different offsets: one reason, counted twice
	csv = append(csv, "a0000001,Caf\xe9 Noir,Food,3,2020-01-01,2024-05-01,Lyon,,FR,,,pro,1,false,\n"...)
	csv = append(csv, "a0000002,Gro\xdfe M\xfchle,Food,4,2020-01-01,2024-05-01,Wien,,AT,,,pro,1,false,\n"...)
	os.WriteFile(filepath.Join(in, "part-0.csv"), csv, 0o644)
	os.WriteFile(filepath.Join(in, "_SUCCESS"), nil, 0o644)
	out := filepath.Join(dir, "out")
	code, _, stderr := gi(t, "run", "--dry-run", "--companies", in, "--memberships", fixtures+"memberships.ndjson",
		"--delete-objects", fixtures+"deletes/objects_to_delete.csv", "--out", out, "--timestamp", "2024-06-01T00:00:00Z")
	if code != 3 {
		t.Fatalf("dry run: exit %d\n%s", code, stderr)
	}
	sameExitCode(t, filepath.Join(out, "report.json"), code)
	golden(t, "report-dry-run.json", normaliseReport(t, filepath.Join(out, "report.json"), map[string]string{dir: "TMP"}))

	srv := fakeapi.New(fakeapi.Options{Key: testKey, Validate: func(msg json.RawMessage) error {
		if strings.Contains(string(msg), `"groupId":"1a2b3c4d"`) {
			return errors.New("traits.total_billed: value not allowed")
		}
		return nil
	}})
	defer srv.Close()
	t.Setenv("CIO_API_KEY", testKey)
	rep := filepath.Join(dir, "api-report.json")
	code, _, stderr = gi(t, "run", "--companies", fixtures+"companies.csv", "--endpoint", srv.URL(), "--state", filepath.Join(dir, "state.db"),
		"--no-gzip", "--timestamp", "2024-06-01T00:00:00Z", "--report", rep, "--rejects", filepath.Join(dir, "rejects.ndjson"))
	if code != 3 {
		t.Fatalf("API run: exit %d\n%s", code, stderr)
	}
	sameExitCode(t, rep, code)
	golden(t, "report-api.json", normaliseReport(t, rep, map[string]string{dir: "TMP", srv.BaseURL(): "API"}))
}
