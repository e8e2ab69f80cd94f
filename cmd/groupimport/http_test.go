package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/groupimport/groupimport/internal/fakeapi"
	"github.com/groupimport/groupimport/internal/speccheck"
)

const testKey = "sk_test_9f8e7d6c5b4a"

// fastRetry makes a delivery test's backoff 1 ms, doubling, instead of the
// 500 ms a real run waits first: retries cost no real time.
var fastRetry = []string{"--retry-base", "1ms"}

func companiesCSV(t *testing.T, dir string, n int, plan func(i int) string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("company_id,name,plan,employees\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "c%05d,Company %d,%s,%d\n", i, i, plan(i), i%500)
	}
	p := filepath.Join(dir, "companies.csv")
	os.WriteFile(p, []byte(b.String()), 0o644)
	return p
}

// Every row arrives despite 429s, 5xx (also after storing), slow answers
// and dropped connections; the API's strict 400s reject exactly the
// invalid calls; a second run with the state sends only what changed.
func TestDeliveryToTheAPI(t *testing.T) {
	srv := fakeapi.New(fakeapi.Options{Key: testKey,
		Validate: func(msg json.RawMessage) error {
			if strings.Contains(string(msg), `"plan":"forbidden"`) {
				return errors.New("traits.plan: value not allowed")
			}
			return nil
		},
		Chaos: fakeapi.Chaos{Seed: 7, TooManyRequests: 0.1, ServerError: 0.05, UnavailableAfterStore: 0.05, Drop: 0.05,
			DropAfterStore: 0.05, Slow: 0.05, RetryAfter: "0", SlowDelay: 50e6}})
	defer srv.Close()
	t.Setenv("CIO_API_KEY", testKey)
	dir := t.TempDir()
	in := companiesCSV(t, dir, 3000, func(i int) string {
		if i%1000 == 999 {
			return "forbidden"
		}
		return "pro"
	})
	statePath := filepath.Join(dir, "state.db")
	args := append([]string{"run", "--companies", in, "--endpoint", srv.URL(), "--state", statePath, "--batch-messages", "100",
		"--timestamp", "2024-06-01T00:00:00Z", "--report", filepath.Join(dir, "report.json"), "--rejects", filepath.Join(dir, "rejects.ndjson")},
		fastRetry...)
	code, stdout, stderr := gi(t, args...)
	if code != 3 {
		t.Fatalf("exit %d, want 3 (three calls refused)\n%s", code, stderr)
	}
	sameExitCode(t, filepath.Join(dir, "report.json"), code)
	if v := srv.Violations(); len(v) > 0 {
		t.Fatalf("the client broke the API's contract: %v", v)
	}
	msgs := srv.Messages()
	if len(msgs) != 2997 {
		t.Fatalf("%d distinct messages arrived, want 2997", len(msgs))
	}
	var lines []string
	for _, m := range msgs {
		lines = append(lines, string(m))
	}
	rep := speccheck.CheckStream(strings.NewReader(strings.Join(lines, "\n")+"\n"), speccheck.Options{ExpectSentAt: true})
	for _, p := range rep.Problems {
		t.Errorf("speccheck: %v", p)
	}
	rejects := readLines(t, filepath.Join(dir, "rejects.ndjson"))
	if len(rejects) != 3 || !strings.Contains(rejects[0], "value not allowed") || !strings.Contains(rejects[0], `"file":`) {
		t.Errorf("rejects: %q", rejects)
	}
	r := readReport(t, filepath.Join(dir, "report.json"))
	if r.Totals.Emitted != 2997 || r.Totals.Rejected != 3 {
		t.Errorf("totals %+v", r.Totals)
	}
	for _, out := range []string{stdout, stderr} {
		if strings.Contains(out, testKey) {
			t.Fatal("the API key was printed")
		}
	}

	// The second run: 10 plans changed; only those ten are sent. The three
	// refused rows were never remembered, so they are tried again.
	in = companiesCSV(t, dir, 3000, func(i int) string {
		switch {
		case i%1000 == 999:
			return "forbidden"
		case i < 10:
			return "enterprise"
		}
		return "pro"
	})
	before := len(srv.Received())
	code, _, stderr = gi(t, args...)
	if code != 3 {
		t.Fatalf("second run: exit %d\n%s", code, stderr)
	}
	sameExitCode(t, filepath.Join(dir, "report.json"), code)
	// distinct messageIds: faults that store a batch and then fail make
	// the sink send it again, legitimately
	changed := map[string]bool{}
	for _, m := range srv.Received()[before:] {
		if strings.Contains(string(m.Raw), `"plan":"enterprise"`) {
			changed[m.ID] = true
		} else if !strings.Contains(string(m.Raw), `"plan":"forbidden"`) {
			t.Errorf("an unchanged row was sent again: %s", m.Raw)
		}
	}
	if len(changed) != 10 {
		t.Errorf("second run sent %d changed rows, want 10", len(changed))
	}
}

func TestWrongKeyStopsAtOnce(t *testing.T) {
	srv := fakeapi.New(fakeapi.Options{Key: testKey})
	defer srv.Close()
	t.Setenv("CIO_API_KEY", "sk_wrong_0000")
	dir := t.TempDir()
	in := companiesCSV(t, dir, 500, func(int) string { return "pro" })
	code, stdout, stderr := gi(t, "run", "--companies", in, "--endpoint", srv.URL(), "--batch-messages", "10",
		"--report", filepath.Join(dir, "r.json"), "--rejects", filepath.Join(dir, "x.ndjson"))
	if code != 1 || !strings.Contains(stderr+stdout, "credentials") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	sameExitCode(t, filepath.Join(dir, "r.json"), code)
	if n := len(srv.Requests()); n > 8 {
		t.Errorf("%d requests after a 401: nothing should be retried", n)
	}
	if strings.Contains(stdout+stderr, "sk_wrong_0000") {
		t.Fatal("the key was printed")
	}
	data, _ := os.ReadFile(filepath.Join(dir, "r.json"))
	if strings.Contains(string(data), "sk_wrong_0000") {
		t.Fatal("the key is in the report")
	}
}

func TestNoKey(t *testing.T) {
	t.Setenv("CIO_API_KEY", "")
	dir := t.TempDir()
	in := companiesCSV(t, dir, 5, func(int) string { return "pro" })
	code, _, stderr := gi(t, "run", "--companies", in, "--region", "eu")
	if code != 2 || !strings.Contains(stderr, "CIO_API_KEY") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
}

// When the API refuses every call (a systematic problem, not bad rows),
// the run stops instead of bisecting through the whole export.
func TestEverythingRefusedStops(t *testing.T) {
	srv := fakeapi.New(fakeapi.Options{Key: testKey, Validate: func(json.RawMessage) error { return errors.New("objectTypeId 1 does not exist") }})
	defer srv.Close()
	t.Setenv("CIO_API_KEY", testKey)
	dir := t.TempDir()
	in := companiesCSV(t, dir, 20000, func(int) string { return "pro" })
	code, _, stderr := gi(t, "run", "--companies", in, "--endpoint", srv.URL(), "--batch-messages", "50",
		"--report", filepath.Join(dir, "r.json"), "--rejects", filepath.Join(dir, "x.ndjson"), "--retry-base", "1ms")
	if code != 1 || !strings.Contains(stderr, "the API refused every call it was sent: the first 100") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	sameExitCode(t, filepath.Join(dir, "r.json"), code)
	// the refused batches (8 in flight) are then resolved a call at a time
	if n := len(srv.Requests()); n > 130 {
		t.Errorf("%d requests before stopping", n)
	}
}

// --retry-base (hidden, for tests) sets the first backoff: three failed
// attempts wait less than 1 ms + 2 ms, not up to 500 ms + 1 s.
func TestRetryBase(t *testing.T) {
	srv := fakeapi.New(fakeapi.Options{Key: testKey, Chaos: fakeapi.Chaos{ServerError: 1}})
	defer srv.Close()
	t.Setenv("CIO_API_KEY", testKey)
	dir := t.TempDir()
	in := companiesCSV(t, dir, 5, func(int) string { return "pro" })
	reportPath := filepath.Join(dir, "r.json")
	code, _, stderr := gi(t, append([]string{"run", "--companies", in, "--endpoint", srv.URL(), "--max-attempts", "3",
		"--report", reportPath, "--rejects", filepath.Join(dir, "x.ndjson")}, fastRetry...)...)
	if code != 1 || !strings.Contains(stderr, "after 3 attempts") {
		t.Fatalf("exit %d, want 1 after 3 attempts\n%s", code, stderr)
	}
	sameExitCode(t, reportPath, code)
	var r struct {
		HTTP struct {
			Requests    int64
			BackoffWait time.Duration `json:"backoff_wait_ns"`
		}
	}
	data, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	if r.HTTP.Requests != 3 || r.HTTP.BackoffWait >= 3*time.Millisecond {
		t.Errorf("%d requests, %s of backoff; want 3 and under 3ms", r.HTTP.Requests, r.HTTP.BackoffWait)
	}
}
