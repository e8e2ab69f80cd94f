package state

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/groupimport/groupimport/internal/extsort"
)

// perRecordState writes a state as a version before blocks did (format 1):
// generation 1 holds a record per key in "keys.1".
func perRecordState(t *testing.T, path string, recs []Record) {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(blockBucket(0)); err != nil {
			return err
		}
		b, err := tx.CreateBucket(genBucket(1))
		if err != nil {
			return err
		}
		for i := range recs {
			if err := b.Put(recs[i].Key[:], recs[i].appendValue(nil)); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if err := meta.Put(keyGen, []byte("1")); err != nil {
			return err
		}
		return meta.Put(keyVersion, []byte(formatPerRecord))
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// model is what a state should hold: the last record per key.
type model map[[16]byte]Record

func (m model) check(t *testing.T, s *Store) {
	t.Helper()
	got := all(t, s)
	if len(got) != len(m) {
		t.Fatalf("%d records, want %d", len(got), len(m))
	}
	for k, want := range m {
		if g := got[k]; g.Hash != want.Hash || g.GroupID != want.GroupID || g.Deleted != want.Deleted {
			t.Fatalf("record %x: %+v, want %+v", k, g, want)
		}
	}
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	// every key, one before every key, and some absent keys
	var keys [][16]byte
	for k := range m {
		keys = append(keys, k)
		k[15]--
		keys = append(keys, k)
	}
	keys = append(keys, [16]byte{}, [16]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	err := s.Lookup(keys, func(k [16]byte, r Record, ok bool) {
		want, in := m[k]
		if ok != in || (ok && (r.Hash != want.Hash || r.GroupID != want.GroupID || !reflect.DeepEqual(r.TraitHashes, want.TraitHashes))) {
			t.Fatalf("Lookup %x: %+v %v, want %+v %v", k, r, ok, want, in)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}

// consolidate folds recs in (from a file destination's sorter) with the
// in-place limit given.
func consolidate(t *testing.T, s *Store, inPlace int, m model, recs []Record) {
	t.Helper()
	s.inPlace = inPlace
	srt := NewSorter(t.TempDir())
	srt.s = extsort.New(t.TempDir(), 64<<10) // with spills
	for i := range recs {
		if err := srt.Add(&recs[i]); err != nil {
			t.Fatal(err)
		}
		m[recs[i].Key] = recs[i]
	}
	if err := s.Consolidate(t.TempDir(), srt); err != nil {
		t.Fatal(err)
	}
}

// blockRec is a record of i with hash h and trait hashes of i's size, so
// that blocks hold varied numbers of records.
func blockRec(i int, h uint64) Record {
	r := rec(i, h)
	r.Shape, r.TraitHashes = uint64(i)|1, make([]byte, i%50+1)
	return r
}

// A generation in blocks, written whole and updated in place (records
// before the first block, between blocks, after the last, replacing
// others, splitting blocks), reads, looks up and checks as the records
// put; a file reopened reads the same.
func TestBlocksWriteAndUpdate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	m := model{}
	rnd := rand.New(rand.NewPCG(3, 3))
	var recs []Record
	for i := 0; i < 20000; i += 2 {
		recs = append(recs, blockRec(i, 1))
	}
	consolidate(t, s, 0, m, recs) // a new generation
	if !s.blocks {
		t.Fatal("a new generation is not in blocks")
	}
	m.check(t, s)
	for round, n := range []int{1, 30, 3000, 9000} {
		recs = recs[:0]
		for j := 0; j < n; j++ {
			i := rnd.IntN(40000) - 10000
			if i < 0 {
				i = -i * 7 // keys beyond the others' range too
			}
			recs = append(recs, blockRec(i, uint64(round+2)))
		}
		consolidate(t, s, inPlaceLimit, m, recs) // in place
		m.check(t, s)
	}
	if n := len(m); n < 15000 {
		t.Fatalf("only %d keys: the test adds too few", n)
	}
	s.Close()
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m.check(t, s)
	recs = recs[:0]
	for i := 1; i < 30000; i += 4 {
		recs = append(recs, blockRec(i, 9))
	}
	consolidate(t, s, 0, m, recs) // a new generation merged with blocks
	m.check(t, s)
}

// A state of a version before blocks (a record per key, format 1) opens,
// reads, looks up, is updated in place as it is, and its next new
// generation is in blocks, the file then format 2.
func TestPerRecordStateOpens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	m := model{}
	var recs []Record
	for i := 0; i < 5000; i++ {
		r := blockRec(i, 1)
		recs = append(recs, r)
		m[r.Key] = r
	}
	perRecordState(t, path, recs)
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.blocks {
		t.Fatal("a format 1 state taken for blocks")
	}
	m.check(t, s)
	consolidate(t, s, inPlaceLimit, m, []Record{blockRec(3, 5), blockRec(7000, 5)})
	if s.blocks {
		t.Fatal("an in-place update changed the layout")
	}
	m.check(t, s)
	consolidate(t, s, 0, m, []Record{blockRec(4, 6), blockRec(8000, 6)})
	if !s.blocks {
		t.Fatal("a new generation is not in blocks")
	}
	m.check(t, s)
	var version string
	s.db.View(func(tx *bolt.Tx) error {
		version = string(tx.Bucket(bucketMeta).Get(keyVersion))
		return nil
	})
	if version != formatVersion || tx(t, s, genBucket(1)) {
		t.Fatalf("format %q after a generation in blocks; the old generation still there: %v", version, tx(t, s, genBucket(1)))
	}
}

// tx says whether the state has a bucket.
func tx(t *testing.T, s *Store, name []byte) (has bool) {
	t.Helper()
	s.db.View(func(tx *bolt.Tx) error { has = tx.Bucket(name) != nil; return nil })
	return has
}

// A damaged block is a *DamagedError for Check, the iterator, a lookup and
// a consolidation.
func TestDamagedBlock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m := model{}
	var recs []Record
	for i := 0; i < 3000; i++ {
		recs = append(recs, blockRec(i, 1))
	}
	consolidate(t, s, 0, m, recs)
	var victim []byte
	err = s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(blockBucket(s.gen))
		k, v := b.Cursor().Last()
		victim = append([]byte(nil), k...)
		cut := append([]byte(nil), v[:len(v)-3]...) // the last entry cut short
		return b.Put(victim, cut)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Check(); !errors.Is(err, ErrDamaged) {
		t.Errorf("Check: %v", err)
	}
	err = s.View(func(it *Iter) error {
		for {
			_, ok, err := it.Next()
			if err != nil || !ok {
				return err
			}
		}
	})
	if !errors.Is(err, ErrDamaged) {
		t.Errorf("View: %v", err)
	}
	last := [16]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff} // after every key: read through the last block
	if err := s.Lookup([][16]byte{last}, func([16]byte, Record, bool) {}); !errors.Is(err, ErrDamaged) {
		t.Errorf("Lookup: %v", err)
	}
	srt := NewSorter(t.TempDir())
	r := blockRec(99999, 2)
	srt.Add(&r)
	s.inPlace = 0
	if err := s.Consolidate(t.TempDir(), srt); !errors.Is(err, ErrDamaged) {
		t.Errorf("Consolidate: %v", err)
	}
}

func TestMergeEntries(t *testing.T) {
	entries := func(keys ...byte) []byte {
		var b []byte
		for _, k := range keys {
			var key [16]byte
			key[0] = k
			b = appendEntry(b, key[:], []byte{k})
		}
		return b
	}
	var got []string
	err := mergeEntries(entries(1, 3, 5), entries(0, 3, 6), func(k, v []byte) error {
		got = append(got, fmt.Sprint(k[0], v[0]))
		return nil
	})
	if want := []string{"0 0", "1 1", "3 3", "5 5", "6 6"}; err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("%v (%v), want %v", got, err, want)
	}
}
