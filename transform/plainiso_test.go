package transform

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// TestAppendPlainISO checks the fast path for plain UTC dates against
// parseTime and appendISO: wherever it writes a date, it writes what they
// write, and it takes the forms the bench files hold.
func TestAppendPlainISO(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	taken := 0
	for n := 0; n < 100000; n++ {
		s := fmt.Sprintf("%04d-%02d-%02d", rng.IntN(3)*rng.IntN(10000), rng.IntN(14), rng.IntN(33))
		if rng.IntN(4) > 0 {
			s += fmt.Sprintf("%s%02d:%02d:%02d%s%s", pick("T", "t", " "), rng.IntN(26), rng.IntN(62), rng.IntN(62),
				pick("", "", ".123", ".5", ".1234", ","), pick("Z", "Z", "z", "", "+02:00", " UTC"))
		}
		s = pick("", "", " ") + s + pick("", "", "\t")
		if rng.IntN(50) == 0 {
			s = s[:rng.IntN(len(s))] // cut anywhere
		}
		for _, loc := range []*time.Location{time.UTC, berlin} {
			ds := &dateSpec{loc: loc}
			got, ok := appendPlainISO([]byte("x"), []byte(s), ds)
			if !ok {
				if string(got) != "x" {
					t.Fatalf("%q: wrote %q without taking it", s, got)
				}
				continue
			}
			taken++
			tm, err := parseTime([]byte(s), ds)
			if err != nil {
				t.Fatalf("%q (%v): written as %s, but parseTime says %v", s, loc, got, err)
			}
			if want := append(appendISO([]byte(`x"`), tm), '"'); string(got) != string(want) {
				t.Fatalf("%q (%v): %s, want %s", s, loc, got, want)
			}
		}
	}
	if taken < 10000 {
		t.Errorf("the fast path took only %d of the dates", taken)
	}
	for _, s := range []string{"2023-08-07", "2024-06-08T05:35:05Z", "2024-06-08T05:35:05.250Z"} {
		if _, ok := appendPlainISO(nil, []byte(s), &dateSpec{loc: time.UTC}); !ok {
			t.Errorf("%q: not taken", s)
		}
	}
}
