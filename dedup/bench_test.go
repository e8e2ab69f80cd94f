package dedup

import (
	"encoding/binary"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's CPU time so far (user and system): on a
// machine shared with other work, wall time measures the others too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// randomKeys are n distinct keys as the transform makes them (hashes:
// uniformly random bits).
func randomKeys(n int) [][16]byte {
	r := rand.New(rand.NewPCG(1, 2))
	keys := make([][16]byte, n)
	for i := range keys {
		binary.LittleEndian.PutUint64(keys[i][:8], r.Uint64())
		binary.LittleEndian.PutUint64(keys[i][8:], r.Uint64())
	}
	return keys
}

// benchDetector adds keys (one a row) and resolves them, reporting wall
// and CPU time per row (-benchtime 3x or so: an op is every row).
func benchDetector(b *testing.B, keys [][16]byte, superseded int64) {
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		d := NewDetector(b.TempDir(), int64(len(keys)))
		b.StartTimer()
		start := cpuTime()
		for i, k := range keys {
			if err := d.Add(Entry{Key: k, Row: int64(i), Msg: int64(i)}); err != nil {
				b.Fatal(err)
			}
		}
		res, err := d.Resolve()
		if err != nil || res.Superseded != superseded {
			b.Fatal(err, res.Superseded)
		}
		cpu += cpuTime() - start
		d.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(keys)), "ns/row")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(len(keys)), "cpu-ns/row")
}

// The cost per row of duplicate detection over 1M rows without a
// duplicate, the default run's common case.
func BenchmarkDetectorNoDuplicates(b *testing.B) {
	benchDetector(b, randomKeys(1<<20), 0)
}

// The same with one row in ten repeating an earlier row's key.
func BenchmarkDetectorManyDuplicates(b *testing.B) {
	keys := randomKeys(1 << 20)
	for i := 10; i < len(keys); i += 10 {
		keys[i] = keys[i/2]
	}
	benchDetector(b, keys, 1<<20/10)
}
