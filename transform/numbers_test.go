package transform

import (
	"math/big"
	"strings"
	"testing"

	"github.com/groupimport/groupimport/internal/jsonx"
)

// FuzzNumbers: a number read from text is the number written, exactly
// (compared as rationals), in JSON syntax; an integer is one only when the
// value is whole; the range check agrees with Go's double parser.
func FuzzNumbers(f *testing.F) {
	for _, s := range []string{"1", "-0", "007", "1.5", ".5", "5.", "+3.25", "1e3", "1.000000000000000005", "1e-999", "1e400",
		"1.234,50", "1 234,5", "12,345.6", "1.2345", "4.9e-324", "2e-324", "1.7976931348623157e308", "1.8e308", "1200e-2", "0e999999999"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, comma bool) {
		nf := plainNumbers
		if comma {
			nf = numberFormat{decimal: ',', thousands: "."}
		}
		var buf []byte
		d, ok := parseDecimal([]byte(s), nf, nil)
		if !ok {
			return
		}
		// the rational the text writes
		norm := s
		if comma {
			norm = strings.NewReplacer(".", "", ",", ".").Replace(s)
		}
		if d.exp > 1e6 || d.exp < -1e6 || len(s) > 2000 {
			return // big.Rat would take long; the range check is tested apart
		}
		want, okRat := new(big.Rat).SetString(strings.TrimPrefix(norm, "+"))
		if !okRat {
			t.Fatalf("%q read as a number, big.Rat disagrees", s)
		}
		out, ok, err := appendNumber(nil, []byte(s), nf, &buf)
		if !ok {
			t.Fatalf("%q: parseDecimal and appendNumber disagree", s)
		}
		f64, _ := want.Float64()
		inRange := want.Sign() == 0 || (f64 != 0 && !isInf(f64))
		if (err == nil) != inRange {
			t.Fatalf("%q: in range %v, error %v", s, inRange, err)
		}
		if err != nil {
			return
		}
		if !jsonx.IsNumber(out) {
			t.Fatalf("%q → %q is not a JSON number", s, out)
		}
		if got, _ := new(big.Rat).SetString(string(out)); got.Cmp(want) != 0 {
			t.Fatalf("%q → %q: another number", s, out)
		}
		iout, ok, ierr := appendIntegerText(nil, []byte(s), nf, &buf)
		if !ok {
			t.Fatalf("%q: not read as an integer candidate", s)
		}
		if want.IsInt() != (ierr == nil) {
			t.Fatalf("%q: whole %v, integer error %v", s, want.IsInt(), ierr)
		}
		if ierr == nil {
			if got, _ := new(big.Rat).SetString(string(iout)); got.Cmp(want) != 0 || strings.ContainsAny(string(iout), ".eE") {
				t.Fatalf("%q → integer %q", s, iout)
			}
		}
	})
}

func isInf(f float64) bool { return f > 1.7976931348623157e308 || f < -1.7976931348623157e308 }
