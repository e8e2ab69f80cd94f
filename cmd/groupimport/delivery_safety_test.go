package main

// Tests of issue 11's data-loss paths on the delivery side: what counts as
// an acknowledgement, the --out lock, what --overwrite removes, parts after
// superseded payloads are removed, --part-size, a closed standard output,
// the all-refused guard, and resumed runs after partly acknowledged chunks.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/groupimport/groupimport/internal/fakeapi"
	"github.com/groupimport/groupimport/sink"
	"github.com/groupimport/groupimport/state"
)

// fullReport is the part of report.json these tests read.
type fullReport struct {
	ExitCode int      `json:"exit_code"`
	Status   string   `json:"status"`
	Errors   []string `json:"errors"`
	Totals   struct {
		Read, Emitted, Rejected, Superseded int64
	}
	Output struct {
		Files    []string
		Messages int64
		Bytes    int64
	}
	HTTP *struct {
		Requests, Messages, Refused int64
		Retries                     map[string]int64
	}
}

func readFullReport(t *testing.T, path string) fullReport {
	t.Helper()
	var r fullReport
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// stateKeys counts the records a state file remembers.
func stateKeys(t *testing.T, path string) int {
	t.Helper()
	st, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Consolidate("", nil); err != nil {
		t.Fatal(err)
	}
	n := 0
	err = st.View(func(it *state.Iter) error {
		for {
			_, ok, err := it.Next()
			if err != nil || !ok {
				return err
			}
			n++
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Path 3: a 200 whose body is an HTML login page is not an acknowledgement:
// nothing is counted as delivered or remembered in the state, the run fails,
// and the next run against the real API sends every row.
func TestHTMLPageIsNoAcknowledgement(t *testing.T) {
	portal := fakeapi.New(fakeapi.Options{Key: testKey, FaultFunc: func(int) fakeapi.Fault { return fakeapi.Fault{Kind: fakeapi.NotTheAPI} }})
	defer portal.Close()
	t.Setenv("CIO_API_KEY", testKey)
	dir := t.TempDir()
	in := companiesCSV(t, dir, 300, func(int) string { return "pro" })
	statePath, reportPath := filepath.Join(dir, "state.db"), filepath.Join(dir, "report.json")
	args := func(url string) []string {
		return []string{"run", "--companies", in, "--endpoint", url, "--state", statePath, "--batch-messages", "100",
			"--max-attempts", "2", "--timestamp", "2024-06-01T00:00:00Z", "--report", reportPath,
			"--rejects", filepath.Join(dir, "rejects.ndjson"), "--retry-base", "1ms"}
	}
	code, _, stderr := gi(t, args(portal.URL())...)
	sameExitCode(t, reportPath, code)
	r := readFullReport(t, reportPath)
	if code != 1 || r.ExitCode != code {
		t.Fatalf("exit %d (report: %d), want 1\n%s", code, r.ExitCode, stderr)
	}
	if r.HTTP == nil || r.HTTP.Messages != 0 || r.Output.Messages != 0 {
		t.Errorf("the report counts messages as delivered: output %+v http %+v", r.Output, r.HTTP)
	}
	if r.HTTP != nil && r.HTTP.Retries["unexpected_answer"] == 0 {
		t.Errorf("no retry of the unexpected answer counted: %+v", r.HTTP.Retries)
	}
	if n := stateKeys(t, statePath); n != 0 {
		t.Fatalf("the state remembers %d keys that were never acknowledged", n)
	}
	if !strings.Contains(stderr, "not the API's") {
		t.Errorf("stderr does not say the answer was not the API's:\n%s", stderr)
	}

	api := fakeapi.New(fakeapi.Options{Key: testKey})
	defer api.Close()
	code, _, stderr = gi(t, args(api.URL())...)
	if code != 0 {
		t.Fatalf("the run against the real API: exit %d\n%s", code, stderr)
	}
	if n := len(api.Messages()); n != 300 {
		t.Fatalf("the real API got %d rows, want all 300", n)
	}
	if n := stateKeys(t, statePath); n != 300 {
		t.Errorf("the state remembers %d keys, want 300", n)
	}
}

// The all-refused guard stops a run of any size: an API that refuses every
// call (a key of another workspace, a wrong mapping) costs a bounded number
// of requests, and the run fails (exit 1) saying so. Inputs written whole
// before the first refusal came back used to be bisected call by call: 4,092
// rows took 8,183 requests, and 40 rows ended "some rows rejected" (exit 3).
func TestEverythingRefusedStopsSmallInputs(t *testing.T) {
	t.Setenv("CIO_API_KEY", testKey)
	for _, tc := range []struct{ rows, maxRequests int }{{1, 2}, {40, 45}, {4092, 130}} {
		t.Run(fmt.Sprint(tc.rows), func(t *testing.T) {
			srv := fakeapi.New(fakeapi.Options{Key: testKey, Validate: func(json.RawMessage) error { return errors.New("objectTypeId 1 does not exist") }})
			defer srv.Close()
			dir := t.TempDir()
			in := companiesCSV(t, dir, tc.rows, func(int) string { return "pro" })
			reportPath := filepath.Join(dir, "r.json")
			code, _, stderr := gi(t, "run", "--companies", in, "--endpoint", srv.URL(), "--report", reportPath,
				"--rejects", filepath.Join(dir, "x.ndjson"), "--retry-base", "1ms")
			sameExitCode(t, reportPath, code)
			r := readFullReport(t, reportPath)
			if code != 1 || r.ExitCode != code || !strings.Contains(stderr, "the API refused every call") {
				t.Fatalf("exit %d (report %d), want 1 saying the API refused every call\n%s", code, r.ExitCode, stderr)
			}
			if n := len(srv.Requests()); n > tc.maxRequests {
				t.Errorf("%d requests before stopping, want at most %d", n, tc.maxRequests)
			}
			if r.HTTP == nil || r.HTTP.Messages != 0 || r.HTTP.Refused == 0 {
				t.Errorf("http %+v", r.HTTP)
			}
			t.Logf("%d rows: %d requests, %d refused", tc.rows, len(srv.Requests()), r.HTTP.Refused)
		})
	}
}

// A run that fails after the API acknowledged some batches of a chunk
// (its 512 rows spread over several requests) remembers those messages:
// the rerun sends only what was never acknowledged (it used to re-send
// the whole chunk: its acknowledgement was journalled only once every
// message of the chunk was).
func TestResumeSkipsAcknowledgedMessagesOfPartlyAcknowledgedChunks(t *testing.T) {
	srv := fakeapi.New(fakeapi.Options{Key: testKey, FaultFunc: func(n int) fakeapi.Fault {
		if n > 3 {
			return fakeapi.Fault{Kind: fakeapi.ServerError}
		}
		return fakeapi.Fault{}
	}})
	defer srv.Close()
	t.Setenv("CIO_API_KEY", testKey)
	dir := t.TempDir()
	in := companiesCSV(t, dir, 1000, func(int) string { return "pro" })
	reportPath, statePath := filepath.Join(dir, "r.json"), filepath.Join(dir, "state.db")
	args := []string{"run", "--companies", in, "--endpoint", srv.URL(), "--state", statePath,
		"--batch-messages", "100", "--concurrency", "1", "--max-attempts", "1", "--timestamp", "2024-06-01T00:00:00Z",
		"--report", reportPath, "--rejects", filepath.Join(dir, "x.ndjson"), "--retry-base", "1ms"}
	code, _, stderr := gi(t, args...)
	sameExitCode(t, reportPath, code)
	if r := readFullReport(t, reportPath); code != 1 || r.ExitCode != code {
		t.Fatalf("first run: exit %d (report %d), want 1\n%s", code, r.ExitCode, stderr)
	}
	stored := len(srv.Messages())
	if stored != 300 {
		t.Fatalf("the API stored %d messages in the first run, want the 3 batches acknowledged", stored)
	}
	if n := stateKeys(t, statePath); n != stored {
		t.Errorf("the state remembers %d keys, want the %d acknowledged", n, stored)
	}

	srv.SetFaultFunc(nil)
	code, _, stderr = gi(t, args...)
	if r := readFullReport(t, reportPath); code != 0 || r.ExitCode != code {
		t.Fatalf("the rerun: exit %d (report %d)\n%s", code, r.ExitCode, stderr)
	}
	if n := len(srv.Messages()); n != 1000 {
		t.Fatalf("%d distinct messages arrived, want 1000", n)
	}
	if dup := len(srv.Received()) - len(srv.Messages()); dup != 0 {
		t.Errorf("the rerun sent %d messages the API had already acknowledged", dup)
	}
}

// --overwrite removes only what this tool wrote: parts named exactly
// payloads-NNNNN.ndjson[.gz|.zst] and their temporary names; files whose
// names merely start with payloads- are neither removed nor in the way.
func TestOverwriteRemovesOnlyOwnFiles(t *testing.T) {
	out := t.TempDir()
	unrelated := []string{"payloads-backup.csv", "payloads-old.txt", "payloads-backup.ndjson", "payloads-2023.ndjson",
		"payloads-00001.ndjson.orig", "payloads-old.ndjson.gz", ".payloads-notes.ndjson", "payloads-1.ndjson"}
	for _, n := range unrelated {
		if err := os.WriteFile(filepath.Join(out, n), []byte("keep me\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{"run", "--companies", fixtures + "companies_semicolon.csv", "--out", out, "-q"}
	// a dry run writes the review (review.md, review.html) too
	if code, _, stderr := gi(t, append(args, "--dry-run")...); code != 0 {
		t.Fatalf("a directory holding only unrelated payloads-* files: exit %d\n%s", code, stderr)
	}
	os.WriteFile(filepath.Join(out, "review-notes.md"), []byte("keep me\n"), 0o644)
	unrelated = append(unrelated, "review-notes.md")
	// an earlier run's parts, compressed, and the leftovers of a killed one
	own := []string{"payloads-00002.ndjson.gz", "payloads-00003.ndjson.zst", ".payloads-00004.ndjson.tmp",
		".payloads-00001.ndjson.zst.123456.tmp", "payloads-123456.ndjson"}
	for _, n := range own {
		os.WriteFile(filepath.Join(out, n), []byte("old\n"), 0o644)
	}
	if code, _, stderr := gi(t, args...); code != 2 || !strings.Contains(stderr, "--overwrite") {
		t.Fatalf("a directory holding parts of another run: exit %d\n%s", code, stderr)
	}
	sameExitCode(t, filepath.Join(out, "report.json"), 0) // still the dry run's: a usage error writes nothing
	if code, _, stderr := gi(t, append(args, "--overwrite")...); code != 0 {
		t.Fatalf("--overwrite: exit %d\n%s", code, stderr)
	}
	for _, n := range unrelated {
		if data, err := os.ReadFile(filepath.Join(out, n)); err != nil || string(data) != "keep me\n" {
			t.Errorf("--overwrite touched %s: %v", n, err)
		}
	}
	for _, n := range append(own, "review.md", "review.html") {
		if _, err := os.Stat(filepath.Join(out, n)); err == nil {
			t.Errorf("--overwrite left the earlier run's %s", n)
		}
	}
	if n := len(readLines(t, filepath.Join(out, "payloads-00001.ndjson"))); n == 0 {
		t.Error("no payloads written")
	}
}

// Path 4: a second run into an --out directory that a run is writing is
// refused with exit 4 (another run holds the lock) and touches nothing:
// the first run's parts and report stay as they are.
func TestOutputDirectoryLocked(t *testing.T) {
	out := t.TempDir()
	args := []string{"run", "--companies", fixtures + "companies.csv", "--memberships", fixtures + "memberships.csv",
		"--out", out, "--timestamp", "2024-06-01T00:00:00Z", "-q"}
	first, _, stderr := gi(t, args...)
	if first != 3 {
		t.Fatalf("first run: exit %d\n%s", first, stderr)
	}
	sameExitCode(t, filepath.Join(out, "report.json"), first)
	before := snapshotDir(t, out)

	// the first run, still writing, holds the lock
	lock, err := sink.LockOutputDir(out)
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr := gi(t, append(args, "--overwrite")...)
	if code != 4 || !strings.Contains(stderr, "another groupimport run is writing into this output directory") {
		t.Fatalf("second run: exit %d, want 4\n%s", code, stderr)
	}
	after := snapshotDir(t, out)
	delete(after, sink.LockFileName)
	if len(after) != len(before) {
		t.Errorf("the refused run changed the directory: %v → %v", keys(before), keys(after))
	}
	for name, data := range before {
		if after[name] != data {
			t.Errorf("the refused run changed %s", name)
		}
	}
	if r := readFullReport(t, filepath.Join(out, "report.json")); r.ExitCode != first {
		t.Errorf("report.json is not the first run's: exit_code %d", r.ExitCode)
	}
	lock.Release()

	code, _, stderr = gi(t, append(args, "--overwrite")...)
	if code != 3 {
		t.Fatalf("once the lock is free: exit %d\n%s", code, stderr)
	}
	sameExitCode(t, filepath.Join(out, "report.json"), code)
	if _, err := os.Stat(filepath.Join(out, sink.LockFileName)); err == nil {
		t.Error("the lock file is left after the run")
	}
}

func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range entries {
		data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		m[e.Name()] = string(data)
	}
	return m
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// readPart returns the payload lines of a part, decompressed.
func readPart(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case strings.HasSuffix(path, ".gz"):
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	case strings.HasSuffix(path, ".zst"):
		d, _ := zstd.NewReader(nil)
		defer d.Close()
		if data, err = d.DecodeAll(data, nil); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	s := strings.TrimSuffix(string(data), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// --part-size is honoured within a batch of rows: a part closes before the
// payload that would take it over the size, so every part is within it
// unless it holds a single payload larger than the size.
func TestPartSizeWithinABatch(t *testing.T) {
	more := companiesCSV(t, t.TempDir(), 1500, func(i int) string { return fmt.Sprintf("plan-%d", i*7919%1000) })
	for _, in := range []struct {
		name     string
		args     []string
		code     int
		minParts int
	}{
		{"fixtures", []string{"--companies", fixtures + "companies.csv", "--memberships", fixtures + "memberships.csv"}, 3, 3},
		// compressed, the fixtures fit in a part or two
		{"more", []string{"--companies", more}, 0, 10},
	} {
		base := append([]string{"run", "--timestamp", "2024-06-01T00:00:00Z", "-q"}, in.args...)
		whole := t.TempDir()
		if code, _, stderr := gi(t, append(base, "--out", whole)...); code != in.code {
			t.Fatalf("exit %d\n%s", code, stderr)
		} else {
			sameExitCode(t, filepath.Join(whole, "report.json"), code)
		}
		want := readPart(t, filepath.Join(whole, "payloads-00001.ndjson"))
		for _, compress := range []string{"none", "gzip", "zstd"} {
			t.Run(in.name+"/"+compress, func(t *testing.T) {
				out := t.TempDir()
				code, _, stderr := gi(t, append(base, "--out", out, "--part-size", "2KiB", "--compress", compress)...)
				sameExitCode(t, filepath.Join(out, "report.json"), code)
				r := readFullReport(t, filepath.Join(out, "report.json"))
				if code != in.code || r.ExitCode != code {
					t.Fatalf("exit %d (report %d): %v\n%s", code, r.ExitCode, r.Errors, stderr)
				}
				if len(r.Output.Files) < in.minParts && (compress == "none" || in.name == "more") {
					t.Fatalf("%d parts of at most 2 KiB for %d payloads", len(r.Output.Files), len(want))
				}
				var got []string
				var bytesOnDisk int64
				for _, p := range r.Output.Files {
					st, err := os.Stat(p)
					if err != nil {
						t.Fatal(err)
					}
					lines := readPart(t, p)
					if st.Size() > 2048 && len(lines) != 1 {
						t.Errorf("%s: %d bytes with %d payloads, over --part-size 2KiB", filepath.Base(p), st.Size(), len(lines))
					}
					if len(lines) == 0 {
						t.Errorf("%s is empty", filepath.Base(p))
					}
					bytesOnDisk += st.Size()
					got = append(got, lines...)
				}
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Error("the parts together differ from the output in one part")
				}
				if r.Output.Bytes != bytesOnDisk {
					t.Errorf("report: %d bytes, on disk %d", r.Output.Bytes, bytesOnDisk)
				}
				t.Logf("%d payloads in %d parts, %d bytes", len(got), len(r.Output.Files), bytesOnDisk)
			})
		}
	}
}

// Removing superseded payloads (--duplicates last, the default) leaves no
// empty part: a part whose payloads were all superseded is removed and the
// later parts renumbered (payloads-00001 … stay contiguous, each complete
// under its final name), and the report's files and bytes are what is on
// disk — for compressed parts too.
func TestSupersededRemovalLeavesNoEmptyParts(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("company_id,name,plan\n")
	for round, plan := range []string{"old", "new"} {
		for i := 0; i < 6; i++ {
			fmt.Fprintf(&b, "c%d,Company %d,%s\n", i, i, plan)
		}
		if round == 0 {
			b.WriteString("k0,Kept,kept\n") // no duplicate: its part keeps it
		}
	}
	in := filepath.Join(dir, "dups.csv")
	os.WriteFile(in, []byte(b.String()), 0o644)

	for _, compress := range []string{"none", "gzip", "zstd"} {
		for _, size := range []string{"1", "700"} {
			t.Run(compress+"/"+size, func(t *testing.T) {
				out := t.TempDir()
				code, _, stderr := gi(t, "run", "--companies", in, "--out", out, "--part-size", size, "--compress", compress,
					"--timestamp", "2024-06-01T00:00:00Z", "-q")
				r := readFullReport(t, filepath.Join(out, "report.json"))
				if code != 0 || r.ExitCode != code {
					t.Fatalf("exit %d (report %d): %v\n%s", code, r.ExitCode, r.Errors, stderr)
				}
				if r.Totals.Superseded != 6 || r.Output.Messages != 7 {
					t.Errorf("superseded %d, messages %d; want 6 and 7", r.Totals.Superseded, r.Output.Messages)
				}
				entries, _ := os.ReadDir(out)
				var onDisk []string
				for _, e := range entries {
					if strings.HasPrefix(e.Name(), "payloads-") {
						onDisk = append(onDisk, filepath.Join(out, e.Name()))
					} else if strings.HasPrefix(e.Name(), ".") {
						t.Errorf("temporary file left: %s", e.Name())
					}
				}
				if strings.Join(onDisk, ",") != strings.Join(r.Output.Files, ",") {
					t.Errorf("report files %v, on disk %v", r.Output.Files, onDisk)
				}
				var plans []string
				var bytesOnDisk int64
				for i, p := range onDisk {
					if want := fmt.Sprintf("payloads-%05d.ndjson", i+1); !strings.HasPrefix(filepath.Base(p), want) {
						t.Errorf("part %d is %s: the numbering has a gap", i+1, filepath.Base(p))
					}
					st, _ := os.Stat(p)
					bytesOnDisk += st.Size()
					lines := readPart(t, p)
					if len(lines) == 0 {
						t.Errorf("%s is empty", filepath.Base(p))
					}
					for _, l := range lines {
						var m struct{ Traits struct{ Plan string } }
						json.Unmarshal([]byte(l), &m)
						plans = append(plans, m.Traits.Plan)
					}
				}
				if got := strings.Join(plans, ","); got != "kept,new,new,new,new,new,new" {
					t.Errorf("payloads left: %s", got)
				}
				if r.Output.Bytes != bytesOnDisk {
					t.Errorf("report: %d bytes, on disk %d", r.Output.Bytes, bytesOnDisk)
				}
			})
		}
	}
}

// `--out -` into a pipe whose reader stops early (`| head -1`): the run
// ends with a message on stderr and exit 1, not killed by SIGPIPE (141).
func TestStdoutClosedEarly(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	// far more than a pipe's buffer
	in := companiesCSV(t, dir, 20000, func(int) string { return "pro" })
	reportPath := filepath.Join(dir, "r.json")
	cmd := exec.Command(bin, "run", "--companies", in, "--out", "-", "--report", reportPath,
		"--rejects", filepath.Join(dir, "x.ndjson"))
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !json.Valid([]byte(line)) {
		t.Fatalf("first line %q: %v", line, err)
	}
	stdout.Close() // what head does after its line
	cmd.Wait()
	ps := cmd.ProcessState
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		t.Fatalf("the run died of %v (exit %d in a shell)\n%s", ws.Signal(), 128+int(ws.Signal()), errb.String())
	}
	if ps.ExitCode() != 1 || !strings.Contains(errb.String(), "standard output was closed") {
		t.Fatalf("exit %d, want 1 with a message\n%s", ps.ExitCode(), errb.String())
	}
	sameExitCode(t, reportPath, ps.ExitCode())
}
