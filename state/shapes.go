package state

import (
	"encoding/binary"
	"fmt"
	"runtime/debug"

	bolt "go.etcd.io/bbolt"
)

// The lists of trait names of the records' shapes (Record.Shape), kept
// once each by their hash in a bucket of their own. A list is written
// before the first record that names it; a record whose list the state
// lacks (past MaxShapes, or written before lists were kept) keeps its
// hashes, but its traits cannot be named.

var bucketShapes = []byte("shapes")

// MaxShapes bounds the lists a state keeps: exports whose rows each have
// their own set of fields would otherwise keep a list per key.
const MaxShapes = 100000

// SaveShapes keeps the lists of trait names of shapes the state does not
// have yet, in one transaction (none when it has them all).
func (s *Store) SaveShapes(shapes map[uint64][]string) (err error) {
	if s.db == nil || len(shapes) == 0 {
		return nil
	}
	if s.readOnly {
		return errReadOnly
	}
	defer s.recoverDamage(&err, debug.SetPanicOnFault(true))
	var missing []uint64
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketShapes)
		for h := range shapes {
			if b == nil || b.Get(shapeKey(h)) == nil {
				missing = append(missing, h)
			}
		}
		return nil
	})
	if err != nil || len(missing) == 0 {
		return err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketShapes)
		if err != nil {
			return err
		}
		n := b.Sequence()
		for _, h := range missing {
			if n >= MaxShapes {
				break
			}
			if err := b.Put(shapeKey(h), encodeNames(shapes[h])); err != nil {
				return err
			}
			n++
		}
		return b.SetSequence(n)
	})
	if err != nil {
		return fmt.Errorf("state: keeping the lists of trait names: %w", err)
	}
	return nil
}

// ShapeNames returns the lists of trait names of those of shapes the
// state keeps.
func (s *Store) ShapeNames(shapes []uint64) (out map[uint64][]string, err error) {
	out = map[uint64][]string{}
	if s.db == nil || len(shapes) == 0 {
		return out, nil
	}
	defer s.recoverDamage(&err, debug.SetPanicOnFault(true))
	err = s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketShapes)
		if b == nil {
			return nil
		}
		for _, h := range shapes {
			if v := b.Get(shapeKey(h)); v != nil {
				names, err := decodeNames(v)
				if err != nil {
					return &DamagedError{Path: s.path, Err: err}
				}
				out[h] = names
			}
		}
		return nil
	})
	return out, err
}

func shapeKey(h uint64) []byte { return binary.BigEndian.AppendUint64(nil, h) }

// encodeNames writes a list as its length, then each name's length and
// bytes (uvarints).
func encodeNames(names []string) []byte {
	b := binary.AppendUvarint(nil, uint64(len(names)))
	for _, n := range names {
		b = binary.AppendUvarint(b, uint64(len(n)))
		b = append(b, n...)
	}
	return b
}

func decodeNames(b []byte) ([]string, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, fmt.Errorf("%w (a list of trait names)", errCorrupt)
	}
	b = b[k:]
	names := make([]string, 0, n)
	for range n {
		l, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < l {
			return nil, fmt.Errorf("%w (a list of trait names)", errCorrupt)
		}
		names = append(names, string(b[k:k+int(l)]))
		b = b[k+int(l):]
	}
	return names, nil
}
