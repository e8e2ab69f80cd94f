package state

import (
	"encoding/binary"
	"path/filepath"
	"testing"
)

// benchRecord is a record shaped as a company's of bench/gen: a 16-digit
// group id, 30 bytes of trait hashes.
func benchRecord(i int) Record {
	var k [16]byte
	x := uint64(i)*0x9E3779B97F4A7C15 + 1
	binary.BigEndian.PutUint64(k[:], x)
	binary.BigEndian.PutUint64(k[8:], x*0xbf58476d1ce4e5b9)
	th := make([]byte, 30)
	binary.LittleEndian.PutUint64(th, x)
	return Record{Key: k, Hash: x ^ 0xabcdef, ObjType: "1", GroupID: "0001c925adfea94e", Shape: 15239508984376608820, TraitHashes: th}
}

// BenchmarkFirstGeneration is a first run's state write: 1M records
// collected (as a file run's tracker does, not timed) and consolidated into
// an empty state.
func BenchmarkFirstGeneration(b *testing.B) {
	const n = 1000000
	recs := make([]Record, 4096)
	for i := range recs {
		recs[i] = benchRecord(i)
	}
	for b.Loop() {
		dir := b.TempDir()
		s, err := Open(filepath.Join(dir, "state"))
		if err != nil {
			b.Fatal(err)
		}
		srt := NewSorter(dir)
		b.StopTimer() // the records' collection is the pass's, not timed
		for i := 0; i < n; i++ {
			r := recs[i%len(recs)]
			binary.BigEndian.PutUint64(r.Key[:], uint64(i)*0x9E3779B97F4A7C15+1)
			if err := srt.Add(&r); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		if err := s.Consolidate(dir, srt); err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}
