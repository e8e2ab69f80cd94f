package state

import (
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"
)

// Lookup is a temporary key → value table larger than memory may be: the
// object traits that membership calls join in. Values are added in any
// order (the last one of a key wins), sorted on disk in bounded memory,
// then written in key order into a temporary bbolt file (a sequential
// build), whose reads come from the page cache, not the heap.
type Lookup struct {
	dir    string
	sorter *Sorter
	db     *bolt.DB
	path   string
	n      int64
}

var lookupBucket = []byte("lookup")

// NewLookup returns an empty table with its temporary files in dir ("" for
// the system's).
func NewLookup(dir string) *Lookup { return &Lookup{dir: dir, sorter: NewSorter(dir)} }

// Add puts a value under key (before Build).
func (l *Lookup) Add(key [16]byte, value []byte) error { return l.sorter.AddRaw(key, value) }

// Build makes the table readable.
func (l *Lookup) Build() error {
	f, err := os.CreateTemp(l.dir, "groupimport-lookup-*.db")
	if err != nil {
		return fmt.Errorf("joining object traits: %w", err)
	}
	l.path = f.Name()
	f.Close()
	db, err := bolt.Open(l.path, 0o600, &bolt.Options{NoSync: true, NoFreelistSync: true})
	if err != nil {
		return fmt.Errorf("joining object traits: %w", err)
	}
	l.db = db
	out := &putter{db: db, bucket: lookupBucket, fill: 1} // appended in key order
	err = l.sorter.EachRaw(func(k, v []byte) error {
		l.n++
		return out.put(k, v)
	})
	if err == nil {
		err = out.flush()
	}
	if err != nil {
		return fmt.Errorf("joining object traits: %w", err)
	}
	return nil
}

// Len is the number of keys in the built table.
func (l *Lookup) Len() int64 { return l.n }

// Get appends the value of key to dst; ok is false when the key is absent.
// Safe for concurrent use after Build.
func (l *Lookup) Get(dst []byte, key [16]byte) ([]byte, bool) {
	var ok bool
	if l.db == nil {
		return dst, false
	}
	l.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(lookupBucket)
		if b == nil {
			return nil
		}
		if v := b.Get(key[:]); v != nil {
			dst, ok = append(dst, v...), true
		}
		return nil
	})
	return dst, ok
}

// Close removes the temporary files.
func (l *Lookup) Close() {
	l.sorter.Close()
	if l.db != nil {
		l.db.Close()
		os.Remove(l.path)
		l.db = nil
	}
}
