package transform

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"testing"

	"github.com/groupimport/groupimport/bench/synth"
	"github.com/groupimport/groupimport/record"
)

// benchAppend builds rows of cols with mapping yaml (one section) and
// reports rows per second.
func benchAppend(b *testing.B, kind Kind, yaml string, cols []string, cell func(row, col int) string) {
	benchAppendWith(b, benchOptions{}, kind, yaml, cols, cell)
}

// benchOptions turn on what a run may add to building: the content hash
// and trait hashes of incremental runs, the review's statistics.
type benchOptions struct{ contentHash, traitHashes, stats bool }

func benchAppendWith(b *testing.B, o benchOptions, kind Kind, yaml string, cols []string, cell func(row, col int) string) {
	m, err := ParseMapping([]byte(yaml), "")
	if err != nil {
		b.Fatal(err)
	}
	schema := record.NewSchema(cols)
	rows := make([]*record.Row, 1000)
	for r := range rows {
		row := &record.Row{Line: int64(r + 2), Num: int64(r + 1), Schema: schema}
		for c := range cols {
			row.Values = append(row.Values, str(cell(r, c)))
		}
		rows[r] = row
	}
	km, err := Infer(kind, m.For(kind), cols, nil)
	if err != nil {
		b.Fatal(err)
	}
	tr, err := New(Config{Kind: kind, Mapping: km, Timestamp: fixedTS, Version: "bench", ContentHash: o.contentHash, CollectStats: o.stats})
	if err != nil {
		b.Fatal(err)
	}
	bl := tr.NewBuilder()
	bl.TraitHashes = o.traitHashes
	var dst []byte
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst = dst[:0]
		for _, row := range rows {
			var rerr *RowError
			if dst, _, rerr = bl.Append(dst, row); rerr != nil {
				b.Fatal(rerr)
			}
		}
	}
	b.ReportMetric(float64(b.N*len(rows))/b.Elapsed().Seconds(), "rows/s")
}

func BenchmarkAppendCompanies(b *testing.B) { benchCompanies(b, benchOptions{}) }

// The cost of what incremental runs and reviews add.
func BenchmarkAppendCompaniesContentHash(b *testing.B) {
	benchCompanies(b, benchOptions{contentHash: true})
}
func BenchmarkAppendCompaniesTraitHashes(b *testing.B) {
	benchCompanies(b, benchOptions{contentHash: true, traitHashes: true})
}
func BenchmarkAppendCompaniesStats(b *testing.B) { benchCompanies(b, benchOptions{stats: true}) }

func benchCompanies(b *testing.B, o benchOptions) {
	cols := []string{"company_id", "name", "employees", "created_at", "updated_at", "city", "zip", "plan", "mrr"}
	benchAppendWith(b, o, Companies, "companies:\n  groupId: company_id\n  traits:\n    employees: {column: employees, type: integer}\n    mrr: {column: mrr, type: float}\n", cols,
		func(r, c int) string {
			return [...]string{fmt.Sprintf("c-%06d", r), "Acme Corporation", "329", "2019-03-01", "2024-05-01T12:00:00Z", "Phoenix", "85001", "enterprise", "1234.5"}[c]
		})
}

func BenchmarkAppendFormattedDates(b *testing.B) {
	cols := []string{"id", "since", "seen", "renewal"}
	benchAppend(b, Companies, `companies:
  groupId: id
  timestamp: {column: seen, format: "%d/%m/%Y %H:%M"}
  traits:
    since: {column: since, type: timestamp, format: "%d/%m/%Y"}
    renewal: {column: renewal, type: timestamp, format: "%b %e, %Y"}
`, cols, func(r, c int) string {
		d := r%28 + 1
		return [...]string{fmt.Sprintf("c-%06d", r), fmt.Sprintf("%02d/05/2019", d), fmt.Sprintf("%02d/05/2024 13:%02d", d, r%60), fmt.Sprintf("Jun %d, 2025", d)}[c]
	})
}

// The cost of the review's statistics on synthetic companies (bench/synth,
// the rows of bench/gen): payloads built in batches of 4096 rows whose
// statistics are taken and merged in order, as a run does; "counts"
// keeps only the counts, types and examples the review had before its
// statistics of values (distinct and top values, spreads, dates by month,
// samples, shapes, id checks).
func BenchmarkReviewNone(b *testing.B)   { benchReview(b, "none") }
func BenchmarkReviewCounts(b *testing.B) { benchReview(b, "counts") }
func BenchmarkReviewFull(b *testing.B)   { benchReview(b, "full") }

func benchReview(b *testing.B, stats string) {
	var buf bytes.Buffer
	if err := synth.Write(&buf, "companies", "csv", 50000); err != nil {
		b.Fatal(err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		b.Fatal(err)
	}
	cols := recs[0]
	schema := record.NewSchema(cols)
	rows := make([]record.Row, len(recs)-1)
	for i, r := range recs[1:] {
		// numbered as the last rows of a file of 1M: the statistics'
		// steady state past describeAll
		rows[i] = record.Row{Line: int64(i + 2), Num: int64(1000000 - len(recs) + i + 2), Schema: schema}
		for _, c := range r {
			rows[i].Values = append(rows[i].Values, str(c))
		}
	}
	km, err := Infer(Companies, nil, cols, rows[:1000])
	if err != nil {
		b.Fatal(err)
	}
	tr, err := New(Config{Kind: Companies, Mapping: km, Timestamp: fixedTS, Version: "bench", CollectStats: stats != "none"})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bl := tr.NewBuilder()
		run := &Stats{Kind: Companies, Fields: map[string]*FieldStats{}}
		if bl.Stats != nil {
			bl.Stats.countsOnly = stats == "counts"
		}
		var dst []byte
		for start := 0; start < len(rows); start += 4096 {
			dst = dst[:0]
			for j := start; j < min(start+4096, len(rows)); j++ {
				var rerr *RowError
				if dst, _, rerr = bl.Append(dst, &rows[j]); rerr != nil {
					b.Fatal(rerr)
				}
			}
			if st := bl.TakeBatchStats(); st != nil {
				run.MergeBatch(st, "companies.csv")
			}
		}
	}
	b.ReportMetric(float64(b.N*len(rows))/b.Elapsed().Seconds(), "rows/s")
}
