package state

import (
	"path/filepath"
	"reflect"
	"testing"
)

// TestNextRaw: NextRaw reads the records Next reads — key, hash, flags,
// object type and groupId as they are, the rest through Record — with
// and without trait hashes, across the releases of the mapped pages.
func TestNextRaw(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var recs []Record
	for i := range releaseEvery + 100 {
		r := rec(i, uint64(i)*7)
		r.Deleted = i%5 == 0
		r.AnonymousID = "a"
		if i%2 == 0 {
			r.Shape, r.TraitHashes = uint64(i+1), []byte{1, 2, 3, 4}
		}
		recs = append(recs, r)
	}
	if err := s.Journal(recs); err != nil {
		t.Fatal(err)
	}
	if err := s.Consolidate(t.TempDir(), nil); err != nil {
		t.Fatal(err)
	}
	want := all(t, s)
	n := 0
	err = s.View(func(it *Iter) error {
		for {
			raw, ok, err := it.NextRaw()
			if err != nil || !ok {
				return err
			}
			n++
			w := want[raw.Key]
			if raw.Hash != w.Hash || raw.Deleted != w.Deleted || raw.Relationship != w.Relationship ||
				string(raw.ObjType) != w.ObjType || string(raw.GroupID) != w.GroupID {
				t.Fatalf("raw %+v, want %+v", raw, w)
			}
			r, err := raw.Record()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r, w) {
				t.Fatalf("record %+v, want %+v", r, w)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(recs) {
		t.Fatalf("%d records read, want %d", n, len(recs))
	}
}
