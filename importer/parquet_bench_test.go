package importer

import (
	"io"
	"os"
	"testing"

	"github.com/groupimport/groupimport/record"
)

// BenchmarkParquetRead reads the file named by GI_PARQUET_BENCH (for
// example one written by bench/parquetgen) through the reader alone.
func BenchmarkParquetRead(b *testing.B) {
	path := os.Getenv("GI_PARQUET_BENCH")
	if path == "" {
		b.Skip("set GI_PARQUET_BENCH to a Parquet file")
	}
	for i := 0; i < b.N; i++ {
		r, _, err := Open(path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		batch := record.NewBatch(4096, 1<<20)
		rows := 0
		for {
			batch.Reset()
			err := r.Next(batch, 4096)
			rows += len(batch.Rows)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		r.Close()
		b.ReportMetric(float64(rows)/b.Elapsed().Seconds()*float64(i+1), "rows/s")
	}
}
