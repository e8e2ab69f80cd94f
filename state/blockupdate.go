package state

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// updateBlocks merges sorted records into the blocks of the current
// generation in place: each block that a record falls into (the one with
// the greatest key not above the record's; the first for a record before
// every block) is read, merged with its records and written again, split
// when it outgrows blockTarget. Other blocks are not touched. The
// transactions hold up to updateBytes of blocks written.
func (s *Store) updateBlocks(srt *Sorter) error {
	u := &blockUpdater{db: s.db, bucket: blockBucket(s.gen)}
	err := srt.EachRaw(u.add)
	if err == nil {
		err = u.finish()
	}
	if u.tx != nil {
		u.tx.Rollback()
	}
	return err
}

// updateBytes bounds the blocks an update's transaction writes. The
// blocks of an update are spread over the file: each rewritten block
// dirties a page of its own, and the seeks that find them map pages of
// the file until the transaction ends. Measured on a 1%-changed run of
// 10M companies (state on tmpfs, RSS sampled every 0.5 s): with 8 MB
// (putterBytes) the update held up to ~65 MB anonymous and ~60 MB of
// mapped file, the run's peak (135-138 MB); with 2 MB ~35 and ~30 MB,
// below the rest of the run (peak 117-124 MB), the same CPU time.
const updateBytes = 2 << 20

// blockUpdater is updateBlocks' merge. The records of a group (those of
// one block) are gathered, then the block is rewritten.
type blockUpdater struct {
	db      *bolt.DB
	bucket  []byte
	tx      *bolt.Tx
	b       *bolt.Bucket
	written int // bytes of blocks put in tx
	// the group: the key of its block (nil when the bucket has none), the
	// key of the next block (nil: none), its records as block entries
	have     bool
	blockKey []byte
	end      []byte
	recs     []byte
}

func (u *blockUpdater) add(k, v []byte) error {
	if u.have && (u.end == nil || bytes.Compare(k, u.end) < 0) {
		u.recs = appendEntry(u.recs, k, v)
		return nil
	}
	if u.have {
		if err := u.writeGroup(); err != nil {
			return err
		}
	}
	if err := u.locate(k); err != nil {
		return err
	}
	u.recs = appendEntry(u.recs[:0], k, v)
	return nil
}

// locate starts the group of the block k falls into.
func (u *blockUpdater) locate(k []byte) error {
	if u.tx == nil {
		tx, err := u.db.Begin(true)
		if err != nil {
			return err
		}
		u.tx, u.b, u.written = tx, tx.Bucket(u.bucket), 0
		if u.b == nil {
			return errCorrupt
		}
		u.b.FillPercent = 1
	}
	c := u.b.Cursor()
	bk, _ := c.Seek(k)
	switch {
	case bk == nil:
		bk, _ = c.Last()
	case !bytes.Equal(bk, k):
		if pk, _ := c.Prev(); pk != nil {
			bk = pk
		} else {
			bk, _ = c.First()
		}
	}
	u.blockKey, u.end = u.blockKey[:0], u.end[:0]
	if bk == nil {
		u.blockKey, u.end = nil, nil
	} else {
		u.blockKey = append(u.blockKey, bk...)
		c.Seek(u.blockKey)
		if nk, _ := c.Next(); nk != nil {
			u.end = append(u.end, nk...)
		} else {
			u.end = nil
		}
	}
	u.have = true
	return nil
}

// writeGroup merges the group's block with its records and writes the
// result in place of the block.
func (u *blockUpdater) writeGroup() error {
	u.have = false
	var old []byte
	if u.blockKey != nil {
		old = u.b.Get(u.blockKey)
		if len(old) == 0 {
			return errCorrupt
		}
	}
	// the blocks written are bbolt's until the commit: fresh memory
	var blocks [][]byte
	bw := &blockWriter{put: func(_, blk []byte) error {
		blocks = append(blocks, append([]byte(nil), blk...))
		return nil
	}}
	if err := mergeEntries(old, u.recs, bw.add); err != nil {
		return err
	}
	if err := bw.flush(); err != nil {
		return err
	}
	if u.blockKey != nil {
		if err := u.b.Delete(u.blockKey); err != nil {
			return err
		}
	}
	for _, blk := range blocks {
		if err := u.b.Put(blk[:16], blk); err != nil {
			return err
		}
		u.written += len(blk)
	}
	if u.written >= updateBytes {
		return u.commit()
	}
	return nil
}

// commit ends the transaction, and lets the pages it read go (release).
func (u *blockUpdater) commit() error {
	err := u.tx.Commit()
	u.tx, u.b = nil, nil
	if err == nil {
		err = u.db.View(func(tx *bolt.Tx) error { release(u.db, tx); return nil })
	}
	return err
}

func (u *blockUpdater) finish() error {
	if u.have {
		if err := u.writeGroup(); err != nil {
			return err
		}
	}
	if u.tx == nil {
		return nil
	}
	return u.commit()
}

// mergeEntries calls add with the entries of two blocks (each in key
// order) in key order; for a key in both, only news's.
func mergeEntries(old, news []byte, add func(k, v []byte) error) error {
	var ok, ov, nk, nv []byte
	var err error
	next := func(blk *[]byte, k, v *[]byte) error {
		if len(*blk) == 0 {
			*k = nil
			return nil
		}
		*k, *v, *blk, err = nextEntry(*blk)
		return err
	}
	if err := next(&old, &ok, &ov); err != nil {
		return err
	}
	if err := next(&news, &nk, &nv); err != nil {
		return err
	}
	for ok != nil || nk != nil {
		switch c := cmpKeys(ok, nk); {
		case c < 0:
			if err := add(ok, ov); err != nil {
				return err
			}
			err = next(&old, &ok, &ov)
		case c == 0:
			err = next(&old, &ok, &ov) // replaced by news's
		default:
			if err := add(nk, nv); err != nil {
				return err
			}
			err = next(&news, &nk, &nv)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// cmpKeys compares keys, nil (the end) after every key.
func cmpKeys(a, b []byte) int {
	switch {
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return bytes.Compare(a, b)
}
