package transform

import (
	"fmt"
	"testing"

	"github.com/groupimport/groupimport/record"
)

// benchAppend builds rows of cols with mapping yaml (one section) and
// reports rows per second.
func benchAppend(b *testing.B, kind Kind, yaml string, cols []string, cell func(row, col int) string) {
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
	tr, err := New(Config{Kind: kind, Mapping: km, Timestamp: fixedTS, Version: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	bl := tr.NewBuilder()
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

func BenchmarkAppendCompanies(b *testing.B) {
	cols := []string{"company_id", "name", "employees", "created_at", "updated_at", "city", "zip", "plan", "mrr"}
	benchAppend(b, Companies, "companies:\n  groupId: company_id\n  traits:\n    employees: {column: employees, type: integer}\n    mrr: {column: mrr, type: float}\n", cols,
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
