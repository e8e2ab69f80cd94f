package runner

import (
	"path/filepath"
	"testing"

	"github.com/groupimport/groupimport/state"
)

// The state feed hands on every record in key order, and stops at once
// when its user closes it part-way.
func TestStateFeed(t *testing.T) {
	s, err := state.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 20000
	var recs []state.Record
	for i := range n {
		var k [16]byte
		k[0], k[1], k[2] = byte(i*13), byte(i), byte(i>>8)
		recs = append(recs, state.Record{Key: k, Hash: uint64(i), ObjType: "1", GroupID: "g"})
	}
	if err := s.Journal(recs); err != nil {
		t.Fatal(err)
	}
	if err := s.Consolidate(t.TempDir(), nil); err != nil {
		t.Fatal(err)
	}
	err = s.View(func(it *state.Iter) error {
		f := startFeed(it)
		for range 5 {
			if _, ok, err := f.next(); !ok || err != nil {
				t.Fatalf("next: %v %v", ok, err)
			}
		}
		f.close()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	err = s.View(func(it *state.Iter) error {
		f := startFeed(it)
		defer f.close()
		var prev []byte
		for {
			r, ok, err := f.next()
			if err != nil || !ok {
				return err
			}
			if prev != nil && string(prev) >= string(r.Key[:]) {
				t.Fatalf("record %d out of order", count)
			}
			prev = append(prev[:0], r.Key[:]...)
			count++
		}
	})
	if err != nil || count != n {
		t.Fatalf("%d records (%v), want %d", count, err, n)
	}
}
