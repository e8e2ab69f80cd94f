package transform

import (
	"fmt"
	"strings"
	"testing"
)

// observePayload writes valueHash's short cases out: the hash it gives a
// value (its top-value counter's) must be valueHash's, whatever the length.
func TestObservedHashIsValueHash(t *testing.T) {
	long := strings.Repeat("abcdefghij", 12)
	for n := 0; n <= len(long); n++ {
		for _, v := range []string{`"` + long[:n] + `"`, strings.Repeat("7", max(n, 1))} {
			f := &FieldStats{Name: "f"}
			(&Stats{}).observePayload([]observation{{0, 0, len(v)}}, []*FieldStats{f}, []byte(v), 1)
			want := valueHash([]byte(v)) + 1 // a number
			if v[0] == '"' {
				want = valueHash([]byte(v[1 : len(v)-1]))
			}
			if got := f.Top.entries[0].hash; got != want {
				t.Fatalf("%q: observed hash %x, valueHash %x", v, got, want)
			}
		}
	}
}

// Values alike but for one byte anywhere hash apart (ids of a counter,
// texts of every length): the distinct-value sketch tells them apart.
func TestValueHashSpreads(t *testing.T) {
	seen := map[uint64]string{}
	add := func(v string) {
		h := valueHash([]byte(v))
		if o, ok := seen[h]; ok && o != v {
			t.Fatalf("%q and %q hash alike", o, v)
		}
		seen[h] = v
	}
	for i := range 200000 {
		add(fmt.Sprintf("c-%06d", i))
		add(fmt.Sprint(i))
	}
	base := []byte(strings.Repeat("x", 100))
	for n := 0; n <= len(base); n++ {
		for i := 0; i < n; i++ {
			v := append([]byte(nil), base[:n]...)
			v[i] = 'y'
			add(string(v))
		}
		add(string(base[:n]))
	}
}

// The floor skips only hashes that could not raise a register: the
// registers are those of a sketch without it.
func TestHLLFloorKeepsRegisters(t *testing.T) {
	var h hll
	var want [1 << hllP]uint8
	for i := range 300000 {
		x := valueHash([]byte(fmt.Sprint("v", i%150000)))
		h.add(x)
		idx, rho := x>>(64-hllP), hllRank(x)
		want[idx] = max(want[idx], rho)
	}
	if h.reg != want {
		t.Fatal("registers differ")
	}
	if h.floor < 3 {
		t.Errorf("floor %d after 150,000 distinct values", h.floor)
	}
}
