package importer

import (
	"fmt"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/groupimport/groupimport/record"
)

// offer gives rows numbered 1..total to s in batches of 100, each with a
// value and raw text that the next batch overwrites.
func offer(s *RowSample, total int) {
	b := record.NewBatch(100, 1<<10)
	schema := record.NewSchema([]string{"id"})
	for num := 1; num <= total; {
		b.Reset()
		for ; len(b.Rows) < 100 && num <= total; num++ {
			raw := b.Copy([]byte(fmt.Sprintf("r%d", num)))
			vals := b.Values(1)
			vals[0] = record.Value{Kind: record.String, Bytes: raw}
			b.Rows = append(b.Rows, record.Row{Line: int64(num + 1), Num: int64(num), Schema: schema, Values: vals, Raw: raw})
		}
		s.AddBatch(b)
	}
	b.Reset()
}

// A sample keeps n rows (all of a shorter file), in file order, as copies
// that outlive their batches, and the same ones for the same seed.
func TestRowSampleKeepsCopiesInOrder(t *testing.T) {
	for _, tc := range []struct{ n, total, want int }{{10, 5, 5}, {10, 10, 10}, {10, 100000, 10}, {1, 1000, 1}, {0, 3, 1}} {
		s := NewRowSample(tc.n, 7)
		offer(s, tc.total)
		rows := s.Rows()
		if len(rows) != tc.want || s.Seen() != int64(tc.total) {
			t.Fatalf("n %d of %d: %d rows kept, %d seen", tc.n, tc.total, len(rows), s.Seen())
		}
		for k, r := range rows {
			if want := fmt.Sprintf("r%d", r.Num); string(r.Raw) != want || string(r.Values[0].Bytes) != want || r.Line != r.Num+1 {
				t.Errorf("row %d: raw %q value %q line %d", r.Num, r.Raw, r.Values[0].Bytes, r.Line)
			}
			if k > 0 && r.Num <= rows[k-1].Num {
				t.Errorf("rows out of order: %d after %d", r.Num, rows[k-1].Num)
			}
		}
		again := NewRowSample(tc.n, 7)
		offer(again, tc.total)
		for k, r := range again.Rows() {
			if r.Num != rows[k].Num {
				t.Fatalf("the same seed kept row %d, then %d", rows[k].Num, r.Num)
			}
		}
	}
}

// Every row has the same chance to be kept: over many seeds, each of 200
// rows is kept about n/200 of the time, the first as often as the last.
func TestRowSampleUniform(t *testing.T) {
	const total, n, trials = 200, 10, 4000
	var kept [total + 1]int
	for seed := uint64(0); seed < trials; seed++ {
		s := NewRowSample(n, seed)
		offer(s, total)
		for _, r := range s.Rows() {
			kept[r.Num]++
		}
	}
	want := float64(trials) * n / total // 200 each
	sd := math.Sqrt(want * (1 - float64(n)/total))
	var firstHalf, secondHalf int
	for num := 1; num <= total; num++ {
		if d := math.Abs(float64(kept[num]) - want); d > 5*sd {
			t.Errorf("row %d kept %d times, want about %.0f (±%.0f)", num, kept[num], want, 5*sd)
		}
		if num <= total/2 {
			firstHalf += kept[num]
		} else {
			secondHalf += kept[num]
		}
	}
	if math.Abs(float64(firstHalf-secondHalf)) > 0.05*float64(firstHalf+secondHalf) {
		t.Errorf("first half kept %d times, second half %d", firstHalf, secondHalf)
	}
}

// Read through a file's Reader, a sample spreads over the whole file:
// rows from its last tenth too, not only its first.
func TestRowSampleAcrossAFile(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,name\n")
	for i := 1; i <= 20000; i++ {
		fmt.Fprintf(&b, "c%d,Company %d\n", i, i)
	}
	r, _, err := Open(writeFile(t, "c.csv", []byte(b.String())), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	s := NewRowSample(20, 1)
	batch := record.NewBatch(1000, 1<<20)
	for {
		batch.Reset()
		err := r.Next(batch, 1000)
		s.AddBatch(batch)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	rows := s.Rows()
	if len(rows) != 20 || s.Seen() != 20000 {
		t.Fatalf("%d rows of %d", len(rows), s.Seen())
	}
	if last := rows[len(rows)-1]; last.Num <= 18000 || string(last.Values[0].Bytes) != fmt.Sprintf("c%d", last.Num) {
		t.Errorf("the last row sampled is %d (%q): none from the file's last tenth", last.Num, last.Values[0].Bytes)
	}
	if first := rows[0]; first.Num > 2000 {
		t.Errorf("the first row sampled is %d: none from the file's first tenth", first.Num)
	}
}
