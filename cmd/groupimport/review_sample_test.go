package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Past a file's first 65,536 rows the review's top values and numbers
// come from a sample of the rows: report.json marks those fields sampled,
// their counts stay near the truth, and the review marks them ≈; fill
// rates, types and distinct counts still see every row.
func TestReviewSamplesLargeFiles(t *testing.T) {
	dir := t.TempDir()
	const rows = 100000
	var b strings.Builder
	b.WriteString("company_id,plan,employees\n")
	plans := [...]string{"free", "pro", "pro", "enterprise"}
	for i := range rows {
		fmt.Fprintf(&b, "c-%06d,%s,%d\n", i, plans[i*7%4], i%50)
	}
	in := filepath.Join(dir, "companies.csv")
	if err := os.WriteFile(in, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "review")
	if code, _, stderr := gi(t, "run", "--dry-run", "--companies", in, "--out", out, "--timestamp", "2024-06-01T00:00:00Z"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	data, err := os.ReadFile(filepath.Join(out, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Review struct {
			Kinds []struct {
				Fields []struct {
					Name      string           `json:"name"`
					FillPct   float64          `json:"fill_pct"`
					Types     map[string]int64 `json:"types"`
					Distinct  int64            `json:"distinct"`
					Sampled   bool             `json:"sampled"`
					TopValues []struct {
						Value string `json:"value"`
						Count int64  `json:"count"`
					} `json:"top_values"`
					Numbers *struct {
						Min, Mean, Max float64
					} `json:"numbers"`
				} `json:"fields"`
			} `json:"kinds"`
		} `json:"review"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, f := range rep.Review.Kinds[0].Fields {
		switch f.Name {
		case "traits.plan":
			seen++
			top := f.TopValues[0]
			if !f.Sampled || top.Value != `"pro"` || top.Count < rows/2*97/100 || top.Count > rows/2*103/100 ||
				f.Distinct != 3 || f.Types["string"] != rows || f.FillPct != 100 {
				t.Errorf("plan: %+v", f)
			}
		case "traits.employees":
			seen++
			if n := f.Numbers; !f.Sampled || n == nil || n.Min != 0 || n.Max != 49 || n.Mean < 23.5 || n.Mean > 25.5 || f.Types["number"] != rows {
				t.Errorf("employees: %+v %+v", f, n)
			}
		}
	}
	if seen != 2 {
		t.Fatalf("fields: %+v", rep.Review.Kinds[0].Fields)
	}
	md, err := os.ReadFile(filepath.Join(out, "review.md"))
	if err != nil || !strings.Contains(string(md), `"pro" ×≈`) {
		t.Errorf("review.md does not mark the sampled counts (%v):\n%s", err, md)
	}
}
