package objstore_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	parquetgo "github.com/parquet-go/parquet-go"

	"github.com/groupimport/groupimport/importer"
	"github.com/groupimport/groupimport/importer/objstore"
	"github.com/groupimport/groupimport/importer/objstore/fakes3"
	"github.com/groupimport/groupimport/record"
)

func newStore(t *testing.T) *objstore.Store {
	t.Helper()
	s := objstore.New(context.Background(), objstore.Options{BackoffBase: time.Millisecond, BackoffMax: 5 * time.Millisecond})
	t.Cleanup(func() { s.Close() })
	return s
}

func csvRows(prefix string, n int) []byte {
	var b bytes.Buffer
	b.WriteString("company_id,name\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%s%d,Company %d with a name\n", prefix, i, i)
	}
	return b.Bytes()
}

func gz(p []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write(p)
	w.Close()
	return b.Bytes()
}

// wideParquet writes rows of cols text columns c00…, in row groups of
// group rows.
func wideParquet(t *testing.T, cols, rows, group int) []byte {
	t.Helper()
	g := parquetgo.Group{}
	for c := 0; c < cols; c++ {
		g[fmt.Sprintf("c%02d", c)] = parquetgo.String()
	}
	var buf bytes.Buffer
	w := parquetgo.NewWriter(&buf, parquetgo.NewSchema("wide", g), parquetgo.MaxRowsPerRowGroup(int64(group)))
	batch := make([]parquetgo.Row, 0, 256)
	for i := 0; i < rows; i++ {
		row := make(parquetgo.Row, cols)
		for c := 0; c < cols; c++ {
			row[c] = parquetgo.ValueOf(fmt.Sprintf("r%06d-c%02d-%08x", i, c, uint32(i*2654435761)^uint32(c))).Level(0, 0, c)
		}
		batch = append(batch, row)
		if len(batch) == cap(batch) || i == rows-1 {
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

// readAll reads a file through the importer, returning its rows' first
// column and the error that ended it (nil at io.EOF).
func readAll(t *testing.T, name string, opts importer.Options) (firsts []string, src *importer.Source, err error) {
	t.Helper()
	r, src, err := importer.Open(name, opts)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	b := record.NewBatch(1024, 1<<20)
	for {
		b.Reset()
		err := r.Next(b, 1024)
		for i := range b.Rows {
			if v := b.Rows[i].Values; len(v) > 0 {
				firsts = append(firsts, string(v[0].Bytes))
			}
		}
		if err == io.EOF {
			return firsts, src, nil
		}
		if err != nil {
			return firsts, src, err
		}
	}
}

// A prefix of mixed parts (.csv.gz, .csv, .parquet, an extension-less
// part) is a folder: natural order, _SUCCESS, .crc, hidden and _temporary
// entries left out and listed; each part read by its content.
func TestPrefixOfMixedParts(t *testing.T) {
	srv := fakes3.Start(t)
	srv.Bucket(t, "exports")
	srv.Put(t, "exports", "companies/part-10.csv.gz", gz(csvRows("z", 3)))
	srv.Put(t, "exports", "companies/part-2.csv", csvRows("b", 2))
	srv.Put(t, "exports", "companies/part-1.parquet", wideParquet(t, 3, 4, 10))
	srv.Put(t, "exports", "companies/part-3", gz(csvRows("c", 1)))
	srv.Put(t, "exports", "companies/_SUCCESS", nil)
	srv.Put(t, "exports", "companies/.part-2.csv.crc", []byte("x"))
	srv.Put(t, "exports", "companies/_temporary/0/part-9.csv", csvRows("t", 1))
	srv.Put(t, "exports", "companies-old/part-1.csv", csvRows("o", 1))
	s := newStore(t)
	for _, url := range []string{"s3://exports/companies", "s3://exports/companies/"} {
		in, err := importer.ExpandWith([]string{url}, s)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"s3://exports/companies/part-1.parquet", "s3://exports/companies/part-2.csv",
			"s3://exports/companies/part-3", "s3://exports/companies/part-10.csv.gz"}
		if strings.Join(in.Files, " ") != strings.Join(want, " ") {
			t.Fatalf("%s: files %q, want %q", url, in.Files, want)
		}
		if len(in.Ignored) != 3 {
			t.Errorf("ignored %+v, want _SUCCESS, the .crc and _temporary", in.Ignored)
		}
	}
	in, _ := importer.ExpandWith([]string{"s3://exports/companies/"}, s)
	var got []string
	for _, f := range in.Files {
		firsts, src, err := readAll(t, f, importer.Options{Remote: s})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		got = append(got, fmt.Sprintf("%s:%s", src.Format, strings.Join(firsts, ",")))
	}
	want := "parquet:r000000-c00-00000000,r000001-c00-9e3779b1,r000002-c00-3c6ef362,r000003-c00-daa66d13 csv:b0,b1 csv:c0 csv:z0,z1,z2"
	if strings.Join(got, " ") != want {
		t.Errorf("rows\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	// globs, segment by segment; a glob matching a folder takes its files
	in, err := importer.ExpandWith([]string{"s3://exports/companies/part-*.csv*"}, s)
	if err != nil || len(in.Files) != 2 {
		t.Errorf("glob: %q %v", in.Files, err)
	}
	in, err = importer.ExpandWith([]string{"s3://exports/compan*"}, s)
	if err != nil || len(in.Files) != 5 {
		t.Errorf("glob of folders: %q %v", in.Files, err)
	}
	if _, err := importer.ExpandWith([]string{"s3://exports/nothing-*.csv"}, s); err == nil || !strings.Contains(err.Error(), "s3://exports/nothing-*.csv") {
		t.Errorf("a glob matching nothing: %v", err)
	}
}

// More than 1,000 objects page through the listing.
func TestListingPagesThrough(t *testing.T) {
	srv := fakes3.Start(t)
	srv.Bucket(t, "many")
	const n = 1234
	for i := 0; i < n; i++ {
		srv.Put(t, "many", fmt.Sprintf("parts/part-%d.csv", i), csvRows("p", 1))
	}
	srv.Reset()
	s := newStore(t)
	in, err := importer.ExpandWith([]string{"s3://many/parts/"}, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Files) != n || in.Files[0] != "s3://many/parts/part-0.csv" || in.Files[n-1] != fmt.Sprintf("s3://many/parts/part-%d.csv", n-1) {
		t.Fatalf("%d files (%s … %s), want %d in natural order", len(in.Files), in.Files[0], in.Files[len(in.Files)-1], n)
	}
	if lists := fakes3.Lists(srv.Requests()); len(lists) != 2 {
		t.Errorf("%d listing requests, want 2 pages", len(lists))
	}
}

// Parquet is read by ranged requests: the footer, then the needed column
// chunks, a few requests each, never the whole object.
func TestParquetRangedReads(t *testing.T) {
	srv := fakes3.Start(t)
	srv.Bucket(t, "pq")
	data := wideParquet(t, 40, 40000, 10000)
	srv.Put(t, "pq", "wide/part-0.parquet", data)
	srv.Reset()
	s := objstore.New(context.Background(), objstore.Options{BlockBytes: 64 << 10})
	defer s.Close()
	firsts, src, err := readAll(t, "s3://pq/wide/part-0.parquet", importer.Options{Remote: s, Columns: []string{"c07", "c31"}})
	if err != nil {
		t.Fatal(err)
	}
	if src.Format != importer.Parquet || len(firsts) != 40000 || firsts[1] != "r000001-c07-9e3779b6" {
		t.Fatalf("format %s, %d rows, second %q", src.Format, len(firsts), firsts[1])
	}
	gets := fakes3.Gets(srv.Requests(), "/pq/")
	var bytes int64
	for _, g := range gets {
		if g.Range == "" {
			t.Errorf("a GET of the whole object: %+v", g)
		}
		bytes += g.Bytes
	}
	size := int64(len(data))
	t.Logf("object %d bytes; %d ranged GETs, %d bytes (%.1f%%)", size, len(gets), bytes, 100*float64(bytes)/float64(size))
	if bytes > size/4 {
		t.Errorf("read %d bytes of %d: more than the 2 columns of 40 need", bytes, size)
	}
	if len(gets) > 60 {
		t.Errorf("%d requests: the reads are not cached", len(gets))
	}
}

// A missing bucket, a missing object and denied requests are clear errors
// naming the URL and what to check.
func TestMissingAndDenied(t *testing.T) {
	srv := fakes3.Start(t)
	srv.Bucket(t, "b")
	srv.Put(t, "b", "c/part-0.csv", csvRows("x", 2))
	s := newStore(t)
	_, err := importer.ExpandWith([]string{"s3://nosuchbucket/exports/"}, s)
	if err == nil || !strings.Contains(err.Error(), "s3://nosuchbucket/exports") || !strings.Contains(err.Error(), `bucket "nosuchbucket" does not exist`) {
		t.Errorf("missing bucket: %v", err)
	}
	_, err = importer.ExpandWith([]string{"s3://b/none/"}, s)
	if err == nil || !strings.Contains(err.Error(), "s3://b/none") {
		t.Errorf("empty prefix: %v", err)
	}
	srv.SetFault(func(r *http.Request, _ int) *fakes3.Fault {
		return &fakes3.Fault{Status: http.StatusForbidden, Code: "AccessDenied"}
	})
	_, err = importer.ExpandWith([]string{"s3://b/c/"}, s)
	if err == nil || !strings.Contains(err.Error(), "s3://b/c") || !strings.Contains(err.Error(), "access denied") || !strings.Contains(err.Error(), "s3:ListBucket") {
		t.Errorf("denied listing: %v", err)
	}
	_, _, err = readAll(t, "s3://b/c/part-0.csv", importer.Options{Remote: s})
	if err == nil || !strings.Contains(err.Error(), "s3://b/c/part-0.csv") || !strings.Contains(err.Error(), "s3:GetObject") {
		t.Errorf("denied read: %v", err)
	}
	for _, e := range []error{err} {
		if e != nil && (strings.Contains(e.Error(), fakes3.SecretAccessKey) || strings.Contains(e.Error(), fakes3.SessionToken)) {
			t.Errorf("an error holds a credential: %v", e)
		}
	}
}

// A connection reset in the middle of an object resumes from the byte it
// broke at; resets that never end fail the file clearly, after the rows
// before them, never with a silently short read.
func TestResetMidObject(t *testing.T) {
	srv := fakes3.Start(t)
	srv.Bucket(t, "b")
	data := csvRows("r", 60000)
	srv.Put(t, "b", "big.csv", data)
	srv.Put(t, "b", "big.csv.gz", gz(data))
	for _, key := range []string{"big.csv", "big.csv.gz"} {
		t.Run(key, func(t *testing.T) {
			srv.Reset()
			srv.SetFault(func(r *http.Request, _ int) *fakes3.Fault {
				if r.Method == http.MethodGet && r.Header.Get("Range") == "" && strings.HasSuffix(r.URL.Path, key) {
					return &fakes3.Fault{CutAfter: 100000}
				}
				return nil
			})
			s := newStore(t)
			firsts, _, err := readAll(t, "s3://b/"+key, importer.Options{Remote: s})
			if err != nil {
				t.Fatal(err)
			}
			if len(firsts) != 60000 || firsts[59999] != "r59999" {
				t.Fatalf("%d rows, want 60000", len(firsts))
			}
			if st := s.Stats(); st.Resumes != 1 {
				t.Errorf("stats %+v, want 1 resume", st)
			}
			gets := fakes3.Gets(srv.Requests(), "/b/"+key)
			if len(gets) != 2 || gets[1].Range != "bytes=100000-" {
				t.Errorf("GETs %+v, want the cut one and one from byte 100000", gets)
			}
		})
	}
	t.Run("never resumes", func(t *testing.T) {
		srv.SetFault(func(r *http.Request, _ int) *fakes3.Fault {
			if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "big.csv") {
				return &fakes3.Fault{CutAfter: 50000}
			}
			return nil
		})
		s := newStore(t)
		firsts, _, err := readAll(t, "s3://b/big.csv", importer.Options{Remote: s})
		if err == nil || !errors.Is(err, importer.ErrUnavailable) || !strings.Contains(err.Error(), "s3://b/big.csv") {
			t.Fatalf("err %v, want the file failed as unavailable, naming it", err)
		}
		if len(firsts) >= 60000 {
			t.Errorf("%d rows read of a file that could not be read", len(firsts))
		}
		t.Logf("%d rows, then: %v", len(firsts), err)
	})
}

// 5xx and throttling answers are retried.
func TestTransientErrorsRetried(t *testing.T) {
	srv := fakes3.Start(t)
	srv.Bucket(t, "b")
	srv.Put(t, "b", "c/part-0.csv", csvRows("x", 5))
	srv.SetFault(func(r *http.Request, n int) *fakes3.Fault {
		switch n {
		case 1:
			return &fakes3.Fault{Status: http.StatusServiceUnavailable, Code: "SlowDown"}
		case 2, 4:
			return &fakes3.Fault{Status: http.StatusInternalServerError, Code: "InternalError"}
		}
		return nil
	})
	s := newStore(t)
	in, err := importer.ExpandWith([]string{"s3://b/c/"}, s)
	if err != nil {
		t.Fatal(err)
	}
	firsts, _, err := readAll(t, in.Files[0], importer.Options{Remote: s})
	if err != nil || len(firsts) != 5 {
		t.Fatalf("%d rows, %v", len(firsts), err)
	}
	if st := s.Stats(); st.Retries != 3 {
		t.Errorf("stats %+v, want 3 retries", st)
	}
}

// An object replaced while it is read is a file error (ErrChanged).
func TestObjectReplacedWhileRead(t *testing.T) {
	srv := fakes3.Start(t)
	srv.Bucket(t, "b")
	srv.Put(t, "b", "c.csv", csvRows("v1-", 60000))
	s := newStore(t)
	var replaced atomic.Bool
	srv.SetFault(func(r *http.Request, _ int) *fakes3.Fault {
		if r.Method == http.MethodGet && r.Header.Get("Range") == "" && !replaced.Load() {
			return &fakes3.Fault{CutAfter: 100000}
		}
		return nil
	})
	obj, err := s.Open("s3://b/c.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	rc := obj.Stream()
	defer rc.Close()
	buf := make([]byte, 90000)
	if _, err := io.ReadFull(rc, buf); err != nil {
		t.Fatal(err)
	}
	replaced.Store(true)
	srv.Put(t, "b", "c.csv", csvRows("v2-", 60000))
	_, err = io.Copy(io.Discard, rc)
	if !errors.Is(err, importer.ErrChanged) {
		t.Fatalf("err %v, want ErrChanged", err)
	}
}

func objstoreWithPageSize(t *testing.T, n int) *objstore.Store {
	t.Helper()
	s := objstore.New(context.Background(), objstore.Options{PageSize: n, BackoffBase: time.Millisecond})
	t.Cleanup(func() { s.Close() })
	return s
}

// Hive folders (k=v) of an object's key become columns of its Parquet
// rows, as for local files.
func TestHiveFoldersOfObjects(t *testing.T) {
	srv := fakes3.Start(t)
	srv.Bucket(t, "lake")
	srv.Put(t, "lake", "sales/country=US/dt=2024-05-01/part-0.parquet", wideParquet(t, 2, 3, 10))
	s := newStore(t)
	in, err := importer.ExpandWith([]string{"s3://lake/sales/"}, s)
	if err != nil || len(in.Files) != 1 {
		t.Fatalf("%v %v", in, err)
	}
	r, _, err := importer.Open(in.Files[0], importer.Options{Remote: s})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b := record.NewBatch(10, 1<<20)
	if err := r.Next(b, 10); err != nil && err != io.EOF {
		t.Fatal(err)
	}
	row := &b.Rows[0]
	got := map[string]string{}
	for _, c := range []string{"country", "dt"} {
		if i := row.Schema.Index(c); i >= 0 && i < len(row.Values) {
			got[c] = string(row.Values[i].Bytes)
		}
	}
	if len(b.Rows) != 3 || got["country"] != "US" || got["dt"] != "2024-05-01" {
		t.Errorf("columns %q, %d rows, partition values %v", r.Columns(), len(b.Rows), got)
	}
}
