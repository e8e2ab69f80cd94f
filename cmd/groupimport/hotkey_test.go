package main

import (
	"bytes"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
)

// peakHeap samples the Go heap in use while fn runs.
func peakHeap(fn func()) uint64 {
	var peak uint64
	var mu sync.Mutex
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapInuse)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	<-done
	return peak
}

// One key on every row of a gzip: the duplicate resolution holds a bit per
// row, not an entry per row of the key (the old code held every entry of
// the key several times over: gigabytes for a few megabytes of gzip).
func TestHotKeyRunBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("reads a million rows")
	}
	const rows = 1_000_000
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	zw.Write([]byte("company_id,name\n"))
	line := []byte("hot,Hot Company\n")
	for i := 0; i < rows; i++ {
		zw.Write(line)
	}
	zw.Close()
	dir := t.TempDir()
	in := writeFile(t, dir, "hot.csv.gz", buf.Bytes())
	out := filepath.Join(dir, "out")
	runtime.GC()
	var code int
	var stderr string
	peak := peakHeap(func() {
		code, _, stderr = gi(t, "run", "--companies", in, "--out", out, "--workers", "2", "--quiet")
	})
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	rep := readReport(t, filepath.Join(out, "report.json"))
	if rep.Totals.Read != rows || rep.Totals.Emitted != 1 || rep.Totals.Skipped != rows-1 {
		t.Errorf("totals %+v, want %d read, 1 emitted, the rest superseded", rep.Totals, rows)
	}
	if lines := readLines(t, filepath.Join(out, "payloads-00001.ndjson")); len(lines) != 1 || !strings.Contains(lines[0], `"groupId":"hot"`) {
		t.Errorf("payloads: %d lines", len(lines))
	}
	t.Logf("peak heap in use: %d MiB", peak>>20)
	if limit := uint64(96 << 20); peak > limit {
		t.Errorf("peak heap %d MiB, more than %d MiB for one key (%s)", peak>>20, limit>>20, fmt.Sprint(rows)+" rows")
	}
}
