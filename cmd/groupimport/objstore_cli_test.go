package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"

	"github.com/groupimport/groupimport/importer/objstore/fakes3"
	"github.com/groupimport/groupimport/internal/shard"
)

// Tests of object storage inputs and standard input through the command,
// against the loopback S3 of fakes3 (the AWS SDK over real HTTP).

// wideCompanies writes n companies as Parquet: company_id, name and cols
// filler columns f00… of distinct values, in row groups of group rows.
func wideCompanies(t *testing.T, n, cols, group int) []byte {
	t.Helper()
	g := parquet.Group{"company_id": parquet.String(), "name": parquet.String()}
	for c := 0; c < cols; c++ {
		g[fmt.Sprintf("f%02d", c)] = parquet.String()
	}
	schema := parquet.NewSchema("companies", g)
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, schema, parquet.MaxRowsPerRowGroup(int64(group)))
	names := schema.Columns() // leaf paths, in column order
	batch := make([]parquet.Row, 0, 512)
	for i := 0; i < n; i++ {
		row := make(parquet.Row, len(names))
		for c, path := range names {
			var v string
			switch path[0] {
			case "company_id":
				v = fmt.Sprintf("w%06d", i)
			case "name":
				v = fmt.Sprintf("Company %d", i)
			default:
				v = fmt.Sprintf("%s-%06d-%08x", path[0], i, uint32(i*2654435761)^uint32(c*40503))
			}
			row[c] = parquet.ValueOf(v).Level(0, 0, c)
		}
		batch = append(batch, row)
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := w.WriteRows(batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// getBytes sums the GETs of path (requests and body bytes), failing the
// test on a GET of the whole object.
func getBytes(t *testing.T, reqs []fakes3.Request, path string) (n int, bytes int64) {
	t.Helper()
	for _, g := range fakes3.Gets(reqs, path) {
		if g.Range == "" {
			t.Errorf("a GET of the whole object: %+v", g)
		}
		n++
		bytes += g.Bytes
	}
	return n, bytes
}

// A run whose mapping reads 2 of a Parquet object's 26 columns fetches
// the footer and those columns' chunks by ranged GETs, counted here: a
// small part of the object, in a few requests, never the whole of it (the
// sample the mapping is checked with reads those columns only); and its
// payloads are those of the same file on disk.
func TestParquetFromS3FetchesOnlyMappedColumns(t *testing.T) {
	srv := fakes3.Start(t)
	srv.Bucket(t, "lake")
	dir := t.TempDir()
	data := wideCompanies(t, 60000, 24, 15000)
	srv.Put(t, "lake", "companies/part-0.parquet", data)
	local := writeFile(t, dir, "part-0.parquet", data)
	mapping := writeFile(t, dir, "mapping.yaml", []byte("companies:\n  groupId: company_id\n  traits:\n    name: name\n  custom: none\n"))
	run := func(name, input string, extra ...string) string {
		out := filepath.Join(dir, name)
		args := append([]string{"run", "--companies", input, "--out", out, "--timestamp", "2024-05-01T00:00:00Z"}, extra...)
		if code, _, stderr := gi(t, args...); code != 0 {
			t.Fatalf("%s: exit %d\n%s", name, code, stderr)
		}
		return out
	}
	srv.Reset()
	s3out := run("s3", "s3://lake/companies/", "--mapping", mapping)
	reqs, size := srv.Requests(), int64(len(data))
	n, got := getBytes(t, reqs, "/lake/companies/part-0.parquet")
	t.Logf("2 of 26 columns: object %d bytes; %d ranged GETs, %d bytes (%.1f%%)", size, n, got, 100*float64(got)/float64(size))
	if got >= size/5 {
		t.Errorf("fetched %d bytes of %d: more than the footer and 2 of 26 columns need", got, size)
	}
	if n == 0 || n > 40 {
		t.Errorf("%d GETs: want a few per row group", n)
	}
	localOut := run("local", local, "--mapping", mapping)
	if a, b := sortedPayloads(t, s3out), sortedPayloads(t, localOut); len(a) != 60000 || strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("%d payloads from S3, %d from disk, or they differ", len(a), len(b))
	}
	// every column mapped: more of the object, still by ranges
	srv.Reset()
	run("s3-all", "s3://lake/companies/part-0.parquet")
	_, all := getBytes(t, srv.Requests(), "/lake/companies/part-0.parquet")
	t.Logf("all 26 columns: %d bytes (%.1f%%)", all, 100*float64(all)/float64(size))
	if all < 3*got {
		t.Errorf("all columns fetched %d bytes, 2 of them %d: the mapping does not narrow the reads", all, got)
	}
	// the sample of the inferred mapping costs one row group of 4
	if all > size+size/3 {
		t.Errorf("all columns fetched %d bytes of %d: more than the object and its first row group", all, size)
	}
}

// A prefix of more than 1,000 objects (S3's page) is listed page by page:
// every object is read, in natural order.
func TestPrefixOfMoreThanAThousandObjects(t *testing.T) {
	if testing.Short() {
		t.Skip("1,050 objects")
	}
	srv := fakes3.Start(t)
	srv.Bucket(t, "parts")
	const n = 1050
	for i := 0; i < n; i++ {
		srv.Put(t, "parts", fmt.Sprintf("unload/part-%d.csv", i), companies(fmt.Sprintf("p%d-", i), 1))
	}
	srv.Put(t, "parts", "unload/_SUCCESS", nil)
	srv.Reset()
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := gi(t, "run", "--companies", "s3://parts/unload/", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	rep := readInputReport(t, filepath.Join(out, "report.json"))
	if len(rep.Files) != n || rep.Files[9].Path != "s3://parts/unload/part-9.csv" || rep.Files[10].Path != "s3://parts/unload/part-10.csv" ||
		rep.Files[n-1].Path != fmt.Sprintf("s3://parts/unload/part-%d.csv", n-1) {
		t.Errorf("%d files, want %d in natural order", len(rep.Files), n)
	}
	if groups, _ := groupIDs(t, out); len(groups) != n || !groups["p1049-0"] {
		t.Errorf("%d objects delivered, want %d", len(groups), n)
	}
	if lists := fakes3.Lists(srv.Requests()); len(lists) < 2 {
		t.Errorf("%d listing requests: the listing did not page through", len(lists))
	}
}

// A connection reset in the middle of an object: a CSV stream resumes
// from the byte it broke at, a Parquet range is fetched again, and the
// payloads are those of the file on disk. A connection that keeps breaking
// fails the file (exit 1) naming its URL, after the rows read before it,
// with the rows accounted for: never a silently short read.
func TestConnectionResetThroughTheCLI(t *testing.T) {
	srv := fakes3.Start(t)
	srv.Bucket(t, "b")
	dir := t.TempDir()
	data := companies("r", 60000)
	pq := wideCompanies(t, 20000, 4, 5000)
	srv.Put(t, "b", "big.csv", data)
	srv.Put(t, "b", "big.parquet", pq)
	run := func(name string, inputs ...string) (int, string, string) {
		out := filepath.Join(dir, name)
		args := []string{"run", "--out", out, "--timestamp", "2024-05-01T00:00:00Z"}
		for _, in := range inputs {
			args = append(args, "--companies", in)
		}
		code, _, stderr := gi(t, args...)
		return code, out, stderr
	}
	_, want, _ := run("local", writeFile(t, dir, "big.csv", data), writeFile(t, dir, "big.parquet", pq))

	// the CSV's stream breaks 100,000 bytes in (its resumption, a GET
	// from that byte, does not); each Parquet range breaks once, 2,000
	// bytes in
	cut := map[string]bool{}
	srv.SetFault(func(r *http.Request, _ int) *fakes3.Fault {
		rng := r.Header.Get("Range")
		switch {
		case r.Method != http.MethodGet || r.URL.Query().Get("list-type") != "":
		case strings.HasSuffix(r.URL.Path, "/big.csv") && rng == "":
			return &fakes3.Fault{CutAfter: 100000}
		case strings.HasSuffix(r.URL.Path, "/big.parquet") && !cut[rng]:
			cut[rng] = true
			return &fakes3.Fault{CutAfter: 2000}
		}
		return nil
	})
	code, out, stderr := run("s3", "s3://b/big.csv", "s3://b/big.parquet")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if a, b := sortedPayloads(t, out), sortedPayloads(t, want); len(a) != 80000 || strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Errorf("%d payloads through resets, %d from disk, or they differ", len(a), len(b))
	}
	if !strings.Contains(stderr, "streams resumed") || strings.Contains(stderr, " 0 streams resumed") || strings.Contains(stderr, " 0 retried") {
		t.Errorf("want the resumed stream and the retried range counted:\n%s", stderr)
	}

	// the run's GET of the object (after the looks at its header and
	// first rows) is cut 2,000,000 bytes in (closed: the client gets those
	// bytes), and every GET resuming it breaks at once: six breaks in a
	// row end the file
	srv.Put(t, "b", "bigger.csv", companies("q", 150000))
	gets := 0
	srv.SetFault(func(r *http.Request, _ int) *fakes3.Fault {
		switch {
		case r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/bigger.csv"):
		case r.Header.Get("Range") != "":
			return &fakes3.Fault{CutAfter: 1}
		default:
			if gets++; gets > 2 {
				return &fakes3.Fault{CutAfter: 2000000, Close: true}
			}
		}
		return nil
	})
	code, out, stderr = run("broken", "s3://b/bigger.csv")
	if code != 1 || !strings.Contains(stderr, "s3://b/bigger.csv") || !strings.Contains(stderr, "did not resume") {
		t.Fatalf("exit %d, want 1 and the file's error naming its URL\n%s", code, stderr)
	}
	rep := readInputReport(t, filepath.Join(out, "report.json")) // rows read = emitted + rejected + skipped
	if len(rep.Files) != 1 || rep.Files[0].Error == "" || !strings.Contains(rep.Files[0].Error, "s3://b/bigger.csv") ||
		rep.Files[0].Read == 0 || rep.Files[0].Read >= 150000 {
		t.Errorf("files %+v, want the rows before the break, then the error\n%s", rep.Files, stderr)
	}
	t.Logf("%d rows read, then: %s", rep.Files[0].Read, rep.Files[0].Error)
}

// AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, names an S3-compatible
// service (MinIO, LocalStack, Ceph), addressed path-style: the bucket in
// the path, the Host the service's own address (a bucket.host name would
// not resolve on loopback).
func TestEndpointFromTheEnvironmentIsPathStyle(t *testing.T) {
	srv := fakes3.Start(t)
	srv.Bucket(t, "minio-bucket")
	srv.Put(t, "minio-bucket", "exports/part-0.csv", companies("e", 5))
	u, _ := url.Parse(srv.URL)
	dir := t.TempDir()
	for _, c := range []struct{ name, s3, any string }{
		{"AWS_ENDPOINT_URL", "", srv.URL},
		{"AWS_ENDPOINT_URL_S3 first", srv.URL, "http://127.0.0.1:1"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("AWS_ENDPOINT_URL_S3", c.s3)
			t.Setenv("AWS_ENDPOINT_URL", c.any)
			srv.Reset()
			out := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-"))
			if code, _, stderr := gi(t, "run", "--companies", "s3://minio-bucket/exports/", "--out", out); code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			if groups, _ := groupIDs(t, out); len(groups) != 5 {
				t.Errorf("%d objects, want 5", len(groups))
			}
			reqs := srv.Requests()
			if len(reqs) == 0 {
				t.Fatal("no request reached the endpoint")
			}
			for _, r := range reqs {
				if r.Host != u.Host || !strings.HasPrefix(r.Path, "/minio-bucket") {
					t.Errorf("request %+v: not path-style at %s", r, u.Host)
				}
			}
		})
	}
}

// zstd-compressed NDJSON on standard input is recognised by its content,
// numbered stdin:LINE in the rejects, and read by every pass of an
// incremental run (the stream is kept for the passes after the first);
// --format says what it is as well.
func TestStdinNDJSONIncremental(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	var nd bytes.Buffer
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&nd, `{"company_id":"n%d","name":"Company %d"}`+"\n", i, i)
	}
	nd.WriteString(`{"company_id":"n-bad","name":` + "\n")
	enc, _ := zstd.NewWriter(nil)
	packed := enc.EncodeAll(nd.Bytes(), nil)
	state := filepath.Join(dir, "crm.state")
	for i, extra := range [][]string{nil, {"--format", "ndjson"}} {
		out := filepath.Join(dir, fmt.Sprint("out", i))
		args := append([]string{"run", "--companies", "-", "--out", out, "--state", state, "--full"}, extra...)
		cmd := exec.Command(bin, args...)
		cmd.Stdin = bytes.NewReader(packed) // a pipe
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		cmd.Run()
		if cmd.ProcessState.ExitCode() != 3 {
			t.Fatalf("%v: exit %d, want 3 for the broken line\n%s", extra, cmd.ProcessState.ExitCode(), stderr.String())
		}
		if groups, _ := groupIDs(t, out); len(groups) != 3000 || !groups["n2999"] {
			t.Errorf("%v: %d objects, want 3000", extra, len(groups))
		}
		rep := readInputReport(t, filepath.Join(out, "report.json"))
		if len(rep.Files) != 1 || rep.Files[0].Path != "stdin" || rep.Files[0].Format != "ndjson" || rep.Files[0].Compression != "zstd" {
			t.Errorf("%v: files %+v", extra, rep.Files)
		}
		var rej struct {
			File string
			Line int64
		}
		rejects := readLines(t, filepath.Join(out, "rejects.ndjson"))
		if len(rejects) != 1 || json.Unmarshal([]byte(rejects[0]), &rej) != nil || rej.File != "stdin" || rej.Line != 3001 {
			t.Errorf("%v: rejects %q, want one at stdin:3001", extra, rejects)
		}
	}
}

// Two shards, each with its own state, run twice over an export that
// lost some objects: each deletes only the missing objects of its own
// shard, and together they delete every missing one, once.
func TestTwoShardsEachWithItsStateDeleteTheMissing(t *testing.T) {
	dir := t.TempDir()
	const n = 200
	removed := func(i int) bool { return i%7 == 3 }
	full := shardExport(t, filepath.Join(dir, "v1"), n, false, nil)
	smaller := shardExport(t, filepath.Join(dir, "v2"), n, false, removed)
	owner := map[string]int{}
	for k := 1; k <= 2; k++ {
		state := filepath.Join(dir, fmt.Sprintf("crm.shard-%d-of-2.state", k))
		common := []string{"--state", state, "--shard", fmt.Sprintf("%d/2", k), "--delete-missing", "--allow-mass-delete"}
		first := filepath.Join(dir, fmt.Sprint("first", k))
		if code, _, stderr := gi(t, append(append([]string{"run", "--out", first}, common...), full...)...); code != 0 {
			t.Fatalf("shard %d, first run: exit %d\n%s", k, code, stderr)
		}
		second := filepath.Join(dir, fmt.Sprint("second", k))
		if code, _, stderr := gi(t, append(append([]string{"run", "--out", second}, common...), smaller...)...); code != 0 {
			t.Fatalf("shard %d, second run: exit %d\n%s", k, code, stderr)
		}
		_, deleted := groupIDs(t, second)
		for id := range deleted {
			if shard.Of([]byte("1"), []byte(id), 2) != k {
				t.Errorf("shard %d deleted %s, shard %d's", k, id, shard.Of([]byte("1"), []byte(id), 2))
			}
			if o, ok := owner[id]; ok {
				t.Errorf("shards %d and %d both deleted %s", o, k, id)
			}
			owner[id] = k
		}
	}
	var want []string
	for i := 0; i < n; i++ {
		if removed(i) && i%17 != 0 { // c…17 are deleted by the deletion file in both exports
			want = append(want, fmt.Sprintf("c%04d", i))
		}
	}
	var got []string
	for id := range owner {
		got = append(got, id)
	}
	sort.Strings(got)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("the shards deleted %d objects:\n%s\nwant the %d missing:\n%s", len(got), got, len(want), want)
	}
}
