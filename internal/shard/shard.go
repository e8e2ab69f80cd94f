// Package shard splits a run's objects across N machines: --shard K/N
// makes a run handle only the objects whose key (objectTypeId and
// groupId) hashes into shard K. A membership or a delete goes by its
// object's key too, so an object and its relationships meet in one shard.
//
// The hash is XXH3-128 of the object's key bytes ('o', objectTypeId, NUL,
// groupId) — the key a company payload has (transform.Out.Key) — reduced
// to [0, N) by multiplying its high 64 bits by N (Lemire's reduction:
// uniform, no modulo). It depends on nothing but the ids, so every
// machine, every run and every version of this tool puts an object in the
// same shard.
package shard

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"strconv"
	"strings"

	"github.com/zeebo/xxh3"
)

// MaxShards bounds N.
const MaxShards = 100000

// Spec is shard K of N (1-based). The zero Spec is the whole run.
type Spec struct {
	K, N int
}

// Parse reads "K/N" (1 ≤ K ≤ N ≤ MaxShards); "" is the whole run.
func Parse(s string) (Spec, error) {
	if s == "" {
		return Spec{}, nil
	}
	ks, ns, ok := strings.Cut(strings.TrimSpace(s), "/")
	k, kerr := strconv.Atoi(strings.TrimSpace(ks))
	n, nerr := strconv.Atoi(strings.TrimSpace(ns))
	switch {
	case !ok || kerr != nil || nerr != nil:
		return Spec{}, fmt.Errorf("--shard must be K/N (this run's shard K of N, counted from 1; e.g. 2/8), not %q", s)
	case n < 1 || n > MaxShards:
		return Spec{}, fmt.Errorf("--shard %s: N must be between 1 and %d, not %d", s, MaxShards, n)
	case k < 1 || k > n:
		return Spec{}, fmt.Errorf("--shard %s: K must be between 1 and N (%d), not %d (shards count from 1; a Kubernetes JOB_COMPLETION_INDEX counts from 0: add 1)", s, n, k)
	}
	return Spec{K: k, N: n}, nil
}

// On says whether the run is split.
func (s Spec) On() bool { return s.N > 1 }

func (s Spec) String() string {
	if s.N == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.K, s.N)
}

// Of returns the shard (1-based) of the object with the given type and
// groupId, in a run split n ways.
func Of(objType, groupID []byte, n int) int {
	var buf [128]byte
	k := append(buf[:0], 'o')
	k = append(k, objType...)
	k = append(k, 0)
	k = append(k, groupID...)
	return OfKey(xxh3.Hash128(k).Bytes(), n)
}

// OfKey returns the shard (1-based) of an object's key (an object
// payload's transform.Out.Key), in a run split n ways.
func OfKey(key [16]byte, n int) int {
	hi, _ := bits.Mul64(binary.BigEndian.Uint64(key[:8]), uint64(n))
	return int(hi) + 1
}

// Has says whether the object with the given type and groupId is this
// shard's (always, for the whole run).
func (s Spec) Has(objType, groupID []byte) bool {
	return !s.On() || Of(objType, groupID, s.N) == s.K
}

// HasKey says whether the object with the given key is this shard's.
func (s Spec) HasKey(key [16]byte) bool {
	return !s.On() || OfKey(key, s.N) == s.K
}

// HasPosition says whether a row whose key could not be read (a rejected
// row) is this shard's to report: it goes by its file and row number, so
// that exactly one shard reports it.
func (s Spec) HasPosition(file string, row int64) bool {
	if !s.On() {
		return true
	}
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], uint64(row))
	h := xxh3.HashString128(file + "\x00" + string(buf[:])).Bytes()
	return OfKey(h, s.N) == s.K
}
