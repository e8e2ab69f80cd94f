package transform

import (
	"fmt"
	"testing"
	"time"

	"github.com/zeebo/xxh3"
)

func TestHLLEstimate(t *testing.T) {
	for _, n := range []int{3, 1000, 200000} {
		var h hll
		for i := range n {
			h.add(valueHash([]byte(fmt.Sprint("v", i))))
			h.add(valueHash([]byte(fmt.Sprint("v", i)))) // twice: counted once
		}
		got := h.estimate()
		if d := float64(got-int64(n)) / float64(n); d > 0.07 || d < -0.07 {
			t.Errorf("%d distinct: estimated %d", n, got)
		}
	}
}

func TestTopKExactThenLowerBounds(t *testing.T) {
	tk := newTopK(4)
	for i, v := range []string{"a", "b", "a", "c", "a", "b"} {
		_ = i
		tk.add(xxh3.HashString(v), []byte(v), false, 1)
	}
	top := tk.top(2)
	if !tk.exact || top[0] != (ValueCount{"a", 3}) || top[1] != (ValueCount{"b", 2}) {
		t.Fatalf("exact counts: %+v %v", top, tk.exact)
	}
	// a heavy value among many distinct ones keeps a lower bound of its count
	tk = newTopK(4)
	for i := range 1000 {
		v := "heavy"
		if i%2 == 1 {
			v = fmt.Sprint("x", i)
		}
		tk.add(xxh3.HashString(v), []byte(v), false, 1)
	}
	top = tk.top(1)
	if tk.exact || top[0].Value != "heavy" || top[0].Count > 500 || top[0].Count < 500-1000/5 {
		t.Fatalf("lower bound: %+v %v", top, tk.exact)
	}
}

func TestNumbersAndLengths(t *testing.T) {
	var n numStats
	for _, v := range []string{"12", "-3.5", "1234.25", "1e3", "x"} {
		n.add([]byte(v), 1)
	}
	if n.N != 4 || n.Min != -3.5 || n.Max != 1234.25 || n.Sum != 12-3.5+1234.25+1000 {
		t.Errorf("%+v", n)
	}
	var l lenHist
	for _, k := range []int{1, 2, 3, 100, 5000} {
		l.add(k)
	}
	if l.min() != 1 || l.max() != 5000 || l.median() != 3 || l.n() != 5 {
		t.Errorf("lengths %+v median %d", l, l.median())
	}
	// only long texts: their extremes are kept apart from the buckets,
	// and merged
	var long, other lenHist
	long.add(100)
	other.add(70)
	other.add(3000)
	long.merge(&other)
	if long.min() != 70 || long.max() != 3000 || long.n() != 3 || long.median() != 70 {
		t.Errorf("long lengths %+v: %d / %d / %d", long, long.min(), long.median(), long.max())
	}
}

func TestDateHistogram(t *testing.T) {
	f := &FieldStats{Months: &monthHist{}}
	for _, d := range []string{"2024-01-05", "2024-03-01", "2024-03-09"} {
		f.Months.add([]byte(d))
	}
	got := f.DateHistogram()
	if len(got) != 3 || got[0] != (DateCount{"2024-01", 1}) || got[2] != (DateCount{"2024-03", 2}) {
		t.Errorf("by month: %+v", got)
	}
	f.Months.add([]byte("2010-06-01"))
	if got := f.DateHistogram(); len(got) != 15 || got[0] != (DateCount{"2010", 1}) {
		t.Errorf("by year: %+v", got)
	}
	f.Months.add([]byte("1950-06-01"))
	if got := f.DateHistogram(); got[0] != (DateCount{"1950s", 1}) {
		t.Errorf("by decade: %+v", got)
	}
}

func TestIDChecks(t *testing.T) {
	for id, want := range map[string]bool{"Acme Corp": true, "Acme": true, "acme corp": true, "a1000001": false, "ACC-0042": false,
		"0e8c78ea": false, "ACME": false, "u-2001": false} {
		if nameLike([]byte(id)) != want {
			t.Errorf("nameLike(%q) = %v", id, !want)
		}
	}
	if !spaced([]byte(" a1")) || !spaced([]byte("a1\t")) || spaced([]byte("a 1")) {
		t.Error("spaced")
	}
	nfd := "Socie\u0301te\u0301"
	for _, c := range []struct {
		id, fold string
		changed  bool
	}{{"abc-1", "abc-1", false}, {"ABC-1", "abc-1", true}, {nfd, "société", true}, {"société", "société", false}} {
		fold, changed := foldID([]byte(c.id))
		if string(fold) != c.fold || changed != c.changed {
			t.Errorf("foldID(%q) = %q, %v", c.id, fold, changed)
		}
	}
}

func TestReviewKeys(t *testing.T) {
	rk := NewReviewKeys(true, true)
	rk.addObjects([]uint64{5, 1 << 63, 7, 5})
	if !rk.has(5) || rk.has(6) || !rk.has(1<<63) || !rk.Known(7) {
		t.Fatal("lookups")
	}
	if n, ok := rk.Unreferenced(); !ok || n != 1 {
		t.Errorf("unreferenced %d %v", n, ok)
	}
	rk.addObjects([]uint64{9}) // a later pass: ignored
	if rk.Len() != 3 {
		t.Errorf("len %d", rk.Len())
	}
}

// After describeAll rows the top values and numbers see one row in
// describeEvery: the top counts stay close to the truth and say they are
// estimates; the distinct counts still see every value.
func TestSampledValueSketches(t *testing.T) {
	const rows = 300000
	cases := []struct {
		name     string
		value    func(r int) string
		distinct int64
	}{
		{"ids", func(r int) string { return fmt.Sprintf(`"id-%d"`, r) }, rows},
		{"plans", func(r int) string { return [...]string{`"free"`, `"pro"`, `"pro"`, `"enterprise"`}[r*7%4] }, 3},
		{"digits", func(r int) string { return fmt.Sprint(r % 10) }, 10},
		{"numbers", func(r int) string { return fmt.Sprint(r % 100000) }, 100000},
	}
	for _, c := range cases {
		run := &FieldStats{Name: c.name}
		cur := &FieldStats{Name: c.name}
		st := &Stats{}
		for r := 1; r <= rows; r++ {
			v := []byte(c.value(r))
			st.observePayload([]observation{{0, 0, len(v)}}, []*FieldStats{cur}, v, sampleWeight(int64(r)))
			if r%4096 == 0 || r == rows { // a batch ends (as TakeBatchStats)
				cp := *cur
				cp.Distinct, cp.Top = nil, cur.Top.take()
				run.Filled += cp.Filled
				run.mergeValues(&cp)
				*cur = FieldStats{Name: c.name, Distinct: cur.Distinct, Top: cur.Top}
			}
		}
		run.mergeValues(&FieldStats{Distinct: cur.Distinct})
		n, exact := run.DistinctCount()
		if d := float64(n-c.distinct) / float64(c.distinct); exact || d > 0.1 || d < -0.1 || !run.Sampled() {
			t.Errorf("%s: %d distinct (exact %v, sampled %v), want ≈%d", c.name, n, exact, run.Sampled(), c.distinct)
		}
		if c.name == "plans" {
			top, exact := run.TopValues(1)
			if want := int64(rows / 2); exact || top[0].Value != `"pro"` || top[0].Count < want*97/100 || top[0].Count > want*103/100 {
				t.Errorf("plans: top %+v (exact %v), want \"pro\" ≈%d", top, exact, want)
			}
		}
	}
	sampled := 0
	for r := int64(describeAll + 1); r <= describeAll+80000; r++ {
		switch sampleWeight(r) {
		case describeEvery:
			sampled++
		case 0:
		default:
			t.Fatalf("row %d weighs %d", r, sampleWeight(r))
		}
	}
	if want := 80000 / describeEvery; sampleWeight(describeAll) != 1 || sampled < want*98/100 || sampled > want*102/100 {
		t.Errorf("sampleWeight: %d of 80,000 rows sampled", sampled)
	}
}

// plainID's eight bytes at a time agree with a byte at a time.
func TestPlainIDWords(t *testing.T) {
	slow := func(id []byte) bool {
		for _, c := range id {
			if c >= 'A' && c <= 'Z' || c <= ' ' || c >= 0x80 {
				return false
			}
		}
		return true
	}
	base := []byte("abcdefgh-0123456789_xyz")
	for n := 0; n <= len(base); n++ {
		for i := 0; i < n; i++ {
			for c := 0; c < 256; c++ {
				id := append([]byte(nil), base[:n]...)
				id[i] = byte(c)
				if got, want := plainID(id), slow(id); got != want {
					t.Fatalf("plainID(%q) = %v, want %v", id, got, want)
				}
			}
		}
	}
}

// A date field's values in rows not described in full (observePayload's
// own loop) count as observe counts them: range, months, old and future
// dates, lengths and distinct values.
func TestFastLoopDates(t *testing.T) {
	vals := []string{`"2023-08-07T00:00:00.000Z"`, `"1970-01-01T00:00:00.000Z"`, `"1850-03-01T00:00:00.000Z"`,
		`"2150-12-31T23:59:59.999Z"`, `"2024-06-08T05:35:05.000Z"`, `"2024-06"`, `"not a date"`, `"2023-08-07T00:00:00.000Z"`, `17`}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fast, slow := newStats("companies", now), newStats("companies", now)
	ff, sf := fast.field("timestamp", "t", true), slow.field("timestamp", "t", true)
	for i := 0; i < 3; i++ {
		for _, v := range vals {
			b := []byte(v)
			fast.observePayload([]observation{{0, 0, len(b)}}, []*FieldStats{ff}, b, 0)
			slow.observe(sf, b, 0)
		}
	}
	if ff.MinDate != sf.MinDate || ff.MaxDate != sf.MaxDate || ff.Before1990 != sf.Before1990 || ff.Future != sf.Future ||
		ff.UnixEpochDay != sf.UnixEpochDay || *ff.Months != *sf.Months || ff.Lengths != sf.Lengths || *ff.Distinct != *sf.Distinct ||
		ff.Types != sf.Types || ff.Filled != sf.Filled || fast.curShape != slow.curShape {
		t.Errorf("fast loop %+v\nobserve %+v", ff, sf)
	}
	if ff.MinDate != "1850-03-01T00:00:00.000Z" || ff.Future != 3 || ff.Before1990 != 6 || ff.UnixEpochDay != 3 {
		t.Errorf("dates: %s, future %d, before 1990 %d, epoch %d", ff.MinDate, ff.Future, ff.Before1990, ff.UnixEpochDay)
	}
}
