package state

import (
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// An update in place of more than updateBytes of blocks commits in
// several transactions, each of about updateBytes of blocks written: bbolt
// keeps a transaction's dirty pages (and the mapped pages it read) until
// it commits, so one transaction for the whole update would hold memory
// in proportion to the changes (issue 18: peak RSS flat in the number of
// keys). The records read back as put.
func TestBlockUpdateTransactionsBounded(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m := model{}
	const n = 120000
	bigRec := func(i int, h uint64) Record { // about 8 a block
		r := blockRec(i, h)
		r.TraitHashes = make([]byte, 200+i%50)
		return r
	}
	recs := make([]Record, 0, n)
	for i := range n {
		recs = append(recs, bigRec(i, 1))
	}
	consolidate(t, s, 0, m, recs)
	changed := map[[16]byte]bool{}
	recs = recs[:0]
	for i := 0; i < n; i += 3 {
		r := bigRec(i, 2)
		recs = append(recs, r)
		changed[r.Key] = true
	}
	before := txID(t, s)
	consolidate(t, s, inPlaceLimit, m, recs)
	commits := txID(t, s) - before - 1 // the last transaction empties the journal
	// the bytes of blocks rewritten: those holding a changed record
	rewritten := 0
	err = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(s.genName()).ForEach(func(_, v []byte) error {
			for blk := v; len(blk) > 0; {
				k, _, rest, err := nextEntry(blk)
				if err != nil {
					return err
				}
				if changed[[16]byte(k)] {
					rewritten += len(v)
					break
				}
				blk = rest
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	// a transaction commits once it has written updateBytes: it writes at
	// most that and one block's group more
	if want := rewritten/(updateBytes+64<<10) + 1; commits < want || rewritten < 4*updateBytes {
		t.Fatalf("%d bytes of blocks rewritten in %d transactions, want ≥ %d", rewritten, commits, want)
	}
	m.check(t, s)
}

// txID is the id of the state's last committed write transaction.
func txID(t *testing.T, s *Store) (id int) {
	t.Helper()
	if err := s.db.View(func(tx *bolt.Tx) error { id = tx.ID(); return nil }); err != nil {
		t.Fatal(err)
	}
	return id
}
