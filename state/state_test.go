package state

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/groupimport/groupimport/internal/extsort"
)

func rec(i int, hash uint64) Record {
	var k [16]byte
	// keys in scrambled order, as hashes are
	x := uint64(i)*0x9E3779B97F4A7C15 + 1
	for j := 0; j < 8; j++ {
		k[j] = byte(x >> (8 * j))
	}
	k[15] = byte(i)
	return Record{Key: k, Hash: hash, ObjType: "1", GroupID: fmt.Sprintf("g%d", i), Relationship: i%3 == 0, UserID: fmt.Sprintf("u%d", i)}
}

func all(t *testing.T, s *Store) map[[16]byte]Record {
	t.Helper()
	out := map[[16]byte]Record{}
	var prev *[16]byte
	err := s.View(func(it *Iter) error {
		for {
			r, ok, err := it.Next()
			if err != nil || !ok {
				return err
			}
			if prev != nil && bytes.Compare(prev[:], r.Key[:]) >= 0 {
				t.Fatalf("keys out of order")
			}
			k := r.Key
			prev = &k
			out[r.Key] = r
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestJournalConsolidate(t *testing.T) {
	for _, inPlace := range []int{0, inPlaceLimit} {
		t.Run(fmt.Sprint("in place up to ", inPlace), func(t *testing.T) { testJournalConsolidate(t, inPlace) })
	}
}

func testJournalConsolidate(t *testing.T, inPlace int) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.inPlace = inPlace
	// a first run: 30,000 records acknowledged in small batches
	for i := 0; i < 30000; i += 1000 {
		var recs []Record
		for j := i; j < i+1000; j++ {
			recs = append(recs, rec(j, 1))
		}
		if err := s.Journal(recs); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Consolidate(t.TempDir(), nil); err != nil {
		t.Fatal(err)
	}
	if n := len(all(t, s)); n != 30000 {
		t.Fatalf("%d records, want 30000", n)
	}
	// a second run: some changed, some new, some deleted; part from a file
	// destination (a sorter), part journalled; then a "crash" before
	// consolidation: reopen and consolidate.
	extra := NewSorter(t.TempDir())
	extra.s = extsort.New(t.TempDir(), 4096) // force spills
	for i := 0; i < 500; i++ {
		r := rec(i, 2)
		extra.Add(&r)
	}
	for i := 0; i < 100; i++ {
		r := rec(i, 3) // added later: wins over hash 2
		extra.Add(&r)
	}
	var j []Record
	for i := 30000; i < 30100; i++ {
		j = append(j, rec(i, 1))
	}
	del := rec(29999, 1)
	del.Deleted = true
	j = append(j, del)
	if err := s.Journal(j); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.inPlace = inPlace
	defer s.Close()
	if n, _ := s.JournalLen(); n != 101 {
		t.Fatalf("journal has %d records after a reopen, want 101", n)
	}
	if err := s.Consolidate(t.TempDir(), extra); err != nil {
		t.Fatal(err)
	}
	got := all(t, s)
	if len(got) != 30100 {
		t.Fatalf("%d records, want 30100", len(got))
	}
	for i, want := range map[int]uint64{0: 3, 99: 3, 100: 2, 499: 2, 500: 1, 30050: 1} {
		r := got[rec(i, 0).Key]
		if r.Hash != want || r.GroupID != fmt.Sprintf("g%d", i) {
			t.Errorf("record %d: %+v, want hash %d", i, r, want)
		}
	}
	if !got[rec(29999, 0).Key].Deleted {
		t.Error("the delete was not kept")
	}
	if n, _ := s.JournalLen(); n != 0 {
		t.Errorf("journal not emptied: %d", n)
	}
}

func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// bbolt's lock is a flock, held per open file description, so a second
	// Open in the same process sees it as another process would.
	if _, err := Open(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
}

func TestRecordRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 1000; i++ {
		in := rec(i, r.Uint64())
		in.Deleted = i%2 == 0
		in.AnonymousID = string(rune('a' + i%26))
		if i%3 == 0 {
			in.Shape, in.TraitHashes = r.Uint64()|1, []byte{byte(i), 2, 3, 4}
		}
		v := in.appendValue(nil)
		out, err := decodeRecord(in.Key[:], v)
		if err != nil || !reflect.DeepEqual(out, in) {
			t.Fatalf("%+v → %+v (%v)", in, out, err)
		}
		lite, err := decodeRecordTraits(in.Key[:], v, false)
		in.Shape, in.TraitHashes = 0, nil
		if err != nil || !reflect.DeepEqual(lite, in) {
			t.Fatalf("without traits: %+v → %+v (%v)", in, lite, err)
		}
	}
	if _, err := decodeRecord(make([]byte, 16), []byte{0, 1, 2}); err == nil {
		t.Error("a short value decoded")
	}
}

// A record with trait hashes is the record of before with the flag and
// the hashes after its ids: a version that knows nothing of them reads its
// ids (it ignores flags it does not know and what follows the ids); a
// record of before reads as one without hashes.
func TestRecordTraitsCompatible(t *testing.T) {
	old := rec(7, 42)
	before := old.appendValue(nil)
	withTraits := old
	withTraits.Shape, withTraits.TraitHashes = 99, []byte{1, 2}
	after := withTraits.appendValue(nil)
	if after[0] != before[0]|flagTraits || !bytes.Equal(after[1:len(before)], before[1:]) {
		t.Fatalf("the encoding of the fields of before changed:\n%x\n%x", before, after)
	}
	got, err := decodeRecord(old.Key[:], before)
	if err != nil || got.Shape != 0 || got.TraitHashes != nil || got.GroupID != old.GroupID {
		t.Fatalf("a record of before: %+v (%v)", got, err)
	}
	if _, err := decodeRecord(old.Key[:], after[:len(after)-1]); err == nil {
		t.Error("cut trait hashes decoded")
	}
}

func TestShapes(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, err := s.ShapeNames([]uint64{1}); err != nil || len(got) != 0 {
		t.Fatalf("a new state knows shapes: %v %v", got, err)
	}
	want := map[uint64][]string{1: {"name", "plan"}, 2: {}, 3: {"relationshipAttributes.role", "naïve"}}
	if err := s.SaveShapes(want); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveShapes(map[uint64][]string{1: {"changed"}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ShapeNames([]uint64{1, 2, 3, 4})
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v (%v), want %v (a list once kept is not replaced)", got, err, want)
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
}
