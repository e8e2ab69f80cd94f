package shard

import (
	"fmt"
	"strings"
	"testing"

	"github.com/zeebo/xxh3"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]Spec{"": {}, "1/1": {1, 1}, "2/3": {2, 3}, " 3 / 3 ": {3, 3}} {
		if got, err := Parse(in); err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, msg := range map[string]string{"0/3": "count from 1", "4/3": "between 1 and N", "1/0": "N must be", "2": "K/N", "a/b": "K/N", "1/100001": "N must be"} {
		if _, err := Parse(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("Parse(%q): %v, want %q", in, err, msg)
		}
	}
}

// Every object is in exactly one shard, the shards are near even, and the
// key of a company payload gives the same shard as its ids.
func TestOneShardEach(t *testing.T) {
	const n, objects = 3, 30000
	count := make([]int, n+1)
	for i := 0; i < objects; i++ {
		id := []byte(fmt.Sprintf("acc-%d", i))
		k := Of([]byte("1"), id, n)
		owners := 0
		for s := 1; s <= n; s++ {
			if (Spec{s, n}).Has([]byte("1"), id) {
				owners++
			}
		}
		if owners != 1 || k < 1 || k > n {
			t.Fatalf("%s: shard %d, %d owners", id, k, owners)
		}
		if key := xxh3.Hash128([]byte("o1\x00" + string(id))).Bytes(); OfKey(key, n) != k {
			t.Fatalf("%s: the payload key gives another shard", id)
		}
		count[k]++
	}
	for s := 1; s <= n; s++ {
		if d := count[s] - objects/n; d < -500 || d > 500 {
			t.Errorf("shard %d has %d of %d objects", s, count[s], objects)
		}
	}
	if !(Spec{}).Has(nil, nil) || !(Spec{1, 1}).HasPosition("f", 3) {
		t.Error("the whole run must have everything")
	}
}
