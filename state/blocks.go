package state

import (
	"bytes"
	"encoding/binary"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// The records of a generation are kept in blocks (format 2): a bucket
// "blocks.N" whose values are runs of records in key order, each entry
// the record's 16-byte key, the length of its encoded value (uvarint) and
// the value; a block's key is its first record's key. One bbolt put per
// block rather than per record is what makes writing a generation cheap:
// bbolt's cost is per put (a cursor seek from the root, an inode, 16 bytes
// of page element). Measured on a first run of 1M companies (profiles of
// whole runs, a shared 2-core machine): writing the state went from 1.33 s
// of samples (1.0 s in bbolt) to 0.36 s (0.18 s), the file from 120 to
// 104 MB; BenchmarkFirstGeneration from 2.4 to 1.0 s of CPU per run.
//
// A state written before blocks (format 1) keeps one record per key in
// "keys.N"; it is read as it is, updated in place as it is, and its next
// new generation is written in blocks (the file is then format 2, which an
// older version refuses by name rather than misreading).

// blockTarget is the most bytes of entries a block is filled with: two
// blocks and their keys fill a 4 KiB leaf page (bbolt puts at least two
// elements on a leaf; 16 bytes of page header, 16 of element and 16 of
// key each). A record larger than that is a block of its own.
const blockTarget = (4096-16)/2 - 16 - 16

func blockBucket(g uint64) []byte { return []byte("blocks." + strconv.FormatUint(g, 10)) }

// appendEntry appends a record's entry to a block.
func appendEntry(dst, key, value []byte) []byte {
	dst = append(dst, key...)
	dst = binary.AppendUvarint(dst, uint64(len(value)))
	return append(dst, value...)
}

// nextEntry splits the first entry off a block: its key and value, and
// the entries after it.
func nextEntry(blk []byte) (key, value, rest []byte, err error) {
	if len(blk) < 17 {
		return nil, nil, nil, errCorrupt
	}
	n, w := binary.Uvarint(blk[16:])
	if w <= 0 || uint64(len(blk)-16-w) < n {
		return nil, nil, nil, errCorrupt
	}
	end := 16 + w + int(n)
	return blk[:16], blk[16+w : end], blk[end:], nil
}

// blockWriter gathers entries, in key order, into blocks of up to
// blockTarget bytes, and hands each full block to put (which copies it).
type blockWriter struct {
	put func(key, block []byte) error
	buf []byte
}

func (w *blockWriter) add(key, value []byte) error {
	n := 16 + binary.MaxVarintLen32 + len(value)
	if len(w.buf) > 0 && len(w.buf)+n > blockTarget {
		if err := w.flush(); err != nil {
			return err
		}
	}
	w.buf = appendEntry(w.buf, key, value)
	return nil
}

func (w *blockWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	err := w.put(w.buf[:16], w.buf)
	w.buf = w.buf[:0]
	return err
}

// genName is the bucket of the current generation.
func (s *Store) genName() []byte {
	if s.blocks {
		return blockBucket(s.gen)
	}
	return genBucket(s.gen)
}

// firstRecord positions an iterator on the first record of the cursor's
// bucket.
func (it *Iter) firstRecord() error {
	k, v := it.c.First()
	return it.entered(k, v)
}

// entered sets the iterator on the first record of the block or record
// (k, v) the cursor is on (none when k is nil).
func (it *Iter) entered(k, v []byte) (err error) {
	if !it.blocks || k == nil {
		it.k, it.v = k, v
		return nil
	}
	it.k, it.v, it.blk, err = nextEntry(v)
	return err
}

// advance moves the iterator to the next record.
func (it *Iter) advance() (err error) {
	if it.blocks && len(it.blk) > 0 {
		it.k, it.v, it.blk, err = nextEntry(it.blk)
		return err
	}
	return it.entered(it.c.Next())
}

// lookupBlock finds key's record in a bucket of blocks: in the block with
// the greatest key not above it.
func lookupBlock(b *bolt.Bucket, key []byte) ([]byte, error) {
	c := b.Cursor()
	k, v := c.Seek(key)
	switch {
	case k == nil:
		k, v = c.Last()
	case !bytes.Equal(k, key):
		k, v = c.Prev()
	}
	for blk := v; k != nil && len(blk) > 0; {
		ek, ev, rest, err := nextEntry(blk)
		if err != nil {
			return nil, err
		}
		switch bytes.Compare(ek, key) {
		case 0:
			return ev, nil
		case 1:
			return nil, nil
		}
		blk = rest
	}
	return nil, nil
}

// checkBlocks decodes every record of a bucket of blocks.
func checkBlocks(b *bolt.Bucket) error {
	return b.ForEach(func(k, v []byte) error {
		for blk := v; len(blk) > 0; {
			ek, ev, rest, err := nextEntry(blk)
			if err != nil {
				return err
			}
			if _, err := decodeRecordTraits(ek, ev, false); err != nil {
				return err
			}
			blk = rest
		}
		if len(v) == 0 || !bytes.Equal(k, v[:16]) {
			return errCorrupt
		}
		return nil
	})
}
