package importer

import (
	"io"
	"os"
	"testing"

	"github.com/groupimport/groupimport/record"
)

// BenchmarkNDJSONRead reads the file named by GROUPIMPORT_BENCH_NDJSON
// (for example go run ./bench/gen -format ndjson -rows 200000) into
// batches of 4,096 rows, the way the pipeline does, and reports rows/s.
func BenchmarkNDJSONRead(b *testing.B) {
	path := os.Getenv("GROUPIMPORT_BENCH_NDJSON")
	if path == "" {
		b.Skip("set GROUPIMPORT_BENCH_NDJSON to an NDJSON file")
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	batch := record.NewBatch(4096, 1<<20)
	var rows int64
	for i := 0; i < b.N; i++ {
		r, _, err := Open(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		for {
			batch.Reset()
			err := r.Next(batch, 4096)
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
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
