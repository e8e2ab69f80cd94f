package objtraits

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

func key(i int) [16]byte {
	var k [16]byte
	k[0], k[7], k[15] = byte(i), byte(i>>8), byte(i>>16)
	return k
}

// Traits added in any order, some keys more than once, come back by key,
// the last added winning; with a small memory limit the sort spills.
func TestLastAddedWins(t *testing.T) {
	for _, limit := range []int{1 << 10, 0} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			tb := newTable(t.TempDir(), limit)
			defer tb.Close()
			want := map[[16]byte]string{}
			for _, i := range rand.Perm(20000) {
				k := key(i % 5000)
				v := fmt.Sprintf(`,"name":"object %d","version":%d`, i%5000, i)
				want[k] = v
				if err := tb.Add(k, []byte(v)); err != nil {
					t.Fatal(err)
				}
			}
			if got, ok := tb.Get(nil, key(1)); ok {
				t.Fatalf("Get before Build: %q", got)
			}
			if err := tb.Build(); err != nil {
				t.Fatal(err)
			}
			if tb.Len() != 5000 {
				t.Errorf("Len %d, want 5000", tb.Len())
			}
			var wg sync.WaitGroup
			for w := range 4 { // readers in parallel, as the pipeline's workers
				wg.Go(func() {
					for i := w; i < 5000; i += 4 {
						got, ok := tb.Get([]byte("prefix"), key(i))
						if !ok || string(got) != "prefix"+want[key(i)] {
							t.Errorf("key %d: %q %v, want %q", i, got, ok, want[key(i)])
							return
						}
					}
				})
			}
			wg.Wait()
			if got, ok := tb.Get(nil, key(6000)); ok {
				t.Errorf("absent key: %q", got)
			}
		})
	}
}

func TestEmpty(t *testing.T) {
	tb := New(t.TempDir())
	defer tb.Close()
	if err := tb.Build(); err != nil {
		t.Fatal(err)
	}
	if _, ok := tb.Get(nil, key(1)); ok || tb.Len() != 0 {
		t.Error("an empty table has a key")
	}
}
