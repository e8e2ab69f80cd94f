package importer

import (
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/groupimport/groupimport/bench/synth"
	"github.com/groupimport/groupimport/record"
)

var benchCSVOnce struct {
	sync.Once
	path string
	err  error
}

// benchCSVPath is the file BenchmarkCSVRead reads: $GROUPIMPORT_BENCH_CSV,
// else /tmp/c1m.csv when present (go run ./bench/gen -rows 1000000 >
// /tmp/c1m.csv), else 200,000 synthetic rows written once to a temporary
// directory.
func benchCSVPath(b *testing.B) string {
	if p := os.Getenv("GROUPIMPORT_BENCH_CSV"); p != "" {
		return p
	}
	if _, err := os.Stat("/tmp/c1m.csv"); err == nil {
		return "/tmp/c1m.csv"
	}
	benchCSVOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gi-csvbench")
		if err != nil {
			benchCSVOnce.err = err
			return
		}
		p := filepath.Join(dir, "companies.csv")
		f, err := os.Create(p)
		if err != nil {
			benchCSVOnce.err = err
			return
		}
		defer f.Close()
		benchCSVOnce.err = synth.Write(f, "companies", "csv", 200000)
		benchCSVOnce.path = p
	})
	if benchCSVOnce.err != nil {
		b.Fatal(benchCSVOnce.err)
	}
	return benchCSVOnce.path
}

// BenchmarkCSVRead reads a whole CSV file into batches of 4,096 rows, the
// way the pipeline does, and reports rows/s.
func BenchmarkCSVRead(b *testing.B) {
	path := benchCSVPath(b)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	batch := record.NewBatch(4096, 1<<20)
	var rows int64
	start := time.Now()
	for i := 0; i < b.N; i++ {
		r, _, err := Open(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		for {
			batch.Reset()
			err := r.Next(batch, 4096)
			for k := range batch.Rows {
				if batch.Rows[k].Err != nil {
					b.Fatalf("row %d: %v", batch.Rows[k].Num, batch.Rows[k].Err)
				}
			}
			rows += int64(len(batch.Rows))
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		r.Close()
	}
	b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s")
}
