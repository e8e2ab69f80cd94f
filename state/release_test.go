package state

import (
	"path/filepath"
	"testing"
)

// A first run's records (a sorter, the journal empty) become the state as
// they are, and a pass over more records than releaseEvery, whose mapped
// pages are dropped on the way, reads every one back intact; so does the
// next consolidation, which merges a journal and a sorter with them.
func TestConsolidateSortedOnceAndRelease(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 3*releaseEvery + 17
	extra := NewSorter(t.TempDir())
	for i := range n {
		r := rec(i, uint64(i))
		if err := extra.Add(&r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Consolidate(t.TempDir(), extra); err != nil {
		t.Fatal(err)
	}
	got := all(t, s)
	if len(got) != n {
		t.Fatalf("%d records, want %d", len(got), n)
	}
	for i := range n {
		if want := rec(i, uint64(i)); got[want.Key].GroupID != want.GroupID || got[want.Key].Hash != want.Hash {
			t.Fatalf("record %d: %+v", i, got[want.Key])
		}
	}
	// a journalled change and a sorted one, folded in together
	a, b := rec(5, 500), rec(n+1, 7)
	if err := s.Journal([]Record{a}); err != nil {
		t.Fatal(err)
	}
	extra = NewSorter(t.TempDir())
	if err := extra.Add(&b); err != nil {
		t.Fatal(err)
	}
	if err := s.Consolidate(t.TempDir(), extra); err != nil {
		t.Fatal(err)
	}
	got = all(t, s)
	if len(got) != n+1 || got[a.Key].Hash != 500 || got[b.Key].Hash != 7 || got[rec(6, 0).Key].Hash != 6 {
		t.Fatalf("%d records; %+v %+v", len(got), got[a.Key], got[b.Key])
	}
}
