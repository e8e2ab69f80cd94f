package runner

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/groupimport/groupimport/bench/synth"
)

var benchFiles sync.Map

// benchInput writes (once per process) a synthetic export of rows rows.
func benchInput(b *testing.B, kind, format string, rows int) string {
	key := kind + format + string(rune(rows))
	if p, ok := benchFiles.Load(key); ok {
		return p.(string)
	}
	dir, err := os.MkdirTemp("", "gi-bench")
	if err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(dir, kind+"."+format)
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	if err := synth.Write(f, kind, format, rows); err != nil {
		b.Fatal(err)
	}
	f.Close()
	benchFiles.Store(key, p)
	return p
}

func benchRun(b *testing.B, kind, format, compress string) {
	const rows = 200000
	in := benchInput(b, kind, format, rows)
	out := b.TempDir()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		o := Options{Command: "run", Out: out, Overwrite: true, Compress: compress, Quiet: true,
			Timestamp: "2024-06-01T00:00:00Z", Stdout: io.Discard, Stderr: io.Discard}
		if kind == "memberships" {
			o.Memberships = []string{in}
		} else {
			o.Companies = []string{in}
		}
		if code := Run(context.Background(), o); code != ExitOK {
			b.Fatalf("exit %d", code)
		}
	}
	b.ReportMetric(float64(rows*b.N)/time.Since(start).Seconds(), "rows/s")
}

func BenchmarkCompaniesCSV(b *testing.B)      { benchRun(b, "companies", "csv", "") }
func BenchmarkCompaniesCSVZstd(b *testing.B)  { benchRun(b, "companies", "csv", "zstd") }
func BenchmarkCompaniesCSVGzip(b *testing.B)  { benchRun(b, "companies", "csv", "gzip") }
func BenchmarkCompaniesNDJSON(b *testing.B)   { benchRun(b, "companies", "ndjson", "") }
func BenchmarkMembershipsCSV(b *testing.B)    { benchRun(b, "memberships", "csv", "") }
func BenchmarkMembershipsNDJSON(b *testing.B) { benchRun(b, "memberships", "ndjson", "") }
