// Package objtraits is the object-traits join table of one run: the traits
// of every company payload, by key, for the membership calls whose mapping
// joins them in (include_object_traits).
//
// The table may be larger than memory. Traits are added in any order (the
// last added for a key wins) and sorted on disk in bounded memory (package
// extsort); Build then writes them in key order into a temporary bbolt
// file (a sequential build), whose reads come from the page cache, not the
// heap. Everything is removed by Close.
package objtraits

import (
	"fmt"
	"os"

	bolt "go.etcd.io/bbolt"

	"github.com/groupimport/groupimport/internal/extsort"
)

// Table maps an object's key (transform.Out.Key) to its traits.
type Table struct {
	dir    string
	sorter *extsort.Sorter
	added  uint64 // additions so far: the order of the next one
	db     *bolt.DB
	path   string
	n      int64
}

var bucket = []byte("traits")

// New returns an empty table with its temporary files in dir ("" for the
// system's).
func New(dir string) *Table { return newTable(dir, 0) }

// newTable sorts in memory up to limit bytes (0: extsort's default).
func newTable(dir string, limit int) *Table {
	return &Table{dir: dir, sorter: extsort.New(dir, limit)}
}

// Add puts the traits of key in the table (before Build); traits is copied.
func (t *Table) Add(key [16]byte, traits []byte) error {
	t.added++
	return t.sorter.Add(key, t.added, traits)
}

// Build makes the table readable; it may be called once.
func (t *Table) Build() error {
	f, err := os.CreateTemp(t.dir, "groupimport-objtraits-*.db")
	if err != nil {
		return fmt.Errorf("joining object traits: %w", err)
	}
	t.path = f.Name()
	f.Close()
	db, err := bolt.Open(t.path, 0o600, &bolt.Options{NoSync: true, NoFreelistSync: true})
	if err != nil {
		return fmt.Errorf("joining object traits: %w", err)
	}
	t.db = db
	load := &loader{db: db}
	err = t.sorter.EachLast(func(k, v []byte) error {
		t.n++
		return load.put(k, v)
	})
	if err == nil {
		err = load.flush()
	}
	t.sorter.Close()
	if err != nil {
		return fmt.Errorf("joining object traits: %w", err)
	}
	return nil
}

// Len is the number of keys in the built table.
func (t *Table) Len() int64 { return t.n }

// Get appends the traits of key to dst; ok is false when the key is absent
// (or the table not built). Safe for concurrent use after Build.
func (t *Table) Get(dst []byte, key [16]byte) ([]byte, bool) {
	var ok bool
	if t.db == nil {
		return dst, false
	}
	t.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucket)
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
func (t *Table) Close() {
	t.sorter.Close()
	if t.db != nil {
		t.db.Close()
		os.Remove(t.path)
		t.db = nil
	}
}

// loader appends keys in ascending order to the bucket, in transactions of
// 50,000 puts (bbolt keeps a transaction's dirty pages in memory until it
// commits), with pages filled whole: nothing is inserted between them later.
type loader struct {
	db      *bolt.DB
	pending []struct{ k, v []byte }
}

// put copies k and v (bbolt needs them until the commit).
func (l *loader) put(k, v []byte) error {
	l.pending = append(l.pending, struct{ k, v []byte }{append([]byte(nil), k...), append([]byte(nil), v...)})
	if len(l.pending) >= 50000 {
		return l.flush()
	}
	return nil
}

func (l *loader) flush() error {
	if len(l.pending) == 0 {
		return nil
	}
	err := l.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucket)
		if err != nil {
			return err
		}
		b.FillPercent = 1
		for _, kv := range l.pending {
			if err := b.Put(kv.k, kv.v); err != nil {
				return err
			}
		}
		return nil
	})
	l.pending = l.pending[:0]
	return err
}
