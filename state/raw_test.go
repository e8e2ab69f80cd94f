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

// TestNextRaws: batches of NextRaws hold the records NextRaw reads, in
// order, however small the batch and its arena (a record larger than the
// arena is a batch of its own).
func TestNextRaws(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var recs []Record
	for i := range 1000 {
		r := rec(i, uint64(i))
		if i%100 == 0 {
			r.GroupID = string(make([]byte, 400)) // larger than the arena
		}
		recs = append(recs, r)
	}
	if err := s.Journal(recs); err != nil {
		t.Fatal(err)
	}
	if err := s.Consolidate(t.TempDir(), nil); err != nil {
		t.Fatal(err)
	}
	var want, got []RawRecord
	read := func(fn func(it *Iter) error) {
		if err := s.View(fn); err != nil {
			t.Fatal(err)
		}
	}
	read(func(it *Iter) error {
		for {
			r, ok, err := it.NextRaw()
			if err != nil || !ok {
				return err
			}
			r.ObjType, r.GroupID, r.val = append([]byte(nil), r.ObjType...), append([]byte(nil), r.GroupID...), nil
			want = append(want, r)
		}
	})
	read(func(it *Iter) error {
		for {
			b, _, err := it.NextRaws(make([]RawRecord, 0, 7), make([]byte, 0, 300))
			if err != nil || len(b) == 0 {
				return err
			}
			for _, r := range b {
				if _, err := r.Record(); err != nil {
					t.Fatal(err)
				}
				r.val = nil
				got = append(got, r)
			}
		}
	})
	if len(want) != len(recs) || !reflect.DeepEqual(got, want) {
		t.Fatalf("%d records in batches, %d one by one, want %d", len(got), len(want), len(recs))
	}
}
