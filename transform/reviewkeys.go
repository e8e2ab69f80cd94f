package transform

import (
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
)

// ReviewKeys is the set of the objects of a run's companies input, for the
// review's referential checks: which memberships point at an object the
// run does not have, which objects no membership points at, which ids
// differ only by case from another. Company builders add their objects'
// keys as each batch ends; the first membership (the companies phase is
// over by then) sorts them once, and lookups are then a bucket index and a
// short search, safe from every worker.
//
// Keys are kept as 64-bit fingerprints of the 128-bit object keys (two
// objects of a run share one with odds of about n²/2^65: 3·10⁻⁸ for a
// million objects). Up to maxExactKeys (8 bytes each) the set is exact;
// past that it becomes a Bloom filter of fixed size, Exact turns false,
// and a membership whose object is missing can be taken for present (about
// 1 in 100 of them), so the orphans are then a lower bound.
type ReviewKeys struct {
	// Check is set when memberships are to be checked: the run has a
	// companies input, or a state that knows objects.
	Check bool
	// Companies is set when the run has a companies input.
	Companies bool

	mu     sync.Mutex
	keys   []uint64
	bloom  []uint64
	frozen atomic.Bool
	once   sync.Once
	// index[b] is the first key whose top bits are b; hits marks the keys
	// some membership pointed at.
	index []int32
	hits  []atomic.Uint64
}

const (
	maxExactKeys = 16 << 20 // 128 MiB of fingerprints
	bloomWords   = 1 << 22  // 32 MiB
	indexBits    = 16
)

// NewReviewKeys returns an empty set; check and companies as the fields.
func NewReviewKeys(check, companies bool) *ReviewKeys {
	return &ReviewKeys{Check: check, Companies: companies}
}

// Exact reports whether the set is exact (not a Bloom filter).
func (rk *ReviewKeys) Exact() bool { return rk.bloom == nil }

// Len returns the number of distinct objects (exact sets only).
func (rk *ReviewKeys) Len() int {
	rk.freeze()
	return len(rk.keys)
}

func (rk *ReviewKeys) addObjects(fps []uint64) {
	if rk.frozen.Load() {
		return // a later pass over the same inputs: the same keys
	}
	rk.mu.Lock()
	defer rk.mu.Unlock()
	if rk.bloom != nil {
		for _, fp := range fps {
			rk.bloomAdd(fp)
		}
		return
	}
	rk.keys = append(rk.keys, fps...)
	if len(rk.keys) > maxExactKeys {
		slices.Sort(rk.keys)
		rk.keys = slices.Compact(rk.keys)
		if len(rk.keys) > maxExactKeys*3/4 {
			rk.bloom = make([]uint64, bloomWords)
			for _, fp := range rk.keys {
				rk.bloomAdd(fp)
			}
			rk.keys = nil
		}
	}
}

// bloom: one 512-bit block (a cache line) per key, 8 bits in it by
// double hashing.
func bloomBits(fp uint64) (block uint64, h1, h2 uint32) {
	return fp % (bloomWords / 8), uint32(fp >> 32), uint32(fp>>13) | 1
}

func (rk *ReviewKeys) bloomAdd(fp uint64) {
	blk, h1, h2 := bloomBits(fp)
	block := rk.bloom[blk*8:][:8]
	for i := range uint32(8) {
		b := (h1 + i*h2) & 511
		block[b/64] |= 1 << (b % 64)
	}
}

func (rk *ReviewKeys) bloomHas(fp uint64) bool {
	blk, h1, h2 := bloomBits(fp)
	block := rk.bloom[blk*8:][:8]
	for i := range uint32(8) {
		b := (h1 + i*h2) & 511
		if block[b/64]&(1<<(b%64)) == 0 {
			return false
		}
	}
	return true
}

func (rk *ReviewKeys) freeze() {
	rk.once.Do(func() {
		rk.mu.Lock()
		defer rk.mu.Unlock()
		rk.frozen.Store(true)
		if rk.bloom != nil {
			return
		}
		slices.Sort(rk.keys)
		rk.keys = slices.Compact(rk.keys)
		rk.index = make([]int32, 1<<indexBits+1)
		b := 0
		for i, k := range rk.keys {
			for top := int(k >> (64 - indexBits)); b <= top; b++ {
				rk.index[b] = int32(i)
			}
		}
		for ; b <= 1<<indexBits; b++ {
			rk.index[b] = int32(len(rk.keys))
		}
		rk.hits = make([]atomic.Uint64, (len(rk.keys)+63)/64)
	})
}

// find returns the index of fp in the sorted keys, or -1.
func (rk *ReviewKeys) find(fp uint64) int {
	b := fp >> (64 - indexBits)
	lo, hi := int(rk.index[b]), int(rk.index[b+1])
	if i, ok := slices.BinarySearch(rk.keys[lo:hi], fp); ok {
		return lo + i
	}
	return -1
}

// has reports whether the object is among the companies, and marks it as
// having a membership.
func (rk *ReviewKeys) has(fp uint64) bool {
	if !rk.Companies {
		return false
	}
	rk.freeze()
	if rk.bloom != nil {
		return rk.bloomHas(fp)
	}
	i := rk.find(fp)
	if i < 0 {
		return false
	}
	if w := &rk.hits[i/64]; w.Load()&(1<<(i%64)) == 0 {
		w.Or(1 << (i % 64))
	}
	return true
}

// Known reports whether the object (its key's fingerprint) is among the
// companies; a Bloom filter may say yes wrongly.
func (rk *ReviewKeys) Known(fp uint64) bool {
	rk.freeze()
	if rk.bloom != nil {
		return rk.bloomHas(fp)
	}
	return rk.find(fp) >= 0
}

// Unreferenced returns the number of objects no membership pointed at
// (ok false when that is not known: a Bloom filter).
func (rk *ReviewKeys) Unreferenced() (n int64, ok bool) {
	rk.freeze()
	if rk.bloom != nil {
		return 0, false
	}
	var hit int
	for i := range rk.hits {
		hit += bits.OnesCount64(rk.hits[i].Load())
	}
	return int64(len(rk.keys) - hit), true
}
