package runner

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// The review report of a dry run on the fixtures, against a golden file
// a person has read (go test ./runner -update rewrites it).
func TestReviewGolden(t *testing.T) {
	wd, _ := os.Getwd()
	out := t.TempDir()
	t.Chdir(filepath.Join(wd, ".."))
	clock := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	o := Options{Command: "run", DryRun: true, Out: out, Timestamp: "2024-06-01T00:00:00Z",
		Companies: []string{"fixtures/companies.csv"}, Memberships: []string{"fixtures/memberships.ndjson"},
		DeleteObjects: []string{"fixtures/deletes/objects_to_delete.csv"},
		Now:           func() time.Time { return clock }, Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Quiet: true}
	if code := Run(context.Background(), o); code != ExitRejected {
		t.Fatalf("exit %d", code)
	}
	md, err := os.ReadFile(filepath.Join(out, "review.md"))
	if err != nil {
		t.Fatal(err)
	}
	md = bytes.ReplaceAll(md, []byte(out), []byte("OUT"))
	golden := filepath.Join(wd, "testdata", "review.md")
	if *update {
		os.MkdirAll(filepath.Dir(golden), 0o755)
		os.WriteFile(golden, md, 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(md, want) {
		t.Errorf("review.md differs from testdata/review.md (go test ./runner -update, then review the diff):\n%s", md)
	}
	html, err := os.ReadFile(filepath.Join(out, "review.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(html)
	for _, want := range []string{"<title>groupimport review</title>", "dry run: nothing was sent", "mixed types", "Fields of companies", "&#34;8,200&#34;"} {
		if !strings.Contains(page, want) {
			t.Errorf("review.html lacks %q", want)
		}
	}
	// self-contained: nothing fetched from the network
	for _, bad := range []string{"src=\"http", "href=\"http", "@import", "<script src"} {
		if strings.Contains(page, bad) {
			t.Errorf("review.html loads something: %q", bad)
		}
	}
}
