package statetest

import (
	"encoding/binary"
	"errors"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// PerRecordLayout rewrites the state at path (not open) as a version
// before blocks wrote it (format 1): its current generation's records one
// per key in "keys.N", not in blocks. The layouts are spelled out here as
// the files hold them, not taken from package state: this is what an
// older version left on disk.
func PerRecordLayout(path string) error {
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.Update(func(tx *bolt.Tx) error {
		meta := tx.Bucket([]byte("meta"))
		if meta == nil {
			return errors.New("statetest: not a state")
		}
		gen := uint64(0)
		if v := meta.Get([]byte("generation")); v != nil {
			if gen, err = strconv.ParseUint(string(v), 10, 64); err != nil {
				return err
			}
		}
		g := strconv.FormatUint(gen, 10)
		blocks := tx.Bucket([]byte("blocks." + g))
		if blocks == nil {
			return errors.New("statetest: the generation is not in blocks")
		}
		keys, err := tx.CreateBucket([]byte("keys." + g))
		if err != nil {
			return err
		}
		err = blocks.ForEach(func(_, blk []byte) error {
			for len(blk) > 0 {
				n, w := binary.Uvarint(blk[16:])
				if w <= 0 {
					return errors.New("statetest: a damaged block")
				}
				end := 16 + w + int(n)
				k := append([]byte(nil), blk[:16]...)
				v := append([]byte(nil), blk[16+w:end]...)
				if err := keys.Put(k, v); err != nil {
					return err
				}
				blk = blk[end:]
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := tx.DeleteBucket([]byte("blocks." + g)); err != nil {
			return err
		}
		return meta.Put([]byte("version"), []byte("1"))
	})
}
