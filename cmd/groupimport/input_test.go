package main

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// writeFile writes data to dir/name (creating folders) and returns the path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A key given twice in the mapping is a configuration error naming both
// lines, not a silent switch to the last column.
func TestMappingDuplicateKeyIsUsageError(t *testing.T) {
	dir := t.TempDir()
	csv := writeFile(t, dir, "c.csv", []byte("id,other,name\na,b,A\n"))
	mapping := writeFile(t, dir, "mapping.yaml", []byte("companies:\n  groupId: id\n  traits:\n    name: name\n  groupId: other\n"))
	code, _, stderr := gi(t, "run", "--companies", csv, "--mapping", mapping, "--out", filepath.Join(dir, "out"))
	if code != 2 || !strings.Contains(stderr, "lines 2 and 5") || !strings.Contains(stderr, "groupId") {
		t.Fatalf("exit %d, want 2 naming lines 2 and 5:\n%s", code, stderr)
	}
	sameExitCode(t, filepath.Join(dir, "out", "report.json"), code)
	if _, err := os.Stat(filepath.Join(dir, "out", "payloads-00001.ndjson")); err == nil {
		t.Error("payloads were written despite the mapping error")
	}
}

func gz(t *testing.T, p []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(p)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bz2CSV is `printf 'company_id,name\nb1,B One\nb2,B Two\n' | bzip2 -9`.
var bz2CSV, _ = hex.DecodeString("425a68393141592653593bc3587d000009df8000104004300010008400be23c0a0200021a801a1a184281a686464c4309716bf0c1020eadb82b5117b949bbe1cbe2ee48a70a1207786b0fa")

func companies(prefix string, n int) []byte {
	var b strings.Builder
	b.WriteString("company_id,name\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%s%d,Company %s%d\n", prefix, i, prefix, i)
	}
	return []byte(b.String())
}

func garbage(n int) []byte {
	r := rand.New(rand.NewPCG(3, 4))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return b
}

// groupIDs returns the groupIds of the group calls in dir's payload parts,
// and the objectIds of its Object Deleted events.
func groupIDs(t *testing.T, dir string) (groups, deleted map[string]bool) {
	t.Helper()
	groups, deleted = map[string]bool{}, map[string]bool{}
	parts, _ := filepath.Glob(filepath.Join(dir, "payloads-*.ndjson"))
	for _, p := range parts {
		for _, line := range readLines(t, p) {
			var m struct {
				Type, Event, GroupID string
				Properties           struct{ ObjectID string }
			}
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatal(err)
			}
			if m.Type == "group" {
				groups[m.GroupID] = true
			} else if m.Event == "Object Deleted" {
				deleted[m.Properties.ObjectID] = true
			}
		}
	}
	return groups, deleted
}

type inputReport struct {
	Files []struct {
		Path, Error, Format, Compression string
		Read                             int64
	}
	IgnoredFiles []struct{ Path, Reason string } `json:"ignored_files"`
}

func readInputReport(t *testing.T, path string) inputReport {
	t.Helper()
	readReport(t, path) // rows read = emitted + rejected + skipped
	var r inputReport
	data, _ := os.ReadFile(path)
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// A directory of Spark parts is read by content where names do not say
// what a file is (part-00000, a gzip without .gz, .gz without .csv,
// .csv.bz2); a file that is not data is named with the reason and fails
// the run; markers and checksums are listed as ignored.
func TestDirectorySniffsAndNamesUnreadable(t *testing.T) {
	dir := t.TempDir()
	parts := filepath.Join(dir, "parts")
	writeFile(t, parts, "part-00000", companies("a", 3))
	writeFile(t, parts, "part-00001", gz(t, companies("g", 3)))
	writeFile(t, parts, "part-00002.gz", gz(t, companies("h", 3)))
	writeFile(t, parts, "part-00003.csv.bz2", bz2CSV)
	writeFile(t, parts, "part-00004", garbage(3000))
	writeFile(t, parts, "_SUCCESS", nil)
	writeFile(t, parts, ".part-00000.crc", garbage(12))
	out := filepath.Join(dir, "out")
	code, _, stderr := gi(t, "run", "--companies", parts, "--out", out)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (a file that is not data)\n%s", code, stderr)
	}
	sameExitCode(t, filepath.Join(out, "report.json"), code)
	bad := filepath.Join(parts, "part-00004")
	if !strings.Contains(stderr, bad) || !strings.Contains(stderr, "binary content") {
		t.Errorf("stderr does not name %s and why:\n%s", bad, stderr)
	}
	if !strings.Contains(stderr, "_SUCCESS") {
		t.Errorf("stderr does not mention the ignored files:\n%s", stderr)
	}
	groups, _ := groupIDs(t, out)
	for _, id := range []string{"a0", "a2", "g0", "g2", "h0", "h2", "b1", "b2"} {
		if !groups[id] {
			t.Errorf("%s not delivered (have %v)", id, groups)
		}
	}
	if len(groups) != 11 {
		t.Errorf("%d objects delivered, want 11", len(groups))
	}
	rep := readInputReport(t, filepath.Join(out, "report.json"))
	formats := map[string]string{}
	for _, f := range rep.Files {
		formats[filepath.Base(f.Path)] = f.Format + "/" + f.Compression + "/" + f.Error
	}
	for name, want := range map[string]string{"part-00000": "csv//", "part-00001": "csv/gzip/", "part-00002.gz": "csv/gzip/",
		"part-00003.csv.bz2": "csv/bzip2/"} {
		if formats[name] != want {
			t.Errorf("%s: %q, want %q", name, formats[name], want)
		}
	}
	if !strings.Contains(formats["part-00004"], "binary content") {
		t.Errorf("part-00004 in the report: %q", formats["part-00004"])
	}
	ignored := map[string]bool{}
	for _, x := range rep.IgnoredFiles {
		ignored[filepath.Base(x.Path)] = x.Reason != ""
	}
	if !ignored["_SUCCESS"] || !ignored[".part-00000.crc"] || len(ignored) != 2 {
		t.Errorf("ignored files in the report: %+v", rep.IgnoredFiles)
	}
}

// With --delete-missing, a second night whose export has a part the run
// cannot read (or did not use to recognise) sends no delete for its keys.
func TestDeleteMissingWithUnreadablePart(t *testing.T) {
	for _, tc := range []struct {
		name  string
		night func(t *testing.T, parts string) // changes part 3 for the second night
		code  int
	}{
		{"a part became binary garbage", func(t *testing.T, parts string) {
			os.Remove(filepath.Join(parts, "part-00003.csv"))
			writeFile(t, parts, "part-00003", garbage(4000))
		}, 1},
		{"a part became xz-compressed", func(t *testing.T, parts string) {
			os.Remove(filepath.Join(parts, "part-00003.csv"))
			writeFile(t, parts, "part-00003.csv.xz", append([]byte{0xfd, '7', 'z', 'X', 'Z', 0}, garbage(200)...))
		}, 1},
		{"a part is bzip2 now", func(t *testing.T, parts string) {
			os.Remove(filepath.Join(parts, "part-00003.csv"))
			writeFile(t, parts, "part-00003.csv.bz2", bz2CSV)
		}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			parts := filepath.Join(dir, "parts")
			for i, p := range []string{"a", "c", "d"} {
				writeFile(t, parts, fmt.Sprintf("part-0000%d.csv", i), companies(p, 30))
			}
			writeFile(t, parts, "part-00003.csv", []byte("company_id,name\nb1,B One\nb2,B Two\n"))
			state := filepath.Join(dir, "state.db")
			code, _, stderr := gi(t, "run", "--companies", parts, "--out", filepath.Join(dir, "night1"), "--state", state, "--delete-missing")
			if code != 0 {
				t.Fatalf("night 1: exit %d\n%s", code, stderr)
			}
			tc.night(t, parts)
			out := filepath.Join(dir, "night2")
			code, _, stderr = gi(t, "run", "--companies", parts, "--out", out, "--state", state, "--delete-missing")
			if code != tc.code {
				t.Errorf("night 2: exit %d, want %d\n%s", code, tc.code, stderr)
			}
			sameExitCode(t, filepath.Join(out, "report.json"), code)
			if _, deleted := groupIDs(t, out); len(deleted) > 0 {
				t.Errorf("night 2 deleted %v", deleted)
			}
			if tc.code != 0 && !strings.Contains(stderr, "could not be read") {
				t.Errorf("night 2 does not say that a part could not be read:\n%s", stderr)
			}
		})
	}
}

// runWithTimeout runs the command line, failing the test if it hangs.
func runWithTimeout(t *testing.T, d time.Duration, args ...string) (int, string, string) {
	t.Helper()
	type result struct {
		code           int
		stdout, stderr string
	}
	done := make(chan result, 1)
	go func() {
		code, o, e := gi(t, args...)
		done <- result{code, o, e}
	}()
	select {
	case r := <-done:
		return r.code, r.stdout, r.stderr
	case <-time.After(d):
		t.Fatalf("groupimport %s: still running after %v (an input opened twice?)", strings.Join(args, " "), d)
	}
	return 0, "", ""
}

// feed writes data into the named pipe (once a reader opens it).
func feed(path string, data []byte) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return
	}
	f.Write(data)
	f.Close()
}

// A named pipe is read once, as a stream: the mapping is inferred from
// the start of the stream, which is replayed to the reading, not read
// again (the old code opened it a second time and hung).
func TestFIFOInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"run", nil},
		{"incremental run (two passes)", []string{"--state", "STATE"}},
		{"validate", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			fifo := filepath.Join(dir, "companies.csv")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Skip("no named pipes:", err)
			}
			const n = 30000
			go feed(fifo, companies("f", n))
			out := filepath.Join(dir, "out")
			cmd := "run"
			if tc.name == "validate" {
				cmd = "validate"
			}
			args := []string{cmd, "--companies", fifo, "--out", out}
			for _, a := range tc.args {
				args = append(args, strings.ReplaceAll(a, "STATE", filepath.Join(dir, "state.db")))
			}
			code, _, stderr := runWithTimeout(t, 60*time.Second, args...)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			rep := readReport(t, filepath.Join(out, "report.json"))
			if rep.Totals.Read != n || rep.Totals.Emitted != n {
				t.Errorf("totals %+v, want %d read and emitted", rep.Totals, n)
			}
			if cmd == "run" {
				if groups, _ := groupIDs(t, out); len(groups) != n || !groups["f0"] || !groups[fmt.Sprintf("f%d", n-1)] {
					t.Errorf("%d objects delivered, want %d", len(groups), n)
				}
			}
		})
	}
}

// /dev/fd/N of a pipe (what /dev/stdin is under `cat x | groupimport`) is
// opened once: the old code opened it twice, and the second open went on
// where the first stopped, losing the header and the sampled rows.
func TestDevFdPipeInput(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	path := "/dev/fd/" + strconv.Itoa(int(r.Fd()))
	if _, err := os.Stat(path); err != nil {
		t.Skip("no /dev/fd:", err)
	}
	const n = 30000
	go func() {
		bw := bufio.NewWriter(w)
		bw.Write(companies("p", n))
		bw.Flush()
		w.Close()
	}()
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := runWithTimeout(t, 60*time.Second, "run", "--companies", path, "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if groups, _ := groupIDs(t, out); len(groups) != n || !groups["p0"] {
		t.Errorf("%d objects delivered, want %d", len(groups), n)
	}
}

// fdOffset returns the read offset of the first descriptor of this process
// open on path, or -1.
func fdOffset(path string) int64 {
	ents, _ := os.ReadDir("/proc/self/fd")
	for _, e := range ents {
		if target, err := os.Readlink("/proc/self/fd/" + e.Name()); err != nil || target != path {
			continue
		}
		info, err := os.ReadFile("/proc/self/fdinfo/" + e.Name())
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(info), "\n") {
			if v, ok := strings.CutPrefix(line, "pos:"); ok {
				n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				return n
			}
		}
	}
	return -1
}

// A file truncated by a writer while the run reads it is a file error
// naming it (exit 1), and no row is cut where the truncation fell.
func TestFileTruncatedDuringRun(t *testing.T) {
	if _, err := os.Stat("/proc/self/fdinfo"); err != nil {
		t.Skip("no /proc/self/fdinfo")
	}
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("company_id,name\n")
	const n = 1_000_000
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "c%07d,Company with a long enough name\n", i)
	}
	path := writeFile(t, dir, "companies.csv", []byte(b.String()))
	size := int64(b.Len())
	truncated := make(chan int64, 1)
	go func() {
		// past the sample the mapping is inferred from (a few MB at most):
		// the run's own reading
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			if pos := fdOffset(path); pos > 8<<20 && pos < size/2 {
				os.Truncate(path, size/2+11)
				truncated <- pos
				return
			}
			time.Sleep(200 * time.Microsecond)
		}
		truncated <- -1
	}()
	out := filepath.Join(dir, "out")
	code, _, stderr := gi(t, "run", "--companies", path, "--out", out, "--workers", "1")
	if pos := <-truncated; pos < 0 {
		t.Skip("the run finished before the file could be truncated")
	}
	if code != 1 || !strings.Contains(stderr, "changed while it was read") || !strings.Contains(stderr, path) {
		t.Fatalf("exit %d, want 1 naming the file as changed\n%s", code, stderr)
	}
	sameExitCode(t, filepath.Join(out, "report.json"), code)
	parts, _ := filepath.Glob(filepath.Join(out, "payloads-*.ndjson"))
	for _, p := range parts {
		for _, line := range readLines(t, p) {
			if !strings.Contains(line, `"name":"Company with a long enough name"`) {
				t.Fatalf("a cut row was delivered: %s", line)
			}
		}
	}
}

// `… | groupimport run --companies /dev/stdin`: standard input on a pipe
// is read once (the old code opened /dev/stdin twice, and the second open
// went on where the first had stopped).
func TestDevStdinPipe(t *testing.T) {
	bin := buildBinary(t)
	const n = 30000
	out := filepath.Join(t.TempDir(), "out")
	cmd := exec.Command(bin, "run", "--companies", "/dev/stdin", "--out", out)
	cmd.Stdin = bytes.NewReader(companies("s", n)) // not a file: exec feeds it through a pipe
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if groups, _ := groupIDs(t, out); len(groups) != n || !groups["s0"] {
		t.Errorf("%d objects delivered, want %d\n%s", len(groups), n, stderr.String())
	}
}
