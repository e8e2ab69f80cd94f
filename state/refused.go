package state

import (
	"encoding/binary"
	"runtime/debug"
	"sort"

	bolt "go.etcd.io/bbolt"
)

// The keys the API refused: a refused call is never remembered as
// delivered, so the next run sends its row again; the state keeps the
// refused keys, each with the hash of the content refused, so that the
// plan can say which of the rows it sends are retries of earlier
// refusals. They are one value in the meta bucket (24 bytes a key, at most
// MaxRefused keys): a state without it knows no refusals.

var keyRefused = []byte("refused")

// MaxRefused is the most refused keys a state keeps (those of the lowest
// keys, a stable choice when there are more).
const MaxRefused = 100000

// Refused returns the keys whose last delivery the API refused, each with
// the hash of the content it refused (nil when there are none).
func (s *Store) Refused() (m map[[16]byte]uint64, err error) {
	if s.db == nil {
		return nil, nil
	}
	defer s.recoverDamage(&err, debug.SetPanicOnFault(true))
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketMeta).Get(keyRefused)
		if len(v)%24 != 0 {
			return errCorrupt
		}
		if len(v) > 0 {
			m = make(map[[16]byte]uint64, len(v)/24)
		}
		for ; len(v) >= 24; v = v[24:] {
			var k [16]byte
			copy(k[:], v)
			m[k] = binary.LittleEndian.Uint64(v[16:])
		}
		return nil
	})
	return m, err
}

// SaveRefused replaces the refused keys with m (see MaxRefused).
func (s *Store) SaveRefused(m map[[16]byte]uint64) (err error) {
	if s.readOnly {
		return errReadOnly
	}
	defer s.recoverDamage(&err, debug.SetPanicOnFault(true))
	keys := make([][16]byte, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return string(keys[i][:]) < string(keys[j][:]) })
	keys = keys[:min(len(keys), MaxRefused)]
	v := make([]byte, 0, 24*len(keys))
	for _, k := range keys {
		v = binary.LittleEndian.AppendUint64(append(v, k[:]...), m[k])
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		if len(v) == 0 {
			return tx.Bucket(bucketMeta).Delete(keyRefused)
		}
		return tx.Bucket(bucketMeta).Put(keyRefused, v)
	})
}
