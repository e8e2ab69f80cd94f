package main

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/groupimport/groupimport/internal/fakeapi"
	"github.com/groupimport/groupimport/sink"
)

// startKilled starts the binary and SIGKILLs it after d; it reports
// whether the process was still running then.
func startKilled(t *testing.T, bin string, env []string, d time.Duration, args ...string) bool {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		return false
	case <-time.After(d):
		cmd.Process.Signal(syscall.SIGKILL)
		<-done
		return true
	}
}

// Killed at random moments while writing files: no part under a final
// name is ever incomplete, and a rerun produces the same output as a run
// that was never killed.
func TestKillWhileWritingFiles(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	in := companiesCSV(t, dir, 100000, func(i int) string { return []string{"pro", "starter"}[i%2] })
	clean := filepath.Join(dir, "clean")
	base := []string{"run", "--companies", in, "--part-size", "2MiB", "--timestamp", "2024-06-01T00:00:00Z", "-q", "--workers", "2"}
	if out, err := exec.Command(bin, append(base, "--out", clean)...).CombinedOutput(); err != nil {
		t.Fatalf("clean run: %v\n%s", err, out)
	}
	want := readParts(t, clean)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 4; i++ {
		out := filepath.Join(dir, "killed")
		killed := startKilled(t, bin, nil, time.Duration(20+r.IntN(400))*time.Millisecond, append(base, "--out", out, "--overwrite")...)
		entries, _ := os.ReadDir(out)
		for _, e := range entries {
			name := e.Name()
			if !strings.HasPrefix(name, "payloads-") {
				continue
			}
			data, _ := os.ReadFile(filepath.Join(out, name))
			if len(data) == 0 || data[len(data)-1] != '\n' {
				t.Fatalf("attempt %d: part %s under its final name is incomplete", i, name)
			}
			for _, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
				if !json.Valid(line) {
					t.Fatalf("attempt %d: part %s holds a broken line", i, name)
				}
			}
		}
		if _, err := os.Stat(filepath.Join(out, "report.json")); killed && err == nil && i == 0 {
			t.Logf("attempt %d finished before the kill", i)
		}
		// the rerun replaces the leftovers and gives the clean output
		if o, err := exec.Command(bin, append(base, "--out", out, "--overwrite")...).CombinedOutput(); err != nil {
			t.Fatalf("rerun: %v\n%s", err, o)
		}
		if got := readParts(t, out); got != want {
			t.Fatalf("attempt %d: the rerun differs from a clean run", i)
		}
	}
}

func readParts(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "payloads-") {
			data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			b.Write(data)
		} else if strings.HasPrefix(e.Name(), ".") {
			t.Fatalf("a temporary file is left: %s", e.Name())
		}
	}
	return b.String()
}

// Killed (SIGKILL) while delivering with --state, then started again with
// the same command: every row arrives, and what is sent twice is bounded by
// what was in flight.
func TestKillAndResumeDelivery(t *testing.T) {
	bin := buildBinary(t)
	srv := fakeapi.New(fakeapi.Options{Key: testKey, Latency: 40 * time.Millisecond})
	defer srv.Close()
	dir := t.TempDir()
	const rows, batch, conc = 20000, 200, 2
	in := companiesCSV(t, dir, rows, func(i int) string { return "pro" })
	env := []string{"CIO_API_KEY=" + testKey}
	args := []string{"run", "--companies", in, "--endpoint", srv.URL(), "--state", filepath.Join(dir, "state.db"),
		"--batch-messages", "200", "--concurrency", "2", "-q", "--report", filepath.Join(dir, "r.json"), "--rejects", filepath.Join(dir, "x.ndjson"),
		"--retry-base", "1ms"}
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 3; i++ {
		startKilled(t, bin, env, time.Duration(300+r.IntN(700))*time.Millisecond, args...)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the final run: %v\n%s", err, out)
	}
	distinct := len(srv.Messages())
	if distinct != rows {
		t.Fatalf("%d distinct messages arrived, want %d", distinct, rows)
	}
	dup := len(srv.Received()) - distinct
	// per kill, what was in flight: the requests being sent, the batch
	// being filled, and one journal commit's worth of acknowledgements
	// (each message is journalled when its request is acknowledged, not
	// when the rest of its 512-row chunk is)
	bound := 3 * ((conc+1)*batch + batch)
	t.Logf("%d messages sent twice over 3 kills (bound %d)", dup, bound)
	if dup > bound {
		t.Fatalf("%d duplicates, more than the bound %d", dup, bound)
	}
	if v := srv.Violations(); len(v) > 0 {
		t.Fatalf("contract violations: %v", v)
	}
}

// Two runs at once into one --out: the second is refused with exit 4 while
// the first is writing, and the first's parts are complete and its own.
func TestTwoRunsOneOut(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	const rows = 100000
	in := companiesCSV(t, dir, rows, func(i int) string { return "pro" })
	out := filepath.Join(dir, "out")
	args := []string{"run", "--companies", in, "--out", out, "--part-size", "1MiB", "--timestamp", "2024-06-01T00:00:00Z",
		"-q", "--workers", "2"}
	first := exec.Command(bin, args...)
	var errb bytes.Buffer
	first.Stderr = &errb
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- first.Wait() }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(out, sink.LockFileName)); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the first run ended (%v) before the second could start: give it more rows\n%s", err, errb.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the first run never locked --out")
		}
		time.Sleep(time.Millisecond)
	}
	code, _, stderr := gi(t, "run", "--companies", fixtures+"companies.csv", "--out", out, "--overwrite", "-q",
		"--report", filepath.Join(dir, "second.json"))
	var firstErr error
	select {
	case firstErr = <-done:
		// (the value is taken: the wait below must not wait for another)
		t.Log("the first run ended while the second ran: the second may have found the directory free")
	default:
		if code != 4 {
			t.Errorf("the second run: exit %d, want 4\n%s", code, stderr)
		}
		select {
		case firstErr = <-done:
		case <-time.After(2 * time.Minute):
			first.Process.Kill()
			t.Fatalf("the first run did not end\n%s", errb.String())
		}
	}
	if firstErr != nil {
		t.Fatalf("the first run: %v\n%s", firstErr, errb.String())
	}
	sameExitCode(t, filepath.Join(dir, "second.json"), code)
	r := readFullReport(t, filepath.Join(out, "report.json"))
	if r.ExitCode != 0 || r.Output.Messages != rows {
		t.Errorf("the first run's report: exit_code %d, %d messages", r.ExitCode, r.Output.Messages)
	}
	n := 0
	for _, p := range r.Output.Files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("a part of the first run is gone: %v", err)
		}
		for _, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
			if !json.Valid(line) || !bytes.Contains(line, []byte(`"plan":"pro"`)) {
				t.Fatalf("%s holds a line not of the first run: %.100s", p, line)
			}
			n++
		}
	}
	if n != rows {
		t.Errorf("the first run's parts hold %d payloads, want %d", n, rows)
	}
}
