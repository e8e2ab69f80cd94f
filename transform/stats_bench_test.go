package transform

import (
	"bytes"
	"encoding/csv"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/groupimport/groupimport/bench/synth"
	"github.com/groupimport/groupimport/record"
)

// The review's target (issue 16): collecting its statistics costs at most
// 10% over building the same payloads without them, on a file of 1M
// companies. These benchmarks build 1M rows of bench/synth (the rows of
// bench/gen, a pool of statsPoolRows numbered 1…1M as one file, so the
// statistics sample as they do on the real file) in batches of 4096 whose
// statistics are taken and merged in order, as a run does.
//
//	go test ./transform -run X -bench Stats1M -benchtime 5x
//
// BenchmarkStats1MOverhead interleaves the two (off, on, off, on, …) and
// reports the medians of their CPU time (getrusage: the machine may be
// shared, wall time is noisier) and overhead-% = on/off − 1.

const (
	statsFileRows = 1_000_000
	statsPoolRows = 100_000
)

var statsPool struct {
	once sync.Once
	cols []string
	rows []record.Row
	err  error
}

func statsRows(b *testing.B) ([]string, []record.Row) {
	p := &statsPool
	p.once.Do(func() {
		var buf bytes.Buffer
		if p.err = synth.Write(&buf, "companies", "csv", statsPoolRows); p.err != nil {
			return
		}
		recs, err := csv.NewReader(&buf).ReadAll()
		if p.err = err; err != nil {
			return
		}
		p.cols = recs[0]
		schema := record.NewSchema(p.cols)
		p.rows = make([]record.Row, len(recs)-1)
		for i, r := range recs[1:] {
			p.rows[i] = record.Row{Schema: schema, Values: make([]record.Value, 0, len(r))}
			for _, c := range r {
				p.rows[i].Values = append(p.rows[i].Values, str(c))
			}
		}
	})
	if p.err != nil {
		b.Fatal(p.err)
	}
	return p.cols, p.rows
}

// statsTransformer returns the transformer of the synthetic companies
// (mapping inferred, as a run without a mapping file).
func statsTransformer(b *testing.B, collect bool) *Transformer {
	cols, rows := statsRows(b)
	km, err := Infer(Companies, nil, cols, rows[:1000])
	if err != nil {
		b.Fatal(err)
	}
	tr, err := New(Config{Kind: Companies, Mapping: km, Timestamp: fixedTS, Version: "bench", CollectStats: collect})
	if err != nil {
		b.Fatal(err)
	}
	return tr
}

// build1M builds the 1M rows with tr and returns the CPU time it took.
func build1M(b *testing.B, tr *Transformer) time.Duration {
	_, rows := statsRows(b)
	start := cpuTime()
	bl := tr.NewBuilder()
	var run *Stats
	if bl.Stats != nil {
		run = &Stats{Kind: Companies, Fields: map[string]*FieldStats{}}
	}
	dst := make([]byte, 0, 8<<20)
	for n := 0; n < statsFileRows; {
		dst = dst[:0]
		for end := min(n+4096, statsFileRows); n < end; n++ {
			row := &rows[n%len(rows)]
			row.Num, row.Line = int64(n+1), int64(n+2)
			var rerr *RowError
			if dst, _, rerr = bl.Append(dst, row); rerr != nil {
				b.Fatal(rerr)
			}
		}
		if st := bl.TakeBatchStats(); st != nil {
			run.MergeBatch(st, "companies.csv")
		}
	}
	if run != nil {
		run.Merge(bl.Stats) // the order-free summaries, as Result.Stats gets them
	}
	return cpuTime() - start
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkStats1MOff(b *testing.B) { benchStats1M(b, false) }
func BenchmarkStats1MOn(b *testing.B)  { benchStats1M(b, true) }

func benchStats1M(b *testing.B, collect bool) {
	tr := statsTransformer(b, collect)
	b.ReportAllocs()
	b.ResetTimer()
	var cpu time.Duration
	for i := 0; i < b.N; i++ {
		cpu += build1M(b, tr)
	}
	b.ReportMetric(float64(b.N*statsFileRows)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*statsFileRows), "cpu-ns/row")
}

func BenchmarkStats1MOverhead(b *testing.B) {
	off, on := statsTransformer(b, false), statsTransformer(b, true)
	var offs, ons []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		offs = append(offs, float64(build1M(b, off).Nanoseconds()))
		ons = append(ons, float64(build1M(b, on).Nanoseconds()))
	}
	mo, mn := median(offs), median(ons)
	b.ReportMetric(mo/statsFileRows, "off-cpu-ns/row")
	b.ReportMetric(mn/statsFileRows, "on-cpu-ns/row")
	b.ReportMetric(100*(mn/mo-1), "overhead-%")
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
