// Package synth writes deterministic synthetic company and membership
// exports for benchmarks and large tests: about 20 columns a company row
// (payloads near 850 bytes), a fixed seed so every run is the same data.
package synth

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

var (
	industries = []string{"Technology", "Manufacturing", "Retail", "Healthcare", "Finance", "Education", "Logistics", "Media"}
	plans      = []string{"starter", "pro", "enterprise"}
	cities     = []struct{ city, state, country, zip string }{
		{"Phoenix", "AZ", "US", "85001"}, {"Austin", "TX", "US", "73301"}, {"Paris", "", "FR", "75008"},
		{"Berlin", "", "DE", "10115"}, {"São Paulo", "SP", "BR", "01000-000"}, {"Tokyo", "", "JP", "100-0001"},
	}
	words = []string{"reliable", "global", "leading", "provider", "of", "cloud", "solutions", "for", "teams", "and", "enterprises", "since", "founded", "innovative", "platform"}
)

// Write writes rows rows of kind (companies or memberships) in format (csv
// or ndjson) to out.
func Write(out io.Writer, kind, format string, rows int) error {
	w := bufio.NewWriterSize(out, 1<<20)
	r := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	if kind == "memberships" {
		cols := []string{"user_id", "anonymous_id", "company_id", "role", "joined_at", "is_primary_contact", "seats", "title", "department", "last_seen_at", "invited_by", "status"}
		header(w, format, cols)
		for i := 0; i < rows; i++ {
			uid := fmt.Sprintf("u-%08d", i)
			anon := ""
			if i%10 == 0 {
				uid, anon = "", fmt.Sprintf("anon-%08x", r.Uint32())
			}
			vals := []string{uid, anon, fmt.Sprintf("%016x", r.Uint64()%(uint64(rows)/4+1)), []string{"admin", "member", "owner", "viewer"}[r.IntN(4)],
				base.Add(-time.Duration(r.IntN(1e6)) * time.Minute).Format("2006-01-02"), strconv.FormatBool(r.IntN(5) == 0),
				strconv.Itoa(1 + r.IntN(50)), "Head of " + words[r.IntN(len(words))], industries[r.IntN(len(industries))],
				base.Add(-time.Duration(r.IntN(1e6)) * time.Second).Format(time.RFC3339), fmt.Sprintf("u-%08d", r.IntN(rows+1)), "active"}
			row(w, format, cols, vals, []bool{false, false, false, false, false, true, true, false, false, false, false, false})
		}
		return w.Flush()
	}
	cols := []string{"company_id", "company_name", "industry", "employees", "created_at", "updated_at", "street", "city", "state", "country",
		"postal_code", "website", "plan", "total_billed", "is_partner", "phone", "email", "description", "mrr", "seats", "account_owner"}
	header(w, format, cols)
	num := []bool{false, false, false, true, false, false, false, false, false, false, false, false, false, true, true, false, false, false, true, true, false}
	for i := 0; i < rows; i++ {
		c := cities[r.IntN(len(cities))]
		desc := ""
		for k := 0; k < 14; k++ {
			desc += words[r.IntN(len(words))] + " "
		}
		name := fmt.Sprintf("Company %d %s", i, []string{"Inc.", "LLC", "GmbH", "S.A.", "Ltd"}[r.IntN(5)])
		vals := []string{fmt.Sprintf("%016x", uint64(i)*2654435761), name, industries[r.IntN(len(industries))], strconv.Itoa(1 + r.IntN(100000)),
			base.Add(-time.Duration(r.IntN(3650*24)) * time.Hour).Format("2006-01-02"), base.Add(time.Duration(r.IntN(1e7)) * time.Second).Format(time.RFC3339),
			fmt.Sprintf("%d Main Street, Suite %d", 1+r.IntN(9999), r.IntN(900)), c.city, c.state, c.country, c.zip,
			fmt.Sprintf("https://www.company-%d.example.com", i), plans[r.IntN(3)], fmt.Sprintf("%d.%02d", r.IntN(1000000), r.IntN(100)),
			strconv.FormatBool(r.IntN(4) == 0), fmt.Sprintf("+1-555-%03d-%04d", r.IntN(1000), r.IntN(10000)), fmt.Sprintf("billing@company-%d.example.com", i),
			desc, strconv.Itoa(r.IntN(100000)), strconv.Itoa(1 + r.IntN(500)), fmt.Sprintf("owner%d@vendor.example", r.IntN(50))}
		row(w, format, cols, vals, num)
	}
	return w.Flush()
}

func header(w *bufio.Writer, format string, cols []string) {
	if format != "csv" {
		return
	}
	for i, c := range cols {
		if i > 0 {
			w.WriteByte(',')
		}
		w.WriteString(c)
	}
	w.WriteByte('\n')
}

func row(w *bufio.Writer, format string, cols, vals []string, num []bool) {
	if format == "csv" {
		for i, v := range vals {
			if i > 0 {
				w.WriteByte(',')
			}
			needQuote := false
			for _, ch := range v {
				if ch == ',' || ch == '"' || ch == '\n' {
					needQuote = true
				}
			}
			if needQuote {
				w.WriteString(strconv.Quote(v))
			} else {
				w.WriteString(v)
			}
		}
		w.WriteByte('\n')
		return
	}
	w.WriteByte('{')
	first := true
	for i, v := range vals {
		if v == "" {
			continue
		}
		if !first {
			w.WriteByte(',')
		}
		first = false
		w.WriteString(strconv.Quote(cols[i]))
		w.WriteByte(':')
		if num[i] {
			w.WriteString(v)
		} else {
			w.WriteString(strconv.Quote(v))
		}
	}
	w.WriteString("}\n")
}
