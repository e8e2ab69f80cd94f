package extsort

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
)

func TestSortSpillsAndMerges(t *testing.T) {
	for _, limit := range []int{8192, 65536, 1 << 30} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(limit)))
			type rec struct {
				key   [16]byte
				order uint64
				value string
			}
			var want []rec
			s := New(t.TempDir(), limit)
			for i := 0; i < 5000; i++ {
				var k [16]byte
				k[0], k[7], k[15] = byte(r.IntN(40)), byte(r.IntN(3)), byte(i)
				x := rec{k, uint64(r.IntN(1000)), fmt.Sprint(i, bytes.Repeat([]byte("v"), r.IntN(300)))}
				want = append(want, x)
				if err := s.Add(x.key, x.order, []byte(x.value)); err != nil {
					t.Fatal(err)
				}
			}
			sort.SliceStable(want, func(i, j int) bool {
				if c := bytes.Compare(want[i].key[:], want[j].key[:]); c != 0 {
					return c < 0
				}
				return want[i].order < want[j].order
			})
			i := 0
			err := s.Each(func(k []byte, order uint64, v []byte) error {
				w := want[i]
				if !bytes.Equal(k, w.key[:]) || order != w.order {
					t.Fatalf("record %d: key %x order %d, want %x %d", i, k, order, w.key, w.order)
				}
				i++
				return nil
			})
			if err != nil || i != len(want) {
				t.Fatalf("%d records, err %v", i, err)
			}
			s.Close()
		})
	}
}
