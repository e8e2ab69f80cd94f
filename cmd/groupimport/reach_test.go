package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/groupimport/groupimport/importer/objstore/fakes3"
)

// sortedPayloads returns every payload line of a run's parts, sorted.
func sortedPayloads(t *testing.T, dir string) []string {
	t.Helper()
	var lines []string
	parts, _ := filepath.Glob(filepath.Join(dir, "payloads-*.ndjson"))
	for _, p := range parts {
		lines = append(lines, readLines(t, p)...)
	}
	sort.Strings(lines)
	return lines
}

// companyParquet writes companies (company_id, name) as Parquet bytes.
func companyParquet(t *testing.T, prefix string, n int) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.parquet")
	var rows []parquet.Row
	for i := 0; i < n; i++ {
		rows = append(rows, parquet.Row{parquet.ValueOf(fmt.Sprintf("%s%d", prefix, i)).Level(0, 0, 0),
			parquet.ValueOf(fmt.Sprintf("Company %s%d", prefix, i)).Level(0, 0, 1)})
	}
	writeParquet(t, path, parquet.Group{"company_id": parquet.String(), "name": parquet.String()}, rows)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// A prefix of mixed parts in S3 (.csv.gz, .csv, .parquet, with _SUCCESS
// and a checksum beside them) gives byte for byte the payloads of the
// same parts on disk.
func TestObjectStorageInputThroughTheCLI(t *testing.T) {
	srv := fakes3.Start(t)
	srv.Bucket(t, "warehouse")
	dir := t.TempDir()
	parts := map[string][]byte{
		"part-00000.csv.gz":  gz(t, companies("a", 700)),
		"part-00001.csv":     companies("b", 500),
		"part-00002.parquet": companyParquet(t, "c", 900),
		"_SUCCESS":           nil,
		".part-00001.crc":    []byte("x"),
	}
	for name, data := range parts {
		srv.Put(t, "warehouse", "unload/companies/"+name, data)
		writeFile(t, filepath.Join(dir, "local"), name, data)
	}
	s3out, localOut := filepath.Join(dir, "s3"), filepath.Join(dir, "localout")
	code, _, stderr := gi(t, "run", "--companies", "s3://warehouse/unload/companies/", "--out", s3out, "--timestamp", "2024-05-01T00:00:00Z")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if code, _, stderr := gi(t, "run", "--companies", filepath.Join(dir, "local"), "--out", localOut, "--timestamp", "2024-05-01T00:00:00Z"); code != 0 {
		t.Fatalf("local run: exit %d\n%s", code, stderr)
	}
	got, want := sortedPayloads(t, s3out), sortedPayloads(t, localOut)
	if len(got) != 2100 || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%d payloads from S3, %d from disk, or they differ", len(got), len(want))
	}
	rep := readInputReport(t, filepath.Join(s3out, "report.json"))
	if len(rep.Files) != 3 || rep.Files[0].Path != "s3://warehouse/unload/companies/part-00000.csv.gz" || rep.Files[2].Format != "parquet" {
		t.Errorf("files %+v", rep.Files)
	}
	if len(rep.IgnoredFiles) != 2 {
		t.Errorf("ignored %+v, want _SUCCESS and the checksum", rep.IgnoredFiles)
	}
	// the Parquet part was read by ranges, never whole
	for _, g := range fakes3.Gets(srv.Requests(), "/warehouse/unload/companies/part-00002.parquet") {
		if g.Range == "" {
			t.Errorf("a GET of the whole Parquet object: %+v", g)
		}
	}
}

// Object storage that fails is a clear error naming the URL: a missing
// bucket and a denied listing are configuration (exit 2), a denied object
// is a file error (exit 1), and credentials appear nowhere.
func TestObjectStorageErrorsThroughTheCLI(t *testing.T) {
	srv := fakes3.Start(t)
	srv.Bucket(t, "b")
	srv.Put(t, "b", "c/part-0.csv", companies("x", 10))
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := gi(t, "run", "--companies", "s3://nosuch/c/", "--out", out)
	if code != 2 || !strings.Contains(stderr, "s3://nosuch/c") || !strings.Contains(stderr, "does not exist") {
		t.Errorf("missing bucket: exit %d\n%s", code, stderr)
	}
	srv.SetFault(func(r *http.Request, _ int) *fakes3.Fault {
		if r.URL.Query().Get("list-type") != "" {
			return &fakes3.Fault{Status: http.StatusForbidden, Code: "AccessDenied"}
		}
		return nil
	})
	code, _, stderr = gi(t, "run", "--companies", "s3://b/c/", "--out", out)
	if code != 2 || !strings.Contains(stderr, "s3://b/c") || !strings.Contains(stderr, "s3:ListBucket") {
		t.Errorf("denied listing: exit %d\n%s", code, stderr)
	}
	srv.SetFault(func(r *http.Request, _ int) *fakes3.Fault {
		if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "" {
			return &fakes3.Fault{Status: http.StatusForbidden, Code: "AccessDenied"}
		}
		return nil
	})
	code, _, stderr = gi(t, "run", "--companies", "s3://b/c/", "--out", out, "--overwrite")
	if code == 0 || !strings.Contains(stderr, "s3://b/c/part-0.csv") || !strings.Contains(stderr, "s3:GetObject") {
		t.Errorf("denied read: exit %d\n%s", code, stderr)
	}
	for _, s := range []string{stderr} {
		if strings.Contains(s, fakes3.SecretAccessKey) || strings.Contains(s, fakes3.SessionToken) {
			t.Errorf("a credential in the output:\n%s", s)
		}
	}
}

// `… | groupimport run --companies -`: standard input, sniffed (gzip
// here), its rejects numbered stdin:LINE; given twice it is refused;
// Parquet on it is refused with a clear message.
func TestStdinDash(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	data := append(companies("s", 20000), []byte("broken,row,with,too,many,fields\n")...)
	out := filepath.Join(dir, "out")
	cmd := exec.Command(bin, "run", "--companies", "-", "--out", out)
	cmd.Stdin = bytes.NewReader(gz(t, data)) // exec feeds it through a pipe
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil || cmd.ProcessState.ExitCode() != 3 {
		t.Fatalf("%v, want exit 3 for the broken row\n%s", err, stderr.String())
	}
	if groups, _ := groupIDs(t, out); len(groups) != 20000 || !groups["s0"] {
		t.Errorf("%d objects delivered, want 20000", len(groups))
	}
	rejects := readLines(t, filepath.Join(out, "rejects.ndjson"))
	var rej struct {
		File string
		Line int64
	}
	if len(rejects) != 1 || json.Unmarshal([]byte(rejects[0]), &rej) != nil || rej.File != "stdin" || rej.Line != 20002 {
		t.Errorf("rejects %q, want one at stdin:20002", rejects)
	}
	rep := readInputReport(t, filepath.Join(out, "report.json"))
	if len(rep.Files) != 1 || rep.Files[0].Path != "stdin" || rep.Files[0].Compression != "gzip" {
		t.Errorf("files %+v", rep.Files)
	}

	cmd = exec.Command(bin, "run", "--companies", "-", "--memberships", "-", "--out", filepath.Join(dir, "twice"))
	cmd.Stdin = bytes.NewReader(data)
	if msg, err := cmd.CombinedOutput(); cmd.ProcessState.ExitCode() != 2 || !strings.Contains(string(msg), "standard input (-) can be read once") {
		t.Errorf("stdin twice: %v\n%s", err, msg)
	}

	cmd = exec.Command(bin, "run", "--companies", "-", "--out", filepath.Join(dir, "pq"))
	cmd.Stdin = bytes.NewReader(companyParquet(t, "p", 10))
	if msg, _ := cmd.CombinedOutput(); cmd.ProcessState.ExitCode() != 1 || !strings.Contains(string(msg), "Parquet cannot be read from standard input") {
		t.Errorf("Parquet on stdin: exit %d\n%s", cmd.ProcessState.ExitCode(), msg)
	}
}

// inspect and init read object storage URLs too.
func TestInspectAndInitFromObjectStorage(t *testing.T) {
	srv := fakes3.Start(t)
	srv.Bucket(t, "b")
	srv.Put(t, "b", "unload/part-0.parquet", companyParquet(t, "q", 25))
	code, stdout, stderr := gi(t, "inspect", "s3://b/unload/")
	if code != 0 || !strings.Contains(stdout, "s3://b/unload/part-0.parquet") || !strings.Contains(stdout, "parquet") || !strings.Contains(stdout, "25") {
		t.Errorf("inspect: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = gi(t, "init", "--companies", "s3://b/unload/part-0.parquet")
	if code != 0 || !strings.Contains(stdout, "company_id") {
		t.Errorf("init: exit %d\n%s%s", code, stdout, stderr)
	}
}
