package state

import (
	"runtime/debug"

	bolt "go.etcd.io/bbolt"
)

// Lookup calls found for each of keys with the record the current
// generation holds for it (ok false when none), in one read transaction:
// for the few keys a review asks about, not a row-by-row comparison.
func (s *Store) Lookup(keys [][16]byte, found func(key [16]byte, r Record, ok bool)) (err error) {
	if s.db == nil {
		for _, k := range keys {
			found(k, Record{}, false)
		}
		return nil
	}
	return s.db.View(func(tx *bolt.Tx) (err error) {
		defer s.recoverDamage(&err, debug.SetPanicOnFault(true))
		b := tx.Bucket(s.genName())
		for _, k := range keys {
			var v []byte
			switch {
			case b != nil && s.blocks:
				if v, err = lookupBlock(b, k[:]); err != nil {
					return &DamagedError{Path: s.path, Err: err}
				}
			case b != nil:
				v = b.Get(k[:])
			}
			if v == nil {
				found(k, Record{}, false)
				continue
			}
			r, err := decodeRecord(k[:], v)
			if err != nil {
				return &DamagedError{Path: s.path, Err: err}
			}
			found(k, r, true)
		}
		return nil
	})
}
