package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/groupimport/groupimport/runner"
)

// sameExitCode checks that the report at path carries the process's exit
// code, with the status that goes with it. A usage error (exit 2) writes
// no report: there must be none at path (give a path no earlier run of the
// test wrote).
func sameExitCode(t *testing.T, path string, code int) reportFile {
	t.Helper()
	if code == runner.ExitUsage {
		if _, err := os.Stat(path); err == nil {
			t.Errorf("exit 2 (usage), yet a report was written: %s", path)
		}
		return reportFile{}
	}
	r := readReport(t, path)
	if r.ExitCode != code {
		t.Errorf("the report says exit_code %d, the process exited %d (%s)", r.ExitCode, code, path)
	}
	want := map[int]string{runner.ExitOK: "ok", runner.ExitFailure: "failed", runner.ExitRejected: "rejected_rows", runner.ExitLocked: "locked"}[code]
	if r.Status != want && !(code == runner.ExitFailure && r.Status == "interrupted") {
		t.Errorf("the report's status is %q, want %q for exit %d (%s)", r.Status, want, code, path)
	}
	return r
}

// A review or metrics file that cannot be written fails the run (exit 1),
// and the report, written last, says so with the same exit code and the
// reason among its errors; the metrics, written after the review, carry
// the code too.
func TestUnwritableReviewOrMetrics(t *testing.T) {
	dir := t.TempDir()
	t.Run("metrics", func(t *testing.T) {
		out := filepath.Join(dir, "m")
		// a file where its directory should be (a missing directory is made)
		notDir := filepath.Join(dir, "not-a-dir")
		os.WriteFile(notDir, nil, 0o644)
		code, _, stderr := gi(t, "run", "--companies", fixtures+"companies.csv", "--out", out,
			"--metrics-file", filepath.Join(notDir, "groupimport.prom"))
		if code != runner.ExitFailure || !strings.Contains(stderr, "writing the metrics file") {
			t.Fatalf("exit %d, want 1 naming the metrics file\n%s", code, stderr)
		}
		r := sameExitCode(t, filepath.Join(out, "report.json"), code)
		if !strings.Contains(strings.Join(r.Errors, "\n"), "writing the metrics file") {
			t.Errorf("the report's errors do not say why the run failed: %q", r.Errors)
		}
	})
	t.Run("review", func(t *testing.T) {
		out := filepath.Join(dir, "r")
		// a directory where the review goes: renaming the file over it fails
		if err := os.MkdirAll(filepath.Join(out, "review.md", "x"), 0o755); err != nil {
			t.Fatal(err)
		}
		metrics := filepath.Join(dir, "r.prom")
		code, _, stderr := gi(t, "run", "--companies", fixtures+"companies.csv", "--out", out, "--review", "--metrics-file", metrics)
		if code != runner.ExitFailure || !strings.Contains(stderr, "writing the review") {
			t.Fatalf("exit %d, want 1 naming the review\n%s", code, stderr)
		}
		sameExitCode(t, filepath.Join(out, "report.json"), code)
		if data, err := os.ReadFile(metrics); err != nil || !strings.Contains(string(data), "groupimport_last_run_exit_code 1\n") {
			t.Errorf("the metrics do not carry exit code 1: %v\n%s", err, data)
		}
		if _, err := os.Stat(filepath.Join(out, "review.html")); err != nil {
			t.Errorf("the other review file: %v", err)
		}
	})
	t.Run("report", func(t *testing.T) {
		file := filepath.Join(dir, "a-file")
		os.WriteFile(file, nil, 0o644)
		code, _, stderr := gi(t, "run", "--companies", fixtures+"companies_semicolon.csv", "--out", filepath.Join(dir, "p"),
			"--report", filepath.Join(file, "report.json"))
		if code != runner.ExitFailure || !strings.Contains(stderr, "writing the report") {
			t.Fatalf("exit %d, want 1 naming the report\n%s", code, stderr)
		}
	})
}
