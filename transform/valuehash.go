package transform

import (
	"encoding/binary"
	"math/bits"
)

// valueHash is the hash of a value for the review's distinct-value sketch
// and top values: wyhash's multiply-and-fold over overlapping words, the
// texts of up to 16 bytes (most values) in one step that
// Stats.observePayload writes out in its loop; longer ones take two lanes
// of 16 bytes. xxh3, a call and a dispatch by length per value, was 45
// instructions a value, the largest single cost of the statistics. The
// constants are fixed: a value hashes the same in every run, so the
// review is deterministic.
func valueHash(v []byte) uint64 {
	if n := len(v); n >= 8 && n <= 16 {
		return hashShort(load64(v, 0), load64(v, n-8), n)
	}
	return valueHashOther(v)
}

// valueHashOther is valueHash of less than 8 or more than 16 bytes.
func valueHashOther(v []byte) uint64 {
	n := len(v)
	switch {
	case n > 32:
		return valueHashLong(v)
	case n > 16:
		return hashMid(v)
	case n >= 4:
		return hashShort(uint64(load32(v, 0)), uint64(load32(v, n-4)), n)
	case n > 0:
		return hashShort(uint64(v[0])<<16|uint64(v[n>>1])<<8|uint64(v[n-1]), 0, n)
	}
	return hashShort(0, 0, 0)
}

// hashShort is the hash of a value of n ≤ 16 bytes read as words a and b
// (overlapping: the length is mixed in apart, last).
func hashShort(a, b uint64, n int) uint64 {
	return mum(mum(a^hashK1, b^hashK2)^hashK3, uint64(n)^hashK4)
}

// hashMid hashes a value of 17 to 32 bytes: its first and last 16 in two
// lanes.
func hashMid(v []byte) uint64 {
	n := len(v)
	a := mum(load64(v, 0)^hashK1, load64(v, 8)^hashK2)
	b := mum(load64(v, n-16)^hashK3, load64(v, n-8)^hashK4)
	return mum(a^hashK0, b^hashK5^uint64(n))
}

// valueHashLong hashes a value of more than 32 bytes: 32 bytes a round in
// two independent lanes, the last 32 last.
func valueHashLong(v []byte) uint64 {
	n := len(v)
	s0, s1 := mum(uint64(n)^hashK0, hashK1), uint64(hashK1) // the length multiplied in: XORed, it would cancel a byte's difference
	for i := 0; n-i > 32; i += 32 {
		w := v[i : i+32]
		s0 = mum(binary.LittleEndian.Uint64(w)^hashK2, binary.LittleEndian.Uint64(w[8:])^s0)
		s1 = mum(binary.LittleEndian.Uint64(w[16:])^hashK3, binary.LittleEndian.Uint64(w[24:])^s1)
	}
	w := v[n-32:]
	a, b, c, d := binary.LittleEndian.Uint64(w), binary.LittleEndian.Uint64(w[8:]), binary.LittleEndian.Uint64(w[16:]), binary.LittleEndian.Uint64(w[24:])
	s0 = mum(a^hashK2, b^s0)
	s1 = mum(c^hashK3, d^s1)
	return mum(s0^hashK4, s1^hashK5)
}

// mum folds the 128-bit product of a and b.
func mum(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// wyhash's constants
const (
	hashK0 = 0xa0761d6478bd642f
	hashK1 = 0xe7037ed1a0b428db
	hashK2 = 0x8ebc6af09c88c6e3
	hashK3 = 0x589965cc75374cc3
	hashK4 = 0x1d8e4e27c47d124f
	hashK5 = 0x2d358dccaa6c78a5
)

// load64 reads 8 bytes of v at i, little-endian (i+8 ≤ len(v)).
func load64(v []byte, i int) uint64 {
	return binary.LittleEndian.Uint64(v[i : i+8 : i+8])
}

// load32 reads 4 bytes of v at i, little-endian (i+4 ≤ len(v)).
func load32(v []byte, i int) uint32 {
	return binary.LittleEndian.Uint32(v[i : i+4 : i+4])
}
